import type { ModelIndex, TensorEntry } from './model/modelIndex';
import { FileByteSource } from './runtime/byteSource';
import { computeTensorStats, type TensorStats } from './runtime/stats';

/** A parameter name the file does not have: bad usage, not a bad file. */
export class UnknownParameterError extends Error {}

export interface ParameterStatsJson {
  name: string;
  dtype: string;
  shape: number[];
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  zeros: number;
  nan: number;
  inf: number;
  l2: number | null;
  absMax: number | null;
  histogram: TensorStats['histogram'];
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

/** Statistics for each tensor, each file opened once (sharded models span several). */
export async function statsForTensors(tensors: readonly TensorEntry[], signal?: AbortSignal): Promise<ParameterStatsJson[]> {
  const sources = new Map<string, FileByteSource>();
  try {
    const out: ParameterStatsJson[] = [];
    for (const t of tensors) {
      let src = sources.get(t.location.file);
      if (!src) sources.set(t.location.file, (src = await FileByteSource.open(t.location.file)));
      const head = { name: t.name, dtype: t.dtype, shape: t.shape, count: t.count };
      try {
        const s = await computeTensorStats(src, t, { signal });
        out.push({ ...head, min: s.min, max: s.max, mean: s.mean, std: s.std, zeros: s.zeros, nan: s.nan, inf: s.inf, l2: s.l2, absMax: s.absMax, histogram: s.histogram });
      } catch (e) {
        if (signal?.aborted) throw e;
        out.push({ ...head, min: null, max: null, mean: null, std: null, zeros: 0, nan: 0, inf: 0, l2: null, absMax: null, histogram: null, error: (e as Error).message });
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
  const head = `${p.name}  ${p.dtype}[${p.shape.join(', ')}]  n=${p.count}`;
  if (p.error) return `${head}\n  no statistics: ${p.error}`;
  const lines = [
    head,
    `  min ${num(p.min)}  max ${num(p.max)}  mean ${num(p.mean)}  std ${num(p.std)}  l2 ${num(p.l2)}`,
    `  zeros ${p.zeros}  nan ${p.nan}  inf ${p.inf}`,
  ];
  if (p.histogram) lines.push(`  [${num(p.histogram.min)}, ${num(p.histogram.max)}] ${sparkline(p.histogram.counts)}`);
  return lines.join('\n');
}

/** `stats` verb. */
export async function runStats(index: ModelIndex, params: string[], json: boolean): Promise<number> {
  const results = await statsForTensors(selectTensors(index, params));
  for (const r of results) if (r.error) process.stderr.write(`warning: ${r.name}: ${r.error}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ file: index.file, format: index.format, parameters: results })}\n`);
  else process.stdout.write(`${results.map(formatStatsText).join('\n\n')}\n`);
  return 0;
}
