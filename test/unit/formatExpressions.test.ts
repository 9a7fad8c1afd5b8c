// The expressions Python code writes for the newer formats' tensors resolve to them: Keras's
// `model.layers[i].kernel` and `model.optimizer.variables[j]`, an .npz's `data['key']`.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { expressionsAt, type ChainExpression } from '../../src/model/pythonExpression';
import { resolveSteps } from '../../src/model/resolveExpression';
import { FIXTURES } from './fixtureFiles';

function chainAt(src: string, needle: string): ChainExpression {
  const e = expressionsAt(src, src.indexOf(needle) + needle.length - 1).find((x) => x.kind === 'chain');
  if (!e || e.kind !== 'chain') throw new Error(`no chain at ${needle}`);
  return e;
}

describe('expressions of Keras and NumPy code', () => {
  it("Keras: model.layers[i].kernel and a BatchNormalization's moving_mean", async () => {
    const index = await openModel(join(FIXTURES, 'keras', 'sequential.keras'));
    const code = "model = keras.models.load_model('sequential.keras')\nk = model.layers[0].kernel\nm = model.layers[1].moving_mean\n";
    const kernel = resolveSteps(index, chainAt(code, 'model.layers[0].kernel').steps);
    expect(kernel?.kind === 'tensor' && kernel.tensor.name).toBe('conv2d/kernel');
    const mean = resolveSteps(index, chainAt(code, 'model.layers[1].moving_mean').steps);
    expect(mean?.kind === 'tensor' && mean.tensor.kind).toBe('buffer');
  });

  it("NumPy: data['encoder.0.weight'] of an np.savez file", async () => {
    const index = await openModel(join(FIXTURES, 'numpy', 'state.npz'));
    const code = "data = np.load('state.npz')\nw = data['encoder.0.weight']\n";
    const t = resolveSteps(index, chainAt(code, "data['encoder.0.weight']").steps);
    expect(t?.kind === 'tensor' && t.tensor.name).toBe('encoder.0.weight');
  });
});
