import * as l10n from '@vscode/l10n';
import type { HeatmapView } from '../src/protocol/messages';
import type { ColourScale, HeatmapStat } from './heatmapScale';
import { fmtNumber } from './vscodeApi';

/** A pooled heatmap as the page keeps it: the view and its per-cell statistics as arrays. */
export interface Cells {
  view: HeatmapView;
  mean: Float32Array;
  std: Float32Array;
  min: Float32Array;
  max: Float32Array;
  maxAbs: Float32Array;
}

/** Which matrix rows a cell row holds: [⌈i·R/h⌉, ⌈(i+1)·R/h⌉) of the window, as the worker pools. */
const bound = (i: number, n: number, cells: number, start: number): number => start + Math.ceil((i * n) / cells);

/** Whether every cell holds one value of the window (nothing pooled). */
export function unpooled(v: HeatmapView): boolean {
  return v.width === v.window.col1 - v.window.col0 && v.height === v.window.row1 - v.window.row0;
}

/** The caption: the region shown, how it is pooled, the colour scale's clipping. */
export function describeHeatmap(v: HeatmapView, stat: HeatmapStat, scale: ColourScale, pLo: number, pHi: number): string {
  const w = v.window;
  const whole = w.row0 === 0 && w.col0 === 0 && w.row1 === v.rows && w.col1 === v.cols;
  const region = whole ? l10n.t('{0} × {1}', v.rows, v.cols) : l10n.t('rows {0}–{1}, columns {2}–{3} of {4} × {5}', w.row0, w.row1 - 1, w.col0, w.col1 - 1, v.rows, v.cols);
  const what = unpooled(v) && stat === 'mean' ? l10n.t('one value per cell') : l10n.t('pooled into {0} × {1} cells, {2} per cell', v.height, v.width, statLabel(stat));
  const clip = pLo === 0 && pHi === 100 ? l10n.t('colours span the full range [{0}, {1}]', fmtNumber(scale.lo), fmtNumber(scale.hi)) : l10n.t('colours clipped at percentiles {0}–{1} of the cells: [{2}, {3}]', pLo, pHi, fmtNumber(scale.lo), fmtNumber(scale.hi));
  const tile = v.tile ? ` · ${l10n.t('each {0} × {1} tile is one filter [out, in]', v.tile[0], v.tile[1])}` : '';
  return `${region}: ${what}; ${clip}${tile}`;
}

/** The readout of the cell under the pointer: where it is and its value or statistics. */
export function cellText(cells: Cells, i: number, j: number): string {
  const v = cells.view;
  const w = v.window;
  const r0 = bound(i, w.row1 - w.row0, v.height, w.row0);
  const r1 = bound(i + 1, w.row1 - w.row0, v.height, w.row0);
  const c0 = bound(j, w.col1 - w.col0, v.width, w.col0);
  const c1 = bound(j + 1, w.col1 - w.col0, v.width, w.col0);
  const k = i * v.width + j;
  const rowsText = r1 - r0 === 1 ? l10n.t('row {0}', r0) : l10n.t('rows {0}–{1}', r0, r1 - 1);
  const colsText = c1 - c0 === 1 ? l10n.t('column {0}', c0) : l10n.t('columns {0}–{1}', c0, c1 - 1);
  let where = `${rowsText}, ${colsText}`;
  if (v.tile && r1 - r0 === 1 && c1 - c0 === 1) {
    const [kh, kw] = v.tile;
    where += ` · ${l10n.t('filter [{0}, {1}], position ({2}, {3})', Math.floor(r0 / kh), Math.floor(c0 / kw), r0 % kh, c0 % kw)}`;
  }
  if (r1 - r0 === 1 && c1 - c0 === 1) return `${where}: ${l10n.t('value {0}', fmtNumber(cells.mean[k]))}`;
  return `${where}: ${l10n.t('mean {0}, std {1}, min {2}, max {3}, max |x| {4}', fmtNumber(cells.mean[k]), fmtNumber(cells.std[k]), fmtNumber(cells.min[k]), fmtNumber(cells.max[k]), fmtNumber(cells.maxAbs[k]))}`;
}

export function statLabel(s: HeatmapStat): string {
  return { mean: l10n.t('mean'), maxAbs: l10n.t('max |x|'), std: l10n.t('std') }[s];
}
