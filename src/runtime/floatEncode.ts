import type { ElementDType } from '../core/dtypes';
import { FLOAT8_E4M3FN_VALUES, FLOAT8_E4M3FNUZ_VALUES, FLOAT8_E5M2_VALUES, FLOAT8_E5M2FNUZ_VALUES } from './floatTables';

/**
 * Casts between floating element types as torch's `Tensor.to()` does on the CPU (PyTorch 1.13,
 * c10/util/Half.h `fp16_ieee_from_fp32_value`, c10/util/BFloat16.h `round_to_nearest_even`),
 * checked bit for bit against torch by test/fixtures/check_safetensors.py:
 * - every source value goes through binary32 first: torch's `Half(float)` and `BFloat16(float)`
 *   constructors take a float, so a float64 is rounded to float32 and then to 16 bits (double
 *   rounding, as torch does);
 * - to float16: round to nearest, ties to even, subnormals kept, overflow to ±inf; a NaN becomes
 *   the quiet NaN 0x7E00 with its sign;
 * - to bfloat16: round to nearest, ties to even on the binary32 bits; a NaN becomes 0xFFFF from
 *   float32 (torch's vectorized float→bfloat16 copy, ATen/cpu/vec `cvtfp32_bf16`, the path x86
 *   builds take) and 0x7FC0 from the other dtypes (their copies go through the scalar
 *   `round_to_nearest_even`) — both measured on torch 1.13 by the fixtures' `casts` tensors;
 * - to float32: IEEE round to nearest even (float64 sources), NaNs keep sign and top payload bits.
 * Integer and bool tensors are never cast (the planner keeps their dtype).
 */

/** Source dtypes whose elements `toFloat32Bits` reads (block types are dequantized to float32 before). */
export type CastSource = 'float64' | 'float32' | 'float16' | 'bfloat16' | 'float8_e4m3fn' | 'float8_e5m2' | 'float8_e4m3fnuz' | 'float8_e5m2fnuz';
/** What a cast writes. */
export type CastTarget = 'float32' | 'float16' | 'bfloat16';

export function isCastSource(d: ElementDType): d is CastSource {
  return d === 'float64' || d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float8_e4m3fn' || d === 'float8_e5m2' || d === 'float8_e4m3fnuz' || d === 'float8_e5m2fnuz';
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float16 bits → binary32 bits, exactly (every half is a float); a NaN keeps sign and payload and is quietened, as torch's half→float. */
export function float16ToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant !== 0 ? 0x400000 : 0) | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp - 15 + 127) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal: normalise.
  let e = -14;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | ((e + 127) << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** A double (its two 32-bit halves and its value) → binary32 bits as C's `(float)d`: round to nearest even; a NaN keeps its sign and top payload bits, quietened. */
export function float64ToFloat32Bits(hi: number, lo: number, value: number): number {
  const exp = (hi >>> 20) & 0x7ff;
  const mantHi = hi & 0xfffff;
  if (exp === 0x7ff && (mantHi !== 0 || lo !== 0)) {
    // x86's cvtsd2ss: sign, quiet bit, and the payload's top 22 bits.
    return ((hi & 0x80000000) | 0x7fc00000 | (((mantHi << 3) | (lo >>> 29)) & 0x3fffff)) >>> 0;
  }
  f32[0] = value; // IEEE round to nearest even
  return u32[0]!;
}

/** binary32 bits → float16 bits: round to nearest even; NaN → sign | 0x7E00 (fp16_ieee_from_fp32_value). */
export function float32BitsToFloat16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | (mant !== 0 ? 0x7e00 : 0x7c00);
  u32[0] = bits & 0x7fffffff;
  const a = f32[0]!; // |x|, exact as a double
  if (a >= 65520) return sign | 0x7c00; // 65504 + half an ulp (16) and above: infinity
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal (1024 rounds up into the smallest normal's bits)
  const e = exp - 127; // a is normal here, so the float32 exponent is its binary exponent
  const n = roundHalfEven((a / 2 ** e - 1) * 1024);
  // n = 1024 carries into the exponent, which the sum does by itself.
  return sign | (((e + 15) << 10) + n);
}

/** binary32 bits → bfloat16 bits as torch's CPU kernels: round to nearest even; a NaN (any sign) → `nan`. */
export function float32BitsToBfloat16(bits: number, nan: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return nan;
  const bias = 0x7fff + ((bits >>> 16) & 1);
  return Math.floor(((bits >>> 0) + bias) / 65536) & 0xffff;
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

const FLOAT8_TABLES = { float8_e4m3fn: FLOAT8_E4M3FN_VALUES, float8_e5m2: FLOAT8_E5M2_VALUES, float8_e4m3fnuz: FLOAT8_E4M3FNUZ_VALUES, float8_e5m2fnuz: FLOAT8_E5M2FNUZ_VALUES } as const;

/** Bytes per element of the cast sources. */
const SOURCE_BYTES: Readonly<Record<CastSource, number>> = { float64: 8, float32: 4, float16: 2, bfloat16: 2, float8_e4m3fn: 1, float8_e5m2: 1, float8_e4m3fnuz: 1, float8_e5m2fnuz: 1 };
const TARGET_BYTES: Readonly<Record<CastTarget, number>> = { float32: 4, float16: 2, bfloat16: 2 };

/** Element i of `src` (little-endian, `from`) as binary32 bits. */
function readerOf(from: CastSource, src: Uint8Array): (i: number) => number {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  switch (from) {
    case 'float64':
      return (i) => float64ToFloat32Bits(view.getUint32(8 * i + 4, true), view.getUint32(8 * i, true), view.getFloat64(8 * i, true));
    case 'float32':
      return (i) => view.getUint32(4 * i, true);
    case 'float16':
      return (i) => float16ToFloat32Bits(view.getUint16(2 * i, true));
    case 'bfloat16':
      return (i) => (view.getUint16(2 * i, true) << 16) >>> 0;
    default: {
      const table = FLOAT8_TABLES[from];
      return (i) => {
        const b = src[i]!;
        const v = table[b]!;
        if (Number.isNaN(v)) return (((b & 0x80) << 24) | 0x7fc00000) >>> 0;
        f32[0] = v; // exact: every float8 value is a float32
        return u32[0]!;
      };
    }
  }
}

/**
 * Casts `count` little-endian elements of `from` in `src` to `to`, written little-endian into
 * `out` from its start; returns the bytes written. `out` must hold `count` elements of `to`.
 */
export function castElements(from: CastSource, to: CastTarget, src: Uint8Array, count: number, out: Uint8Array): number {
  if (src.length < count * SOURCE_BYTES[from]) throw new RangeError(`cast: ${src.length} bytes hold fewer than ${count} elements of ${from}`);
  const bytes = count * TARGET_BYTES[to];
  if (out.length < bytes) throw new RangeError(`cast: an output of ${out.length} bytes cannot hold ${count} elements of ${to}`);
  const read = readerOf(from, src);
  const w = new DataView(out.buffer, out.byteOffset, bytes);
  if (to === 'float32') for (let i = 0; i < count; i++) w.setUint32(4 * i, read(i), true);
  else if (to === 'float16') for (let i = 0; i < count; i++) w.setUint16(2 * i, float32BitsToFloat16(read(i)), true);
  else {
    const nan = from === 'float32' ? 0xffff : 0x7fc0;
    for (let i = 0; i < count; i++) w.setUint16(2 * i, float32BitsToBfloat16(read(i), nan), true);
  }
  return bytes;
}
