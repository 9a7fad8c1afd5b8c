import * as l10n from '@vscode/l10n';
import { throwIfAborted } from '../core/abort';
import type { ByteSource } from './byteSource';
import { assertRealDType, type RealDType } from './decode';
import { streamElements, streamRawChunks, type TensorRef } from './elementStream';
import { computeFastStats, fastPathOf, localRunner } from './fastStats';
import { smallF32Stats } from './smallF32Stats';
import { DEFAULT_HISTOGRAM_BINS, HistcCounter, MAX_HISTOGRAM_BINS, histcEdges } from './histc';
import { RunningStats } from './runningStats';
import { elementBytes, isBlockDType } from '../core/dtypes';
import { checkStorageCrc, coversStorage, verifyStorageCrc } from './storageCrc';
import { patternList, patternValues, statsFromPatternList } from './bitPatternStats';
import { crc32 } from './crc32';
import { broadcastReduction, planView } from './tensorLayout';
import { elementView } from './dequantizedView';
import type { HistogramView, StatsView } from '../core/results';

/** torch.histc(x.double(), bins, min, max) over the finite values; min/max are the range binned. */
/** A histogram's range and counts (core/results). */
export type Histogram = HistogramView;

/** Summary of one tensor (core/results `StatsView`: one type from the kernels to the screen). */
export type TensorStats = StatsView;

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
 * 1- and 2-byte tensors up to this many elements count their patterns by sorting them, not in a
 * 65,536-entry table (whose flush and scan would cost ~0.3 ms a tensor: most of the time of a
 * model of many small tensors). Same sums in the same order, so the same bits.
 */
export const SMALL_PATTERN_ELEMENTS = 8192;

async function smallPatternStats(src: ByteSource, entry: TensorRef, numel: number, bins: number, signal?: AbortSignal): Promise<TensorStats> {
  const { dtype, shape, location } = entry;
  const wide = elementBytes(dtype) === 2;
  const bits = wide ? new Uint16Array(numel) : new Uint8Array(numel);
  const bytes = new Uint8Array(bits.buffer);
  // The whole storage read: its zip record's CRC-32 is checked on these bytes (others were checked above).
  let crc = location.crc32 !== undefined && coversStorage(entry) ? 0 : undefined;
  let at = 0;
  for await (const chunk of streamRawChunks(src, dtype, shape, location, { order: 'storage', signal })) {
    bytes.set(chunk.bytes, at);
    at += chunk.bytes.length;
    if (crc !== undefined) crc = crc32(chunk.bytes, crc);
  }
  if (crc !== undefined) checkStorageCrc(location, crc);
  const { patterns, weights } = patternList(bits);
  return statsFromPatternList(patterns, weights, patternValues(dtype as RealDType)!, bins);
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
 * A broadcast view (stride 0, torch's `expand`) as the view of its distinct elements and their
 * multiplicity, after checking the whole view (shape, strides, element count ≤ 2^53, storage
 * bounds); null for any other view. Statistics then read each stored element once.
 */
export function broadcastOf(entry: TensorRef): { distinct: TensorRef; weight: number } | null {
  const { dtype, shape, location } = entry;
  if (isBlockDType(dtype)) return null; // blocks are stored whole, never expanded
  planView(shape, location, elementBytes(dtype), Number.MAX_SAFE_INTEGER, 'storage');
  const reduced = broadcastReduction(shape, location.strides);
  if (!reduced) return null;
  return { distinct: { dtype, shape: reduced.shape, location: { ...location, strides: reduced.strides } }, weight: reduced.weight };
}

/**
 * The statistics of a broadcast view from those of its distinct elements, each repeated `weight`
 * times: counts and histogram bins multiply, min/max/mean stay, the sum of squared deviations
 * and of squares multiply (so the sample std divides by weight·n − 1, as torch's over the view).
 */
export function weightStats(s: TensorStats, weight: number): TensorStats {
  const finite = s.count - s.nan - s.inf;
  const n = finite * weight;
  // Σ(x − mean)² over the distinct finite values: 0 for a single one.
  const m2 = finite >= 2 && s.std !== null ? s.std * s.std * (finite - 1) : 0;
  return {
    ...s,
    count: s.count * weight,
    zeros: s.zeros * weight,
    nan: s.nan * weight,
    inf: s.inf * weight,
    std: finite >= 1 && n >= 2 ? Math.sqrt((m2 * weight) / (n - 1)) : null,
    l2: s.l2 === null ? null : s.l2 * Math.sqrt(weight),
    histogram: s.histogram && { ...s.histogram, counts: s.histogram.counts.map((c) => c * weight) },
  };
}

/**
 * Exact statistics and histogram of a stored tensor, streamed in bounded chunks. `src` is the
 * source of the file `entry.location.file`. Throws `UnsupportedDTypeError` for complex and
 * quantized tensors, `InvalidViewError` for views outside their storage, `AbortError` on abort.
 */
export async function computeTensorStats(src: ByteSource, entry: TensorRef, opts: TensorStatsOptions = {}): Promise<TensorStats> {
  ({ src, tensor: entry } = elementView(src, entry));
  const { dtype, shape, location } = entry;
  assertRealDType(dtype);
  const bins = resolveBins(opts.bins);
  throwIfAborted(opts.signal);

  const broadcast = broadcastOf(entry);
  if (broadcast) return weightStats(await computeTensorStats(src, broadcast.distinct, opts), broadcast.weight);

  // A zip record's CRC-32: the fast path checks it on the bytes it reads when it reads the whole
  // record; any other view (or dtype) reads the record once more, before any numbers are made.
  if (location.crc32 !== undefined && !(fastPathOf(dtype) && coversStorage(entry))) await verifyStorageCrc(src, location, opts.signal);

  if (fastPathOf(dtype) === 'patterns') {
    const numel = planView(shape, location, elementBytes(dtype), src.size, 'storage').numel;
    if (numel <= SMALL_PATTERN_ELEMENTS) return smallPatternStats(src, entry, numel, bins, opts.signal);
  }
  if (fastPathOf(dtype) === 'f32') {
    const small = await smallF32Stats(src, entry, bins, { chunkElements: opts.chunkElements, kernels: opts.kernels, signal: opts.signal });
    if (small) {
      opts.onProgress?.(2 * small.count, 2 * small.count);
      return small;
    }
  }
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
