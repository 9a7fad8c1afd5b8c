import { FP16_TO_F32 } from './scaleTables';

/**
 * The K-quants: super-blocks of 256 values split into 16 or 8 sub-blocks whose scales (and mins)
 * are themselves quantized against fp16 super-block scales. Decoding follows ggml's
 * `dequantize_row_q{2..6}_K` / `dequantize_row_q8_K` (`src/ggml-quants.c`) in the same order of
 * float operations: the sub-block scale products are rounded to float32 first, then each value is
 * `scale·q` (rounded) minus the sub-block min, rounded when stored. ggml's reference build does not
 * contract these into fused multiply-adds (ggml-base gets no -march/-mfma flags on x86-64).
 *
 * Unchecked kernels; call them through `dequantizeBlocks`.
 */

const fround = Math.fround;

/** Q2_K: 16 sub-blocks of 16; byte k of `scales` holds sub-block k's 4-bit scale (low) and min (high). */
export function dequantizeQ2_K(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 84) {
    const d = FP16_TO_F32[src[p + 80] | (src[p + 81] << 8)];
    const dmin = FP16_TO_F32[src[p + 82] | (src[p + 83] << 8)];
    let is = p;
    for (let half = 0; half < 2; half++) {
      const q = p + 16 + 32 * half;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 32; part += 16) {
          const sc = src[is++];
          const dl = fround(d * (sc & 0xf));
          const ml = fround(dmin * (sc >> 4));
          for (let l = 0; l < 16; l++) out[o++] = fround(dl * ((src[q + part + l] >> shift) & 3)) - ml;
        }
      }
    }
  }
}

/**
 * Unpacked Q3_K sub-block scales (6 bits each, before the −32 offset): low nibbles from bytes 0–7
 * (sub-blocks 0–7 low, 8–15 high nibble), the top two bits from bytes 8–11.
 */
const q3Scales = new Int32Array(16);

/** Q3_K: 16 sub-blocks of 16; x = dl·(q − 4·[high bit clear]), dl = d·(scale − 32). */
export function dequantizeQ3_K(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  const scales = q3Scales;
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 110) {
    const dAll = FP16_TO_F32[src[p + 108] | (src[p + 109] << 8)];
    const sp = p + 96;
    for (let k = 0; k < 16; k++) {
      const low = k < 8 ? src[sp + k] & 0xf : src[sp + k - 8] >> 4;
      const high = (src[sp + 8 + (k & 3)] >> (2 * (k >> 2))) & 3;
      scales[k] = (low | (high << 4)) - 32;
    }
    let is = 0;
    for (let half = 0; half < 2; half++) {
      const q = p + 32 + 32 * half;
      for (let shift = 0; shift < 8; shift += 2) {
        const bit = 4 * half + (shift >> 1); // this run's bit of the high-bit mask bytes
        for (let part = 0; part < 32; part += 16) {
          const dl = fround(dAll * scales[is++]);
          for (let l = 0; l < 16; l++) {
            // A clear high bit subtracts 4 (branch-free: the bits are random in real weights).
            out[o++] = dl * (((src[q + part + l] >> shift) & 3) - ((~src[p + part + l] >> bit) & 1) * 4);
          }
        }
      }
    }
  }
}

/**
 * Q4_K / Q5_K sub-block scale and min (6 bits each) for sub-block j of 8 from the 12 scale bytes
 * at `s`, returned as scale | min << 8 (ggml's get_scale_min_k4).
 */
function scaleMinK4(src: Uint8Array, s: number, j: number): number {
  if (j < 4) return (src[s + j] & 63) | ((src[s + j + 4] & 63) << 8);
  const sc = (src[s + j + 4] & 0xf) | ((src[s + j - 4] >> 6) << 4);
  const mn = (src[s + j + 4] >> 4) | ((src[s + j] >> 6) << 4);
  return sc | (mn << 8);
}

/** Q4_K: 8 sub-blocks of 32; x = d·sc·q − dmin·m, 32 low nibbles then 32 high nibbles per 32 bytes. */
export function dequantizeQ4_K(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 144) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    const dmin = FP16_TO_F32[src[p + 2] | (src[p + 3] << 8)];
    for (let j = 0; j < 4; j++) {
      const sm1 = scaleMinK4(src, p + 4, 2 * j);
      const sm2 = scaleMinK4(src, p + 4, 2 * j + 1);
      const d1 = fround(d * (sm1 & 0xff));
      const m1 = fround(dmin * (sm1 >> 8));
      const d2 = fround(d * (sm2 & 0xff));
      const m2 = fround(dmin * (sm2 >> 8));
      const q = p + 16 + 32 * j;
      for (let l = 0; l < 32; l++) out[o + l] = fround(d1 * (src[q + l] & 0xf)) - m1;
      for (let l = 0; l < 32; l++) out[o + 32 + l] = fround(d2 * (src[q + l] >> 4)) - m2;
      o += 64;
    }
  }
}

/** Q5_K: Q4_K plus a fifth bit per value from 32 `qh` bytes (bit 2j and 2j+1 for the j-th 64 values). */
export function dequantizeQ5_K(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 176) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    const dmin = FP16_TO_F32[src[p + 2] | (src[p + 3] << 8)];
    const qh = p + 16;
    for (let j = 0; j < 4; j++) {
      const sm1 = scaleMinK4(src, p + 4, 2 * j);
      const sm2 = scaleMinK4(src, p + 4, 2 * j + 1);
      const d1 = fround(d * (sm1 & 0xff));
      const m1 = fround(dmin * (sm1 >> 8));
      const d2 = fround(d * (sm2 & 0xff));
      const m2 = fround(dmin * (sm2 >> 8));
      const b1 = 2 * j; // fifth bits of the low nibbles; b1 + 1 those of the high nibbles
      const ql = p + 48 + 32 * j;
      for (let l = 0; l < 32; l++) out[o + l] = fround(d1 * ((src[ql + l] & 0xf) | (((src[qh + l] >> b1) & 1) << 4))) - m1;
      for (let l = 0; l < 32; l++) out[o + 32 + l] = fround(d2 * ((src[ql + l] >> 4) | (((src[qh + l] >> (b1 + 1)) & 1) << 4))) - m2;
      o += 64;
    }
  }
}

/** Q6_K: 16 sub-blocks of 16 with int8 scales; x = (d·sc)·(q − 32), q from 4 low + 2 high bits. */
export function dequantizeQ6_K(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 210) {
    const d = FP16_TO_F32[src[p + 208] | (src[p + 209] << 8)];
    for (let half = 0; half < 2; half++) {
      const ql = p + 64 * half;
      const qh = p + 128 + 32 * half;
      const sc = p + 192 + 8 * half;
      for (let is = 0; is < 2; is++) {
        const s0 = fround(d * ((src[sc + is] << 24) >> 24));
        const s2 = fround(d * ((src[sc + is + 2] << 24) >> 24));
        const s4 = fround(d * ((src[sc + is + 4] << 24) >> 24));
        const s6 = fround(d * ((src[sc + is + 6] << 24) >> 24));
        for (let l = 16 * is, end = l + 16; l < end; l++) {
          const h = src[qh + l];
          const lo = src[ql + l];
          const hi = src[ql + l + 32];
          out[o + l] = s0 * (((lo & 0xf) | ((h & 3) << 4)) - 32);
          out[o + l + 32] = s2 * (((hi & 0xf) | (((h >> 2) & 3) << 4)) - 32);
          out[o + l + 64] = s4 * (((lo >> 4) | (((h >> 4) & 3) << 4)) - 32);
          out[o + l + 96] = s6 * (((hi >> 4) | ((h >> 6) << 4)) - 32);
        }
      }
      o += 128;
    }
  }
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/**
 * Q8_K: x = d·q with a float32 d. ggml uses this only for intermediate results (its type traits
 * give it no `to_float`), but `dequantize_row_q8_K` defines the reading.
 */
export function dequantizeQ8_K(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 292, o += 256) {
    u32Scratch[0] = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24);
    const d = f32Scratch[0];
    for (let j = 0; j < 256; j++) out[o + j] = d * ((src[p + 4 + j] << 24) >> 24);
  }
}
