import { E8M0_TO_FP32_HALF, KVALUES_MXFP4, UE4M3_TO_FP32 } from './ggmlTables';

/**
 * 4-bit float blocks: E2M1 values (ggml tabulates them doubled, as small integers) times a power-of-
 * two E8M0 scale (MXFP4, OCP Microscaling v1.0) or an unsigned E4M3 scale per 16 values (NVFP4),
 * each scale pre-halved to undo the doubling. After `dequantize_row_mxfp4` / `dequantize_row_nvfp4`
 * in ggml's `src/ggml-quants.c`. Unchecked kernels; call them through `dequantizeBlocks`.
 */

/** MXFP4: E8M0 byte, then 16 bytes whose low nibbles are values 0–15 and high nibbles 16–31. */
export function dequantizeMXFP4(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  const kv = KVALUES_MXFP4;
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 17, o += 32) {
    const d = E8M0_TO_FP32_HALF[src[p]];
    for (let j = 0; j < 16; j++) {
      const q = src[p + 1 + j];
      out[o + j] = kv[q & 0xf] * d;
      out[o + j + 16] = kv[q >> 4] * d;
    }
  }
}

/** NVFP4: 4 UE4M3 scales, then per 16 values 8 bytes (low nibbles values 0–7, high nibbles 8–15). */
export function dequantizeNVFP4(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  const kv = KVALUES_MXFP4;
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 36) {
    for (let s = 0; s < 4; s++, o += 16) {
      const d = UE4M3_TO_FP32[src[p + s]];
      const qs = p + 4 + 8 * s;
      for (let j = 0; j < 8; j++) {
        const q = src[qs + j];
        out[o + j] = kv[q & 0xf] * d;
        out[o + j + 8] = kv[q >> 4] * d;
      }
    }
  }
}
