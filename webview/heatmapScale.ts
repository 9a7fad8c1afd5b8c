// The heatmap's colour scale, pure (no DOM) so unit tests pin it against numpy.

/** What each cell shows. */
export type HeatmapStat = 'mean' | 'maxAbs' | 'std';

/** A colour scale: diverging (`[-limit, limit]`, zero in the middle) or sequential (`[lo, hi]`). */
export interface ColourScale {
  kind: 'diverging' | 'sequential';
  lo: number;
  hi: number;
}

/** Clip levels people can pick: lower and upper percentile of the cells. `[0, 100]` is the full range. */
export const CLIP_CHOICES: ReadonlyArray<readonly [number, number]> = [
  [1, 99],
  [0.1, 99.9],
  [5, 95],
  [0, 100],
];
export const DEFAULT_CLIP: readonly [number, number] = [1, 99];

/** The q-th percentile (0..100) of sorted values, interpolated linearly as numpy's default does. */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (Math.max(0, Math.min(100, q)) / 100) * (n - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < n ? sorted[i]! + f * (sorted[i + 1]! - sorted[i]!) : sorted[i]!;
}

/** The finite cells, sorted. */
export function sortedFinite(cells: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < cells.length; i++) if (Number.isFinite(cells[i])) out.push(cells[i]!);
  return Float64Array.from(out).sort();
}

/**
 * The scale for a statistic's cells clipped at percentiles `[pLo, pHi]` of the cells themselves
 * (not of the raw values: the cells are what is drawn, and a few outlier cells must saturate, not
 * squash the rest). Means get a diverging scale at ±max(|P_lo|, |P_hi|), so zero stays neutral;
 * max |x| and std, never negative, a sequential one from P_lo to P_hi.
 */
export function clippedScale(stat: HeatmapStat, cells: ArrayLike<number>, pLo: number, pHi: number): ColourScale {
  const s = sortedFinite(cells);
  if (s.length === 0) return { kind: stat === 'mean' ? 'diverging' : 'sequential', lo: 0, hi: 0 };
  const lo = percentileOfSorted(s, pLo);
  const hi = percentileOfSorted(s, pHi);
  if (stat === 'mean') {
    const limit = Math.max(Math.abs(lo), Math.abs(hi));
    return { kind: 'diverging', lo: -limit, hi: limit };
  }
  return { kind: 'sequential', lo, hi };
}

/** Where a value falls on the scale: 0..1, clipped (NaN for NaN). A flat scale puts everything in the middle. */
export function scalePosition(v: number, s: ColourScale): number {
  if (Number.isNaN(v)) return Number.NaN;
  if (!(s.hi > s.lo)) return 0.5;
  return Math.max(0, Math.min(1, (v - s.lo) / (s.hi - s.lo)));
}

// Colour maps as stops, interpolated linearly in sRGB.
/** Diverging blue–white–red (ColorBrewer RdBu, reversed: blue negative, red positive). */
const DIVERGING: ReadonlyArray<readonly [number, number, number]> = [
  [5, 48, 97],
  [33, 102, 172],
  [67, 147, 195],
  [146, 197, 222],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [244, 165, 130],
  [214, 96, 77],
  [178, 24, 43],
  [103, 0, 31],
];
/** Sequential: viridis (matplotlib) sampled at 9 evenly spaced points. */
const SEQUENTIAL: ReadonlyArray<readonly [number, number, number]> = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];
/** Cells without a finite value. */
export const NAN_COLOUR: readonly [number, number, number] = [128, 128, 128];

/** The colour at position t (0..1) of a scale's map. */
export function colourAt(t: number, kind: ColourScale['kind']): [number, number, number] {
  if (Number.isNaN(t)) return [...NAN_COLOUR];
  const stops = kind === 'diverging' ? DIVERGING : SEQUENTIAL;
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
}

/** About `count` round tick values between lo and hi (1, 2 or 5 times a power of ten apart). */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) return Number.isFinite(lo) ? [lo] : [];
  const raw = (hi - lo) / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

/** About `count` integer index ticks in [lo, hi). */
export function indexTicks(lo: number, hi: number, count: number): number[] {
  if (hi - lo <= 1) return [lo];
  const ticks = niceTicks(lo, hi - 1, count).filter((v) => Number.isInteger(v));
  return ticks.length > 0 ? ticks : [lo];
}
