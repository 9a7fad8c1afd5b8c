import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { computeHeatmap, type Heatmap } from '../../src/runtime/heatmap';
import { heatmapKernel } from '../../src/worker/tensorKernels';
import type { HeatmapLayout, HeatmapWindow } from '../../src/protocol/messages';
import { clippedScale, DEFAULT_CLIP, percentileOfSorted, scalePosition, sortedFinite } from '../../webview/heatmapScale';
import { FIXTURES } from './fixtureFiles';

/** One pooling torch did (test/fixtures/make_heatmap_fixtures.py). */
interface HeatmapCase {
  name: string;
  file: string;
  tensor: string;
  layout: HeatmapLayout;
  rows: number;
  cols: number;
  window: HeatmapWindow;
  maxWidth: number;
  maxHeight: number;
  width: number;
  height: number;
  mean?: number[];
  std?: number[];
  min?: number[];
  max?: number[];
  maxAbs?: number[];
  percentiles?: Record<'mean' | 'std' | 'maxAbs', Record<'1' | '99', number>>;
}

const DIR = join(FIXTURES, 'heatmap');
const expected = JSON.parse(readFileSync(join(DIR, 'expected_heatmap.json'), 'utf8')) as { outlierColumns: number[]; cases: HeatmapCase[] };
const byName = (name: string): HeatmapCase => expected.cases.find((c) => c.name === name)!;

async function pooled(c: HeatmapCase): Promise<Heatmap> {
  const path = join(DIR, c.file);
  const t = (await openModel(path)).tensors.find((x) => x.name === c.tensor)!;
  const src = await FileByteSource.open(path);
  try {
    const view = await heatmapKernel(src, t, { slice: [], layout: c.layout, window: c.window, maxWidth: c.maxWidth, maxHeight: c.maxHeight }, new AbortController().signal);
    const f = (b: ArrayBuffer): Float32Array => new Float32Array(b);
    expect(view.tile).toEqual(c.layout === 'filters' ? t.shape.slice(2) : undefined);
    return { ...view, mean: f(view.mean), std: f(view.std), min: f(view.min), max: f(view.max), maxAbs: f(view.maxAbs) };
  } finally {
    await src.close();
  }
}

/** Float32 cells against torch's float64: within float32 rounding of the cell's scale. */
function expectCells(got: Float32Array, want: number[] | undefined, scale: number): void {
  if (!want) return;
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), scale));
  expect(worst).toBeLessThan(2e-6);
}

describe('heatmap cells against torch (make_heatmap_fixtures.py)', () => {
  it.each(expected.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const h = await pooled(c);
    expect([h.rows, h.cols, h.width, h.height]).toEqual([c.rows, c.cols, c.width, c.height]);
    expect(h.window).toEqual(c.window);
    const scale = 1e-3; // values are ~0.02; std of a cell of one value is 0
    expectCells(h.mean, c.mean, scale);
    expectCells(h.std, c.std, scale);
    expectCells(h.min, c.min, scale);
    expectCells(h.max, c.max, scale);
    expectCells(h.maxAbs, c.maxAbs, scale);
  });

  it('a row window of a row-major tensor reads only those rows’ bytes', async () => {
    const c = byName('embed-window');
    const path = join(DIR, c.file);
    const t = (await openModel(path)).tensors[0]!;
    const src = await FileByteSource.open(path);
    const reads: Array<[number, number]> = [];
    const spy = { size: src.size, read: (o: number, n: number) => (reads.push([o, n]), src.read(o, n)), slice: src.slice.bind(src) };
    try {
      await heatmapKernel(spy as unknown as FileByteSource, t, { slice: [], window: { row0: 1000, row1: 1100, col0: 0, col1: 256 }, maxWidth: 256, maxHeight: 100 }, new AbortController().signal);
    } finally {
      await src.close();
    }
    const bytes = reads.reduce((n, [, len]) => n + len, 0);
    expect(bytes).toBe(100 * 256 * 2);
    expect(Math.min(...reads.map(([o]) => o))).toBe(t.location.storageOffset + 1000 * 256 * 2);
  });

  it('a row window of the filter grid reads only the output channels it touches', async () => {
    const c = byName('conv-filters-window'); // rows 3–8 of 8·3: output channels 1 and 2
    const path = join(DIR, c.file);
    const t = (await openModel(path)).tensors[0]!;
    const src = await FileByteSource.open(path);
    const reads: Array<[number, number]> = [];
    const spy = { size: src.size, read: (o: number, n: number) => (reads.push([o, n]), src.read(o, n)), slice: src.slice.bind(src) };
    try {
      await heatmapKernel(spy as unknown as FileByteSource, t, { slice: [], layout: 'filters', window: c.window, maxWidth: c.maxWidth, maxHeight: c.maxHeight }, new AbortController().signal);
    } finally {
      await src.close();
    }
    const channel = 6 * 3 * 3 * 4; // in · kh · kw float32
    expect(reads.reduce((n, [, len]) => n + len, 0)).toBe(2 * channel);
    expect(Math.min(...reads.map(([o]) => o))).toBe(t.location.storageOffset + channel);
  });

  it('outlier dimensions of the embedding are at the top of the clipped scale; the rest mid-range', async () => {
    const c = byName('embed-full');
    const h = await pooled(c);
    const [pLo, pHi] = DEFAULT_CLIP;
    for (const stat of ['maxAbs', 'mean', 'std'] as const) {
      // The clip levels are numpy's percentiles of torch's cells.
      const sorted = sortedFinite(h[stat]);
      expect(percentileOfSorted(sorted, pLo)).toBeCloseTo(c.percentiles![stat]['1'], 6);
      expect(percentileOfSorted(sorted, pHi)).toBeCloseTo(c.percentiles![stat]['99'], 6);
    }
    const scale = clippedScale('maxAbs', h.maxAbs, pLo, pHi);
    expect(scale.lo).toBeCloseTo(c.percentiles!.maxAbs['1'], 6);
    expect(scale.hi).toBeCloseTo(c.percentiles!.maxAbs['99'], 6);
    const outliers = new Set(expected.outlierColumns);
    const others: number[] = [];
    for (let i = 0; i < h.height; i++) {
      for (let j = 0; j < h.width; j++) {
        const t = scalePosition(h.maxAbs[i * h.width + j]!, scale);
        if (outliers.has(j)) expect(t).toBe(1);
        else others.push(t);
      }
    }
    others.sort((a, b) => a - b);
    const median = others[others.length >> 1]!;
    expect(median).toBeGreaterThan(0.25);
    expect(median).toBeLessThan(0.75);
    // Means: the outliers' sign shows (one at each end of the diverging scale), the rest near zero.
    const meanScale = clippedScale('mean', h.mean, pLo, pHi);
    for (let i = 0; i < h.height; i++) {
      expect(scalePosition(h.mean[i * h.width + expected.outlierColumns[0]!]!, meanScale)).toBe(0);
      expect(scalePosition(h.mean[i * h.width + expected.outlierColumns[1]!]!, meanScale)).toBe(1);
    }
  });

  it('a whole-matrix pool and the same window asked for explicitly agree', async () => {
    const c = byName('embed-uneven');
    const path = join(DIR, c.file);
    const t = (await openModel(path)).tensors[0]!;
    const src = await FileByteSource.open(path);
    try {
      const { slice2d } = await import('../../src/runtime/tensorSlice');
      const a = await computeHeatmap(src, slice2d(t, []), 100, 7);
      const b = await computeHeatmap(src, slice2d(t, []), 100, 7, { window: { row0: -5, row1: 1e9, col0: 0, col1: 256 }, chunkElements: 999 });
      expect(b.window).toEqual({ row0: 0, row1: 4096, col0: 0, col1: 256 });
      expect(b.mean).toEqual(a.mean);
      expect(b.maxAbs).toEqual(a.maxAbs);
    } finally {
      await src.close();
    }
  });
});
