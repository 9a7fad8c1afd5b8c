import type { TensorEntry, TensorSpec } from '../../core/modelIndex';
import { computeBatchStats } from '../../runtime/batchStats';
import { FileByteSource } from '../../runtime/byteSource';
import { diffTensors } from '../../runtime/tensorDiff';
import type { WorkerPool } from '../../runtime/workerPool';
import type { RidgeKernels } from './seriesRidge';
import type { SeriesKernels } from './seriesValues';

const spec = (t: TensorEntry): TensorSpec => ({ dtype: t.dtype, shape: t.shape, location: t.location });

/**
 * The pool's kernels: `statsMany` (batched, big tensors split, cached per file version by the
 * pool) and `diff` requests, one per worker at a time.
 */
export function poolSeriesKernels(pool: WorkerPool): SeriesKernels {
  return {
    lanes: pool.size,
    stats: async (tensors, opts) => {
      await pool.statsMany(tensors.map(spec), { signal: opts.signal, onEach: opts.onEach, discard: true });
    },
    diff: (a, b, signal) => pool.run('diff', { a: spec(a), b: spec(b) }, { signal }),
  };
}

/** The ridge plot's kernels in the pool: `stats` (cached by the pool, so a run's pass already paid for them) and `histogramOnRange`. */
export function poolRidgeKernels(pool: WorkerPool): RidgeKernels {
  return {
    stats: (t, signal) => pool.stats({ tensor: spec(t) }, { signal }),
    histogram: async (t, min, max, bins, signal) => new Float64Array((await pool.run('histogramOnRange', { tensor: spec(t), min, max, bins }, { signal })).data),
  };
}

/**
 * The same kernels in this thread (the CLI bundled without its worker, the unit tests): each file
 * opened for one call and closed after it, so a long run holds no handles.
 */
export function inlineSeriesKernels(): SeriesKernels {
  const withFile = async <R>(file: string, fn: (src: FileByteSource) => Promise<R>): Promise<R> => {
    const src = await FileByteSource.open(file);
    try {
      const r = await fn(src);
      await src.assertUnchanged();
      return r;
    } finally {
      await src.close().catch(() => undefined);
    }
  };
  return {
    lanes: 1,
    stats: async (tensors, opts) => {
      const byFile = new Map<string, number[]>();
      tensors.forEach((t, i) => {
        const list = byFile.get(t.location.file);
        if (list) list.push(i);
        else byFile.set(t.location.file, [i]);
      });
      for (const [file, members] of byFile) {
        let results;
        try {
          results = await withFile(file, (src) => computeBatchStats(src, members.map((i) => spec(tensors[i]!)), { signal: opts.signal }));
        } catch (e) {
          if (opts.signal?.aborted) throw e;
          for (const i of members) opts.onEach(i, e as Error);
          continue;
        }
        results.forEach((r, k) => opts.onEach(members[k]!, 'stats' in r ? r.stats : new Error(r.error)));
      }
    },
    diff: async (a, b, signal) => {
      if (a.location.file === b.location.file) return withFile(a.location.file, (src) => diffTensors(src, spec(a), src, spec(b), { signal }));
      return withFile(a.location.file, (sa) => withFile(b.location.file, (sb) => diffTensors(sa, spec(a), sb, spec(b), { signal })));
    },
  };
}
