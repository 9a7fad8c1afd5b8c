// Palette workflows driven through the real vscode API: Export Summary (values checked against
// torch's), the status-bar item for the active model, and the command list the palette offers.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import { activateParamScope, expected, manifest, until, workspaceFile } from './helpers';

let api: ParamScopeApi;
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'paramscope-export-'));

interface TorchTensor {
  name: string;
  path: string;
  dtype: string;
  shape: number[];
  stats: { min: number; max: number; mean: number; std: number | null; zeros: number };
}

suite('palette workflows', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('Export Summary writes CSV with torch’s statistics for every tensor of rgnet.pt', async () => {
    const target = vscode.Uri.file(path.join(out, 'rgnet.csv'));
    const written = await vscode.commands.executeCommand<vscode.Uri>('paramscope.exportSummary', { uri: workspaceFile('rgnet.pt'), format: 'csv', statistics: true, target, open: false });
    assert.equal(written?.fsPath, target.fsPath);
    const lines = fs.readFileSync(target.fsPath, 'utf8').trimEnd().split('\r\n');
    assert.equal(lines[0], 'name,path,kind,dtype,shape,count,min,max,mean,std,zeros,nan,inf,l2');
    const torch: TorchTensor[] = expected.files['models/rgnet.pt'].tensors;
    assert.equal(lines.length, torch.length + 1);
    for (const [i, t] of torch.entries()) {
      // No field of these names needs quoting.
      const cells = lines[i + 1]!.split(',');
      assert.deepEqual(cells.slice(0, 5), [t.name, t.path, 'parameter', t.dtype, t.shape.join('x')]);
      assert.equal(Number(cells[6]), t.stats.min, `${t.name} min`);
      assert.equal(Number(cells[7]), t.stats.max, `${t.name} max`);
      assert.ok(Math.abs(Number(cells[8]) - t.stats.mean) <= 1e-6 * Math.max(1, Math.abs(t.stats.mean)), `${t.name} mean`);
      if (t.stats.std !== null) assert.ok(Math.abs(Number(cells[9]) - t.stats.std) <= 1e-6 * t.stats.std, `${t.name} std`);
      assert.equal(Number(cells[10]), t.stats.zeros, `${t.name} zeros`);
    }
  });

  test('Export Summary writes Markdown and JSON like `paramscope inspect`', async () => {
    const md = vscode.Uri.file(path.join(out, 'net.md'));
    await vscode.commands.executeCommand('paramscope.exportSummary', { uri: workspaceFile('net.pt'), format: 'markdown', statistics: false, target: md });
    // Opened in an editor beside the workspace.
    await until('the summary in an editor', () => (vscode.window.activeTextEditor?.document.uri.fsPath === md.fsPath ? true : undefined));
    const text = fs.readFileSync(md.fsPath, 'utf8');
    assert.match(text, /^# `net\.pt`\n/);
    assert.ok(text.includes('| `2.bias` | `net[2].bias` | parameter | float32 | [1] | 1 |'), text);
    const json = vscode.Uri.file(path.join(out, 'net.json'));
    await vscode.commands.executeCommand('paramscope.exportSummary', { uri: workspaceFile('net.pt'), format: 'json', statistics: false, target: json, open: false });
    const parsed = JSON.parse(fs.readFileSync(json.fsPath, 'utf8'));
    const torch: TorchTensor[] = expected.files['models/net.pt'].tensors;
    assert.deepEqual(parsed.parameters.map((p: TorchTensor) => [p.name, p.path, p.shape]), torch.map((t) => [t.name, t.path, t.shape]));
    assert.equal(parsed.totalParameters, expected.files['models/net.pt'].totalParameters);
  });

  test('the status bar names the model of the active summary editor and of the tree selection', async () => {
    const uri = workspaceFile('rgnet.safetensors');
    await vscode.commands.executeCommand('paramscope.openModel', uri);
    await until('the status bar on rgnet.safetensors', () => (api.statusBar.current?.toString() === uri.toString() ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Through the reveal command, which waits out a re-render of the tree after the last test's file change.
    assert.equal(await vscode.commands.executeCommand('paramscope.revealParameter', { uri: workspaceFile('mlp.pt') }), true);
    await until('the status bar on mlp.pt', () => (api.statusBar.current?.toString() === workspaceFile('mlp.pt').toString() ? true : undefined));
  });

  test('the palette offers every workflow of issue 6 under the ParamScope category', () => {
    const titles = new Map<string, string>(manifest.contributes.commands.map((c: { command: string; title: string; category: string }) => [c.command, c.title]));
    for (const id of ['paramscope.findParameter', 'paramscope.showInitReport', 'paramscope.showTiedParameters', 'paramscope.compareModels', 'paramscope.exportSummary', 'paramscope.copyAccessPath', 'paramscope.bindVariable']) {
      assert.ok(titles.has(id), `${id} is not contributed`);
    }
    assert.ok(manifest.contributes.commands.every((c: { category: string }) => c.category === '%category%'));
  });
});

suite('find parameter', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
    // Every model read, so the pick is complete the moment it opens.
    await Promise.all((await api.registry.list()).map((e) => api.registry.load(e.uri)));
    // No preview panel left from earlier suites: one their closeAllEditors closed may not have
    // heard its onDidDispose yet, and re-targeting it would show the parameter in a closing panel.
    for (const p of [...api.panels.openPanels.values()]) p.dispose();
  });

  teardown(async () => {
    for (const p of [...api.panels.openPanels.values()]) p.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('Find Parameter matches bits of a name fuzzily, best first, and opens the panel with torch’s statistics', async () => {
    // "block 1 … bias" in rgnet.pt, typed the way a person remembers it.
    void vscode.commands.executeCommand('paramscope.findParameter', { query: 'b1bias rgnet.pt' });
    // Give the pick a moment to show and rank its items, then accept the first, as Enter does.
    await new Promise((r) => setTimeout(r, 1500));
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const key = `${workspaceFile('rgnet.pt').toString()}#0.block 1.0.bias`;
    const panel = await until('the panel of rgnet.pt’s 0.block 1.0.bias', () => api.panels.openPanels.get(key));
    const stats = (await until('its statistics', () => panel.lastStats)) as { min: number; max: number };
    const torch = expected.files['models/rgnet.pt'].tensors.find((t: TorchTensor) => t.name === '0.block 1.0.bias')!;
    assert.equal(stats.min, torch.stats.min);
    assert.equal(stats.max, torch.stats.max);
  });
});
