import { numberArray } from '../core/arrays';
import { throwIfAborted } from '../core/abort';
import type { StatsView } from '../core/results';
import type { BatchStatsResult } from '../protocol/workerMessages';
import type { TensorSpec } from '../core/modelIndex';
import { WindowSource, type ByteSource } from './byteSource';
import { computeTensorStats } from './stats';

/**
 * Statistics of many small tensors of one file in one go: the storages are read in file order,
 * neighbours together in one read of up to `SPAN_MAX_BYTES`, and each tensor is computed from
 * that memory. A model of 100,000 small tensors then costs ~100 reads instead of 200,000, and
 * no file open, stat or worker round trip per tensor (see WorkerPool.statsMany).
 */

/** Storages up to this size are batched; a bigger tensor is worth its own request (and a split). */
export const BATCH_MAX_STORAGE_BYTES = 1 << 20;
/** One read covers neighbouring storages up to this many bytes. */
export const SPAN_MAX_BYTES = 4 << 20;
/** Storages closer than this are read together (the gap between them is read and dropped). */
export const SPAN_MAX_GAP = 64 << 10;

/** Whether a tensor's statistics can be computed in a batch (from a span read into memory). */
export function batchable(t: TensorSpec): boolean {
  return t.location.encoding === undefined && t.location.storageBytes <= BATCH_MAX_STORAGE_BYTES;
}


/**
 * The file's bytes `[start, start + bytes.length)` held in memory, every other range read from the
 * file: reads inside the span cost no I/O. Offsets are the file's own.
 */
class SpanSource implements ByteSource {
  constructor(
    private readonly file: ByteSource,
    private readonly start: number,
    private readonly bytes: Uint8Array,
  ) {}
  get name(): string {
    return this.file.name;
  }
  get size(): number {
    return this.file.size;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    const at = offset - this.start;
    if (at >= 0 && at + length <= this.bytes.length && Number.isSafeInteger(at) && length >= 0) return Promise.resolve(this.bytes.subarray(at, at + length));
    return this.file.read(offset, length);
  }
  slice(offset: number, length: number): ByteSource {
    return new WindowSource(this, offset, length);
  }
}

/** Groups tensor indices (batchable ones, in file order) into spans read at once. */
export function planSpans(tensors: readonly TensorSpec[]): Array<{ start: number; end: number; members: number[] }> {
  const order = tensors.map((_, i) => i).sort((a, b) => tensors[a]!.location.storageOffset - tensors[b]!.location.storageOffset || a - b);
  const spans: Array<{ start: number; end: number; members: number[] }> = [];
  for (const i of order) {
    const loc = tensors[i]!.location;
    const start = loc.storageOffset;
    const end = loc.storageOffset + loc.storageBytes;
    const last = spans[spans.length - 1];
    if (last && start - last.end <= SPAN_MAX_GAP && Math.max(end, last.end) - last.start <= SPAN_MAX_BYTES) {
      last.end = Math.max(last.end, end);
      last.members.push(i);
    } else spans.push({ start, end, members: [i] });
  }
  return spans;
}

/**
 * Statistics of `tensors`, all in the file `src` reads, results in input order. A tensor that
 * fails (a bad view, a CRC mismatch) gets its message and the others go on; cancellation stops all.
 * `onEach` hears each result when it is known.
 */
export async function computeBatchStats(
  src: ByteSource,
  tensors: readonly TensorSpec[],
  opts: { bins?: number; signal?: AbortSignal; onEach?: (index: number, result: BatchStatsResult) => void } = {},
): Promise<BatchStatsResult[]> {
  const out = new Array<BatchStatsResult>(tensors.length);
  const one = async (source: ByteSource, i: number): Promise<void> => {
    try {
      out[i] = { stats: await computeTensorStats(source, tensors[i]!, { bins: opts.bins, signal: opts.signal }) };
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      out[i] = { error: e instanceof Error ? e.message : String(e) };
    }
    opts.onEach?.(i, out[i]!);
  };
  const inBatch: number[] = [];
  const alone: number[] = [];
  tensors.forEach((t, i) => (batchable(t) ? inBatch : alone).push(i));
  const spans = planSpans(inBatch.map((i) => tensors[i]!));
  for (const span of spans) {
    throwIfAborted(opts.signal);
    const inFile = span.start >= 0 && span.end <= src.size;
    // A storage past the file's end is the reader's error to report per tensor, not the span's.
    const memory = inFile ? new SpanSource(src, span.start, await src.read(span.start, span.end - span.start)) : src;
    for (const m of span.members) await one(memory, inBatch[m]!);
  }
  for (const i of alone) await one(src, i);
  return out;
}

// ---- Results packed for the trip back --------------------------------------------------------

/** Doubles before each packed result's histogram counts (see `packBatchResults`). */
const PACKED_HEAD = 16;
const NULLABLE = ['min', 'max', 'mean', 'std', 'l2', 'absMax'] as const;

/**
 * A batch's results as one Float64Array (transferred, not cloned) and the error messages: a
 * thousand statistics cloned as objects would land in the host's old generation as garbage,
 * which grew the CLI to 700 MB over 100,000 tensors. Per tensor: [ok, count, min, max, mean, std,
 * zeros, nan, inf, l2, absMax, null mask, histogram?, histogram min, max, bins], then the bins.
 */
export function packBatchResults(results: readonly BatchStatsResult[]): { packed: ArrayBuffer; errors: Array<string | null> } {
  let length = 0;
  for (const r of results) length += PACKED_HEAD + ('stats' in r && r.stats.histogram ? r.stats.histogram.counts.length : 0);
  const out = new Float64Array(length);
  const errors: Array<string | null> = [];
  let at = 0;
  for (const r of results) {
    if (!('stats' in r)) {
      errors.push(r.error);
      at += PACKED_HEAD;
      continue;
    }
    errors.push(null);
    const s = r.stats;
    let mask = 0;
    NULLABLE.forEach((k, b) => {
      if (s[k] === null) mask |= 1 << b;
    });
    out.set([1, s.count, s.min ?? 0, s.max ?? 0, s.mean ?? 0, s.std ?? 0, s.zeros, s.nan, s.inf, s.l2 ?? 0, s.absMax ?? 0, mask, s.histogram ? 1 : 0, s.histogram?.min ?? 0, s.histogram?.max ?? 0, s.histogram?.counts.length ?? 0], at);
    at += PACKED_HEAD;
    if (s.histogram) {
      out.set(s.histogram.counts, at);
      at += s.histogram.counts.length;
    }
  }
  return { packed: out.buffer as ArrayBuffer, errors };
}

/** The results `packBatchResults` packed, made one at a time (`fn` gets each in order). */
export function forEachPackedResult(packed: ArrayBuffer, errors: ReadonlyArray<string | null>, fn: (index: number, result: StatsView | Error) => void): void {
  const d = new Float64Array(packed);
  let at = 0;
  errors.forEach((error, i) => {
    if (error !== null) {
      at += PACKED_HEAD;
      return fn(i, new Error(error));
    }
    const mask = d[at + 11]!;
    const nullable = (v: number, b: number): number | null => (mask & (1 << b) ? null : v);
    const bins = d[at + 15]!;
    const histogram = d[at + 12] ? { min: d[at + 13]!, max: d[at + 14]!, counts: numberArray(d, at + PACKED_HEAD, at + PACKED_HEAD + bins) } : null;
    const stats: StatsView = {
      count: d[at + 1]!,
      min: nullable(d[at + 2]!, 0),
      max: nullable(d[at + 3]!, 1),
      mean: nullable(d[at + 4]!, 2),
      std: nullable(d[at + 5]!, 3),
      zeros: d[at + 6]!,
      nan: d[at + 7]!,
      inf: d[at + 8]!,
      l2: nullable(d[at + 9]!, 4),
      absMax: nullable(d[at + 10]!, 5),
      histogram,
    };
    at += PACKED_HEAD + (histogram ? bins : 0);
    fn(i, stats);
  });
}
