import './l10n';
import * as l10n from '@vscode/l10n';
import type { InitReportNotifications, InitReportParameter, InitReportRequests, InitReportResult, SchemeView } from '../src/protocol/messages';
import { Rpc } from '../src/protocol/rpc';
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

type SortKey = 'name' | 'path' | 'dtype' | 'shape' | 'scheme' | 'params' | 'ks' | 'p' | 'runnerUp';
/** What survives the panel being hidden, and the window being reloaded (the host revives it from `file`). */
interface ReportState {
  sort?: { key: SortKey; descending: boolean };
  file?: string;
}

/** The columns, what a header says, and how a row sorts by it (undefined: not known yet, sorted last). */
const COLUMNS: Array<{ key: SortKey; title: string; numeric?: boolean; value: (r: Row) => string | number | undefined }> = [
  { key: 'name', title: l10n.t('Parameter'), value: (r) => r.parameter.name },
  { key: 'scheme', title: l10n.t('Scheme'), value: (r) => r.result?.scheme ?? (r.error ? '~error' : undefined) },
  { key: 'params', title: l10n.t('Parameters'), value: (r) => (r.result ? paramsText(r.result.params) : undefined) },
  { key: 'ks', title: l10n.t('KS distance'), numeric: true, value: (r) => r.result?.fit?.ks },
  { key: 'p', title: l10n.t('p-value'), numeric: true, value: (r) => r.result?.fit?.p },
  { key: 'runnerUp', title: l10n.t('Runner-up'), value: (r) => (r.result?.runnerUp ? r.result.runnerUp.scheme : undefined) },
  { key: 'shape', title: l10n.t('Shape'), numeric: true, value: (r) => r.parameter.count },
  { key: 'dtype', title: 'dtype', value: (r) => r.parameter.dtype },
  // Last: access paths of real models are long, and the verdict should not scroll out of view.
  { key: 'path', title: l10n.t('Access path'), value: (r) => r.parameter.path },
];

const app = document.getElementById('app')!;
const rpc = new Rpc<InitReportRequests, InitReportNotifications>(hostEndpoint);
const state: ReportState = { ...vscode.getState<ReportState>() };

const heading = el('h1', { text: l10n.t('Init report') });
const status = el('p', { class: 'readout', attrs: { role: 'status' } });
const progress = el('progress', { attrs: { max: '1', value: '0', 'aria-label': l10n.t('detecting init schemes') } });
const headRow = el('tr');
const body = el('tbody');
const table = el('table', { class: 'report', attrs: { 'aria-label': l10n.t('init scheme of each parameter') } }, el('thead', {}, headRow), body);
const intro = el('p', {
  class: 'readout',
  text: l10n.t('The initialisation each floating parameter follows, judged on at most its first 100,000 values: the best-fitting scheme and its parameters, the Kolmogorov–Smirnov distance to it with its p-value, and the runner-up. Click a row or press Enter on it to open the parameter; click a header to sort.'),
});
let rows: Row[] = [];
let generation = 0;
let total = 0;
/** The host stopped detecting (the progress notification's Cancel): pending rows say so. */
let cancelled = false;

/** `a=9.67246, threshold=5.0519` */
function paramsText(params: Record<string, number | string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? fmtNumber(v) : v}`)
    .join(', ');
}

const schemeText = (s: SchemeView): string => `${s.scheme}(${paramsText(s.params)})`;
/** Four significant digits: enough to compare fits, short enough for a column. */
const fmtFit = (v: number | undefined): string => (v === undefined ? '—' : fmtNumber(Number(v.toPrecision(4))));

function renderHead(): void {
  headRow.replaceChildren(
    ...COLUMNS.map((c) => {
      const button = el('button', { text: c.title, attrs: { type: 'button', title: l10n.t('sort by {0}', c.title) } });
      button.addEventListener('click', () => {
        const same = state.sort?.key === c.key;
        // First click: ascending; second: descending; third: back to file order.
        state.sort = !same ? { key: c.key, descending: false } : state.sort!.descending ? undefined : { key: c.key, descending: true };
        vscode.setState(state);
        renderHead();
        sortRows();
        (headRow.querySelector(`th[data-key="${c.key}"] button`) as HTMLButtonElement | null)?.focus();
      });
      const sorted = state.sort?.key === c.key;
      return el('th', { class: c.numeric ? 'num' : '', attrs: { scope: 'col', 'data-key': c.key, 'aria-sort': sorted ? (state.sort!.descending ? 'descending' : 'ascending') : 'none' } }, button);
    }),
  );
}

function fillRow(r: Row): void {
  const p = r.parameter;
  const res = r.result;
  // [text, class, tooltip], in COLUMNS order.
  let verdict: Array<[string, string, string?]>;
  if (res) {
    verdict = [
      [res.scheme, `scheme scheme-${res.scheme}`],
      [paramsText(res.params), 'params'],
      [fmtFit(res.fit?.ks), 'num'],
      [fmtFit(res.fit?.p), 'num', res.fit ? `${fmtCount(res.fit.n)} values tested` : undefined],
      [res.runnerUp?.scheme ?? '—', 'runner-up', res.runnerUp ? schemeText(res.runnerUp) : undefined],
    ];
  } else if (r.error !== undefined) {
    verdict = [['cannot read', 'scheme error', r.error], ['', ''], ['', 'num'], ['', 'num'], ['', '']];
  } else {
    verdict = [[cancelled ? 'cancelled' : '…', 'scheme pending'], ['', ''], ['', 'num'], ['', 'num'], ['', '']];
  }
  const cells: Array<[string, string, string?]> = [[p.name, 'name'], ...verdict, [`[${p.shape.join(', ')}]`, 'num'], [p.dtype, ''], [p.path || p.name, 'path']];
  r.tr.replaceChildren(...cells.map(([text, cls, title]) => el('td', { text, class: cls, ...(title ? { title } : {}) })));
  r.tr.dataset.scheme = res?.scheme ?? '';
  r.tr.setAttribute('aria-label', `${p.name}: ${res ? `${res.scheme} ${paramsText(res.params)}` : r.error !== undefined ? l10n.t('cannot read') : l10n.t('detecting')}`);
}

function compare(a: Row, b: Row): number {
  const sort = state.sort;
  if (!sort) return a.order - b.order;
  const col = COLUMNS.find((c) => c.key === sort.key)!;
  const [va, vb] = [col.value(a), col.value(b)];
  // Rows still detecting go last whichever the direction.
  if (va === undefined || vb === undefined) return va === vb ? a.order - b.order : va === undefined ? 1 : -1;
  const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb), undefined, { numeric: true });
  return (sort.descending ? -c : c) || a.order - b.order;
}

function sortRows(): void {
  const focused = document.activeElement;
  const sorted = [...rows].sort(compare);
  // Move only when the order changed: moving rows while someone reads them is disorienting.
  if (sorted.some((r, i) => body.children[i] !== r.tr)) {
    body.replaceChildren(...sorted.map((r) => r.tr));
    if (focused instanceof HTMLElement && body.contains(focused)) focused.focus();
  }
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
    status.textContent = `${head}${bySchemes ? ` · ${bySchemes}` : ''}${failed ? ` · ${l10n.t('{0} could not be read', failed)}` : ''}`;
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
    const tr = el('tr', { attrs: { tabindex: '0', 'data-name': parameter.name } });
    const r: Row = { parameter, order, tr };
    tr.addEventListener('click', () => open(r));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        open(r);
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        ((e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null)?.focus();
      }
    });
    fillRow(r);
    return r;
  });
  body.replaceChildren(...rows.map((r) => r.tr));
  renderHead();
  sortRows();
  showStatus(0);
  app.replaceChildren(heading, intro, status, progress, el('div', { class: 'table-scroll' }, table));
});

rpc.onNotify('row', (m) => {
  if (m.generation !== generation) return;
  const r = rows.find((x) => x.parameter.name === m.name);
  if (!r) return;
  r.result = m.result;
  r.error = m.error;
  fillRow(r);
  if (state.sort) sortRows();
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
