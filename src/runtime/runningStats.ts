import { ldexp, pow2 } from './exactArithmetic';

/**
 * Elements per block of the moment kernel: the block is summed, then revisited for squared
 * deviations while it is still in L1 (32 KiB of doubles), and blocks merge with Chan's formula.
 */
const BLOCK = 4096;
/**
 * Blocks whose largest |x| lies outside [2^-500, 2^500] are rescaled by a power of two before
 * squaring for the L2 norm: x² would overflow or underflow, and 4096·(2^500)² is still finite.
 */
const L2_SAFE_MAX = pow2(500);
const L2_SAFE_MIN = pow2(-500);

/** Statistics of a stream of doubles, before the histogram (the shared type, core/results). */
export type { MomentStats } from '../core/results';
import type { MomentStats } from '../core/results';

/**
 * Exact counts, extremes and numerically stable moments of the finite values seen so far.
 * Sums run over x − shift, with the shift the first finite value seen, so data far from zero
 * (1e9 ± 1) keeps its digits; the mean is a compensated sum of shifted block sums, the variance a
 * Chan merge of per-block two-pass variances, the L2 norm a scaled sum of squares.
 */
export class RunningStats {
  private count = 0;
  private finite = 0;
  private zeros = 0;
  private nan = 0;
  private inf = 0;
  private min = Infinity;
  private max = -Infinity;
  private shift = NaN; // set by the first block holding a finite value
  // Neumaier-compensated sum of the shifted block sums.
  private sum = 0;
  private sumCompensation = 0;
  // Chan et al.: running mean (shifted) and sum of squared deviations over the finite values.
  private mean = 0;
  private m2 = 0;
  // Sum of squares as l2Sum·2^(2·l2Exponent), so neither huge nor tiny values are lost.
  private l2Sum = 0;
  private l2Exponent = 0;

  add(values: Float64Array): void {
    for (let from = 0; from < values.length; from += BLOCK) this.addBlock(values, from, Math.min(values.length, from + BLOCK));
  }

  private addBlock(a: Float64Array, from: number, to: number): void {
    if (Number.isNaN(this.shift)) {
      for (let i = from; i < to && Number.isNaN(this.shift); i++) if (Number.isFinite(a[i])) this.shift = a[i];
    }
    const k = Number.isNaN(this.shift) ? 0 : this.shift;
    // Fast path, assuming every value is finite: two accumulators per sum halve the add-latency
    // chain, and conditional moves replace unpredictable branches. Any NaN or ±inf (or an
    // overflowing square) makes a sum non-finite, and the block is redone with per-value checks.
    let s0 = 0;
    let s1 = 0;
    let q0 = 0;
    let q1 = 0;
    let min = Infinity;
    let max = -Infinity;
    let zeros = 0;
    let i = from;
    for (; i + 1 < to; i += 2) {
      const x = a[i];
      const y = a[i + 1];
      s0 += x - k;
      s1 += y - k;
      q0 += x * x;
      q1 += y * y;
      min = x < min ? x : min;
      max = x > max ? x : max;
      min = y < min ? y : min;
      max = y > max ? y : max;
      zeros += (x === 0 ? 1 : 0) + (y === 0 ? 1 : 0);
    }
    if (i < to) {
      const x = a[i];
      s0 += x - k;
      q0 += x * x;
      min = x < min ? x : min;
      max = x > max ? x : max;
      zeros += x === 0 ? 1 : 0;
    }
    const sum = s0 + s1;
    const squares = q0 + q1;
    if (!Number.isFinite(sum) || !Number.isFinite(squares)) {
      this.addBlockChecked(a, from, to, k);
      return;
    }
    const n = to - from;
    const blockMean = sum / n;
    let m0 = 0;
    let m1 = 0;
    for (i = from; i + 1 < to; i += 2) {
      const d = a[i] - k - blockMean;
      const e = a[i + 1] - k - blockMean;
      m0 += d * d;
      m1 += e * e;
    }
    if (i < to) m0 += (a[i] - k - blockMean) * (a[i] - k - blockMean);
    this.count += n;
    this.zeros += zeros;
    this.merge(a, from, to, n, sum, squares, m0 + m1, min, max);
  }

  /** The block again, testing each value: NaN and ±inf are counted, not summed. */
  private addBlockChecked(a: Float64Array, from: number, to: number, k: number): void {
    let n = 0;
    let sum = 0;
    let squares = 0;
    let min = Infinity;
    let max = -Infinity;
    let zeros = 0;
    let nan = 0;
    let inf = 0;
    for (let i = from; i < to; i++) {
      const x = a[i];
      if (x - x === 0) {
        // finite: NaN − NaN and ±inf − ±inf are NaN
        n++;
        sum += x - k;
        squares += x * x;
        if (x < min) min = x;
        if (x > max) max = x;
        if (x === 0) zeros++;
      } else if (x !== x) nan++;
      else inf++;
    }
    this.count += to - from;
    this.zeros += zeros;
    this.nan += nan;
    this.inf += inf;
    if (n === 0) return;
    const blockMean = sum / n;
    let m2 = 0;
    for (let i = from; i < to; i++) {
      const x = a[i];
      if (x - x === 0) m2 += (x - k - blockMean) * (x - k - blockMean);
    }
    this.merge(a, from, to, n, sum, squares, m2, min, max);
  }

  /** Folds one block's finite values (n > 0; `sum` and `m2` shifted) into the running totals. */
  private merge(a: Float64Array, from: number, to: number, n: number, sum: number, squares: number, m2: number, min: number, max: number): void {
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;

    const absMax = Math.max(-min, max);
    if (absMax > L2_SAFE_MAX || (absMax < L2_SAFE_MIN && absMax > 0)) this.addScaledSquares(a, from, to, absMax);
    else this.addSquares(squares, 0);

    // Neumaier: keep the low-order bits the running sum drops.
    const t = this.sum + sum;
    this.sumCompensation += Math.abs(this.sum) >= Math.abs(sum) ? this.sum - t + sum : sum - t + this.sum;
    this.sum = t;

    const total = this.finite + n;
    const delta = sum / n - this.mean;
    this.mean += (delta * n) / total;
    this.m2 += m2 + (delta * delta * this.finite * n) / total;
    this.finite = total;
  }

  private addScaledSquares(a: Float64Array, from: number, to: number, absMax: number): void {
    const exponent = Math.floor(Math.log2(absMax)); // approximate is fine: any power of two is exact
    const scale = ldexp(1, -exponent);
    let squares = 0;
    for (let i = from; i < to; i++) {
      const x = a[i];
      if (x - x === 0) squares += x * scale * (x * scale);
    }
    this.addSquares(squares, exponent);
  }

  private addSquares(squares: number, exponent: number): void {
    if (squares === 0) return;
    if (this.l2Sum === 0 || exponent > this.l2Exponent) {
      this.l2Sum = ldexp(this.l2Sum, 2 * (this.l2Exponent - exponent)) + squares;
      this.l2Exponent = exponent;
    } else {
      this.l2Sum += ldexp(squares, 2 * (exponent - this.l2Exponent));
    }
  }

  result(): MomentStats {
    const hasFinite = this.finite > 0;
    // ±0 are equal; report +0 so results do not depend on which zero came first.
    const min = hasFinite ? this.min + 0 : null;
    const max = hasFinite ? this.max + 0 : null;
    return {
      count: this.count,
      min,
      max,
      // (shift·n + Σ(x − shift)) / n: the plain sum's quotient, so exact sums give exact means.
      mean: hasFinite ? (this.shift * this.finite + (this.sum + this.sumCompensation)) / this.finite : null,
      std: this.finite >= 2 ? Math.sqrt(this.m2 / (this.finite - 1)) : null,
      zeros: this.zeros,
      nan: this.nan,
      inf: this.inf,
      l2: hasFinite ? ldexp(Math.sqrt(this.l2Sum), this.l2Exponent) : null,
      absMax: hasFinite ? Math.max(-this.min, this.max) : null,
    };
  }
}
