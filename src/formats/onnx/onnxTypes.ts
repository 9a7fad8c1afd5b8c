import type { ElementDType } from '../../core/dtypes';

/** How a type's values may be stored in a TensorProto besides `raw_data`. */
export type TypedField =
  /** `float_data` (4) or `double_data` (10): packed little-endian IEEE values, `per` per element. */
  | { field: 4 | 10; kind: 'fixed'; per: 1 | 2 }
  /** `int32_data` (5), `int64_data` (7), `uint64_data` (11): one packed varint per element, its low `width` bytes the element. */
  | { field: 5 | 7 | 11; kind: 'varint'; width: 1 | 2 | 4 | 8 }
  /** No typed field can hold this type in a form we locate (4-bit pairs in `int32_data`). */
  | null;

export interface OnnxType {
  /** onnx.proto's name (`FLOAT8E4M3FN`). */
  name: string;
  /** The dtype the index shows (for 4-bit types: what each element decodes to). */
  dtype: ElementDType;
  /** 4-bit types: two elements per byte, decoded through a `nibbles` encoding. */
  nibbles?: 'int4' | 'uint4' | 'float4_e2m1';
  typed: TypedField;
}

/** TensorProto.DataType codes of types that are text, not numbers: listed in the metadata. */
export const ONNX_STRING = 8;

/**
 * TensorProto.DataType as onnx.proto (onnx 1.23, IR version 13) numbers it, with the typed field
 * each type's values go in when not in `raw_data` (onnx.proto's comments on `int32_data` & co.).
 * 8 (STRING) is handled apart; 24 and up (FLOAT8E8M0, UINT2, INT2, FLOAT6E2M3, FLOAT6E3M2, and
 * whatever comes next) have no dtype here yet: their tensors are left out with a warning.
 */
export const ONNX_TYPES: Readonly<Record<number, OnnxType>> = {
  1: { name: 'FLOAT', dtype: 'float32', typed: { field: 4, kind: 'fixed', per: 1 } }, // IEEE binary32
  2: { name: 'UINT8', dtype: 'uint8', typed: { field: 5, kind: 'varint', width: 1 } },
  3: { name: 'INT8', dtype: 'int8', typed: { field: 5, kind: 'varint', width: 1 } }, // sign-extended varint: its low byte
  4: { name: 'UINT16', dtype: 'uint16', typed: { field: 5, kind: 'varint', width: 2 } },
  5: { name: 'INT16', dtype: 'int16', typed: { field: 5, kind: 'varint', width: 2 } },
  6: { name: 'INT32', dtype: 'int32', typed: { field: 5, kind: 'varint', width: 4 } },
  7: { name: 'INT64', dtype: 'int64', typed: { field: 7, kind: 'varint', width: 8 } },
  9: { name: 'BOOL', dtype: 'bool', typed: { field: 5, kind: 'varint', width: 1 } }, // one byte, 0 or 1
  10: { name: 'FLOAT16', dtype: 'float16', typed: { field: 5, kind: 'varint', width: 2 } }, // bit pattern in int32_data
  11: { name: 'DOUBLE', dtype: 'float64', typed: { field: 10, kind: 'fixed', per: 1 } }, // IEEE binary64
  12: { name: 'UINT32', dtype: 'uint32', typed: { field: 11, kind: 'varint', width: 4 } },
  13: { name: 'UINT64', dtype: 'uint64', typed: { field: 11, kind: 'varint', width: 8 } },
  14: { name: 'COMPLEX64', dtype: 'complex64', typed: { field: 4, kind: 'fixed', per: 2 } }, // real, imaginary float32
  15: { name: 'COMPLEX128', dtype: 'complex128', typed: { field: 10, kind: 'fixed', per: 2 } }, // real, imaginary float64
  16: { name: 'BFLOAT16', dtype: 'bfloat16', typed: { field: 5, kind: 'varint', width: 2 } }, // bit pattern
  17: { name: 'FLOAT8E4M3FN', dtype: 'float8_e4m3fn', typed: { field: 5, kind: 'varint', width: 1 } }, // OCP E4M3
  18: { name: 'FLOAT8E4M3FNUZ', dtype: 'float8_e4m3fnuz', typed: { field: 5, kind: 'varint', width: 1 } }, // bias 8, 0x80 NaN
  19: { name: 'FLOAT8E5M2', dtype: 'float8_e5m2', typed: { field: 5, kind: 'varint', width: 1 } }, // OCP E5M2
  20: { name: 'FLOAT8E5M2FNUZ', dtype: 'float8_e5m2fnuz', typed: { field: 5, kind: 'varint', width: 1 } }, // bias 16, 0x80 NaN
  21: { name: 'UINT4', dtype: 'uint8', nibbles: 'uint4', typed: null }, // 0..15, two per byte, first in the low nibble
  22: { name: 'INT4', dtype: 'int8', nibbles: 'int4', typed: null }, // -8..7 two's complement, two per byte
  23: { name: 'FLOAT4E2M1', dtype: 'float32', nibbles: 'float4_e2m1', typed: null }, // OCP MX E2M1, two per byte
};

/** onnx.proto's name of a type code, or the number (for the messages about types we lack). */
export function onnxTypeName(code: number): string {
  if (code === ONNX_STRING) return 'STRING';
  return ONNX_TYPES[code]?.name ?? String(code);
}

/** Names of the types above 23 that onnx.proto defines today: for clearer warnings. */
export const NEWER_TYPE_NAMES: Readonly<Record<number, string>> = { 24: 'FLOAT8E8M0', 25: 'UINT2', 26: 'INT2', 27: 'FLOAT6E2M3', 28: 'FLOAT6E3M2' };
