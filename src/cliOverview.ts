import { terminalText as show } from './core/displayText';
import type { ModelIndex } from './core/modelIndex';
import type { Outlier } from './core/overview';
import { findOutliers, overviewStructure, stackTensors, type JudgedStats } from './model/overview';
import { statsForTensors } from './cliStats';
import type { WorkerPool } from './runtime/workerPool';

/** Blocks listed in the text output (the JSON has them all). */
const TEXT_BLOCKS = 12;

const pct = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '0%');
const num = (v: number | null): string => (v === null ? '—' : Number(v.toPrecision(4)).toString());
const count = (n: number): string => n.toLocaleString('en-US');

/** `layer 5  mlp.down_proj.weight  l2 4.07 (median 0.339, z 12.7)`. */
function outlierText(o: Outlier, stack: string): string {
  const kind = o.kind.startsWith(`${stack}.*.`) ? o.kind.slice(stack.length + 3) : o.kind;
  const what = o.reason === 'zero' ? 'all zeros' : o.reason === 'nonfinite' ? `${count(o.value)} NaN/Inf values` : `${o.stat} ${num(o.value)} (median ${num(o.median)}, z ${o.z.toFixed(1)})`;
  return `  ${show(stack ? `${stack}.${o.layer}` : String(o.layer)).padEnd(20)} ${show(kind).padEnd(32)} ${what}`;
}

/**
 * `paramscope overview`: the model overview page's content as text or JSON (model/overview.ts):
 * shares by block and dtype, each stack's statistics over depth, and the layers that stand apart.
 */
export async function runOverview(index: ModelIndex, json: boolean, pool: WorkerPool | undefined): Promise<number> {
  const structure = overviewStructure(index);
  const tensors = stackTensors(index, structure);
  const stats = new Map<string, JudgedStats>();
  const errors = new Map<string, string>();
  await statsForTensors(
    tensors,
    (r) => {
      if (r.error) errors.set(r.name, r.error);
      else stats.set(r.name, r);
    },
    undefined,
    pool,
  );
  const outliers = findOutliers(structure.kinds, (n) => stats.get(n));
  if (json) {
    const depth = structure.kinds.map((k) => ({
      kind: k.kind,
      stack: k.stack,
      layers: k.layers.map((l) => {
        const s = stats.get(l.name);
        return { layer: l.layer, name: l.name, l2: s?.l2 ?? null, std: s?.std ?? null, absMax: s?.absMax ?? null, ...(errors.has(l.name) ? { error: errors.get(l.name) } : {}) };
      }),
    }));
    process.stdout.write(`${JSON.stringify({ file: index.file, format: index.format, ...structure, depth, outliers })}\n`);
    return 0;
  }
  const lines = [`${show(index.file)} · ${index.format} · ${count(structure.totalParameters)} parameters · ${count(structure.totalBytes)} bytes${structure.tied ? ` · ${structure.tied} tied view${structure.tied === 1 ? '' : 's'} counted once` : ''}`];
  lines.push(`blocks (${structure.blocks.length > TEXT_BLOCKS ? `largest ${TEXT_BLOCKS} of ${structure.blocks.length}` : structure.blocks.length}):`);
  for (const b of structure.blocks.slice(0, TEXT_BLOCKS)) lines.push(`  ${show(b.block || '(top level)').padEnd(32)} ${count(b.parameters).padStart(14)}  ${pct(b.parameters, structure.totalParameters).padStart(6)}`);
  lines.push(`dtypes: ${structure.dtypes.map((d) => `${d.dtype} ${count(d.parameters)} parameters ${pct(d.bytes, structure.totalBytes)} of bytes`).join(' · ')}`);
  for (const s of structure.stacks) {
    const kinds = structure.kinds.filter((k) => k.stack === s.stack).length;
    lines.push(`stack ${show(s.stack)}: ${s.layers.length} layers, ${kinds} parameter kinds, ${count(s.parameters)} parameters (${pct(s.parameters, structure.totalParameters)})`);
  }
  if (structure.stacks.length === 0) lines.push('no repeated blocks');
  else if (outliers.length === 0) lines.push('no layer stands apart');
  else {
    lines.push(`layers that stand apart (${outliers.length}):`);
    for (const o of outliers) lines.push(outlierText(o, structure.kinds.find((k) => k.kind === o.kind)?.stack ?? ''));
  }
  for (const [name, message] of errors) lines.push(`note: no statistics for ${show(name)}: ${show(message)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
