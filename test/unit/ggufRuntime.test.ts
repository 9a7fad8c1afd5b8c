// Every ggml type end to end: the GGUF reader's index, then the runtime's kernels on the
// dequantized view (values, statistics, heatmap cells, a split across the worker pool), against
// the values ggml's own to_float gave for the same bytes (test/fixtures/gguf/types).
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { readValues } from '../../src/runtime/readValues';
import { computeTensorStats } from '../../src/runtime/stats';
import { WorkerPool } from '../../src/runtime/workerPool';
import { expectedBytes, GGUF_TYPE_FIXTURES, readManifest } from './ggufQuantFixtures';

const manifest = readManifest();

/** ggml's expected values of a fixture's tensors as doubles (float32 widened; int64 exact where they fit). */
function expectedValues(label: string): number[][] {
  const type = manifest.types.find((t) => t.label === label)!;
  return expectedBytes(type).map((b) => {
    const buf = b.slice().buffer;
    if (type.expectedType === 'f32') return [...new Float32Array(buf)];
    if (type.expectedType === 'f64') return [...new Float64Array(buf)];
    return [...new BigInt64Array(buf)].map(Number);
  });
}

/** Same doubles, NaN equal to NaN (the bit patterns are the kernels' own test). */
function sameDoubles(got: ArrayLike<number>, want: readonly number[], where: string): void {
  expect(got.length, where).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
    throw new Error(`${where}[${i}]: ${got[i]} ≠ ggml's ${want[i]}`);
  }
}

describe('GGUF tensors of every ggml type through the runtime', () => {
  for (const type of manifest.types) {
    it(`${type.label}: values and statistics of the dequantized view are ggml's`, async () => {
      const file = join(GGUF_TYPE_FIXTURES, type.file);
      const index = await openModel(file);
      expect(index.warnings).toEqual([]);
      const want = expectedValues(type.label);
      const src = await FileByteSource.open(file);
      try {
        for (const [i, t] of index.tensors.entries()) {
          const got = await readValues(src, t, { count: t.count });
          sameDoubles(got, want[i]!, `${type.label} ${t.name}`);
          // A window that starts and ends inside blocks reads only the blocks it touches.
          if (t.count > 37) {
            const mid = await readValues(src, t, { start: 37, count: Math.min(300, t.count - 37) });
            sameDoubles(mid, want[i]!.slice(37, 37 + mid.length), `${type.label} ${t.name}[37:]`);
          }
          const stats = await computeTensorStats(src, t);
          const finite = want[i]!.filter(Number.isFinite);
          expect(stats.count, t.name).toBe(t.count);
          expect(stats.min, t.name).toBe(finite.length ? Math.min(...finite) : null);
          expect(stats.max, t.name).toBe(finite.length ? Math.max(...finite) : null);
          expect(stats.nan, t.name).toBe(want[i]!.filter(Number.isNaN).length);
        }
      } finally {
        await src.close();
      }
    });
  }
});

describe('a quantized tensor split across the worker pool', () => {
  let pool: WorkerPool;
  beforeAll(async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'paramscope-gguf-')), 'tensorWorker.js');
    await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
    pool = new WorkerPool(out, 2);
  }, 60_000);
  afterAll(() => pool.dispose());

  it('gives the statistics of one thread, and the index from a worker', async () => {
    const file = join(GGUF_TYPE_FIXTURES, 'Q4_K.gguf');
    const index = await pool.run('index', { file });
    const t = index.tensors[0]!;
    const src = await FileByteSource.open(file);
    try {
      const local = await computeTensorStats(src, t);
      const pooled = await pool.run('stats', { tensor: t });
      expect(pooled.count).toBe(local.count);
      expect(pooled.min).toBe(local.min);
      expect(pooled.max).toBe(local.max);
      expect(pooled.mean).toBeCloseTo(local.mean!, 12);
      const heat = await pool.run('heatmap', { tensor: t, slice: [], maxWidth: 64, maxHeight: 3 });
      expect(heat.rows).toBe(3);
      expect(heat.cols).toBe(512);
      const max = new Float32Array(heat.max);
      expect(Math.max(...max)).toBe(Math.fround(local.max!));
    } finally {
      await src.close();
    }
  });
});
