import './l10n';
import * as l10n from '@vscode/l10n';
import type { HeatmapView } from '../src/protocol/messages';
import { el, fmtNumber } from './vscodeApi';

const MAX_HEIGHT_CELLS = 256;

/** Diverging colour: blue for negative, red for positive, neutral at zero; |v| ≥ scale saturates. */
function colour(v: number, scale: number): [number, number, number] {
  if (Number.isNaN(v)) return [128, 128, 128];
  const t = Math.max(-1, Math.min(1, scale > 0 ? v / scale : 0));
  const a = Math.abs(t);
  return t < 0 ? [Math.round(255 - 196 * a), Math.round(255 - 155 * a), 255 - Math.round(40 * a)] : [255 - Math.round(40 * a), Math.round(255 - 195 * a), Math.round(255 - 200 * a)];
}

/** A pooled heatmap of a 2-D slice, drawn cell by cell with a zero-centred diverging scale. */
export class HeatmapPanel {
  readonly root: HTMLElement;
  private readonly canvas = el('canvas', { attrs: { role: 'img', 'aria-label': l10n.t('heatmap of values') } });
  private readonly caption = el('div', { class: 'readout' });
  private data: HeatmapView | null = null;

  constructor() {
    this.root = el('section', { class: 'heatmap' }, el('h2', { text: l10n.t('Heatmap') }), this.canvas, this.caption);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e.offsetX, e.offsetY));
  }

  /** Cells the host should pool into, from the space the canvas has. */
  wanted(): { maxWidth: number; maxHeight: number } {
    return { maxWidth: Math.max(16, Math.min(1024, Math.floor(this.root.clientWidth || 600))), maxHeight: MAX_HEIGHT_CELLS };
  }

  set(h: HeatmapView): void {
    this.data = h;
    const mean = new Float32Array(h.mean);
    const img = new ImageData(h.width, h.height);
    for (let i = 0; i < mean.length; i++) {
      const [r, g, b] = colour(mean[i]!, h.absMax);
      img.data[i * 4] = r;
      img.data[i * 4 + 1] = g;
      img.data[i * 4 + 2] = b;
      img.data[i * 4 + 3] = 255;
    }
    const c = this.canvas;
    c.width = h.width;
    c.height = h.height;
    c.getContext('2d')?.putImageData(img, 0, 0);
    // Stretch small matrices so each cell is visible; keep large ones at one cell per pixel or less.
    const cssW = Math.min(this.wanted().maxWidth, Math.max(h.width, h.width * Math.floor(256 / Math.max(h.width, h.height))));
    c.style.width = `${cssW}px`;
    c.style.height = `${Math.max(16, Math.round((cssW / h.width) * h.height))}px`;
    c.style.imageRendering = 'pixelated';
    c.dataset.drawn = `${h.width}x${h.height}`;
    this.caption.textContent =
      h.width < h.cols || h.height < h.rows
        ? l10n.t('{0} × {1} pooled into {2} × {3} cells (mean per cell); colour scale ±{4} centred at 0', h.rows, h.cols, h.height, h.width, fmtNumber(h.absMax))
        : l10n.t('{0} × {1}; colour scale ±{2} centred at 0', h.rows, h.cols, fmtNumber(h.absMax));
  }

  private hover(x: number, y: number): void {
    const h = this.data;
    if (!h) return;
    const cx = Math.min(h.width - 1, Math.floor((x / this.canvas.clientWidth) * h.width));
    const cy = Math.min(h.height - 1, Math.floor((y / this.canvas.clientHeight) * h.height));
    const i = cy * h.width + cx;
    const r0 = Math.floor((cy * h.rows) / h.height);
    const c0 = Math.floor((cx * h.cols) / h.width);
    this.caption.textContent = l10n.t('rows ≥ {0}, cols ≥ {1}: mean {2}, min {3}, max {4}', r0, c0, fmtNumber(new Float32Array(h.mean)[i]!), fmtNumber(new Float32Array(h.min)[i]!), fmtNumber(new Float32Array(h.max)[i]!));
  }
}
