import * as l10n from '@vscode/l10n';
import type { ByteSource } from './byteSource';
import { DEFAULT_CHUNK_ELEMENTS, MAX_CHUNK_ELEMENTS, streamElements, streamRawChunks, type StreamOptions, type TensorRef } from './elementStream';
import { type Matrix2D, type MatrixWindow, windowOf } from './tensorSlice';

/** Cells per side a caller may ask for: a panel is a few thousand pixels wide at most. */
export const MAX_HEATMAP_SIDE = 4096;

export interface Heatmap {
  /** The whole matrix (the window is a part of it). */
  rows: number;
  cols: number;
  /** The rows and columns pooled: `[row0, row1) × [col0, col1)` of the matrix. */
  window: MatrixWindow;
  width: number;
  height: number;
  /** Row-major `width × height` cells, finite values only: NaN where a cell has none. */
  mean: Float32Array;
  /** Population standard deviation per cell (torch's `std(unbiased=False)`). */
  std: Float32Array;
  min: Float32Array;
  max: Float32Array;
  /** Largest |value| per cell. */
  maxAbs: Float32Array;
  /** Largest finite |value| in the window (0 when none). */
  absMax: number;
}

/**
 * The matrix's values in logical order, chunk by chunk (from element `start`, `count` of them).
 * float32 is used as stored and bfloat16 widened to float32 by a shift (both exact, and several
 * times faster than a table lookup into doubles); other types are decoded to doubles.
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

/**
 * Per-cell sums, sums of squares, counts and extremes, fed a run of whole matrix rows in logical
 * order chunk by chunk. Each row is cut into segments: the columns of one cell, or columns outside
 * the window (skipped; only views the stream cannot narrow, such as a conv filter grid, have them).
 */
class CellPool {
  readonly sum: Float64Array;
  readonly sq: Float64Array;
  readonly n: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** Segment k covers columns [bound[k], bound[k+1]) and feeds cell column cellOf[k] (-1: skipped). */
  private readonly bound: Float64Array;
  private readonly cellOf: Int32Array;
  // Position of the next value: row, column, segment, first cell of the row's cell row.
  private r = 0;
  private c = 0;
  private k = 0;
  private rowBase = 0;

  constructor(
    private readonly rows: number,
    private readonly cols: number,
    col0: number,
    col1: number,
    private readonly width: number,
    private readonly height: number,
  ) {
    const cells = width * height;
    this.sum = new Float64Array(cells);
    this.sq = new Float64Array(cells);
    this.n = new Float64Array(cells);
    this.min = new Float64Array(cells).fill(Number.POSITIVE_INFINITY);
    this.max = new Float64Array(cells).fill(Number.NEGATIVE_INFINITY);
    const bounds: number[] = [];
    const cellOf: number[] = [];
    if (col0 > 0) {
      bounds.push(0);
      cellOf.push(-1);
    }
    // Cell column j holds window columns [⌈j·w/width⌉, ⌈(j+1)·w/width⌉).
    for (let j = 0; j < width; j++) {
      bounds.push(col0 + Math.ceil((j * (col1 - col0)) / width));
      cellOf.push(j);
    }
    if (col1 < cols) {
      bounds.push(col1);
      cellOf.push(-1);
    }
    bounds.push(cols);
    this.bound = Float64Array.from(bounds);
    this.cellOf = Int32Array.from(cellOf);
  }

  add(chunk: Float32Array | Float64Array): void {
    const { sum, sq, n, min, max, bound, cellOf, cols, rows, width, height } = this;
    let { r, c, k, rowBase } = this;
    for (let i = 0; i < chunk.length; ) {
      // The run from i that stays in one segment: to the segment's end or the chunk's.
      const end = Math.min(chunk.length, i + (bound[k + 1] - c));
      const j = cellOf[k];
      if (j >= 0) {
        let s = 0;
        let s2 = 0;
        let lo = Infinity;
        let hi = -Infinity;
        for (let q = i; q < end; q++) {
          const x = chunk[q];
          s += x;
          s2 += x * x;
          lo = x < lo ? x : lo;
          hi = x > hi ? x : hi;
        }
        let count = end - i;
        if (s2 - s2 !== 0) {
          // A NaN or an infinity (or an overflowing square): again, finite values only.
          s = 0;
          s2 = 0;
          lo = Infinity;
          hi = -Infinity;
          count = 0;
          for (let q = i; q < end; q++) {
            const x = chunk[q];
            if (x - x !== 0) continue;
            s += x;
            s2 += x * x;
            count++;
            if (x < lo) lo = x;
            if (x > hi) hi = x;
          }
        }
        const cell = rowBase + j;
        sum[cell] += s;
        sq[cell] += s2;
        n[cell] += count;
        if (lo < min[cell]) min[cell] = lo;
        if (hi > max[cell]) max[cell] = hi;
      }
      c += end - i;
      i = end;
      if (c === bound[k + 1]) {
        k++;
        if (c === cols) {
          c = 0;
          k = 0;
          r++;
          rowBase = Math.floor((r * height) / rows) * width;
        }
      }
    }
    this.r = r;
    this.c = c;
    this.k = k;
    this.rowBase = rowBase;
  }
}

/**
 * Feeds a conv weight's filter-grid rows `[row0, row1)` to the pool. Read in the weight's own
 * order ([out, in, kh, kw]: whole output channels per chunk, one contiguous range for a stored
 * weight) and put in grid order here, rather than streamed as the permuted view, whose runs are
 * only kw elements long (measured 10× slower for a 512 × 512 × 3 × 3 weight).
 */
async function poolGrid(src: ByteSource, w: TensorRef, row0: number, row1: number, pool: CellPool, opts: StreamOptions): Promise<void> {
  const [, inCh, kh, kw] = w.shape as [number, number, number, number];
  const perChannel = inCh * kh * kw;
  const o0 = Math.floor(row0 / kh);
  const o1 = Math.ceil(row1 / kh);
  const channels = Math.max(1, Math.floor((opts.chunkElements ?? DEFAULT_CHUNK_ELEMENTS) / perChannel));
  const row = new Float64Array(inCh * kw);
  let o = o0;
  const stream = { signal: opts.signal, onProgress: opts.onProgress, chunkElements: channels * perChannel, start: o0 * perChannel, count: (o1 - o0) * perChannel };
  for await (const chunk of logicalValues(src, { rows: 0, cols: 0, view: w }, stream)) {
    // Chunks hold whole channels: their size is a multiple of perChannel, and so is the range.
    for (let base = 0; base < chunk.length; base += perChannel, o++) {
      for (let y = 0; y < kh; y++) {
        const r = o * kh + y;
        if (r < row0 || r >= row1) continue;
        for (let b = 0; b < inCh; b++) {
          const from = base + (b * kh + y) * kw;
          const to = b * kw;
          for (let x = 0; x < kw; x++) row[to + x] = chunk[from + x]!;
        }
        pool.add(row);
      }
    }
  }
}

/**
 * Pools a window of a matrix (all of it by default) into at most `maxWidth × maxHeight` cells —
 * mean, standard deviation, min, max and max |x| of the finite values per cell — in one streamed
 * pass, so a 128,256 × 4,096 embedding becomes a bounded tile and a zoomed-in region is pooled
 * again from the file at full detail. Cell (i, j) holds window rows [⌈i·rows/height⌉,
 * ⌈(i+1)·rows/height⌉) and the matching columns. Only the window's rows are read (and for a plain
 * 2-D view only its columns' bytes); cost grows with the bytes read. The stream is cut into runs
 * of a row that fall in one cell, each reduced in a tight loop (no per-element division).
 */
export async function computeHeatmap(
  src: ByteSource,
  m: Matrix2D,
  maxWidth: number,
  maxHeight: number,
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void; chunkElements?: number; window?: MatrixWindow } = {},
): Promise<Heatmap> {
  for (const v of [maxWidth, maxHeight]) {
    if (!Number.isSafeInteger(v) || v < 1 || v > MAX_HEATMAP_SIDE) throw new RangeError(l10n.t('heatmap size must be 1..{0}', MAX_HEATMAP_SIDE));
  }
  const { rows, cols } = m;
  const w = windowOf(m, opts.window);
  const winRows = w.window.row1 - w.window.row0;
  const winCols = w.window.col1 - w.window.col0;
  const width = Math.max(1, Math.min(winCols, maxWidth));
  const height = Math.max(1, Math.min(winRows, maxHeight));
  const cells = width * height;
  const pool = new CellPool(winRows, w.matrix.cols, w.skip.col0, w.skip.col1, width, height);
  if (winRows > 0 && winCols > 0) {
    const stream = { signal: opts.signal, onProgress: opts.onProgress, chunkElements: opts.chunkElements, start: w.start, count: winRows * w.matrix.cols };
    const g = m.grid;
    if (g && g.shape[1]! * g.shape[2]! * g.shape[3]! <= MAX_CHUNK_ELEMENTS) await poolGrid(src, g, w.window.row0, w.window.row1, pool, stream);
    else for await (const chunk of logicalValues(src, w.matrix, stream)) pool.add(chunk);
  }
  const { sum, sq, n, min, max } = pool;
  const mean = new Float32Array(cells);
  const std = new Float32Array(cells);
  const min32 = new Float32Array(cells);
  const max32 = new Float32Array(cells);
  const maxAbs = new Float32Array(cells);
  let absMax = 0;
  for (let i = 0; i < cells; i++) {
    if (n[i] === 0) {
      mean[i] = std[i] = min32[i] = max32[i] = maxAbs[i] = Number.NaN;
      continue;
    }
    const mu = sum[i] / n[i];
    mean[i] = mu;
    // E[x²] − mean² in doubles; cancellation needs |mean|/std ≳ 10⁶, far beyond weights' cells.
    std[i] = Math.sqrt(Math.max(0, sq[i] / n[i] - mu * mu));
    min32[i] = min[i];
    max32[i] = max[i];
    const a = Math.max(-min[i], max[i]);
    maxAbs[i] = a;
    if (a > absMax) absMax = a;
  }
  return { rows, cols, window: w.window, width, height, mean, std, min: min32, max: max32, maxAbs, absMax };
}
