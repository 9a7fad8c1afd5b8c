import type { TensorEntry } from '../../core/modelIndex';
import type { StatsView } from '../../core/results';
import { RIDGE_BINS, type SeriesRidge } from '../../core/series';
import { histcEdges } from '../../runtime/histc';
import type { OpenedRun } from './run';
import { seriesNames } from './seriesValues';

/** What the ridge needs computed: a tensor's statistics (its finite min and max) and its counts on a given range. */
export interface RidgeKernels {
  stats(t: TensorEntry, signal?: AbortSignal): Promise<StatsView>;
  histogram(t: TensorEntry, min: number, max: number, bins: number, signal?: AbortSignal): Promise<Float64Array>;
}

/**
 * The tensor `name` (as the run names it) at every checkpoint, each under the name that
 * checkpoint gives it, binned on one shared range (core/series.ts `SeriesRidge`). A checkpoint
 * whose tensor cannot be read is a null row; cancelling rejects with the signal's reason.
 */
export async function computeRidge(run: OpenedRun, name: string, kernels: RidgeKernels, opts: { signal?: AbortSignal; bins?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<SeriesRidge> {
  const bins = opts.bins ?? RIDGE_BINS;
  const signal = opts.signal;
  const tensors = seriesNames(run.indexes).at.map((m) => m.get(name));
  const stats = await Promise.all(tensors.map((t) => (t ? kernels.stats(t, signal).catch((e: unknown) => (signal?.aborted ? Promise.reject(e) : null)) : null)));
  signal?.throwIfAborted();
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of stats) {
    if (s?.min === null || s?.min === undefined || s.max === null) continue;
    lo = Math.min(lo, s.min);
    hi = Math.max(hi, s.max);
  }
  if (!(lo <= hi)) return { name, bins, min: null, max: null, rows: tensors.map(() => null) };
  const edges = histcEdges(lo, hi, bins);
  // Progress in checkpoints binned: a big tensor over a long run reads gigabytes.
  const total = tensors.filter((t, i) => t && stats[i]).length;
  let done = 0;
  opts.onProgress?.(0, total);
  const counted = <T>(v: T): T => (opts.onProgress?.(++done, total), v);
  const rows = await Promise.all(
    tensors.map((t, i) =>
      t && stats[i]
        ? kernels.histogram(t, lo, hi, bins, signal).then(
            (c) => counted(Array.from(c)),
            (e: unknown) => (signal?.aborted ? Promise.reject(e) : counted(null)),
          )
        : null,
    ),
  );
  return { name, bins, min: edges.min, max: edges.max, rows };
}
