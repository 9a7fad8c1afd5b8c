import './l10n';
import * as l10n from '@vscode/l10n';
import type { StatsView } from '../src/protocol/messages';
import { el, fmtCount, fmtNumber } from './vscodeApi';

const HEIGHT = 180;
/** Room under the bars for the axis labels. */
const AXIS = 16;

/** The 256-bin histogram on a canvas: linear or log count axis, with a hover readout. */
export class HistogramChart {
  readonly root: HTMLElement;
  private readonly canvas = el('canvas', { attrs: { role: 'img', 'aria-label': l10n.t('histogram of values') } });
  private readonly readout = el('div', { class: 'readout', attrs: { 'aria-live': 'polite' } });
  private readonly logToggle = el('button', { text: l10n.t('Log count axis'), attrs: { 'aria-pressed': 'false', type: 'button' } });
  private hist: NonNullable<StatsView['histogram']> | null = null;
  private overlay: { counts: number[]; label: string } | null = null;
  private log = false;

  constructor(
    initialLog: boolean,
    private readonly onLogChange: (log: boolean) => void,
    title = l10n.t('Histogram ({0} bins)', 256),
  ) {
    this.log = initialLog;
    this.logToggle.setAttribute('aria-pressed', String(initialLog));
    this.logToggle.addEventListener('click', () => {
      this.log = !this.log;
      this.logToggle.setAttribute('aria-pressed', String(this.log));
      this.onLogChange(this.log);
      this.draw();
    });
    this.canvas.addEventListener('mousemove', (e) => this.hover(e.offsetX));
    this.canvas.addEventListener('mouseleave', () => (this.readout.textContent = this.summary()));
    this.root = el('section', { class: 'histogram' }, el('div', { class: 'toolbar' }, el('h2', { text: title }), this.logToggle), this.canvas, this.readout);
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  set(hist: StatsView['histogram']): void {
    this.hist = hist;
    this.readout.textContent = this.summary();
    this.draw();
  }

  /** A theoretical curve over the bars (expected count per bin), or none. */
  setOverlay(counts: number[] | null, label = ''): void {
    this.overlay = counts ? { counts, label } : null;
    this.canvas.dataset.overlay = counts ? label : '';
    this.draw();
  }

  setLog(log: boolean): void {
    this.log = log;
    this.logToggle.setAttribute('aria-pressed', String(log));
    this.draw();
  }

  private summary(): string {
    if (!this.hist) return l10n.t('No finite values to plot.');
    return l10n.t('range [{0}, {1}] — move the mouse over a bar for its count', fmtNumber(this.hist.min), fmtNumber(this.hist.max));
  }

  private hover(x: number): void {
    const h = this.hist;
    if (!h) return;
    const w = this.canvas.clientWidth;
    const bin = Math.min(h.counts.length - 1, Math.max(0, Math.floor((x / w) * h.counts.length)));
    const step = (h.max - h.min) / h.counts.length;
    this.readout.textContent = l10n.t('bin {0}: [{1}, {2}) — {3} values', bin, fmtNumber(h.min + bin * step), fmtNumber(h.min + (bin + 1) * step), fmtCount(h.counts[bin]!));
  }

  draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(100, c.clientWidth);
    c.width = Math.round(w * dpr);
    c.height = Math.round(HEIGHT * dpr);
    c.style.height = `${HEIGHT}px`;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, HEIGHT);
    const h = this.hist;
    if (!h) return;
    const style = getComputedStyle(document.body);
    const scale = (n: number): number => (this.log ? Math.log10(1 + n) : n);
    const overlay = this.overlay?.counts.length === h.counts.length ? this.overlay.counts : null;
    const peak = Math.max(...h.counts.map(scale), ...(overlay ?? []).map(scale), 1e-9);
    const barW = w / h.counts.length;
    const base = HEIGHT - AXIS;
    ctx.fillStyle = style.getPropertyValue('--vscode-charts-blue') || '#3794ff';
    h.counts.forEach((n, i) => {
      if (n === 0) return;
      const bh = Math.max(1, (scale(n) / peak) * (base - 8));
      // At least 2 px wide, so a few values in 256 bins stay visible.
      ctx.fillRect(i * barW, base - bh, Math.max(2, barW - 0.5), bh);
    });
    if (overlay) {
      ctx.strokeStyle = style.getPropertyValue('--vscode-charts-orange') || '#d18616';
      ctx.lineWidth = 2;
      ctx.beginPath();
      overlay.forEach((n, i) => {
        const x = (i + 0.5) * barW;
        const y = base - (scale(n) / peak) * (base - 8);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
      ctx.lineWidth = 1;
    }
    const muted = style.getPropertyValue('--vscode-descriptionForeground') || '#888';
    ctx.fillStyle = muted;
    ctx.font = `11px ${style.getPropertyValue('--vscode-font-family') || 'sans-serif'}`;
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    ctx.fillText(fmtNumber(h.min), 0, HEIGHT);
    ctx.textAlign = 'right';
    ctx.fillText(fmtNumber(h.max), w, HEIGHT);
    // Zero line, where zero is inside the range: most weights are centred on it.
    if (h.min < 0 && h.max > 0) {
      const x0 = ((0 - h.min) / (h.max - h.min)) * w;
      ctx.strokeStyle = style.getPropertyValue('--vscode-editorLineNumber-foreground') || '#888';
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(x0, 0);
      ctx.lineTo(x0, base);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.textAlign = 'center';
      if (x0 > 40 && x0 < w - 40) ctx.fillText('0', x0, HEIGHT);
    }
    c.dataset.drawn = String(h.counts.reduce((a, b) => a + b, 0));
  }
}
