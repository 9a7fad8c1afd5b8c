import { numberArray } from '../core/arrays';
import { fusedMultiplyAdd } from './exactArithmetic';

/**
 * torch.histc, reproduced bit for bit for float64 input on CPU (PyTorch 1.13.1).
 *
 * Source: aten/src/ATen/native/Histogram.cpp (`histogram_histc_cpu_out`,
 * `histc_select_outer_bin_edges`) and aten/src/ATen/native/cpu/HistogramKernel.cpp
 * (`histogramdd_cpu_contiguous`, LINEAR_INTERPOLATION: histc asks for no local search).
 *  - Range: if min == max (after histc's own fallback to the data's min/max) the range widens
 *    to [min − 1, max + 1]; where that still leaves min == max torch raises, and we widen further.
 *  - Edges: linspace(min, max, bins + 1) in the input dtype; only the first and last are used.
 *  - Element x counts iff left <= x <= right (NaN never does); its bin is
 *    trunc((x − left) / (right − left) · bins), and bin `bins` folds into the last one.
 *    1.13 divides before multiplying (later releases multiply first; the results differ for bin
 *    counts that are not powers of two), checked against torch 1.13.1 on random data.
 */

/** torch.histc's default bin count. */
export const DEFAULT_HISTOGRAM_BINS = 256;
/**
 * Histograms travel to the webview as JSON, so a few thousand bins is plenty; staying far below
 * linspace's parallel grain (32768 steps) also keeps the edge rule below exact.
 */
export const MAX_HISTOGRAM_BINS = 4096;

/**
 * linspace's CPU kernel (aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp) computes element i
 * as start + step·i in the first half and end − step·(steps − 1 − i) in the second, but its
 * vectorized loop (Loops.h `vectorized_loop`) handles blocks of 2 vectors of 4 doubles (AVX2)
 * and builds a vector as base + j·step with base = end − step·(steps − 1 − i) fused into one FMA.
 * The last edge therefore is `end` exactly only when it falls in the scalar tail, i.e. when
 * (bins + 1) is not a multiple of 8. Verified against torch 1.13.1 (AVX2 build) on 30,000 ranges.
 */
const LINSPACE_LANES = 4;
const LINSPACE_BLOCK = 2 * LINSPACE_LANES;

export interface HistcEdges {
  /** The range histc bins over: the requested one, or [min − 1, max + 1] when min == max. */
  min: number;
  max: number;
  /** linspace's first and last edges, which the kernel compares against. */
  left: number;
  right: number;
}

/** The outer edges torch.histc(x, bins, min, max) bins between, for a finite min <= max. */
export function histcEdges(min: number, max: number, bins: number): HistcEdges {
  let lo = min;
  let hi = max;
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  if (lo === hi) {
    // |min| >= 2^53, where ±1 is lost to rounding and torch raises "max must be larger than min".
    // Widen by one relative epsilon instead (at least 2 there), so such a tensor still gets a histogram.
    lo -= Math.abs(lo) * Number.EPSILON;
    hi += Math.abs(hi) * Number.EPSILON;
  }
  const steps = bins + 1;
  const step = (hi - lo) / (steps - 1);
  const left = lo + step * 0; // NaN, as in torch, if the range overflows to infinity
  const tail = LINSPACE_LANES - 1; // position of the last edge inside its vector
  const right = steps % LINSPACE_BLOCK === 0 ? fusedMultiplyAdd(-tail, step, hi) + tail * step : hi - step * 0;
  return { min: lo, max: hi, left, right };
}

/** The hot loop, on plain arguments (V8 optimizes it better than the same code on `this`). */
function countInto(values: Float64Array, left: number, right: number, bins: number, totals: Float64Array): void {
  const width = right - left;
  const last = bins - 1;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x >= left && x <= right) {
      // (x − left) <= width, so the quotient is at most 1 and the index at most `bins`.
      const pos = ((x - left) / width) * bins;
      totals[pos >= bins ? last : pos | 0] += 1;
    }
  }
}

/** Counts values into histc's bins, chunk after chunk. */
export class HistcCounter {
  // Doubles count exactly to 2^53, and `+= 1` on a Float64Array measured faster here than `++`
  // on an Int32Array (which V8 guards against int32 overflow).
  private readonly totals: Float64Array;
  constructor(
    readonly edges: HistcEdges,
    readonly bins: number,
  ) {
    this.totals = new Float64Array(bins);
  }

  add(values: Float64Array): void {
    countInto(values, this.edges.left, this.edges.right, this.bins, this.totals);
  }

  /** Adds `weight` values equal to `x` (for callers that count distinct values). */
  addWeighted(x: number, weight: number): void {
    const bin = histcBin(x, this.edges, this.bins);
    if (bin >= 0) this.totals[bin] += weight;
  }

  counts(): number[] {
    return numberArray(this.totals);
  }
}

/** The bin histc gives one in-range value, for callers that count values with weights. */
export function histcBin(x: number, edges: HistcEdges, bins: number): number {
  if (!(x >= edges.left && x <= edges.right)) return -1;
  const pos = ((x - edges.left) / (edges.right - edges.left)) * bins;
  return pos >= bins ? bins - 1 : pos | 0;
}
