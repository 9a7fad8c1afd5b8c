// Statistics of many tensors at once (runtime/batchStats.ts, WorkerPool.statsMany): the same
// numbers as one tensor at a time, torch's numbers on the torch-made fixtures, errors per tensor.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../src/core/modelIndex';
import type { StatsView } from '../../src/core/results';
import { openModel } from '../../src/model/openModel';
import { patternList, patternValues, statsFromPatternCounts, statsFromPatternList } from '../../src/runtime/bitPatternStats';
import { computeBatchStats, forEachPackedResult, packBatchResults, planSpans, SPAN_MAX_BYTES, SPAN_MAX_GAP } from '../../src/runtime/batchStats';
import { FileByteSource } from '../../src/runtime/byteSource';
import { computeTensorStats, SMALL_PATTERN_ELEMENTS } from '../../src/runtime/stats';
import { WorkerPool } from '../../src/runtime/workerPool';
import { FIXTURES, expected, type ExpectedStats } from './fixtureFiles';
import { seededRandom } from './runtimeTestHelpers';

let pool: WorkerPool;
beforeAll(async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'paramscope-batch-')), 'tensorWorker.js');
  await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  pool = new WorkerPool(out, 2);
});
afterAll(() => pool.dispose());

const spec = (t: TensorSpec): TensorSpec => ({ dtype: t.dtype, shape: t.shape, location: t.location });

/** Every fixture with torch's statistics: its tensors as specs, with torch's numbers. */
async function fixtureTensors(): Promise<Array<{ rel: string; name: string; spec: TensorSpec; torch: ExpectedStats }>> {
  const out: Array<{ rel: string; name: string; spec: TensorSpec; torch: ExpectedStats }> = [];
  for (const rel of Object.keys(expected.files)) {
    const withStats = expected.files[rel]!.tensors.filter((t) => t.stats);
    if (withStats.length === 0) continue;
    const index = await openModel(join(FIXTURES, rel));
    for (const t of withStats) {
      const entry = index.tensors.find((x) => x.name === t.name);
      if (entry) out.push({ rel, name: t.name, spec: spec(entry), torch: t.stats! });
    }
  }
  return out;
}

function expectTorch(s: StatsView, torch: ExpectedStats, what: string): void {
  expect([s.count, s.zeros, s.nan, s.inf], what).toEqual([torch.count, torch.zeros, torch.nan, torch.inf]);
  expect(s.histogram?.counts ?? null, what).toEqual(torch.histogram?.counts ?? null);
  if (torch.mean !== null && s.mean !== null) expect(Math.abs(s.mean - Number(torch.mean)), what).toBeLessThanOrEqual(1e-6 * Math.max(1e-30, Math.abs(Number(torch.mean))) + 1e-12);
}

describe('statistics of many tensors', () => {
  it("the pool's statsMany gives torch's numbers for every fixture tensor, the same bits as one at a time, in order", async () => {
    const all = await fixtureTensors();
    expect(all.length).toBeGreaterThan(40);
    const seen: number[] = [];
    const results = await pool.statsMany(
      all.map((a) => a.spec),
      { onEach: (i) => seen.push(i), cache: false },
    );
    expect(seen.sort((a, b) => a - b)).toEqual(all.map((_, i) => i));
    for (const [i, a] of all.entries()) {
      const r = results[i]!;
      if (r instanceof Error) throw new Error(`${a.rel} ${a.name}: ${r.message}`);
      expectTorch(r, a.torch, `${a.rel} ${a.name}`);
      const src = await FileByteSource.open(a.spec.location.file);
      try {
        expect(r, `${a.rel} ${a.name}`).toEqual(await computeTensorStats(src, a.spec));
      } finally {
        await src.close();
      }
    }
  });

  it('computes a file’s tensors inline from a few span reads, and a bad tensor fails alone', async () => {
    const index = await openModel(join(FIXTURES, 'models/convnet.safetensors'));
    const specs = index.tensors.map(spec);
    // A view reaching past its storage: the reader would never make it; the batch must not trust it.
    const bad: TensorSpec = { ...specs[0]!, shape: [specs[0]!.shape.reduce((a, b) => a * b, 1) * 4] , location: { ...specs[0]!.location, strides: [1] } };
    const src = await FileByteSource.open(index.file);
    let reads = 0;
    const counting = { name: src.name, size: src.size, read: (o: number, n: number) => (reads++, src.read(o, n)), slice: (o: number, n: number) => src.slice(o, n) };
    try {
      const results = await computeBatchStats(counting, [...specs, bad]);
      expect(reads).toBeLessThanOrEqual(2);
      for (const [i, t] of index.tensors.entries()) {
        const r = results[i]!;
        expect('stats' in r, t.name).toBe(true);
        const torch = expected.files['models/convnet.safetensors']!.tensors.find((x) => x.name === t.name)?.stats;
        if (torch && 'stats' in r) expectTorch(r.stats, torch, t.name);
      }
      const last = results[specs.length]!;
      expect('error' in last && last.error).toMatch(/storage|past|outside|bytes/i);
    } finally {
      await src.close();
    }
  });

  it('groups neighbouring storages into spans, within the gap and size limits', () => {
    const at = (offset: number, bytes: number): TensorSpec => ({ dtype: 'uint8', shape: [bytes], location: { file: 'f', storageOffset: offset, storageBytes: bytes, storageKey: String(offset), elementOffset: 0, strides: [1], byteOrder: 'little' } });
    const tensors = [at(100, 10), at(0, 100), at(110 + SPAN_MAX_GAP + 1, 5), at(120 + SPAN_MAX_GAP, 1), at(10 * SPAN_MAX_BYTES, SPAN_MAX_BYTES - 1), at(11 * SPAN_MAX_BYTES - 1, 2)];
    expect(planSpans(tensors)).toEqual([
      { start: 0, end: 110, members: [1, 0] },
      { start: 110 + SPAN_MAX_GAP + 1, end: 121 + SPAN_MAX_GAP, members: [2, 3] },
      { start: 10 * SPAN_MAX_BYTES, end: 11 * SPAN_MAX_BYTES - 1, members: [4] },
      { start: 11 * SPAN_MAX_BYTES - 1, end: 11 * SPAN_MAX_BYTES + 1, members: [5] },
    ]);
  });

  it('packs results into one buffer and back: nulls, a missing histogram and errors survive', () => {
    const full: StatsView = { count: 3, min: -1, max: 2, mean: 0.5, std: 1.5, zeros: 1, nan: 0, inf: 1, l2: 2.2, absMax: 2, histogram: { min: -1, max: 2, counts: [1, 0, 1] } };
    const empty: StatsView = { count: 2, min: null, max: null, mean: null, std: null, zeros: 0, nan: 2, inf: 0, l2: null, absMax: null, histogram: null };
    const one: StatsView = { ...full, count: 1, std: null, histogram: { min: 1.5, max: 3.5, counts: [0, 1] } };
    const { packed, errors } = packBatchResults([{ stats: full }, { error: 'no such view' }, { stats: empty }, { stats: one }]);
    const back: Array<StatsView | string> = [];
    forEachPackedResult(packed, errors, (i, r) => (back[i] = r instanceof Error ? r.message : r));
    expect(back).toEqual([full, 'no such view', empty, one]);
  });
});

describe('small 1- and 2-byte tensors by sorted patterns', () => {
  it('give the same bits as the 65,536-entry table', () => {
    const rand = seededRandom(3);
    for (const dtype of ['bfloat16', 'float16', 'int8', 'uint16'] as const) {
      for (const n of [1, 7, 300, SMALL_PATTERN_ELEMENTS]) {
        const wide = dtype !== 'int8';
        const bits = wide ? new Uint16Array(n) : new Uint8Array(n);
        // Mostly small weights, a few repeats, the odd NaN/inf pattern for floats.
        for (let i = 0; i < n; i++) bits[i] = wide ? (rand() < 0.01 ? 0x7f80 : 0x3c00 + Math.floor(rand() * 2048) - 1024) & 0xffff : Math.floor(rand() * 256);
        const values = patternValues(dtype)!;
        const dense = new Float64Array(wide ? 65536 : 256);
        for (const b of bits) dense[b]! += 1;
        const { patterns, weights } = patternList(bits);
        const a = statsFromPatternList(patterns, weights, values, 256);
        const b = statsFromPatternCounts(dense, values, 256);
        expect(a, `${dtype} ${n}`).toEqual(b);
        expect(Object.is(a.mean, b.mean) && Object.is(a.std, b.std) && Object.is(a.l2, b.l2)).toBe(true);
      }
    }
  });

  it("give torch's numbers on the half-precision fixtures", async () => {
    for (const rel of ['models/net.fp16.safetensors', 'models/net.bf16.safetensors', 'models/net.fp16.pt', 'models/net.bf16.pt']) {
      const index = await openModel(join(FIXTURES, rel));
      const src = await FileByteSource.open(index.file);
      try {
        for (const t of expected.files[rel]!.tensors.filter((x) => x.stats)) {
          const entry = index.tensors.find((x) => x.name === t.name)!;
          expect(entry.count).toBeLessThanOrEqual(SMALL_PATTERN_ELEMENTS);
          expectTorch(await computeTensorStats(src, entry), t.stats!, `${rel} ${t.name}`);
        }
      } finally {
        await src.close();
      }
    }
  });
});
