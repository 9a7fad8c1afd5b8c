import { pow2 } from './exactArithmetic';

/**
 * Lookup tables from the bit pattern of a narrow float to its exact value as a double. Every
 * narrow float is exactly representable in binary64, so a table entry equals torch's `.double()`.
 *
 * Sources: IEEE 754-2008 §3.6 (binary16); Google's bfloat16 (the top half of a binary32);
 * OCP 8-bit Floating Point Specification (OFP8) rev 1.0 §5.1 (E4M3 "fn": bias 7, no infinities,
 * S.1111.111 is NaN; E5M2: bias 15, IEEE-like with infinities); the "fnuz" variants of Graphcore's
 * 8-bit floats as ONNX (docs/docs/Float8.md) and torch (`float8_e4m3fnuz`, `float8_e5m2fnuz`) define
 * them: E4M3 bias 8 and E5M2 bias 16, no infinities, no negative zero, 0x80 the only NaN.
 */
/**
 * Value of a small IEEE-style float: `mantBits` stored mantissa bits, `bias` exponent bias.
 * `topExponent` says what the all-ones exponent means: IEEE inf/NaN, or E4M3FN's finite binade.
 */
function miniFloat(bits: number, expBits: number, mantBits: number, bias: number, topExponent: 'ieee' | 'e4m3fn' | 'fnuz'): number {
  // FNUZ: the pattern of -0 is the NaN; every other pattern, the top binade included, is finite.
  if (topExponent === 'fnuz' && bits === 1 << (expBits + mantBits)) return NaN;
  const sign = (bits >> (expBits + mantBits)) & 1 ? -1 : 1;
  const exp = (bits >> mantBits) & ((1 << expBits) - 1);
  const mant = bits & ((1 << mantBits) - 1);
  const expMax = (1 << expBits) - 1;
  if (exp === expMax && topExponent !== 'fnuz') {
    if (topExponent === 'ieee') return mant === 0 ? sign * Infinity : NaN;
    // E4M3FN: only the all-ones mantissa is NaN; the rest of the top binade holds finite values.
    if (mant === (1 << mantBits) - 1) return NaN;
  }
  if (exp === 0) return sign * mant * pow2(1 - bias - mantBits); // subnormal (and ±0)
  return sign * ((1 << mantBits) + mant) * pow2(exp - bias - mantBits);
}

function buildTable(size: number, valueOf: (bits: number) => number): Float64Array {
  const t = new Float64Array(size);
  for (let i = 0; i < size; i++) t[i] = valueOf(i);
  return t;
}

/** OCP FP8 E4M3FN, indexed by the byte. Small enough to build at load. */
export const FLOAT8_E4M3FN_VALUES: Float64Array = buildTable(256, (b) => miniFloat(b, 4, 3, 7, 'e4m3fn'));

/** OCP FP8 E5M2, indexed by the byte. */
export const FLOAT8_E5M2_VALUES: Float64Array = buildTable(256, (b) => miniFloat(b, 5, 2, 15, 'ieee'));

/** float8_e4m3fnuz (ONNX FLOAT8E4M3FNUZ), indexed by the byte. */
export const FLOAT8_E4M3FNUZ_VALUES: Float64Array = buildTable(256, (b) => miniFloat(b, 4, 3, 8, 'fnuz'));

/** float8_e5m2fnuz (ONNX FLOAT8E5M2FNUZ), indexed by the byte. */
export const FLOAT8_E5M2FNUZ_VALUES: Float64Array = buildTable(256, (b) => miniFloat(b, 5, 2, 16, 'fnuz'));

let float16Values: Float64Array | undefined;
let bfloat16Values: Float64Array | undefined;

/** IEEE binary16 values for all 65,536 patterns (512 KiB), built on first use. */
export function float16Table(): Float64Array {
  float16Values ??= buildTable(65536, (b) => miniFloat(b, 5, 10, 15, 'ieee'));
  return float16Values;
}

/** bfloat16 values for all 65,536 patterns, built on first use by widening through a binary32. */
export function bfloat16Table(): Float64Array {
  if (!bfloat16Values) {
    const wide = new Uint32Array(65536);
    for (let i = 0; i < 65536; i++) wide[i] = i << 16; // bf16 is the high half of a binary32
    bfloat16Values = Float64Array.from(new Float32Array(wide.buffer));
  }
  return bfloat16Values;
}

/** Exact value of one float16 bit pattern. */
export function float16ToNumber(bits: number): number {
  return float16Table()[bits & 0xffff];
}

/** Exact value of one bfloat16 bit pattern. */
export function bfloat16ToNumber(bits: number): number {
  return bfloat16Table()[bits & 0xffff];
}

/** Exact value of one float8_e4m3fn byte. */
export function float8e4m3fnToNumber(bits: number): number {
  return FLOAT8_E4M3FN_VALUES[bits & 0xff];
}

/** Exact value of one float8_e5m2 byte. */
export function float8e5m2ToNumber(bits: number): number {
  return FLOAT8_E5M2_VALUES[bits & 0xff];
}
