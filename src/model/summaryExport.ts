import { markdownCode, markdownCodeBlock, markdownText } from '../core/displayText';
import type { StatsView } from '../protocol/messages';
import type { ModelIndex, ModuleNode, TensorEntry } from '../core/modelIndex';
import { JsonList } from '../core/jsonList';
import { printModuleTree } from './printTree';
import { optimizerSlots, trainingProgress, type TrainingProgress } from './trainingState';
import { BLOCK_LAYOUT, bitsPerElement, isBlockDType, storageBytes } from '../core/dtypes';

/** `epoch 3 · step 1,400 · lr 0.001, 0.0001`, or '' when the file records none. */
export function progressText(p: TrainingProgress): string {
  const parts: string[] = [];
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch.toLocaleString('en-US')}`);
  if (p.step !== undefined) parts.push(`step ${p.step.toLocaleString('en-US')}`);
  if (p.lr) parts.push(`lr ${p.lr.join(', ')}`);
  return parts.join(' · ');
}

function progressLines(index: ModelIndex): string[] {
  const text = progressText(trainingProgress(index));
  return text ? [`- training: ${text}`] : [];
}

/**
 * A model's summary as a file: JSON (the CLI's `inspect --json`, with `stats` per parameter when
 * statistics were computed, as `stats --json` gives them), Markdown (for notes and pull requests)
 * or CSV (for spreadsheets). Column names stay English in every display language: they are data
 * that scripts and spreadsheets key on.
 */
export type SummaryFormat = 'markdown' | 'csv' | 'json';

export const SUMMARY_EXTENSIONS: Record<SummaryFormat, string> = { markdown: 'md', csv: 'csv', json: 'json' };

/** Statistics of some tensors, by tensor name (absent: not computed or failed). */
export type StatsByName = ReadonlyMap<string, StatsView>;

interface ModuleJson {
  name: string;
  type: string | null;
  path: string;
  parameterCount: number;
  sameAs?: string;
  children: ModuleJson[] | JsonList<ModuleNode, ModuleJson>;
  parameters: string[];
}

/** Makes a JSON array: at once (`Array.map`), or item by item as it is written (`JsonList`). */
type ListOf = <S, T>(items: readonly S[], map: (item: S) => T) => T[] | JsonList<S, T>;
const eager: ListOf = (items, map) => items.map((x) => map(x));
// An empty list is a plain [] (a leaf module's children): its holder is then plain data, which the
// streaming writer hands to JSON.stringify whole.
const lazy: ListOf = (items, map) => (items.length === 0 ? [] : new JsonList(items, map));

function moduleJson(m: ModuleNode, list: ListOf = eager): ModuleJson {
  const out: ModuleJson = { name: m.name, type: m.type, path: m.path, parameterCount: m.parameterCount, children: list(m.children, (c) => moduleJson(c, list)), parameters: m.parameters };
  if (m.sameAs !== undefined) out.sameAs = m.sameAs;
  return out;
}

function statsJson(s: StatsView): Record<string, unknown> {
  return { min: s.min, max: s.max, mean: s.mean, std: s.std, zeros: s.zeros, nan: s.nan, inf: s.inf, l2: s.l2, absMax: s.absMax, histogram: s.histogram };
}

/** `inspect --json`: the index without byte locations; `stats` added per parameter when given. */
/** Epoch, step, learning rates and the optimizer slots named by their parameters (empty for a plain model). */
function trainingJson(index: ModelIndex): Record<string, unknown> {
  const slots = Object.fromEntries([...optimizerSlots(index)].map(([state, t]) => [state, t.name]));
  return { ...trainingProgress(index), ...(Object.keys(slots).length > 0 ? { optimizerSlots: slots } : {}) };
}

export function summaryJson(index: ModelIndex, stats?: StatsByName): unknown {
  return summaryJsonWith(index, stats, eager);
}

/**
 * The same document with its tensor rows and module children as `JsonList`s: `JSON.stringify`
 * gives the same text, and a streaming writer makes each row only when it writes it.
 */
export function summaryJsonStreamed(index: ModelIndex, stats?: StatsByName): unknown {
  return summaryJsonWith(index, stats, lazy);
}

function summaryJsonWith(index: ModelIndex, stats: StatsByName | undefined, list: ListOf): unknown {
  return {
    file: index.file,
    format: index.format,
    rootName: index.rootName,
    parameters: list(index.tensors, (t) => {
      const row: Record<string, unknown> = { name: t.name, dtype: t.dtype, shape: t.shape, path: t.path, kind: t.kind, count: t.count };
      // Block types: what the storage costs (Q4_K: 4.5 bits, 144 bytes per block of 256).
      if (isBlockDType(t.dtype)) row.storage = { bytes: storageBytes(t.dtype, t.count), blocks: t.count / BLOCK_LAYOUT[t.dtype].elements, bitsPerElement: bitsPerElement(t.dtype) };
      if (t.details) row.details = t.details;
      const s = stats?.get(t.name);
      if (s) row.stats = statsJson(s);
      return row;
    }),
    modules: moduleJson(index.modules, list),
    moduleTreeSource: index.moduleTreeSource,
    totalParameters: index.totalParameters,
    ...(index.container ? { container: index.container } : {}),
    metadata: index.metadata,
    ...(index.metadataTypes ? { metadataTypes: index.metadataTypes } : {}),
    warnings: index.warnings,
    notes: index.notes,
    training: trainingJson(index),
  };
}

const STAT_COLUMNS = ['min', 'max', 'mean', 'std', 'zeros', 'nan', 'inf', 'l2'] as const;

function statCells(s: StatsView | undefined): Array<number | null | ''> {
  return STAT_COLUMNS.map((k) => (s ? s[k] : ''));
}

/**
 * A statistic for people to read: 6 significant digits (`0.0123457`, `1.23457e+07`), trailing zeros
 * dropped; integers (counts) stay whole. CSV and JSON keep every digit.
 */
export function sig6(v: number | null | ''): string {
  if (v === null || v === '') return '';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  if (!Number.isFinite(v)) return String(v);
  const s = v.toPrecision(6);
  const [mantissa, exp] = s.split('e');
  const trimmed = mantissa!.includes('.') ? mantissa!.replace(/0+$/, '').replace(/\.$/, '') : mantissa!;
  return exp === undefined ? trimmed : `${trimmed}e${exp}`;
}

/** Markdown: a header line, the module tree as `print(model)` shows it, a parameter table. */
export function summaryMarkdown(index: ModelIndex, stats?: StatsByName): string {
  const withStats = stats !== undefined && stats.size > 0;
  const name = index.file.split(/[\\/]/).pop() ?? index.file;
  // Strings from the file reach Markdown only through core/displayText (docs/security.md).
  const code = (s: string): string => markdownCode(s, { inTable: true });
  const lines = [
    `# ${markdownCode(name)}`,
    '',
    `- format: ${index.format}`,
    `- parameters: ${index.totalParameters.toLocaleString('en-US')}`,
    `- tensors: ${index.tensors.length}`,
    ...progressLines(index),
    '',
    markdownCodeBlock(printModuleTree(index), 'text'),
    '',
  ];
  const head = ['name', 'access path', 'kind', 'dtype', 'shape', 'count', ...(withStats ? STAT_COLUMNS : [])];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map((h) => (h === 'count' || STAT_COLUMNS.includes(h as never) ? '---:' : '---')).join('|')}|`);
  for (const t of index.tensors) {
    const row = [code(t.name), code(t.path || t.name), t.kind, t.dtype, `[${t.shape.join(', ')}]`, t.count.toLocaleString('en-US')];
    for (const v of withStats ? statCells(stats.get(t.name)) : []) row.push(sig6(v));
    lines.push(`| ${row.join(' | ')} |`);
  }
  if (index.warnings.length > 0) lines.push('', '## warnings', '', ...index.warnings.map((w) => `- ${markdownText(w)}`));
  if (index.notes.length > 0) lines.push('', '## notes', '', ...index.notes.map((w) => `- ${markdownText(w)}`));
  return `${lines.join('\n')}\n`;
}

/**
 * One CSV field (RFC 4180). Names come from files that may be hostile: a field a spreadsheet would
 * run as a formula (starting with = + - @, tab or CR) gets a leading apostrophe (OWASP's advice).
 */
function csvField(v: string | number | null): string {
  let s = v === null ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV: one row per tensor. */
export function summaryCsv(index: ModelIndex, stats?: StatsByName): string {
  const withStats = stats !== undefined && stats.size > 0;
  const head = ['name', 'path', 'kind', 'dtype', 'shape', 'count', ...(withStats ? STAT_COLUMNS : [])];
  const rows = index.tensors.map((t: TensorEntry) => {
    const row: Array<string | number | null> = [t.name, t.path, t.kind, t.dtype, t.shape.join('x'), t.count];
    for (const v of withStats ? statCells(stats.get(t.name)) : []) row.push(v === '' ? null : v);
    return row.map(csvField).join(',');
  });
  return `${[head.join(','), ...rows].join('\r\n')}\r\n`;
}

export function formatSummary(format: SummaryFormat, index: ModelIndex, stats?: StatsByName): string {
  if (format === 'json') return `${JSON.stringify(summaryJson(index, stats), null, 1)}\n`;
  return format === 'csv' ? summaryCsv(index, stats) : summaryMarkdown(index, stats);
}
