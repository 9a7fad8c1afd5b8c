import type { BlockDType } from '../../core/dtypes';
import { ggmlType, ggmlTypeIdByName } from './blockTypes';
import { dequantizeMXFP4, dequantizeNVFP4 } from './fp4Quants';
import {
  dequantizeIQ1_M,
  dequantizeIQ1_S,
  dequantizeIQ2_S,
  dequantizeIQ2_XS,
  dequantizeIQ2_XXS,
  dequantizeIQ3_S,
  dequantizeIQ3_XXS,
  dequantizeIQ4_NL,
  dequantizeIQ4_XS,
} from './iQuants';
import { dequantizeQ2_K, dequantizeQ3_K, dequantizeQ4_K, dequantizeQ5_K, dequantizeQ6_K, dequantizeQ8_K } from './kQuants';
import { dequantizeQ1_0, dequantizeQ2_0, dequantizeQ4_0, dequantizeQ4_1, dequantizeQ5_0, dequantizeQ5_1, dequantizeQ8_0, dequantizeQ8_1 } from './legacyQuants';
import { convertBF16, convertF16, convertF32, convertF64, convertI16, convertI32, convertI64, convertI8 } from './plainTypes';
import { dequantizeTQ1_0, dequantizeTQ2_0 } from './ternaryQuants';

/**
 * Decodes `blockCount` whole blocks from `src[srcOffset…]` into `out[outOffset…]`, unchecked.
 * For plain types a block is one element.
 */
export type BlockKernel = (src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number) => void;

/** The kernel for each ggml type id (undefined: unknown or removed id). */
const KERNELS: ReadonlyArray<BlockKernel | undefined> = (() => {
  const k: Array<BlockKernel | undefined> = [];
  k[0] = convertF32;
  k[1] = convertF16;
  k[2] = dequantizeQ4_0;
  k[3] = dequantizeQ4_1;
  k[6] = dequantizeQ5_0;
  k[7] = dequantizeQ5_1;
  k[8] = dequantizeQ8_0;
  k[9] = dequantizeQ8_1;
  k[10] = dequantizeQ2_K;
  k[11] = dequantizeQ3_K;
  k[12] = dequantizeQ4_K;
  k[13] = dequantizeQ5_K;
  k[14] = dequantizeQ6_K;
  k[15] = dequantizeQ8_K;
  k[16] = dequantizeIQ2_XXS;
  k[17] = dequantizeIQ2_XS;
  k[18] = dequantizeIQ3_XXS;
  k[19] = dequantizeIQ1_S;
  k[20] = dequantizeIQ4_NL;
  k[21] = dequantizeIQ3_S;
  k[22] = dequantizeIQ2_S;
  k[23] = dequantizeIQ4_XS;
  k[24] = convertI8;
  k[25] = convertI16;
  k[26] = convertI32;
  k[27] = convertI64;
  k[28] = convertF64;
  k[29] = dequantizeIQ1_M;
  k[30] = convertBF16;
  k[34] = dequantizeTQ1_0;
  k[35] = dequantizeTQ2_0;
  k[39] = dequantizeMXFP4;
  k[40] = dequantizeNVFP4;
  k[41] = dequantizeQ1_0;
  k[42] = dequantizeQ2_0;
  return k;
})();

function checkIndex(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} ${value} is not a non-negative integer`);
}

/**
 * Decodes `blockCount` whole blocks of ggml type `typeId`, stored from byte `srcOffset` of `src`,
 * into float32 values at `out[outOffset…]` (blockCount·blockSize of them), exactly as ggml's
 * `to_float` computes them. Meant to be called on block ranges of a tensor as its bytes stream in.
 *
 * Throws a RangeError for an unknown type id, negative or fractional arguments, or when the
 * blocks would read past the end of `src` or write past the end of `out`; nothing is read or
 * written then.
 */
export function dequantizeBlocks(typeId: number, src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  const t = ggmlType(typeId);
  const kernel = KERNELS[typeId];
  if (!kernel) throw new RangeError(`No decoder for ggml type ${t.name}`);
  checkIndex('srcOffset', srcOffset);
  checkIndex('blockCount', blockCount);
  checkIndex('outOffset', outOffset);
  const bytes = blockCount * t.bytesPerBlock;
  if (srcOffset + bytes > src.length) {
    throw new RangeError(`${blockCount} ${t.name} blocks (${bytes} bytes) from byte ${srcOffset} run past the end of a ${src.length}-byte buffer`);
  }
  const values = blockCount * t.blockSize;
  if (outOffset + values > out.length) {
    throw new RangeError(`${blockCount} ${t.name} blocks (${values} values) from index ${outOffset} do not fit an output of ${out.length} values`);
  }
  if (blockCount > 0) kernel(src, srcOffset, blockCount, out, outOffset);
}

/** True when `dequantizeBlocks` can decode ggml type `typeId`. */
export function canDequantize(typeId: number): boolean {
  return Number.isInteger(typeId) && KERNELS[typeId] !== undefined;
}

/** `dequantizeBlocks` by our dtype name (core's BLOCK_LAYOUT names are ggml's). */
export function dequantizeBlocksOf(dtype: BlockDType, src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  const id = ggmlTypeIdByName(dtype);
  if (id === undefined) throw new RangeError(`No ggml type named ${dtype}`);
  dequantizeBlocks(id, src, srcOffset, blockCount, out, outOffset);
}
