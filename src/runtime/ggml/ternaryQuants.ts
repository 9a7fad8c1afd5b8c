import { FP16_TO_F32 } from './scaleTables';

/**
 * Ternary super-blocks of 256 values in {−d, 0, +d} (ggml's TQ1_0 and TQ2_0, after
 * `dequantize_row_tq1_0` / `dequantize_row_tq2_0` in `src/ggml-quants.c`). A zero trit times a
 * negative d gives −0, as in ggml. Unchecked kernels; call them through `dequantizeBlocks`.
 */

/**
 * TQ1_0 packs 5 trits per byte as a base-3 fraction: multiplying the byte by 3^n (mod 256) and
 * taking the top of byte·3 brings trit n to the front. Tabulated for every byte and n < 5.
 */
const TRIT_OF_BYTE: Int8Array = (() => {
  const table = new Int8Array(256 * 5);
  for (let q = 0; q < 256; q++) {
    for (let n = 0, pow = 1; n < 5; n++, pow *= 3) table[q * 5 + n] = (((q * pow) & 0xff) * 3 >> 8) - 1;
  }
  return table;
})();

/**
 * TQ1_0: 48 bytes of 5 trits (the first 32 bytes give values 0–159 as 5 rows of 32, the next 16
 * give 160–239 as 5 rows of 16), then 4 bytes of 4 trits (values 240–255), then fp16 d.
 */
export function dequantizeTQ1_0(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  const trit = TRIT_OF_BYTE;
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 54) {
    const d = FP16_TO_F32[src[p + 52] | (src[p + 53] << 8)];
    for (let n = 0; n < 5; n++) for (let m = 0; m < 32; m++) out[o++] = trit[src[p + m] * 5 + n] * d;
    for (let n = 0; n < 5; n++) for (let m = 32; m < 48; m++) out[o++] = trit[src[p + m] * 5 + n] * d;
    for (let n = 0; n < 4; n++) for (let m = 48; m < 52; m++) out[o++] = trit[src[p + m] * 5 + n] * d;
  }
}

/** TQ2_0: 2-bit codes q with x = (q − 1)·d; each 32-byte row gives 4 runs of 32 values, low bits first. */
export function dequantizeTQ2_0(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 66) {
    const d = FP16_TO_F32[src[p + 64] | (src[p + 65] << 8)];
    for (let row = 0; row < 64; row += 32) {
      for (let shift = 0; shift < 8; shift += 2) {
        for (let m = 0; m < 32; m++) out[o++] = (((src[p + row + m] >> shift) & 3) - 1) * d;
      }
    }
  }
}
