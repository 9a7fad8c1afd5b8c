import { stat } from 'node:fs/promises';
import { terminalText as show } from './core/displayText';
import type { SeriesCheckpoint, SeriesFlag, SeriesResult, SeriesTensor } from './core/series';
import { openRun } from './model/series/run';
import { inlineSeriesKernels, poolSeriesKernels } from './model/series/seriesKernels';
import { computeSeries } from './model/series/seriesValues';
import { openWorkerPool } from './cliStats';

/** `series --json`: the result as issue 16 lays it out, `modelFile` and `mtimeMs` kept for tools. */
export type SeriesJson = SeriesResult;

const num = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v === 0 ? '0' : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6 ? v.toExponential(3) : String(Number(v.toPrecision(4))));

const orderWords: Record<SeriesResult['orderedBy'], string> = {
  step: 'the step each checkpoint records',
  epoch: 'the epoch each checkpoint records',
  name: 'the number in each name',
  mtime: 'modification time (no step, epoch or number in the names)',
};

function checkpointLine(c: SeriesCheckpoint): string {
  const when = [c.epoch !== undefined ? `epoch ${c.epoch}` : '', c.step !== undefined ? `step ${c.step}` : ''].filter(Boolean).join(' · ');
  return `${String(c.order).padStart(3)}  ${show(c.file)}${when ? `  ${when}` : ''}`;
}

function flagText(f: SeriesFlag): string {
  if (f.kind === 'frozen') return 'frozen';
  if (f.kind === 'exploded') return `exploded at ${f.at}${f.factor !== null ? ` (${num(f.factor)}× the first norm)` : ''}`;
  return `NaN/inf from ${f.at}`;
}

function tensorLine(t: SeriesTensor): string {
  const present = t.points.flatMap((p) => (p ? [p] : []));
  const first = present[0];
  const last = present[present.length - 1];
  const parts = [`norm ${num(first?.norm)} → ${num(last?.norm)}`, `relFirst ${num(last?.relFirst)}`];
  if (t.added !== undefined) parts.push(`added at ${t.added}`);
  if (t.removed !== undefined) parts.push(`removed at ${t.removed}`);
  parts.push(...t.flags.map(flagText));
  return `${show(t.name)}  ${parts.join('  ')}`;
}

/** The text report: the checkpoints in order, what was left out, then one line per tensor. */
export function formatSeriesText(r: SeriesResult): string {
  const lines = [`${r.checkpoints.length} checkpoints, ordered by ${orderWords[r.orderedBy]}`, ...r.checkpoints.map(checkpointLine)];
  for (const l of r.leftOut) lines.push(`left out: ${show(l.file)}: ${show(l.reason)}`);
  const flagged = r.tensors.filter((t) => t.flags.length > 0).length;
  lines.push('', `${r.tensors.length} tensors${flagged ? `, ${flagged} flagged` : ''} (optimizer state left out)`);
  lines.push(...r.tensors.map(tensorLine));
  return lines.join('\n');
}

/**
 * The `--json` text, `JSON.stringify(result)` with the tensors last, written a tensor at a time:
 * a run of many checkpoints of a model of many tensors never sits in memory as one string.
 */
export function writeSeriesJson(r: SeriesResult, write: (text: string) => void): void {
  const { tensors, ...head } = r;
  write(`${JSON.stringify(head).slice(0, -1)},"tensors":[`);
  tensors.forEach((t, i) => write(`${i > 0 ? ',' : ''}${JSON.stringify(t)}`));
  write(']}\n');
}

/**
 * `series DIR|FILES…`: a training run's checkpoints in order and each tensor's points. Fewer than
 * two readable checkpoints of one model is an error (exit 1, one line); an unreadable or foreign
 * checkpoint among good ones is a warning and left out.
 */
export async function runSeries(paths: readonly string[], json: boolean): Promise<number> {
  const folder = paths.length === 1 && (await stat(paths[0]!).then((s) => s.isDirectory(), () => false)) ? paths[0] : undefined;
  const run = await openRun(paths, { relativeTo: folder });
  for (const l of run.leftOut) process.stderr.write(`warning: left out ${show(l.file)}: ${show(l.reason)}\n`);
  for (const ix of run.indexes) for (const w of ix.warnings) process.stderr.write(`warning: ${show(ix.file)}: ${show(w)}\n`);
  const pool = await openWorkerPool();
  try {
    const result = await computeSeries(run, pool ? poolSeriesKernels(pool) : inlineSeriesKernels());
    for (const w of result.warnings) process.stderr.write(`warning: ${show(w)}\n`);
    if (json) writeSeriesJson(result, (text) => process.stdout.write(text));
    else process.stdout.write(`${formatSeriesText(result)}\n`);
    return 0;
  } finally {
    await pool?.dispose();
  }
}
