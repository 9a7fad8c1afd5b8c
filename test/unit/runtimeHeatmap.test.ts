import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { FileByteSource, MemoryByteSource } from '../../src/runtime/byteSource';
import { computeHeatmap } from '../../src/runtime/heatmap';
import { convMatrix, slice2d } from '../../src/runtime/tensorSlice';
import { contiguousStrides, location, seededRandom } from './runtimeTestHelpers';

/**
 * The definition, one element at a time: cell (⌊r·h/rows⌋, ⌊c·w/cols⌋) of the window, finite
 * values only; std two-pass (deviations from the cell's mean), max |x| directly.
 */
function reference(values: Float64Array, rows: number, cols: number, w: number, h: number, win = { row0: 0, row1: rows, col0: 0, col1: cols }) {
  const sum = new Float64Array(w * h);
  const n = new Float64Array(w * h);
  const min = new Float64Array(w * h).fill(Infinity);
  const max = new Float64Array(w * h).fill(-Infinity);
  const maxAbs = new Float64Array(w * h);
  const wr = win.row1 - win.row0;
  const wc = win.col1 - win.col0;
  const cellOf = (r: number, c: number): number => Math.floor(((r - win.row0) * h) / wr) * w + Math.floor(((c - win.col0) * w) / wc);
  let absMax = 0;
  for (let r = win.row0; r < win.row1; r++) {
    for (let c = win.col0; c < win.col1; c++) {
      const x = values[r * cols + c]!;
      if (!Number.isFinite(x)) continue;
      const cell = cellOf(r, c);
      sum[cell] += x;
      n[cell]++;
      min[cell] = Math.min(min[cell]!, x);
      max[cell] = Math.max(max[cell]!, x);
      maxAbs[cell] = Math.max(maxAbs[cell]!, Math.abs(x));
      absMax = Math.max(absMax, Math.abs(x));
    }
  }
  const dev = new Float64Array(w * h);
  for (let r = win.row0; r < win.row1; r++) {
    for (let c = win.col0; c < win.col1; c++) {
      const x = values[r * cols + c]!;
      if (!Number.isFinite(x)) continue;
      const cell = cellOf(r, c);
      dev[cell] += (x - sum[cell]! / n[cell]!) ** 2;
    }
  }
  const f = (a: Float64Array) => Float32Array.from(a, (v, i) => (n[i] === 0 ? NaN : v));
  return { mean: Float32Array.from(sum, (s, i) => (n[i] === 0 ? NaN : s / n[i]!)), std: Float32Array.from(dev, (d, i) => (n[i] === 0 ? NaN : Math.sqrt(d / n[i]!))), min: f(min), max: f(max), maxAbs: f(maxAbs), absMax };
}

/** Float32 cells against the double-precision definition. */
function expectClose(got: Float32Array, want: Float32Array, tol = 1e-6): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) expect(got[i]).toBeNaN();
    else expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]!)));
  }
}

describe('computeHeatmap: one streamed pass', () => {
  it.each([
    [37, 53, 8, 5, 7],
    [5, 3, 10, 10, 4], // more cells than elements: no pooling
    [1, 1000, 64, 64, 33], // one row
    [600, 7, 3, 100, 1000],
  ])('%i × %i into at most %i × %i, chunks of %i: equals the per-element definition', async (rows, cols, maxW, maxH, chunkElements) => {
    const rand = seededRandom(rows * cols);
    const values = Float64Array.from({ length: rows * cols }, () => (rand() - 0.5) * 10);
    values[Math.floor(values.length / 2)] = NaN;
    values[values.length - 1] = -Infinity;
    const src = new MemoryByteSource(new Uint8Array(values.buffer));
    const view = { dtype: 'float64' as const, shape: [rows, cols], location: location(values.byteLength, { strides: contiguousStrides([rows, cols]) }) };
    const h = await computeHeatmap(src, slice2d(view, []), maxW, maxH, { chunkElements });
    const w = Math.min(cols, maxW);
    const hh = Math.min(rows, maxH);
    expect([h.width, h.height]).toEqual([w, hh]);
    const ref = reference(values, rows, cols, w, hh);
    expect(h.min).toEqual(ref.min);
    expect(h.max).toEqual(ref.max);
    expect(h.absMax).toBe(ref.absMax);
    expect(h.maxAbs).toEqual(ref.maxAbs);
    expectClose(h.mean, ref.mean);
    expectClose(h.std, ref.std, 1e-5);
  });

  it.each([
    // rows, cols, window, max cells, chunk
    [40, 30, { row0: 7, row1: 29, col0: 3, col1: 25 }, 5, 4, 17],
    [40, 30, { row0: 0, row1: 1, col0: 29, col1: 30 }, 8, 8, 1000], // one element
    [64, 9, { row0: 10, row1: 64, col0: 0, col1: 9 }, 9, 7, 64], // a row window: one contiguous range
  ])('a %i × %i matrix, window %o, pooled again from the bytes: equals the definition on that window', async (rows, cols, win, maxW, maxH, chunkElements) => {
    const rand = seededRandom(rows + cols);
    const values = Float64Array.from({ length: rows * cols }, () => (rand() - 0.5) * 4);
    values[win.row0 * cols + win.col0] = NaN;
    const src = new MemoryByteSource(new Uint8Array(values.buffer));
    const view = { dtype: 'float64' as const, shape: [rows, cols], location: location(values.byteLength, { strides: contiguousStrides([rows, cols]) }) };
    const h = await computeHeatmap(src, slice2d(view, []), maxW, maxH, { chunkElements, window: win });
    const w = Math.min(win.col1 - win.col0, maxW);
    const hh = Math.min(win.row1 - win.row0, maxH);
    expect([h.rows, h.cols, h.width, h.height, h.window]).toEqual([rows, cols, w, hh, win]);
    const ref = reference(values, rows, cols, w, hh, win);
    expect(h.min).toEqual(ref.min);
    expect(h.max).toEqual(ref.max);
    expect(h.maxAbs).toEqual(ref.maxAbs);
    expectClose(h.mean, ref.mean);
    expectClose(h.std, ref.std, 1e-5);
  });

  it('a conv weight as a filter grid and as [out, in·kh·kw], whole and windowed', async () => {
    const [o, i, kh, kw] = [5, 4, 3, 2];
    const rand = seededRandom(7);
    const w4 = Float64Array.from({ length: o * i * kh * kw }, () => rand() - 0.5);
    const src = new MemoryByteSource(new Uint8Array(w4.buffer));
    const t = { dtype: 'float64' as const, shape: [o, i, kh, kw], location: location(w4.byteLength, { strides: contiguousStrides([o, i, kh, kw]) }) };
    const at = (a: number, b: number, y: number, x: number): number => w4[((a * i + b) * kh + y) * kw + x]!;
    // grid[a·kh + y, b·kw + x] = w[a, b, y, x]; flat[a, (b·kh + y)·kw + x] = w[a, b, y, x].
    const grid = Float64Array.from({ length: o * kh * i * kw }, (_, k) => {
      const r = Math.floor(k / (i * kw));
      const c = k % (i * kw);
      return at(Math.floor(r / kh), Math.floor(c / kw), r % kh, c % kw);
    });
    const whole = await computeHeatmap(src, convMatrix(t, 'filters'), 64, 64, { chunkElements: 7 });
    expect([whole.rows, whole.cols]).toEqual([o * kh, i * kw]);
    expect(whole.mean).toEqual(Float32Array.from(grid));
    const win = { row0: 2, row1: 13, col0: 1, col1: 7 };
    const part = await computeHeatmap(src, convMatrix(t, 'filters'), 4, 5, { chunkElements: 5, window: win });
    const ref = reference(grid, o * kh, i * kw, 4, 5, win);
    expect(part.max).toEqual(ref.max);
    expectClose(part.mean, ref.mean);
    expectClose(part.std, ref.std, 1e-5);
    const flat = await computeHeatmap(src, convMatrix(t, 'flat'), 64, 64);
    expect([flat.rows, flat.cols]).toEqual([o, i * kh * kw]);
    expect(flat.mean).toEqual(Float32Array.from(w4));
    // The grid read in the weight's order equals the grid streamed as its permuted view.
    const asView = { ...convMatrix(t, 'filters'), grid: undefined };
    const streamed = await computeHeatmap(src, asView, 4, 5, { window: win });
    expect(part.mean).toEqual(streamed.mean);
    expect(part.std).toEqual(streamed.std);
    expect(part.maxAbs).toEqual(streamed.maxAbs);
  });

  it('a conv weight stored in another order (channels last) as a filter grid', async () => {
    const [o, i, kh, kw] = [3, 4, 2, 3];
    const rand = seededRandom(11);
    // Storage [o, kh, kw, i] (channels last); the tensor [o, i, kh, kw] is a permuted view of it.
    const stored = Float64Array.from({ length: o * kh * kw * i }, () => rand() - 0.5);
    const src = new MemoryByteSource(new Uint8Array(stored.buffer));
    const t = { dtype: 'float64' as const, shape: [o, i, kh, kw], location: location(stored.byteLength, { strides: [kh * kw * i, 1, kw * i, i] }) };
    const at = (a: number, b: number, y: number, x: number): number => stored[a * kh * kw * i + y * kw * i + x * i + b]!;
    const grid = Float64Array.from({ length: o * kh * i * kw }, (_, k) => {
      const r = Math.floor(k / (i * kw));
      const c = k % (i * kw);
      return at(Math.floor(r / kh), Math.floor(c / kw), r % kh, c % kw);
    });
    const h = await computeHeatmap(src, convMatrix(t, 'filters'), 64, 64, { chunkElements: 10 });
    expect(h.mean).toEqual(Float32Array.from(grid));
    const win = { row0: 1, row1: 5, col0: 2, col1: 11 };
    const part = await computeHeatmap(src, convMatrix(t, 'filters'), 3, 2, { window: win });
    const ref = reference(grid, o * kh, i * kw, 3, 2, win);
    expect(part.min).toEqual(ref.min);
    expectClose(part.mean, ref.mean);
  });

  it('pools a transposed view in its logical order', async () => {
    // storage is 6 × 4 row-major; the view is its transpose (4 × 6 → strides [1, 4]).
    const storage = Float64Array.from({ length: 24 }, (_, i) => i);
    const src = new MemoryByteSource(new Uint8Array(storage.buffer));
    const view = { dtype: 'float64' as const, shape: [4, 6], location: location(storage.byteLength, { strides: [1, 4] }) };
    const h = await computeHeatmap(src, slice2d(view, []), 3, 2, { chunkElements: 5 });
    const logical = Float64Array.from({ length: 24 }, (_, i) => storage[(i % 6) * 4 + Math.floor(i / 6)]!);
    expect(h.mean).toEqual(reference(logical, 4, 6, 3, 2).mean);
    // and a window of it, through the sub-view's strides
    const win = { row0: 1, row1: 4, col0: 2, col1: 5 };
    const part = await computeHeatmap(src, slice2d(view, []), 3, 3, { window: win });
    expect(part.mean).toEqual(reference(logical, 4, 6, 3, 3, win).mean);
  });

  it('pools a 128,256 × 4,096 bfloat16 embedding (1 GiB) into 256 × 256 cells', { timeout: 120_000 }, async () => {
    const rows = 128_256;
    const cols = 4096;
    const dir = mkdtempSync(join(tmpdir(), 'paramscope-heatmap-'));
    const path = join(dir, 'embed.safetensors');
    const header = JSON.stringify({ 'embed.weight': { dtype: 'BF16', shape: [rows, cols], data_offsets: [0, rows * cols * 2] } }).padEnd(96, ' ');
    const fd = openSync(path, 'w');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(header.length));
    writeSync(fd, prefix);
    writeSync(fd, header);
    ftruncateSync(fd, 8 + header.length + rows * cols * 2); // a sparse file: zeros, except…
    const put = (r: number, c: number, bits: number) => writeSync(fd, Buffer.from(Uint16Array.of(bits).buffer), 0, 2, 8 + header.length + (r * cols + c) * 2);
    put(0, 0, 0x3f80); // 1.0
    put(rows - 1, cols - 1, 0xc000); // -2.0
    put(1000, 100, 0x7fc0); // NaN, in cell (1, 6)
    closeSync(fd);

    const entry = (await openModel(path)).tensors[0]!;
    const src = await FileByteSource.open(path);
    try {
      const started = performance.now();
      const h = await computeHeatmap(src, slice2d(entry, []), 256, 256);
      const seconds = (performance.now() - started) / 1000;
      console.log(`heatmap of ${rows} × ${cols} bfloat16: ${seconds.toFixed(2)} s, ${((rows * cols) / seconds / 1e6).toFixed(0)} M elements/s`);
      // Cell rows hold 501 rows (128,256 / 256), cell columns 16 columns: 8,016 elements a cell.
      expect([h.width, h.height, h.absMax]).toEqual([256, 256, 2]);
      expect([h.mean[0], h.min[0], h.max[0]]).toEqual([Math.fround(1 / 8016), 0, 1]);
      const last = 256 * 256 - 1;
      expect([h.mean[last], h.min[last], h.max[last]]).toEqual([Math.fround(-2 / 8016), -2, 0]);
      expect([h.mean[256 + 6], h.min[256 + 6], h.max[256 + 6]]).toEqual([0, 0, 0]); // the NaN is left out
      expect(h.mean.filter((v) => v !== 0).length).toBe(2);
    } finally {
      await src.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
