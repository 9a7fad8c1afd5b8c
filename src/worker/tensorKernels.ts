import type { HeatmapRequest, HeatmapView, StatsView, TensorSpec, ValuesView } from '../protocol/messages';
import type { ByteSource } from '../runtime/byteSource';
import { computeHeatmap } from '../runtime/heatmap';
import { readValues } from '../runtime/readValues';
import { computeTensorStats } from '../runtime/stats';
import { convMatrix, slice2d, type Matrix2D } from '../runtime/tensorSlice';
import { elementView } from '../runtime/dequantizedView';

/** Rows a values request may ask for at once: the table virtualizes, so a screenful is enough. */
export const MAX_VALUE_ROWS = 4096;
/** Values per response, so one message stays small (32 MiB of doubles). */
export const MAX_VALUES_PER_RESPONSE = 1 << 22;

type Progress = (done: number, total: number) => void;

/** The kernels a worker (or, in tests, the caller's thread) runs for a panel. */
export async function statsKernel(src: ByteSource, t: TensorSpec, bins: number | undefined, signal: AbortSignal, onProgress?: Progress): Promise<StatsView> {
  return computeTensorStats(src, t, { bins, signal, onProgress });
}

/** The matrix a heatmap request pools: a 2-D slice, or a 4-D conv weight's filter grid or flattening. */
function heatmapMatrix(t: TensorSpec, req: HeatmapRequest): Matrix2D {
  const layout = req.layout ?? 'slice';
  return layout === 'slice' ? slice2d(t, req.slice) : convMatrix(t, layout);
}

export async function heatmapKernel(src: ByteSource, t: TensorSpec, req: HeatmapRequest, signal: AbortSignal, onProgress?: Progress): Promise<HeatmapView> {
  ({ src, tensor: t } = elementView(src, t));
  const h = await computeHeatmap(src, heatmapMatrix(t, req), req.maxWidth, req.maxHeight, { signal, onProgress, window: req.window });
  const buf = (a: Float32Array): ArrayBuffer => a.buffer as ArrayBuffer;
  return {
    rows: h.rows,
    cols: h.cols,
    window: h.window,
    width: h.width,
    height: h.height,
    mean: buf(h.mean),
    std: buf(h.std),
    min: buf(h.min),
    max: buf(h.max),
    maxAbs: buf(h.maxAbs),
    absMax: h.absMax,
    ...(req.layout === 'filters' ? { tile: [t.shape[2]!, t.shape[3]!] as [number, number] } : {}),
  };
}

export async function valuesKernel(src: ByteSource, t: TensorSpec, slice: number[], rowStart: number, rowCount: number, signal: AbortSignal): Promise<ValuesView> {
  const m = slice2d(t, slice);
  const start = Math.max(0, Math.min(rowStart, m.rows));
  const maxRows = Math.max(1, Math.floor(MAX_VALUES_PER_RESPONSE / Math.max(1, m.cols)));
  const count = Math.max(0, Math.min(rowCount, MAX_VALUE_ROWS, maxRows, m.rows - start));
  const values = await readValues(src, m.view, { start: start * m.cols, count: count * m.cols, signal });
  return { rows: m.rows, cols: m.cols, rowStart: start, rowCount: count, values: values.buffer as ArrayBuffer };
}
