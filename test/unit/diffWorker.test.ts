import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TensorEntry } from '../../src/core/modelIndex';
import { WorkerPool } from '../../src/runtime/workerPool';
import { expectMetricsLikeTorch, expectedPair } from './diffFixtures';
import { FIXTURES } from './fixtureFiles';

let pool: WorkerPool;
beforeAll(async () => {
  // The worker as shipped: bundled by esbuild and started as a real worker thread.
  const out = join(mkdtempSync(join(tmpdir(), 'paramscope-diff-worker-')), 'tensorWorker.js');
  await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  pool = new WorkerPool(out, 1);
});
afterAll(() => pool.dispose());

const spec = (t: TensorEntry) => ({ dtype: t.dtype, shape: t.shape, location: t.location });

describe('diff in a worker', () => {
  it('streams a .pt tensor against its fine-tuned bfloat16 .safetensors copy, with progress', async () => {
    const [a, b] = await Promise.all([pool.run('index', { file: join(FIXTURES, 'models/diff/before.pt') }), pool.run('index', { file: join(FIXTURES, 'models/diff/after.safetensors') })]);
    const ta = a.tensors.find((t) => t.name === '2.weight')!;
    const tb = b.tensors.find((t) => t.name === '2.weight')!;
    const progress: number[] = [];
    const d = await pool.run('diff', { a: spec(ta), b: spec(tb), chunkElements: 100 }, { onProgress: (done) => progress.push(done) });
    expectMetricsLikeTorch(d, expectedPair('diff/before.pt', 'diff/after.safetensors').tensors.find((t) => t.name === '2.weight')!.metrics, '2.weight');
    expect(progress.at(-1)).toBe(32 * 64);
  });

  it('is cancelled by the caller’s signal', async () => {
    const b = await pool.run('index', { file: join(FIXTURES, 'models/big.pt') });
    const w = spec(b.tensors.find((t) => t.name === 'w')!);
    const controller = new AbortController();
    const run = pool.run('diff', { a: w, b: w, chunkElements: 1 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(run).rejects.toThrow();
    // The worker is free again afterwards.
    const small = spec((await pool.run('index', { file: join(FIXTURES, 'models/net.pt') })).tensors[0]!);
    expect((await pool.run('diff', { a: small, b: small })).identical).toBe(true);
  });
});
