import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTies } from '../../src/model/ties';
import { WorkerPool } from '../../src/runtime/workerPool';
import { FIXTURES } from './fixtureFiles';

let pool: WorkerPool;
beforeAll(async () => {
  // The worker as shipped: bundled by esbuild and started as a real worker thread.
  const out = join(mkdtempSync(join(tmpdir(), 'paramscope-ties-worker-')), 'tensorWorker.js');
  await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  pool = new WorkerPool(out, 1);
});
afterAll(() => pool.dispose());

describe('ties in a worker', () => {
  it.each(['models/shared.pt', 'models/shared.safetensors', 'models/views.pt'])('%s: the worker finds what findTies finds in-process', async (rel) => {
    const index = await pool.run('index', { file: join(FIXTURES, rel) });
    const inWorker = await pool.run('ties', { index, content: true });
    expect(inWorker).toEqual(await findTies(index));
    expect(inWorker.groups.length + inWorker.views.length).toBeGreaterThan(0);
  });

  it('skips content hashing when asked', async () => {
    const index = await pool.run('index', { file: join(FIXTURES, 'models/shared.safetensors') });
    expect(await pool.run('ties', { index, content: false })).toEqual({ groups: [], views: [] });
  });
});
