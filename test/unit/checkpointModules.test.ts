import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelIndex, ModuleNode } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { printModuleTree } from '../../src/model/printTree';
import { expressionsAt } from '../../src/model/pythonExpression';
import { resolveSteps, type Target } from '../../src/model/resolveExpression';
import { findModuleTies } from '../../src/model/ties';
import { FIXTURES, expected } from './fixtureFiles';

// Whole nn.Modules inside checkpoint containers (make_fixtures.py, build_checkpoints_with_modules):
//   ckpt_module = {'model': Sequential(Linear, BatchNorm1d, ReLU, Linear), 'optimizer': Adam.state_dict(), 'epoch': 3}
//   ckpt_gan    = {'generator': ModuleDict(body=Linear, act=Tanh), 'discriminator': Sequential(fc=Linear, act=Sigmoid), 'step': 10}
//   ckpt_list   = {'nets': [a, b, a], 'best': 1}  (a = Sequential(Linear, ReLU), b = Linear without bias)
const indexes = new Map<string, ModelIndex>();
const index = (stem: string): ModelIndex => indexes.get(stem)!;

beforeAll(async () => {
  for (const stem of ['ckpt_module', 'ckpt_gan', 'ckpt_list', 'checkpoint']) indexes.set(stem, await openModel(join(FIXTURES, 'models', `${stem}.pt`)));
});

function moduleAt(root: ModuleNode, qualifiedName: string): ModuleNode | undefined {
  if (root.qualifiedName === qualifiedName) return root;
  for (const c of root.children) {
    const hit = moduleAt(c, qualifiedName);
    if (hit) return hit;
  }
  return undefined;
}

function resolve(stem: string, src: string): Target | undefined {
  const chain = expressionsAt(src, src.length - 1).find((e) => e.kind === 'chain');
  if (!chain || chain.kind !== 'chain') throw new Error(`no chain in ${src}`);
  return resolveSteps(index(stem), chain.steps);
}

describe('modules pickled inside checkpoint containers', () => {
  it('keep their types, parameterless modules and buffers under the dict key, beside typeless optimizer state', () => {
    const printed = printModuleTree(index('ckpt_module')).split('\n');
    // torch: print(ckpt['model']) lists (0): Linear, (1): BatchNorm1d, (2): ReLU, (3): Linear.
    expect(printed.slice(0, 20)).toEqual([
      '(  # 65 params',
      '  (model): Sequential(  # 65 params',
      '    (0): Linear(  # 40 params',
      '      weight: float32[8, 4] = 32',
      '      bias: float32[8] = 8',
      '    )',
      '    (1): BatchNorm1d(  # 16 params',
      '      weight: float32[8] = 8',
      '      bias: float32[8] = 8',
      '      running_mean: float32[8] = 8 (buffer)',
      '      running_var: float32[8] = 8 (buffer)',
      '      num_batches_tracked: int64[] = 1 (buffer)',
      '    )',
      '    (2): ReLU()',
      '    (3): Linear(  # 9 params',
      '      weight: float32[1, 8] = 8',
      '      bias: float32[1] = 1',
      '    )',
      '  )',
      '  (optimizer): (  # 0 params',
    ]);
    expect(printed.filter((l) => l.includes('(optimizer state)'))).toHaveLength(18);
    const ix = index('ckpt_module');
    expect(ix.moduleTreeSource).toBe('pickle');
    expect(ix.totalParameters).toBe(expected.files['models/ckpt_module.pt']!.totalParameters);
    expect(moduleAt(ix.modules, 'optimizer.state.0')).toMatchObject({ type: null, path: "ckpt_module['optimizer']['state'][0]", parameterCount: 0 });
    expect(ix.metadata).toMatchObject({ epoch: 3 });
  });

  it('reach children by their class: Sequential by position (even when named), ModuleDict by key', () => {
    const ix = index('ckpt_gan');
    expect(moduleAt(ix.modules, 'discriminator.fc')).toMatchObject({ type: 'Linear', path: "ckpt_gan['discriminator'][0]" });
    expect(moduleAt(ix.modules, 'generator.act')).toMatchObject({ type: 'Tanh', path: "ckpt_gan['generator']['act']", parameterCount: 0 });
    expect(ix.tensors.find((t) => t.name === 'generator.body.weight')).toMatchObject({ kind: 'parameter', path: "ckpt_gan['generator']['body'].weight" });
    expect(ix.totalParameters).toBe(12 + 5);
  });

  it('name a module met twice in a list as the same module, counted once', () => {
    const ix = index('ckpt_list');
    expect(moduleAt(ix.modules, 'nets')).toMatchObject({ type: null, path: "ckpt_list['nets']", parameterCount: 12 });
    expect(moduleAt(ix.modules, 'nets.2')).toMatchObject({ type: 'Sequential', sameAs: 'nets.0', path: "ckpt_list['nets'][2]" });
    expect(ix.totalParameters).toBe(expected.files['models/ckpt_list.pt']!.totalParameters);
    expect(printModuleTree(ix)).toContain("    (2): Sequential(same module as nets.0)  # 8 params");
    // Only the outermost repeat: nets.0 is nets.2 implies the same of their children.
    expect(findModuleTies(ix).map((g) => g.names)).toEqual([['nets.0', 'nets.2']]);
  });

  it('resolve hover chains through the container steps and then the module tree', () => {
    const name = (t: Target | undefined): string | undefined => (t?.kind === 'tensor' ? t.tensor.name : undefined);
    expect(name(resolve('ckpt_module', "ckpt_module['model'][0].weight"))).toBe('model.0.weight');
    expect(name(resolve('ckpt_module', "ckpt_module['model'][1].running_var"))).toBe('model.1.running_var');
    expect(name(resolve('ckpt_module', "ckpt_module['optimizer']['state'][0]['exp_avg']"))).toBe('optimizer.state.0.exp_avg');
    expect(resolve('ckpt_module', "ckpt_module['model'][2]")).toMatchObject({ kind: 'module', module: { type: 'ReLU', qualifiedName: 'model.2' } });
    expect(name(resolve('ckpt_list', "ckpt_list['nets'][2][0].bias"))).toBe('nets.2.0.bias');
    expect(name(resolve('ckpt_gan', "ckpt_gan['discriminator'][0].weight"))).toBe('discriminator.fc.weight');
    expect(resolve('ckpt_gan', "ckpt_gan['generator'][0]")).toBeUndefined();
  });

  it('refuse chains Python would refuse: attributes of a dict, an index for a dict key', () => {
    expect(resolve('ckpt_module', 'ckpt_module.model[0].weight')).toBeUndefined();
    expect(resolve('ckpt_list', "ckpt_list['nets']['1']")).toBeUndefined();
    expect(resolve('ckpt_list', 'ckpt_list.nets[1]')).toBeUndefined();
  });

  it('leave a state_dict inside a checkpoint as before: a tree from its names', () => {
    const ix = index('checkpoint');
    expect(ix.moduleTreeSource).toBe('names');
    expect(moduleAt(ix.modules, 'model')).toMatchObject({ type: null, path: "checkpoint['model']" });
    // `0` of the key '0.weight' is no object of its own: no access path.
    expect(moduleAt(ix.modules, 'model.0')).toMatchObject({ type: null, path: '' });
    expect(ix.tensors.find((t) => t.name === 'model.0.weight')!.path).toBe("checkpoint['model']['0.weight']");
  });
});
