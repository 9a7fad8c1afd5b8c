import { forEachAtOnce } from '../core/atOnce';
import { biasFanIn, initTensors } from '../model/init/detectModelInit';
import type { ModelIndex, TensorEntry } from '../core/modelIndex';
import type { ConvertOptions, ConvertResult } from '../core/convert';
import type { HeatmapRequest, HeatmapView, HistogramBins, InitView, SchemeView, SliceIndex, StatsView, TensorSpec, ValuesView } from '../protocol/messages';
import { isFileChanged } from '../runtime/byteSource';
import { SharedComputations } from '../runtime/sharedComputations';
import type { RunOptions, WorkerPool } from '../runtime/workerPool';
import { attributeInitViews } from './modelInit';

/** Entries kept in the statistics cache; each is ~3 KB (histogram included). */
const MAX_CACHED_STATS = 2000;
/**
 * Recomputations after "the file changed while it was read": a checkpoint being written (a
 * training run saving) settles within a few; one rewritten without end is reported.
 */
const MAX_CHANGED_RETRIES = 3;
/**
 * Models with at most this many floating tensors are judged as a whole for the panel and the hover
 * (every tensor's init, then its module type's scheme: model/init/attributeModelInit.ts); each
 * tensor reads at most 100,000 values, so that is a few seconds in the pool. Bigger ones are judged
 * tensor by tensor there (the init report and `paramscope init` still judge them whole).
 */
const MAX_MODEL_INIT_TENSORS = 2000;
/** Tensors of a model-level pass in flight at once: leaves the pool room for a panel's own work. */
const MODEL_INIT_LANES = 2;

/** Reads a model file's index again (through the registry, which notices the new size and mtime). */
export type IndexReloader = (file: string) => Promise<ModelIndex | undefined>;

function spec(t: TensorEntry): TensorSpec {
  return { dtype: t.dtype, shape: t.shape, location: t.location, ...(t.fans ? { fans: t.fans } : {}) };
}

/**
 * Tensor kernels for the views, run in the worker pool. Statistics are cached per file version
 * (the index object is replaced when the file changes), so reopening a panel is instant.
 */
export class TensorService {
  // Owned by the service: a waiter that leaves (a panel closed) never cancels another's result.
  private readonly statsCache = new SharedComputations<StatsView>(MAX_CACHED_STATS);
  private readonly initCache = new SharedComputations<InitView>(MAX_CACHED_STATS);
  private readonly versions = new WeakMap<ModelIndex, number>();
  private readonly modelInits = new WeakMap<ModelIndex, Promise<Map<string, InitView>>>();
  private readonly modelInitsDone = new WeakMap<ModelIndex, Map<string, InitView>>();
  private nextVersion = 1;

  constructor(
    private readonly pool: WorkerPool,
    private readonly reload?: IndexReloader,
  ) {}

  /**
   * Runs `compute` on the tensor, and when the file changed while it was read, reads the index
   * again and recomputes on the new version (same tensor name), so no view shows numbers that mix
   * two versions of a file, nor an error the next read would not give.
   */
  private async fresh<T>(index: ModelIndex, t: TensorEntry, compute: (index: ModelIndex, t: TensorEntry) => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await compute(index, t);
      } catch (e) {
        if (!isFileChanged(e) || !this.reload || attempt >= MAX_CHANGED_RETRIES || signal?.aborted) throw e;
        const next = await this.reload(index.file);
        const again = next?.tensors.find((x) => x.name === t.name);
        if (!next || !again) throw e;
        index = next;
        t = again;
      }
    }
  }

  private key(index: ModelIndex, t: TensorEntry): string {
    let v = this.versions.get(index);
    if (v === undefined) this.versions.set(index, (v = this.nextVersion++));
    return `${v}\u0000${t.name}`;
  }

  /** Cached statistics, if already computed (or being computed) for this file version. */
  peekStats(index: ModelIndex, t: TensorEntry): Promise<StatsView> | undefined {
    return this.statsCache.peek(this.key(index, t));
  }

  stats(index: ModelIndex, t: TensorEntry, opts: RunOptions = {}): Promise<StatsView> {
    return this.fresh(index, t, (ix, tt) => this.statsCache.get(this.key(ix, tt), (o) => this.pool.run('stats', { tensor: spec(tt) }, o), opts), opts.signal);
  }

  /**
   * Statistics of many tensors, small ones batched in the pool (one worker request per thousand
   * tensors instead of one each); `onEach` hears each result as it comes. A tensor whose file
   * changed while it was read is computed again on its own, as `stats` does.
   */
  async statsMany(index: ModelIndex, list: readonly TensorEntry[], opts: { signal?: AbortSignal; onEach?: (t: TensorEntry, result: StatsView | Error) => void } = {}): Promise<void> {
    const retry: TensorEntry[] = [];
    await this.pool.statsMany(list.map(spec), {
      signal: opts.signal,
      discard: true,
      onEach: (i, r) => {
        if (r instanceof Error && isFileChanged(r)) retry.push(list[i]!);
        else opts.onEach?.(list[i]!, r);
      },
    });
    for (const t of retry) {
      const r = await this.stats(index, t, { signal: opts.signal }).catch((e: unknown) => (opts.signal?.aborted ? Promise.reject(e) : e instanceof Error ? e : new Error(String(e))));
      opts.onEach?.(t, r);
    }
  }

  /** Init detection (cached like statistics: it reads a sample of the tensor). */
  init(index: ModelIndex, t: TensorEntry, biasFanIn: number | undefined, opts: RunOptions = {}): Promise<InitView> {
    return this.fresh(index, t, (ix, tt) => this.initCache.get(this.key(ix, tt), (o) => this.pool.run('init', { tensor: spec(tt), biasFanIn }, o), opts), opts.signal);
  }

  /** Every floating tensor's verdict judged with its module type's layers; computed once per file version. */
  modelInit(index: ModelIndex): Promise<Map<string, InitView>> {
    let p = this.modelInits.get(index);
    if (!p) {
      p = (async () => {
        const tensors = initTensors(index);
        const views = new Map<string, InitView>();
        // A tensor that cannot be read has no verdict; the others are still judged together.
        await forEachAtOnce(tensors, MODEL_INIT_LANES, (t) => this.init(index, t, biasFanIn(index, t)).then((v) => void views.set(t.name, v), () => undefined));
        const judged = attributeInitViews(index, tensors, views);
        this.modelInitsDone.set(index, judged);
        return judged;
      })();
      this.modelInits.set(index, p);
      p.catch(() => this.modelInits.delete(index));
    }
    return p;
  }

  /** Whether the panel and the hover judge this model as a whole (see MAX_MODEL_INIT_TENSORS). */
  judgesWhole(index: ModelIndex): boolean {
    return initTensors(index).length <= MAX_MODEL_INIT_TENSORS;
  }

  /** The model-level verdict of a tensor if that pass is done; undefined otherwise. */
  peekModelInit(index: ModelIndex, t: TensorEntry): InitView | undefined {
    return this.modelInitsDone.get(index)?.get(t.name);
  }

  /**
   * The verdict a view shows: judged with the model's other layers of its type where the model is
   * small enough, else the tensor's own.
   */
  async initInModel(index: ModelIndex, t: TensorEntry, opts: RunOptions = {}): Promise<InitView> {
    if (!this.judgesWhole(index)) return this.init(index, t, biasFanIn(index, t), opts);
    const whole = await this.modelInit(index);
    return whole.get(t.name) ?? this.init(index, t, biasFanIn(index, t), opts);
  }

  overlay(scheme: SchemeView, bins: HistogramBins, count: number, simulateSeed: number | undefined, opts: RunOptions = {}): Promise<{ expected: number[] | null; simulated: number[] | null }> {
    return this.pool.run('overlay', { scheme, bins, count, simulateSeed }, opts);
  }

  /** A pooled heatmap (of a window, when zoomed), streamed from the file in a worker. */
  heatmap(t: TensorEntry, req: HeatmapRequest, opts: RunOptions = {}): Promise<HeatmapView> {
    const { slice, layout, window, maxWidth, maxHeight } = req;
    return this.pool.run('heatmap', { tensor: spec(t), slice, layout, window, maxWidth, maxHeight }, opts);
  }

  values(t: TensorEntry, slice: SliceIndex, rowStart: number, rowCount: number, opts: RunOptions = {}): Promise<ValuesView> {
    return this.pool.run('values', { tensor: spec(t), slice, rowStart, rowCount }, opts);
  }

  /**
   * Converts `file` to safetensors at `out` in a worker (model/convert/convertModel.ts): progress in
   * tensor bytes written; aborting `signal` cancels it, and the promise rejects (with the abort
   * reason) once the worker has stopped and deleted its temporary file: nothing is left behind.
   * Rejects with an Error whose message says what is wrong in one line (a bad --key, an existing output, …).
   */
  convert(file: string, out: string, options: ConvertOptions, opts: { signal?: AbortSignal; onProgress?: (doneBytes: number, totalBytes: number) => void } = {}): Promise<ConvertResult> {
    return this.pool.run('convert', { file, out, options }, { ...opts, waitForCancelled: true });
  }
}
