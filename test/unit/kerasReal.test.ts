// The Keras reader on files real Keras 3.15.1 wrote (test/fixtures/keras/real/make_real_keras.py,
// jax backend): every weight as Keras names it (`variable.path`), its dtype, shape and kind, its
// values and statistics, the optimizer's variables, the layer classes and model.summary()'s
// totals — every expectation from Keras's own variables, never from this reader.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelIndex, ModuleNode, TensorEntry } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { readValues } from '../../src/runtime/readValues';
import { computeTensorStats } from '../../src/runtime/stats';
import { checkFile } from '../fuzz/oracle';
import { FIXTURES } from './fixtureFiles';

const DIR = join(FIXTURES, 'keras', 'real');

interface KerasWeight {
  shape: number[];
  dtype: string;
  trainable: boolean;
  first: number[];
  sum?: number;
  min?: number;
  max?: number;
}
interface KerasFile {
  weights: Record<string, KerasWeight>;
  count_params: number;
  trainable: number;
  non_trainable: number;
  model_class: string;
  model_name: string;
  layers: Array<[string, string]>;
  optimizer_class?: string;
  optimizer?: Array<KerasWeight & { path: string }>;
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { keras_version: string; files: Record<string, KerasFile> };

/**
 * Our name for a Keras variable path. Keras prefixes a Sequential's variables with the model's
 * name (`cnn/conv2d/kernel`), a Functional's not (`block/inner_dense/kernel`); the reader names
 * them from the model's layers down (`conv2d/kernel`). A `.weights.h5` has no config, so its
 * names are the file's layer groups, keyed by class (`layers/conv2d_1/kernel`): in these models
 * every layer keeps its default name, which is that key.
 */
function ourName(file: string, want: KerasFile, path: string): string {
  const bare = want.model_class === 'Sequential' && path.startsWith(`${want.model_name}/`) ? path.slice(want.model_name.length + 1) : path;
  return file.endsWith('.weights.h5') ? `layers/${bare}` : bare;
}

/** The optimizer's variables: by position in a Keras 3 file (`optimizer/vars/3`), by Keras's path in a legacy .h5. */
const optimizerName = (file: string, path: string, i: number): string => (file.endsWith('_legacy.h5') ? `optimizer_weights/${path}` : `optimizer/vars/${i}`);

/** Every module below the root as [names joined with `/`, class]. */
function modules(node: ModuleNode, prefix = ''): Array<[string, string | null]> {
  return node.children.flatMap((c) => {
    const name = prefix ? `${prefix}/${c.name}` : c.name;
    return [[name, c.type] as [string, string | null], ...modules(c, name)];
  });
}

/** All that Keras says a file holds, by our names, in Keras's order: weights, then the optimizer's. */
function wanted(file: string, want: KerasFile): Array<[string, KerasWeight, 'parameter' | 'buffer' | 'optimizer']> {
  const weights = Object.entries(want.weights).map(([p, w]): [string, KerasWeight, 'parameter' | 'buffer'] => [ourName(file, want, p), w, w.trainable ? 'parameter' : 'buffer']);
  const optimizer = (want.optimizer ?? []).map((w, i): [string, KerasWeight, 'optimizer'] => [optimizerName(file, w.path, i), w, 'optimizer']);
  return [...weights, ...optimizer];
}

const f = (n: number): string => n.toLocaleString('en-US');

describe(`Keras files real Keras ${expected.keras_version} wrote`, () => {
  for (const [file, want] of Object.entries(expected.files)) {
    describe(file, () => {
      let index: ModelIndex;
      const open = async (): Promise<ModelIndex> => (index ??= await openModel(join(DIR, file)));

      it('names, dtypes, shapes and kinds as Keras has them, in its order, with no warnings', async () => {
        const idx = await open();
        expect(idx.format).toBe('keras');
        expect(idx.warnings).toEqual([]);
        const all = wanted(file, want);
        // A .weights.h5 lists its layer groups in the file's (name) order, not the model's.
        const order = (names: string[]): string[] => (file.endsWith('.weights.h5') ? [...names].sort() : names);
        expect(order(idx.tensors.map((t) => t.name))).toEqual(order(all.map(([n]) => n)));
        for (const [name, w, kind] of all) {
          const t = idx.tensors.find((x) => x.name === name)!;
          expect([t.dtype, t.shape, t.kind], name).toEqual([w.dtype, w.shape, kind]);
        }
      });

      it("totals as model.summary() prints them (count_params, trainable, non-trainable)", async () => {
        const idx = await open();
        expect(want.trainable + want.non_trainable).toBe(want.count_params);
        expect(idx.totalParameters).toBe(want.trainable);
        expect(idx.container?.['model.summary()']).toBe(`${f(want.count_params)} params: ${f(want.trainable)} trainable, ${f(want.non_trainable)} non-trainable`);
      });

      it('the layer classes in the module tree', async () => {
        const tree = new Map(modules((await open()).modules));
        if (file.endsWith('.weights.h5')) {
          // No config: the classes of the layers that have weights, from their groups' names.
          for (const [name, cls] of want.layers) if (Object.keys(want.weights).some((p) => ourName(file, want, p).startsWith(`layers/${name}/`))) expect(tree.get(`layers/${name}`), name).toBe(cls);
          return;
        }
        for (const [name, cls] of want.layers) expect(tree.get(name), name).toBe(cls);
        if (want.optimizer_class) expect(tree.get(file.endsWith('.h5') ? 'optimizer_weights' : 'optimizer')).toBe(want.optimizer_class);
      });

      it('values and statistics through the runtime are the ones Keras holds', async () => {
        const idx = await open();
        const src = await FileByteSource.open(join(DIR, file));
        try {
          for (const [name, w] of wanted(file, want)) {
            const t = idx.tensors.find((x) => x.name === name) as TensorEntry;
            const got = [...(await readValues(src, t, { count: t.count }))];
            expect(got.slice(0, w.first.length), name).toEqual(w.first);
            if (w.sum === undefined) continue;
            expect([Math.min(...got), Math.max(...got)], name).toEqual([w.min, w.max]);
            expect(got.reduce((a, b) => a + b, 0), name).toBeCloseTo(w.sum, 5);
            if (!t.dtype.startsWith('float')) continue;
            const stats = await computeTensorStats(src, t);
            expect([stats.count, stats.min, stats.max], name).toEqual([t.count, w.min, w.max]);
          }
        } finally {
          await src.close();
        }
      });

      it('passes the fuzz oracle (every tensor inside the file, exact counts, statistics compute)', async () => {
        const check = await checkFile(join(DIR, file), async (p) => readFileSync(p));
        expect(check.outcome).toBe('opened');
        expect(check.problems).toEqual([]);
        expect(check.tensors).toBe(wanted(file, want).length);
      });
    });
  }

  it("access paths are Keras's attributes: a nested Sequential's layer, an RNN's cell, the optimizer's variables", async () => {
    const path = async (file: string, name: string): Promise<string | undefined> => (await openModel(join(DIR, file))).tensors.find((t) => t.name === name)?.path;
    expect(await path('functional_nested.keras', 'block/inner_bn/moving_mean')).toBe('functional_nested.layers[1].layers[1].moving_mean');
    expect(await path('functional_nested.keras', 'shared/kernel')).toBe('functional_nested.layers[2].kernel');
    expect(await path('recurrent.keras', 'bidirectional/backward_lstm/lstm_cell/recurrent_kernel')).toBe('recurrent.layers[1].backward_layer.cell.recurrent_kernel');
    expect(await path('recurrent.keras', 'gru/gru_cell/bias')).toBe('recurrent.layers[2].cell.bias');
    expect(await path('cnn.keras', 'optimizer/vars/3')).toBe('cnn.optimizer.variables[3]');
    expect(await path('cnn_legacy.h5', 'optimizer_weights/adam/iteration')).toBe('cnn_legacy.optimizer.weights[0]');
  });

  it("a Bidirectional's two layers and the recurrent layers' cells are modules of their own class", async () => {
    const tree = new Map(modules((await openModel(join(DIR, 'recurrent.keras'))).modules));
    const names = ['bidirectional/forward_lstm', 'bidirectional/forward_lstm/lstm_cell', 'bidirectional/backward_lstm', 'bidirectional/backward_lstm/lstm_cell', 'gru/gru_cell'];
    expect(names.map((n) => tree.get(n))).toEqual(['LSTM', 'LSTMCell', 'LSTM', 'LSTMCell', 'GRUCell']);
  });

  it('metadata: the Keras version that wrote the file', async () => {
    expect((await openModel(join(DIR, 'cnn.keras'))).metadata).toMatchObject({ keras_version: expected.keras_version });
    expect((await openModel(join(DIR, 'cnn_legacy.h5'))).metadata).toMatchObject({ keras_version: expected.keras_version, backend: 'jax' });
  });
});
