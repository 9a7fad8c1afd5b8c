import { FP16_BITS } from './scaleTables';

/**
 * ggml's unblocked types read as float32, for completeness of the dispatch table (the runtime
 * decodes them elsewhere, in their own precision). F16 and BF16 widen exactly, bit patterns
 * included (ggml's `ggml_fp16_to_fp32_row` / `ggml_bf16_to_fp32_row`); F64 and the integers round
 * to nearest float32, as a C cast does. Unchecked kernels; call them through `dequantizeBlocks`.
 */

/** A Uint32 view of `out` for bit-exact copies (keeps NaN payloads that a float round trip might not). */
function bitsOf(out: Float32Array): Uint32Array {
  return new Uint32Array(out.buffer, out.byteOffset, out.length);
}

export function convertF32(src: Uint8Array, srcOffset: number, count: number, out: Float32Array, outOffset: number): void {
  const bits = bitsOf(out);
  for (let i = 0, p = srcOffset; i < count; i++, p += 4) bits[outOffset + i] = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24);
}

export function convertF16(src: Uint8Array, srcOffset: number, count: number, out: Float32Array, outOffset: number): void {
  const bits = bitsOf(out);
  for (let i = 0, p = srcOffset; i < count; i++, p += 2) bits[outOffset + i] = FP16_BITS[src[p] | (src[p + 1] << 8)];
}

export function convertBF16(src: Uint8Array, srcOffset: number, count: number, out: Float32Array, outOffset: number): void {
  const bits = bitsOf(out);
  for (let i = 0, p = srcOffset; i < count; i++, p += 2) bits[outOffset + i] = (src[p] << 16) | (src[p + 1] << 24);
}

const f64Scratch = new Float64Array(1);
const f64Bytes = new Uint8Array(f64Scratch.buffer);

export function convertF64(src: Uint8Array, srcOffset: number, count: number, out: Float32Array, outOffset: number): void {
  for (let i = 0, p = srcOffset; i < count; i++, p += 8) {
    for (let k = 0; k < 8; k++) f64Bytes[k] = src[p + k];
    out[outOffset + i] = f64Scratch[0];
  }
}

export function convertI8(src: Uint8Array, srcOffset: number, count: number, out: Float32Array, outOffset: number): void {
  for (let i = 0; i < count; i++) out[outOffset + i] = (src[srcOffset + i] << 24) >> 24;
}

export function convertI16(src: Uint8Array, srcOffset: number, count: number, out: Float32Array, outOffset: number): void {
  for (let i = 0, p = srcOffset; i < count; i++, p += 2) out[outOffset + i] = ((src[p] | (src[p + 1] << 8)) << 16) >> 16;
}

export function convertI32(src: Uint8Array, srcOffset: number, count: number, out: Float32Array, outOffset: number): void {
  for (let i = 0, p = srcOffset; i < count; i++, p += 4) out[outOffset + i] = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24);
}

/**
 * int64 → float32 rounded once. Below 2^53 in magnitude the double hi·2^32 + lo is exact; above,
 * bits under 2^27 cannot reach float32's rounding position (ulp ≥ 2^30), so they collapse into one
 * sticky bit at 2^26 and the double stays exact, keeping ties and near-ties on the correct side.
 */
export function convertI64(src: Uint8Array, srcOffset: number, count: number, out: Float32Array, outOffset: number): void {
  for (let i = 0, p = srcOffset; i < count; i++, p += 8) {
    let lo = (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24)) >>> 0;
    const hi = src[p + 4] | (src[p + 5] << 8) | (src[p + 6] << 16) | (src[p + 7] << 24);
    if (hi >= 0x200000 || hi < -0x200000) lo = ((lo & 0xf8000000) >>> 0) + (lo & 0x07ffffff ? 0x04000000 : 0);
    out[outOffset + i] = hi * 4294967296 + lo;
  }
}
