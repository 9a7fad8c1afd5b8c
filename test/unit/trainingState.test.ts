import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { optimizerSlots, slotParameter, trainingProgress } from '../../src/model/trainingState';
import { FIXTURES } from './fixtureFiles';

/** torch's answers (test/fixtures/make_training_fixtures.py): each state entry's parameter, and the progress recorded. */
const expected = JSON.parse(readFileSync(join(FIXTURES, 'training/expected_training.json'), 'utf8')) as {
  files: Record<string, { slots: Record<string, string>; epoch: number | null; step: number | null; lr: number[] }>;
};

describe('training checkpoints', () => {
  /**
   * adam_two_groups hands Adam its weights, then its biases: torch's numbering is not the model's
   * order, and that is not knowable from the file (shapes alone could pair biases of one size
   * either way), so its slots stay numbered: a name shown is always torch's.
   */
  const UNNAMED = new Set(['training/adam_two_groups.pt']);

  it.each(Object.entries(expected.files))('%s: optimizer state named by its parameters as torch numbers them', async (file, exp) => {
    const index = await openModel(join(FIXTURES, file));
    const slots = Object.fromEntries([...optimizerSlots(index)].map(([state, t]) => [state, t.name]));
    if (UNNAMED.has(file)) {
      expect(slots).toEqual({});
      return;
    }
    expect(slots).toEqual(exp.slots);
    // Each state tensor (exp_avg, momentum_buffer, step) finds its parameter through its slot.
    for (const t of index.tensors.filter((x) => x.kind === 'optimizer')) {
      const param = slotParameter(index, t.name);
      expect(param?.name, t.name).toBe(exp.slots[t.name.slice(0, t.name.lastIndexOf('.'))]);
      if (t.shape.length > 0) expect(t.shape).toEqual(param!.shape);
    }
  });

  it.each(Object.entries(expected.files))('%s: epoch, step and learning rates', async (file, exp) => {
    const p = trainingProgress(await openModel(join(FIXTURES, file)));
    expect(p.epoch).toBe(exp.epoch ?? undefined);
    expect(p.step).toBe(exp.step ?? undefined);
    expect(p.lr).toEqual(exp.lr);
  });

  it('a model file with no optimizer has no slots and no progress', async () => {
    const index = await openModel(join(FIXTURES, 'models/net.pt'));
    expect(optimizerSlots(index).size).toBe(0);
    expect(trainingProgress(index)).toEqual({});
  });

  it('the seed’s checkpoint.pt: Adam state[i] is the i-th parameter of model', async () => {
    const index = await openModel(join(FIXTURES, 'models/checkpoint.pt'));
    expect(Object.fromEntries([...optimizerSlots(index)].map(([s, t]) => [s, t.name]))).toEqual({
      'optimizer.state.0': 'model.0.weight',
      'optimizer.state.1': 'model.0.bias',
      'optimizer.state.2': 'model.2.weight',
      'optimizer.state.3': 'model.2.bias',
    });
    expect(trainingProgress(index)).toEqual({ epoch: 3, lr: [0.001] });
  });
});
