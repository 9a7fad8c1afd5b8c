import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchTensors, pairRow, type MatchableTensor } from '../../src/model/diff/matchTensors';
import type { TensorKind } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import type { DType } from '../../src/core/dtypes';
import { expectedDiff } from './diffFixtures';
import { FIXTURES } from './fixtureFiles';

const T = (name: string, shape: number[], dtype: DType = 'float32', kind: TensorKind = 'tensor'): MatchableTensor => ({ name, shape, dtype, kind });
const rows = (m: ReturnType<typeof matchTensors>): Array<[string, string]> => m.pairs.map((p) => [p.name, p.status]);

describe('matching tensors by name', () => {
  it('classifies same, dtype-changed, reshaped, added and removed, in the second file’s order then the removed', () => {
    const a = [T('w', [4, 2]), T('b', [4]), T('gone', [3]), T('half', [2, 2]), T('head', [10, 4])];
    const b = [T('head', [5, 4]), T('half', [2, 2], 'bfloat16'), T('w', [4, 2]), T('new', [1]), T('b', [4])];
    const m = matchTensors(a, b);
    expect(rows(m)).toEqual([
      ['head', 'reshaped'],
      ['half', 'dtype-changed'],
      ['w', 'same'],
      ['new', 'added'],
      ['b', 'same'],
      ['gone', 'removed'],
    ]);
    expect(m.prefix).toEqual({ a: '', b: '' });
    expect(pairRow(m.pairs[0]!)).toEqual({ name: 'head', nameA: 'head', nameB: 'head', status: 'reshaped', dtypeA: 'float32', dtypeB: 'float32', shapeA: [10, 4], shapeB: [5, 4] });
  });

  it('tells a 0-d tensor from a [1] tensor', () => {
    expect(rows(matchTensors([T('s', [])], [T('s', [1])]))).toEqual([['s', 'reshaped']]);
  });

  it('drops a DataParallel `module.` prefix that every name of one side has', () => {
    const a = [T('0.weight', [2, 2]), T('0.bias', [2])];
    const b = [T('module.0.weight', [2, 2]), T('module.0.bias', [2])];
    const m = matchTensors(a, b);
    expect(m.prefix).toEqual({ a: '', b: 'module.' });
    expect(rows(m)).toEqual([
      ['module.0.weight', 'same'],
      ['module.0.bias', 'same'],
    ]);
    expect(m.pairs[0]!.a!.name).toBe('0.weight');
  });

  it('drops the longest shared prefix that pairs the most names (`model.module.`)', () => {
    const a = [T('model.module.fc.weight', [2, 2]), T('model.module.fc.bias', [2])];
    const b = [T('fc.weight', [2, 2]), T('fc.bias', [2])];
    expect(matchTensors(a, b).prefix).toEqual({ a: 'model.module.', b: '' });
  });

  it('never pairs names under different prefixes (encoder.w is not decoder.w)', () => {
    const m = matchTensors([T('encoder.w', [2])], [T('decoder.w', [2])]);
    expect(m.prefix).toEqual({ a: '', b: '' });
    expect(rows(m)).toEqual([
      ['decoder.w', 'added'],
      ['encoder.w', 'removed'],
    ]);
  });

  it('keeps exact names when they already pair everything, even if one side has a shared prefix', () => {
    const m = matchTensors([T('block.w', [2]), T('block.b', [2])], [T('block.w', [2]), T('block.b', [2]), T('w', [3])]);
    expect(m.prefix).toEqual({ a: '', b: '' });
    expect(rows(m)).toEqual([
      ['block.w', 'same'],
      ['block.b', 'same'],
      ['w', 'added'],
    ]);
  });

  it('compares buffers by default and leaves out optimizer state; --no-buffers leaves out buffer-only pairs', () => {
    const a = [T('fc.weight', [2, 2], 'float32', 'parameter'), T('bn.running_mean', [2], 'float32', 'buffer'), T('pos_ids', [8], 'int64', 'buffer'), T('opt.exp_avg', [2, 2], 'float32', 'optimizer')];
    // A safetensors copy cannot say "buffer" for pos_ids; its kind comes from the name (tensor).
    const b = [T('fc.weight', [2, 2]), T('bn.running_mean', [2], 'float32', 'buffer'), T('pos_ids', [8], 'int64', 'tensor')];
    const m = matchTensors(a, b);
    expect(rows(m)).toEqual([
      ['fc.weight', 'same'],
      ['bn.running_mean', 'same'],
      ['pos_ids', 'same'],
    ]);
    expect(m.ignored).toEqual({ a: 1, b: 0 });
    expect(m.buffers).toBe(true);
    const without = matchTensors(a, b, { buffers: false });
    // A buffer still pairs with a plain-tensor twin.
    expect(rows(without)).toEqual([
      ['fc.weight', 'same'],
      ['pos_ids', 'same'],
    ]);
    expect(without.ignored).toEqual({ a: 2, b: 1 });
    expect(without.buffers).toBe(false);
  });

  it('pairs a checkpoint’s model.* parameters with the module file, leaving the optimizer out', async () => {
    const [ckpt, net] = await Promise.all([openModel(join(FIXTURES, 'models/checkpoint.pt')), openModel(join(FIXTURES, 'models/net.pt'))]);
    const m = matchTensors(ckpt.tensors, net.tensors);
    expect(m.prefix).toEqual({ a: 'model.', b: '' });
    expect(rows(m)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias'].map((n) => [n, 'same']));
    expect(m.ignored).toEqual({ a: 12, b: 0 });
  });

  it.each(expectedDiff.pairs.map((p) => [p.a, p.b, p] as const))('%s vs %s: rows, statuses, dtypes and shapes as torch lists them', async (a, b, p) => {
    const [ia, ib] = await Promise.all([openModel(join(FIXTURES, a)), openModel(join(FIXTURES, b))]);
    const m = matchTensors(ia.tensors, ib.tensors);
    expect(m.prefix).toEqual(p.prefix);
    expect(m.pairs.map(pairRow)).toEqual(p.tensors.map(({ metrics: _m, ...row }) => row));
  });
});
