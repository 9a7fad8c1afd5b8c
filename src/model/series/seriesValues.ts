import * as l10n from '@vscode/l10n';
import { stat } from 'node:fs/promises';
import { throwIfAborted } from '../../core/abort';
import { forEachAtOnce } from '../../core/atOnce';
import { isFloatingDType } from '../../core/dtypes';
import type { ModelIndex, TensorEntry } from '../../core/modelIndex';
import type { MomentStats, TensorDiffView } from '../../core/results';
import { EXPLODE_JUMP, EXPLODE_TOTAL, type SeriesFlag, type SeriesPoint, type SeriesResult, type SeriesTensor } from '../../core/series';
import { isRealDType } from '../../runtime/decode';
import { matchTensors } from '../diff/matchTensors';
import type { OpenedRun } from './run';

/**
 * Per tensor per checkpoint of a run: the statistics' norm, mean, std, max |x| and NaN/inf counts
 * (the `stats` kernels) and the relative L2 change against the previous checkpoint and the
 * tensor's first (the diff's `diff` kernel), in float64 (docs/series.md). No kernel of its own.
 */

/** The kernels a series pass uses: the worker pool's in the editor and the CLI, inline ones without a worker bundle. */
export interface SeriesKernels {
  /** Statistics of one checkpoint's tensors; `onEach` hears each (or its error) by input position. */
  stats(tensors: readonly TensorEntry[], opts: { signal?: AbortSignal; onEach: (i: number, r: MomentStats | Error) => void }): Promise<void>;
  diff(a: TensorEntry, b: TensorEntry, signal?: AbortSignal): Promise<TensorDiffView>;
  /** Diffs run this many at a time. */
  readonly lanes: number;
}

/** A point's statistics as kept by the cache. */
type PointStats = Pick<SeriesPoint, 'norm' | 'mean' | 'std' | 'maxAbs' | 'nan' | 'inf'>;

/**
 * Statistics and relative changes kept per file version, for a caller that passes the same run
 * again (the page reopened, a checkpoint added at the end): a key is each file's path, size and
 * mtime and the tensor's view, so a rewritten checkpoint is read again. A few numbers per entry,
 * least recently used dropped first.
 */
export class SeriesCache {
  private readonly entries = new Map<string, PointStats | number | null>();
  constructor(private readonly capacity = 200_000) {}

  /** The file's version, or undefined when it cannot be stat'ed (then nothing of it is cached). */
  async stamp(file: string): Promise<string | undefined> {
    try {
      const st = await stat(file);
      return `${st.size}:${st.mtimeMs}`;
    } catch {
      return undefined;
    }
  }
  /** A tensor of a file at one version. */
  static view(t: TensorEntry, stamp: string): string {
    return JSON.stringify([t.location, stamp, t.dtype, t.shape]);
  }
  getStats(view: string): PointStats | undefined {
    const v = this.at(`s${view}`);
    return typeof v === 'object' && v !== null ? { ...v } : undefined;
  }
  setStats(view: string, v: PointStats): void {
    this.put(`s${view}`, { ...v });
  }
  getRel(a: string, b: string): number | null | undefined {
    const v = this.at(`d${a}${b}`);
    return typeof v === 'object' && v !== null ? undefined : v;
  }
  setRel(a: string, b: string, v: number | null): void {
    this.put(`d${a}${b}`, v);
  }
  private at(key: string): PointStats | number | null | undefined {
    if (!this.entries.has(key)) return undefined;
    const v = this.entries.get(key)!;
    // Refresh its place in the LRU order.
    this.entries.delete(key);
    this.entries.set(key, v);
    return v;
  }
  private put(key: string, v: PointStats | number | null): void {
    this.entries.delete(key);
    this.entries.set(key, v);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

export interface SeriesOptions {
  signal?: AbortSignal;
  /** Work items (statistics of one tensor, or one diff) done of the total. */
  onProgress?: (done: number, total: number) => void;
  cache?: SeriesCache;
  /**
   * Each checkpoint's points once they are all known, in the order of `seriesNames(run.indexes).names`
   * (null where the checkpoint lacks the tensor): for a page that draws the run as it is computed.
   */
  onCheckpoint?: (order: number, points: ReadonlyArray<SeriesPoint | null>) => void;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
/** Whether the diff kernel compares the two: one shape, and real values (the diff's refusal of complex and quantized types). */
const comparable = (a: TensorEntry, b: TensorEntry): boolean => sameShape(a.shape, b.shape) && isRealDType(a.dtype) && isRealDType(b.dtype);

/**
 * Which tensor of each checkpoint carries each series name: the run's first checkpoint matched
 * against each other by the diff's rules (state_dict names, one side's wrapper prefix dropped,
 * optimizer state left out). A tensor the first checkpoint lacks is named as the first would name it.
 */
export function seriesNames(indexes: readonly ModelIndex[]): { names: string[]; at: Array<Map<string, TensorEntry>> } {
  const names: string[] = [];
  const seen = new Set<string>();
  const note = (n: string): void => {
    if (!seen.has(n)) {
      seen.add(n);
      names.push(n);
    }
  };
  const first = indexes[0]!;
  const at = indexes.map((ix, i) => {
    const m = matchTensors(first.tensors, ix.tensors);
    const map = new Map<string, TensorEntry>();
    if (i === 0) {
      for (const p of m.pairs) if (p.a) map.set(p.a.name, p.a);
    }
    // Pairs come in the second file's order; a first-checkpoint-only pair is 'removed' here.
    for (const p of m.pairs) {
      if (!p.b || i === 0) continue;
      const name = p.a ? p.a.name : m.prefix.a + (m.prefix.b && p.b.name.startsWith(m.prefix.b) ? p.b.name.slice(m.prefix.b.length) : p.b.name);
      map.set(name, p.b);
    }
    return map;
  });
  for (const t of first.tensors) if (at[0]!.has(t.name)) note(t.name);
  for (const map of at.slice(1)) for (const n of map.keys()) note(n);
  return { names, at };
}

/** A run's flags for one tensor's points (docs/series.md); `floating` false (counters such as num_batches_tracked) never explode. */
export function seriesFlags(points: ReadonlyArray<SeriesPoint | null>, floating: boolean): SeriesFlag[] {
  const present = points.flatMap((p, i) => (p ? [{ i, p }] : []));
  if (present.length === 0) return [];
  const out: SeriesFlag[] = [];
  const later = present.slice(1);
  if (later.length > 0 && later.every(({ p }) => p.relFirst === 0)) out.push({ kind: 'frozen' });
  const firstNorm = present[0]!.p.norm;
  if (floating) {
    let prevNorm = firstNorm;
    for (const { i, p } of later) {
      const n = p.norm;
      const jump = !!prevNorm && n !== null && n > EXPLODE_JUMP * prevNorm;
      const total = !!firstNorm && n !== null && n > EXPLODE_TOTAL * firstNorm;
      if (jump || total) {
        out.push({ kind: 'exploded', at: i, factor: firstNorm ? n / firstNorm : null });
        break;
      }
      prevNorm = n;
    }
  }
  const bad = present.find(({ p }) => p.nan > 0 || p.inf > 0);
  if (bad) out.push({ kind: 'nonFinite', at: bad.i });
  return out;
}

/**
 * Computes every point of an opened run, one checkpoint after another (memory: the results, a
 * few numbers per point, and what the kernels stream). Reads per checkpoint after the first: each
 * tensor once for its statistics, twice for the change against the previous checkpoint and twice
 * more against the first (once when the previous is the first).
 */
export async function computeSeries(run: OpenedRun, kernels: SeriesKernels, opts: SeriesOptions = {}): Promise<SeriesResult> {
  const { names, at } = seriesNames(run.indexes);
  const n = run.checkpoints.length;
  const points = new Map<string, Array<SeriesPoint | null>>(names.map((name) => [name, new Array<SeriesPoint | null>(n).fill(null)]));
  const firstAt = new Map<string, number>();
  const warnings: string[] = [];
  const refused = new Map<string, string>();
  // The work, known before anything is read: statistics per present tensor, and its diffs.
  let total = 0;
  for (const name of names) {
    let first: TensorEntry | undefined;
    let prev: TensorEntry | undefined;
    for (let i = 0; i < n; i++) {
      const t = at[i]!.get(name);
      if (!t) {
        prev = undefined;
        continue;
      }
      total++;
      if (prev && comparable(prev, t)) total++;
      if (first && first !== prev && comparable(first, t)) total++;
      first ??= t;
      prev = t;
    }
  }
  let done = 0;
  const tick = (): void => opts.onProgress?.(++done, total);
  // Each file's version, stat'ed once per pass.
  const stamps = new Map<string, Promise<string | undefined>>();
  const viewOf = async (t: TensorEntry): Promise<string | undefined> => {
    if (!opts.cache) return undefined;
    let st = stamps.get(t.location.file);
    if (!st) stamps.set(t.location.file, (st = opts.cache.stamp(t.location.file)));
    const stamp = await st;
    return stamp === undefined ? undefined : SeriesCache.view(t, stamp);
  };
  const rel = async (a: TensorEntry, b: TensorEntry): Promise<number | null> => {
    const [va, vb] = await Promise.all([viewOf(a), viewOf(b)]);
    const known = va !== undefined && vb !== undefined;
    const hit = known ? opts.cache!.getRel(va, vb) : undefined;
    if (hit !== undefined) return hit;
    const d = await kernels.diff(a, b, opts.signal);
    if (known) opts.cache!.setRel(va, vb, d.relL2);
    return d.relL2;
  };

  for (let i = 0; i < n; i++) {
    throwIfAborted(opts.signal);
    const here = names.filter((name) => at[i]!.has(name));
    const entries = here.map((name) => at[i]!.get(name)!);
    const file = run.checkpoints[i]!.file;
    const views = await Promise.all(entries.map(viewOf));
    const place = (k: number, st: PointStats): void => {
      const name = here[k]!;
      points.get(name)![i] = { ...st, relPrev: null, relFirst: firstAt.has(name) ? null : 0 };
    };
    const todo: number[] = [];
    entries.forEach((_, k) => {
      const hit = views[k] === undefined ? undefined : opts.cache!.getStats(views[k]);
      if (!hit) return void todo.push(k);
      tick();
      place(k, hit);
    });
    await kernels.stats(
      todo.map((k) => entries[k]!),
      {
        signal: opts.signal,
        onEach: (j, r) => {
          tick();
          const k = todo[j]!;
          if (r instanceof Error) {
            warnings.push(`${file}: ${here[k]!}: ${r.message}`);
            return;
          }
          const st: PointStats = { norm: r.l2, mean: r.mean, std: r.std, maxAbs: r.absMax, nan: r.nan, inf: r.inf };
          if (views[k] !== undefined) opts.cache!.setStats(views[k], st);
          place(k, st);
        },
      },
    );
    const diffs: Array<{ name: string; a: TensorEntry; b: TensorEntry; what: 'relPrev' | 'relFirst' | 'both' }> = [];
    for (const name of here) {
      const b = at[i]!.get(name)!;
      const f = firstAt.get(name);
      if (f === undefined) continue;
      const prev = i > 0 ? at[i - 1]!.get(name) : undefined;
      const first = at[f]!.get(name)!;
      if (!isRealDType(b.dtype) || !isRealDType(first.dtype)) refused.set(name, isRealDType(b.dtype) ? first.dtype : b.dtype);
      if (prev && comparable(prev, b)) diffs.push({ name, a: prev, b, what: f === i - 1 ? 'both' : 'relPrev' });
      if (f !== i - 1 && comparable(first, b)) diffs.push({ name, a: first, b, what: 'relFirst' });
    }
    await forEachAtOnce(diffs, kernels.lanes, async (d) => {
      let v: number | null;
      try {
        v = await rel(d.a, d.b);
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        warnings.push(`${file}: ${d.name}: ${(e as Error).message}`);
        return;
      } finally {
        tick();
      }
      const p = points.get(d.name)![i];
      if (!p) return;
      if (d.what !== 'relFirst') p.relPrev = v;
      if (d.what !== 'relPrev') p.relFirst = v;
    });
    for (const name of here) if (!firstAt.has(name)) firstAt.set(name, i);
    opts.onCheckpoint?.(i, names.map((name) => points.get(name)![i] ?? null));
  }

  for (const [name, dtype] of refused) warnings.push(l10n.t('{0}: {1} values have no relative change (complex and quantized types have no single real value per element)', name, dtype));
  const tensors: SeriesTensor[] = names.map((name) => {
    const ps = points.get(name)!;
    const f = firstAt.get(name) ?? 0;
    const entry = at[f]!.get(name)!;
    const t: SeriesTensor = { name, dtype: entry.dtype, shape: [...entry.shape], points: ps, flags: seriesFlags(ps, isFloatingDType(entry.dtype)) };
    if (f > 0) t.added = f;
    const gone = at.findIndex((m, i) => i > f && !m.has(name));
    if (gone > 0) t.removed = gone;
    return t;
  });
  return { orderedBy: run.orderedBy, checkpoints: run.checkpoints, leftOut: run.leftOut, tensors, warnings };
}
