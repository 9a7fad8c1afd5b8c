import type { DType } from '../../core/dtypes';

/**
 * safetensors dtype codes → torch names.
 * Source: huggingface/safetensors, safetensors/src/tensor.rs (`enum Dtype`) and
 * bindings/python/py_src/safetensors/torch.py (`_TYPES`).
 */
export const SAFETENSORS_DTYPES: Readonly<Record<string, DType>> = {
  F64: 'float64', // IEEE double
  F32: 'float32', // IEEE single
  F16: 'float16', // IEEE half
  BF16: 'bfloat16', // brain float
  F8_E4M3: 'float8_e4m3fn', // OCP FP8, finite-only
  F8_E5M2: 'float8_e5m2', // OCP FP8, IEEE-like
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U64: 'uint64',
  U32: 'uint32',
  U16: 'uint16',
  U8: 'uint8',
  BOOL: 'bool', // one byte per element
  C64: 'complex64', // two F32
};
