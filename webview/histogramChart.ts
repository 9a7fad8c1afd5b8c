import './l10n';
import * as l10n from '@vscode/l10n';
import type { StatsView } from '../src/protocol/messages';
import { niceTicks } from './heatmapScale';
import { el, fmtCount, fmtNumber } from './vscodeApi';

const HEIGHT = 180;
/** Room under the bars for the value axis labels. */
const AXIS = 18;
/** Room left of the bars for the count axis. */
const LEFT = 52;
/** Room above the tallest bar. */
const TOP = 8;
/** A lone bar (every value equal) is drawn at least this wide, with its value above it. */
const LONE_BAR_PX = 10;

/** What the chart may know of the values beyond the bins: their extremes and count (from the statistics). */
export interface HistogramValues {
  min: number | null;
  max: number | null;
  count: number;
}

/** `1.2k`-style short counts for the axis. */
function shortCount(n: number): string {
  if (n < 1000) return String(n);
  const units: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  const [d, u] = units.find(([d]) => n >= d)!;
  return `${Number((n / d).toPrecision(3))}${u}`;
}

/** The 256-bin histogram on a canvas: linear or log count axis, with a hover readout. */
export class HistogramChart {
  readonly root: HTMLElement;
  private readonly canvas = el('canvas', { attrs: { role: 'img', 'aria-label': l10n.t('histogram of values') } });
  private readonly readout = el('div', { class: 'readout', attrs: { 'aria-live': 'polite' } });
  private readonly logToggle = el('button', { text: l10n.t('Log count axis'), attrs: { 'aria-pressed': 'false', type: 'button' } });
  private hist: NonNullable<StatsView['histogram']> | null = null;
  private values: HistogramValues | null = null;
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

  /** The bins to draw; `values` (the statistics' min, max and count) lets one repeated value be said as such. */
  set(hist: StatsView['histogram'], values?: HistogramValues): void {
    this.hist = hist;
    this.values = values ?? null;
    this.readout.textContent = this.summary();
    this.draw();
  }

  /** Nothing drawn (another tensor's statistics are on their way). */
  clear(): void {
    this.hist = null;
    this.values = null;
    this.overlay = null;
    this.canvas.dataset.overlay = '';
    delete this.canvas.dataset.drawn;
    this.readout.textContent = '';
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
    const v = this.values;
    if (v && v.min !== null && v.min === v.max) return v.count === 1 ? l10n.t('one value: {0}', fmtNumber(v.min)) : l10n.t('all {0} values equal {1}', fmtCount(v.count), fmtNumber(v.min));
    return l10n.t('range [{0}, {1}] — move the mouse over a bar for its count', fmtNumber(this.hist.min), fmtNumber(this.hist.max));
  }

  private hover(x: number): void {
    const h = this.hist;
    if (!h) return;
    const w = this.canvas.clientWidth - LEFT;
    if (x < LEFT) return;
    const bin = Math.min(h.counts.length - 1, Math.max(0, Math.floor(((x - LEFT) / w) * h.counts.length)));
    const step = (h.max - h.min) / h.counts.length;
    this.readout.textContent = l10n.t('bin {0}: [{1}, {2}) — {3} values', bin, fmtNumber(h.min + bin * step), fmtNumber(h.min + (bin + 1) * step), fmtCount(h.counts[bin]!));
  }

  draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const full = Math.max(100 + LEFT, c.clientWidth);
    c.width = Math.round(full * dpr);
    c.height = Math.round(HEIGHT * dpr);
    c.style.height = `${HEIGHT}px`;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, full, HEIGHT);
    const h = this.hist;
    if (!h) return;
    const style = getComputedStyle(document.body);
    const css = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
    // Labels in the editor's foreground colour: the muted description colour is too faint on a
    // dark theme's widget background at 11 px.
    const text = css('--vscode-editor-foreground', css('--vscode-foreground', '#888'));
    const grid = css('--vscode-editorLineNumber-foreground', '#888');
    ctx.font = `11px ${css('--vscode-font-family', 'sans-serif')}`;
    const scale = (n: number): number => (this.log ? Math.log10(1 + n) : n);
    const overlay = this.overlay?.counts.length === h.counts.length ? this.overlay.counts : null;
    const peakCount = Math.max(...h.counts, ...(overlay ?? []), 1);
    const peak = scale(peakCount);
    const w = full - LEFT;
    const barW = w / h.counts.length;
    const base = HEIGHT - AXIS;
    const yOf = (n: number): number => base - (scale(n) / peak) * (base - TOP);

    // Count axis: round counts (linear) or powers of ten (log), with faint grid lines.
    const ticks = this.log ? Array.from({ length: Math.floor(Math.log10(peakCount)) + 1 }, (_, k) => 10 ** k) : niceTicks(0, peakCount, 4).filter((t) => Number.isInteger(t));
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = text;
    ctx.strokeStyle = grid;
    ctx.globalAlpha = 1;
    let lastLabel = Number.POSITIVE_INFINITY;
    for (const t of [0, ...ticks.filter((t) => t > 0)]) {
      const y = Math.round(yOf(t)) + 0.5;
      // On the log axis 0 and 1 sit a few pixels apart: keep labels from running into each other.
      if (lastLabel - y < 12) continue;
      lastLabel = y;
      ctx.globalAlpha = 0.25;
      ctx.beginPath();
      ctx.moveTo(LEFT, y);
      ctx.lineTo(full, y);
      ctx.stroke();
      ctx.globalAlpha = 1;
      ctx.fillText(shortCount(t), LEFT - 6, y);
    }
    ctx.save();
    ctx.translate(10, base / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(this.log ? l10n.t('count (log)') : l10n.t('count'), 0, 0);
    ctx.restore();

    ctx.fillStyle = css('--vscode-charts-blue', '#3794ff');
    const nonZero = h.counts.filter((n) => n > 0).length;
    h.counts.forEach((n, i) => {
      if (n === 0) return;
      const bh = Math.max(1, base - yOf(n));
      // At least 2 px wide, so a few values in 256 bins stay visible; a lone bar wider still.
      const bw = nonZero === 1 ? Math.max(LONE_BAR_PX, barW) : Math.max(2, barW - 0.5);
      const x = nonZero === 1 ? LEFT + (i + 0.5) * barW - bw / 2 : LEFT + i * barW;
      ctx.fillRect(x, base - bh, bw, bh);
    });
    if (overlay) {
      ctx.strokeStyle = css('--vscode-charts-orange', '#d18616');
      ctx.lineWidth = 2;
      ctx.beginPath();
      overlay.forEach((n, i) => {
        const x = LEFT + (i + 0.5) * barW;
        const y = yOf(n);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
      ctx.lineWidth = 1;
    }
    ctx.fillStyle = text;
    ctx.textBaseline = 'bottom';
    const v = this.values;
    if (v && v.min !== null && v.min === v.max) {
      // One value (or one repeated): its value under the bar, not the widened bin range's ends.
      ctx.textAlign = 'center';
      ctx.fillText(fmtNumber(v.min), LEFT + w / 2, HEIGHT);
    } else {
      ctx.textAlign = 'left';
      ctx.fillText(fmtNumber(h.min), LEFT, HEIGHT);
      ctx.textAlign = 'right';
      ctx.fillText(fmtNumber(h.max), full, HEIGHT);
      // Zero line, where zero is inside the range: most weights are centred on it.
      if (h.min < 0 && h.max > 0) {
        const x0 = LEFT + ((0 - h.min) / (h.max - h.min)) * w;
        ctx.strokeStyle = grid;
        ctx.setLineDash([3, 3]);
        ctx.beginPath();
        ctx.moveTo(x0, TOP);
        ctx.lineTo(x0, base);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.textAlign = 'center';
        if (x0 > LEFT + 40 && x0 < full - 40) ctx.fillText('0', x0, HEIGHT);
      }
    }
    c.dataset.drawn = String(h.counts.reduce((a, b) => a + b, 0));
  }
}
