import {
  IQ1S_DELTA,
  IQ1S_GRID,
  IQ2S_GRID,
  IQ2XS_GRID,
  IQ2XXS_GRID,
  IQ3S_GRID,
  IQ3XXS_GRID,
  KSIGNS_IQ2XS,
  KVALUES_IQ4NL,
} from './ggmlTables';
import { FP16_TO_F32 } from './scaleTables';

/**
 * The "i-quants": super-blocks of 256 values whose groups of 8 (or 4) come from fixed lattice grids
 * (ggml's iq2xxs/iq2xs/iq2s/iq3xxs/iq3s/iq1s grids, generated into `ggmlTables`), with separate sign
 * bits, and the non-linear 4-bit codebooks IQ4_NL / IQ4_XS. After `dequantize_row_iq*` in ggml's
 * `src/ggml-quants.c`, with the same float32 rounding order: the block scale first, then
 * scale·grid, then the sign (an exact negation). Bit j of a sign byte flips value j of its group
 * of 8 (ggml's kmask_iq2xs is 1 << j). Unchecked kernels; call them through `dequantizeBlocks`.
 */

const fround = Math.fround;

/**
 * Writes `count` values dl·grid[k] (grid bytes at `g`) with sign bits `signs` to out[o…]. Finite and
 * infinite values take a branch-free product with ±1 (exact; sign bits are random in real weights).
 * A NaN scale takes a negation instead: ggml's compiler turns `x * (s ? -1.f : 1.f)` into a sign
 * flip, so its NaNs change sign too, and V8's unary minus flips the sign bit the same way.
 */
function signedGroup(out: Float32Array, o: number, count: number, dl: number, grid: Uint8Array, g: number, signs: number): void {
  if (dl === dl) {
    for (let k = 0; k < count; k++) out[o + k] = fround(dl * grid[g + k]) * (1 - ((signs >> k) & 1) * 2);
  } else {
    for (let k = 0; k < count; k++) out[o + k] = (signs >> k) & 1 ? -dl : dl;
  }
}

/** IQ2_XXS: per 32 values two uint32: four 8-bit grid indices; four 7-bit sign codes and a 4-bit scale. */
export function dequantizeIQ2_XXS(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 66) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    for (let ib = 0; ib < 8; ib++) {
      const q = p + 2 + 8 * ib;
      const aux1 = (src[q + 4] | (src[q + 5] << 8) | (src[q + 6] << 16) | (src[q + 7] << 24)) >>> 0;
      const db = fround(fround(d * (0.5 + (aux1 >>> 28))) * 0.25);
      for (let l = 0; l < 4; l++, o += 8) signedGroup(out, o, 8, db, IQ2XXS_GRID, 8 * src[q + l], KSIGNS_IQ2XS[(aux1 >>> (7 * l)) & 127]);
    }
  }
}

/** IQ2_XS: 32 uint16 (9-bit grid index, 7-bit sign code), then 8 bytes of two 4-bit scales. */
export function dequantizeIQ2_XS(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 74) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    for (let ib = 0; ib < 8; ib++) {
      const sc = src[p + 66 + ib];
      const db0 = fround(fround(d * (0.5 + (sc & 0xf))) * 0.25);
      const db1 = fround(fround(d * (0.5 + (sc >> 4))) * 0.25);
      for (let l = 0; l < 4; l++, o += 8) {
        const at = p + 2 + 8 * ib + 2 * l;
        const code = src[at] | (src[at + 1] << 8);
        signedGroup(out, o, 8, l < 2 ? db0 : db1, IQ2XS_GRID, 8 * (code & 511), KSIGNS_IQ2XS[code >> 9]);
      }
    }
  }
}

/** IQ2_S: 32 low grid-index bytes, 32 sign bytes, 8 bytes of 2-bit index tops, 8 scale bytes. */
export function dequantizeIQ2_S(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 82) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    for (let ib = 0; ib < 8; ib++) {
      const sc = src[p + 74 + ib];
      const qh = src[p + 66 + ib];
      const db0 = fround(fround(d * (0.5 + (sc & 0xf))) * 0.25);
      const db1 = fround(fround(d * (0.5 + (sc >> 4))) * 0.25);
      const qs = p + 2 + 4 * ib;
      for (let l = 0; l < 4; l++, o += 8) {
        const index = src[qs + l] | ((qh << (8 - 2 * l)) & 0x300);
        signedGroup(out, o, 8, l < 2 ? db0 : db1, IQ2S_GRID, 8 * index, src[qs + 32 + l]);
      }
    }
  }
}

/** IQ3_XXS: 64 grid-index bytes (4 values each), then per 32 values a uint32 of 4 sign codes and a scale. */
export function dequantizeIQ3_XXS(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 98) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    for (let ib = 0; ib < 8; ib++) {
      const a = p + 66 + 4 * ib;
      const aux = (src[a] | (src[a + 1] << 8) | (src[a + 2] << 16) | (src[a + 3] << 24)) >>> 0;
      const db = fround(fround(d * (0.5 + (aux >>> 28))) * 0.5);
      const qs = p + 2 + 8 * ib;
      for (let l = 0; l < 4; l++, o += 8) {
        const signs = KSIGNS_IQ2XS[(aux >>> (7 * l)) & 127];
        signedGroup(out, o, 4, db, IQ3XXS_GRID, 4 * src[qs + 2 * l], signs);
        signedGroup(out, o + 4, 4, db, IQ3XXS_GRID, 4 * src[qs + 2 * l + 1], signs >> 4);
      }
    }
  }
}

/** IQ3_S: 64 low grid-index bytes, 8 bytes of 9th index bits, 32 sign bytes, 4 bytes of two 4-bit scales. */
export function dequantizeIQ3_S(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 110) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    for (let ib = 0; ib < 8; ib++) {
      const sc = src[p + 106 + (ib >> 1)];
      const db = fround(d * (1 + 2 * (ib & 1 ? sc >> 4 : sc & 0xf)));
      const qh = src[p + 66 + ib];
      const qs = p + 2 + 8 * ib;
      const signs = p + 74 + 4 * ib;
      for (let l = 0; l < 4; l++, o += 8) {
        const i1 = src[qs + 2 * l] | ((qh << (8 - 2 * l)) & 256);
        const i2 = src[qs + 2 * l + 1] | ((qh << (7 - 2 * l)) & 256);
        const s = src[signs + l];
        signedGroup(out, o, 4, db, IQ3S_GRID, 4 * i1, s);
        signedGroup(out, o + 4, 4, db, IQ3S_GRID, 4 * i2, s >> 4);
      }
    }
  }
}

/** Writes 8 values dl·(grid[k] + delta); grid + delta is exact in float32. */
function shiftedOctet(out: Float32Array, o: number, dl: number, g: number, delta: number): void {
  const grid = IQ1S_GRID;
  for (let k = 0; k < 8; k++) out[o + k] = dl * (grid[g + k] + delta);
}

/** IQ1_S: 32 low grid-index bytes, then per 32 values a uint16: 3 index bits ×4, 3-bit scale, delta sign. */
export function dequantizeIQ1_S(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 50) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    for (let ib = 0; ib < 8; ib++) {
      const h = src[p + 34 + 2 * ib] | (src[p + 35 + 2 * ib] << 8);
      const dl = fround(d * (2 * ((h >> 12) & 7) + 1));
      const delta = h & 0x8000 ? -IQ1S_DELTA : IQ1S_DELTA;
      const qs = p + 2 + 4 * ib;
      for (let l = 0; l < 4; l++, o += 8) shiftedOctet(out, o, dl, 8 * (src[qs + l] | (((h >> (3 * l)) & 7) << 8)), delta);
    }
  }
}

/**
 * IQ1_M: 32 low grid-index bytes, 16 bytes of (3 index bits + delta sign) nibbles, 4 uint16 of
 * 3-bit scale pairs whose top nibbles together form the fp16 super-block scale.
 */
export function dequantizeIQ1_M(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 56) {
    const s = p + 48;
    const sc0 = src[s] | (src[s + 1] << 8);
    const sc1 = src[s + 2] | (src[s + 3] << 8);
    const sc2 = src[s + 4] | (src[s + 5] << 8);
    const sc3 = src[s + 6] | (src[s + 7] << 8);
    const d = FP16_TO_F32[(sc0 >> 12) | ((sc1 >> 8) & 0x00f0) | ((sc2 >> 4) & 0x0f00) | (sc3 & 0xf000)];
    for (let ib = 0; ib < 8; ib++) {
      const scw = src[s + 2 * (ib >> 1)] | (src[s + 2 * (ib >> 1) + 1] << 8);
      const shift = 6 * (ib & 1);
      const dl1 = fround(d * (2 * ((scw >> shift) & 7) + 1));
      const dl2 = fround(d * (2 * ((scw >> (shift + 3)) & 7) + 1));
      const qs = p + 4 * ib;
      const h0 = src[p + 32 + 2 * ib];
      const h1 = src[p + 33 + 2 * ib];
      shiftedOctet(out, o, dl1, 8 * (src[qs] | ((h0 << 8) & 0x700)), h0 & 0x08 ? -IQ1S_DELTA : IQ1S_DELTA);
      shiftedOctet(out, o + 8, dl1, 8 * (src[qs + 1] | ((h0 << 4) & 0x700)), h0 & 0x80 ? -IQ1S_DELTA : IQ1S_DELTA);
      shiftedOctet(out, o + 16, dl2, 8 * (src[qs + 2] | ((h1 << 8) & 0x700)), h1 & 0x08 ? -IQ1S_DELTA : IQ1S_DELTA);
      shiftedOctet(out, o + 24, dl2, 8 * (src[qs + 3] | ((h1 << 4) & 0x700)), h1 & 0x80 ? -IQ1S_DELTA : IQ1S_DELTA);
      o += 32;
    }
  }
}

/** IQ4_NL: fp16 d, 16 bytes of codebook indices (low nibbles values 0–15, high nibbles 16–31). */
export function dequantizeIQ4_NL(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  const kv = KVALUES_IQ4NL;
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 18, o += 32) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    for (let j = 0; j < 16; j++) {
      const q = src[p + 2 + j];
      out[o + j] = d * kv[q & 0xf];
      out[o + j + 16] = d * kv[q >> 4];
    }
  }
}

/** IQ4_XS: fp16 d, 6-bit sub-block scales (4 low bits in 4 bytes, 2 high bits in a uint16), IQ4_NL nibbles. */
export function dequantizeIQ4_XS(src: Uint8Array, srcOffset: number, blockCount: number, out: Float32Array, outOffset: number): void {
  const kv = KVALUES_IQ4NL;
  for (let b = 0, p = srcOffset, o = outOffset; b < blockCount; b++, p += 136) {
    const d = FP16_TO_F32[src[p] | (src[p + 1] << 8)];
    const scalesH = src[p + 2] | (src[p + 3] << 8);
    for (let ib = 0; ib < 8; ib++, o += 32) {
      const ls = ((src[p + 4 + (ib >> 1)] >> (4 * (ib & 1))) & 0xf) | (((scalesH >> (2 * ib)) & 3) << 4);
      const dl = fround(d * (ls - 32));
      const qs = p + 8 + 16 * ib;
      for (let j = 0; j < 16; j++) {
        const q = src[qs + j];
        out[o + j] = dl * kv[q & 0xf];
        out[o + j + 16] = dl * kv[q >> 4];
      }
    }
  }
}
