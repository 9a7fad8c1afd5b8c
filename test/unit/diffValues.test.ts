import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffModels } from '../../src/cliDiff';
import { diffValues, summarizeDiff, type PairDiffRunner } from '../../src/model/diff/diffValues';
import { matchTensors } from '../../src/model/diff/matchTensors';
import type { ModelIndex } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { FileByteSource, MemoryByteSource } from '../../src/runtime/byteSource';
import { DiffAccumulator, diffTensors, type TensorDiff } from '../../src/runtime/tensorDiff';
import { expectMetricsLikeTorch, expectedDiff, expectedPair } from './diffFixtures';
import { FIXTURES } from './fixtureFiles';
import { float32Tensor } from './runtimeTestHelpers';

const open = (rel: string): Promise<ModelIndex> => openModel(join(FIXTURES, rel));

/** Compares two tensors of the fixtures in this thread with a given chunk size. */
async function diffNamed(fileA: string, nameA: string, fileB: string, nameB: string, chunkElements?: number): Promise<TensorDiff> {
  const [ia, ib] = await Promise.all([open(`models/${fileA}`), open(`models/${fileB}`)]);
  const a = ia.tensors.find((t) => t.name === nameA)!;
  const b = ib.tensors.find((t) => t.name === nameB)!;
  const [sa, sb] = await Promise.all([FileByteSource.open(a.location.file), FileByteSource.open(b.location.file)]);
  try {
    return await diffTensors(sa, a, sb, b, { chunkElements });
  } finally {
    await Promise.all([sa.close(), sb.close()]);
  }
}

describe('diff metrics against torch (float64)', () => {
  it.each(expectedDiff.pairs.map((p) => [p.a, p.b, p] as const))('%s vs %s', async (a, b, p) => {
    const [ia, ib] = await Promise.all([open(a), open(b)]);
    const { match, results } = await diffModels(ia, ib);
    for (const row of p.tensors) {
      const r = results.get(row.name);
      expect(r?.error, row.name).toBeUndefined();
      expectMetricsLikeTorch(r?.metrics, row.metrics, `${a} ${row.name}`);
    }
    expect(summarizeDiff(match, results)).toEqual({ ...p.summary, failed: 0 });
  });

  it('fp32 against its bf16 copy, across formats: every value moves by at most half a bf16 step', async () => {
    const p = expectedPair('net.pt', 'net.bf16.safetensors');
    const w = p.tensors.find((t) => t.name === '0.weight')!.metrics!;
    const ours = await diffNamed('net.pt', '0.weight', 'net.bf16.safetensors', '0.weight');
    expectMetricsLikeTorch(ours, w, '0.weight');
    expect(ours.relL2!).toBeLessThan(2 ** -8);
  });
});

describe('streaming in chunks', () => {
  it.each([1, 7, 64])('chunks of %i elements give torch’s metrics (a strided .pt view against a contiguous safetensors)', async (chunk) => {
    const torch = expectedPair('diff/before.pt', 'diff/after.safetensors').tensors.find((t) => t.name === '0.weight')!.metrics!;
    expectMetricsLikeTorch(await diffNamed('diff/before.pt', '0.weight', 'diff/after.safetensors', '0.weight', chunk), torch, `0.weight / ${chunk}`);
    // after.dataparallel.pt stores 0.weight with strides (1, 64): logical order must still pair values.
    const same = await diffNamed('diff/after.safetensors', '0.weight', 'diff/after.dataparallel.pt', 'module.0.weight', chunk);
    expect(same).toMatchObject({ identical: true, count: 64 * 20, compared: 64 * 20, relL2: 0, maxAbsDiff: 0 });
  });

  it('a float32 tensor against its bfloat16 cast, several chunks long (big.pt)', async () => {
    const torch = expectedPair('big.pt', 'big.safetensors').tensors.find((t) => t.name === 'wb')!.metrics!;
    expectMetricsLikeTorch(await diffNamed('big.pt', 'wb', 'big.safetensors', 'wb', 10_000), torch, 'wb');
  });

  it('reports progress in elements, ending at the total', async () => {
    const a = float32Tensor([1, 2, 3, 4, 5, 6, 7], [7]);
    const b = float32Tensor([1, 2, 3, 4, 5, 6, 8], [7]);
    const seen: Array<[number, number]> = [];
    const d = await diffTensors(a.src, a.entry, b.src, b.entry, { chunkElements: 3, onProgress: (done, total) => seen.push([done, total]) });
    expect(seen).toEqual([
      [3, 7],
      [6, 7],
      [7, 7],
    ]);
    expect(d).toMatchObject({ count: 7, sumSqDiff: 1, maxAbsDiff: 1, identical: false });
  });
});

describe('NaN, infinities, zeros', () => {
  it('leaves non-finite positions out of the sums and counts disagreements apart', () => {
    const acc = new DiffAccumulator();
    acc.add(Float64Array.from([1, NaN, 3, Infinity, -Infinity, 0, -0, 5, NaN, 7]), Float64Array.from([1.5, 2, NaN, Infinity, Infinity, -0, 0, 5, NaN, -Infinity]));
    const d = acc.result();
    // Compared: 1/1.5, 0/−0, −0/0, 5/5.
    expect(d).toMatchObject({ count: 10, compared: 4, nanMismatch: 2, infMismatch: 2, sumSqA: 26, sumSqB: 27.25, sumSqDiff: 0.25, dot: 26.5, maxAbsDiff: 0.5, identical: false });
  });

  it('calls NaN against NaN and inf against the same inf identical, and 0 against −0 not', () => {
    const same = new DiffAccumulator();
    same.add(Float64Array.from([NaN, Infinity, -Infinity, 2]), Float64Array.from([NaN, Infinity, -Infinity, 2]));
    expect(same.result()).toMatchObject({ identical: true, compared: 1, nanMismatch: 0, infMismatch: 0, relL2: 0 });
    const zeros = new DiffAccumulator();
    zeros.add(Float64Array.from([0, 1]), Float64Array.from([-0, 1]));
    expect(zeros.result()).toMatchObject({ identical: false, relL2: 0, maxAbsDiff: 0, cosine: 1 });
  });

  it('has no relative change from zero and no direction for a zero vector', () => {
    const acc = new DiffAccumulator();
    acc.add(new Float64Array(4), Float64Array.from([1, 2, 3, 4]));
    expect(acc.result()).toMatchObject({ relL2: null, cosine: null, maxAbsDiff: 4, sumSqDiff: 30 });
    const empty = new DiffAccumulator().result();
    expect(empty).toMatchObject({ count: 0, compared: 0, relL2: 0, maxAbsDiff: null, cosine: null, identical: true });
  });
});

describe('refusals and cancellation', () => {
  it('refuses tensors of different shapes', async () => {
    const a = float32Tensor([1, 2, 3, 4], [2, 2]);
    const b = float32Tensor([1, 2, 3, 4], [4]);
    await expect(diffTensors(a.src, a.entry, b.src, b.entry)).rejects.toThrow(/shapes \[2, 2\] and \[4\] differ/);
  });

  it('gives a complex pair an error row without reading it', async () => {
    const [ia, ib] = await Promise.all([open('models/dtypes.pt'), open('models/dtypes.pt')]);
    const { results } = await diffModels(ia, ib);
    expect(results.get('complex64')?.error).toMatch(/complex64 values are not compared/);
    expect(results.get('float32')?.metrics?.identical).toBe(true);
  });

  it('stops streaming at the next chunk when aborted', async () => {
    const n = 1000;
    const a = float32Tensor(Array.from({ length: n }, (_, i) => i), [n]);
    const b = float32Tensor(Array.from({ length: n }, (_, i) => -i), [n]);
    const controller = new AbortController();
    let chunks = 0;
    const run = diffTensors(a.src, a.entry, b.src, b.entry, {
      chunkElements: 10,
      signal: controller.signal,
      onProgress: () => {
        if (++chunks === 3) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(chunks).toBe(3);
  });

  it('starts no more pairs once cancelled, and rejects', async () => {
    const [ia, ib] = await Promise.all([open('models/dtypes.pt'), open('models/dtypes.safetensors')]);
    const match = matchTensors(ia.tensors, ib.tensors);
    const controller = new AbortController();
    let started = 0;
    const runner: PairDiffRunner = async (x) => {
      started++;
      controller.abort();
      return { count: x.count, compared: x.count, nanMismatch: 0, infMismatch: 0, sumSqA: 0, sumSqB: 0, sumSqDiff: 0, dot: 0, relL2: 0, maxAbsDiff: 0, cosine: null, identical: true };
    };
    await expect(diffValues(match, runner, { signal: controller.signal, lanes: 1 })).rejects.toMatchObject({ name: 'AbortError' });
    expect(started).toBe(1);
  });

  it('compares a tensor with itself in one in-memory source', async () => {
    const t = float32Tensor([1, -2, 3], [3]);
    const src = new MemoryByteSource(new Uint8Array(await t.src.read(0, t.src.size)));
    expect(await diffTensors(src, t.entry, src, t.entry)).toMatchObject({ identical: true, relL2: 0, cosine: 1, sumSqA: 14 });
  });
});
