import './l10n';
import * as l10n from '@vscode/l10n';
import type { PanelNotifications, PanelRequests, ParameterInfo, StatsView } from '../src/protocol/messages';
import { Rpc } from '../src/protocol/rpc';
import { DEFAULT_HEATMAP_SETTINGS, HeatmapPanel, type HeatmapSettings } from './heatmapView';
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
  /** The panel is the preview (the next parameter opened replaces it); the host revives it as one. */
  preview?: boolean;
  /** The shape shown, so a revived page knows its slice and zoom still fit. */
  shape?: number[];
  heatmap: HeatmapSettings;
  /** The overlay chosen in the init section (its menu's value) and whether a simulated sample was shown. */
  overlay?: string;
  simulated?: boolean;
  /** First column and first row of the values table. */
  valuesCol?: number;
  valuesRow?: number;
  /** How far the page was scrolled. */
  scrollY?: number;
}

const app = document.getElementById('app')!;
const rpc = new Rpc<PanelRequests, PanelNotifications>(hostEndpoint, { timeoutMs: 0 });
const saved = vscode.getState<Partial<PanelState>>();
const state: PanelState = { logScale: false, slice: [], ...saved, heatmap: { ...DEFAULT_HEATMAP_SETTINGS, ...saved?.heatmap } };
const saveState = (): void => vscode.setState(state);

// The page scroll, kept like the rest; restored as the sections it scrolled past fill in (the page
// is rebuilt on every tab switch and starts short) for a few seconds, until the person scrolls.
const RESTORE_SCROLL_MS = 5000;
let restoreScrollTo = state.scrollY ?? 0;
const restoreUntil = Date.now() + RESTORE_SCROLL_MS;
let scrollTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('scroll', () => {
  clearTimeout(scrollTimer);
  scrollTimer = setTimeout(() => {
    state.scrollY = Math.round(window.scrollY);
    saveState();
  }, 150);
});
window.addEventListener('wheel', () => (restoreScrollTo = 0), { passive: true });
window.addEventListener('keydown', () => (restoreScrollTo = 0));
window.addEventListener('mousedown', () => (restoreScrollTo = 0));
function restoreScroll(): void {
  if (restoreScrollTo <= 0 || Date.now() > restoreUntil) return;
  // Again on every growth: sections filling in above move the content (and scroll anchoring with it).
  window.scrollTo(0, restoreScrollTo);
}
new ResizeObserver(restoreScroll).observe(document.body);

const header = el('header');
const statsTable = el('table', { class: 'stats', attrs: { 'aria-label': l10n.t('statistics') } });
const progress = el('progress', { attrs: { max: '1', value: '0', 'aria-label': l10n.t('computing statistics') } });
const status = el('div', { class: 'status', attrs: { role: 'status' } });
const histogram = new HistogramChart(state.logScale, (log) => {
  state.logScale = log;
  saveState();
});
const initSection = new InitSection(rpc, histogram);
const sliceBar = el('div', { class: 'slice', attrs: { role: 'group', 'aria-label': l10n.t('slice of leading dimensions') } });
const heatmap = new HeatmapPanel(
  state.heatmap,
  (h) => {
    const layoutChanged = h.layout !== state.heatmap.layout;
    state.heatmap = h;
    saveState();
    if (layoutChanged && current) renderSliceBar(current);
  },
  () => keepOpen(),
);
const values = new ValuesTable(
  state.valuesRow ?? 0,
  state.valuesCol ?? 0,
  (row, col) => {
    state.valuesRow = row;
    state.valuesCol = col;
    saveState();
  },
  () => keepOpen(),
);
rememberInitChoices();
let current: ParameterInfo | null = null;
let generation = 0;
/** Aborted when `init` brings another parameter: the old one's requests are cancelled on both sides. */
let shownWork = new AbortController();

app.append(header, el('section', {}, el('h2', { text: l10n.t('Statistics') }), status, progress, statsTable), histogram.root, initSection.root, sliceBar, heatmap.root, values.root);

rpc.onNotify('init', ({ parameter, generation: g, preview }) => {
  generation = g;
  // The same tensor as the saved state (a tab shown again, a window reloaded, the file rewritten
  // with the same shape) keeps its slice, zoom and table position.
  const same = state.file === parameter.file && state.name === parameter.name && (state.shape ?? []).join(',') === parameter.shape.join(',');
  // Another parameter (the preview re-targeted): nothing of the one before may stay on screen or
  // answer late (tests and people read the statistics as soon as the heading changes).
  const other = current !== null && (current.file !== parameter.file || current.name !== parameter.name);
  if (other) {
    shownWork.abort();
    shownWork = new AbortController();
    statsTable.replaceChildren();
    histogram.clear();
    initSection.reset();
    heatmap.clear();
    values.clear();
    window.scrollTo(0, 0);
  }
  current = parameter;
  state.preview = preview;
  document.title = `${parameter.name} · ${parameter.fileName}`;
  state.file = parameter.file;
  state.name = parameter.name;
  state.shape = parameter.shape;
  if (!same || state.slice.length !== Math.max(0, parameter.shape.length - 2)) state.slice = new Array(Math.max(0, parameter.shape.length - 2)).fill(0);
  if (!same) {
    restoreScrollTo = 0;
    state.scrollY = 0;
    state.heatmap = { ...state.heatmap, window: null };
    state.valuesRow = state.valuesCol = 0;
    state.overlay = undefined;
    state.simulated = false;
  }
  saveState();
  renderHeader(parameter);
  renderSliceBar(parameter);
  void loadStats(g);
  void loadSlice(g, same);
});
rpc.onNotify('progress', ({ done, total }) => {
  progress.hidden = false;
  progress.value = total > 0 ? done / total : 0;
});
rpc.onNotify('pinned', () => {
  state.preview = false;
  saveState();
  if (current) renderHeader(current);
});
rpc.onNotify('failed', ({ message }) => {
  status.textContent = message;
  status.className = 'status error';
});
rpc.notify('ready', {});

function renderHeader(p: ParameterInfo): void {
  const chips = el('div', { class: 'chips' });
  for (const [k, v] of [
    [l10n.t('dtype'), p.dtype],
    [l10n.t('shape'), `[${p.shape.join(', ')}]`],
    [l10n.t('elements'), fmtCount(p.count)],
    [l10n.t('kind'), kindLabel(p.kind)],
    [l10n.t('file'), `${p.fileName} · ${p.format}`],
    ...(p.storage ? ([[l10n.t('storage'), l10n.t('{0} bits per weight · {1} blocks of {2} · {3} bytes', +p.storage.bitsPerElement.toFixed(4), fmtCount(p.storage.blocks), p.storage.blockElements, fmtCount(p.storage.bytes))]] as const) : []),
    ...(p.hfName ? ([[l10n.t('Hugging Face name'), p.hfName]] as const) : []),
  ] as const) {
    chips.append(el('span', { class: 'chip', title: k }, el('b', { text: `${k} ` }), document.createTextNode(v)));
  }
  header.replaceChildren(el('h1', { text: p.name }), el('code', { class: 'path', text: p.path || p.name, title: l10n.t('access path') }), chips);
  if (state.preview) header.prepend(previewMark());
  if (p.tiedWith.length > 0) header.append(el('div', { class: 'tied', text: l10n.t('Tied with {0}: one storage, counted once', p.tiedWith.join(', ')) }));
}

/**
 * The preview panel says so (a webview tab cannot be italic like a preview editor's): "Preview ·
 * Keep open", the link pinning the panel as working in it does.
 */
function previewMark(): HTMLElement {
  const keep = el('button', { class: 'link', text: l10n.t('Keep open'), attrs: { type: 'button', title: l10n.t('Keep this panel: the next parameter you open gets its own panel') } });
  keep.addEventListener('click', () => keepOpen());
  return el('div', { class: 'preview-mark', title: l10n.t('Opening another parameter shows it here instead of in a new panel') }, el('span', { text: l10n.t('Preview') }), document.createTextNode(' · '), keep);
}

/** The person works in the panel: it stops being the preview (once; the host hears of it). */
function keepOpen(): void {
  if (!state.preview) return;
  state.preview = false;
  saveState();
  header.querySelector('.preview-mark')?.remove();
  rpc.notify('keepOpen', {});
}

/** What a tensor is to its model, in the display language. */
function kindLabel(kind: ParameterInfo['kind']): string {
  return { parameter: l10n.t('parameter'), buffer: l10n.t('buffer'), optimizer: l10n.t('optimizer state'), tensor: l10n.t('tensor') }[kind] ?? kind;
}

function renderSliceBar(p: ParameterInfo): void {
  sliceBar.replaceChildren();
  const lead = Math.max(0, p.shape.length - 2);
  if (lead === 0) {
    sliceBar.hidden = true;
    return;
  }
  sliceBar.hidden = false;
  sliceBar.append(el('span', { text: `${l10n.t('Slice')} ` }));
  for (let i = 0; i < lead; i++) {
    const input = el('input', { attrs: { type: 'number', min: '0', max: String(p.shape[i]! - 1), value: String(state.slice[i] ?? 0), 'aria-label': l10n.t('index of dimension {0}', i) } });
    input.addEventListener('change', () => {
      keepOpen();
      state.slice[i] = Math.max(0, Math.min(p.shape[i]! - 1, Math.floor(Number(input.value) || 0)));
      input.value = String(state.slice[i]);
      saveState();
      void loadSlice(generation, false);
    });
    sliceBar.append(el('label', { text: `${l10n.t('dim {0}', i)}: ` }, input));
  }
  sliceBar.append(el('span', { class: 'readout', text: ` → [${state.slice.join(', ')}, :, :]` }));
  // A conv weight's heatmap shows every filter unless its layout is one slice: the slice is the values table's then.
  if (heatmap.layoutFor(p.shape) !== 'slice') sliceBar.append(el('span', { class: 'readout', text: l10n.t('(the values table; the heatmap shows every filter)') }));
}

async function loadStats(g: number): Promise<void> {
  status.textContent = l10n.t('Computing exact statistics…');
  status.className = 'status';
  progress.hidden = false;
  progress.value = 0;
  const { signal } = shownWork;
  try {
    const s = await rpc.request('stats', {}, { signal });
    if (g !== generation) return;
    renderStats(s);
    histogram.set(s.histogram, { min: s.min, max: s.max, count: s.count - s.nan - s.inf });
    status.textContent = '';
    void initSection.load(s, signal).then(() => restoreInitChoices(g));
  } catch (e) {
    if (g === generation) {
      status.textContent = l10n.t('Statistics unavailable: {0}', (e as Error).message);
      status.className = 'status error';
    }
  } finally {
    if (g === generation) progress.hidden = true;
  }
}

function renderStats(s: StatsView): void {
  // data-stat keeps the English key (tests and themes select on it); the row label is translated.
  const rows: Array<[string, string, string]> = [
    ['count', l10n.t('count'), fmtCount(s.count)],
    ['min', l10n.t('min'), fmtNumber(s.min)],
    ['max', l10n.t('max'), fmtNumber(s.max)],
    ['mean', l10n.t('mean'), fmtNumber(s.mean)],
    ['std', l10n.t('std'), fmtNumber(s.std)],
    ['L2 norm', l10n.t('L2 norm'), fmtNumber(s.l2)],
    ['|max|', '|max|', fmtNumber(s.absMax)],
    ['zeros', l10n.t('zeros'), fmtCount(s.zeros)],
    ['NaN', 'NaN', fmtCount(s.nan)],
    ['±Inf', '±Inf', fmtCount(s.inf)],
  ];
  statsTable.replaceChildren(...rows.map(([k, label, v]) => el('tr', {}, el('th', { text: label, attrs: { scope: 'row' } }), el('td', { text: v, attrs: { 'data-stat': k } }))));
}

async function loadSlice(g: number, keepPlace: boolean): Promise<void> {
  const p = current;
  if (!p) return;
  const slice = [...state.slice];
  const { signal } = shownWork;
  const failed = (e: unknown): void => {
    if (g === generation && !(e instanceof Error && e.message === 'cancelled')) {
      status.textContent = l10n.t('Values unavailable: {0}', (e as Error).message);
      status.className = 'status error';
    }
  };
  if (p.shape.length >= 1 && p.count > 0) {
    heatmap.root.hidden = false;
    void heatmap.show(p.shape, (req, signal) => rpc.request('heatmap', { slice, ...req }, { signal }), keepPlace).catch(failed);
  } else heatmap.root.hidden = true;
  try {
    await values.set((rowStart, rowCount) => rpc.request('values', { slice, rowStart, rowCount }, { signal }), keepPlace);
  } catch (e) {
    failed(e);
  }
}

/**
 * The init section's overlay menu and "Simulate" button, remembered in the page state so a tab
 * shown again (the page is rebuilt: no retainContextWhenHidden) draws the same overlay.
 */
function rememberInitChoices(): void {
  // Only the person's own choices pin the panel: restoreInitChoices replays them as untrusted events.
  initSection.root.addEventListener('change', (e) => {
    if (!(e.target instanceof HTMLSelectElement)) return;
    if (e.isTrusted) keepOpen();
    state.overlay = e.target.value;
    state.simulated = false;
    saveState();
  });
  initSection.root.addEventListener('click', (e) => {
    if (!(e.target instanceof HTMLButtonElement)) return;
    if (e.isTrusted) keepOpen();
    state.simulated = true;
    saveState();
  });
}

function restoreInitChoices(g: number): void {
  if (g !== generation) return;
  const simulated = state.simulated;
  const select = initSection.root.querySelector('select');
  if (select && state.overlay !== undefined && state.overlay !== select.value && [...select.options].some((o) => o.value === state.overlay)) {
    select.value = state.overlay;
    select.dispatchEvent(new Event('change'));
  }
  const button = initSection.root.querySelector('button');
  // A fresh sample from the section's first seed: the scheme's shape, not the very same draws.
  if (simulated && button && !button.disabled) button.click();
}
