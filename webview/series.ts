import './l10n';
import * as l10n from '@vscode/l10n';
import uPlot from 'uplot';
import type { SeriesCheckpoint, SeriesFlag, SeriesNotifications, SeriesOrder, SeriesPoint, SeriesRequests, SeriesResult, SeriesToPage } from '../src/protocol/seriesMessages';
import { Rpc } from '../src/protocol/rpc';
import { MAX_SERIES, chartTheme, readTheme } from './overviewDepth';
import { PALETTE } from './overviewText';
import { RelPrevHeatmap } from './seriesHeatmap';
import { RidgePlot } from './seriesRidge';
import { el, fmtCount, fmtNumber, hostEndpoint, vscode } from './vscodeApi';

/** What survives the panel being hidden, and the window being reloaded (the host revives it from `file`). */
interface SeriesState {
  file?: string;
  /** The checkpoints chosen in `file`'s folder, when the run is a selection. */
  files?: string[];
  metric?: Metric;
}

type Metric = 'relFirst' | 'norm';
const CHART_HEIGHT_PX = 260;

/** One generation's page: the run as known so far. */
interface Page {
  generation: number;
  run: SeriesToPage['run'];
  /** Per tensor (in `run.tensors`' order) its points so far. */
  points: Array<Array<SeriesPoint | null>>;
  result?: SeriesResult;
  progress: HTMLElement;
  flags: HTMLElement;
  /** Tensors added or removed during the run (shown once the result is in, if any). */
  membership: HTMLElement;
  chartBox: HTMLElement;
  plot?: uPlot;
  heatmap: RelPrevHeatmap;
  ridge: RidgePlot;
}

const app = document.getElementById('app')!;
app.classList.add('series');
const rpc = new Rpc<SeriesRequests, SeriesNotifications>(hostEndpoint);
const state: SeriesState = { ...vscode.getState<SeriesState>() };
let page: Page | undefined;
let generation = -1;

const open = (name: string, order: number): void => rpc.notify('openParameter', { name, order });

const ORDER_TEXT: Record<SeriesOrder, string> = {
  step: l10n.t('ordered by the step each checkpoint records'),
  epoch: l10n.t('ordered by the epoch each checkpoint records'),
  name: l10n.t('ordered by the number in each file name'),
  mtime: l10n.t('ordered by modification time'),
};

/** The x value of a checkpoint: what the run is ordered by, or its position. */
function xOf(c: SeriesCheckpoint, by: SeriesOrder): number {
  if (by === 'step' && c.step !== undefined) return c.step;
  if (by === 'epoch' && c.epoch !== undefined) return c.epoch;
  if (by === 'name' && c.nameNumber !== undefined) return c.nameNumber;
  return c.order;
}
/** A ridge row's label: the checkpoint's step or epoch when the run is ordered by it, else its order. */
function rowLabel(c: SeriesCheckpoint, by: SeriesOrder): string {
  if (by === 'step' && c.step !== undefined) return l10n.t('step {0}', fmtCount(c.step));
  if (by === 'epoch' && c.epoch !== undefined) return l10n.t('epoch {0}', fmtNumber(c.epoch));
  if (by === 'name' && c.nameNumber !== undefined) return `${c.nameNumber}`;
  return `#${c.order}`;
}
const X_LABEL: Record<SeriesOrder, string> = { step: l10n.t('step'), epoch: l10n.t('epoch'), name: l10n.t('number in the file name'), mtime: l10n.t('checkpoint') };

function link(text: string, title: string, onClick: () => void): HTMLAnchorElement {
  const a = el('a', { class: 'open', text, attrs: { href: '#', role: 'button', title } });
  a.addEventListener('click', (e) => {
    e.preventDefault();
    onClick();
  });
  return a;
}

/**
 * The checkpoints, each row with a box to choose it; two chosen are compared in the diff panel
 * (a third chosen drops the one chosen first).
 */
function checkpointTable(run: SeriesToPage['run']): HTMLElement {
  const head = el('tr', {}, ...['', l10n.t('order'), l10n.t('file'), l10n.t('epoch'), l10n.t('step'), ''].map((t, i) => el('th', { text: t, ...(i === 1 || i === 3 || i === 4 ? { class: 'num' } : {}) })));
  const chosen: number[] = [];
  const boxes: HTMLInputElement[] = [];
  const compareChosen = el('button', { class: 'compare-chosen', text: l10n.t('Compare the two chosen'), attrs: { type: 'button', disabled: '' } });
  const hint = el('span', { class: 'readout choose-hint' });
  const update = (): void => {
    boxes.forEach((b, i) => (b.checked = chosen.includes(i)));
    compareChosen.disabled = chosen.length !== 2;
    const [a, b] = [...chosen].sort((x, y) => x - y);
    hint.textContent = chosen.length === 2 ? l10n.t('{0} with {1}', run.checkpoints[a!]!.file, run.checkpoints[b!]!.file) : l10n.t('choose two checkpoints to compare');
  };
  compareChosen.addEventListener('click', () => {
    if (chosen.length !== 2) return;
    const [a, b] = [...chosen].sort((x, y) => x - y);
    rpc.notify('compare', { a: a!, b: b! });
  });
  const rows = run.checkpoints.map((c) => {
    const box = el('input', { class: 'choose', attrs: { type: 'checkbox', 'aria-label': l10n.t('choose {0}', c.file) } });
    boxes.push(box);
    box.addEventListener('change', () => {
      const at = chosen.indexOf(c.order);
      if (box.checked && at < 0) chosen.push(c.order);
      if (!box.checked && at >= 0) chosen.splice(at, 1);
      if (chosen.length > 2) chosen.shift();
      update();
    });
    return el(
      'tr',
      { attrs: { 'data-order': String(c.order) } },
      el('td', {}, box),
      el('td', { class: 'num', text: String(c.order) }),
      el('td', { class: 'name', text: c.file }),
      el('td', { class: 'num', text: c.epoch === undefined ? '—' : fmtNumber(c.epoch) }),
      el('td', { class: 'num', text: c.step === undefined ? '—' : fmtCount(c.step) }),
      el('td', {}, ...(c.order > 0 ? [link(l10n.t('compare with previous'), l10n.t('Compare {0} with {1}', run.checkpoints[c.order - 1]!.file, c.file), () => rpc.notify('compare', { a: c.order - 1, b: c.order }))] : [])),
    );
  });
  update();
  return el('div', {}, el('div', { class: 'table-scroll' }, el('table', { class: 'checkpoints' }, el('thead', {}, head), el('tbody', {}, ...rows))), el('p', { class: 'controls compare-line' }, compareChosen, hint));
}

function leftOutList(run: SeriesToPage['run']): HTMLElement[] {
  if (!run.leftOut.length) return [];
  return [el('p', { class: 'readout', text: l10n.t('Left out:') }), el('ul', { class: 'left-out' }, ...run.leftOut.map((l) => el('li', { text: `${l.file}: ${l.reason}` })))];
}

/** What the host revives the page from after a reload: the folder, and the chosen files if any. */
function saveTarget(m: { folder: string; files?: string[] }): void {
  state.file = m.folder;
  state.files = m.files;
  vscode.setState(state);
}

rpc.onNotify('run', (m) => {
  if (m.generation < generation) return;
  generation = m.generation;
  saveTarget(m);
  page?.plot?.destroy();
  const progress = el('p', { class: 'progress readout', attrs: { role: 'status' } });
  const flags = el('div', { class: 'flag-list' }, el('p', { class: 'readout', text: l10n.t('Flags are judged once every checkpoint is in.') }));
  const chartBox = el('div', { class: 'series-chart' });
  const heatmap = new RelPrevHeatmap(m.checkpoints, open, (c) => rowLabel(c, m.orderedBy));
  const ridge = new RidgePlot(m.checkpoints, (c) => rowLabel(c, m.orderedBy), (name, signal) => rpc.request('ridge', { name }, { signal, timeoutMs: 0 }), open);
  const membership = el('section', { class: 'membership', attrs: { hidden: '' } });
  page = { generation, run: m, points: m.tensors.map(() => new Array<SeriesPoint | null>(m.checkpoints.length).fill(null)), progress, flags, membership, chartBox, heatmap, ridge };
  const metric = el('select', { class: 'metric', attrs: { 'aria-label': l10n.t('statistic drawn') } }, el('option', { text: l10n.t('change against the first checkpoint'), attrs: { value: 'relFirst' } }), el('option', { text: l10n.t('L2 norm'), attrs: { value: 'norm' } }));
  metric.value = state.metric ?? 'relFirst';
  metric.addEventListener('change', () => {
    state.metric = metric.value as Metric;
    vscode.setState(state);
    drawChart();
  });
  const again = link(l10n.t('compute again'), l10n.t('List the folder\'s checkpoints again and compute what changed'), () => rpc.notify('refresh', {}));
  const follow = el('input', { class: 'follow', attrs: { type: 'checkbox' } });
  follow.checked = m.following;
  follow.addEventListener('change', () => rpc.notify('follow', { on: follow.checked }));
  const followLabel = el('label', { class: 'follow-label', attrs: { title: m.files ? l10n.t('Compute again when one of these files changes on disk') : l10n.t('Compute again when a checkpoint is written to the folder, changed or removed') } }, follow, document.createTextNode(m.files ? l10n.t('follow the files') : l10n.t('follow the folder')));
  app.replaceChildren(
    el('header', {}, el('h1', { text: m.folderName }), el('p', { class: 'facts', text: `${l10n.t('{0} checkpoints', fmtCount(m.checkpoints.length))} · ${l10n.t('{0} tensors', fmtCount(m.tensors.length))} · ${ORDER_TEXT[m.orderedBy]}` }), el('div', { class: 'status-line' }, progress, again, followLabel)),
    el('section', { class: 'checkpoints' }, el('h2', { text: l10n.t('Checkpoints') }), checkpointTable(m), ...leftOutList(m)),
    el('section', { class: 'flags' }, el('h2', { text: l10n.t('Flags') }), flags),
    membership,
    el('section', { class: 'lines' }, el('h2', { text: l10n.t('Over the run') }), el('p', { class: 'controls' }, el('label', { text: l10n.t('Draw: ') }, metric)), chartBox),
    el('section', { class: 'heat' }, el('h2', { text: l10n.t('Change against the previous checkpoint') }), heatmap.root),
    el('section', { class: 'ridges' }, el('h2', { text: l10n.t('Histograms over steps') }), ridge.root),
  );
  progress.textContent = l10n.t('Computing…');
  schedule();
});

rpc.onNotify('checkpoint', (m) => {
  if (!page || m.generation !== page.generation) return;
  m.points.forEach((p, i) => {
    const row = page!.points[i];
    if (row) row[m.order] = p;
  });
  schedule();
});

rpc.onNotify('progress', (m) => {
  if (!page || m.generation !== page.generation) return;
  page.progress.dataset.phase = m.cancelled ? 'cancelled' : 'running';
  page.progress.textContent = m.cancelled ? l10n.t('cancelled: {0} of {1} statistics and changes', fmtCount(m.done), fmtCount(m.total)) : l10n.t('{0} of {1} statistics and changes', fmtCount(m.done), fmtCount(m.total));
});

rpc.onNotify('result', (m) => {
  if (!page || m.generation !== page.generation) return;
  page.result = m.result;
  page.points = m.result.tensors.map((t) => [...t.points]);
  page.progress.dataset.phase = 'done';
  const warn = m.result.warnings.length ? ` · ${l10n.t('{0} warnings', fmtCount(m.result.warnings.length))}` : '';
  page.progress.textContent = l10n.t('done') + warn;
  showFlags(m.result);
  showMembership(m.result);
  // The ridge plot starts on the first flagged tensor, else the largest (`chosen`'s first).
  page.ridge.setTensors(m.result.tensors.map((t) => t.name), m.result.tensors[chosen(page)[0] ?? -1]?.name);
  schedule();
});

rpc.onNotify('ridgeProgress', (m) => page?.ridge.progress(m.name, m.done, m.total));

rpc.onNotify('failed', (m) => {
  if (m.generation < generation) return;
  generation = m.generation;
  saveTarget(m);
  page?.plot?.destroy();
  page = undefined;
  const again = link(l10n.t('compute again'), l10n.t('List the folder\'s checkpoints again and compute what changed'), () => rpc.notify('refresh', {}));
  app.replaceChildren(el('header', {}, el('h1', { text: m.folderName })), el('p', { class: 'status error', text: m.message }), el('p', {}, again));
});

function flagText(f: SeriesFlag, checkpoints: readonly SeriesCheckpoint[]): string {
  if (f.kind === 'frozen') return l10n.t('frozen: identical at every checkpoint');
  const at = checkpoints[f.at]?.file ?? String(f.at);
  if (f.kind === 'nonFinite') return l10n.t('NaN or Inf from {0}', at);
  return f.factor === null ? l10n.t('exploded at {0}', at) : l10n.t('exploded at {0}: norm ×{1} over the first', at, fmtNumber(Number(f.factor.toPrecision(3))));
}

function showFlags(r: SeriesResult): void {
  if (!page) return;
  const items = r.tensors.flatMap((t) => t.flags.map((f) => ({ t, f })));
  if (!items.length) {
    page.flags.replaceChildren(el('p', { class: 'none', text: l10n.t('No tensor is frozen, exploded or non-finite.') }));
    return;
  }
  const last = r.checkpoints.length - 1;
  page.flags.replaceChildren(
    el(
      'ul',
      { class: 'flags' },
      ...items.map(({ t, f }) => {
        const order = f.kind === 'frozen' ? last : f.at;
        return el('li', { attrs: { 'data-kind': f.kind, 'data-name': t.name } }, link(t.name, l10n.t('Open {0} at {1}', t.name, r.checkpoints[order]?.file ?? ''), () => open(t.name, order)), el('span', { class: `flag ${f.kind}`, text: ` — ${flagText(f, r.checkpoints)}` }));
      }),
    ),
  );
}

/**
 * Tensors that are not in every checkpoint: added (a link to where it first appears) or removed
 * (a link to the last checkpoint holding it), as the result's `added`/`removed` say.
 */
function showMembership(r: SeriesResult): void {
  if (!page) return;
  const items = r.tensors.flatMap((t) => {
    const out: HTMLElement[] = [];
    const item = (kind: string, order: number, text: string): HTMLElement =>
      el('li', { attrs: { 'data-kind': kind, 'data-name': t.name } }, link(t.name, l10n.t('Open {0} at {1}', t.name, r.checkpoints[order]?.file ?? ''), () => open(t.name, order)), el('span', { text: ` — ${text}` }));
    if (t.added !== undefined) out.push(item('added', t.added, l10n.t('added at {0}', r.checkpoints[t.added]?.file ?? String(t.added))));
    if (t.removed !== undefined) out.push(item('removed', t.removed - 1, l10n.t('removed at {0} (last in {1})', r.checkpoints[t.removed]?.file ?? String(t.removed), r.checkpoints[t.removed - 1]?.file ?? '')));
    return out;
  });
  page.membership.toggleAttribute('hidden', !items.length);
  page.membership.replaceChildren(...(items.length ? [el('h2', { text: l10n.t('Added or removed') }), el('ul', { class: 'membership' }, ...items)] : []));
}

/** Redraws go once a frame, whatever the number of checkpoints that came in. */
let frame = 0;
function schedule(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    drawChart();
    drawHeatmap();
  });
}

/** The tensors drawn as lines: every flagged one, then the largest, at most `MAX_SERIES`. */
function chosen(p: Page): number[] {
  const flagged = new Set(p.result?.tensors.flatMap((t, i) => (t.flags.length ? [i] : [])) ?? []);
  const size = (i: number): number => p.run.tensors[i]!.shape.reduce((a, b) => a * b, 1);
  const rest = p.run.tensors.map((_, i) => i).filter((i) => !flagged.has(i)).sort((a, b) => size(b) - size(a));
  return [...flagged, ...rest].slice(0, MAX_SERIES);
}

function drawChart(): void {
  const p = page;
  if (!p) return;
  const metric: Metric = state.metric ?? 'relFirst';
  const picks = chosen(p);
  const xs = p.run.checkpoints.map((c) => xOf(c, p.run.orderedBy));
  // Log y: zeros (relFirst at the first checkpoint, a frozen tensor) are gaps.
  const ys = picks.map((i) => p.points[i]!.map((pt) => {
    const v = pt?.[metric];
    return v !== null && v !== undefined && v > 0 && Number.isFinite(v) ? v : null;
  }));
  p.plot?.destroy();
  // Where the first drawn line's last point is (CSS px in the plotting area, once drawn): for the UI test's click.
  const drawn = ys.findIndex((y) => y.some((v) => v !== null));
  const last = drawn >= 0 ? ys[drawn]!.map((v, i) => (v === null ? -1 : i)).filter((i) => i >= 0).pop() : undefined;
  delete p.chartBox.dataset.lastPoint;
  const width = Math.max(320, (p.chartBox.clientWidth || document.body.clientWidth) - 8);
  const opts: uPlot.Options = {
    width,
    height: CHART_HEIGHT_PX,
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [
      { label: X_LABEL[p.run.orderedBy], stroke: chartTheme.foreground, grid: { stroke: chartTheme.grid } },
      { label: metric === 'norm' ? l10n.t('L2 norm (log)') : l10n.t('change against the first (log)'), stroke: chartTheme.foreground, grid: { stroke: chartTheme.grid }, size: 70 },
    ],
    cursor: { focus: { prox: 24 } },
    legend: { live: true },
    // The line nearest the cursor (uPlot's focus): a click opens that tensor at that checkpoint.
    hooks: {
      draw: [
        (u) => {
          if (last !== undefined) p.chartBox.dataset.lastPoint = JSON.stringify({ name: p.run.tensors[picks[drawn]!]!.name, order: last, left: u.valToPos(xs[last]!, 'x'), top: u.valToPos(ys[drawn]![last]!, 'y') });
        },
      ],
      setSeries: [
        (_u, k, o) => {
          if (o.focus !== undefined) focused = o.focus && k !== null && k > 0 ? k : null;
        },
      ],
    },
    series: [{ label: X_LABEL[p.run.orderedBy] }, ...picks.map((i, k) => ({ label: p.run.tensors[i]!.name, stroke: PALETTE[k % PALETTE.length], width: 1.5, points: { show: true, size: 5 }, spanGaps: false }))],
  };
  let focused: number | null = null;
  p.plot = new uPlot(opts, [xs, ...ys], p.chartBox);
  const plot = p.plot;
  const target = (): { name: string; order: number } | undefined => {
    const order = plot.cursor.idx;
    const k = focused;
    if (k === null || order === null || order === undefined || ys[k - 1]?.[order] === null) return undefined;
    return { name: p.run.tensors[picks[k - 1]!]!.name, order };
  };
  let down: { x: number; y: number } | undefined;
  plot.over.addEventListener('mousedown', (e) => (down = { x: e.clientX, y: e.clientY }));
  plot.over.addEventListener('mousemove', () => (plot.over.style.cursor = target() ? 'pointer' : ''));
  plot.over.addEventListener('click', (e) => {
    // A drag is uPlot's zoom, not a click on a line.
    const dragged = down !== undefined && Math.hypot(e.clientX - down.x, e.clientY - down.y) > 4;
    down = undefined;
    const t = dragged ? undefined : target();
    if (t) open(t.name, t.order);
  });
  if (p.result && ys.every((y) => y.every((v) => v === null))) p.chartBox.append(el('p', { class: 'readout', text: l10n.t('Nothing to draw on a log scale: no tensor has a positive value here.') }));
  if (picks.length < p.run.tensors.length) p.chartBox.append(el('p', { class: 'readout', text: l10n.t('{0} of {1} tensors drawn: the flagged ones, then the largest.', fmtCount(picks.length), fmtCount(p.run.tensors.length)) }));
}

function drawHeatmap(): void {
  const p = page;
  if (!p) return;
  p.heatmap.setRows(p.run.tensors.map((t, i) => ({ name: t.name, points: p.points[i]! })));
}

readTheme();
new MutationObserver(() => {
  readTheme();
  schedule();
  page?.ridge.draw();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

app.replaceChildren(el('p', { class: 'readout', text: l10n.t('Reading the run…') }));
rpc.notify('ready', {});
