import './l10n';
import * as l10n from '@vscode/l10n';
import type { SeriesCheckpoint, SeriesPoint } from '../src/protocol/seriesMessages';
import { chartTheme } from './overviewDepth';
import { el, fmtNumber } from './vscodeApi';

/** Row labels' width (CSS px): tensor names are long; the name is also in the hover readout. */
const LABEL_PX = 220;
const ROW_PX = 14;
const MIN_ROW_PX = 4;
/** Taller than this the heatmap squeezes its rows (a GPT-2 has ~150 tensors, a 7B model ~300). */
const MAX_HEIGHT_PX = 1400;
const MIN_COLUMN_PX = 6;
/** The strip above the cells for the checkpoints' labels, drawn at 45°. */
const HEAD_PX = 64;
/** A label's longest run along its slant; longer ones are cut with "…". */
const HEAD_LABEL_PX = 84;
/** Columns narrower than this label every k-th checkpoint so slanted labels do not overlap. */
const HEAD_LABEL_GAP_PX = 14;
/** Room on the right for the last column's slanted label. */
const HEAD_RIGHT_PX = Math.ceil(HEAD_LABEL_PX * Math.SQRT1_2);
const MAX_COLUMN_PX = 48;
/** Viridis at five stops (matplotlib's `viridis`, sampled at 0, .25, .5, .75, 1). */
const RAMP: ReadonlyArray<readonly [number, number, number]> = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function ramp(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [RAMP[i]!, RAMP[i + 1]!];
  return `rgb(${Math.round(a[0] + f * (b[0] - a[0]))},${Math.round(a[1] + f * (b[1] - a[1]))},${Math.round(a[2] + f * (b[2] - a[2]))})`;
}

/** One tensor's row: its name and `relPrev` at each checkpoint. */
export interface HeatRow {
  name: string;
  points: ReadonlyArray<SeriesPoint | null>;
}

/**
 * Layer × checkpoint heatmap of `relPrev` (‖b − a‖ / ‖a‖ against the previous checkpoint) on a
 * canvas, log colour scale between the smallest and largest positive change; exact 0 (unchanged)
 * and missing points drawn apart. A hover reads the cell out; a click opens that tensor at that checkpoint.
 */
export class RelPrevHeatmap {
  readonly root: HTMLElement;
  private readonly canvas = el('canvas', { class: 'heatmap-canvas', attrs: { role: 'img' } });
  private readonly readout = el('p', { class: 'readout heat-readout', attrs: { 'aria-live': 'polite' } });
  private readonly legend = el('p', { class: 'readout heat-legend' });
  private rows: HeatRow[] = [];
  private geometry = { col: MAX_COLUMN_PX, row: ROW_PX };

  constructor(
    private readonly checkpoints: readonly SeriesCheckpoint[],
    private readonly open: (name: string, order: number) => void,
    private readonly labelOf: (c: SeriesCheckpoint) => string,
  ) {
    this.canvas.setAttribute('aria-label', l10n.t('Heatmap of the change against the previous checkpoint, a row per tensor, a column per checkpoint'));
    this.root = el('div', { class: 'heatmap' }, this.legend, el('div', { class: 'table-scroll' }, this.canvas), this.readout);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => (this.readout.textContent = ''));
    this.canvas.addEventListener('click', (e) => {
      const c = this.cellAt(e);
      if (c && c.point) this.open(c.row.name, c.order);
    });
  }

  setRows(rows: HeatRow[]): void {
    this.rows = rows;
    this.draw();
  }

  /** The cell under the mouse: a tensor row and a checkpoint column. */
  private cellAt(e: MouseEvent): { row: HeatRow; order: number; point: SeriesPoint | null } | undefined {
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left - LABEL_PX;
    const y = e.clientY - r.top - HEAD_PX;
    if (x < 0 || y < 0) return undefined;
    const order = Math.floor(x / this.geometry.col);
    const row = this.rows[Math.floor(y / this.geometry.row)];
    if (!row || order >= this.checkpoints.length) return undefined;
    return { row, order, point: row.points[order] ?? null };
  }

  private hover(e: MouseEvent): void {
    const c = this.cellAt(e);
    this.canvas.style.cursor = c?.point ? 'pointer' : 'default';
    if (!c) {
      this.readout.textContent = '';
      return;
    }
    const file = this.checkpoints[c.order]?.file ?? '';
    const v = !c.point ? l10n.t('absent') : c.order === 0 ? l10n.t('first checkpoint') : fmtNumber(c.point.relPrev);
    this.readout.textContent = l10n.t('{0} at {1}: change against the previous checkpoint {2}', c.row.name, file, v);
  }

  private range(): [number, number] | undefined {
    let lo = Infinity;
    let hi = 0;
    for (const r of this.rows)
      for (const p of r.points) {
        const v = p?.relPrev;
        if (v !== null && v !== undefined && v > 0 && Number.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    return hi > 0 ? [lo, hi] : undefined;
  }

  draw(): void {
    const n = this.checkpoints.length;
    const width = Math.max(320, this.root.clientWidth || document.body.clientWidth - 40);
    const col = Math.max(MIN_COLUMN_PX, Math.min(MAX_COLUMN_PX, Math.floor((width - LABEL_PX - HEAD_RIGHT_PX) / Math.max(1, n))));
    const row = Math.max(MIN_ROW_PX, Math.min(ROW_PX, Math.floor(MAX_HEIGHT_PX / Math.max(1, this.rows.length))));
    this.geometry = { col, row };
    const dpr = window.devicePixelRatio || 1;
    const w = LABEL_PX + col * n + HEAD_RIGHT_PX;
    const h = HEAD_PX + Math.max(row, row * this.rows.length);
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const span = this.range();
    const [lo, hi] = span ?? [1, 1];
    const llo = Math.log10(lo);
    const lspan = Math.log10(hi) - llo || 1;
    // Column labels: each checkpoint's order key (`epoch 30`, `step 1,000`), slanted up from its column.
    ctx.font = '11px var(--vscode-editor-font-family), monospace';
    ctx.fillStyle = chartTheme.foreground;
    ctx.textBaseline = 'middle';
    const every = Math.max(1, Math.ceil(HEAD_LABEL_GAP_PX / col));
    let labelled = 0;
    for (let i = 0; i < n; i += every) {
      ctx.save();
      ctx.translate(LABEL_PX + i * col + col / 2, HEAD_PX - 4);
      ctx.rotate(-Math.PI / 4);
      ctx.fillText(fitText(ctx, this.labelOf(this.checkpoints[i]!), HEAD_LABEL_PX), 0, 0);
      ctx.restore();
      labelled++;
    }
    this.canvas.dataset.columnLabels = String(labelled);
    ctx.translate(0, HEAD_PX);
    ctx.font = `${Math.min(12, row - 2)}px var(--vscode-editor-font-family), monospace`;
    ctx.textBaseline = 'middle';
    this.rows.forEach((r, y) => {
      if (row >= 9) {
        ctx.fillStyle = chartTheme.foreground;
        // Canvas text is drawn, never parsed: a hostile name is only pixels here.
        ctx.fillText(fitText(ctx, r.name, LABEL_PX - 8), 0, y * row + row / 2, LABEL_PX - 8);
      }
      for (let i = 0; i < n; i++) {
        const p = r.points[i];
        const v = p?.relPrev;
        if (!p) continue;
        if (v === null || v === undefined || !Number.isFinite(v)) ctx.fillStyle = chartTheme.grid;
        else if (v === 0) ctx.fillStyle = chartTheme.grid;
        else ctx.fillStyle = ramp((Math.log10(v) - llo) / lspan);
        if (i === 0 || v === null || v === undefined) {
          // The first point has no previous one: an outline, not a colour.
          ctx.strokeStyle = chartTheme.grid;
          ctx.strokeRect(LABEL_PX + i * col + 0.5, y * row + 0.5, col - 2, row - 2);
        } else ctx.fillRect(LABEL_PX + i * col, y * row, col - 1, row - 1);
      }
    });
    this.legend.textContent = span
      ? l10n.t('Colour: change against the previous checkpoint on a log scale, from {0} (dark) to {1} (bright); grey: unchanged or no value; outlined: no previous checkpoint.', fmtNumber(lo), fmtNumber(hi))
      : l10n.t('No change between checkpoints yet.');
  }
}

function fitText(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let s = text;
  while (s.length > 1 && ctx.measureText(`…${s}`).width > max) s = s.slice(1);
  return `…${s}`;
}
