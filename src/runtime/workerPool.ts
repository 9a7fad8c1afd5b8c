import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { StatsView, TensorSpec } from '../protocol/messages';
import type { WorkerNotifications, WorkerRequests } from '../protocol/workerMessages';
import { Rpc } from '../protocol/rpc';
import { forEachAtOnce } from '../core/atOnce';
import { assertSameFile, fileStamp } from './byteSource';
import { chunkElementsOf, computeFastStats, fastPathOf, type StatsPassRunner } from './fastStats';
import { broadcastOf, weightStats } from './stats';
import { DEFAULT_HISTOGRAM_BINS } from './histc';
import { StatsCache } from './statsCache';
import { coversStorage } from './storageCrc';
import type { StatsPassRequests } from '../protocol/workerMessages';
import { batchable, forEachPackedResult } from './batchStats';

type PoolRequests = WorkerRequests & StatsPassRequests;

/** What each worker receives as `workerData` (tensorWorker.ts reads it before handling anything). */
export interface TensorWorkerData {
  /** Translations of the core's messages (keys: the English text); absent for English. */
  l10nBundle?: Record<string, string>;
}

interface PooledWorker {
  worker: Worker;
  rpc: Rpc<PoolRequests, WorkerNotifications>;
  busy: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** When cancelled, settle only once the worker has stopped (see Rpc.request): work that leaves files cleans up first. */
  waitForCancelled?: boolean;
}

export interface StatsManyOptions extends RunOptions {
  /** Histogram bins (default 256). */
  bins?: number;
  /** Each tensor's result (by its index in the request) as soon as it is known. */
  onEach?: (index: number, result: StatsView | Error) => void;
  /** Keep no results (the promise resolves to an empty array): `onEach` has them all. */
  discard?: boolean;
  /**
   * Read and fill the pool's statistics cache (default true). A one-off pass over every tensor (the
   * CLI) says false: 100,000 results going through a 2,000-entry cache are old-generation garbage.
   */
  cache?: boolean;
}

/**
 * Tensors with more chunks than this are split across the workers; smaller ones go to one worker
 * whole (a split costs a round trip per worker and per pass, ~1 ms, worth it from a few MiB on).
 */
const SPLIT_MIN_CHUNKS = 2;
/**
 * A statistics batch (statsMany) holds at most this many tensors or storage bytes: enough that the
 * round trip is nothing per tensor, few enough that progress and cancellation stay prompt and that
 * both workers get work on a model of a few hundred small tensors.
 */
const BATCH_MAX_TENSORS = 1024;
/**
 * A worker's young generation. Tensor bytes live in WebAssembly memory, not the JS heap, so the
 * default (48 MB, grown by the garbage a batch of small tensors makes) was memory for nothing:
 * 8 MB took ~40 MB off each worker on 100,000 tensors, at no measurable cost in time.
 */
const WORKER_YOUNG_GENERATION_MB = 8;
const BATCH_MAX_BYTES = 16 << 20;

/**
 * A few worker threads (one per core by default) that run tensor kernels, so the extension host's
 * main thread never loops over a big tensor. Workers start on first use (or on `warm()`) and are
 * reused. `stats` of a large float32 or 1-/2-byte tensor is split into ranges, one per worker,
 * and merged here (see fastStats.ts); finished statistics are cached per file version.
 */
export class WorkerPool {
  private readonly workers: PooledWorker[] = [];
  private readonly progress = new Map<number, (done: number, total: number) => void>();
  private readonly cache = new StatsCache();
  private nextToken = 1;
  private disposed = false;

  /**
   * @param l10nBundle translations for the messages the workers build (reader errors, warnings,
   *   refusals): the extension passes `vscode.l10n.bundle`; the CLI and tests pass nothing (English).
   */
  constructor(
    private readonly workerScript: string,
    readonly size = Math.max(1, Math.min(availableParallelism(), 4)),
    private readonly l10nBundle?: Record<string, string>,
  ) {}

  /** Starts every worker now, so their start-up overlaps the caller's own (the CLI parsing a header). */
  warm(): void {
    while (!this.disposed && this.workers.length < this.size) this.spawn();
  }

  async run<M extends keyof WorkerRequests & string>(method: M, params: WorkerRequests[M]['params'], opts: RunOptions = {}): Promise<WorkerRequests[M]['result']> {
    if (method === 'stats') return this.stats(params as WorkerRequests['stats']['params'], opts);
    return this.request(method, params, opts);
  }

  /** Statistics of a tensor: from the cache, split across the workers, or on one worker. */
  async stats(params: WorkerRequests['stats']['params'], opts: RunOptions = {}): Promise<StatsView> {
    if (this.disposed) throw new Error('worker pool is disposed');
    const key = await this.cache.keyFor(params.tensor, params.bins);
    const cached = key === undefined ? undefined : this.cache.get(key);
    if (cached) {
      opts.onProgress?.(1, 1);
      return cached;
    }
    // A split tensor is read by several requests, each opening the file anew: a rewrite between
    // them would mix versions without any one request seeing it change.
    const before = await fileStamp(params.tensor.location.file);
    const result = await this.uncachedStats(params, opts);
    await assertSameFile(params.tensor.location.file, before);
    if (key !== undefined) this.cache.set(key, result);
    return result;
  }

  /**
   * Statistics of many tensors, results in input order (a tensor that fails gets its Error, the
   * others go on). Small tensors are batched into few worker requests; big ones are split as
   * `stats` splits them. `onEach` hears each result as it arrives (for progressive views).
   */
  async statsMany(tensors: readonly TensorSpec[], opts: StatsManyOptions = {}): Promise<(StatsView | Error)[]> {
    if (this.disposed) throw new Error('worker pool is disposed');
    const out = new Array<StatsView | Error>(tensors.length);
    let done = 0;
    const settle = (i: number, r: StatsView | Error): void => {
      if (!opts.discard) out[i] = r;
      opts.onEach?.(i, r);
      opts.onProgress?.(++done, tensors.length);
    };
    // Small tensors go in batches per file, in file order; the others one by one (split).
    const byFile = new Map<string, number[]>();
    const alone: number[] = [];
    tensors.forEach((t, i) => {
      if (!batchable(t) || this.shouldSplit(t)) return alone.push(i);
      const list = byFile.get(t.location.file);
      if (list) list.push(i);
      else byFile.set(t.location.file, [i]);
    });
    const units: Array<() => Promise<void>> = [];
    for (const [file, members] of byFile) {
      members.sort((a, b) => tensors[a]!.location.storageOffset - tensors[b]!.location.storageOffset || a - b);
      let batch: number[] = [];
      let bytes = 0;
      const flush = (): void => {
        const these = batch;
        if (these.length > 0) units.push(() => this.statsBatch(file, these, tensors, opts, settle));
        batch = [];
        bytes = 0;
      };
      for (const i of members) {
        batch.push(i);
        bytes += tensors[i]!.location.storageBytes;
        if (batch.length >= BATCH_MAX_TENSORS || bytes >= BATCH_MAX_BYTES) flush();
      }
      flush();
    }
    for (const i of alone) {
      units.push(async () => {
        try {
          settle(i, await this.stats({ tensor: tensors[i]!, ...(opts.bins !== undefined ? { bins: opts.bins } : {}) }, { signal: opts.signal }));
        } catch (e) {
          if (opts.signal?.aborted) throw e;
          settle(i, e instanceof Error ? e : new Error(String(e)));
        }
      });
    }
    await forEachAtOnce(units, this.size, (unit) => unit());
    return opts.discard ? [] : out;
  }

  /** One batch of small tensors of `file` on one worker, answered from the cache where it can be. */
  private async statsBatch(file: string, members: number[], tensors: readonly TensorSpec[], opts: StatsManyOptions, settle: (i: number, r: StatsView | Error) => void): Promise<void> {
    const before = await fileStamp(file);
    const keys = members.map((i) => (before && opts.cache !== false ? this.cache.keyAt(file, before, tensors[i]!, opts.bins) : undefined));
    const todo: number[] = [];
    members.forEach((i, j) => {
      const cached = keys[j] === undefined ? undefined : this.cache.get(keys[j]!);
      if (cached) settle(i, cached);
      else todo.push(j);
    });
    if (todo.length === 0) return;
    let packed: { packed: ArrayBuffer; errors: Array<string | null> };
    try {
      packed = await this.request('statsBatch', { tensors: todo.map((j) => tensors[members[j]!]!), ...(opts.bins !== undefined ? { bins: opts.bins } : {}) }, { signal: opts.signal });
      await assertSameFile(file, before);
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      const err = e instanceof Error ? e : new Error(String(e));
      for (const j of todo) settle(members[j]!, err);
      return;
    }
    forEachPackedResult(packed.packed, packed.errors, (k, r) => {
      const j = todo[k]!;
      if (!(r instanceof Error) && keys[j] !== undefined) this.cache.set(keys[j]!, r);
      settle(members[j]!, r);
    });
  }

  private async uncachedStats(params: WorkerRequests['stats']['params'], opts: RunOptions): Promise<StatsView> {
    // A broadcast view (stride 0): the statistics of its distinct elements, weighted, so a
    // 2^40-element expand of 3 stored values reads 3 values (and is never split).
    const broadcast = broadcastOf({ dtype: params.tensor.dtype, shape: params.tensor.shape, location: params.tensor.location });
    if (broadcast) {
      const distinct = { ...params.tensor, shape: [...broadcast.distinct.shape], location: broadcast.distinct.location };
      return weightStats(await this.uncachedStats({ ...params, tensor: distinct }, opts), broadcast.weight);
    }
    return this.shouldSplit(params.tensor) ? this.splitStats(params.tensor, params.bins ?? DEFAULT_HISTOGRAM_BINS, opts) : this.request('stats', params, opts);
  }

  private shouldSplit(t: TensorSpec): boolean {
    const dtype = t.dtype;
    if (this.size < 2 || !fastPathOf(dtype)) return false;
    // An encoded storage (a deflated .npz member) decodes from its start: a second worker would
    // decode the first one's half only to skip it.
    if (t.location.encoding) return false;
    // A view that does not read its whole zip record checks the record's CRC-32 by a separate
    // read, which one worker does as part of its `stats` request.
    if (t.location.crc32 !== undefined && !coversStorage({ dtype, shape: t.shape, location: t.location })) return false;
    const numel = t.shape.reduce((a, b) => a * b, 1);
    return numel > SPLIT_MIN_CHUNKS * chunkElementsOf(dtype);
  }

  private splitStats(tensor: TensorSpec, bins: number, opts: RunOptions): Promise<StatsView> {
    const withProgress = (onProgress: (done: number) => void): Pick<RunOptions, 'signal' | 'onProgress'> => ({ signal: opts.signal, onProgress: (done) => onProgress(done) });
    const runner: StatsPassRunner = {
      moments: async (start, count, onProgress, crc) => {
        const r = await this.request('statsMoments', { tensor, start, count, crc }, withProgress(onProgress));
        return { data: new Float64Array(r.data), crc32: r.crc32 };
      },
      histogram: async (start, count, left, right, b, inRange, onProgress) =>
        new Float64Array((await this.request('statsHistogram', { tensor, start, count, left, right, bins: b, inRange: inRange.slice().buffer }, withProgress(onProgress))).data),
      patterns: async (start, count, onProgress, crc) => {
        const r = await this.request('statsPatterns', { tensor, start, count, crc }, withProgress(onProgress));
        return { data: new Float64Array(r.data), crc32: r.crc32 };
      },
    };
    const ref = { dtype: tensor.dtype, shape: tensor.shape, location: tensor.location };
    return computeFastStats(ref, runner, { parts: this.size, bins, signal: opts.signal, onProgress: opts.onProgress });
  }

  private async request<M extends keyof PoolRequests & string>(method: M, params: PoolRequests[M]['params'], opts: RunOptions = {}): Promise<PoolRequests[M]['result']> {
    if (this.disposed) throw new Error('worker pool is disposed');
    const w = this.pick();
    const token = opts.onProgress ? this.nextToken++ : undefined;
    if (token !== undefined) this.progress.set(token, opts.onProgress!);
    w.busy++;
    try {
      // Kernels over gigabytes take as long as they take: no timeout, cancellation instead.
      return await w.rpc.request(method, { ...(params as object), progressToken: token } as PoolRequests[M]['params'], { signal: opts.signal, timeoutMs: 0, waitForCancelled: opts.waitForCancelled });
    } finally {
      w.busy--;
      if (token !== undefined) this.progress.delete(token);
    }
  }

  private pick(): PooledWorker {
    const idle = this.workers.find((w) => w.busy === 0);
    if (idle) return idle;
    if (this.workers.length < this.size) return this.spawn();
    return this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  private spawn(): PooledWorker {
    const worker = new Worker(this.workerScript, { workerData: { l10nBundle: this.l10nBundle } satisfies TensorWorkerData, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    // A worker must not keep the process (the CLI, a test) alive on its own.
    worker.unref();
    const rpc = new Rpc<PoolRequests, WorkerNotifications>({
      post: (m, transfer) => worker.postMessage(m, transfer ?? []),
      listen: (h) => {
        worker.on('message', h);
        return () => worker.off('message', h);
      },
    });
    rpc.onNotify('progress', (p) => this.progress.get(p.token)?.(p.done, p.total));
    const entry: PooledWorker = { worker, rpc, busy: 0 };
    const forget = (): void => {
      rpc.dispose();
      const i = this.workers.indexOf(entry);
      if (i >= 0) this.workers.splice(i, 1);
    };
    worker.on('error', forget);
    worker.on('exit', forget);
    this.workers.push(entry);
    return entry;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const all = this.workers.splice(0);
    for (const w of all) w.rpc.dispose();
    await Promise.all(all.map((w) => w.worker.terminate()));
  }
}
