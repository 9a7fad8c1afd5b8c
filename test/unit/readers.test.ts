import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storageRegionKey } from '../../src/model/buildIndex';
import type { ModuleNode } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { FIXTURES, expected, type ExpectedModule } from './fixtureFiles';

function shapeOf(m: ModuleNode): ExpectedModule {
  return { name: m.name, type: m.type, sameAs: m.sameAs ?? null, children: m.children.map(shapeOf), parameters: m.parameters };
}

function strip(m: ExpectedModule): ExpectedModule {
  return { name: m.name, type: m.type, sameAs: m.sameAs, children: m.children.map(strip), parameters: m.parameters };
}

/** `(name): Type` lines of `print(model)`, in order. */
function printedChildren(print: string): string[] {
  return [...print.matchAll(/^ *\(([^)\n]+)\): (\w+)/gm)].map((m) => `${m[1]}:${m[2]}`);
}

/** `name:Type` of every module below `m`, in order; container levels (no type) have no line of their own. */
function walkedChildren(m: ModuleNode): string[] {
  return m.children.flatMap((c) => [...(c.type === null ? [] : [`${c.name}:${c.type}`]), ...walkedChildren(c)]);
}

describe.each(Object.entries(expected.files))('%s (made by torch)', (rel, exp) => {
  it('reads the format, names, dtypes, shapes, kinds and access paths torch reports', async () => {
    const index = await openModel(join(FIXTURES, rel));
    expect(index.format).toBe(exp.format);
    expect(index.rootName).toBe(exp.rootName);
    expect(index.tensors.map((t) => t.name)).toEqual(exp.tensors.map((t) => t.name));
    for (const [i, t] of exp.tensors.entries()) {
      const ours = index.tensors[i]!;
      expect({ name: ours.name, dtype: ours.dtype, shape: ours.shape, path: ours.path }).toEqual({ name: t.name, dtype: t.dtype, shape: t.shape, path: t.path });
      // Where torch knows the kinds: module pickles, and checkpoints holding whole modules.
      if (exp.isModule || exp.modules) expect(ours.kind).toBe(t.kind);
    }
    if (exp.totalParameters !== undefined) expect(index.totalParameters).toBe(exp.totalParameters);
  });

  if (exp.modules) {
    it('recovers the module tree of the pickled nn.Module(s), as print(model) shows it', async () => {
      const index = await openModel(join(FIXTURES, rel));
      expect(index.moduleTreeSource).toBe('pickle');
      expect(shapeOf(index.modules)).toEqual(strip(exp.modules!));
      expect(walkedChildren(index.modules)).toEqual(printedChildren(exp.print!));
    });
  }

  if (exp.ties.length > 0) {
    it('gives tied tensors one storage region, and only them', async () => {
      const index = await openModel(join(FIXTURES, rel));
      const key = new Map(index.tensors.map((t) => [t.name, storageRegionKey(t)]));
      for (const group of exp.ties) expect(new Set(group.map((n) => key.get(n))).size).toBe(1);
      const tiedNames = new Set(exp.ties.flat());
      const untied = index.tensors.filter((t) => !tiedNames.has(t.name)).map((t) => storageRegionKey(t));
      expect(new Set(untied).size).toBe(untied.length);
    });
  }

  if (Object.keys(exp.metadata).length > 0) {
    it('keeps the metadata beside the tensors', async () => {
      const index = await openModel(join(FIXTURES, rel));
      expect(index.metadata).toMatchObject(exp.metadata);
    });
  }
});
