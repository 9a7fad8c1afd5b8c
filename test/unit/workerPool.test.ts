import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/runtime/workerPool';
import { FIXTURES, expected } from './fixtureFiles';

let pool: WorkerPool;
beforeAll(async () => {
  // The worker as shipped: bundled by esbuild and started as a real worker thread.
  const out = join(mkdtempSync(join(tmpdir(), 'paramscope-worker-')), 'tensorWorker.js');
  await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  pool = new WorkerPool(out, 2);
});
afterAll(() => pool.dispose());

describe('worker pool', () => {
  it('indexes a model and computes torch-equal statistics off the main thread', async () => {
    const index = await pool.run('index', { file: join(FIXTURES, 'models/rgnet.pt') });
    expect(index.totalParameters).toBe(expected.files['models/rgnet.pt']!.totalParameters);
    const t = index.tensors.find((x) => x.name === '0.block 1.0.bias')!;
    const progress: number[] = [];
    const s = await pool.run('stats', { tensor: { dtype: t.dtype, shape: t.shape, location: t.location } }, { onProgress: (d) => progress.push(d) });
    const torch = expected.files['models/rgnet.pt']!.tensors.find((x) => x.name === t.name)!.stats!;
    expect(s.histogram!.counts).toEqual(torch.histogram!.counts);
    expect(Math.abs(s.mean! - torch.mean!) / Math.abs(torch.mean!)).toBeLessThan(1e-9);
    expect(progress.length).toBeGreaterThan(0);
  });

  it('pools a heatmap and reads a window of values of a 2-D slice', async () => {
    const index = await pool.run('index', { file: join(FIXTURES, 'models/views.pt') });
    const t = index.tensors.find((x) => x.name === 't')!; // x.t() of arange(24).view(4, 6): 6 × 4, non-contiguous
    const spec = { dtype: t.dtype, shape: t.shape, location: t.location };
    const v = await pool.run('values', { tensor: spec, slice: [], rowStart: 1, rowCount: 2 });
    expect([v.rows, v.cols, v.rowStart, v.rowCount]).toEqual([6, 4, 1, 2]);
    expect(Array.from(new Float64Array(v.values))).toEqual([1, 7, 13, 19, 2, 8, 14, 20]);
    const h = await pool.run('heatmap', { tensor: spec, slice: [], maxWidth: 2, maxHeight: 3 });
    expect([h.width, h.height, h.absMax]).toEqual([2, 3, 23]);
    // Cell (0,0) pools rows 0–1, cols 0–1 of x.t(): 0, 6, 1, 7.
    expect(new Float32Array(h.mean)[0]).toBe(3.5);
    expect(new Float32Array(h.min)[0]).toBe(0);
    expect(new Float32Array(h.max)[0]).toBe(7);
  });

  it('cancels a request and stays usable', async () => {
    const index = await pool.run('index', { file: join(FIXTURES, 'models/big.safetensors') });
    const t = index.tensors.find((x) => x.name === 'w')!;
    const controller = new AbortController();
    controller.abort();
    await expect(pool.run('stats', { tensor: { dtype: t.dtype, shape: t.shape, location: t.location } }, { signal: controller.signal })).rejects.toThrow();
    const s = await pool.run('stats', { tensor: { dtype: t.dtype, shape: t.shape, location: t.location } });
    expect(s.count).toBe(600 * 512);
  });

  it('reports unreadable files as errors with their message', async () => {
    await expect(pool.run('index', { file: join(FIXTURES, 'models/broken/net.truncated.pt') })).rejects.toThrow(/truncated/);
  });
});
