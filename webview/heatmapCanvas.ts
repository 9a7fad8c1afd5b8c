import * as l10n from '@vscode/l10n';
import type { HeatmapView } from '../src/protocol/messages';
import { colourAt, type ColourScale, indexTicks, niceTicks, scalePosition } from './heatmapScale';
import { fmtNumber } from './vscodeApi';

// Room around the plot: row indices on the left, column indices below, the colour bar on the right.
export const LEFT = 56;
export const TOP = 6;
export const BOTTOM = 22;
/** Extra room under the filter grid for its axis name. */
export const TILE_AXIS = 14;
export const BAR_GAP = 14;
export const BAR_WIDTH = 14;
export const BAR_LABELS = 72;
export const MIN_BAR_PX = 72;

/** Where the matrix is drawn on the canvas, in CSS pixels. */
export interface PlotBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Paints a pooled heatmap on `c`: the cells in `scale`'s colours, lines between conv filters, the
 * row and column indices, the colour bar with its values, and the zoom rectangle being dragged.
 * Sizes the canvas for the device's pixel ratio. False when the canvas gives no 2-D context.
 */
export function paintHeatmap(c: HTMLCanvasElement, v: HeatmapView, data: Float32Array, scale: ColourScale, plot: PlotBox, drag: { x0: number; y0: number; x1: number; y1: number } | null): boolean {
  const img = new ImageData(v.width, v.height);
  for (let i = 0; i < data.length; i++) {
    const [r, g, b] = colourAt(scalePosition(data[i]!, scale), scale.kind);
    img.data[i * 4] = r;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = b;
    img.data[i * 4 + 3] = 255;
  }
  const tile = document.createElement('canvas');
  tile.width = v.width;
  tile.height = v.height;
  tile.getContext('2d')?.putImageData(img, 0, 0);

  const { x: px, y: py, w: pw, h: ph } = plot;
  // The colour bar is at least MIN_BAR_PX tall, so a one-row matrix still gets readable ticks.
  const barH = Math.max(ph, MIN_BAR_PX);
  const cssW = px + pw + BAR_GAP + BAR_WIDTH + BAR_LABELS;
  const cssH = py + barH + BOTTOM + (v.tile ? TILE_AXIS : 0);
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.round(cssW * dpr);
  c.height = Math.round(cssH * dpr);
  c.style.width = `${cssW}px`;
  c.style.height = `${cssH}px`;
  const ctx = c.getContext('2d');
  if (!ctx) return false;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tile, px, py, pw, ph);

  const style = getComputedStyle(document.body);
  const fg = style.getPropertyValue('--vscode-foreground').trim() || '#ccc';
  const muted = style.getPropertyValue('--vscode-descriptionForeground').trim() || fg;
  const border = style.getPropertyValue('--vscode-panel-border').trim() || muted;
  ctx.font = `11px ${style.getPropertyValue('--vscode-font-family') || 'sans-serif'}`;
  ctx.fillStyle = muted;
  ctx.strokeStyle = muted;
  ctx.lineWidth = 1;

  // Filter tiles: a thin line between filters when a tile is big enough to see.
  if (v.tile) {
    const [kh, kw] = v.tile;
    const rowPx = ph / (v.window.row1 - v.window.row0);
    const colPx = pw / (v.window.col1 - v.window.col0);
    if (rowPx * kh >= 6 && colPx * kw >= 6) {
      ctx.strokeStyle = style.getPropertyValue('--vscode-editor-background').trim() || '#000';
      ctx.lineWidth = rowPx * kh >= 24 && colPx * kw >= 24 ? 2 : 1;
      ctx.beginPath();
      for (let r = Math.ceil(v.window.row0 / kh) * kh; r <= v.window.row1; r += kh) {
        const y = Math.round(py + (r - v.window.row0) * rowPx) + 0.5;
        ctx.moveTo(px, y);
        ctx.lineTo(px + pw, y);
      }
      for (let col = Math.ceil(v.window.col0 / kw) * kw; col <= v.window.col1; col += kw) {
        const x = Math.round(px + (col - v.window.col0) * colPx) + 0.5;
        ctx.moveTo(x, py);
        ctx.lineTo(x, py + ph);
      }
      ctx.stroke();
      ctx.strokeStyle = muted;
      ctx.lineWidth = 1;
    }
  }
  ctx.strokeStyle = border;
  ctx.strokeRect(px - 0.5, py - 0.5, pw + 1, ph + 1);
  ctx.strokeStyle = muted;

  // Axes: indices at the middle of the rows / columns they label — matrix indices, or for the
  // filter grid the out (rows) and in (columns) channel of each tile.
  const w = v.window;
  const [th, tw] = v.tile ?? [1, 1];
  const axis = (lo: number, hi: number, unit: number, count: number): Array<{ at: number; label: string }> =>
    indexTicks(Math.floor(lo / unit), Math.ceil(hi / unit), count)
      .map((k) => ({ at: k * unit + unit / 2, label: String(k) }))
      .filter((t) => t.at >= lo && t.at <= hi);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of axis(w.row0, w.row1, th, Math.max(2, Math.floor(ph / 40)))) {
    const y = py + ((t.at + (th === 1 ? 0.5 : 0) - w.row0) / (w.row1 - w.row0)) * ph;
    ctx.beginPath();
    ctx.moveTo(px - 4, y);
    ctx.lineTo(px, y);
    ctx.stroke();
    ctx.fillText(t.label, px - 6, y);
  }
  ctx.textBaseline = 'top';
  const colTicks = axis(w.col0, w.col1, tw, Math.max(2, Math.floor(pw / 70)));
  colTicks.forEach((t, k) => {
    const x = px + ((t.at + (tw === 1 ? 0.5 : 0) - w.col0) / (w.col1 - w.col0)) * pw;
    ctx.beginPath();
    ctx.moveTo(x, py + ph);
    ctx.lineTo(x, py + ph + 4);
    ctx.stroke();
    ctx.textAlign = k === 0 && colTicks.length > 1 && tw === 1 ? 'left' : 'center';
    ctx.fillText(t.label, ctx.textAlign === 'left' ? x - 3 : x, py + ph + 6);
  });
  if (v.tile) {
    // Which channel each axis counts.
    ctx.textAlign = 'left';
    ctx.fillText(l10n.t('in →'), px + pw + 2 - ctx.measureText(l10n.t('in →')).width, py + ph + 6 + TILE_AXIS);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText(l10n.t('out ↓'), px - 6, py + 12);
  }

  // Colour bar with its values: top = scale.hi.
  const bx = px + pw + BAR_GAP;
  for (let y = 0; y < barH; y++) {
    const [r, g, b] = colourAt(1 - y / Math.max(1, barH - 1), scale.kind);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(bx, py + y, BAR_WIDTH, 1);
  }
  ctx.strokeStyle = border;
  ctx.strokeRect(bx - 0.5, py - 0.5, BAR_WIDTH + 1, barH + 1);
  ctx.fillStyle = muted;
  ctx.strokeStyle = muted;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  // The scale's ends, then round values between them that keep clear of the ends' labels.
  const yOfTick = (t: number): number => py + (scale.hi > scale.lo ? (1 - (t - scale.lo) / (scale.hi - scale.lo)) * (barH - 1) : barH / 2);
  const ends = scale.hi > scale.lo ? [scale.hi, scale.lo] : [scale.lo];
  const inner = scale.hi > scale.lo ? niceTicks(scale.lo, scale.hi, Math.max(2, Math.floor(barH / 32))).filter((t) => ends.every((e) => Math.abs(yOfTick(t) - yOfTick(e)) >= 14)) : [];
  for (const t of [...ends, ...inner]) {
    const y = yOfTick(t);
    ctx.beginPath();
    ctx.moveTo(bx + BAR_WIDTH, y);
    ctx.lineTo(bx + BAR_WIDTH + 4, y);
    ctx.stroke();
    ctx.textBaseline = t === scale.hi && ends.length > 1 ? 'top' : t === scale.lo && ends.length > 1 ? 'bottom' : 'middle';
    ctx.fillText(fmtNumber(t), bx + BAR_WIDTH + 6, t === scale.hi && ends.length > 1 ? y - 1 : t === scale.lo && ends.length > 1 ? y + 2 : y);
  }
  ctx.textBaseline = 'middle';

  if (drag) {
    // White under black dashes: visible on any colour of either map.
    const d = drag;
    const rect = [Math.min(d.x0, d.x1) + 0.5, Math.min(d.y0, d.y1) + 0.5, Math.abs(d.x1 - d.x0), Math.abs(d.y1 - d.y0)] as const;
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#ffffff';
    ctx.strokeRect(...rect);
    ctx.lineWidth = 1;
    ctx.strokeStyle = '#000000';
    ctx.setLineDash([4, 3]);
    ctx.strokeRect(...rect);
    ctx.setLineDash([]);
  }

  return true;
}
