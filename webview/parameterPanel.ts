import type { PanelNotifications, PanelRequests, ParameterInfo, StatsView } from '../src/protocol/messages';
import { Rpc } from '../src/protocol/rpc';
import { HeatmapPanel } from './heatmapView';
import { HistogramChart } from './histogramChart';
import { InitSection } from './initSection';
import { ValuesTable } from './valuesTable';
import { el, fmtCount, fmtNumber, hostEndpoint, vscode } from './vscodeApi';

/** What survives the panel being hidden, and the window being reloaded (the host revives it from `file` and `name`). */
interface PanelState {
  logScale: boolean;
  slice: number[];
  file?: string;
  name?: string;
}

const app = document.getElementById('app')!;
const rpc = new Rpc<PanelRequests, PanelNotifications>(hostEndpoint, { timeoutMs: 0 });
const state: PanelState = { logScale: false, slice: [], ...vscode.getState<PanelState>() };
const saveState = (): void => vscode.setState(state);

const header = el('header');
const statsTable = el('table', { class: 'stats', attrs: { 'aria-label': 'statistics' } });
const progress = el('progress', { attrs: { max: '1', value: '0', 'aria-label': 'computing statistics' } });
const status = el('div', { class: 'status', attrs: { role: 'status' } });
const histogram = new HistogramChart(state.logScale, (log) => {
  state.logScale = log;
  saveState();
});
const initSection = new InitSection(rpc, histogram);
const sliceBar = el('div', { class: 'slice', attrs: { role: 'group', 'aria-label': 'slice of leading dimensions' } });
const heatmap = new HeatmapPanel();
const values = new ValuesTable();
let current: ParameterInfo | null = null;
let generation = 0;

app.append(header, el('section', {}, el('h2', { text: 'Statistics' }), status, progress, statsTable), histogram.root, initSection.root, sliceBar, heatmap.root, values.root);

rpc.onNotify('init', ({ parameter, generation: g }) => {
  generation = g;
  const shapeChanged = !current || current.shape.join(',') !== parameter.shape.join(',');
  current = parameter;
  state.file = parameter.file;
  state.name = parameter.name;
  if (shapeChanged || state.slice.length !== Math.max(0, parameter.shape.length - 2)) state.slice = new Array(Math.max(0, parameter.shape.length - 2)).fill(0);
  saveState();
  renderHeader(parameter);
  renderSliceBar(parameter);
  void loadStats(g);
  void loadSlice(g);
});
rpc.onNotify('progress', ({ done, total }) => {
  progress.hidden = false;
  progress.value = total > 0 ? done / total : 0;
});
rpc.onNotify('failed', ({ message }) => {
  status.textContent = message;
  status.className = 'status error';
});
rpc.notify('ready', {});

function renderHeader(p: ParameterInfo): void {
  const chips = el('div', { class: 'chips' });
  for (const [k, v] of [
    ['dtype', p.dtype],
    ['shape', `[${p.shape.join(', ')}]`],
    ['elements', fmtCount(p.count)],
    ['kind', p.kind],
    ['file', `${p.fileName} · ${p.format}`],
  ] as const) {
    chips.append(el('span', { class: 'chip', title: k }, el('b', { text: `${k} ` }), document.createTextNode(v)));
  }
  header.replaceChildren(el('h1', { text: p.name }), el('code', { class: 'path', text: p.path || p.name, title: 'access path' }), chips);
  if (p.tiedWith.length > 0) header.append(el('div', { class: 'tied', text: `Tied with ${p.tiedWith.join(', ')}: one storage, counted once` }));
}

function renderSliceBar(p: ParameterInfo): void {
  sliceBar.replaceChildren();
  const lead = Math.max(0, p.shape.length - 2);
  if (lead === 0) {
    sliceBar.hidden = true;
    return;
  }
  sliceBar.hidden = false;
  sliceBar.append(el('span', { text: 'Slice ' }));
  for (let i = 0; i < lead; i++) {
    const input = el('input', { attrs: { type: 'number', min: '0', max: String(p.shape[i]! - 1), value: String(state.slice[i] ?? 0), 'aria-label': `index of dimension ${i}` } });
    input.addEventListener('change', () => {
      state.slice[i] = Math.max(0, Math.min(p.shape[i]! - 1, Math.floor(Number(input.value) || 0)));
      input.value = String(state.slice[i]);
      saveState();
      void loadSlice(generation);
    });
    sliceBar.append(el('label', { text: `dim ${i}: ` }, input));
  }
  sliceBar.append(el('span', { class: 'readout', text: ` → [${state.slice.join(', ')}, :, :]` }));
}

async function loadStats(g: number): Promise<void> {
  status.textContent = 'Computing exact statistics…';
  status.className = 'status';
  progress.hidden = false;
  progress.value = 0;
  try {
    const s = await rpc.request('stats', {});
    if (g !== generation) return;
    renderStats(s);
    histogram.set(s.histogram);
    status.textContent = '';
    void initSection.load(s);
  } catch (e) {
    if (g === generation) {
      status.textContent = `Statistics unavailable: ${(e as Error).message}`;
      status.className = 'status error';
    }
  } finally {
    progress.hidden = true;
  }
}

function renderStats(s: StatsView): void {
  const rows: Array<[string, string]> = [
    ['count', fmtCount(s.count)],
    ['min', fmtNumber(s.min)],
    ['max', fmtNumber(s.max)],
    ['mean', fmtNumber(s.mean)],
    ['std', fmtNumber(s.std)],
    ['L2 norm', fmtNumber(s.l2)],
    ['|max|', fmtNumber(s.absMax)],
    ['zeros', fmtCount(s.zeros)],
    ['NaN', fmtCount(s.nan)],
    ['±Inf', fmtCount(s.inf)],
  ];
  statsTable.replaceChildren(...rows.map(([k, v]) => el('tr', {}, el('th', { text: k, attrs: { scope: 'row' } }), el('td', { text: v, attrs: { 'data-stat': k } }))));
}

async function loadSlice(g: number): Promise<void> {
  const p = current;
  if (!p) return;
  const slice = [...state.slice];
  try {
    if (p.shape.length >= 1 && p.count > 0) {
      heatmap.root.hidden = false;
      const h = await rpc.request('heatmap', { slice, ...heatmap.wanted() });
      if (g === generation) heatmap.set(h);
    } else heatmap.root.hidden = true;
    await values.set((rowStart, rowCount) => rpc.request('values', { slice, rowStart, rowCount }));
  } catch (e) {
    if (g === generation) {
      status.textContent = `Values unavailable: ${(e as Error).message}`;
      status.className = 'status error';
    }
  }
}
