// The Models tree, the summary editor and the parameter panel, driven through the real vscode API.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import { runFolders } from '../../src/views/runFolders';
import { activateParamScope, child, expected, fileRows, label, repoRoot, until, workspaceFile } from './helpers';

let api: ParamScopeApi;

/** Markdown's backslash escapes undone: the text a tooltip shows. */
const unescape = (md: string): string => md.replace(/\\(.)/g, '$1');

suite('models tree', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
  });

  test('lists the workspace model files under their folders, with format and parameter totals', async () => {
    const rows = await fileRows(api);
    const paths = [...rows.keys()];
    for (const f of ['net.pt', 'rgnet.pt', 'shared.pt', 'net.safetensors', 'checkpoint.pt', 'sharded/model.safetensors.index.json']) assert.ok(rows.has(f), `${f} missing from ${paths.join(', ')}`);
    // Shards are shown through their index only.
    assert.ok(!rows.has('sharded/model-00001-of-00002.safetensors'));
    const item = await api.tree.getTreeItem(rows.get('rgnet.pt')!);
    assert.equal(item.description, `${expected.files['models/rgnet.pt'].totalParameters} params · pytorch-zip`);
    // A file in a folder is named by its file name under the folder's row, which counts its models.
    const folder = await child(api, undefined, 'sharded');
    const folderItem = await api.tree.getTreeItem(folder);
    assert.equal(folderItem.description, '1 model');
    assert.equal(await label(api, rows.get('sharded/model.safetensors.index.json')!), 'model.safetensors.index.json');
    assert.equal(api.tree.getParent(rows.get('sharded/model.safetensors.index.json')!), folder);
    assert.equal(api.tree.getParent(rows.get('rgnet.pt')!), undefined);
  });

  test('a folder of two or more checkpoints of one model lists a Training run row first; a click opens the run page', async () => {
    // The torch-made SGD run: four checkpoints of one MLP and other_model.pt, another network.
    const sgd = workspaceFile('tree-sgd-run');
    fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'series', 'sgd'), sgd.fsPath, { recursive: true });
    try {
      api.registry.refresh();
      const folder = await until('tree-sgd-run in the Models view', async () => {
        const row = (await api.tree.getChildren(undefined)).find((k) => k.kind === 'folder' && k.uri === sgd.toString());
        return row && (await api.tree.getChildren(row)).length === 6 ? row : undefined;
      });
      const [run, ...rest] = await api.tree.getChildren(folder);
      assert.equal(run?.kind, 'run');
      assert.equal(run.id, `t:${sgd.toString()}`);
      assert.deepEqual(rest.map((k) => k.kind), ['file', 'file', 'file', 'file', 'file']);
      const item = await api.tree.getTreeItem(run);
      assert.equal(item.label, 'Training run');
      // Of one model by the run's own rule: other_model.pt is not counted.
      assert.equal(item.description, '4 checkpoints');
      assert.equal(item.accessibilityInformation?.label, 'Training run, 4 checkpoints');
      assert.equal((item.iconPath as vscode.ThemeIcon).id, 'graph-line');
      assert.equal(item.contextValue, 'paramscope.run');
      assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.None);
      assert.equal(item.command?.command, 'paramscope.showTrainingRun');
      assert.deepEqual(item.command?.arguments?.map(String), [sgd.toString()]);
      assert.ok(item.command?.arguments?.[0] instanceof vscode.Uri);
      assert.equal(api.tree.getParent(run), folder);
      assert.equal((await api.tree.getChildren(run)).length, 0);
      // The palette's pick counts the same way.
      assert.equal((await runFolders(api.registry)).find((f) => f.uri.toString() === sgd.toString())?.count, 4);
    } finally {
      fs.rmSync(sgd.fsPath, { recursive: true, force: true });
      api.registry.refresh();
    }
    // broken/ holds three model files, one readable: no run. sharded/ lists one model (its shards hide behind the index).
    for (const f of ['broken', 'sharded']) assert.ok((await api.tree.getChildren(await child(api, undefined, f))).every((k) => k.kind !== 'run'), f);

    // Trainer's checkpoint-N/ folders count for the folder above them.
    const dir = workspaceFile('tree-hf-run');
    fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'series', 'hf'), dir.fsPath, { recursive: true });
    try {
      api.registry.refresh();
      const hf = await until('tree-hf-run in the Models view', async () => {
        const rows = await api.tree.getChildren(undefined);
        const row = rows.find((k) => k.kind === 'folder' && k.uri === dir.toString());
        return row && (await api.tree.getChildren(row)).length === 4 ? row : undefined;
      });
      const kids = await api.tree.getChildren(hf);
      const labels = await Promise.all(kids.map((k) => label(api, k)));
      assert.equal(labels[0], 'Training run');
      assert.deepEqual(labels.slice(1).sort(), ['checkpoint-100', 'checkpoint-1000', 'checkpoint-250']);
      const hfItem = await api.tree.getTreeItem(kids[0]!);
      assert.equal(hfItem.description, '3 checkpoints');
      await vscode.commands.executeCommand(hfItem.command!.command, ...hfItem.command!.arguments!);
      const panel = await until('the run panel', () => api.series.openPanels.get(dir.toString()));
      const data = await until('the pass done', () => (panel.data?.settled ? panel.data : undefined), 60_000);
      assert.deepEqual(data.result?.checkpoints.map((c) => c.file), ['checkpoint-100', 'checkpoint-250', 'checkpoint-1000']);
      panel.dispose();
    } finally {
      fs.rmSync(dir.fsPath, { recursive: true, force: true });
      api.registry.refresh();
      await until('tree-hf-run gone from the Models view', async () => ((await api.tree.getChildren(undefined)).some((k) => k.uri === dir.toString()) ? undefined : true));
    }
  });

  test('counts are short in the rows (exact in the tooltip); a stubbed class is a note, not a warning', async () => {
    const rows = await fileRows(api);
    const total = expected.files['models/mlp.pt'].totalParameters as number;
    assert.ok(total >= 1000 && total < 1e6, `mlp.pt has ${total} parameters`);
    const mlp = await api.tree.getTreeItem(rows.get('mlp.pt')!);
    // Independent of our formatter: one decimal of thousands, a trailing .0 dropped.
    assert.equal(mlp.description, `${Math.round(total / 100) / 10}K params · pytorch-zip`);
    const tip = unescape((mlp.tooltip as vscode.MarkdownString).value);
    assert.ok(tip.includes(`${total.toLocaleString('en-US')} parameters`), tip);
    // mlp.pt pickles a class of its own (__main__.MLP): its code is not run, which is no problem.
    assert.equal((mlp.iconPath as vscode.ThemeIcon).id, 'database');
    assert.ok(tip.includes('$(info) unknown class __main__.MLP: shown as a stub'), tip);
    assert.doesNotMatch(mlp.accessibilityInformation?.label ?? '', /warning/);
  });

  test('a training checkpoint shows its epoch, and names each optimizer state slot by its parameter', async () => {
    const ckpt = (await fileRows(api)).get('checkpoint.pt')!;
    const item = await api.tree.getTreeItem(ckpt);
    // Its parameters are the model's (torch's state_dict under `model`); the optimizer's state is not counted.
    const model = (expected.files['models/checkpoint.pt'].tensors as Array<{ name: string; shape: number[] }>).filter((t) => t.name.startsWith('model.'));
    const total = model.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(item.description, `${total} params · pytorch-zip · epoch 3`);
    assert.ok(unescape((item.tooltip as vscode.MarkdownString).value).includes('epoch 3 · lr 0.001'), (item.tooltip as vscode.MarkdownString).value);
    // Adam numbers parameters in param_groups order: state[1] is the model's second parameter.
    const slot = await child(api, await child(api, await child(api, ckpt, 'optimizer'), 'state'), '1');
    assert.equal((await api.tree.getTreeItem(slot)).description, 'state of model.0.bias');
  });

  test('expands rgnet.pt to 0 › block 1 › 0 › bias with types, counts and the access path', async () => {
    const rgnet = (await fileRows(api)).get('rgnet.pt')!;
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
    const rows = await fileRows(api);
    // A truncated zip, and a safetensors file cut inside its header: nothing to show.
    for (const file of ['broken/net.truncated.pt', 'broken/net.truncated.safetensors']) {
      const item = await api.tree.getTreeItem(rows.get(file)!);
      assert.equal(item.description, 'cannot read', file);
      assert.equal((item.iconPath as vscode.ThemeIcon).id, 'error', file);
      assert.match(String(item.tooltip), /truncated/, file);
    }
    assert.ok(rows.has('net.pt'));
  });

  test('lists the intact tensors of a safetensors file cut inside its data, marked with a warning', async () => {
    // net.truncated90.safetensors: 90% of net.safetensors, which keeps 0.weight whole.
    const cut = (await fileRows(api)).get('broken/net.truncated90.safetensors')!;
    const weight = expected.files['models/net.safetensors'].tensors.find((t: { name: string }) => t.name === '0.weight');
    const count = weight.shape.reduce((a: number, b: number) => a * b, 1);
    const item = await api.tree.getTreeItem(cut);
    assert.equal(item.description, `${count} params · safetensors`);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'warning');
    const tip = unescape((item.tooltip as vscode.MarkdownString).value);
    assert.ok(tip.includes('$(warning) 1 warning:'), tip);
    assert.ok(tip.includes('file is cut short: 146 of 196 data bytes present; 3 tensors missing: 0.bias, 2.weight, 2.bias'), tip);
    const block = await child(api, cut, '0');
    assert.deepEqual(await Promise.all((await api.tree.getChildren(block)).map((k) => label(api, k))), ['weight']);
    const leaf = await api.tree.getTreeItem(await child(api, block, 'weight'));
    assert.equal(leaf.description, `${weight.dtype} [${weight.shape.join(', ')}] · ${count}`);
    assert.match((leaf.tooltip as vscode.MarkdownString).value, /net\[0\]\.weight/);
  });

  test('shows a tied layer once in the totals, with a link to its twin', async () => {
    const entry = await api.registry.load(workspaceFile('shared.pt'));
    assert.equal(entry.index?.totalParameters, expected.files['models/shared.pt'].totalParameters);
    const shared = (await fileRows(api)).get('shared.pt')!;
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
