/**
 * float32 values of the small scale formats ggml blocks carry, built once at load so the kernels
 * only index arrays. Each entry equals ggml's conversion bit for bit (ggml `src/ggml-impl.h`:
 * `ggml_compute_fp16_to_fp32`, `ggml_e8m0_to_fp32_half`, `ggml_ue4m3_to_fp32`).
 */

function fromBits(bits: Uint32Array): Float32Array {
  return new Float32Array(bits.buffer, bits.byteOffset, bits.length);
}

/**
 * Bit patterns of IEEE binary16 → binary32 for all 65,536 halves (256 KiB). Every half is exact in
 * binary32. ggml's portable conversion scales NaNs by a power of two, which on x86 (and Arm) sets the
 * quiet bit, so a signalling-NaN half comes out as a quiet NaN with the same payload.
 */
export const FP16_BITS: Uint32Array = (() => {
  const bits = new Uint32Array(65536);
  const scratch = new Float32Array(1);
  const scratchBits = new Uint32Array(scratch.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    let magnitude: number;
    if (exp === 0) {
      scratch[0] = mant * 2 ** -24; // subnormal half: exact in binary32 (normal there)
      magnitude = scratchBits[0];
    } else if (exp === 0x1f) {
      magnitude = mant === 0 ? 0x7f800000 : 0x7fc00000 | (mant << 13);
    } else {
      magnitude = ((exp + 112) << 23) | (mant << 13);
    }
    bits[h] = (sign | magnitude) >>> 0;
  }
  return bits;
})();

/** float32 value of every binary16 pattern, indexed by the little-endian uint16. */
export const FP16_TO_F32: Float32Array = fromBits(FP16_BITS);

/**
 * Half of the E8M0 power of two 2^(e−127), as MXFP4 uses it (its E2M1 table is doubled).
 * e = 0 and 1 give the binary32 subnormals 2^−128 and 2^−127; e = 255 gives 2^127 (no NaN).
 */
export const E8M0_HALF_TO_F32: Float32Array = (() => {
  const bits = new Uint32Array(256);
  for (let e = 0; e < 256; e++) bits[e] = e < 2 ? 0x00200000 << e : (e - 1) << 23;
  return fromBits(bits);
})();

/**
 * Half the value of an unsigned E4M3 scale byte (bias 7, 3 mantissa bits), as NVFP4 uses it.
 * ggml ignores the top bit except that 0x00 and 0x7F mean zero (0x80 is zero as a subnormal);
 * there is no NaN.
 */
export const UE4M3_HALF_TO_F32: Float32Array = (() => {
  const table = new Float32Array(256);
  for (let x = 0; x < 256; x++) {
    if (x === 0 || x === 0x7f) continue;
    const exp = (x >> 3) & 0xf;
    const man = x & 7;
    const raw = exp === 0 ? man * 2 ** -9 : (1 + man / 8) * 2 ** (exp - 7);
    table[x] = raw * 0.5; // exact: at most 4 significant bits, far from the subnormal range
  }
  return table;
})();
