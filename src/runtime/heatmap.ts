import * as l10n from '@vscode/l10n';
import type { ByteSource } from './byteSource';
import { streamElements, streamRawChunks, type StreamOptions } from './elementStream';
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
 * The matrix's values in logical order, chunk by chunk. float32 is used as stored and bfloat16
 * widened to float32 by a shift (both exact, and several times faster than a table lookup into
 * doubles); other types are decoded to doubles.
 */
async function* logicalValues(src: ByteSource, m: Matrix2D, opts: StreamOptions): AsyncGenerator<Float32Array | Float64Array> {
  const { dtype, shape, location } = m.view;
  if (dtype === 'float32') {
    for await (const c of streamRawChunks(src, dtype, shape, location, opts)) yield new Float32Array(c.bytes.buffer, c.bytes.byteOffset, c.count);
  } else if (dtype === 'bfloat16') {
    let wide: Uint32Array | undefined;
    for await (const c of streamRawChunks(src, dtype, shape, location, opts)) {
      wide ??= new Uint32Array(c.count); // the first chunk is the largest
      const bits = new Uint16Array(c.bytes.buffer, c.bytes.byteOffset, c.count);
      for (let i = 0; i < c.count; i++) wide[i] = bits[i] << 16;
      yield new Float32Array(wide.buffer, 0, c.count);
    }
  } else yield* streamElements(src, dtype, shape, location, opts);
}

/** Per-cell sums, counts and extremes, fed the matrix's values in logical order chunk by chunk. */
class CellPool {
  readonly sum: Float64Array;
  readonly n: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** First column of each cell column: column c is in cell floor(c·width/cols). */
  private readonly colStart: Float64Array;
  // Position of the next value: row, column, cell column, first cell of the row's cell row.
  private r = 0;
  private c = 0;
  private j = 0;
  private rowBase = 0;

  constructor(
    private readonly rows: number,
    private readonly cols: number,
    private readonly width: number,
    private readonly height: number,
  ) {
    const cells = width * height;
    this.sum = new Float64Array(cells);
    this.n = new Float64Array(cells);
    this.min = new Float64Array(cells).fill(Number.POSITIVE_INFINITY);
    this.max = new Float64Array(cells).fill(Number.NEGATIVE_INFINITY);
    this.colStart = new Float64Array(width + 1);
    for (let j = 0; j <= width; j++) this.colStart[j] = Math.ceil((j * cols) / width);
  }

  add(chunk: Float32Array | Float64Array): void {
    const { sum, n, min, max, colStart, cols, rows, width, height } = this;
    let { r, c, j, rowBase } = this;
    for (let i = 0; i < chunk.length; ) {
      // The run from i that stays in one cell: to the end of the cell column or of the chunk.
      const end = Math.min(chunk.length, i + (colStart[j + 1] - c));
      let s = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let k = i; k < end; k++) {
        const x = chunk[k];
        s += x;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
      }
      let count = end - i;
      if (s - s !== 0) {
        // A NaN or an infinity (or an overflowing sum): again, finite values only.
        s = 0;
        lo = Infinity;
        hi = -Infinity;
        count = 0;
        for (let k = i; k < end; k++) {
          const x = chunk[k];
          if (x - x !== 0) continue;
          s += x;
          count++;
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
      }
      const cell = rowBase + j;
      sum[cell] += s;
      n[cell] += count;
      if (lo < min[cell]) min[cell] = lo;
      if (hi > max[cell]) max[cell] = hi;
      c += end - i;
      i = end;
      if (c === colStart[j + 1]) {
        j++;
        if (c === cols) {
          c = 0;
          j = 0;
          r++;
          rowBase = Math.floor((r * height) / rows) * width;
        }
      }
    }
    this.r = r;
    this.c = c;
    this.j = j;
    this.rowBase = rowBase;
  }
}

/**
 * Pools a matrix into at most `maxWidth × maxHeight` cells (mean, min, max of the finite values per
 * cell) in one streamed pass, so a 128,256 × 4,096 embedding becomes a bounded tile. Cell (i, j)
 * holds rows [⌈i·rows/height⌉, ⌈(i+1)·rows/height⌉) and the matching columns. The stream is cut
 * into runs of a row that fall in one cell, each reduced in a tight loop (no per-element division).
 */
export async function computeHeatmap(
  src: ByteSource,
  m: Matrix2D,
  maxWidth: number,
  maxHeight: number,
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void; chunkElements?: number } = {},
): Promise<Heatmap> {
  for (const v of [maxWidth, maxHeight]) {
    if (!Number.isSafeInteger(v) || v < 1 || v > MAX_HEATMAP_SIDE) throw new RangeError(l10n.t('heatmap size must be 1..{0}', MAX_HEATMAP_SIDE));
  }
  const { rows, cols } = m;
  const width = Math.max(1, Math.min(cols, maxWidth));
  const height = Math.max(1, Math.min(rows, maxHeight));
  const cells = width * height;
  const pool = new CellPool(rows, cols, width, height);
  if (rows > 0 && cols > 0) for await (const chunk of logicalValues(src, m, opts)) pool.add(chunk);
  const { sum, n, min, max } = pool;
  const mean = new Float32Array(cells);
  const min32 = new Float32Array(cells);
  const max32 = new Float32Array(cells);
  let absMax = 0;
  for (let i = 0; i < cells; i++) {
    if (n[i] === 0) {
      mean[i] = min32[i] = max32[i] = Number.NaN;
      continue;
    }
    mean[i] = sum[i] / n[i];
    min32[i] = min[i];
    max32[i] = max[i];
    absMax = Math.max(absMax, -min[i], max[i]);
  }
  return { rows, cols, width, height, mean, min: min32, max: max32, absMax };
}
