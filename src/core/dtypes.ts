/**
 * The dtype table every layer shares. Two kinds of storage:
 * - element types, named as torch spells them without the `torch.` prefix, one fixed size per
 *   element (sources: torch/_tensor_str.py and c10/core/ScalarType.h; the safetensors spec for the
 *   file codes mapped in formats/safetensors);
 * - block types, named as ggml names them (`Q4_K`, `IQ2_XXS`): values stored in blocks of a fixed
 *   number of elements and bytes, decoded a whole block at a time (source: ggml's `type_traits`,
 *   `blck_size` and `type_size`, in ggml/src/ggml.c and the block structs of ggml-common.h).
 * A tensor's bytes are `storageBytes(dtype, count)`, never `count × size` by hand.
 */
export type ElementDType =
  | 'float64' // IEEE binary64
  | 'float32' // IEEE binary32
  | 'float16' // IEEE binary16
  | 'bfloat16' // top 16 bits of binary32
  | 'float8_e4m3fn' // OCP FP8 E4M3, no infinities, NaN = S.1111.111
  | 'float8_e5m2' // OCP FP8 E5M2, IEEE-like
  | 'float8_e4m3fnuz' // E4M3 with bias 8, no infinities, no -0: 0x80 is the only NaN (Graphcore/AMD; ONNX FLOAT8E4M3FNUZ)
  | 'float8_e5m2fnuz' // E5M2 with bias 16, no infinities, no -0: 0x80 is the only NaN (ONNX FLOAT8E5M2FNUZ)
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool' // one byte, 0 or 1
  | 'complex64' // two binary32 (real, imaginary)
  | 'complex128' // two binary64
  | 'qint8' // quantized types: bytes readable, values need scale/zero point
  | 'quint8'
  | 'qint32';

/** Elements per block and bytes per block of each ggml block type. */
export const BLOCK_LAYOUT = {
  Q4_0: { elements: 32, bytes: 18 },
  Q4_1: { elements: 32, bytes: 20 },
  Q5_0: { elements: 32, bytes: 22 },
  Q5_1: { elements: 32, bytes: 24 },
  Q8_0: { elements: 32, bytes: 34 },
  Q8_1: { elements: 32, bytes: 36 },
  Q2_K: { elements: 256, bytes: 84 },
  Q3_K: { elements: 256, bytes: 110 },
  Q4_K: { elements: 256, bytes: 144 },
  Q5_K: { elements: 256, bytes: 176 },
  Q6_K: { elements: 256, bytes: 210 },
  Q8_K: { elements: 256, bytes: 292 },
  IQ2_XXS: { elements: 256, bytes: 66 },
  IQ2_XS: { elements: 256, bytes: 74 },
  IQ3_XXS: { elements: 256, bytes: 98 },
  IQ1_S: { elements: 256, bytes: 50 },
  IQ4_NL: { elements: 32, bytes: 18 },
  IQ3_S: { elements: 256, bytes: 110 },
  IQ2_S: { elements: 256, bytes: 82 },
  IQ4_XS: { elements: 256, bytes: 136 },
  IQ1_M: { elements: 256, bytes: 56 },
  TQ1_0: { elements: 256, bytes: 54 },
  TQ2_0: { elements: 256, bytes: 66 },
  MXFP4: { elements: 32, bytes: 17 },
  NVFP4: { elements: 64, bytes: 36 },
  Q1_0: { elements: 128, bytes: 18 },
  Q2_0: { elements: 64, bytes: 18 },
} as const satisfies Record<string, { elements: number; bytes: number }>;

export type BlockDType = keyof typeof BLOCK_LAYOUT;

/** Every storage type a tensor can have. */
export type DType = ElementDType | BlockDType;

export function isBlockDType(d: DType): d is BlockDType {
  return Object.prototype.hasOwnProperty.call(BLOCK_LAYOUT, d);
}

/** Bytes per element of the element types. */
export const ELEMENT_SIZE: Readonly<Record<ElementDType, number>> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float8_e4m3fn: 1,
  float8_e5m2: 1,
  float8_e4m3fnuz: 1,
  float8_e5m2fnuz: 1,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
  complex64: 8,
  complex128: 16,
  qint8: 1,
  quint8: 1,
  qint32: 4,
};

/** Floating values: the float element types, and block types (they dequantize to float32). */
export function isFloatingDType(d: DType): boolean {
  return isBlockDType(d) || d === 'float64' || d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float8_e4m3fn' || d === 'float8_e5m2' || d === 'float8_e4m3fnuz' || d === 'float8_e5m2fnuz';
}

export function isComplexDType(d: DType): boolean {
  return d === 'complex64' || d === 'complex128';
}

/** Elements and bytes of one block; an element type is a block of one element. */
export function blockLayout(d: DType): { elements: number; bytes: number } {
  return isBlockDType(d) ? BLOCK_LAYOUT[d] : { elements: 1, bytes: ELEMENT_SIZE[d] };
}

/**
 * Bytes that `count` elements of `d` occupy. Block types hold whole blocks only: a count that is not
 * a multiple of the block size is a RangeError (a reader must reject such a tensor).
 */
export function storageBytes(d: DType, count: number): number {
  const { elements, bytes } = blockLayout(d);
  if (count % elements !== 0) throw new RangeError(`${count} elements of ${d} are not whole blocks of ${elements}`);
  return (count / elements) * bytes;
}

/** Bytes per element of an element type; block types have none (they decode a block at a time). */
export function elementBytes(d: DType): number {
  if (isBlockDType(d)) throw new TypeError(`${d} is stored in blocks of ${BLOCK_LAYOUT[d].elements}: its elements have no byte size`);
  return ELEMENT_SIZE[d];
}

/** Stored bits per element (`4.5` for Q4_K: 144 bytes per 256 elements). */
export function bitsPerElement(d: DType): number {
  const { elements, bytes } = blockLayout(d);
  return (bytes * 8) / elements;
}
