import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { FileByteSource, MemoryByteSource } from '../../src/runtime/byteSource';
import { computeHeatmap } from '../../src/runtime/heatmap';
import { slice2d } from '../../src/runtime/tensorSlice';
import { contiguousStrides, location, seededRandom } from './runtimeTestHelpers';

/** The definition, one element at a time: cell (⌊r·h/rows⌋, ⌊c·w/cols⌋), finite values only. */
function reference(values: Float64Array, rows: number, cols: number, w: number, h: number) {
  const sum = new Float64Array(w * h);
  const n = new Float64Array(w * h);
  const min = new Float64Array(w * h).fill(Infinity);
  const max = new Float64Array(w * h).fill(-Infinity);
  let absMax = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = values[r * cols + c]!;
      if (!Number.isFinite(x)) continue;
      const cell = Math.floor((r * h) / rows) * w + Math.floor((c * w) / cols);
      sum[cell] += x;
      n[cell]++;
      min[cell] = Math.min(min[cell]!, x);
      max[cell] = Math.max(max[cell]!, x);
      absMax = Math.max(absMax, Math.abs(x));
    }
  }
  const f = (a: Float64Array) => Float32Array.from(a, (v, i) => (n[i] === 0 ? NaN : v));
  return { mean: Float32Array.from(sum, (s, i) => (n[i] === 0 ? NaN : s / n[i]!)), min: f(min), max: f(max), absMax };
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
    for (let i = 0; i < w * hh; i++) {
      if (Number.isNaN(ref.mean[i])) expect(h.mean[i]).toBeNaN();
      else expect(Math.abs(h.mean[i]! - ref.mean[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ref.mean[i]!)));
    }
  });

  it('pools a transposed view in its logical order', async () => {
    // storage is 6 × 4 row-major; the view is its transpose (4 × 6 → strides [1, 4]).
    const storage = Float64Array.from({ length: 24 }, (_, i) => i);
    const src = new MemoryByteSource(new Uint8Array(storage.buffer));
    const view = { dtype: 'float64' as const, shape: [4, 6], location: location(storage.byteLength, { strides: [1, 4] }) };
    const h = await computeHeatmap(src, slice2d(view, []), 3, 2, { chunkElements: 5 });
    const logical = Float64Array.from({ length: 24 }, (_, i) => storage[(i % 6) * 4 + Math.floor(i / 6)]!);
    expect(h.mean).toEqual(reference(logical, 4, 6, 3, 2).mean);
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
