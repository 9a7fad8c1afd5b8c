/**
 * Distribution functions for init-scheme fitting. erfc is the Chebyshev expansion of Numerical
 * Recipes 3rd ed. §6.2 (`Erf::erfccheb`, 28 coefficients, ~1e-16 absolute error): far below what a
 * KS distance on ≤ 10^6 values can resolve.
 */

// Chebyshev coefficients for erfc, Numerical Recipes 3rd ed. (Erf struct, `cof`).
const ERFC_COF = [
  -1.3026537197817094, 0.6419697923564902, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4, 3.66839497852761e-4,
  4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9,
  5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13,
  3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
];

function erfccheb(z: number): number {
  // z ≥ 0
  let d = 0;
  let dd = 0;
  const t = 2 / (2 + z);
  const ty = 4 * t - 2;
  for (let j = ERFC_COF.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + ERFC_COF[j]!;
    dd = tmp;
  }
  return t * Math.exp(-z * z + 0.5 * (ERFC_COF[0]! + ty * d) - dd);
}

export function erfc(x: number): number {
  return x >= 0 ? erfccheb(x) : 2 - erfccheb(-x);
}

/** Standard normal CDF. */
export function normalCdf(x: number, mean = 0, std = 1): number {
  return 0.5 * erfc(-(x - mean) / (std * Math.SQRT2));
}

export function uniformCdf(x: number, low: number, high: number): number {
  if (x <= low) return 0;
  if (x >= high) return 1;
  return (x - low) / (high - low);
}

/** CDF of N(mean, std²) truncated to [a, b]. */
export function truncNormalCdf(x: number, mean: number, std: number, a: number, b: number): number {
  if (x <= a) return 0;
  if (x >= b) return 1;
  const lo = normalCdf(a, mean, std);
  const hi = normalCdf(b, mean, std);
  return (normalCdf(x, mean, std) - lo) / (hi - lo);
}

/**
 * Kolmogorov–Smirnov distance between the sorted sample and a CDF: the largest gap between the
 * empirical and theoretical CDFs, checked on both sides of every step.
 */
export function ksDistance(sorted: ArrayLike<number>, cdf: (x: number) => number): number {
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    const hi = (i + 1) / n - f;
    const lo = f - i / n;
    if (hi > d) d = hi;
    if (lo > d) d = lo;
  }
  return d;
}

/**
 * Asymptotic p-value of a KS distance for n values, with Stephens' small-sample correction
 * (λ = (√n + 0.12 + 0.11/√n)·D); Numerical Recipes 3rd ed. §14.3.3.
 */
export function ksPValue(d: number, n: number): number {
  if (n <= 0) return 1;
  const sn = Math.sqrt(n);
  const lambda = (sn + 0.12 + 0.11 / sn) * d;
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda) * (k % 2 === 1 ? 1 : -1);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.max(0, Math.min(1, 2 * sum));
}

/** Inverse of the Kolmogorov p-value: the KS distance that is significant at `alpha` for n values. */
export function ksCritical(n: number, alpha: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (ksPValue(mid, n) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}
