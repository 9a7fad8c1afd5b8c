/**
 * The results every layer shares: the runtime computes them, the protocol carries them, the CLI,
 * the views and the webview pages show them. Plain data only.
 */

/** Statistics of a stream of values before the histogram (float64; finite values only; null where undefined). */
export interface MomentStats {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  zeros: number;
  nan: number;
  inf: number;
  l2: number | null;
  absMax: number | null;
}

/** A histogram's range and counts (torch.histc's bins). */
export interface HistogramView {
  min: number;
  max: number;
  counts: number[];
}

/**
 * Exact statistics of one tensor, JSON-ready: min/max/mean/std/l2/absMax cover finite values only
 * and are null when undefined (no finite value; std needs two); std is the sample (n − 1) deviation,
 * as torch.std; zeros counts ±0, inf counts ±inf. What the runtime computes, the protocol carries,
 * the CLI prints and the panel shows.
 */
export interface StatsView extends MomentStats {
  histogram: HistogramView | null;
}

/**
 * How the values of two same-shape tensors differ (runtime/tensorDiff.ts computes it): sums over
 * the positions where both values are finite, NaN/inf disagreements counted apart.
 */
export interface TensorDiffView {
  /** Elements in each tensor. */
  count: number;
  /** Positions where both values are finite: those the sums cover. */
  compared: number;
  nanMismatch: number;
  infMismatch: number;
  /** Σa², Σb², Σ(b−a)², Σab over the compared positions. */
  sumSqA: number;
  sumSqB: number;
  sumSqDiff: number;
  dot: number;
  /** ‖b−a‖ / ‖a‖; 0 when ‖b−a‖ = 0; null when ‖a‖ = 0 < ‖b−a‖ (no scale to be relative to). */
  relL2: number | null;
  /** max |b−a| over the compared positions; null when there are none. */
  maxAbsDiff: number | null;
  /** Σab / (‖a‖ ‖b‖); null when either norm is 0 (no direction). */
  cosine: number | null;
  /**
   * Every position holds the same double on both sides (NaN matches NaN, +0 does not match −0).
   * With different dtypes this says the cast lost nothing.
   */
  identical: boolean;
}

/** Counts for the diff page's header and the CLI's first lines. */
export interface DiffSummaryView {
  /** Pairs of one name and shape, whose values are compared (`identical + changed + failed`, once done). */
  matched: number;
  identical: number;
  changed: number;
  /** Matched pairs whose values could not be read (complex or quantized dtypes, unreadable bytes). */
  failed: number;
  added: number;
  removed: number;
  reshaped: number;
  /** Matched pairs stored in different dtypes (also counted as identical or changed). */
  dtypeChanged: number;
}
