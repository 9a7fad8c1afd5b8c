import './l10n';
import * as l10n from '@vscode/l10n';
import type { DiffNotifications, DiffPageData, DiffRequests, DiffRowView, DiffSummaryView, TensorDiffView } from '../src/protocol/messages';
import { Rpc } from '../src/protocol/rpc';
import { SortableTable, type Column, type SortState } from './sortableTable';
import { el, fmtCount, fmtNumber, hostEndpoint, vscode } from './vscodeApi';

/** One row: what the names hold, and the values' comparison once it arrives. */
interface Row {
  view: DiffRowView;
  /** Order of the host's list (second file's order, then removed), the order before any sort. */
  order: number;
  metrics?: TensorDiffView;
  error?: string;
  tr: HTMLTableRowElement;
}

/** What survives the panel being hidden, and the window being reloaded (the host revives it from the files). */
interface DiffState {
  sort?: SortState;
  fileA?: string;
  fileB?: string;
}

const compared = (v: DiffRowView): boolean => v.status === 'same' || v.status === 'dtype-changed';
const shapeText = (s: number[] | null): string => (s ? `[${s.join(', ')}]` : '');
const sideBySide = (x: string, y: string): string => (x === y || !y ? x : !x ? y : `${x} → ${y}`);
/** Cosines of fine-tuned weights sit at 0.9999…: nine digits tell them from 1. */
const fmtCosine = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : String(Number(v.toPrecision(9))));

/** The status column: what the names hold and, for compared pairs, what the values did. */
function verdict(r: Row): string {
  const v = r.view;
  if (v.status === 'reshaped') return l10n.t('reshaped');
  if (v.status === 'added') return l10n.t('added');
  if (v.status === 'removed') return l10n.t('removed');
  const values = r.error !== undefined ? l10n.t('not compared') : !r.metrics ? (cancelled ? l10n.t('cancelled') : '…') : r.metrics.identical ? l10n.t('identical') : l10n.t('changed');
  return v.status === 'same' ? values : l10n.t('dtype-changed · {0}', values);
}

const COLUMNS: Array<Column<Row>> = [
  { key: 'name', title: l10n.t('Parameter'), value: (r) => r.view.name },
  { key: 'status', title: l10n.t('Status'), value: (r) => verdict(r) },
  { key: 'relL2', title: l10n.t('rel. L2'), numeric: true, value: (r) => r.metrics?.relL2 ?? undefined },
  { key: 'maxAbs', title: l10n.t('max |b − a|'), numeric: true, value: (r) => r.metrics?.maxAbsDiff ?? undefined },
  { key: 'cosine', title: l10n.t('cosine'), numeric: true, value: (r) => r.metrics?.cosine ?? undefined },
  { key: 'shape', title: l10n.t('Shape'), value: (r) => sideBySide(shapeText(r.view.shapeA), shapeText(r.view.shapeB)) },
  { key: 'dtype', title: l10n.t('dtype'), value: (r) => sideBySide(r.view.dtypeA ?? '', r.view.dtypeB ?? '') },
];

const app = document.getElementById('app')!;
const rpc = new Rpc<DiffRequests, DiffNotifications>(hostEndpoint);
const state: DiffState = { ...vscode.getState<DiffState>() };

const heading = el('h1', { text: l10n.t('Model diff') });
const files = el('p', { class: 'readout' });
const chips = el('div', { class: 'chips', attrs: { role: 'status', 'aria-label': l10n.t('summary') } });
const status = el('p', { class: 'readout', attrs: { role: 'status' } });
const progress = el('progress', { attrs: { max: '1', value: '0', 'aria-label': l10n.t('comparing values') } });
const table = new SortableTable(COLUMNS, { label: l10n.t('parameters of both files'), className: 'report diff' }, state, () => vscode.setState(state));
const intro = el('p', { class: 'readout' });
/** How rows were paired (by state_dict name, or a GGUF's tensors by their Hugging Face names), then what the columns mean. */
function introText(hfNames: boolean): string {
  const matched = hfNames
    ? l10n.t("Parameters are matched by name, llama.cpp's by the Hugging Face name they were converted from; rel. L2 is then how much a tensor lost.")
    : l10n.t('Parameters are matched by state_dict name.');
  return `${matched} ${l10n.t(
    'For a pair of one shape, a is the first file and b the second: rel. L2 is ‖b − a‖ / ‖a‖, max |b − a| the largest change of one value, cosine the cosine similarity; values are compared as float64, positions holding NaN or ±inf are left out and counted apart. Click a row or press Enter on it to open the parameter of the second file; click a header to sort.',
  )}`;
}
let rows: Row[] = [];
let generation = 0;
/** The host stopped comparing (the progress notification's Cancel): pending rows say so. */
let cancelled = false;

/** Why a comparison left positions out, for the row's tooltip. */
function nonFiniteNote(m: TensorDiffView): string | undefined {
  if (m.compared === m.count) return undefined;
  return l10n.t('{0} positions with NaN or ±inf left out: {1} NaN in one file only, {2} differing infinities', fmtCount(m.count - m.compared), fmtCount(m.nanMismatch), fmtCount(m.infMismatch));
}

function fillRow(r: Row): void {
  const v = r.view;
  const m = r.metrics;
  // [text, class, tooltip], in COLUMNS order.
  const cells: Array<[string, string, string?]> = [
    [v.name, 'name'],
    [verdict(r), `diff-status diff-${v.status}${m?.identical ? ' diff-identical' : ''}${r.error !== undefined ? ' error' : ''}`, r.error ?? (m ? nonFiniteNote(m) : undefined)],
    [m ? fmtNumber(m.relL2) : '', 'num'],
    [m ? fmtNumber(m.maxAbsDiff) : '', 'num'],
    [m ? fmtCosine(m.cosine) : '', 'num'],
    [sideBySide(shapeText(v.shapeA), shapeText(v.shapeB)), 'sides'],
    [sideBySide(v.dtypeA ?? '', v.dtypeB ?? ''), 'sides'],
  ];
  const tds = cells.map(([text, cls, title]) => el('td', { text, class: cls, ...(title ? { title } : {}) }));
  // A pair matched under another name (a GGUF tensor and its Hugging Face source) shows that name
  // under its own, and whether llama.cpp's q/k row permutation was undone for it (explained on hover).
  if (v.nameA && v.nameB && v.nameA !== v.nameB) tds[0]!.append(el('span', { class: 'also-named', text: `≙\u00a0${v.nameA}` }));
  if (v.unpermutedHeads !== undefined) {
    const title = l10n.t("rows compared in Hugging Face order (llama.cpp's q/k row permutation over {0} heads undone)", v.unpermutedHeads);
    tds[0]!.append(el('span', { class: 'also-named', text: l10n.t('q/k rows unpermuted ({0} heads)', v.unpermutedHeads), title }));
  }
  r.tr.replaceChildren(...tds);
  r.tr.dataset.status = v.status;
  r.tr.setAttribute('aria-label', `${v.name}: ${verdict(r)}`);
}

function showSummary(s: DiffSummaryView): void {
  const parts: Array<[string, number]> = [
    [l10n.t('{0} matched', fmtCount(s.matched)), s.matched],
    [l10n.t('{0} identical', fmtCount(s.identical)), s.identical],
    [l10n.t('{0} changed', fmtCount(s.changed)), s.changed],
    [l10n.t('{0} added', fmtCount(s.added)), s.added],
    [l10n.t('{0} removed', fmtCount(s.removed)), s.removed],
    [l10n.t('{0} reshaped', fmtCount(s.reshaped)), s.reshaped],
    [l10n.t('{0} dtype-changed', fmtCount(s.dtypeChanged)), s.dtypeChanged],
  ];
  if (s.failed > 0) parts.push([l10n.t('{0} not compared', fmtCount(s.failed)), s.failed]);
  chips.replaceChildren(...parts.map(([text, n]) => el('span', { class: `chip${n === 0 ? ' chip-zero' : ''}`, text })));
}

function showProgress(done: number, total: number): void {
  const finished = done >= total || cancelled;
  progress.hidden = finished;
  progress.value = total > 0 ? done / total : 1;
  const pending = rows.filter((r) => compared(r.view) && !r.metrics && r.error === undefined).length;
  if (!finished) status.textContent = l10n.t('Comparing values: {0} of {1} elements', fmtCount(done), fmtCount(total));
  else if (cancelled && pending > 0) status.textContent = l10n.t('Cancelled: {0} pairs not compared. Reopen the panel to compare them.', fmtCount(pending));
  else status.textContent = l10n.t('{0} elements compared in each file.', fmtCount(total));
}

function open(r: Row): void {
  if (r.view.nameB !== null) rpc.notify('openParameter', { name: r.view.name });
}

function render(d: DiffPageData): void {
  heading.textContent = l10n.t('Diff · {0} ↔ {1}', d.fileNameA, d.fileNameB);
  const fileLines: Node[] = [el('span', { text: l10n.t('a (before): {0}', d.fileA) }), el('br'), el('span', { text: l10n.t('b (after): {0}', d.fileB) })];
  if (d.prefix.a) fileLines.push(el('br'), el('span', { text: l10n.t("names in a are matched without their '{0}' prefix", d.prefix.a) }));
  if (d.prefix.b) fileLines.push(el('br'), el('span', { text: l10n.t("names in b are matched without their '{0}' prefix", d.prefix.b) }));
  if (d.hfNames) fileLines.push(el('br'), el('span', { text: l10n.t("names in {0} (llama.cpp's) are matched by their Hugging Face names", d.hfNames) }));
  if (d.ignored.a || d.ignored.b) fileLines.push(el('br'), el('span', { text: d.buffers ? l10n.t('left out: {0} optimizer-state tensors of a and {1} of b', d.ignored.a, d.ignored.b) : l10n.t('left out: {0} tensors of a and {1} of b (optimizer state, buffers)', d.ignored.a, d.ignored.b) }));
  files.replaceChildren(...fileLines);
  intro.textContent = introText(d.hfNames !== undefined);
  rows = d.rows.map((view, order) => {
    // Rows the second file holds open its parameter; removed ones have nothing to open.
    const tr = SortableTable.rowElement({ 'data-name': view.name }, view.nameB !== null ? () => open(r) : undefined);
    const r: Row = { view, order, tr };
    fillRow(r);
    return r;
  });
  table.setRows(rows);
  showSummary(d.summary);
  const empty = d.rows.length === 0 ? [el('p', { class: 'readout', text: l10n.t('Neither file holds parameters to compare.') })] : [];
  app.replaceChildren(heading, files, chips, status, progress, intro, ...empty, el('div', { class: 'table-scroll' }, table.table));
}

rpc.onNotify('diff', (d) => {
  state.fileA = d.fileA;
  state.fileB = d.fileB;
  vscode.setState(state);
  generation = d.generation;
  cancelled = false;
  render(d);
  showProgress(0, 1);
});

rpc.onNotify('result', (m) => {
  if (m.generation !== generation) return;
  const r = rows.find((x) => x.view.name === m.name);
  if (!r) return;
  r.metrics = m.metrics;
  r.error = m.error;
  fillRow(r);
  showSummary(m.summary);
  if (state.sort) table.sortRows();
});

rpc.onNotify('progress', (m) => {
  if (m.generation !== generation) return;
  if (m.cancelled) {
    cancelled = true;
    for (const r of rows) if (compared(r.view) && !r.metrics && r.error === undefined) fillRow(r);
  }
  showProgress(m.done, m.total);
});

rpc.onNotify('failed', ({ message, fileNameA, fileNameB }) => {
  app.replaceChildren(el('h1', { text: l10n.t('Diff · {0} ↔ {1}', fileNameA, fileNameB) }), el('p', { class: 'status error', text: message }));
});

app.replaceChildren(heading, el('p', { class: 'readout', text: l10n.t('Reading both models…') }));
rpc.notify('ready', {});
