// The Models tree, the summary editor and the parameter panel, driven through the real vscode API.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import { activateParamScope, child, expected, label, until, workspaceFile } from './helpers';

let api: ParamScopeApi;

suite('models tree', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
  });

  test('lists the workspace model files, with format and parameter totals', async () => {
    const files = await api.tree.getChildren();
    const labels = await Promise.all(files.map((f) => label(api, f)));
    for (const f of ['net.pt', 'rgnet.pt', 'shared.pt', 'net.safetensors', 'checkpoint.pt', 'sharded/model.safetensors.index.json']) assert.ok(labels.includes(f), `${f} missing from ${labels.join(', ')}`);
    // Shards are shown through their index only.
    assert.ok(!labels.includes('sharded/model-00001-of-00002.safetensors'));
    const rgnet = files[labels.indexOf('rgnet.pt')]!;
    const item = await api.tree.getTreeItem(rgnet);
    assert.equal(item.description, `${expected.files['models/rgnet.pt'].totalParameters} params · pytorch-zip`);
  });

  test('expands rgnet.pt to 0 › block 1 › 0 › bias with types, counts and the access path', async () => {
    const files = await api.tree.getChildren();
    const rgnet = files[(await Promise.all(files.map((f) => label(api, f)))).indexOf('rgnet.pt')]!;
    const block = await child(api, await child(api, rgnet, '0 · Sequential'), 'block 1 · Sequential');
    assert.equal((await api.tree.getTreeItem(block)).description, '76 params');
    const linear = await child(api, block, '0 · Linear');
    const bias = await child(api, linear, 'bias');
    const item = await api.tree.getTreeItem(bias);
    assert.equal(item.description, 'float32 [8] · 8');
    assert.match((item.tooltip as vscode.MarkdownString).value, /rgnet\[0\]\[1\]\[0\]\.bias/);
    assert.equal(item.command?.command, 'paramscope.showParameter');
    // getParent walks back up, so reveal() works.
    assert.equal(api.tree.getParent(bias), linear);
    assert.equal(api.tree.getParent(linear), block);
    assert.equal(api.tree.getParent(api.tree.getParent(block)!), rgnet);
  });

  test('marks a broken file and keeps the others', async () => {
    const files = await api.tree.getChildren();
    const labels = await Promise.all(files.map((f) => label(api, f)));
    // A truncated zip, and a safetensors file cut inside its header: nothing to show.
    for (const file of ['broken/net.truncated.pt', 'broken/net.truncated.safetensors']) {
      const item = await api.tree.getTreeItem(files[labels.indexOf(file)]!);
      assert.equal(item.description, 'cannot read', file);
      assert.equal((item.iconPath as vscode.ThemeIcon).id, 'error', file);
      assert.match(String(item.tooltip), /truncated/, file);
    }
    assert.ok(labels.includes('net.pt'));
  });

  test('lists the intact tensors of a safetensors file cut inside its data, marked with a warning', async () => {
    // net.truncated90.safetensors: 90% of net.safetensors, which keeps 0.weight whole.
    const files = await api.tree.getChildren();
    const labels = await Promise.all(files.map((f) => label(api, f)));
    const cut = files[labels.indexOf('broken/net.truncated90.safetensors')]!;
    const weight = expected.files['models/net.safetensors'].tensors.find((t: { name: string }) => t.name === '0.weight');
    const count = weight.shape.reduce((a: number, b: number) => a * b, 1);
    const item = await api.tree.getTreeItem(cut);
    assert.equal(item.description, `${count} params · safetensors`);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'warning');
    assert.match(String(item.tooltip), /⚠ file is cut short: 146 of 196 data bytes present; 3 tensors missing: 0\.bias, 2\.weight, 2\.bias/);
    const block = await child(api, cut, '0');
    assert.deepEqual(await Promise.all((await api.tree.getChildren(block)).map((k) => label(api, k))), ['weight']);
    const leaf = await api.tree.getTreeItem(await child(api, block, 'weight'));
    assert.equal(leaf.description, `${weight.dtype} [${weight.shape.join(', ')}] · ${count}`);
    assert.match((leaf.tooltip as vscode.MarkdownString).value, /net\[0\]\.weight/);
  });

  test('shows a tied layer once in the totals, with a link to its twin', async () => {
    const entry = await api.registry.load(workspaceFile('shared.pt'));
    assert.equal(entry.index?.totalParameters, expected.files['models/shared.pt'].totalParameters);
    const files = await api.tree.getChildren();
    const shared = files[(await Promise.all(files.map((f) => label(api, f)))).indexOf('shared.pt')]!;
    const twin = await child(api, await child(api, shared, '4 · Linear'), 'weight');
    const item = await api.tree.getTreeItem(twin);
    assert.equal(item.description, 'float32 [8, 8] · 64 · tied with shared[2].weight');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'link');
  });
});

suite('commands and panels', () => {
  test('Copy Access Path puts the Python expression on the clipboard', async () => {
    await vscode.commands.executeCommand('paramscope.copyAccessPath', { uri: workspaceFile('rgnet.pt').toString(), name: '0.block 1.0.bias' });
    assert.equal(await vscode.env.clipboard.readText(), 'rgnet[0][1][0].bias');
    await vscode.commands.executeCommand('paramscope.copyStateDictKey', { uri: workspaceFile('rgnet.pt').toString(), name: '0.block 1.0.bias' });
    assert.equal(await vscode.env.clipboard.readText(), '0.block 1.0.bias');
  });

  test('the parameter panel receives statistics equal to torch', async () => {
    const uri = workspaceFile('rgnet.pt');
    await vscode.commands.executeCommand('paramscope.showParameter', { uri: uri.toString(), name: '0.block 1.0.weight' });
    const panel = await until('the panel', () => api.panels.openPanels.get(`${uri.toString()}#0.block 1.0.weight`));
    const stats = (await until('statistics sent to the webview', () => panel.lastStats)) as { min: number; max: number; mean: number; std: number; histogram: { counts: number[] } };
    const torch = expected.files['models/rgnet.pt'].tensors.find((t: { name: string }) => t.name === '0.block 1.0.weight').stats;
    for (const k of ['min', 'max', 'mean', 'std'] as const) assert.ok(Math.abs(stats[k] - torch[k]) <= 1e-9 * Math.abs(torch[k]), `${k}: ${stats[k]} vs torch ${torch[k]}`);
    assert.deepEqual(stats.histogram.counts, torch.histogram.counts);
    panel.dispose();
  });

  test('an open panel follows its file when the file changes', async () => {
    const uri = workspaceFile('changing.pt');
    await vscode.workspace.fs.copy(workspaceFile('net_normal.state_dict.pt'), uri, { overwrite: true });
    await vscode.commands.executeCommand('paramscope.showParameter', { uri: uri.toString(), name: '0.weight' });
    const panel = await until('the panel', () => api.panels.openPanels.get(`${uri.toString()}#0.weight`));
    const before = (await until('first statistics', () => panel.lastStats)) as { max: number };
    assert.equal(before.max, expected.files['models/net_normal.state_dict.pt'].tensors[0].stats.max);
    // net_constant's weights are all 1: the panel must come to show the new file's values (a late
    // answer for the old file may arrive first; what counts is that the new one follows).
    await vscode.workspace.fs.writeFile(uri, await vscode.workspace.fs.readFile(workspaceFile('net_constant.state_dict.pt')));
    const after = await until('statistics of the changed file', () => {
      const s = panel.lastStats as { min: number; max: number } | undefined;
      return s && s.min === 1 && s.max === 1 ? s : undefined;
    });
    assert.deepEqual([after.min, after.max], [1, 1]);
    panel.dispose();
    await vscode.workspace.fs.delete(uri);
  });

  test('model files open in the read-only summary editor', async () => {
    await vscode.commands.executeCommand('paramscope.openModel', workspaceFile('net.pt'));
    const tab = await until('the summary tab', () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t?.input instanceof vscode.TabInputCustom ? t : undefined;
    });
    assert.equal((tab.input as vscode.TabInputCustom).viewType, 'paramscope.modelSummary');
    assert.equal((tab.input as vscode.TabInputCustom).uri.path, workspaceFile('net.pt').path);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
