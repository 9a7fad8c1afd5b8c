import { describe, expect, it } from 'vitest';
import { modelOfNode, TreeNodeCache } from '../../src/views/treeNodes';

const FOLDER = 'file:///ws/runs/mlp';
const FILE = `${FOLDER}/epoch_1.pt`;

describe('TreeNodeCache', () => {
  it("gives a run folder's Training run row one object, apart from the folder's row", () => {
    const nodes = new TreeNodeCache();
    const run = nodes.run(FOLDER, 'runs/mlp');
    expect(run).toEqual({ kind: 'run', id: `t:${FOLDER}`, uri: FOLDER, path: 'runs/mlp' });
    // getParent and reveal compare elements by identity.
    expect(nodes.run(FOLDER, 'runs/mlp')).toBe(run);
    const folder = nodes.folder(FOLDER, 'runs/mlp');
    expect(folder.id).toBe(`d:${FOLDER}`);
    expect(folder).not.toBe(run);
  });

  it('keeps the run row while its folder is listed, and forgets it with the folder', () => {
    const nodes = new TreeNodeCache();
    const run = nodes.run(FOLDER, 'runs/mlp');
    // A file of the folder changed: its own nodes go, the folder's rows stay.
    nodes.clear(FILE);
    nodes.retain(new Set([FOLDER, FILE]));
    expect(nodes.run(FOLDER, 'runs/mlp')).toBe(run);
    // The folder left the listing (its checkpoints deleted): a new listing makes a new row.
    nodes.retain(new Set([FILE]));
    const again = nodes.run(FOLDER, 'runs/mlp');
    expect(again).not.toBe(run);
    expect(again).toEqual(run);
  });

  it("names the model file of a file's rows, none for a folder's", () => {
    const nodes = new TreeNodeCache();
    expect(modelOfNode(nodes.file(FILE))).toBe(FILE);
    expect(modelOfNode(nodes.param(FILE, '0.weight', '0'))).toBe(FILE);
    expect(modelOfNode(nodes.folder(FOLDER, 'runs/mlp'))).toBeUndefined();
    expect(modelOfNode(nodes.run(FOLDER, 'runs/mlp'))).toBeUndefined();
  });
});
