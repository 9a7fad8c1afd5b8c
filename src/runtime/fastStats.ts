import { numberArray } from '../core/arrays';
import * as l10n from '@vscode/l10n';
import { throwIfAborted } from '../core/abort';
import { patternValues, statsFromPatternCounts } from './bitPatternStats';
import type { ByteSource } from './byteSource';
import type { RealDType } from './decode';
import { elementBytes, type DType } from '../core/dtypes';
import { streamRawChunks, type TensorRef } from './elementStream';
import { float32AtLeast, float32AtMost } from './float32Bounds';
import { histcEdges } from './histc';
import { KernelArena, type KernelKind } from './kernelArena';
import { crc32, crc32Combine } from './crc32';
import { CHUNK_BYTES, MOMENT_FIELDS, RESULTS } from './kernelLayout';
import type { MomentStats } from './runningStats';
import { checkStorageCrc, coversStorage } from './storageCrc';
import { planView } from './tensorLayout';
import { elementView, floatSpec, viewDType, type InPlaceBlockDecoder } from './dequantizedView';
import { wasmDequantKernelsOn } from './wasmKernels';
import type { StatsView } from '../core/results';

/**
 * The fast statistics path: float32 through the moment and histogram kernels (two passes, as the
 * histogram needs min and max), 1- and 2-byte types by counting bit patterns (one pass). Work is
 * cut into chunks of whole `CHUNK_BYTES` buffers; a range of whole chunks can run anywhere (this
 * thread, a worker) and the pieces merge in chunk order, so any split gives the same bits.
 */

export type FastPath = 'f32' | 'patterns';

/** Which fast path a dtype takes, or null (the generic decode-to-doubles path). */
export function fastPathOf(dtype: DType): FastPath | null {
  dtype = viewDType(dtype);
  if (dtype === 'float32') return 'f32';
  if (dtype === 'complex64' || dtype === 'qint8' || dtype === 'quint8') return null;
  return elementBytes(dtype) <= 2 ? 'patterns' : null;
}

/** Elements per chunk of `dtype`: a whole chunk buffer, or the caller's smaller choice. */
export function chunkElementsOf(dtype: DType, requested?: number): number {
  const whole = CHUNK_BYTES / elementBytes(viewDType(dtype));
  return requested === undefined ? whole : Math.max(1, Math.min(whole, requested));
}

export interface RangeOptions {
  /** First element (in storage order) and element count; default the whole tensor. */
  start?: number;
  count?: number;
  chunkElements?: number;
  signal?: AbortSignal;
  /** Elements of this range done so far. */
  onProgress?: (done: number) => void;
  kernels?: KernelKind | 'auto';
  /** When set, accumulates the CRC-32 of the bytes read, in order (start it at 0): see storageCrc.ts. */
  crc?: { value: number };
}

/**
 * Chunks of a range, each as an address in the arena's memory. The next chunk's read is issued
 * before the current one is handed out, so disk (or page-cache copy) and kernel overlap; on exit
 * the read in flight is awaited, so nothing writes into the arena after it is given back.
 */
async function* arenaChunks(src: ByteSource, t: TensorRef, arena: KernelArena, opts: RangeOptions): AsyncGenerator<{ ptr: number; count: number }> {
  ({ src, tensor: t } = elementView(src, t, await arenaBlockDecoder(arena, t.dtype)));
  const buffers = [arena.chunkBuffer(0), arena.chunkBuffer(1)];
  const source = streamRawChunks(src, t.dtype, t.shape, t.location, {
    order: 'storage',
    start: opts.start,
    count: opts.count,
    chunkElements: chunkElementsOf(t.dtype, opts.chunkElements),
    signal: opts.signal,
    buffers,
    onProgress: opts.onProgress && ((done) => opts.onProgress?.(done)),
  });
  let pending = source.next();
  pending.catch(() => undefined); // handled below; this only keeps it from counting as unhandled
  let index = 0;
  try {
    for (;;) {
      const r = await pending;
      if (r.done) return;
      pending = source.next();
      pending.catch(() => undefined);
      let { bytes } = r.value;
      if (bytes.buffer !== arena.memory.buffer) {
        // A source that hands out its own memory (MemoryByteSource): copy into this chunk's buffer.
        const target = buffers[index % buffers.length];
        target.set(bytes);
        bytes = target.subarray(0, bytes.length);
      }
      index++;
      if (opts.crc) opts.crc.value = crc32(bytes, opts.crc.value);
      yield { ptr: bytes.byteOffset, count: r.value.count };
    }
  } finally {
    await pending.then(
      () => undefined,
      () => undefined,
    );
    await source.return(undefined);
  }
}

/**
 * For a block-typed tensor on WASM kernels: decodes its chunks in the arena with the SIMD
 * dequantization kernels (Q4_K, Q8_0; the others take the scalar TypeScript kernels), which give
 * the same bits.
 */
async function arenaBlockDecoder(arena: KernelArena, dtype: DType): Promise<InPlaceBlockDecoder | undefined> {
  if (arena.kernels.kind !== 'wasm' || (dtype !== 'Q4_K' && dtype !== 'Q8_0')) return undefined;
  const k = await wasmDequantKernelsOn(arena.memory);
  if (!k) return undefined;
  return (d, target, rawAt, blocks) => {
    if (target.buffer !== arena.memory.buffer) return false;
    const out = target.byteOffset;
    if (d === 'Q4_K') k.q4kToF32(out + rawAt, blocks, out);
    else if (d === 'Q8_0') k.q80ToF32(out + rawAt, blocks, out);
    else return false;
    return true;
  };
}

export async function withArena<T>(kind: KernelKind | 'auto' | undefined, fn: (arena: KernelArena) => Promise<T>): Promise<T> {
  const arena = await KernelArena.acquire(kind);
  let clean = false;
  try {
    const result = await fn(arena);
    // Every pass flushes (and so clears) the tables it counts into before it returns.
    clean = true;
    return result;
  } finally {
    KernelArena.release(arena, clean);
  }
}

/** Pass 1 over a float32 range: one `MOMENT_FIELDS` record per chunk, in order. */
export function f32MomentsOfRange(src: ByteSource, t: TensorRef, opts: RangeOptions = {}): Promise<Float64Array> {
  return withArena(opts.kernels, async (arena) => {
    const records: number[] = [];
    for await (const { ptr, count } of arenaChunks(src, t, arena, opts)) {
      arena.kernels.f32Moments(ptr, count, RESULTS);
      for (const v of arena.results()) records.push(v);
    }
    return Float64Array.from(records);
  });
}

/**
 * Pass 2 over a float32 range: torch.histc counts on [left, right]. `inRange[c]` says chunk c of
 * the range holds only values inside the range (from its pass-1 record), so its kernel can skip
 * the range test.
 */
export function f32HistogramOfRange(src: ByteSource, t: TensorRef, left: number, right: number, bins: number, inRange: Uint8Array | undefined, opts: RangeOptions = {}): Promise<Float64Array> {
  return withArena(opts.kernels, async (arena) => {
    const totals = new Float64Array(bins);
    const lo32 = float32AtLeast(left);
    const hi32 = float32AtMost(right);
    let c = 0;
    for await (const { ptr, count } of arenaChunks(src, t, arena, opts)) {
      histcChunk(arena, ptr, count, left, right, lo32, hi32, bins, inRange?.[c] === 1);
      // Flushing every chunk keeps the uint32 tables far from overflow and costs 4·bins adds.
      arena.flushHistogram(bins, totals);
      c++;
    }
    return totals;
  });
}

/** One chunk's torch.histc counts into the arena's tables; `inRange` skips the range test. */
export function histcChunk(arena: KernelArena, ptr: number, count: number, left: number, right: number, lo32: number, hi32: number, bins: number, inRange: boolean): void {
  if (inRange) arena.kernels.f32HistcInRange(ptr, count, left, right, bins);
  else arena.kernels.f32Histc(ptr, count, left, right, lo32, hi32, bins);
}

/**
 * Whether the chunk whose pass-1 record starts at `at` holds only values inside the edges: no NaN
 * or infinity, and its extremes inside them (the last edge can sit one ulp below max, see histc.ts).
 */
export function chunkInRange(records: Float64Array, at: number, edges: { left: number; right: number }): boolean {
  return records[at + 7] === 0 && records[at + 8] === 0 && records[at + 4]! >= edges.left && records[at + 5]! <= edges.right;
}

/** Counters of the pattern tables stay below 2^32 if flushed at least every 2^31 elements. */
const PATTERN_FLUSH_ELEMENTS = 2 ** 31;

/** One pass over a 1- or 2-byte range: how often each bit pattern occurs. */
export function patternCountsOfRange(src: ByteSource, t: TensorRef, opts: RangeOptions = {}): Promise<Float64Array> {
  return withArena(opts.kernels, async (arena) => {
    const patterns = elementBytes(t.dtype) === 1 ? 256 : 65536;
    const totals = new Float64Array(patterns);
    let sinceFlush = 0;
    for await (const { ptr, count } of arenaChunks(src, t, arena, opts)) {
      if (patterns === 256) arena.kernels.countU8(ptr, count);
      else arena.kernels.countU16(ptr, count);
      sinceFlush += count;
      if (sinceFlush >= PATTERN_FLUSH_ELEMENTS) {
        arena.flushPatterns(patterns, totals);
        sinceFlush = 0;
      }
    }
    arena.flushPatterns(patterns, totals);
    return totals;
  });
}

/**
 * Merges pass-1 chunk records in chunk order: Chan et al.'s pairwise update for the variance
 * (each chunk's M2 = Σ(x−k)² − (Σ(x−k))²/n around its own shift k), a Neumaier-compensated sum for
 * the mean, and a plain sum of squares for the L2 norm (float32 squares cannot overflow a double).
 */
export function mergeMoments(records: Float64Array): MomentStats {
  let count = 0;
  let finite = 0;
  let zeros = 0;
  let nan = 0;
  let inf = 0;
  let min = Infinity;
  let max = -Infinity;
  let mean = 0;
  let m2 = 0;
  let squares = 0;
  let sum = 0;
  let compensation = 0;
  const addToSum = (v: number): void => {
    const t = sum + v;
    compensation += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  };
  for (let at = 0; at + MOMENT_FIELDS <= records.length; at += MOMENT_FIELDS) {
    const n = records[at];
    const s = records[at + 1];
    const q = records[at + 2];
    const k = records[at + 9];
    zeros += records[at + 6];
    nan += records[at + 7];
    inf += records[at + 8];
    count += n + records[at + 7] + records[at + 8];
    if (n === 0) continue;
    if (records[at + 4] < min) min = records[at + 4];
    if (records[at + 5] > max) max = records[at + 5];
    squares += records[at + 3];
    addToSum(s);
    addToSum(k * n);
    const chunkMean = k + s / n;
    const chunkM2 = Math.max(0, q - (s * s) / n);
    const total = finite + n;
    const delta = chunkMean - mean;
    mean += (delta * n) / total;
    m2 += chunkM2 + (delta * delta * finite * n) / total;
    finite = total;
  }
  if (finite === 0) return { count, min: null, max: null, mean: null, std: null, zeros, nan, inf, l2: null, absMax: null };
  return {
    count,
    min: min + 0, // +0 for a zero minimum, whichever zero came first
    max: max + 0,
    mean: (sum + compensation) / finite,
    std: finite >= 2 ? Math.sqrt(m2 / (finite - 1)) : null,
    zeros,
    nan,
    inf,
    l2: Math.sqrt(squares),
    absMax: Math.max(-min, max),
  };
}

/** A first pass's numbers over one range, and with `crc` asked for, the CRC-32 of the range's bytes. */
export interface PassResult {
  data: Float64Array;
  crc32?: number;
}

/** Runs the passes over ranges of whole chunks: in this thread, or on workers (see WorkerPool). */
export interface StatsPassRunner {
  moments(start: number, count: number, onProgress: (done: number) => void, crc: boolean): Promise<PassResult>;
  histogram(start: number, count: number, left: number, right: number, bins: number, inRange: Uint8Array, onProgress: (done: number) => void): Promise<Float64Array>;
  patterns(start: number, count: number, onProgress: (done: number) => void, crc: boolean): Promise<PassResult>;
}

/** A runner for one thread: the range kernels called directly on `src`. */
export function localRunner(src: ByteSource, t: TensorRef, opts: { chunkElements?: number; signal?: AbortSignal; kernels?: KernelKind | 'auto' } = {}): StatsPassRunner {
  const base = { chunkElements: opts.chunkElements, signal: opts.signal, kernels: opts.kernels };
  const withCrc = async (crc: boolean, pass: (acc: { value: number } | undefined) => Promise<Float64Array>): Promise<PassResult> => {
    const acc = crc ? { value: 0 } : undefined;
    const data = await pass(acc);
    return acc ? { data, crc32: acc.value } : { data };
  };
  return {
    moments: (start, count, onProgress, crc) => withCrc(crc, (acc) => f32MomentsOfRange(src, t, { ...base, start, count, onProgress, crc: acc })),
    histogram: (start, count, left, right, bins, inRange, onProgress) => f32HistogramOfRange(src, t, left, right, bins, inRange, { ...base, start, count, onProgress }),
    patterns: (start, count, onProgress, crc) => withCrc(crc, (acc) => patternCountsOfRange(src, t, { ...base, start, count, onProgress, crc: acc })),
  };
}

/**
 * Checks the CRC-32 of the ranges' bytes, combined in range order, against the storage's: the
 * first pass read every byte of the storage (see `coversStorage`), so the check costs no read.
 */
function checkRangeCrcs(t: TensorRef, ranges: ReadonlyArray<[number, number]>, parts: readonly PassResult[]): void {
  let crc = 0;
  parts.forEach((p, i) => {
    if (p.crc32 === undefined) throw new Error('a statistics pass returned no CRC-32');
    crc = crc32Combine(crc, p.crc32, ranges[i]![1] * elementBytes(t.dtype));
  });
  checkStorageCrc(t.location, crc);
}

/** The statistics `computeTensorStats` returns (histogram included). */
export type FastStats = StatsView;

/**
 * Splits a tensor into `parts` ranges of whole chunks. Ranges start on chunk boundaries, so the
 * chunks (and their records) are the same whatever the split.
 */
export function splitRanges(numel: number, chunkElements: number, parts: number): Array<[number, number]> {
  const chunks = Math.ceil(numel / chunkElements);
  const n = Math.max(1, Math.min(parts, chunks));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const c0 = Math.floor((i * chunks) / n);
    const c1 = Math.floor(((i + 1) * chunks) / n);
    const start = c0 * chunkElements;
    const end = Math.min(numel, c1 * chunkElements);
    if (end > start) out.push([start, end - start]);
  }
  return out;
}

/**
 * Exact statistics of a float32 or 1-/2-byte tensor through the fast path, its ranges run by
 * `runner` `parts` at a time. Progress counts elements over every pass (2·numel for float32).
 */
export async function computeFastStats(
  t: TensorRef,
  runner: StatsPassRunner,
  opts: { parts: number; bins: number; chunkElements?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void },
): Promise<FastStats> {
  const path = fastPathOf(t.dtype);
  if (!path) throw new Error(l10n.t('{0} has no fast statistics path', t.dtype));
  // A block-typed tensor is split and checked as the float32 view its ranges read.
  t = floatSpec(t);
  // Checks shape, strides and storage bounds before any work is handed out (each range checks
  // them again against the file it reads).
  const numel = planView(t.shape, t.location, elementBytes(t.dtype), Number.MAX_SAFE_INTEGER, 'storage').numel;
  const chunk = chunkElementsOf(t.dtype, opts.chunkElements);
  const ranges = splitRanges(numel, chunk, opts.parts);
  const passes = path === 'f32' ? 2 : 1;
  const done = ranges.map(() => 0);
  let finished = 0;
  const progress = (i: number) => (d: number) => {
    done[i] = d;
    opts.onProgress?.(finished + done.reduce((a, b) => a + b, 0), passes * numel);
  };

  // A zip record's CRC-32 is checked on the first pass's bytes when that pass reads the whole
  // storage; other views are checked by the caller with a separate read (computeTensorStats).
  const crc = t.location.crc32 !== undefined && coversStorage(t);
  if (path === 'patterns') {
    const results = await Promise.all(ranges.map(([s, c], i) => runner.patterns(s, c, progress(i), crc)));
    if (crc) checkRangeCrcs(t, ranges, results);
    const parts = results.map((r) => r.data);
    const counts = parts[0] ?? new Float64Array(elementBytes(t.dtype) === 1 ? 256 : 65536);
    for (const p of parts.slice(1)) for (let j = 0; j < counts.length; j++) counts[j] += p[j];
    return statsFromPatternCounts(counts, patternValues(t.dtype as RealDType)!, opts.bins);
  }

  const results = await Promise.all(ranges.map(([s, c], i) => runner.moments(s, c, progress(i), crc)));
  if (crc) checkRangeCrcs(t, ranges, results);
  const recordsPerRange = results.map((r) => r.data);
  const records = new Float64Array(recordsPerRange.reduce((a, r) => a + r.length, 0));
  let at = 0;
  for (const r of recordsPerRange) {
    records.set(r, at);
    at += r.length;
  }
  const moments = mergeMoments(records);
  if (moments.min === null || moments.max === null) return { ...moments, histogram: null };

  throwIfAborted(opts.signal);
  finished = numel;
  done.fill(0);
  const edges = histcEdges(moments.min, moments.max, opts.bins);
  let firstChunk = 0;
  const parts = await Promise.all(
    ranges.map(([s, c], i) => {
      const chunks = Math.ceil(c / chunk);
      const inRange = new Uint8Array(chunks);
      for (let j = 0; j < chunks; j++) {
        inRange[j] = chunkInRange(records, (firstChunk + j) * MOMENT_FIELDS, edges) ? 1 : 0;
      }
      firstChunk += chunks;
      return runner.histogram(s, c, edges.left, edges.right, opts.bins, inRange, progress(i));
    }),
  );
  const counts = new Float64Array(opts.bins);
  for (const p of parts) for (let j = 0; j < counts.length; j++) counts[j] += p[j];
  return { ...moments, histogram: { min: edges.min, max: edges.max, counts: numberArray(counts) } };
}

