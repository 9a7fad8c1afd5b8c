import './l10n';
import * as l10n from '@vscode/l10n';
import uPlot from 'uplot';
import type { DepthStat, Outlier, OverviewInitRow, OverviewStatRow, ParameterKind, OverviewStructure } from '../src/protocol/overviewMessages';
import { DEPTH_STATS as STATS } from '../src/core/overview';
import { schemeLabel } from './initText';
import { kindLabel, PALETTE, schemeCellText, schemeColour, STAT_TITLES, textOn } from './overviewText';
import { el, fmtCount, fmtNumber } from './vscodeApi';

/** More lines than this on one chart are a tangle nobody can follow: the largest kinds are drawn. */
export const MAX_SERIES = 16;
const CHART_HEIGHT_PX = 200;
/** Below this width the three charts sit one under another. */
const THREE_ACROSS_MIN_PX = 960;
const CHART_GAP_PX = 16;
/** How near (CSS px) the cursor must be to a line for it to take focus. */
const FOCUS_PROXIMITY_PX = 24;
const RING_RADIUS_PX = 6;

/** One parameter kind of the stack, and its statistic at each layer (a column per layer of the stack). */
export interface KindSeries {
  kind: ParameterKind;
  /** Its row in the init strip. */
  index: number;
  label: string;
  /** The tensor at each column, if the kind has one in that layer. */
  names: Array<string | undefined>;
  /** Positive finite values only: zeros and non-finite values are gaps on a log scale. */
  values: Record<DepthStat, Array<number | null>>;
  /** Elements of one of its tensors, from the first statistics row (to rank kinds by size). */
  numel?: number;
}

/** Theme colours for the canvas (which cannot read CSS variables); read again when the theme changes. */
export const chartTheme = { foreground: '#888', grid: 'rgba(128,128,128,0.25)', error: '#e51400' };
export function readTheme(): void {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  chartTheme.foreground = v('--vscode-descriptionForeground', v('--vscode-foreground', '#888'));
  chartTheme.grid = faint(v('--vscode-editorWidget-border', v('--vscode-panel-border', '#808080')));
  chartTheme.error = v('--vscode-errorForeground', '#e51400');
}

/** A theme border colour at a third of its strength: a log axis draws a grid line at every minor tick. */
function faint(colour: string): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(colour);
  return m ? `rgba(${parseInt(m[1]!, 16)},${parseInt(m[2]!, 16)},${parseInt(m[3]!, 16)},0.35)` : colour;
}

interface Chart {
  stat: DepthStat;
  box: HTMLElement;
  plot?: uPlot;
}

/**
 * One stack's depth view: a line chart per statistic over the layer index (uPlot, log y), one line
 * per parameter kind, flagged layers ringed in red, a click opening the tensor under the cursor;
 * then the init strip (a row per kind, a cell per layer). Data goes into arrays as rows arrive and
 * is drawn at most once a frame (`flush`).
 */
export class StackView {
  readonly root: HTMLElement;
  readonly series: KindSeries[];
  /** The stack's layer numbers, in order; a layer's column is its index here. */
  readonly layers: number[];
  private readonly column = new Map<number, number>();
  private readonly charts: Chart[];
  private readonly legendBox = el('div', { class: 'stack-legend' });
  private readonly chartsBox = el('div', { class: 'charts' });
  private readonly note = el('p', { class: 'readout left-out' });
  private readonly readout = el('p', { class: 'readout chart-readout', attrs: { 'aria-live': 'polite' } });
  private readonly stripBox = el('div', { class: 'strip' });
  private strip: { cells: Map<string, HTMLTableCellElement> } | undefined;
  private shown: KindSeries[] = [];
  /** The kinds drawn are the largest; until every kind's size is known the choice may change. */
  private selectionFinal: boolean;
  private readonly hidden = new Set<KindSeries>();
  private outliers: Outlier[] = [];
  private dirty = false;
  private width = 0;
  private readonly observer: ResizeObserver;

  constructor(
    private readonly stack: OverviewStructure['stacks'][number],
    kinds: ParameterKind[],
    private readonly open: (name: string) => void,
  ) {
    this.layers = [...stack.layers].sort((a, b) => a - b);
    this.layers.forEach((l, i) => this.column.set(l, i));
    this.series = kinds.map((kind, index) => {
      const names: Array<string | undefined> = new Array<string | undefined>(this.layers.length).fill(undefined);
      for (const t of kind.layers) {
        const c = this.column.get(t.layer);
        if (c !== undefined) names[c] = t.name;
      }
      const empty = (): Array<number | null> => new Array<number | null>(this.layers.length).fill(null);
      return { kind, index, label: kindLabel(kind.kind, stack.stack), names, values: { l2: empty(), std: empty(), absMax: empty() } };
    });
    this.selectionFinal = this.series.length <= MAX_SERIES;
    this.shown = this.series.slice(0, MAX_SERIES);
    this.charts = STATS.map((stat) => ({ stat, box: el('div', { class: 'chart', attrs: { 'data-stat': stat } }, el('h3', { text: STAT_TITLES[stat] })) }));
    this.chartsBox.append(...this.charts.map((c) => c.box));
    this.root = el(
      'div',
      { class: 'stack', attrs: { 'data-stack': stack.stack } },
      el('h2', {}, el('code', { text: stack.stack }), document.createTextNode(` · ${l10n.t('{0} layers', this.layers.length)} · ${l10n.t('{0} parameters', fmtCount(stack.parameters))}`)),
      this.legendBox,
      this.note,
      this.chartsBox,
      this.readout,
      this.stripBox,
    );
    this.showNote();
    this.readout.textContent = l10n.t('Click a line to open that layer’s tensor; click a name in the legend to hide its line.');
    this.observer = new ResizeObserver(() => this.layout());
    this.observer.observe(this.chartsBox);
  }

  dispose(): void {
    this.observer.disconnect();
    for (const c of this.charts) c.plot?.destroy();
  }

  /** Every tensor of the stack, with its kind and column (for the page's one name → place map). */
  *places(): Iterable<[string, KindSeries, number]> {
    for (const s of this.series) for (let c = 0; c < s.names.length; c++) if (s.names[c] !== undefined) yield [s.names[c]!, s, c];
  }

  setStats(s: KindSeries, column: number, row: OverviewStatRow): void {
    for (const stat of STATS) {
      const v = row[stat];
      s.values[stat][column] = v !== null && Number.isFinite(v) && v > 0 ? v : null;
    }
    s.numel ??= row.count;
    this.dirty = true;
  }

  setOutliers(list: Outlier[]): void {
    this.outliers = list;
    this.dirty = true;
  }

  /** The statistics pass is over (or cancelled): the kinds drawn are chosen for good. */
  settle(): void {
    if (this.selectionFinal) return;
    this.selectionFinal = true;
    this.dirty = true;
  }

  /** Draws what arrived since the last frame. */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.series.length > MAX_SERIES && this.reselect()) this.build();
    for (const c of this.charts) c.plot?.setData(this.data(c.stat));
  }

  /** Draws again with the theme's colours. */
  redraw(): void {
    for (const c of this.charts) c.plot?.redraw(false, false);
  }

  /** The largest kinds by elements × layers (file order among them); true when that changed. */
  private reselect(): boolean {
    const size = (s: KindSeries): number => (s.numel ?? 0) * s.kind.layers.length;
    const order = new Map(this.series.map((s, i) => [s, i]));
    const next = [...this.series]
      .sort((a, b) => size(b) - size(a) || order.get(a)! - order.get(b)!)
      .slice(0, MAX_SERIES)
      .sort((a, b) => order.get(a)! - order.get(b)!);
    if (this.series.every((s) => s.numel !== undefined)) this.selectionFinal = true;
    const changed = next.some((s, i) => s !== this.shown[i]);
    this.shown = next;
    if (changed) this.showNote();
    return changed;
  }

  private showNote(): void {
    const left = this.series.length - this.shown.length;
    this.note.hidden = left <= 0;
    this.note.textContent = left > 0 ? l10n.t('The {0} kinds with the most parameters are drawn; {1} more are left out (the outlier table lists every kind).', this.shown.length, left) : '';
  }

  private data(stat: DepthStat): uPlot.AlignedData {
    return [this.layers, ...this.shown.map((s) => s.values[stat])];
  }

  private layout(): void {
    const total = Math.floor(this.chartsBox.clientWidth);
    if (total <= 0 || total === this.width) return;
    this.width = total;
    const across = total >= THREE_ACROSS_MIN_PX ? 3 : 1;
    this.chartsBox.classList.toggle('across', across === 3);
    if (!this.charts[0]!.plot) this.build();
    else for (const c of this.charts) c.plot!.setSize(this.size());
  }

  private size(): { width: number; height: number } {
    const across = this.width >= THREE_ACROSS_MIN_PX ? 3 : 1;
    return { width: Math.max(120, Math.floor((this.width - CHART_GAP_PX * (across - 1)) / across)), height: CHART_HEIGHT_PX };
  }

  /** (Re)creates the three charts for the kinds chosen; the legend is the first chart's, shared. */
  private build(): void {
    if (this.width <= 0) return;
    for (const c of this.charts) c.plot?.destroy();
    this.charts.forEach((c, i) => {
      c.plot = new uPlot(this.options(c.stat, i === 0), this.data(c.stat), c.box);
      const over = c.plot.over;
      over.addEventListener('click', () => this.openAt(c.plot!));
    });
  }

  private options(stat: DepthStat, withLegend: boolean): uPlot.Options {
    const axis = (): uPlot.Axis => ({
      stroke: () => chartTheme.foreground,
      grid: { stroke: () => chartTheme.grid, width: 1 },
      ticks: { stroke: () => chartTheme.grid, width: 1, size: 4 },
      font: '11px sans-serif',
    });
    return {
      ...this.size(),
      scales: {
        x: { time: false },
        y: { distr: 3, log: 10, range: (_u, min, max) => (min === null || max === null || !(min > 0) ? [0.1, 10] : uPlot.rangeLog(min, max, 10, true)) },
      },
      axes: [
        { ...axis(), incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000], values: (_u, splits) => splits.map((v) => String(v)) },
        { ...axis(), size: 56, values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : fmtNumber(v))) },
      ],
      series: [
        { label: l10n.t('layer') },
        ...this.shown.map((s, i) => ({
          label: s.label,
          show: !this.hidden.has(s),
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          spanGaps: false,
          points: { size: 4 },
          value: (_u: uPlot, v: number | null) => fmtNumber(v),
        })),
      ],
      legend: withLegend ? { live: false, mount: (_u, table) => this.legendBox.replaceChildren(table) } : { show: false },
      cursor: { sync: { key: `stack:${this.stack.stack}` }, focus: { prox: FOCUS_PROXIMITY_PX }, drag: { x: false, y: false }, points: { size: 7 } },
      focus: { alpha: 0.35 },
      hooks: {
        draw: [(u) => this.drawRings(u, stat)],
        setCursor: [(u) => this.hover(u, stat)],
        // The legend is the first chart's: a line it hides is hidden in the other two as well.
        setSeries: withLegend ? [(u, i) => this.syncShown(u, i)] : [],
      },
    };
  }

  private syncShown(u: uPlot, i: number | null): void {
    if (i === null || i === 0) return;
    const show = u.series[i]!.show !== false;
    const s = this.shown[i - 1]!;
    if (show) this.hidden.delete(s);
    else this.hidden.add(s);
    for (const c of this.charts.slice(1)) if (c.plot && (c.plot.series[i]!.show !== false) !== show) c.plot.setSeries(i, { show }, false);
  }

  /** The visible line nearest the cursor at its layer: [kind, column], or none. */
  private nearest(u: uPlot): [KindSeries, number] | undefined {
    const idx = u.cursor.idx;
    const top = u.cursor.top;
    if (idx === null || idx === undefined || top === undefined || top < 0) return undefined;
    let best: [KindSeries, number] | undefined;
    let bestDist = Infinity;
    this.shown.forEach((s, i) => {
      const v = (u.data[i + 1] as Array<number | null>)[idx];
      if (u.series[i + 1]!.show === false || v === null || v === undefined || s.names[idx] === undefined) return;
      const d = Math.abs(u.valToPos(v, 'y') - top);
      if (d < bestDist) [best, bestDist] = [[s, idx], d];
    });
    return best;
  }

  private hover(u: uPlot, stat: DepthStat): void {
    const hit = this.nearest(u);
    if (!hit) return;
    const [s, c] = hit;
    this.readout.textContent = `${l10n.t('layer {0}', this.layers[c]!)} · ${s.label} · ${STAT_TITLES[stat]} ${fmtNumber(s.values[stat][c])} · ${s.names[c]!}`;
  }

  private openAt(u: uPlot): void {
    const hit = this.nearest(u);
    if (hit) this.open(hit[0].names[hit[1]]!);
  }

  /** A red ring on each flagged point; a layer whose value is a gap (all zeros, NaN) is ringed on the axis. */
  private drawRings(u: uPlot, stat: DepthStat): void {
    if (!this.outliers.length) return;
    const index = new Map(this.shown.map((s, i) => [s.kind.kind, i + 1]));
    const ctx = u.ctx;
    const px = uPlot.pxRatio;
    ctx.save();
    ctx.strokeStyle = chartTheme.error;
    ctx.lineWidth = 2 * px;
    for (const o of this.outliers) {
      const si = index.get(o.kind);
      const c = this.column.get(o.layer);
      if (o.stat !== stat || si === undefined || c === undefined || u.series[si]!.show === false) continue;
      const v = (u.data[si] as Array<number | null>)[c];
      const x = u.valToPos(this.layers[c]!, 'x', true);
      const y = v === null || v === undefined ? u.bbox.top + u.bbox.height - RING_RADIUS_PX * px : u.valToPos(v, 'y', true);
      ctx.beginPath();
      ctx.arc(x, y, RING_RADIUS_PX * px, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();
  }

  /** One init row: the strip is made when the first arrives (files whose stacks get no init pass have none). */
  setInit(s: KindSeries, column: number, row: OverviewInitRow): void {
    const strip = (this.strip ??= this.makeStrip());
    const td = strip.cells.get(`${s.index}:${column}`);
    if (!td) return;
    td.textContent = schemeCellText(row);
    td.title = `${s.names[column]!}\n${schemeLabel(row)}`;
    td.className = 'scheme';
    td.dataset.scheme = row.scheme;
    const colour = schemeColour(row.scheme);
    td.style.background = colour ?? '';
    td.style.color = colour ? textOn(colour) : '';
  }

  private makeStrip(): { cells: Map<string, HTMLTableCellElement> } {
    const cells = new Map<string, HTMLTableCellElement>();
    const head = el('tr', {}, el('th', { text: l10n.t('kind \\ layer') }), ...this.layers.map((l) => el('th', { class: 'num', text: String(l) })));
    const rows = this.series.map((s, k) =>
      el(
        'tr',
        { attrs: { 'data-kind': s.kind.kind } },
        el('th', { class: 'kind', text: s.label }),
        ...s.names.map((name, c) => {
          const td = el('td', { class: name === undefined ? 'absent' : 'pending' });
          if (name !== undefined) cells.set(`${k}:${c}`, td);
          return td;
        }),
      ),
    );
    const table = el('table', { class: 'init-strip', attrs: { 'aria-label': l10n.t('init scheme of each kind by layer') } }, el('thead', {}, head), el('tbody', {}, ...rows));
    this.stripBox.replaceChildren(el('h3', { text: l10n.t('Init scheme by layer') }), el('div', { class: 'table-scroll' }, table));
    return { cells };
  }
}
