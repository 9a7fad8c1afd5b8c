import type { DType } from './dtypes';

/** A reader's id (`safetensors`, `pytorch-zip`, `gguf`, …): formats/registry.ts lists them. */
export type FormatId = string;

/**
 * Where a tensor's bytes live, as plain data so it can cross to a worker. Tensors with the same
 * `file` and `storageKey` share memory (PyTorch views, tied weights).
 */
export interface TensorLocation {
  /** The file holding the bytes (absolute path for files on disk). */
  file: string;
  /** Byte offset in `file` of element 0 of the storage. */
  storageOffset: number;
  /** Byte length of the whole storage; already checked to lie inside the file. */
  storageBytes: number;
  /** Identifies the storage within the file (zip record name, legacy key, safetensors name). */
  storageKey: string;
  /** Offset of the tensor's first element inside the storage, in elements. */
  elementOffset: number;
  /** Strides in elements, one per dimension (row-major contiguous for safetensors). */
  strides: number[];
  /** Stored byte order; legacy pickles written on big-endian machines say `big`. */
  byteOrder: 'little' | 'big';
  /**
   * CRC-32 of the storage's `storageBytes` bytes as the file records it (a stored zip record's
   * central directory entry); absent where the format keeps none (safetensors, legacy pickles).
   * Statistics verify it when they read the whole storage, so a corrupt record is reported as such
   * instead of giving wrong numbers (see runtime/storageCrc.ts).
   */
  crc32?: number;
  /**
   * Set when the storage is not the file's bytes as they lie but an encoding of them (a deflated
   * `.npz` member, an ONNX tensor in packed varints): `storageOffset`/`storageBytes` then address
   * the decoded storage (`storageOffset` is 0), and the kernels read it through a source that
   * decodes the file's `encoding.offset … + encoding.bytes` forward (runtime/encodedSource.ts).
   */
  encoding?: StorageEncoding;
}

/**
 * How a storage is encoded in its file. The reader has checked that `offset + bytes` lies inside
 * the file; the decoder checks that the stream yields exactly `skip + storageBytes` bytes (a stream
 * that would yield more is cut off there: no deflate bomb reaches memory).
 */
export type StorageEncoding =
  /** A raw deflate stream (zip method 8); the first `skip` decoded bytes precede the storage (an `.npy` header). */
  | { kind: 'deflate'; offset: number; bytes: number; skip: number }
  /**
   * Protobuf varints, one per element (ONNX's packed `int32_data`/`int64_data`/`uint64_data`): each
   * value's low `width` bytes, little-endian, make one stored element (a float16 in `int32_data`
   * is its 16 bits: width 2). `skip` is unused (0).
   */
  | { kind: 'varint'; offset: number; bytes: number; skip: 0; width: 1 | 2 | 4 | 8 }
  /**
   * Two 4-bit elements per byte, the first in the low nibble (ONNX's INT4, UINT4 and FLOAT4E2M1),
   * each decoded to one element of the tensor's dtype: `int4` → int8, `uint4` → uint8,
   * `float4_e2m1` → float32 (exact: every E2M1 value is a float32). An odd count leaves the last
   * high nibble unused.
   */
  | { kind: 'nibbles'; offset: number; bytes: number; skip: 0; as: 'int4' | 'uint4' | 'float4_e2m1' };

/**
 * fan_in and fan_out of a weight whose layout is not torch's `[out, in, *kernel]` (a Keras kernel
 * `[kh, kw, in, out]`, an ONNX `MatMul` weight `[in, out]`), as its reader knows from the format.
 * Init detection uses these instead of the shape's.
 */
export interface Fans {
  fanIn: number;
  fanOut: number;
}

/** What a kernel needs to find a tensor's elements (crosses to the workers as plain data). */
export interface TensorSpec {
  dtype: DType;
  shape: readonly number[];
  location: TensorLocation;
  /** See `Fans`; absent when the shape is laid out as torch's. */
  fans?: Fans;
}

/**
 * What a tensor is to its model: a learnable parameter, a buffer (BatchNorm statistics), optimizer
 * or training state found beside the model in a checkpoint, or unknown (plain state_dict entry).
 * Only `parameter` and `tensor` count toward parameter totals.
 */
export type TensorKind = 'parameter' | 'buffer' | 'optimizer' | 'tensor';

/** One subscript or attribute step on the way from the file's root object to a tensor. */
export type PathStep =
  /** `literal`: the key as Python writes it when it is neither a str nor an int (`True`, `(1, 2)`, `2**70`); `key` is then its printed name. */
  | { kind: 'key'; key: string | number; literal?: string }
  | { kind: 'attr'; name: string };

/** A tensor as a reader found it, before the model layer adds paths and trees. */
export interface RawTensor {
  /** state_dict key (dotted name), or the dotted path inside a checkpoint container. */
  name: string;
  dtype: DType;
  shape: number[];
  location: TensorLocation;
  kind: TensorKind;
  /**
   * Steps from the root object when the tensor sits in a plain container (checkpoint dicts).
   * Undefined when the tensor belongs to a pickled module (wherever it sits) or a top-level state_dict.
   */
  containerPath?: PathStep[];
  /** See `Fans`: set by readers of formats whose weights are not laid out as torch's. */
  fans?: Fans;
  /** What the file says of the tensor beyond dtype and shape (GGUF: ggml's type name and id, `ne`, data offset). */
  details?: Readonly<Record<string, string | number | readonly number[]>>;
}

/**
 * A module object recovered from a pickle (`torch.save(net)`), or a container level (dict, list,
 * tuple, plain object) of a checkpoint on the way to pickled modules (`{'model': net, …}`).
 */
export interface RawModule {
  /** Identity of the pickled module: the same module met twice has the same id. Null for a container level. */
  id: number | null;
  /** Class name (`Sequential`); null for a container level, or if the pickle did not name one. */
  type: string | null;
  /** Python module of the class (`torch.nn.modules.container`). */
  typeModule: string | null;
  children: Array<[string, RawModule]>;
  /**
   * Own parameters: local name → tensor name in `tensors` (None parameters are left out). A
   * container level lists the tensors it holds directly here; they carry their `containerPath`.
   */
  parameters: Array<[string, string]>;
  buffers: Array<[string, string]>;
  /**
   * How a container level reaches this node (`['model']`, `[1]`); absent for the root and for a
   * module's children, which their parent's class reaches (`net[0]`, `block.fc`).
   */
  step?: PathStep;
}

/** What a `FormatReader` returns. */
export interface ReaderResult {
  format: FormatId;
  tensors: RawTensor[];
  /**
   * The module tree when the file pickles modules, at the top (`torch.save(net)`) or inside
   * containers (its root and the levels above the modules are then container levels); otherwise
   * the model layer derives one from the tensor names.
   */
  moduleTree?: RawModule;
  /** What `moduleTree` was made from when not pickled modules (`config`: Keras's layers, from its model config or layer groups). */
  moduleTreeSource?: 'config';
  /** Scalars and config found beside the tensors (safetensors `__metadata__`, epochs, …). */
  metadata: Record<string, unknown>;
  /** The type of each metadata value where the format types them (GGUF: `uint32`, `array[string]`). */
  metadataTypes?: Record<string, string>;
  /** What the container says of itself (GGUF: version, byte order, alignment, data offset). */
  container?: Record<string, string | number>;
  /** Non-fatal problems: refused globals, skipped objects. */
  warnings: string[];
  /**
   * Information, not problems: classes shown as stubs because their code is not run (every
   * `torch.save(model)` of a class of one's own says so; its tensors are all there).
   */
  notes?: string[];
}

/**
 * Where a model's module tree came from: pickled module objects (`torch.save(net)`: classes known),
 * a model config the file carries (Keras: layer classes and names from `config.json` or
 * `model_config`), or dotted tensor names (a state_dict: no classes).
 */
export type ModuleTreeSource = 'pickle' | 'config' | 'names';

/** A module in the final tree. */
export interface ModuleNode {
  /** Own (last) name; '' for the root. */
  name: string;
  /** Dotted name from the root, as `named_modules()` gives it. */
  qualifiedName: string;
  /** Class name, or null where the file does not say (state_dict names, a checkpoint's dict keys and list indices). */
  type: string | null;
  /** Python expression that reaches this module (`rgnet[0][1]`). */
  path: string;
  children: ModuleNode[];
  /** Names (tensor `name`s) of the parameters and buffers held directly. */
  parameters: string[];
  /** Parameter count including descendants, storage shared between tensors counted once. */
  parameterCount: number;
  /** When this is the same module object as one met earlier: that place's qualified name. */
  /** How a checkpoint's container level reaches this node (`['model']`, `[1]`), as in RawModule. */
  step?: PathStep;
  sameAs?: string;
}

/** A tensor in the final index. */
export interface TensorEntry extends RawTensor {
  /** Python expression that reaches it (`rgnet[0][1][0].bias`). */
  path: string;
  count: number;
}

/** The format-neutral view of one model file that every view and command works from. */
export interface ModelIndex {
  file: string;
  format: FormatId;
  /** The variable name used in access paths (from the file name: `rgnet.pt` → `rgnet`). */
  rootName: string;
  tensors: TensorEntry[];
  modules: ModuleNode;
  /** Where the tree came from: see `ModuleTreeSource`. */
  moduleTreeSource: ModuleTreeSource;
  /** Parameters (not buffers), each storage region counted once. */
  totalParameters: number;
  metadata: Record<string, unknown>;
  /** See ReaderResult.metadataTypes and ReaderResult.container. */
  metadataTypes?: Record<string, string>;
  container?: Record<string, string | number>;
  warnings: string[];
  /** See ReaderResult.notes. */
  notes: string[];
}
