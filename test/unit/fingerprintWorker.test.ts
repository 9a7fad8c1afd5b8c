import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelIndex } from '../../src/core/modelIndex';
import { FileByteSource } from '../../src/runtime/byteSource';
import { tensorFingerprint } from '../../src/runtime/tensorFingerprint';
import { WorkerPool } from '../../src/runtime/workerPool';
import { FIXTURES } from './fixtureFiles';

let pool: WorkerPool;
beforeAll(async () => {
  // The worker as shipped: bundled by esbuild and started as a real worker thread.
  const out = join(mkdtempSync(join(tmpdir(), 'paramscope-fingerprint-worker-')), 'tensorWorker.js');
  await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  pool = new WorkerPool(out, 1);
});
afterAll(() => pool.dispose());

const indexes = new Map<string, ModelIndex>();
async function fingerprint(rel: string, name: string): Promise<string> {
  let index = indexes.get(rel);
  if (!index) indexes.set(rel, (index = await pool.run('index', { file: join(FIXTURES, 'models', rel) })));
  const t = index.tensors.find((x) => x.name === name)!;
  return pool.run('fingerprint', { tensor: { dtype: t.dtype, shape: t.shape, location: t.location } });
}

describe('tensor fingerprints (hover: is it the same tensor in several files?)', () => {
  it('agree across formats and containers of the same values', async () => {
    const ref = await fingerprint('rgnet.pt', '0.block 1.0.bias');
    for (const rel of ['rgnet.legacy.pt', 'rgnet.safetensors', 'rgnet.state_dict.pt', 'rgnet.state_dict.legacy.pt', 'rgnet.proto4.pt']) expect(await fingerprint(rel, '0.block 1.0.bias'), rel).toBe(ref);
  });

  it('differ for other values, dtypes or shapes', async () => {
    const a = await fingerprint('net.pt', '0.weight');
    expect(await fingerprint('net_normal.safetensors', '0.weight')).not.toBe(a);
    expect(await fingerprint('net.fp16.pt', '0.weight')).not.toBe(a);
    // The same storage read as a transposed view is another tensor.
    expect(await fingerprint('views.pt', 't')).not.toBe(await fingerprint('views.pt', 'base'));
  });

  it('the worker computes what the function computes in-process', async () => {
    const index = indexes.get('net.pt')!;
    const t = index.tensors.find((x) => x.name === '0.weight')!;
    const src = await FileByteSource.open(t.location.file);
    try {
      expect(await tensorFingerprint(src, t)).toBe(await fingerprint('net.pt', '0.weight'));
    } finally {
      await src.close();
    }
  });
});
