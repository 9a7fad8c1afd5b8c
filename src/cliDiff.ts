import { terminalText as show } from './core/displayText';
import type { ModelIndex, TensorEntry } from './core/modelIndex';
import { openModel } from './model/openModel';
import { diffValues, summarizeDiff, type PairDiffRunner, type PairResult } from './model/diff/diffValues';
import { matchTensors, pairRow, type TensorMatch } from './model/diff/matchTensors';
import type { DiffRowView, TensorDiffView, TensorSpec } from './protocol/messages';
import { FileByteSource } from './runtime/byteSource';
import { diffTensors } from './runtime/tensorDiff';
import type { WorkerPool } from './runtime/workerPool';
import { openWorkerPool } from './cliStats';
import type { DiffSummaryView } from './core/results';

/** One `diff --json` row: names, statuses, dtypes and shapes of both sides, and the values' metrics. */
export interface DiffRowJson extends DiffRowView {
  /** null for rows whose values are not compared (reshaped, added, removed) or could not be. */
  metrics: TensorDiffView | null;
  error?: string;
  /** Rows compared in the Hugging Face order: llama.cpp's q/k permutation over this many heads undone. */
  unpermutedHeads?: number;
}

export interface DiffJson {
  a: { file: string; format: string; totalParameters: number };
  b: { file: string; format: string; totalParameters: number };
  prefix: { a: string; b: string };
  /** The side whose llama.cpp names were read as Hugging Face names (a GGUF against its source checkpoint). */
  hfNames?: 'a' | 'b';
  /** Tensors left out of each side: optimizer state, and buffers too when `buffers` is false. */
  ignored: { a: number; b: number };
  /** Whether buffers (BatchNorm running statistics) were compared (the default; `--no-buffers` leaves them out). */
  buffers: boolean;
  summary: DiffSummaryView;
  tensors: DiffRowJson[];
}

/** Compares in this thread, one file handle per file for the whole run (no worker bundle beside us). */
function inlineRunner(): { run: PairDiffRunner; close: () => Promise<void> } {
  const sources = new Map<string, Promise<FileByteSource>>();
  const open = (file: string): Promise<FileByteSource> => {
    let s = sources.get(file);
    if (!s) sources.set(file, (s = FileByteSource.open(file)));
    return s;
  };
  return {
    run: async (a, b, opts) => diffTensors(await open(a.location.file), a, await open(b.location.file), b, { signal: opts.signal, onProgress: opts.onProgress }),
    close: async () => {
      await Promise.all([...sources.values()].map((s) => s.then((f) => f.close()).catch(() => undefined)));
    },
  };
}

const spec = (t: TensorEntry): TensorSpec => ({ dtype: t.dtype, shape: t.shape, location: t.location });

function poolRunner(pool: WorkerPool): PairDiffRunner {
  return (a, b, opts) => pool.run('diff', { a: spec(a), b: spec(b) }, { signal: opts.signal, onProgress: opts.onProgress });
}

/** Matches two models and compares every matched pair's values (in the pool's workers when given). */
export async function diffModels(a: ModelIndex, b: ModelIndex, pool?: WorkerPool, signal?: AbortSignal, buffers = true): Promise<{ match: TensorMatch; results: Map<string, PairResult> }> {
  const match = matchTensors(a.tensors, b.tensors, { buffers });
  if (pool) return { match, results: await diffValues(match, poolRunner(pool), { lanes: pool.size, signal }) };
  const inline = inlineRunner();
  try {
    return { match, results: await diffValues(match, inline.run, { signal }) };
  } finally {
    await inline.close();
  }
}

export function diffJson(a: ModelIndex, b: ModelIndex, match: TensorMatch, results: ReadonlyMap<string, PairResult>): DiffJson {
  const side = (m: ModelIndex): DiffJson['a'] => ({ file: m.file, format: m.format, totalParameters: m.totalParameters });
  return {
    a: side(a),
    b: side(b),
    prefix: match.prefix,
    ...(match.hfNames ? { hfNames: match.hfNames } : {}),
    ignored: match.ignored,
    buffers: match.buffers,
    summary: summarizeDiff(match, results),
    tensors: match.pairs.map((p) => {
      const r = results.get(p.name);
      const row: DiffRowJson = { ...pairRow(p), metrics: r?.metrics ?? null };
      if (p.compared) row.unpermutedHeads = p.compared.unpermutedHeads;
      if (r?.error !== undefined) row.error = r.error;
      return row;
    }),
  };
}

/** Ratios for people: 4 significant digits, exponent form below 1e-3. */
function fmtRatio(v: number | null): string {
  if (v === null) return '—';
  if (v === 0) return '0';
  return Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6 ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}
/** Cosines of fine-tuned weights sit at 0.9999…: enough digits to tell them from 1. */
const fmtCosine = (v: number | null): string => (v === null ? '—' : String(Number(v.toPrecision(9))));

/** The status column: what the names hold, and for compared pairs what the values did. */
export function verdictText(row: DiffRowJson): string {
  if (row.status !== 'same' && row.status !== 'dtype-changed') return row.status;
  const values = row.error !== undefined ? 'not compared' : row.metrics === null ? 'pending' : row.metrics.identical ? 'identical' : 'changed';
  return row.status === 'same' ? values : `dtype-changed, ${values}`;
}

const shapeText = (s: number[] | null): string => (s ? `[${s.join(', ')}]` : '');
const sideBySide = (x: string, y: string): string => (x === y || !y ? x : !x ? y : `${x} → ${y}`);

export function summaryText(s: DiffSummaryView): string {
  const parts = [`${s.matched} matched (${s.identical} identical, ${s.changed} changed${s.failed ? `, ${s.failed} not compared` : ''})`, `${s.added} added`, `${s.removed} removed`, `${s.reshaped} reshaped`, `${s.dtypeChanged} dtype-changed`];
  return parts.join(' · ');
}

/** The text report: both files, the counts, then one aligned row per name. */
export function formatDiffText(d: DiffJson): string {
  const lines = [`a  ${d.a.file}  (${d.a.format}, ${d.a.totalParameters.toLocaleString('en-US')} parameters)`, `b  ${d.b.file}  (${d.b.format}, ${d.b.totalParameters.toLocaleString('en-US')} parameters)`];
  if (d.prefix.a) lines.push(`names in a matched without their '${show(d.prefix.a)}' prefix`);
  if (d.prefix.b) lines.push(`names in b matched without their '${show(d.prefix.b)}' prefix`);
  if (d.hfNames) lines.push(`names in ${d.hfNames} (llama.cpp's) matched by their Hugging Face names`);
  lines.push(summaryText(d.summary));
  if (d.ignored.a || d.ignored.b) lines.push(`left out: ${d.ignored.a} tensor(s) of a, ${d.ignored.b} of b (${d.buffers ? 'optimizer state' : 'optimizer state and buffers, --no-buffers'})`);
  const table = [['name', 'status', 'shape', 'dtype', 'relL2', 'max|b-a|', 'cosine']];
  const notes: string[] = [];
  for (const r of d.tensors) {
    const m = r.metrics;
    table.push([show(r.name), verdictText(r), sideBySide(shapeText(r.shapeA), shapeText(r.shapeB)), sideBySide(r.dtypeA ?? '', r.dtypeB ?? ''), m ? fmtRatio(m.relL2) : '', m ? fmtRatio(m.maxAbsDiff) : '', m ? fmtCosine(m.cosine) : '']);
    if (r.error !== undefined) notes.push(`${show(r.name)}: ${show(r.error)}`);
    if (r.unpermutedHeads !== undefined) notes.push(`${show(r.name)}: rows compared in Hugging Face order (llama.cpp's q/k row permutation over ${r.unpermutedHeads} heads undone)`);
    if (m && m.compared < m.count) notes.push(`${show(r.name)}: ${m.count - m.compared} position(s) with NaN or ±inf left out of the sums (${m.nanMismatch} NaN on one side only, ${m.infMismatch} differing infinities)`);
  }
  // A loop, not Math.max(...rows): a model can have more rows than a call takes arguments.
  const widths = table[0]!.map((_, c) => table.reduce((w, row) => Math.max(w, row[c]!.length), 0));
  const numeric = new Set([4, 5, 6]);
  lines.push('', ...table.map((row) => row.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()));
  if (notes.length > 0) lines.push('', ...notes);
  return lines.join('\n');
}

/** `diff` verb. Opening either file fails as `inspect` does (exit 1); rows that cannot be compared are warnings. */
export async function runDiff(fileA: string, fileB: string, json: boolean, buffers = true): Promise<number> {
  const pool = await openWorkerPool();
  try {
    const [a, b] = await Promise.all([openModel(fileA), openModel(fileB)]);
    for (const [m, label] of [[a, 'a'], [b, 'b']] as const) {
      for (const w of m.warnings) process.stderr.write(`warning: ${label}: ${show(w)}\n`);
      for (const n of m.notes) process.stderr.write(`note: ${label}: ${show(n)}\n`);
    }
    const { match, results } = await diffModels(a, b, pool, undefined, buffers);
    const out = diffJson(a, b, match, results);
    for (const r of out.tensors) if (r.error !== undefined) process.stderr.write(`warning: ${show(r.name)}: ${show(r.error)}\n`);
    process.stdout.write(json ? `${JSON.stringify(out)}\n` : `${formatDiffText(out)}\n`);
    return 0;
  } finally {
    await pool?.dispose();
  }
}
