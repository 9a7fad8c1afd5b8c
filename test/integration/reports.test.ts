// The init report, the tied-parameters panel and the jump between tied twins, driven through the
// real vscode API on the workspace copy of the fixtures.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import { activateParamScope, child, expected, label, until, workspaceFile } from './helpers';

let api: ParamScopeApi;

suite('reports', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
  });

  teardown(async () => {
    for (const p of [...api.initReports.openPanels.values(), ...api.ties.openPanels.values()]) p.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the init report of net_myinit.state_dict.pt names the seed my_init: masked_uniform', async () => {
    const uri = workspaceFile('net_myinit.state_dict.pt');
    await vscode.commands.executeCommand('paramscope.showInitReport', uri);
    const panel = await until('the init report', () => api.initReports.openPanels.get(uri.toString()));
    await until('every row detected', () => (panel.results.size === 4 ? true : undefined));
    // One row per floating parameter, in file order, as `paramscope init` lists them.
    assert.deepEqual([...panel.results.keys()].sort(), ['0.bias', '0.weight', '2.bias', '2.weight']);
    const weight = panel.results.get('0.weight')!.result!;
    assert.equal(weight.scheme, 'masked_uniform');
    // my_init: uniform(-10, 10), then |w| < 5 set to zero.
    assert.ok(Math.abs(Number(weight.params.a) - 10) < 1, `a = ${weight.params.a}`);
    assert.ok(Math.abs(Number(weight.params.threshold) - 5) < 0.5, `threshold = ${weight.params.threshold}`);
    // The fit covers the values my_init left non-zero (torch counted the zeros).
    const torch = expected.files['models/net_myinit.state_dict.pt'].tensors.find((t: { name: string }) => t.name === '0.weight').stats;
    assert.ok(weight.fit && weight.fit.p > 0.001, `fit ${JSON.stringify(weight.fit)}`);
    assert.equal(weight.fit.n, torch.count - torch.zeros);
    assert.ok(weight.runnerUp, 'no runner-up');
    // 8 values are too few to tell schemes apart.
    assert.equal(panel.results.get('0.bias')!.result!.scheme, 'too_few');
  });

  test('the init report of net.pt, opened from its row in the Models tree, names PyTorch’s default init', async () => {
    const file = await child(api, undefined, 'net.pt');
    await vscode.commands.executeCommand('paramscope.showInitReport', file);
    const panel = await until('the init report', () => api.initReports.openPanels.get(workspaceFile('net.pt').toString()));
    const weight = await until('0.weight detected', () => panel.results.get('0.weight')?.result);
    assert.equal(weight.scheme, 'pytorch_default');
    // nn.Linear(4, 8): U(±1/√fan_in) with fan_in 4.
    assert.equal(weight.params.fan_in, 4);
    assert.equal(weight.params.bound, 0.5);
  });

  test('the tied-parameters panel of shared.pt links net[2] and net[4] by storage and by module', async () => {
    const uri = workspaceFile('shared.pt');
    await vscode.commands.executeCommand('paramscope.showTiedParameters', uri);
    const panel = await until('the ties panel', () => api.ties.openPanels.get(uri.toString()));
    const data = await until('the ties sent to the page', () => panel.lastData);
    const storage = data.ties.filter((g) => g.evidence === 'storage').map((g) => g.members.map((m) => m.path));
    assert.deepEqual(storage, [
      ['shared[2].weight', 'shared[4].weight'],
      ['shared[2].bias', 'shared[4].bias'],
    ]);
    const weights = data.ties.find((g) => g.evidence === 'storage' && g.members[0]!.name === '2.weight')!;
    assert.deepEqual(weights.members.map((m) => m.parameters.map((p) => p.name)), [['2.weight'], ['4.weight']]);
    assert.deepEqual([weights.bytes, weights.saved], [8 * 8 * 4, 8 * 8 * 4]);
    const modules = data.ties.filter((g) => g.evidence === 'module');
    assert.deepEqual(
      modules.map((g) => g.members.map((m) => [m.path, m.detail])),
      [
        [
          ['shared[2]', 'Linear'],
          ['shared[4]', 'Linear'],
        ],
      ],
    );
    assert.equal(modules[0]!.bytes, (64 + 8) * 4);
    // The layer is stored once: one Linear(8, 8) saved, not the sum of the three overlapping groups.
    assert.equal(data.totalSaved, (64 + 8) * 4);
    assert.deepEqual(data.identical, []);
    assert.deepEqual(data.views, []);
  });

  test('Go to Tied Twin selects shared[2].weight from shared[4].weight in the Models tree', async () => {
    const shared = await child(api, undefined, 'shared.pt');
    const from = await child(api, await child(api, shared, '4 · Linear'), 'weight');
    const item = await api.tree.getTreeItem(from);
    assert.equal(item.contextValue, 'paramscope.parameter.tied');
    const untied = await api.tree.getTreeItem(await child(api, await child(api, shared, '0 · Linear'), 'weight'));
    assert.equal(untied.contextValue, 'paramscope.parameter');

    await vscode.commands.executeCommand('paramscope.revealTiedTwin', from);
    const selected = await until('the twin selected', () => {
      const s = api.treeView.selection[0];
      return s && s !== from ? s : undefined;
    });
    assert.equal(selected.kind, 'param');
    assert.equal(selected.kind === 'param' && selected.name, '2.weight');
    assert.equal(selected.uri, workspaceFile('shared.pt').toString());
    assert.equal(await label(api, api.tree.getParent(selected)!), '2 · Linear');

    // And back.
    await vscode.commands.executeCommand('paramscope.revealTiedTwin', selected);
    const back = await until('the first twin selected again', () => (api.treeView.selection[0] === from ? from : undefined));
    assert.equal(back.kind === 'param' && back.name, '4.weight');
  });
});
