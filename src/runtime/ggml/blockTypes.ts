/**
 * The ggml storage types a GGUF tensor may use: the numeric id in the file, ggml's name, and the
 * block layout (elements per block, bytes per block) that fixes how many bytes a tensor occupies.
 *
 * Source: ggml `include/ggml.h` (enum ggml_type), `src/ggml-common.h` (block structs and QK
 * sizes) and `src/ggml.c` (type_traits: blck_size, type_size, is_quantized), ggml-org/ggml at
 * d99724f2 (2026-08-21). Ids 4, 5 and 31–33, 36–38 were removed from ggml and have no entry.
 */

import { BLOCK_LAYOUT, type BlockDType } from '../../core/dtypes';

/** Layout of one ggml storage type. */
export interface GgmlTypeInfo {
  /** The `ggml_type` id stored in a GGUF tensor info. */
  readonly id: number;
  /** ggml's name for the type, upper case as in `GGML_TYPE_<name>` (e.g. `Q4_K`, `IQ2_XXS`). */
  readonly name: string;
  /** Elements per block (1 for plain types). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly bytesPerBlock: number;
  /** True when values are stored in blocks that share scales (ggml's `is_quantized`). */
  readonly blockQuantized: boolean;
}

/** Plain types with their element size; block types take their layout from core's one dtype table (BLOCK_LAYOUT). */
const ROWS: ReadonlyArray<readonly [id: number, name: string, elementSize?: number, bytes?: number]> = [
  [0, 'F32', 1, 4], // IEEE binary32
  [1, 'F16', 1, 2], // IEEE binary16
  [2, 'Q4_0'], // fp16 d + 16 bytes of nibbles
  [3, 'Q4_1'], // fp16 d, fp16 m + 16 bytes of nibbles
  [6, 'Q5_0'], // fp16 d + 4 bytes of 5th bits + 16 bytes of nibbles
  [7, 'Q5_1'], // fp16 d, fp16 m + 4 bytes of 5th bits + 16 bytes of nibbles
  [8, 'Q8_0'], // fp16 d + 32 int8
  [9, 'Q8_1'], // fp16 d, fp16 s (= d·Σq, unused when decoding) + 32 int8
  [10, 'Q2_K'], // 16 scale/min bytes, 64 bytes of 2-bit quants, fp16 d, fp16 dmin
  [11, 'Q3_K'], // 32 bytes high bits, 64 bytes low 2 bits, 12 bytes 6-bit scales, fp16 d
  [12, 'Q4_K'], // fp16 d, fp16 dmin, 12 bytes 6-bit scales/mins, 128 bytes of nibbles
  [13, 'Q5_K'], // as Q4_K plus 32 bytes of 5th bits before the nibbles
  [14, 'Q6_K'], // 128 bytes low nibbles, 64 bytes high 2 bits, 16 int8 scales, fp16 d
  [15, 'Q8_K'], // float32 d, 256 int8, 16 int16 block sums
  [16, 'IQ2_XXS'], // fp16 d + 32 uint16 (grid indices, signs, scales)
  [17, 'IQ2_XS'], // fp16 d + 32 uint16 (9-bit grid index, 7-bit signs) + 8 scale bytes
  [18, 'IQ3_XXS'], // fp16 d + 64 grid bytes + 32 bytes of signs and scales
  [19, 'IQ1_S'], // fp16 d + 32 grid bytes + 8 uint16 (high index bits, scale, delta sign)
  [20, 'IQ4_NL'], // fp16 d + 16 bytes of non-linear nibbles
  [21, 'IQ3_S'], // fp16 d, 64 grid bytes, 8 high bits, 32 sign bytes, 4 scale bytes
  [22, 'IQ2_S'], // fp16 d, 32 grid bytes, 32 sign bytes, 8 high bits, 8 scale bytes
  [23, 'IQ4_XS'], // fp16 d, uint16 high scale bits, 4 low scale bytes, 128 bytes of nibbles
  [24, 'I8', 1, 1], // int8
  [25, 'I16', 1, 2], // int16
  [26, 'I32', 1, 4], // int32
  [27, 'I64', 1, 8], // int64
  [28, 'F64', 1, 8], // IEEE binary64
  [29, 'IQ1_M'], // 32 grid bytes, 16 high-bit bytes, 8 bytes of 3-bit scales (fp16 d spread in their top nibbles)
  [30, 'BF16', 1, 2], // bfloat16 (top half of a binary32)
  [34, 'TQ1_0'], // 48 bytes of 5 trits each, 4 bytes of 4 trits each, fp16 d
  [35, 'TQ2_0'], // 64 bytes of 2-bit trits, fp16 d
  [39, 'MXFP4'], // E8M0 shared exponent + 16 bytes of E2M1 nibbles
  [40, 'NVFP4'], // 4 UE4M3 scales (one per 16 values) + 32 bytes of E2M1 nibbles
  [41, 'Q1_0'], // fp16 d + 16 bytes of sign bits (value ±d)
  [42, 'Q2_0'], // fp16 d + 16 bytes of 2-bit codes (value (q−1)·d)
];

/** One past the highest ggml type id this table knows (ggml's GGML_TYPE_COUNT). */
export const GGML_TYPE_COUNT = 43;

const BY_ID: ReadonlyArray<GgmlTypeInfo | undefined> = (() => {
  const table: Array<GgmlTypeInfo | undefined> = new Array<GgmlTypeInfo | undefined>(GGML_TYPE_COUNT).fill(undefined);
  for (const [id, name, size, bytes] of ROWS) {
    const block = size === undefined ? BLOCK_LAYOUT[name as BlockDType] : undefined;
    table[id] = Object.freeze({ id, name, blockSize: block ? block.elements : size!, bytesPerBlock: block ? block.bytes : bytes!, blockQuantized: block !== undefined });
  }
  return table;
})();

/** Every known ggml type, by ascending id. */
export const GGML_TYPES: readonly GgmlTypeInfo[] = BY_ID.filter((t): t is GgmlTypeInfo => t !== undefined);

/** Layout of ggml type `typeId`, or undefined for an id ggml does not (or no longer) define. */
export function findGgmlType(typeId: number): GgmlTypeInfo | undefined {
  return Number.isInteger(typeId) && typeId >= 0 && typeId < GGML_TYPE_COUNT ? BY_ID[typeId] : undefined;
}

/** Layout of ggml type `typeId`; throws a RangeError for an unknown or removed id. */
export function ggmlType(typeId: number): GgmlTypeInfo {
  const info = findGgmlType(typeId);
  if (!info) throw new RangeError(`Unknown ggml type id ${typeId}`);
  return info;
}

/** ggml type id for a name such as `Q4_K` (case-insensitive), or undefined. */
export function ggmlTypeIdByName(name: string): number | undefined {
  const upper = name.toUpperCase();
  return GGML_TYPES.find((t) => t.name === upper)?.id;
}

/**
 * Bytes that `elementCount` elements of type `typeId` occupy. Throws a RangeError when the count is
 * negative, not an integer, or not a whole number of blocks (ggml stores only whole blocks).
 */
export function storageBytes(typeId: number, elementCount: number): number {
  const t = ggmlType(typeId);
  if (!Number.isSafeInteger(elementCount) || elementCount < 0) throw new RangeError(`Element count ${elementCount} is not a non-negative safe integer`);
  if (elementCount % t.blockSize !== 0) {
    throw new RangeError(`${t.name} stores blocks of ${t.blockSize} elements; ${elementCount} elements is not a whole number of blocks`);
  }
  const bytes = (elementCount / t.blockSize) * t.bytesPerBlock;
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`${elementCount} elements of ${t.name} exceed the safe integer range in bytes`);
  return bytes;
}

/** Storage cost in bits per element: bytesPerBlock·8 / blockSize (4.5 for Q4_K, 8.5 for Q8_0). */
export function bitsPerWeight(typeId: number): number {
  const t = ggmlType(typeId);
  return (t.bytesPerBlock * 8) / t.blockSize;
}
