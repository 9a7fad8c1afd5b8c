// openModel(file, { tree: false }): the tensors and counts torch recorded, without the module tree.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { FIXTURES, expected } from './fixtureFiles';

describe('an index without its tree', () => {
  it("lists every fixture's tensors with torch's counts, and the total, with an empty root", async () => {
    let checked = 0;
    for (const [rel, want] of Object.entries(expected.files)) {
      const full = await openModel(join(FIXTURES, rel));
      const lean = await openModel(join(FIXTURES, rel), { tree: false });
      expect(lean.tensors.map((t) => [t.name, t.dtype, t.shape, t.count]), rel).toEqual(full.tensors.map((t) => [t.name, t.dtype, t.shape, t.count]));
      expect(lean.tensors.map((t) => t.location), rel).toEqual(full.tensors.map((t) => t.location));
      // torch's count where the generator recorded one; the full index's (tied storage once) elsewhere.
      expect(lean.totalParameters, rel).toBe(want.totalParameters ?? full.totalParameters);
      expect([lean.modules.children.length, lean.modules.parameterCount], rel).toEqual([0, lean.totalParameters]);
      checked += want.totalParameters === undefined ? 0 : 1;
    }
    expect(checked).toBeGreaterThan(10);
  });
});
