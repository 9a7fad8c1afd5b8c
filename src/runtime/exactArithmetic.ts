/**
 * Exact binary64 helpers that JavaScript lacks: powers of two built from bits, ldexp, and a
 * correctly rounded fused multiply-add (C's fma). Used where we must reproduce, bit for bit, a
 * value that compiled C++ computed (see histc.ts); not for hot loops.
 */

const bits = new DataView(new ArrayBuffer(8));

/** 2^k for integer k in [-1022, 1023], from its bit pattern so no pow() rounding can creep in. */
export function pow2(k: number): number {
  if (!Number.isInteger(k) || k < -1022 || k > 1023) throw new RangeError(`2^${k} is not a normal double`);
  bits.setUint32(0, (k + 1023) << 20); // high word (DataView is big-endian by default): biased exponent
  bits.setUint32(4, 0);
  return bits.getFloat64(0);
}

/** x·2^k, exact unless the result overflows or is subnormal and loses bits. */
export function ldexp(x: number, k: number): number {
  // Steps of 2^±1000 keep every intermediate a normal double for |x| in the normal range.
  while (k > 1000) {
    x *= pow2(1000);
    k -= 1000;
  }
  while (k < -1000) {
    x *= pow2(-1000);
    k += 1000;
  }
  return x * pow2(k);
}

/** A finite double as an exact integer mantissa and a power of two: x = m·2^e. */
function decompose(x: number): { m: bigint; e: number } {
  bits.setFloat64(0, x);
  const hi = bits.getUint32(0);
  const lo = bits.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased !== 0) m |= 1n << 52n; // implicit leading bit of normal numbers
  if (hi >>> 31) m = -m;
  return { m, e: biased === 0 ? -1074 : biased - 1075 };
}

/** Rounds the exact value n·2^e to the nearest double, ties to even (IEEE default rounding). */
function roundToDouble(n: bigint, e: number): number {
  const negative = n < 0n;
  let mag = negative ? -n : n;
  let shift = mag.toString(2).length - 53; // keep 53 significant bits…
  if (e + shift < -1074) shift = -1074 - e; // …or fewer, when the result is subnormal
  if (shift > 0) {
    const s = BigInt(shift);
    const rest = mag & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    mag >>= s;
    if (rest > half || (rest === half && (mag & 1n) === 1n)) mag += 1n;
    e += shift;
  }
  const value = ldexp(Number(mag), e); // mag ≤ 2^53, so Number() is exact
  return negative ? -value : value;
}

/** a·b + c with a single rounding, as C's fma() and FMA instructions compute it. */
export function fusedMultiplyAdd(a: number, b: number, c: number): number {
  // Non-finite operands and exact-zero products involve no intermediate rounding.
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c) || a === 0 || b === 0) return a * b + c;
  const x = decompose(a);
  const y = decompose(b);
  const z = decompose(c);
  const pe = x.e + y.e;
  const e = Math.min(pe, z.e);
  const n = ((x.m * y.m) << BigInt(pe - e)) + (z.m << BigInt(z.e - e));
  if (n === 0n) return 0; // exact cancellation is +0 under round-to-nearest
  return roundToDouble(n, e);
}
