import type { ByteSource } from './byteSource';
import { streamElements } from './elementStream';
import type { Matrix2D } from './tensorSlice';

/** Cells per side a caller may ask for: a panel is a few thousand pixels wide at most. */
export const MAX_HEATMAP_SIDE = 4096;

export interface Heatmap {
  rows: number;
  cols: number;
  width: number;
  height: number;
  /** Row-major `width × height` cells. NaN where a cell has no finite value. */
  mean: Float32Array;
  min: Float32Array;
  max: Float32Array;
  /** Largest finite |value| in the slice (0 when none). */
  absMax: number;
}

/**
 * Pools a matrix into at most `maxWidth × maxHeight` cells (mean, min, max of the finite values per
 * cell) in one streamed pass, so a 128,256 × 4,096 embedding becomes a bounded tile.
 */
export async function computeHeatmap(
  src: ByteSource,
  m: Matrix2D,
  maxWidth: number,
  maxHeight: number,
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<Heatmap> {
  for (const v of [maxWidth, maxHeight]) {
    if (!Number.isSafeInteger(v) || v < 1 || v > MAX_HEATMAP_SIDE) throw new RangeError(`heatmap size must be 1..${MAX_HEATMAP_SIDE}`);
  }
  const width = Math.max(1, Math.min(m.cols, maxWidth));
  const height = Math.max(1, Math.min(m.rows, maxHeight));
  const cells = width * height;
  const sum = new Float64Array(cells);
  const n = new Float64Array(cells);
  const min = new Float32Array(cells).fill(Number.POSITIVE_INFINITY);
  const max = new Float32Array(cells).fill(Number.NEGATIVE_INFINITY);
  // Column → cell column, computed once per matrix instead of once per element.
  const colCell = new Int32Array(m.cols);
  for (let c = 0; c < m.cols; c++) colCell[c] = Math.floor((c * width) / m.cols);
  let absMax = 0;
  let index = 0;
  if (m.rows > 0 && m.cols > 0) {
    for await (const chunk of streamElements(src, m.view.dtype, m.view.shape, m.view.location, opts)) {
      for (let i = 0; i < chunk.length; i++, index++) {
        const x = chunk[i]!;
        if (!Number.isFinite(x)) continue;
        const r = Math.floor(index / m.cols);
        const cell = Math.floor((r * height) / m.rows) * width + colCell[index - r * m.cols]!;
        sum[cell]! += x;
        n[cell]! += 1;
        if (x < min[cell]!) min[cell] = x;
        if (x > max[cell]!) max[cell] = x;
        const a = Math.abs(x);
        if (a > absMax) absMax = a;
      }
    }
  }
  const mean = new Float32Array(cells);
  for (let i = 0; i < cells; i++) {
    if (n[i] === 0) {
      mean[i] = Number.NaN;
      min[i] = Number.NaN;
      max[i] = Number.NaN;
    } else mean[i] = sum[i]! / n[i]!;
  }
  return { rows: m.rows, cols: m.cols, width, height, mean, min, max, absMax };
}
