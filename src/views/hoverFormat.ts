// Text and images for the parameter hover that need no editor API (unit-testable, no vscode).

/** Bars in the hover's histogram: torch.histc's 256 bins summed in groups (a hover is ~300 px wide). */
export const HOVER_HISTOGRAM_BARS = 64;
/** Image size in CSS pixels: small enough to leave the text above it in view. */
const SVG_WIDTH = 256;
const SVG_HEIGHT = 40;
/** Bars readable on light, dark and high-contrast hover backgrounds alike (an image cannot use theme colours). */
const BAR_COLOR = '#3794ff';
const AXIS_COLOR = '#888888';

/** A statistic as the hover prints it: 4 significant digits, `—` when there is none. */
export function formatStat(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** `counts` summed into `bars` groups of neighbouring bins (the last group takes the remainder). */
export function poolBins(counts: readonly number[], bars: number): number[] {
  if (counts.length <= bars) return [...counts];
  const out = new Array<number>(bars).fill(0);
  counts.forEach((c, i) => (out[Math.min(bars - 1, Math.floor((i * bars) / counts.length))]! += c));
  return out;
}

/** A bar chart of histogram counts as a standalone SVG document (no scripts, no external refs). */
export function histogramSvg(counts: readonly number[], bars = HOVER_HISTOGRAM_BARS): string {
  const pooled = poolBins(counts, bars);
  const max = Math.max(0, ...pooled);
  const w = SVG_WIDTH / Math.max(1, pooled.length);
  const plot = SVG_HEIGHT - 1;
  const rects = pooled
    .map((c, i) => {
      if (c <= 0 || max <= 0) return '';
      // Non-empty bins get at least one pixel, so a lone outlier stays visible.
      const h = Math.max(1, Math.round((c / max) * plot));
      return `<rect x="${(i * w).toFixed(2)}" y="${plot - h}" width="${Math.max(1, w - 1).toFixed(2)}" height="${h}"/>`;
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_WIDTH}" height="${SVG_HEIGHT}" viewBox="0 0 ${SVG_WIDTH} ${SVG_HEIGHT}">` +
    `<g fill="${BAR_COLOR}">${rects}</g>` +
    `<line x1="0" y1="${SVG_HEIGHT - 0.5}" x2="${SVG_WIDTH}" y2="${SVG_HEIGHT - 0.5}" stroke="${AXIS_COLOR}" stroke-width="1"/>` +
    `</svg>`
  );
}

/** An image URI for markdown: base64, since hovers drop data URIs with spaces or unescaped markup. */
export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

/**
 * A `command:` link target with JSON arguments, as VS Code's markdown links expect. Parentheses
 * are escaped too: a tensor named `a)b` must not end the markdown link early.
 */
export function commandUri(command: string, ...args: unknown[]): string {
  const json = encodeURIComponent(JSON.stringify(args)).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `command:${command}?${json}`;
}
