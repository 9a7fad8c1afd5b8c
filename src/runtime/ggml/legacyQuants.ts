import { FP16_TO_F32 } from './scaleTables';

/**
 * ggml's original block types: one fp16 scale (and for the `_1` types an fp16 offset) per block of
 * 32 (Q1_0: 128, Q2_0: 64) values. Decoding follows ggml's `dequantize_row_*` in
 * `src/ggml-quants.c` operation for operation, so the float32 results match ggml bit for bit: an
 * integer times a float32 is exact in a double and rounds once when stored into the Float32Array,
 * and every intermediate that C rounds to float is rounded with Math.fround.
 *
 * Every kernel here is unchecked: `src` must hold `blockCount` whole blocks from `srcOffset` and
 * `out` room for their values from `outOffset`. Call them through `dequantizeBlocks`.
 */

/** Q4_0: x = (q − 8)·d, low nibbles are the first 16 values, high nibbles the last 16. */
export function dequantizeQ4_0(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 18, o += 32) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    for (let j = 0; j < 16; j++) {
      const q = src[p + 2 + j];
      out[o + j] = ((q & 0xf) - 8) * d;
      out[o + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

/**
 * A Q4_1 / Q5_1 block whose offset m is a NaN. C's `q*d + m` on x86 returns the first NaN operand:
 * q·d when that is a NaN (d NaN, or 0·inf), else m. JavaScript engines may evaluate a commutative
 * `+` with its operands swapped, which would keep m's payload instead, so the choice is explicit.
 */
function nanOffsetBlock(out: Float32Array, o: number, d: number, m: number, code: (j: number) => number): void {
  for (let j = 0; j < 32; j++) {
    const product = Math.fround(code(j) * d);
    out[o + j] = product !== product ? product : m;
  }
}

/** Q4_1: x = q·d + m. */
export function dequantizeQ4_1(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  const fround = Math.fround;
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 20, o += 32) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    const m = FP16_TO_F32[src[p + 2] | (src[p + 3] << 8)];
    if (m !== m) {
      nanOffsetBlock(out, o, d, m, (j) => src[p + 4 + (j & 15)] >> (j & 16 ? 4 : 0) & 0xf);
      continue;
    }
    for (let j = 0; j < 16; j++) {
      const q = src[p + 4 + j];
      out[o + j] = fround((q & 0xf) * d) + m;
      out[o + j + 16] = fround((q >> 4) * d) + m;
    }
  }
}

/** Q5_0: x = (q − 16)·d with the fifth bit of value j in bit j of a little-endian uint32. */
export function dequantizeQ5_0(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 22, o += 32) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    const qh = src[p + 2] | (src[p + 3] << 8) | (src[p + 4] << 16) | (src[p + 5] << 24);
    for (let j = 0; j < 16; j++) {
      const q = src[p + 6 + j];
      out[o + j] = (((q & 0xf) | (((qh >>> j) << 4) & 0x10)) - 16) * d;
      out[o + j + 16] = (((q >> 4) | ((qh >>> (j + 12)) & 0x10)) - 16) * d;
    }
  }
}

/** Q5_1: x = q·d + m with Q5_0's fifth bits. */
export function dequantizeQ5_1(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  const fround = Math.fround;
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 24, o += 32) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    const m = FP16_TO_F32[src[p + 2] | (src[p + 3] << 8)];
    const qh = src[p + 4] | (src[p + 5] << 8) | (src[p + 6] << 16) | (src[p + 7] << 24);
    if (m !== m) {
      nanOffsetBlock(out, o, d, m, (j) => ((src[p + 8 + (j & 15)] >> (j & 16 ? 4 : 0)) & 0xf) | (((qh >>> j) << 4) & 0x10));
      continue;
    }
    for (let j = 0; j < 16; j++) {
      const q = src[p + 8 + j];
      out[o + j] = fround(((q & 0xf) | (((qh >>> j) << 4) & 0x10)) * d) + m;
      out[o + j + 16] = fround(((q >> 4) | ((qh >>> (j + 12)) & 0x10)) * d) + m;
    }
  }
}

/** Shared by Q8_0 and Q8_1: 32 int8 times d, the int8s `qsAt` bytes into a `stride`-byte block. */
function int8Blocks(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number, stride: number, qsAt: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += stride, o += 32) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    const qs = p + qsAt;
    for (let j = 0; j < 32; j++) out[o + j] = ((src[qs + j] << 24) >> 24) * d;
  }
}

/** Q8_0: x = q·d, q int8. */
export function dequantizeQ8_0(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  int8Blocks(src, srcOffset, blockCount, out, outOffset, 34, 2);
}

/**
 * Q8_1: x = q·d, as Q8_0; the block's second half (d·Σq, for dot products) is not needed. ggml
 * itself has no `to_float` for Q8_1 (it is an activation format), so this is the natural reading.
 */
export function dequantizeQ8_1(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  int8Blocks(src, srcOffset, blockCount, out, outOffset, 36, 4);
}

/** −d and d of the current Q1_0 block, indexed by the bit (a lookup, not a branch on random bits). */
const q1Values = new Float32Array(2);

/** Q1_0: value j is +d when bit j (little-endian bit order within each byte) is set, else −d. */
export function dequantizeQ1_0(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  const pm = q1Values;
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 18, o += 128) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    pm[0] = -d;
    pm[1] = d;
    for (let i = 0; i < 16; i++) {
      const bits = src[p + 2 + i];
      for (let k = 0; k < 8; k++) out[o + 8 * i + k] = pm[(bits >> k) & 1];
    }
  }
}

/** Q2_0: x = (q − 1)·d, four 2-bit codes per byte from the low bits up. */
export function dequantizeQ2_0(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 18, o += 64) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    for (let i = 0; i < 16; i++) {
      const q = src[p + 2 + i];
      const at = o + 4 * i;
      out[at] = ((q & 3) - 1) * d;
      out[at + 1] = (((q >> 2) & 3) - 1) * d;
      out[at + 2] = (((q >> 4) & 3) - 1) * d;
      out[at + 3] = ((q >> 6) - 1) * d;
    }
  }
}
