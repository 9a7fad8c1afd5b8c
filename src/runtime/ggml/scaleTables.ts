/**
 * float32 value of every fp16 block scale, built once at load so the kernels only index an array.
 * Each entry equals ggml's `ggml_compute_fp16_to_fp32` (`src/ggml-impl.h`) bit for bit. (The
 * E8M0 and UE4M3 scale tables of MXFP4 / NVFP4 come generated from ggml in `ggmlTables`.)
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
