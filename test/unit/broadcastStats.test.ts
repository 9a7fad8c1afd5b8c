import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelIndex, TensorEntry } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { detectTensorInit } from '../../src/model/init/detectModelInit';
import { findContentTies } from '../../src/model/ties';
import { FileByteSource } from '../../src/runtime/byteSource';
import { BroadcastTooLargeError, MAX_BROADCAST_STREAM_ELEMENTS } from '../../src/runtime/elementStream';
import { computeHeatmap } from '../../src/runtime/heatmap';
import { readValues } from '../../src/runtime/readValues';
import { computeTensorStats, type TensorStats } from '../../src/runtime/stats';
import { diffTensors } from '../../src/runtime/tensorDiff';
import { slice2d } from '../../src/runtime/tensorSlice';
import { WorkerPool } from '../../src/runtime/workerPool';
import { FIXTURES, type ExpectedStats } from './fixtureFiles';

/** Written by test/fixtures/make_broadcast_fixtures.py: torch's statistics over every element of each view. */
interface ExpectedView {
  shape: number[];
  stride: number[];
  storageOffset: number;
  dtype: string;
  stats?: ExpectedStats;
  numel?: string;
  fileBytes?: number;
}
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected_broadcast.json'), 'utf8')) as Record<string, Record<string, ExpectedView>>;

const sources: FileByteSource[] = [];
afterAll(async () => {
  for (const s of sources) await s.close();
});
async function open(rel: string): Promise<{ index: ModelIndex; src: FileByteSource }> {
  const index = await openModel(join(FIXTURES, rel));
  const src = await FileByteSource.open(join(FIXTURES, rel));
  sources.push(src);
  return { index, src };
}

/** Counts, extremes and bins exactly as torch's; sums (mean, std, L2) within 1e-9 relative. */
function expectTorchStats(ours: TensorStats, torch: ExpectedStats): void {
  expect([ours.count, ours.zeros, ours.nan, ours.inf, ours.min, ours.max]).toEqual([torch.count, torch.zeros, torch.nan, torch.inf, torch.min, torch.max]);
  expect(ours.histogram).toEqual(torch.histogram);
  for (const k of ['mean', 'std', 'l2'] as const) {
    const a = ours[k];
    const e = torch[k];
    if (a === null || e === null) expect(a).toBe(e);
    else expect(Math.abs(a - e)).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(e), 1e-300));
  }
}

describe('statistics of broadcast views (torch expand) equal torch over every element', () => {
  const rel = 'models/broadcast/small.pt';
  it.each(Object.keys(expected[rel]!))('%s', async (name) => {
    const { index, src } = await open(rel);
    const exp = expected[rel]![name]!;
    const t = index.tensors.find((x) => x.name === name)!;
    expect([t.dtype, t.shape, t.location.strides, t.location.elementOffset]).toEqual([exp.dtype, exp.shape, exp.stride, exp.storageOffset]);
    for (const kernels of ['auto', 'ts'] as const) expectTorchStats(await computeTensorStats(src, t, { kernels }), exp.stats!);
  });
});

describe('a 2^40-element expand in a file of a few hundred bytes', () => {
  const rel = 'models/broadcast/huge.pt';
  const exp = expected[rel]!.e!;

  it('is listed with its exact element count', async () => {
    const { index } = await open(rel);
    expect(exp.fileBytes).toBeLessThan(1000);
    const t = index.tensors[0]!;
    expect(t.count).toBe(3 * 2 ** 40);
    expect(index.totalParameters).toBe(3 * 2 ** 40);
  });

  it('has torch statistics at once: each stored element read once, weighted by its repeats', async () => {
    const { index, src } = await open(rel);
    const t0 = performance.now();
    const s = await computeTensorStats(src, index.tensors[0]!);
    expect(performance.now() - t0).toBeLessThan(1000);
    expectTorchStats(s, exp.stats!);
  });

  it('value windows read only the window; whole-view passes are refused with a clear message', async () => {
    const { index, src } = await open(rel);
    const t = index.tensors[0]!;
    const row1 = await readValues(src, t, { start: 2 ** 40, count: 4 });
    expect(new Set(row1).size).toBe(1);
    const t0 = performance.now();
    await expect(computeHeatmap(src, slice2d(t, []), 64, 64)).rejects.toThrow(BroadcastTooLargeError);
    await expect(diffTensors(src, t, src, t)).rejects.toThrow(/broadcast view \(stride 0\) would read 3298534883328 elements of 3 stored ones, more than the 268435456/);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(MAX_BROADCAST_STREAM_ELEMENTS).toBe(2 ** 28);
  });
});

describe('init detection of a broadcast view', () => {
  it('samples the distinct stored values, not one value repeated (which would look constant)', async () => {
    const { index, src } = await open('models/broadcast/huge.pt');
    const r = await detectTensorInit(src, index, index.tensors[0]!);
    // Three stored values: too few to tell a scheme (the CLI prints too_few(n=3)).
    expect([r.scheme, r.params]).toEqual(['too_few', { n: 3 }]);
  });
});

describe('content ties between broadcast views', () => {
  it('hashes each view by its distinct elements: equal 2^40-element expands tie at once, a different one does not', async () => {
    const { index } = await open('models/broadcast/ties.pt');
    expect(index.tensors.map((t) => t.count)).toEqual([3 * 2 ** 40, 3 * 2 ** 40, 3 * 2 ** 40]);
    const t0 = performance.now();
    const groups = await findContentTies(index);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(groups.map((g) => [g.names, g.evidence])).toEqual([[['a', 'b'], 'content']]);
  });
});

describe('a broadcast view past 2^53 elements', () => {
  it('is skipped with its exact count, and the other tensors keep exact counts', async () => {
    const { index } = await open('models/broadcast/toolarge.pt');
    const numel = expected['models/broadcast/toolarge.pt']!.x!.numel!;
    expect(numel).toBe((2n ** 60n).toString());
    expect(index.tensors.map((t: TensorEntry) => [t.name, t.count])).toEqual([['w', 2]]);
    expect(index.totalParameters).toBe(2);
    expect(index.warnings.join('\n')).toContain(`x: ${numel} elements (a broadcast view) would take the file past 2^53 - 1 elements`);
  });
});

describe('the worker pool weights broadcast views too (never splits 2^40 elements across workers)', () => {
  let pool: WorkerPool;
  beforeAll(async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'paramscope-worker-')), 'tensorWorker.js');
    await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
    pool = new WorkerPool(out, 2);
  });
  afterAll(() => pool.dispose());

  it.each([
    ['models/broadcast/huge.pt', 'e'],
    ['models/broadcast/small.pt', 'e'],
    ['models/broadcast/small.pt', 'h'],
  ])('%s %s', async (rel, name) => {
    const index = await pool.run('index', { file: join(FIXTURES, rel) });
    const t = index.tensors.find((x) => x.name === name)!;
    const t0 = performance.now();
    const s = await pool.run('stats', { tensor: { dtype: t.dtype, shape: t.shape, location: t.location } });
    expect(performance.now() - t0).toBeLessThan(2000);
    expectTorchStats(s as TensorStats, expected[rel]![name]!.stats!);
  });
});
