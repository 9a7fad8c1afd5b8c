import type { DType } from '../../core/dtypes';

/** A storage named by a persistent id: its bytes are located later by the container reader. */
export class StorageRef {
  constructor(
    /** Zip record name under `data/`, or the legacy root key. */
    readonly key: string,
    readonly dtype: DType,
    /** Element count the pickle claims; checked against the real record size. */
    readonly numel: number,
    /** Extra element offset for legacy storage views (`view_metadata`). */
    readonly viewOffset = 0,
  ) {}
}

/** A tensor rebuilt from `_rebuild_tensor_v2` & co.: where its elements sit in a storage. */
export class TensorRef {
  isParameter = false;
  requiresGrad = false;
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly strides: number[],
  ) {}
}

/** A tensor kind we recognise but cannot show (quantized, sparse, meta): kept as a named hole. */
export class UnsupportedTensor {
  constructor(readonly reason: string) {}
}

/**
 * Storage classes in persistent ids map to element types.
 * Source: torch/storage.py (`_LegacyStorage` subclasses) and torch/__init__.py.
 */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  DoubleStorage: 'float64',
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
  UntypedStorage: 'uint8', // bytes; the tensor's dtype comes from elsewhere (rare in files)
};

/**
 * `torch.<dtype>` globals that pickles may name (e.g. in `_rebuild_from_type_v2` state).
 * Source: torch/_C/_VariableFunctions dtype attributes.
 */
export const TORCH_DTYPE_NAMES: Readonly<Record<string, DType>> = {
  float64: 'float64',
  double: 'float64',
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  float8_e4m3fn: 'float8_e4m3fn',
  float8_e5m2: 'float8_e5m2',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
  complex64: 'complex64',
  complex128: 'complex128',
};
