import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import type { TensorSpec } from '../../src/protocol/messages';
import { FileByteSource } from '../../src/runtime/byteSource';
import { streamRawChunks } from '../../src/runtime/elementStream';
import { f32MomentsOfRange } from '../../src/runtime/fastStats';
import { KernelArena } from '../../src/runtime/kernelArena';
import { CHUNK_BUFFERS, CHUNK_BYTES, DATA, MOMENT_FIELDS } from '../../src/runtime/kernelLayout';
import { computeTensorStats } from '../../src/runtime/stats';
import { useKernelBinary } from '../../src/runtime/wasmKernels';
import { WorkerPool } from '../../src/runtime/workerPool';
import { seededRandom } from './runtimeTestHelpers';
import { assembleKernels } from './wasmKernelBinary';

const dir = mkdtempSync(join(tmpdir(), 'paramscope-parallel-'));
let pool: WorkerPool;

/** A one-tensor safetensors file; `fill` writes the data (or leaves a sparse hole of zeros). */
function safetensors(name: string, dtype: string, shape: number[], bytes: number, data?: Uint8Array): string {
  const header = JSON.stringify({ w: { dtype, shape, data_offsets: [0, bytes] } }).padEnd(64, ' ');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  writeSync(fd, prefix);
  writeSync(fd, header);
  if (data) writeSync(fd, data);
  ftruncateSync(fd, 8 + header.length + bytes);
  closeSync(fd);
  return path;
}

function normalBytes(n: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(rand() || 1e-300)) * Math.cos(2 * Math.PI * rand()) * 0.02;
  for (let i = 0; i < n; i += 997) out[i] = 0;
  return out;
}

async function specOf(path: string): Promise<TensorSpec> {
  const t = (await openModel(path)).tensors[0]!;
  return { dtype: t.dtype, shape: t.shape, location: t.location };
}

beforeAll(async () => {
  // The worker as shipped: bundled by esbuild, the kernels assembled beside it as the build does.
  const wasm = await assembleKernels();
  const out = join(dir, 'tensorWorker.js');
  await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  writeFileSync(join(dir, 'kernels.wasm'), wasm);
  useKernelBinary(wasm);
  pool = new WorkerPool(out, 2);
});
afterAll(async () => {
  useKernelBinary(undefined);
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('worker pool: a tensor split across workers', () => {
  it('gives the same bits as one thread (float32, 5 chunks, NaN and zeros)', async () => {
    const n = (5 * CHUNK_BYTES) / 4 - 12345;
    const values = normalBytes(n, 1);
    values[3_000_000] = NaN;
    const file = safetensors('split_f32.safetensors', 'F32', [n], n * 4, new Uint8Array(values.buffer));
    const spec = await specOf(file);
    const progress: number[] = [];
    const split = await pool.run('stats', { tensor: spec }, { onProgress: (done, total) => progress.push(done / total) });
    const src = await FileByteSource.open(file);
    try {
      const inline = await computeTensorStats(src, { ...spec, dtype: 'float32' }, { kernels: 'wasm' });
      expect(split).toEqual(inline);
      expect([split.count, split.nan, split.zeros]).toEqual([n, 1, inline.zeros]);
      expect(split.zeros).toBeGreaterThan(n / 1000);
    } finally {
      await src.close();
    }
    expect(progress.at(-1)).toBe(1);
  });

  it('gives the same bits as one thread (bfloat16 bit patterns)', async () => {
    const n = (3 * CHUNK_BYTES) / 2 + 777;
    const f = normalBytes(n, 2);
    const bits = new Uint16Array(new Uint32Array(f.buffer).map((u) => u >>> 16));
    const file = safetensors('split_bf16.safetensors', 'BF16', [n], n * 2, new Uint8Array(bits.buffer));
    const spec = await specOf(file);
    const src = await FileByteSource.open(file);
    try {
      expect(await pool.run('stats', { tensor: spec, bins: 100 })).toEqual(await computeTensorStats(src, { ...spec, dtype: 'bfloat16' }, { bins: 100 }));
    } finally {
      await src.close();
    }
  });

  it('stops on abort mid-run, frees its workers, and stays usable', async () => {
    // 384 MiB of float32 zeros (a sparse file): long enough (> 100 ms) to abort in the middle.
    const n = 96 * 2 ** 20;
    const file = safetensors('big_zeros.safetensors', 'F32', [n], n * 4);
    const spec = await specOf(file);
    const controller = new AbortController();
    let firstProgress = 0;
    const started = performance.now();
    const run = pool.run('stats', { tensor: spec }, {
      signal: controller.signal,
      onProgress: () => {
        if (!firstProgress) {
          firstProgress = performance.now();
          controller.abort(new Error('stop'));
        }
      },
    });
    await expect(run).rejects.toThrow('stop');
    const abortedAfter = performance.now() - started;
    // The workers are free again: a whole computation of the same tensor runs and is right.
    const t0 = performance.now();
    const full = await pool.run('stats', { tensor: spec, bins: 8 });
    const fullTime = performance.now() - t0;
    expect([full.count, full.zeros, full.min, full.max, full.mean, full.histogram?.counts[4]]).toEqual([n, n, 0, 0, 0, n]); // [−1, 1] in 8 bins: 0 is in bin 4
    expect(fullTime).toBeGreaterThan(100);
    // Cancelled after its first chunk, it ended sooner than a whole run takes.
    expect(abortedAfter).toBeLessThan(fullTime);
  });

  it('answers again from the cache, and recomputes when the file changes', async () => {
    const n = 1000;
    const values = Float32Array.from({ length: n }, (_, i) => i);
    const file = safetensors('cached.safetensors', 'F32', [n], n * 4, new Uint8Array(values.buffer));
    const spec = await specOf(file);
    const first = await pool.run('stats', { tensor: spec });
    const progress: Array<[number, number]> = [];
    const again = await pool.run('stats', { tensor: spec }, { onProgress: (d, t) => progress.push([d, t]) });
    expect(again).toEqual(first);
    expect(progress).toEqual([[1, 1]]); // answered at once, not by a worker
    // Same size, new contents and modification time: not answered from the cache.
    values.fill(7);
    safetensors('cached.safetensors', 'F32', [n], n * 4, new Uint8Array(values.buffer));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const changed = await pool.run('stats', { tensor: spec });
    expect([changed.min, changed.max, changed.mean]).toEqual([7, 7, 7]);
    expect(first.max).toBe(999);
  });
});

describe('bounded memory', () => {
  it('streams a file larger than its chunk through the same two buffers', async () => {
    const n = (3 * CHUNK_BYTES) / 4 + 5;
    const file = safetensors('three_chunks.safetensors', 'F32', [n], n * 4);
    const spec = await specOf(file);
    const src = await FileByteSource.open(file);
    try {
      const buffers = [new Uint8Array(CHUNK_BYTES), new Uint8Array(CHUNK_BYTES)];
      const seen = new Set<ArrayBufferLike>();
      let chunks = 0;
      for await (const c of streamRawChunks(src, 'float32', spec.shape, spec.location, { order: 'storage', chunkElements: CHUNK_BYTES / 4, buffers })) {
        expect(c.bytes.buffer === buffers[0]!.buffer || c.bytes.buffer === buffers[1]!.buffer).toBe(true);
        expect(c.bytes.buffer === buffers[chunks % 2]!.buffer).toBe(true);
        seen.add(c.bytes.buffer);
        chunks++;
      }
      expect([chunks, seen.size]).toEqual([4, 2]);

      // The kernels read into their arena's fixed buffers: its memory does not grow with the file.
      const arena = await KernelArena.acquire('auto');
      const bytes = arena.memory.buffer.byteLength;
      KernelArena.release(arena);
      const records = await f32MomentsOfRange(src, { dtype: 'float32', shape: spec.shape, location: spec.location });
      expect(records.length).toBe(4 * MOMENT_FIELDS);
      const again = await KernelArena.acquire('auto');
      expect(again.memory.buffer.byteLength).toBe(bytes);
      expect(bytes).toBe(DATA + CHUNK_BUFFERS * CHUNK_BYTES);
      KernelArena.release(again);
    } finally {
      await src.close();
    }
  });

  it('refuses staging buffers smaller than a chunk', async () => {
    const file = safetensors('small.safetensors', 'F32', [10], 40);
    const spec = await specOf(file);
    const src = await FileByteSource.open(file);
    try {
      const stream = streamRawChunks(src, 'float32', spec.shape, spec.location, { buffers: [new Uint8Array(8)] });
      await expect(stream.next()).rejects.toThrow(RangeError);
    } finally {
      await src.close();
    }
  });
});
