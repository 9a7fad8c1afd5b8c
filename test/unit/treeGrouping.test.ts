import { describe, expect, it } from 'vitest';
import type { ModelIndex, ModuleNode } from '../../src/core/modelIndex';
import { childPosition, childRanges, parentRange, rangeOf, repeatedChildren } from '../../src/views/treeNodes';

describe('childRanges', () => {
  it('lists nothing when the children fit in one list', () => {
    expect(childRanges(0, 100)).toEqual([]);
    expect(childRanges(0, 12)).toEqual([]);
  });
  it('splits 128 experts into [0…99] and [100…127]', () => {
    expect(childRanges(0, 128)).toEqual([
      [0, 100],
      [100, 128],
    ]);
  });
  it('groups 100,000 children into 10 ranges of 10,000, each into 100 of 100', () => {
    const top = childRanges(0, 100_000);
    expect(top).toHaveLength(10);
    expect(top[0]).toEqual([0, 10_000]);
    expect(top[9]).toEqual([90_000, 100_000]);
    const inner = childRanges(10_000, 20_000);
    expect(inner).toHaveLength(100);
    expect(inner[1]).toEqual([10_100, 10_200]);
    expect(childRanges(10_100, 10_200)).toEqual([]);
  });
  it('never lists more than the limit at any level', () => {
    for (const n of [101, 999, 10_000, 10_001, 123_457]) {
      const walk = (s: number, e: number): void => {
        const r = childRanges(s, e);
        expect(r.length).toBeLessThanOrEqual(100);
        expect(r.length === 0 ? e - s : r.length).toBeLessThanOrEqual(100);
        if (r.length) {
          expect(r[0]![0]).toBe(s);
          expect(r[r.length - 1]![1]).toBe(e);
          walk(...r[r.length - 1]!);
        }
      };
      walk(0, n);
    }
  });
});

describe('rangeOf and parentRange (getParent for reveal)', () => {
  it('finds the innermost range of a child and walks back up', () => {
    expect(rangeOf(5, 12)).toBeUndefined();
    expect(rangeOf(127, 128)).toEqual([100, 128]);
    expect(rangeOf(12_345, 100_000)).toEqual([12_300, 12_400]);
    expect(parentRange(12_300, 12_400, 100_000)).toEqual([10_000, 20_000]);
    expect(parentRange(10_000, 20_000, 100_000)).toBeUndefined();
    expect(parentRange(100, 128, 128)).toBeUndefined();
  });
});

function mod(qualifiedName: string, type: string | null, children: ModuleNode[], parameters: string[] = []): ModuleNode {
  const name = qualifiedName.split('.').pop() ?? '';
  return { name, qualifiedName, type, path: qualifiedName, children, parameters, parameterCount: parameters.length };
}

function indexOf(shapes: Record<string, number[]>, modules: ModuleNode): ModelIndex {
  const tensors = Object.entries(shapes).map(([name, shape]) => ({ name, dtype: 'F32', shape, count: shape.reduce((a, b) => a * b, 1), path: name }));
  return { tensors, modules } as unknown as ModelIndex;
}

describe('repeatedChildren', () => {
  const expert = (e: number, width = 8): { m: ModuleNode; shapes: Record<string, number[]> } => {
    const q = `experts.${e}`;
    return { m: mod(q, 'ExpertMLP', [], [`${q}.up.weight`, `${q}.down.weight`]), shapes: { [`${q}.up.weight`]: [width, 4], [`${q}.down.weight`]: [4, width] } };
  };
  it('names a stack of 128 alike experts', () => {
    const kids = Array.from({ length: 128 }, (_, e) => expert(e));
    const experts = mod('experts', 'ModuleList', kids.map((k) => k.m));
    const index = indexOf(Object.assign({}, ...kids.map((k) => k.shapes)), mod('', null, [experts]));
    expect(repeatedChildren(experts, index)).toEqual({ first: '0', last: '127', count: 128, type: 'ExpertMLP' });
    expect(childPosition(experts, 'experts.127')).toBe(127);
  });
  it('does not group a Sequential of different layers, nor blocks of different shapes', () => {
    const seq = mod('block', 'Sequential', [mod('block.0', 'Linear', [], ['block.0.weight']), mod('block.1', 'ReLU', []), mod('block.2', 'Linear', [], ['block.2.weight'])]);
    expect(repeatedChildren(seq, indexOf({ 'block.0.weight': [8, 4], 'block.2.weight': [4, 8] }, seq))).toBeUndefined();
    const a = expert(0, 8);
    const b = expert(1, 16);
    const uneven = mod('experts', null, [a.m, b.m]);
    expect(repeatedChildren(uneven, indexOf({ ...a.shapes, ...b.shapes }, uneven))).toBeUndefined();
  });
});
