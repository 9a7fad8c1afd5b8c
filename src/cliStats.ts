import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachAtOnce } from './core/atOnce';
import { terminalText as show } from './core/displayText';
import type { ModelIndex, TensorEntry } from './core/modelIndex';
import type { StatsView } from './protocol/messages';
import { FileByteSource } from './runtime/byteSource';
import { computeTensorStats } from './runtime/stats';
import { WorkerPool } from './runtime/workerPool';

/** A parameter name the file does not have: bad usage, not a bad file. */
export class UnknownParameterError extends Error {}

/** One `stats --json` entry: the tensor's name and shape, and the statistics the panel shows. */
export interface ParameterStatsJson extends StatsView {
  name: string;
  dtype: string;
  shape: number[];
  /** Why statistics could not be computed (complex or quantized dtypes). */
  error?: string;
}

/** Picks tensors by state_dict name or access path; all when none are asked for. */
export function selectTensors(index: ModelIndex, wanted: readonly string[]): TensorEntry[] {
  if (wanted.length === 0) return index.tensors;
  return wanted.map((w) => {
    const t = index.tensors.find((x) => x.name === w) ?? index.tensors.find((x) => x.path === w);
    if (!t) throw new UnknownParameterError(`no parameter '${w}' in ${index.file} (try: ${index.tensors.slice(0, 3).map((x) => x.name).join(', ')}…)`);
    return t;
  });
}

function toJson(t: TensorEntry, s: StatsView): ParameterStatsJson {
  return { name: t.name, dtype: t.dtype, shape: t.shape, count: t.count, min: s.min, max: s.max, mean: s.mean, std: s.std, zeros: s.zeros, nan: s.nan, inf: s.inf, l2: s.l2, absMax: s.absMax, histogram: s.histogram };
}

function failedJson(t: TensorEntry, e: unknown): ParameterStatsJson {
  return { name: t.name, dtype: t.dtype, shape: t.shape, count: t.count, min: null, max: null, mean: null, std: null, zeros: 0, nan: 0, inf: 0, l2: null, absMax: null, histogram: null, error: (e as Error).message };
}

/** The worker pool over the worker bundle beside this one, or undefined when it was not built with it. */
export async function openWorkerPool(): Promise<WorkerPool | undefined> {
  const script = join(__dirname, 'tensorWorker.js');
  try {
    await access(script);
  } catch {
    return undefined; // the CLI bundled alone (as the unit tests do): kernels run inline
  }
  const pool = new WorkerPool(script);
  pool.warm();
  return pool;
}

/**
 * Statistics for each tensor. With a pool, tensors run on its workers (a large one split across
 * all of them), as many at once as there are workers; without, inline in this thread.
 */
export async function statsForTensors(tensors: readonly TensorEntry[], signal?: AbortSignal, pool?: WorkerPool): Promise<ParameterStatsJson[]> {
  if (pool) {
    const out = new Array<ParameterStatsJson>(tensors.length);
    await forEachAtOnce(tensors, pool.size, async (t, i) => {
      try {
        out[i] = toJson(t, await pool.stats({ tensor: { dtype: t.dtype, shape: t.shape, location: t.location } }, { signal }));
      } catch (e) {
        if (signal?.aborted) throw e;
        out[i] = failedJson(t, e);
      }
    });
    return out;
  }
  const sources = new Map<string, FileByteSource>();
  try {
    const out: ParameterStatsJson[] = [];
    for (const t of tensors) {
      try {
        let src = sources.get(t.location.file);
        if (!src) sources.set(t.location.file, (src = await FileByteSource.open(t.location.file)));
        const stats = await computeTensorStats(src, t, { signal });
        // Numbers from a file rewritten while it was read could mix two versions.
        await src.assertUnchanged();
        out.push(toJson(t, stats));
      } catch (e) {
        if (signal?.aborted) throw e;
        out.push(failedJson(t, e));
      }
    }
    return out;
  } finally {
    await Promise.all([...sources.values()].map((s) => s.close().catch(() => undefined)));
  }
}

const SPARK = ' ▁▂▃▄▅▆▇█';
const SPARK_WIDTH = 64;

/** A one-line picture of a histogram: 64 columns, heights relative to the fullest. */
export function sparkline(counts: readonly number[]): string {
  const per = Math.max(1, Math.ceil(counts.length / SPARK_WIDTH));
  const cols: number[] = [];
  for (let i = 0; i < counts.length; i += per) cols.push(counts.slice(i, i + per).reduce((a, b) => a + b, 0));
  const peak = Math.max(...cols, 1);
  return cols.map((c) => SPARK[c === 0 ? 0 : Math.max(1, Math.round((c / peak) * (SPARK.length - 1)))]).join('');
}

const num = (v: number | null): string => (v === null ? '—' : Number.isInteger(v) ? String(v) : v.toPrecision(6));

export function formatStatsText(p: ParameterStatsJson): string {
  // Names and messages from the file: control characters shown escaped, never sent to the terminal.
  const head = `${show(p.name)}  ${p.dtype}[${p.shape.join(', ')}]  n=${p.count}`;
  if (p.error) return `${head}\n  no statistics: ${show(p.error)}`;
  const lines = [
    head,
    `  min ${num(p.min)}  max ${num(p.max)}  mean ${num(p.mean)}  std ${num(p.std)}  l2 ${num(p.l2)}`,
    `  zeros ${p.zeros}  nan ${p.nan}  inf ${p.inf}`,
  ];
  if (p.histogram) lines.push(`  [${num(p.histogram.min)}, ${num(p.histogram.max)}] ${sparkline(p.histogram.counts)}`);
  return lines.join('\n');
}

/** `stats` verb. */
export async function runStats(index: ModelIndex, params: string[], json: boolean, pool?: WorkerPool): Promise<number> {
  const tensors = selectTensors(index, params);
  const results = await statsForTensors(tensors, undefined, pool);
  for (const r of results) if (r.error) process.stderr.write(`warning: ${show(r.name)}: ${show(r.error)}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ file: index.file, format: index.format, parameters: results })}\n`);
  else process.stdout.write(`${results.map(formatStatsText).join('\n\n')}\n`);
  // Nothing computed (every tensor failed: a corrupt or changing file, unsupported dtypes) is a failure.
  return results.length > 0 && results.every((r) => r.error !== undefined) ? 1 : 0;
}
