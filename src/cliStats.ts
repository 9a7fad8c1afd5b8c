import { gathered } from './cliJson';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { terminalText as show } from './core/displayText';
import type { ModelIndex, TensorEntry } from './core/modelIndex';
import type { StatsView } from './protocol/messages';
import { FileByteSource } from './runtime/byteSource';
import { computeBatchStats } from './runtime/batchStats';
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
 * Statistics for each tensor, each handed to `emit` in tensor order as soon as it and those before
 * it are known (so `stats` of 100,000 tensors streams its output instead of holding it). With a
 * pool, small tensors go to its workers in batches and large ones split across all of them;
 * without, they run inline in this thread, batched the same way.
 */
export async function statsForTensors(tensors: readonly TensorEntry[], emit: (r: ParameterStatsJson, index: number) => void, signal?: AbortSignal, pool?: WorkerPool): Promise<void> {
  const ready = new Map<number, ParameterStatsJson>();
  let next = 0;
  const settle = (i: number, r: StatsView | Error): void => {
    const t = tensors[i]!;
    ready.set(i, r instanceof Error ? failedJson(t, r) : toJson(t, r));
    for (let j = ready.get(next); j !== undefined; j = ready.get(next)) {
      ready.delete(next);
      emit(j, next++);
    }
  };
  const specs = tensors.map((t) => ({ dtype: t.dtype, shape: t.shape, location: t.location }));
  if (pool) {
    await pool.statsMany(specs, { signal, onEach: settle, discard: true, cache: false });
    return;
  }
  const byFile = new Map<string, number[]>();
  tensors.forEach((t, i) => {
    const list = byFile.get(t.location.file);
    if (list) list.push(i);
    else byFile.set(t.location.file, [i]);
  });
  for (const [file, members] of byFile) {
    let src: FileByteSource;
    try {
      src = await FileByteSource.open(file);
    } catch (e) {
      for (const i of members) settle(i, e as Error);
      continue;
    }
    try {
      const results = await computeBatchStats(src, members.map((i) => specs[i]!), { signal });
      // Numbers from a file rewritten while it was read could mix two versions.
      const changed = await src.assertUnchanged().then(() => undefined, (e: Error) => e);
      results.forEach((r, k) => settle(members[k]!, changed ?? ('stats' in r ? r.stats : new Error(r.error))));
    } finally {
      await src.close().catch(() => undefined);
    }
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
  // Written as it comes (one object per tensor, in order): memory stays flat however many tensors.
  const { put: write, flush } = gathered((text) => process.stdout.write(text));
  if (json) write(`${JSON.stringify({ file: index.file, format: index.format, parameters: [] }).slice(0, -2)}`);
  let failed = 0;
  try {
    await statsForTensors(
      tensors,
      (r, i) => {
        if (r.error) {
          failed++;
          process.stderr.write(`warning: ${show(r.name)}: ${show(r.error)}\n`);
        }
        write(json ? `${i > 0 ? ',' : ''}${JSON.stringify(r)}` : `${i > 0 ? '\n\n' : ''}${formatStatsText(r)}`);
      },
      undefined,
      pool,
    );
  } finally {
    flush();
  }
  process.stdout.write(json ? ']}\n' : '\n');
  // Nothing computed (every tensor failed: a corrupt or changing file, unsupported dtypes) is a failure.
  return tensors.length > 0 && failed === tensors.length ? 1 : 0;
}
