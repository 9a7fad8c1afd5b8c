import './l10n';
import * as l10n from '@vscode/l10n';
import type { Outlier, OverviewNotifications, OverviewRequests, OverviewStructure, OverviewToPage } from '../src/protocol/overviewMessages';
import { Rpc } from '../src/protocol/rpc';
import { readTheme, StackView, type KindSeries } from './overviewDepth';
import { fmtBytes, kindLabel, OUTLIER_RULE, STAT_TITLES } from './overviewText';
import { dtypeMix, Treemap } from './overviewTreemap';
import { el, fmtCount, fmtNumber, hostEndpoint, vscode } from './vscodeApi';

/** What survives the panel being hidden, and the window being reloaded (the host revives it from `file`). */
interface OverviewState {
  file?: string;
}

/** Where a tensor of a stack is drawn. */
interface Place {
  view: StackView;
  series: KindSeries;
  column: number;
}

/** Everything of one generation's page. */
interface Page {
  generation: number;
  structure: OverviewStructure;
  views: StackView[];
  places: Map<string, Place>;
  treemap: Treemap;
  progress: HTMLElement;
  outliers: HTMLElement;
  /** Tensors of every stack: the statistics pass's total before the host says it. */
  stackTensors: number;
  errors: number;
}

const app = document.getElementById('app')!;
app.classList.add('overview');
const rpc = new Rpc<OverviewRequests, OverviewNotifications>(hostEndpoint);
const state: OverviewState = { ...vscode.getState<OverviewState>() };
let page: Page | undefined;
/** The newest generation seen: older messages (a pass the host replaced) are dropped. */
let generation = -1;

const open = (name: string): void => rpc.notify('openParameter', { name });

/** A tensor name as a link that opens its parameter panel. */
function openLink(name: string): HTMLAnchorElement {
  const a = el('a', { class: 'open', text: name, attrs: { href: '#', role: 'button', title: l10n.t('Open {0}', name) } });
  a.addEventListener('click', (e) => {
    e.preventDefault();
    open(name);
  });
  return a;
}

function header(m: OverviewToPage['overview'], progress: HTMLElement): HTMLElement {
  const s = m.structure;
  const facts = [m.format, l10n.t('{0} parameters', fmtCount(s.totalParameters)), fmtBytes(s.totalBytes)];
  if (s.tied > 0) facts.push(l10n.t('tied views counted once: {0}', fmtCount(s.tied)));
  return el('header', {}, el('h1', { text: m.fileName }), el('p', { class: 'facts', text: facts.join(' · ') }), progress);
}

function depthSection(views: StackView[]): HTMLElement {
  const section = el('section', { class: 'depth' }, el('h2', { text: l10n.t('Across depth') }));
  if (!views.length) section.append(el('p', { class: 'readout', text: l10n.t('No repeated blocks in this file: nothing to draw over depth.') }));
  else section.append(el('p', { class: 'readout', text: l10n.t('For each stack of repeated blocks, the statistics of each parameter kind by layer (log scale); flagged layers are ringed in red.') }));
  section.append(...views.map((v) => v.root));
  return section;
}

rpc.onNotify('overview', (m) => {
  if (m.generation < generation) return;
  generation = m.generation;
  state.file = m.file;
  vscode.setState(state);
  if (page) for (const v of page.views) v.dispose();
  page?.treemap.dispose();
  const s = m.structure;
  const views = s.stacks.map((st) => new StackView(st, s.kinds.filter((k) => k.stack === st.stack), open));
  const places = new Map<string, Place>();
  for (const view of views) for (const [name, series, column] of view.places()) places.set(name, { view, series, column });
  const progress = el('p', { class: 'progress readout', attrs: { role: 'status' } });
  const outliers = el('div', { class: 'outlier-list' });
  const treemap = new Treemap(s);
  page = { generation, structure: s, views, places, treemap, progress, outliers, stackTensors: places.size, errors: 0 };
  showProgress({ generation, phase: 'stats', done: 0, total: places.size });
  showOutliers([]);
  app.replaceChildren(
    header(m, progress),
    el('section', { class: 'shares' }, el('h2', { text: l10n.t('Parameter share by block') }), treemap.root, el('h2', { text: l10n.t('dtype and quantization mix') }), ...dtypeMix(s)),
    depthSection(views),
    el('section', { class: 'outliers' }, el('h2', { text: l10n.t('Layers that stand apart') }), el('p', { class: 'rule', text: OUTLIER_RULE }), outliers),
  );
});

/** Redraws go once a frame, whatever the number of rows that came in. */
let frame = 0;
function scheduleFlush(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    for (const v of page?.views ?? []) v.flush();
  });
}

rpc.onNotify('stats', (m) => {
  if (!page || m.generation !== page.generation) return;
  for (const row of m.rows) {
    const p = page.places.get(row.name);
    if (p) p.view.setStats(p.series, p.column, row);
  }
  page.errors += m.errors.length;
  scheduleFlush();
});

rpc.onNotify('inits', (m) => {
  if (!page || m.generation !== page.generation) return;
  for (const row of m.rows) {
    const p = page.places.get(row.name);
    if (p) p.view.setInit(p.series, p.column, row);
  }
});

rpc.onNotify('outliers', (m) => {
  if (!page || m.generation !== page.generation) return;
  const byStack = new Map<StackView, Outlier[]>(page.views.map((v) => [v, []]));
  for (const o of m.outliers) {
    const p = page.places.get(o.name);
    if (p) byStack.get(p.view)!.push(o);
  }
  for (const [v, list] of byStack) v.setOutliers(list);
  showOutliers(m.outliers);
  scheduleFlush();
});

rpc.onNotify('progress', (m) => {
  if (!page || m.generation !== page.generation) return;
  if (m.phase !== 'stats' || m.cancelled) {
    for (const v of page.views) v.settle();
    scheduleFlush();
  }
  showProgress(m);
});

rpc.onNotify('failed', ({ message, fileName }) => {
  if (page) for (const v of page.views) v.dispose();
  page?.treemap.dispose();
  page = undefined;
  app.replaceChildren(el('header', {}, el('h1', { text: fileName })), el('p', { class: 'status error', text: message }));
});

function showProgress(m: OverviewToPage['progress']): void {
  if (!page) return;
  const errors = page.errors ? ` · ${l10n.t('{0} could not be read', fmtCount(page.errors))}` : '';
  let text: string;
  if (m.cancelled) text = m.phase === 'init' ? l10n.t('cancelled: init schemes of {0} of {1} tensors', fmtCount(m.done), fmtCount(m.total)) : l10n.t('cancelled: {0} of {1} tensors', fmtCount(m.done), fmtCount(m.total));
  else if (m.phase === 'done') text = l10n.t('done');
  else if (m.phase === 'init') text = l10n.t('init schemes: {0} of {1}', fmtCount(m.done), fmtCount(m.total));
  else text = l10n.t('statistics: {0} of {1} tensors', fmtCount(m.done), fmtCount(m.total || page.stackTensors));
  page.progress.textContent = text + errors;
  page.progress.dataset.phase = m.cancelled ? 'cancelled' : m.phase;
}

const REASON_ORDER = { nonfinite: 0, zero: 1, robust: 2 } as const;

function showOutliers(list: readonly Outlier[]): void {
  if (!page) return;
  if (!list.length) {
    page.outliers.replaceChildren(el('p', { class: 'none', text: l10n.t('No layer stands apart.') }));
    return;
  }
  const stackOf = new Map(page.structure.kinds.map((k) => [k.kind, k.stack]));
  const sorted = [...list].sort((a, b) => REASON_ORDER[a.reason] - REASON_ORDER[b.reason] || Math.abs(b.z) - Math.abs(a.z) || a.layer - b.layer);
  const head = el('tr', {}, ...[l10n.t('layer'), l10n.t('kind'), l10n.t('statistic'), l10n.t('value'), l10n.t('median'), l10n.t('z'), l10n.t('tensor')].map((t, i) => el('th', { text: t, ...(i >= 3 && i <= 5 ? { class: 'num' } : {}) })));
  const rows = sorted.map((o) => {
    const z = o.reason === 'zero' ? l10n.t('all zeros') : o.reason === 'nonfinite' ? l10n.t('NaN/Inf ×{0}', fmtCount(o.value)) : (o.z >= 0 ? '+' : '') + o.z.toFixed(1);
    return el(
      'tr',
      { attrs: { 'data-name': o.name, 'data-reason': o.reason } },
      el('td', { class: 'num', text: String(o.layer) }),
      el('td', { class: 'kind', text: kindLabel(o.kind, stackOf.get(o.kind) ?? '') }),
      el('td', { text: STAT_TITLES[o.stat] }),
      el('td', { class: 'num', text: o.reason === 'robust' ? fmtNumber(o.value) : o.reason === 'zero' ? '0' : '—' }),
      el('td', { class: 'num', text: fmtNumber(o.median) }),
      el('td', { class: `num z ${o.reason}`, text: z }),
      el('td', { class: 'name' }, openLink(o.name)),
    );
  });
  page.outliers.replaceChildren(
    el('p', { class: 'readout', text: l10n.t('{0} flags on {1} tensors', fmtCount(list.length), fmtCount(new Set(list.map((o) => o.name)).size)) }),
    el('div', { class: 'table-scroll' }, el('table', { class: 'outliers' }, el('thead', {}, head), el('tbody', {}, ...rows))),
  );
}

// The canvas charts cannot read CSS variables: read them now and whenever VS Code switches theme
// (it sets the body's class, vscode-light / vscode-dark / vscode-high-contrast).
readTheme();
new MutationObserver(() => {
  readTheme();
  for (const v of page?.views ?? []) v.redraw();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

app.replaceChildren(el('p', { class: 'readout', text: l10n.t('Reading the model…') }));
rpc.notify('ready', {});
