import * as l10n from '@vscode/l10n';
import { throwIfAborted } from './abort';
import type { ByteSource } from './byteSource';
import { assertRealDType } from './decode';
import { streamElements, type TensorRef } from './elementStream';
import { computeFastStats, fastPathOf, localRunner } from './fastStats';
import { DEFAULT_HISTOGRAM_BINS, HistcCounter, MAX_HISTOGRAM_BINS, histcEdges } from './histc';
import { RunningStats, type MomentStats } from './runningStats';

/** torch.histc(x.double(), bins, min, max) over the finite values; min/max are the range binned. */
export interface Histogram {
  min: number;
  max: number;
  counts: number[];
}

/**
 * Summary of one tensor, JSON-ready. min/max/mean/std/l2/absMax cover finite values only and are
 * null when undefined (no finite value; std needs two). std is the sample (n − 1) deviation, as
 * torch.std. zeros counts ±0, inf counts ±inf.
 */
export interface TensorStats extends MomentStats {
  histogram: Histogram | null;
}

export interface TensorStatsOptions {
  /** Histogram bins (default 256, as torch.histc). */
  bins?: number;
  signal?: AbortSignal;
  /** Elements processed so far and in total, over every pass the computation makes. */
  onProgress?: (done: number, total: number) => void;
  chunkElements?: number;
  /**
   * Which kernels the float32 and 1-/2-byte paths use: `auto` (default) takes the WASM SIMD
   * kernels when their binary is beside the bundle, `ts` the TypeScript twins (same results).
   */
  kernels?: 'auto' | 'wasm' | 'ts';
}

function resolveBins(bins: number | undefined): number {
  const b = bins ?? DEFAULT_HISTOGRAM_BINS;
  if (!Number.isSafeInteger(b) || b < 1 || b > MAX_HISTOGRAM_BINS) throw new RangeError(l10n.t('bins must be an integer in 1..{0}, got {1}', MAX_HISTOGRAM_BINS, b));
  return b;
}

/**
 * Statistics of any stream of doubles. The histogram needs min and max first, so `makeStream`
 * is called twice (pass 0, then pass 1) and must yield the same values each time.
 */
export async function computeStatsFromStream(makeStream: (pass: 0 | 1) => AsyncIterable<Float64Array>, opts: { bins?: number; signal?: AbortSignal } = {}): Promise<TensorStats> {
  const bins = resolveBins(opts.bins);
  const running = new RunningStats();
  for await (const chunk of makeStream(0)) running.add(chunk);
  const moments = running.result();
  if (moments.min === null || moments.max === null) return { ...moments, histogram: null };

  throwIfAborted(opts.signal);
  const edges = histcEdges(moments.min, moments.max, bins);
  const counter = new HistcCounter(edges, bins);
  for await (const chunk of makeStream(1)) counter.add(chunk);
  return { ...moments, histogram: { min: edges.min, max: edges.max, counts: counter.counts() } };
}

/**
 * Exact statistics and histogram of a stored tensor, streamed in bounded chunks. `src` is the
 * source of the file `entry.location.file`. Throws `UnsupportedDTypeError` for complex and
 * quantized tensors, `InvalidViewError` for views outside their storage, `AbortError` on abort.
 */
export async function computeTensorStats(src: ByteSource, entry: TensorRef, opts: TensorStatsOptions = {}): Promise<TensorStats> {
  const { dtype, shape, location } = entry;
  assertRealDType(dtype);
  const bins = resolveBins(opts.bins);
  throwIfAborted(opts.signal);

  if (fastPathOf(dtype)) {
    // float32 through the moment/histogram kernels, 1- and 2-byte types by bit-pattern counts.
    const runner = localRunner(src, entry, { chunkElements: opts.chunkElements, signal: opts.signal, kernels: opts.kernels });
    return computeFastStats(entry, runner, { parts: 1, bins, chunkElements: opts.chunkElements, signal: opts.signal, onProgress: opts.onProgress });
  }

  // Statistics ignore order, so read in storage order: transposed views become forward scans.
  const base = { chunkElements: opts.chunkElements, signal: opts.signal, order: 'storage' as const };

  return computeStatsFromStream(
    (pass) =>
      streamElements(src, dtype, shape, location, {
        ...base,
        onProgress: opts.onProgress && ((done, total) => opts.onProgress?.(pass * total + done, 2 * total)),
      }),
    { bins, signal: opts.signal },
  );
}
