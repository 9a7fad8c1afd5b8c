import './l10n';
import * as l10n from '@vscode/l10n';
import type { SeriesCheckpoint, SeriesRidge } from '../src/protocol/seriesMessages';
import { chartTheme } from './overviewDepth';
import { PALETTE } from './overviewText';
import { el, fmtCount, fmtNumber } from './vscodeApi';

/** Row labels' width (CSS px): "epoch 30", "step 1,000". */
const LABEL_PX = 96;
/** Vertical distance between two rows' baselines; a row's peak is `PEAK` rows tall, so rows overlap. */
const ROW_PX = 34;
const PEAK = 1.6;
const TOP_PX = 6;
/** Room under the last baseline for the x axis' labels. */
const AXIS_PX = 22;
const RIGHT_PX = 12;

type Scale = 'linear' | 'sqrt' | 'log';
const SCALES: Record<Scale, (c: number) => number> = { linear: (c) => c, sqrt: Math.sqrt, log: Math.log1p };

/**
 * The ridge plot of one tensor's histograms over the run (issue 16): a row per checkpoint, each
 * an area curve of its counts normalised to the row's largest, every row on the host's shared bins
 * (core/series.ts `SeriesRidge`). A hover reads out the checkpoint, bin range and count. Picking
 * another tensor cancels the request for the one before.
 */
export class RidgePlot {
  readonly root: HTMLElement;
  private readonly select = el('select', { class: 'ridge-tensor', attrs: { 'aria-label': l10n.t('tensor') } });
  private readonly scale = el('select', { class: 'ridge-scale', attrs: { 'aria-label': l10n.t('height scale') } }, el('option', { text: l10n.t('counts'), attrs: { value: 'linear' } }), el('option', { text: l10n.t('square root of counts'), attrs: { value: 'sqrt' } }), el('option', { text: l10n.t('log of counts'), attrs: { value: 'log' } }));
  private readonly canvas = el('canvas', { class: 'ridge-canvas', attrs: { role: 'img' } });
  private readonly status = el('p', { class: 'readout ridge-status', attrs: { role: 'status' } });
  private readonly readout = el('p', { class: 'readout ridge-readout', attrs: { 'aria-live': 'polite' } });
  private ridge: SeriesRidge | null = null;
  private pending: AbortController | undefined;
  /** The tensor `pending` is for. */
  private loading: string | undefined;
  private plotWidth = 0;

  constructor(
    private readonly checkpoints: readonly SeriesCheckpoint[],
    private readonly labelOf: (c: SeriesCheckpoint) => string,
    private readonly request: (name: string, signal: AbortSignal) => Promise<SeriesRidge | null>,
    private readonly open: (name: string, order: number) => void,
  ) {
    this.canvas.setAttribute('aria-label', l10n.t('Ridge plot: the histogram of the tensor at each checkpoint, a row per checkpoint, on shared bins'));
    this.root = el(
      'div',
      { class: 'ridge' },
      el('p', { class: 'controls' }, el('label', { text: l10n.t('Tensor: ') }, this.select), el('label', { text: l10n.t('Height: ') }, this.scale)),
      this.status,
      el('div', { class: 'table-scroll' }, this.canvas),
      this.readout,
    );
    this.select.addEventListener('change', () => void this.load(this.select.value));
    this.scale.addEventListener('change', () => this.draw());
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => (this.readout.textContent = ''));
    // A click on a row opens the tensor at that checkpoint (a row without it does nothing).
    this.canvas.addEventListener('click', (e) => {
      const at = this.rowAt(e);
      if (at !== undefined && this.ridge?.rows[at]) this.open(this.ridge.name, at);
    });
    // The plot spans the page's width: drawn again (once per frame) when the page is resized, as
    // when the side bar or a split editor changes the panel's width.
    let frame = 0;
    let drawnAt = 0;
    new ResizeObserver(() => {
      const width = this.root.clientWidth;
      if (!this.ridge || width === drawnAt || frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        drawnAt = this.root.clientWidth;
        this.draw();
      });
    }).observe(this.root);
  }

  /** The tensors to pick from, and the one drawn first. */
  setTensors(names: readonly string[], first: string | undefined): void {
    this.select.replaceChildren(...names.map((n) => el('option', { text: n, attrs: { value: n } })));
    if (first === undefined) return;
    this.select.value = first;
    void this.load(first);
  }

  /** The host's count of checkpoints binned for `name` (the one being loaded; others are stale). */
  progress(name: string, done: number, total: number): void {
    if (this.loading !== name || total <= 1) return;
    this.status.textContent = l10n.t('Binning {0}: {1} of {2} checkpoints…', name, fmtCount(done), fmtCount(total));
  }

  private async load(name: string): Promise<void> {
    this.pending?.abort();
    const controller = new AbortController();
    this.pending = controller;
    this.loading = name;
    this.status.textContent = l10n.t('Binning {0} at every checkpoint…', name);
    delete this.canvas.dataset.drawn;
    try {
      const r = await this.request(name, controller.signal);
      if (controller.signal.aborted) return;
      this.loading = undefined;
      this.ridge = r;
      this.status.textContent = !r ? '' : r.min === null ? l10n.t('{0} has no finite value at any checkpoint.', name) : l10n.t('{0} bins shared by every checkpoint, from {1} to {2} (finite values only).', fmtCount(r.bins), fmtNumber(r.min), fmtNumber(r.max!));
      this.draw();
    } catch (e) {
      if (controller.signal.aborted) return;
      this.loading = undefined;
      this.status.textContent = l10n.t('cannot bin {0}: {1}', name, (e as Error).message);
    }
  }

  private baseline(i: number): number {
    return TOP_PX + PEAK * ROW_PX + i * ROW_PX;
  }

  draw(): void {
    const r = this.ridge;
    const n = this.checkpoints.length;
    const width = Math.max(360, (this.root.clientWidth || document.body.clientWidth - 40) - 8);
    const w = width;
    const h = Math.ceil(this.baseline(n - 1) + AXIS_PX);
    this.plotWidth = w - LABEL_PX - RIGHT_PX;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    const ctx = this.canvas.getContext('2d');
    if (!ctx || !r || r.min === null || r.max === null) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const f = SCALES[this.scale.value as Scale] ?? SCALES.linear;
    const binW = this.plotWidth / r.bins;
    ctx.font = '11px var(--vscode-editor-font-family), monospace';
    ctx.textBaseline = 'bottom';
    // Back to front: the first checkpoint at the top, each later row drawn over the one above.
    r.rows.forEach((counts, i) => {
      const y0 = this.baseline(i);
      ctx.fillStyle = chartTheme.foreground;
      ctx.textAlign = 'right';
      ctx.fillText(this.labelOf(this.checkpoints[i]!), LABEL_PX - 8, y0);
      ctx.strokeStyle = chartTheme.grid;
      ctx.beginPath();
      ctx.moveTo(LABEL_PX, y0 + 0.5);
      ctx.lineTo(LABEL_PX + this.plotWidth, y0 + 0.5);
      ctx.stroke();
      if (!counts) return;
      const top = Math.max(...counts.map(f));
      if (!(top > 0)) return;
      const scale = (PEAK * ROW_PX) / top;
      ctx.beginPath();
      ctx.moveTo(LABEL_PX, y0);
      counts.forEach((c, b) => ctx.lineTo(LABEL_PX + (b + 0.5) * binW, y0 - f(c) * scale));
      ctx.lineTo(LABEL_PX + this.plotWidth, y0);
      ctx.closePath();
      const colour = PALETTE[i % PALETTE.length]!;
      ctx.globalAlpha = 0.75;
      ctx.fillStyle = colour;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.strokeStyle = chartTheme.foreground;
      ctx.stroke();
    });
    // The shared x axis: the range's ends under the last row.
    const yAxis = this.baseline(n - 1) + 4;
    ctx.textBaseline = 'top';
    ctx.fillStyle = chartTheme.foreground;
    ctx.textAlign = 'left';
    ctx.fillText(fmtNumber(r.min), LABEL_PX, yAxis);
    ctx.textAlign = 'right';
    ctx.fillText(fmtNumber(r.max), LABEL_PX + this.plotWidth, yAxis);
    this.canvas.dataset.drawn = String(r.rows.reduce((a, c) => a + (c ? c.reduce((x, y) => x + y, 0) : 0), 0));
    this.canvas.dataset.name = r.name;
  }

  /** The row whose baseline is the first at or below the mouse, when the mouse is over the plot. */
  private rowAt(e: MouseEvent): number | undefined {
    const r = this.ridge;
    if (!r || r.min === null || r.max === null) return undefined;
    const box = this.canvas.getBoundingClientRect();
    const x = e.clientX - box.left - LABEL_PX;
    if (x < 0 || x >= this.plotWidth) return undefined;
    return Math.min(this.checkpoints.length - 1, Math.max(0, Math.ceil((e.clientY - box.top - this.baseline(0)) / ROW_PX)));
  }

  private hover(e: MouseEvent): void {
    const r = this.ridge;
    if (!r || r.min === null || r.max === null) return;
    const i = this.rowAt(e);
    this.canvas.style.cursor = i !== undefined && r.rows[i] ? 'pointer' : '';
    if (i === undefined) {
      this.readout.textContent = '';
      return;
    }
    const x = e.clientX - this.canvas.getBoundingClientRect().left - LABEL_PX;
    const bin = Math.min(r.bins - 1, Math.floor((x / this.plotWidth) * r.bins));
    const width = (r.max - r.min) / r.bins;
    const lo = r.min + bin * width;
    const hi = bin === r.bins - 1 ? r.max : lo + width;
    const c = r.rows[i]?.[bin];
    const range = bin === r.bins - 1 ? `[${fmtNumber(lo)}, ${fmtNumber(hi)}]` : `[${fmtNumber(lo)}, ${fmtNumber(hi)})`;
    this.readout.textContent = c === undefined ? l10n.t('{0}: no such tensor here', this.checkpoints[i]!.file) : l10n.t('{0}, bin {1}: {2} values', this.checkpoints[i]!.file, range, fmtCount(c));
  }
}
