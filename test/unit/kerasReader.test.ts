// The Keras reader against files written as Keras writes them (test/fixtures/keras/make_keras_fixtures.py,
// h5py + zipfile): the index (tree with class names, names, dtypes, shapes, kinds, fans, totals)
// and the values through the runtime, every expectation computed by numpy/h5py.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelIndex, ModuleNode } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { detectModelInit } from '../../src/model/init/detectModelInit';
import { FileByteSource, MemoryByteSource } from '../../src/runtime/byteSource';
import { readValues } from '../../src/runtime/readValues';
import { computeTensorStats } from '../../src/runtime/stats';
import { WorkerPool } from '../../src/runtime/workerPool';
import { kerasReader } from '../../src/formats/keras/kerasReader';
import { selectReader } from '../../src/formats/registry';
import { FIXTURES } from './fixtureFiles';

const DIR = join(FIXTURES, 'keras');

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  kind: string;
  values?: number[];
  first?: number[];
  sum?: number;
  min?: number;
  max?: number;
}
interface ExpectedFile {
  tensors: Record<string, ExpectedTensor>;
  trainable: number;
  non_trainable: number;
  tree: Array<[string, string | null]>;
  fans: Record<string, [number, number]>;
  big_endian?: Record<string, boolean>;
  offsets?: Record<string, number>;
  warning?: string;
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { files: Record<string, ExpectedFile> };

/** Every module below the root as [names joined with `/`, class]. */
function modules(node: ModuleNode, prefix = ''): Array<[string, string | null]> {
  return node.children.flatMap((c) => {
    const name = prefix ? `${prefix}/${c.name}` : c.name;
    return [[name, c.type] as [string, string | null], ...modules(c, name)];
  });
}

const optimizerModules = new Set(['optimizer', 'optimizer_weights']);

describe('Keras files as Keras writes them', () => {
  for (const [file, want] of Object.entries(expected.files)) {
    describe(file, () => {
      let index: ModelIndex;
      const open = async (): Promise<ModelIndex> => (index ??= await openModel(join(DIR, file)));

      it('the index: names, dtypes, shapes, kinds in file order, the tree with class names, fans', async () => {
        const idx = await open();
        expect(idx.format).toBe('keras');
        if (want.warning) expect(idx.warnings.join('\n')).toContain(want.warning);
        else expect(idx.warnings).toEqual([]);
        expect(idx.tensors.map((t) => t.name)).toEqual(Object.keys(want.tensors));
        for (const t of idx.tensors) {
          const w = want.tensors[t.name]!;
          expect([t.dtype, t.shape, t.kind], t.name).toEqual([w.dtype, w.shape, w.kind]);
          expect(t.location.byteOrder, t.name).toBe(want.big_endian?.[t.name] ? 'big' : 'little');
        }
        expect(modules(idx.modules).filter(([n]) => !optimizerModules.has(n))).toEqual(want.tree);
        for (const [name, [fanIn, fanOut]] of Object.entries(want.fans)) expect(idx.tensors.find((t) => t.name === name)?.fans, name).toEqual({ fanIn, fanOut });
        // Vectors keep torch's shape rule; optimizer slots have no fans.
        for (const t of idx.tensors) if (t.shape.length < 2 || t.kind === 'optimizer') expect(t.fans, t.name).toBeUndefined();
        // The totals model.summary() prints.
        const f = (n: number): string => n.toLocaleString('en-US');
        expect(idx.container?.['model.summary()']).toBe(`${f(want.trainable + want.non_trainable)} params: ${f(want.trainable)} trainable, ${f(want.non_trainable)} non-trainable`);
      });

      it("totals as Keras's model.summary() counts them", async () => {
        const idx = await open();
        expect(idx.totalParameters).toBe(want.trainable);
        const nonTrainable = idx.tensors.filter((t) => t.kind === 'buffer').reduce((a, t) => a + t.count, 0);
        expect(nonTrainable).toBe(want.non_trainable);
      });

      it('values through the runtime are the ones numpy wrote', async () => {
        const idx = await open();
        const src = await FileByteSource.open(join(DIR, file));
        try {
          for (const t of idx.tensors) {
            const w = want.tensors[t.name]!;
            const got = [...(await readValues(src, t, { count: t.count }))];
            if (w.values) expect(got, t.name).toEqual(w.values);
            else expect(got.slice(0, w.first!.length), t.name).toEqual(w.first);
            if (w.sum === undefined) continue;
            expect(Math.min(...got), t.name).toBe(w.min);
            expect(Math.max(...got), t.name).toBe(w.max);
            expect(got.reduce((a, b) => a + b, 0), t.name).toBeCloseTo(w.sum, 5);
            if (t.dtype.startsWith('float')) {
              const stats = await computeTensorStats(src, t);
              expect([stats.count, stats.min, stats.max], t.name).toEqual([t.count, w.min, w.max]);
            }
          }
        } finally {
          await src.close();
        }
      });

      if (want.offsets) {
        it("each dataset's offset is the one HDF5's H5Dget_offset gives", async () => {
          const idx = await open();
          const byPath = new Map(idx.tensors.map((t) => [String(t.details?.hdf5Path), t.location.storageOffset]));
          for (const [path, offset] of Object.entries(want.offsets!)) expect(byPath.get(path), path).toBe(offset);
        });
      }
    });
  }

  it('a stored .keras reads its weights in place: offsets inside the model.weights.h5 record', async () => {
    const idx = await openModel(join(DIR, 'sequential.keras'));
    for (const t of idx.tensors) expect(t.location.encoding, t.name).toBeUndefined();
    const deflated = await openModel(join(DIR, 'deflated.keras'));
    for (const t of deflated.tensors) expect(t.location.encoding?.kind, t.name).toBe('deflate');
    expect(deflated.container?.['model.weights.h5']).toMatch(/deflated/);
  });

  it('access paths are Keras attributes: model.layers[i].kernel, model.optimizer.variables[i]', async () => {
    const idx = await openModel(join(DIR, 'functional_nested.keras'));
    const path = (n: string): string | undefined => idx.tensors.find((t) => t.name === n)?.path;
    expect(path('block/inner_bn/moving_mean')).toBe('functional_nested.layers[2].layers[1].moving_mean');
    const seq = await openModel(join(DIR, 'sequential.keras'));
    expect(seq.tensors.find((t) => t.name === 'optimizer/vars/3')?.path).toBe('sequential.optimizer.variables[3]');
    expect(modules(seq.modules).find(([n]) => n === 'optimizer')?.[1]).toBe('Adam');
  });

  it('metadata: the Keras version and backend, from metadata.json or the root attributes (fixed or variable-length strings)', async () => {
    const meta = async (f: string): Promise<Record<string, unknown>> => (await openModel(join(DIR, f))).metadata;
    expect(await meta('sequential.keras')).toMatchObject({ keras_version: '3.6.0', date_saved: '2026-12-03@18:00:00' });
    expect(await meta('keras2_model.h5')).toMatchObject({ keras_version: '2.13.1', backend: 'tensorflow' });
    expect(await meta('keras3_legacy.h5')).toMatchObject({ keras_version: '3.6.0', backend: 'jax' });
  });

  it("init detection judges a Keras kernel by Keras's fans: Glorot uniform's bound is sqrt(6 / (27 + 36)) for a 3x3x3x4 Conv2D", async () => {
    // The generator drew conv2d/kernel from U(±sqrt(6 / (fan_in + fan_out))) with compute_fans' 27 and 36;
    // torch's rule for that shape would give 36 and 36.
    const idx = await openModel(join(DIR, 'sequential.keras'));
    const conv = (await detectModelInit(idx)).find((d) => d.name === 'conv2d/kernel')!;
    expect(conv.scheme).toBe('xavier_uniform');
    expect(conv.params?.bound).toBeCloseTo(Math.sqrt(6 / 63), 5);
  });

  it('sniffs: .keras zips by their first entry, .h5 by the HDF5 signature and a Keras root', async () => {
    for (const file of Object.keys(expected.files)) {
      const src = await FileByteSource.open(join(DIR, file));
      try {
        expect(await kerasReader.match(src), file).toBe(true);
        expect((await selectReader(file, src)).id, file).toBe('keras');
      } finally {
        await src.close();
      }
    }
    // Other HDF5 files and other zips are not Keras's.
    const plain = readFileSync(join(DIR, 'keras2_model.h5'));
    expect(await kerasReader.match(new MemoryByteSource(new Uint8Array(64)))).toBe(false);
    expect(await kerasReader.match(new MemoryByteSource(plain.subarray(0, 600)))).toBe(false);
  });
});

describe('Keras files in the worker threads (where the extension reads them)', () => {
  let pool: WorkerPool;
  beforeAll(async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'paramscope-keras-')), 'tensorWorker.js');
    await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
    pool = new WorkerPool(out, 2);
  }, 60_000);
  afterAll(() => pool.dispose());

  for (const file of ['functional_nested.keras', 'deflated.keras', 'keras2_model.h5']) {
    it(`${file}: the index from a worker, statistics from the pool equal to one thread's`, async () => {
      const path = join(DIR, file);
      const index = await pool.run('index', { file: path });
      expect(index.tensors.map((t) => t.name)).toEqual(Object.keys(expected.files[file]!.tensors));
      const src = await FileByteSource.open(path);
      try {
        for (const t of index.tensors.filter((x) => x.dtype.startsWith('float'))) {
          const [local, pooled] = [await computeTensorStats(src, t), await pool.run('stats', { tensor: t })];
          expect([pooled.count, pooled.min, pooled.max], t.name).toEqual([local.count, local.min, local.max]);
        }
      } finally {
        await src.close();
      }
    });
  }
});
