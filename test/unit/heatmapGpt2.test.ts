// A full GPT-2-sized token embedding (50257 × 768 float32, 154 MB) is too big to commit: torch
// makes it in a temp folder when /usr/bin/python3 has torch (make_heatmap_fixtures.py --gpt2),
// with the cells it pools; without torch the test is skipped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { computeHeatmap } from '../../src/runtime/heatmap';
import { slice2d } from '../../src/runtime/tensorSlice';
import { clippedScale, DEFAULT_CLIP, scalePosition } from '../../webview/heatmapScale';
import { FIXTURES } from './fixtureFiles';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;

interface Gpt2Expected {
  rows: number;
  cols: number;
  width: number;
  height: number;
  outlierColumns: number[];
  maxAbsPercentiles: Record<'1' | '99', number>;
}

describe.skipIf(!hasTorch)('heatmap of a GPT-2-sized embedding (torch-made at test time)', () => {
  let dir = '';
  let want: Gpt2Expected;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'paramscope-gpt2-'));
    const r = spawnSync(PYTHON, [join(FIXTURES, 'make_heatmap_fixtures.py'), '--gpt2', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_heatmap_fixtures.py --gpt2 failed: ${r.stderr}`);
    want = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Gpt2Expected;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pools 50257 × 768 into 256 × 768 cells as torch does; the outlier dimensions saturate the clipped scale', { timeout: 120_000 }, async () => {
    const path = join(dir, 'wte.safetensors');
    const t = (await openModel(path)).tensors[0]!;
    const src = await FileByteSource.open(path);
    let h;
    const started = performance.now();
    try {
      h = await computeHeatmap(src, slice2d(t, []), 768, 256);
    } finally {
      await src.close();
    }
    console.log(`heatmap of 50257 × 768 float32: ${((performance.now() - started) / 1000).toFixed(2)} s`);
    expect([h.rows, h.cols, h.width, h.height]).toEqual([want.rows, want.cols, want.width, want.height]);
    const f32 = (name: string): Float32Array => {
      const b = readFileSync(join(dir, name));
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    };
    // max |x| of float32 values is exact; means within float32 rounding of torch's float64 mean.
    expect(h.maxAbs).toEqual(f32('maxabs.f32'));
    const mean = f32('mean.f32');
    let worst = 0;
    for (let i = 0; i < mean.length; i++) worst = Math.max(worst, Math.abs(h.mean[i]! - mean[i]!));
    expect(worst).toBeLessThan(1e-6);

    const scale = clippedScale('maxAbs', h.maxAbs, DEFAULT_CLIP[0], DEFAULT_CLIP[1]);
    expect(scale.lo).toBeCloseTo(want.maxAbsPercentiles['1'], 6);
    expect(scale.hi).toBeCloseTo(want.maxAbsPercentiles['99'], 6);
    const outliers = new Set(want.outlierColumns);
    const others: number[] = [];
    for (let i = 0; i < h.height; i++) {
      for (let j = 0; j < h.width; j++) {
        const p = scalePosition(h.maxAbs[i * h.width + j]!, scale);
        if (outliers.has(j)) expect(p, `outlier column ${j}, cell row ${i}`).toBe(1);
        else others.push(p);
      }
    }
    others.sort((a, b) => a - b);
    expect(others[others.length >> 1]).toBeGreaterThan(0.25);
    expect(others[others.length >> 1]).toBeLessThan(0.75);
  });
});
