/**
 * Element types, named as torch spells them without the `torch.` prefix.
 * Sources: torch/_tensor_str.py and c10/core/ScalarType.h (names, sizes); the safetensors spec
 * (huggingface/safetensors, `Dtype` enum) for the file codes mapped in formats/safetensors.ts.
 */
export type DType =
  | 'float64' // IEEE binary64
  | 'float32' // IEEE binary32
  | 'float16' // IEEE binary16
  | 'bfloat16' // top 16 bits of binary32
  | 'float8_e4m3fn' // OCP FP8 E4M3, no infinities, NaN = S.1111.111
  | 'float8_e5m2' // OCP FP8 E5M2, IEEE-like
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

/** Bytes per element. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float8_e4m3fn: 1,
  float8_e5m2: 1,
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

export function isFloatingDType(d: DType): boolean {
  return d === 'float64' || d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float8_e4m3fn' || d === 'float8_e5m2';
}

export function isComplexDType(d: DType): boolean {
  return d === 'complex64' || d === 'complex128';
}
