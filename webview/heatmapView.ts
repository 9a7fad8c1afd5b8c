import './l10n';
import * as l10n from '@vscode/l10n';
import type { HeatmapLayout, HeatmapRequest, HeatmapView, HeatmapWindow } from '../src/protocol/messages';
import { BAR_GAP, BAR_LABELS, BAR_WIDTH, LEFT, paintHeatmap, TOP } from './heatmapCanvas';
import { CLIP_CHOICES, clippedScale, type ColourScale, DEFAULT_CLIP, type HeatmapStat } from './heatmapScale';
import { cellText, type Cells, describeHeatmap } from './heatmapText';
import { el } from './vscodeApi';

/** What the heatmap keeps across tab switches and reloads (in the page's saved state). */
export interface HeatmapSettings {
  /** `auto`: the mean (the values themselves when a cell is one value) for cells of a few values, else max |x|. */
  stat: HeatmapStat | 'auto';
  /** Index into CLIP_CHOICES. */
  clip: number;
  /** How a 4-D conv weight is laid out (other tensors: always `slice`). */
  layout: HeatmapLayout;
  /** The zoomed-in region, or null for the whole matrix. */
  window: HeatmapWindow | null;
}

export const DEFAULT_HEATMAP_SETTINGS: HeatmapSettings = { stat: 'auto', clip: 0, layout: 'filters', window: null };

/** Largest plot, in CSS pixels; a matrix that fits gets square cells up to MAX_CELL_PX. */
const MAX_PLOT_WIDTH = 900;
const MAX_PLOT_HEIGHT = 400;
const MIN_PLOT_HEIGHT = 120;
const MAX_CELL_PX = 32;
const MAX_CELL_ASPECT = 4;
/** A one-row matrix (a bias) is still a strip one can point at. */
const MIN_STRIP_PX = 24;
/** Drag shorter than this (px) is a click, not a zoom rectangle. */
const MIN_DRAG_PX = 4;
/** Values per cell (on average) from which `auto` shows max |x| rather than the mean. */
const AUTO_MAX_ABS_FROM = 4;
/** How long a resize must rest before the heatmap is pooled again for the new width. */
const RESIZE_SETTLE_MS = 300;

export type FetchHeatmap = (req: Omit<HeatmapRequest, 'slice'>, signal: AbortSignal) => Promise<HeatmapView>;



/**
 * The pooled heatmap of a 2-D slice or a conv weight's layout: per-cell statistic, colour scale
 * clipped at percentiles of the cells with a colour bar, row and column indices, zoom (drag a
 * rectangle) and pan, each re-pooled from the file, and a readout of the cell under the pointer.
 */
export class HeatmapPanel {
  readonly root: HTMLElement;
  private readonly canvas = el('canvas', { attrs: { role: 'img', tabindex: '0', 'aria-label': l10n.t('heatmap of values') } });
  private readonly caption = el('div', { class: 'readout heatmap-caption' });
  private readonly readout = el('div', { class: 'readout heatmap-readout', attrs: { 'aria-live': 'polite' } });
  private readonly statSelect = el('select', { attrs: { 'aria-label': l10n.t('statistic per cell') } });
  private readonly clipSelect = el('select', { attrs: { 'aria-label': l10n.t('colour scale clipping') } });
  private readonly layoutSelect = el('select', { attrs: { 'aria-label': l10n.t('layout of conv weights') } });
  private readonly layoutLabel: HTMLLabelElement;
  private readonly zoomOut = el('button', { text: l10n.t('Zoom out'), attrs: { type: 'button' } });
  private readonly reset = el('button', { text: l10n.t('Whole matrix'), attrs: { type: 'button' } });
  private readonly pan: HTMLButtonElement[];
  private cells: Cells | null = null;
  private shape: number[] = [];
  private fetch: FetchHeatmap | null = null;
  private inflight: AbortController | null = null;
  private drag: { x0: number; y0: number; x1: number; y1: number } | null = null;
  /** Plot geometry of the last draw, CSS px. */
  private plot = { x: LEFT, y: TOP, w: 0, h: 0 };
  private scale: ColourScale = { kind: 'diverging', lo: 0, hi: 0 };
  private shownStat: HeatmapStat = 'mean';

  constructor(
    private settings: HeatmapSettings,
    private readonly onChange: (s: HeatmapSettings) => void,
    /** The person zoomed, panned or changed the layout (not the panel resetting itself for a new tensor). */
    private readonly onUse: () => void = () => undefined,
  ) {
    const statNames: Array<[HeatmapSettings['stat'], string]> = [
      ['auto', l10n.t('auto')],
      ['mean', l10n.t('mean')],
      ['maxAbs', l10n.t('max |x|')],
      ['std', l10n.t('std')],
    ];
    this.statSelect.append(...statNames.map(([v, t]) => el('option', { text: t, attrs: { value: v } })));
    this.clipSelect.append(...CLIP_CHOICES.map(([lo, hi], i) => el('option', { text: lo === 0 && hi === 100 ? l10n.t('none (full range)') : l10n.t('percentiles {0}–{1}', lo, hi), attrs: { value: String(i) } })));
    this.layoutSelect.append(
      el('option', { text: l10n.t('filters grid'), attrs: { value: 'filters' } }),
      el('option', { text: '[out, in·kh·kw]', attrs: { value: 'flat' } }),
      el('option', { text: l10n.t('one slice [o, i, :, :]'), attrs: { value: 'slice' } }),
    );
    this.layoutLabel = el('label', { text: `${l10n.t('Layout')} ` }, this.layoutSelect);
    this.statSelect.addEventListener('change', () => this.update({ stat: this.statSelect.value as HeatmapSettings['stat'] }, false));
    this.clipSelect.addEventListener('change', () => this.update({ clip: Number(this.clipSelect.value) }, false));
    this.layoutSelect.addEventListener('change', () => {
      this.onUse();
      this.update({ layout: this.layoutSelect.value as HeatmapLayout, window: null }, true);
    });
    this.zoomOut.addEventListener('click', () => this.zoomBy(2));
    this.reset.addEventListener('click', () => {
      this.onUse();
      this.update({ window: null }, true);
    });
    const panButton = (text: string, label: string, dr: number, dc: number): HTMLButtonElement => {
      const b = el('button', { text, attrs: { type: 'button', 'aria-label': label, title: label, class: 'pan' } });
      b.addEventListener('click', () => this.panBy(dr, dc));
      return b;
    };
    this.pan = [panButton('←', l10n.t('pan left'), 0, -1), panButton('→', l10n.t('pan right'), 0, 1), panButton('↑', l10n.t('pan up'), -1, 0), panButton('↓', l10n.t('pan down'), 1, 0)];
    this.root = el(
      'section',
      { class: 'heatmap' },
      el(
        'div',
        { class: 'toolbar' },
        el('h2', { text: l10n.t('Heatmap') }),
        el('label', { text: `${l10n.t('Cells')} ` }, this.statSelect),
        el('label', { text: `${l10n.t('Clip colours at')} ` }, this.clipSelect),
        this.layoutLabel,
        el('span', { class: 'zoom' }, this.zoomOut, this.reset, ...this.pan),
      ),
      el('div', { class: 'readout hint', text: l10n.t('Drag a rectangle or double-click to zoom in (or press + / − and the arrow keys on the heatmap); each region is pooled again from the file.') }),
      this.canvas,
      this.readout,
      this.caption,
    );
    this.syncControls();
    this.canvas.addEventListener('mousemove', (e) => this.onMove(e.offsetX, e.offsetY));
    this.canvas.addEventListener('mouseleave', () => {
      this.readout.textContent = '';
      if (!this.drag) return;
      this.drag = null;
      this.draw();
    });
    this.canvas.addEventListener('mousedown', (e) => {
      if (e.button !== 0 || !this.inPlot(e.offsetX, e.offsetY)) return;
      this.drag = { x0: e.offsetX, y0: e.offsetY, x1: e.offsetX, y1: e.offsetY };
    });
    this.canvas.addEventListener('mouseup', (e) => this.endDrag(e.offsetX, e.offsetY));
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.canvas.addEventListener('dblclick', (e) => {
      const v = this.cells?.view;
      if (!v || !this.inPlot(e.offsetX, e.offsetY)) return;
      // Twice as close, centred on the point.
      const p = this.plot;
      const w = v.window;
      const r = w.row0 + ((e.offsetY - p.y) / p.h) * (w.row1 - w.row0);
      const c = w.col0 + ((e.offsetX - p.x) / p.w) * (w.col1 - w.col0);
      const hr = Math.max(0.5, (w.row1 - w.row0) / 4);
      const hc = Math.max(0.5, (w.col1 - w.col0) / 4);
      this.zoomTo({ row0: Math.floor(r - hr), row1: Math.ceil(r + hr), col0: Math.floor(c - hc), col1: Math.ceil(c + hc) });
    });
    // A panel made much wider or narrower pools again for its new size (once it settles).
    let resizeTimer: ReturnType<typeof setTimeout> | undefined;
    new ResizeObserver(() => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        const v = this.cells?.view;
        if (!v) return;
        const want = this.plotSize(v.window.row1 - v.window.row0, v.window.col1 - v.window.col0);
        if (Math.abs(want.w - this.plot.w) > 0.2 * this.plot.w) void this.load();
      }, RESIZE_SETTLE_MS);
    }).observe(this.root);
  }

  /** The layout a tensor of this shape uses with the current settings. */
  layoutFor(shape: readonly number[]): HeatmapLayout {
    return shape.length === 4 ? this.settings.layout : 'slice';
  }

  /** A new matrix to show (a new tensor or slice); `keepWindow` when it is the same one revived. */
  show(shape: number[], fetch: FetchHeatmap, keepWindow: boolean): Promise<void> {
    this.shape = shape;
    this.fetch = fetch;
    if (!keepWindow && this.settings.window) this.update({ window: null }, false);
    this.syncControls();
    return this.load();
  }

  /** Nothing drawn (another tensor's heatmap is on its way): no cell of the one before stays readable. */
  clear(): void {
    this.inflight?.abort();
    this.cells = null;
    this.drag = null;
    delete this.canvas.dataset.drawn;
    this.canvas.getContext('2d')?.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.readout.textContent = '';
    this.caption.textContent = '';
  }

  private syncControls(): void {
    this.statSelect.value = this.settings.stat;
    this.clipSelect.value = String(this.settings.clip);
    this.layoutSelect.value = this.settings.layout;
    this.layoutLabel.hidden = this.shape.length !== 4;
    const zoomed = this.settings.window !== null;
    this.zoomOut.disabled = !zoomed;
    this.reset.disabled = !zoomed;
    for (const b of this.pan) b.disabled = !zoomed;
  }

  private update(patch: Partial<HeatmapSettings>, refetch: boolean): void {
    this.settings = { ...this.settings, ...patch };
    this.onChange(this.settings);
    this.syncControls();
    if (refetch) void this.load();
    else this.draw();
  }

  /** The matrix's rows × columns in the current layout. */
  private matrixSize(): [number, number] {
    const s = this.shape;
    const layout = this.layoutFor(s);
    if (layout === 'filters') return [s[0]! * s[2]!, s[1]! * s[3]!];
    if (layout === 'flat') return [s[0]!, s[1]! * s[2]! * s[3]!];
    return s.length >= 2 ? [s[s.length - 2]!, s[s.length - 1]!] : [1, s[0] ?? 1];
  }

  /**
   * Plot size for a window of rows × cols. A window that fits unpooled gets whole-pixel cells,
   * square unless that would make it a sliver (cells up to MAX_CELL_ASPECT times wider than high,
   * or higher than wide); a bigger one gets the full width.
   */
  private plotSize(rows: number, cols: number): { w: number; h: number } {
    const avail = Math.max(120, Math.min(MAX_PLOT_WIDTH, (this.root.clientWidth || 700) - LEFT - BAR_GAP - BAR_WIDTH - BAR_LABELS - 8));
    let cw = Math.min(avail / cols, MAX_CELL_PX);
    let ch = Math.min(MAX_PLOT_HEIGHT / rows, MAX_CELL_PX);
    if (cw >= 1 && ch >= 1) {
      if (Math.max(cw, ch) <= MAX_CELL_ASPECT * Math.min(cw, ch)) cw = ch = Math.min(cw, ch);
      else if (cw > ch) cw = MAX_CELL_ASPECT * ch;
      else ch = MAX_CELL_ASPECT * cw;
      return { w: Math.floor(cw) * cols, h: Math.max(MIN_STRIP_PX, Math.floor(ch) * rows) };
    }
    if (ch >= 1) return { w: Math.floor(avail), h: Math.floor(ch) * rows };
    return { w: Math.floor(avail), h: Math.round(Math.max(MIN_PLOT_HEIGHT, Math.min(MAX_PLOT_HEIGHT, (avail * rows) / cols))) };
  }

  private async load(): Promise<void> {
    if (!this.fetch) return;
    this.inflight?.abort();
    const controller = (this.inflight = new AbortController());
    const [rows, cols] = this.matrixSize();
    const w = this.settings.window ?? { row0: 0, row1: rows, col0: 0, col1: cols };
    const size = this.plotSize(w.row1 - w.row0, w.col1 - w.col0);
    this.root.dataset.loading = 'true';
    this.caption.textContent = l10n.t('Pooling rows {0}–{1}, columns {2}–{3} from the file…', w.row0, w.row1 - 1, w.col0, w.col1 - 1);
    try {
      const layout = this.layoutFor(this.shape);
      const view = await this.fetch({ layout, maxWidth: Math.min(4096, size.w), maxHeight: Math.min(4096, size.h), ...(this.settings.window ? { window: this.settings.window } : {}) }, controller.signal);
      if (controller.signal.aborted) return;
      const f = (b: ArrayBuffer): Float32Array => new Float32Array(b);
      this.cells = { view, mean: f(view.mean), std: f(view.std), min: f(view.min), max: f(view.max), maxAbs: f(view.maxAbs) };
      this.plot = { x: LEFT, y: TOP, w: size.w, h: size.h };
      this.draw();
    } catch (e) {
      if (!controller.signal.aborted) this.caption.textContent = l10n.t('Heatmap unavailable: {0}', (e as Error).message);
    } finally {
      if (this.inflight === controller) {
        this.inflight = null;
        delete this.root.dataset.loading;
      }
    }
  }

  /** Every cell is one value: the heatmap shows the values themselves. */

  /**
   * `auto`: max |x| once cells pool AUTO_MAX_ABS_FROM values or more on average (a large dimension
   * cannot cancel out in it), else the (signed) mean, which for one value per cell is the value.
   */
  private statShown(v: HeatmapView): HeatmapStat {
    if (this.settings.stat !== 'auto') return this.settings.stat;
    const perCell = ((v.window.row1 - v.window.row0) * (v.window.col1 - v.window.col0)) / (v.width * v.height);
    return perCell >= AUTO_MAX_ABS_FROM ? 'maxAbs' : 'mean';
  }

  draw(): void {
    const cells = this.cells;
    if (!cells) return;
    const v = cells.view;
    const stat = (this.shownStat = this.statShown(v));
    const data = cells[stat];
    const [pLo, pHi] = CLIP_CHOICES[this.settings.clip] ?? DEFAULT_CLIP;
    const scale = (this.scale = clippedScale(stat, data, pLo, pHi));
    if (!paintHeatmap(this.canvas, v, data, scale, this.plot, this.drag)) return;
    const c = this.canvas;
    const { x: px, y: py, w: pw, h: ph } = this.plot;
    const w = v.window;
    c.dataset.drawn = `${v.width}x${v.height}`;
    c.dataset.stat = stat;
    c.dataset.scale = `${scale.lo},${scale.hi}`;
    c.dataset.window = `${w.row0},${w.row1},${w.col0},${w.col1}`;
    c.dataset.plot = `${px},${py},${pw},${ph}`;
    this.caption.textContent = describeHeatmap(v, stat, scale, pLo, pHi);
  }


  private inPlot(x: number, y: number): boolean {
    const p = this.plot;
    return x >= p.x && x < p.x + p.w && y >= p.y && y < p.y + p.h;
  }

  /** The cell under a point, or null outside the plot. */
  private cellAt(x: number, y: number): { i: number; j: number } | null {
    const v = this.cells?.view;
    if (!v || !this.inPlot(x, y)) return null;
    const p = this.plot;
    return { i: Math.min(v.height - 1, Math.floor(((y - p.y) / p.h) * v.height)), j: Math.min(v.width - 1, Math.floor(((x - p.x) / p.w) * v.width)) };
  }

  private onMove(x: number, y: number): void {
    if (this.drag) {
      const p = this.plot;
      this.drag.x1 = Math.max(p.x, Math.min(p.x + p.w, x));
      this.drag.y1 = Math.max(p.y, Math.min(p.y + p.h, y));
      this.draw();
    }
    const cell = this.cellAt(x, y);
    const cells = this.cells;
    if (!cell || !cells) {
      this.readout.textContent = '';
      return;
    }
    this.readout.textContent = cellText(cells, cell.i, cell.j);
  }

  /** What one cell holds, in words. */

  private endDrag(x: number, y: number): void {
    const d = this.drag;
    this.drag = null;
    const v = this.cells?.view;
    if (!d || !v) return;
    if (Math.abs(x - d.x0) < MIN_DRAG_PX && Math.abs(y - d.y0) < MIN_DRAG_PX) {
      this.draw();
      return;
    }
    const p = this.plot;
    const w = v.window;
    const toRow = (py: number): number => w.row0 + ((Math.max(p.y, Math.min(p.y + p.h, py)) - p.y) / p.h) * (w.row1 - w.row0);
    const toCol = (px: number): number => w.col0 + ((Math.max(p.x, Math.min(p.x + p.w, px)) - p.x) / p.w) * (w.col1 - w.col0);
    const row0 = Math.floor(toRow(Math.min(d.y0, y)));
    const row1 = Math.max(row0 + 1, Math.ceil(toRow(Math.max(d.y0, y))));
    const col0 = Math.floor(toCol(Math.min(d.x0, x)));
    const col1 = Math.max(col0 + 1, Math.ceil(toCol(Math.max(d.x0, x))));
    this.zoomTo({ row0, row1, col0, col1 });
  }

  /** Zooms to a window of the matrix (clamped); the whole matrix is stored as "not zoomed". */
  zoomTo(win: HeatmapWindow): void {
    this.onUse();
    const [rows, cols] = this.matrixSize();
    const row0 = Math.max(0, Math.min(rows - 1, win.row0));
    const col0 = Math.max(0, Math.min(cols - 1, win.col0));
    const next = { row0, row1: Math.max(row0 + 1, Math.min(rows, win.row1)), col0, col1: Math.max(col0 + 1, Math.min(cols, win.col1)) };
    const whole = next.row0 === 0 && next.col0 === 0 && next.row1 === rows && next.col1 === cols;
    this.update({ window: whole ? null : next }, true);
  }

  private current(): HeatmapWindow {
    const [rows, cols] = this.matrixSize();
    return this.settings.window ?? { row0: 0, row1: rows, col0: 0, col1: cols };
  }

  private zoomBy(f: number): void {
    const w = this.current();
    const cr = (w.row0 + w.row1) / 2;
    const cc = (w.col0 + w.col1) / 2;
    const hr = Math.max(0.5, ((w.row1 - w.row0) * f) / 2);
    const hc = Math.max(0.5, ((w.col1 - w.col0) * f) / 2);
    this.zoomTo({ row0: Math.floor(cr - hr), row1: Math.ceil(cr + hr), col0: Math.floor(cc - hc), col1: Math.ceil(cc + hc) });
  }

  /** Moves the window by half its size (dr, dc in -1, 0, 1), staying inside the matrix. */
  private panBy(dr: number, dc: number): void {
    const [rows, cols] = this.matrixSize();
    const w = this.current();
    const h = w.row1 - w.row0;
    const wd = w.col1 - w.col0;
    const row0 = Math.max(0, Math.min(rows - h, w.row0 + dr * Math.max(1, Math.floor(h / 2))));
    const col0 = Math.max(0, Math.min(cols - wd, w.col0 + dc * Math.max(1, Math.floor(wd / 2))));
    this.zoomTo({ row0, row1: row0 + h, col0, col1: col0 + wd });
  }

  private onKey(e: KeyboardEvent): void {
    const keys: Record<string, () => void> = {
      ArrowLeft: () => this.panBy(0, -1),
      ArrowRight: () => this.panBy(0, 1),
      ArrowUp: () => this.panBy(-1, 0),
      ArrowDown: () => this.panBy(1, 0),
      '+': () => this.zoomBy(0.5),
      '=': () => this.zoomBy(0.5),
      '-': () => this.zoomBy(2),
      '0': () => this.update({ window: null }, true),
    };
    const f = keys[e.key];
    if (!f) return;
    e.preventDefault();
    this.onUse();
    f();
  }
}

