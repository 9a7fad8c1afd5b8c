import './l10n';
import * as l10n from '@vscode/l10n';
import type { InitReportNotifications, InitReportParameter, InitReportRequests, InitReportResult } from '../src/protocol/messages';
import { Rpc } from '../src/protocol/rpc';
import { equivalentLines, equivalentMark, moduleLines, schemeLabel, verdictMeaning } from './initText';
import { SortableTable, type Column, type SortState } from './sortableTable';
import { el, fmtCount, fmtNumber, hostEndpoint, vscode } from './vscodeApi';

/** One row: the parameter, and its detection once it arrives. */
interface Row {
  parameter: InitReportParameter;
  /** File order, the order before any sort. */
  order: number;
  result?: InitReportResult;
  error?: string;
  tr: HTMLTableRowElement;
}

/** What survives the panel being hidden, and the window being reloaded (the host revives it from `file`). */
interface ReportState {
  sort?: SortState;
  file?: string;
  /** The "hide constant and zeros rows" filter. */
  hideConstant?: boolean;
}

const COLUMNS: Array<Column<Row>> = [
  // First, and held in view while the table scrolls sideways: the name and the access path.
  { key: 'name', title: l10n.t('Parameter'), value: (r) => r.parameter.name },
  { key: 'scheme', title: l10n.t('Scheme'), value: (r) => r.result?.scheme ?? (r.error ? '~error' : undefined) },
  { key: 'params', title: l10n.t('Parameters'), value: (r) => (r.result ? verdictMeaning(r.result) : undefined) },
  { key: 'equivalent', title: l10n.t('Equivalent'), value: (r) => (r.result ? (r.result.equivalent ?? []).map(equivalentMark).join(' ') : undefined) },
  { key: 'ks', title: l10n.t('KS distance'), numeric: true, value: (r) => r.result?.fit?.ks },
  { key: 'p', title: l10n.t('p-value'), numeric: true, value: (r) => r.result?.fit?.p },
  { key: 'runnerUp', title: l10n.t('Runner-up'), value: (r) => (r.result?.runnerUp ? schemeLabel(r.result.runnerUp) : undefined) },
  { key: 'shape', title: l10n.t('Shape'), numeric: true, value: (r) => r.parameter.count },
  { key: 'dtype', title: l10n.t('dtype'), value: (r) => r.parameter.dtype },
];

/** Schemes the "hide" filter hides: no distribution to judge. */
const CONSTANT_SCHEMES = new Set(['zeros', 'constant']);

/**
 * Identifiers never wrap inside a name, and the first column stays in view when the table scrolls
 * sideways. Set through CSSOM (the page's CSP allows no inline style attributes).
 */
function holdInView(cell: HTMLElement, background: string): void {
  cell.style.position = 'sticky';
  cell.style.left = '0';
  cell.style.zIndex = '1';
  cell.style.background = background;
  cell.style.whiteSpace = 'nowrap';
  cell.style.overflowWrap = 'normal';
  cell.style.maxWidth = 'none';
}
const CELL_BACKGROUND = 'var(--vscode-editor-background)';

const app = document.getElementById('app')!;
const rpc = new Rpc<InitReportRequests, InitReportNotifications>(hostEndpoint);
const state: ReportState = { ...vscode.getState<ReportState>() };

const heading = el('h1', { text: l10n.t('Init report') });
const status = el('p', { class: 'readout', attrs: { role: 'status' } });
const progress = el('progress', { attrs: { max: '1', value: '0', 'aria-label': l10n.t('detecting init schemes') } });
const table = new SortableTable(COLUMNS, { label: l10n.t('init scheme of each parameter'), className: 'report' }, state, () => vscode.setState(state));
const intro = el('p', {
  class: 'readout',
  text: l10n.t('The initialisation each floating parameter follows, judged on at most its first 100,000 values: the best-fitting scheme and its parameters, the Kolmogorov–Smirnov distance to it with its p-value, and the runner-up. Click a row or press Enter on it to open the parameter; click a header to sort.'),
});
const hideConstant = el('input', { attrs: { type: 'checkbox', ...(state.hideConstant ? { checked: '' } : {}) } });
hideConstant.addEventListener('change', applyFilter);
const filterBar = el('div', { class: 'toolbar' }, el('label', {}, hideConstant, document.createTextNode(` ${l10n.t('Hide constant and zeros rows')}`)));
let rows: Row[] = [];
/** The name column's header stays in view too; the table redraws its header on every sort click. */
function stickHeader(): void {
  const th = table.table.tHead?.rows[0]?.cells[0];
  if (th) holdInView(th, CELL_BACKGROUND);
}
table.table.addEventListener('click', () => queueMicrotask(stickHeader));
let generation = 0;
let total = 0;
/** The host stopped detecting (the progress notification's Cancel): pending rows say so. */
let cancelled = false;

/** Four significant digits: enough to compare fits, short enough for a column. */
const fmtFit = (v: number | undefined): string => (v === undefined ? '—' : fmtNumber(Number(v.toPrecision(4))));

function fillRow(r: Row): void {
  const p = r.parameter;
  const res = r.result;
  // [text, class, tooltip], in COLUMNS order after the name.
  let verdict: Array<[string, string, string?]>;
  if (res) {
    const decided = res.decidedBy === 'module' ? ` · ${l10n.t('module type')}` : '';
    verdict = [
      [`${res.scheme}${decided}`, `scheme scheme-${res.scheme}`, moduleLines(res).join('\n') || undefined],
      [verdictMeaning(res), 'params'],
      [(res.equivalent ?? []).map(equivalentMark).join('  '), 'equivalent', equivalentLines(res).join('\n') || undefined],
      [fmtFit(res.fit?.ks), 'num'],
      [fmtFit(res.fit?.p), 'num', res.fit ? l10n.t('{0} values tested', fmtCount(res.fit.n)) : undefined],
      [res.runnerUp ? schemeLabel(res.runnerUp) : '—', 'runner-up', res.runnerUp?.fit ? `KS ${fmtFit(res.runnerUp.fit.ks)} (p ${fmtFit(res.runnerUp.fit.p)})` : undefined],
    ];
  } else if (r.error !== undefined) {
    verdict = [[l10n.t('cannot read'), 'scheme error', r.error], ['', ''], ['', ''], ['', 'num'], ['', 'num'], ['', '']];
  } else {
    verdict = [[cancelled ? l10n.t('cancelled') : '…', 'scheme pending'], ['', ''], ['', ''], ['', 'num'], ['', 'num'], ['', '']];
  }
  const cells: Array<[string, string, string?]> = [...verdict, [`[${p.shape.join(', ')}]`, 'num'], [p.dtype, '']];
  // The name, and under it the access path (long in real models: it never wraps, and stays in view).
  const path = el('code', { class: 'path', text: p.path || p.name });
  const nameCell = el('td', { class: 'name', attrs: { title: `${l10n.t('Access path')}: ${p.path || p.name}` } }, el('div', { text: p.name }), path);
  holdInView(nameCell, CELL_BACKGROUND);
  for (const c of cells) if (c[1] === 'runner-up' || c[1] === 'equivalent' || c[1] === 'params') c[1] += ' mono';
  r.tr.replaceChildren(
    nameCell,
    ...cells.map(([text, cls, title]) => {
      const td = el('td', { text, class: cls, ...(title ? { title } : {}) });
      // Scheme names and arguments are identifiers too: they break between arguments, not inside them.
      if (cls.includes('mono')) td.style.overflowWrap = 'normal';
      return td;
    }),
  );
  r.tr.dataset.scheme = res?.scheme ?? '';
  r.tr.hidden = hideConstant.checked && CONSTANT_SCHEMES.has(res?.scheme ?? '');
  r.tr.setAttribute('aria-label', `${p.name}: ${res ? `${res.scheme} ${verdictMeaning(res)}` : r.error !== undefined ? l10n.t('cannot read') : l10n.t('detecting')}`);
}

/** Hides (or shows again) the rows whose values are one constant: nothing there to attribute. */
function applyFilter(): void {
  state.hideConstant = hideConstant.checked;
  vscode.setState(state);
  for (const r of rows) r.tr.hidden = hideConstant.checked && CONSTANT_SCHEMES.has(r.result?.scheme ?? '');
  showStatus(rows.filter((r) => r.result || r.error !== undefined).length);
}

function showStatus(done: number): void {
  progress.hidden = done >= total || cancelled;
  progress.value = total > 0 ? done / total : 1;
  const failed = rows.filter((r) => r.error !== undefined).length;
  const counts = new Map<string, number>();
  for (const r of rows) if (r.result) counts.set(r.result.scheme, (counts.get(r.result.scheme) ?? 0) + 1);
  const bySchemes = [...counts].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${n} ${s}`).join(', ');
  if (total === 0) status.textContent = l10n.t('This file has no floating-point parameters.');
  else if (done < total && !cancelled) status.textContent = `${l10n.t('Detecting: {0} of {1} parameters', fmtCount(done), fmtCount(total))}${bySchemes ? ` · ${bySchemes}` : ''}`;
  else {
    const head = cancelled && done < total ? l10n.t('{0} parameters (cancelled after {1})', fmtCount(total), fmtCount(done)) : l10n.t('{0} parameters', fmtCount(total));
    const hidden = rows.filter((r) => r.tr.hidden).length;
    status.textContent = `${head}${bySchemes ? ` · ${bySchemes}` : ''}${failed ? ` · ${l10n.t('{0} could not be read', failed)}` : ''}${hidden ? ` · ${l10n.t('{0} hidden', fmtCount(hidden))}` : ''}`;
  }
}

function open(r: Row): void {
  rpc.notify('openParameter', { name: r.parameter.name });
}

rpc.onNotify('report', (report) => {
  state.file = report.file;
  vscode.setState(state);
  generation = report.generation;
  total = report.parameters.length;
  cancelled = false;
  heading.textContent = l10n.t('Init report · {0}', report.fileName);
  rows = report.parameters.map((parameter, order) => {
    const tr = SortableTable.rowElement({ 'data-name': parameter.name }, () => open(r));
    const r: Row = { parameter, order, tr };
    fillRow(r);
    return r;
  });
  table.setRows(rows);
  stickHeader();
  showStatus(0);
  app.replaceChildren(heading, intro, filterBar, status, progress, el('div', { class: 'table-scroll' }, table.table));
});

rpc.onNotify('row', (m) => {
  if (m.generation !== generation) return;
  const r = rows.find((x) => x.parameter.name === m.name);
  if (!r) return;
  r.result = m.result;
  r.error = m.error;
  fillRow(r);
  if (state.sort) table.sortRows();
});

rpc.onNotify('progress', (m) => {
  if (m.generation !== generation) return;
  if (m.cancelled) {
    cancelled = true;
    for (const r of rows) if (!r.result && r.error === undefined) fillRow(r);
  }
  showStatus(m.done);
});

rpc.onNotify('failed', ({ message, fileName }) => {
  app.replaceChildren(el('h1', { text: l10n.t('Init report · {0}', fileName) }), el('p', { class: 'status error', text: message }));
});

app.replaceChildren(heading, el('p', { class: 'readout', text: l10n.t('Reading the model…') }));
rpc.notify('ready', {});
