import { throwIfAborted } from '../../core/abort';
import { isRealDType } from '../../runtime/decode';
import type { TensorDiff } from '../../runtime/tensorDiff';
import type { TensorEntry } from '../../core/modelIndex';
import { comparesValues, type TensorMatch, type TensorPair } from './matchTensors';
import type { DiffSummaryView } from '../../core/results';

/** The values of one pair, or why they could not be compared. */
export interface PairResult {
  metrics?: TensorDiff;
  error?: string;
}

/** Compares one pair's values: in a worker of the pool (extension, CLI) or inline (tests, CLI without workers). */
export type PairDiffRunner = (a: TensorEntry, b: TensorEntry, opts: { signal?: AbortSignal; onProgress?: (done: number) => void }) => Promise<TensorDiff>;

export interface DiffValuesOptions {
  /** Pairs compared at once (default 1). */
  lanes?: number;
  signal?: AbortSignal;
  /** Each pair's result as it arrives. */
  onResult?: (pair: TensorPair, result: PairResult) => void;
  /** Elements compared so far over every pair, of the total. */
  onProgress?: (done: number, total: number) => void;
}

/** The pairs whose values are compared, and the elements each reads from each file. */
export function comparedPairs(match: TensorMatch): TensorPair[] {
  return match.pairs.filter(comparesValues);
}

/** Why a pair's values cannot be compared without reading them, or undefined. */
function refusal(p: TensorPair): string | undefined {
  for (const t of [p.a!, p.b!]) if (!isRealDType(t.dtype)) return `${t.dtype} values are not compared (complex and quantized types have no single real value per element)`;
  return undefined;
}

/**
 * Compares the values of every matched pair, `lanes` at a time, biggest first (so one huge tensor
 * does not start last and run alone). A pair that fails gets an `error`; cancelling stops the
 * pairs not yet started and rejects with the abort.
 */
export async function diffValues(match: TensorMatch, run: PairDiffRunner, opts: DiffValuesOptions = {}): Promise<Map<string, PairResult>> {
  const { signal } = opts;
  const queue = comparedPairs(match).sort((x, y) => y.b!.count - x.b!.count);
  const total = queue.reduce((n, p) => n + p.b!.count, 0);
  const results = new Map<string, PairResult>();
  let finished = 0;
  const running = new Map<TensorPair, number>();
  const report = (): void => {
    let done = finished;
    for (const n of running.values()) done += n;
    opts.onProgress?.(done, total);
  };
  const settle = (p: TensorPair, r: PairResult): void => {
    results.set(p.name, r);
    running.delete(p);
    finished += p.b!.count;
    opts.onResult?.(p, r);
    report();
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < queue.length && !signal?.aborted) {
      const p = queue[next++]!;
      const refused = refusal(p);
      if (refused) {
        settle(p, { error: refused });
        continue;
      }
      running.set(p, 0);
      try {
        const metrics = await run(p.compared?.a ?? p.a!, p.compared?.b ?? p.b!, {
          signal,
          onProgress: (done) => {
            running.set(p, done);
            report();
          },
        });
        settle(p, { metrics });
      } catch (e) {
        if (signal?.aborted) throw e;
        settle(p, { error: (e as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.lanes ?? 1, queue.length)) }, lane));
  throwIfAborted(signal);
  return results;
}

/** Counts of a match and the results so far (pairs still running count as matched only). */
export function summarizeDiff(match: TensorMatch, results: ReadonlyMap<string, PairResult>): DiffSummaryView {
  const s: DiffSummaryView = { matched: 0, identical: 0, changed: 0, failed: 0, added: 0, removed: 0, reshaped: 0, dtypeChanged: 0 };
  for (const p of match.pairs) {
    if (p.status === 'added') s.added++;
    else if (p.status === 'removed') s.removed++;
    else if (p.status === 'reshaped') s.reshaped++;
    else {
      s.matched++;
      if (p.status === 'dtype-changed') s.dtypeChanged++;
      const r = results.get(p.name);
      if (r?.metrics?.identical) s.identical++;
      else if (r?.metrics) s.changed++;
      else if (r?.error !== undefined) s.failed++;
    }
  }
  return s;
}
