// The parameter preview panel: one webview that opening another parameter re-targets (as VS Code's
// preview editors), pinned by working in it or a double click; off with either setting.
import * as assert from 'node:assert/strict';
import { setup, suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import type { ParameterPanel } from '../../src/views/parameterPanel';
import { activateParamScope, child, expected, fileRows, until, workspaceFile } from './helpers';

let api: ParamScopeApi;

interface Stats {
  count: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  histogram: { counts: number[] };
}

/** The labels of the open parameter panels' tabs. */
function parameterTabs(): string[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('paramscope.parameterPanel'))
    .map((t) => t.label);
}

async function show(file: string, name: string): Promise<ParameterPanel> {
  const uri = workspaceFile(file);
  await vscode.commands.executeCommand('paramscope.showParameter', { uri: uri.toString(), name });
  return until(`the panel of ${name}`, () => api.panels.openPanels.get(`${uri.toString()}#${name}`));
}

/** The statistics the panel sent for `name`, checked against torch's (test/fixtures/expected.json). */
async function assertTorchStats(panel: ParameterPanel, file: string, name: string): Promise<void> {
  const torch = (expected.files[`models/${file}`].tensors as Array<{ name: string; stats: Stats }>).find((t) => t.name === name)!.stats;
  // The count tells this tensor's statistics from the one shown before.
  const stats = await until(`statistics of ${name}`, () => {
    const s = panel.lastStats as Stats | undefined;
    return s && s.count === torch.count && s.min === torch.min ? s : undefined;
  });
  for (const k of ['min', 'max', 'mean', 'std'] as const) assert.ok(Math.abs(stats[k] - torch[k]) <= 1e-9 * Math.abs(torch[k]), `${name} ${k}: ${stats[k]} vs torch ${torch[k]}`);
  assert.deepEqual(stats.histogram.counts, torch.histogram.counts, `${name}'s histogram`);
}

async function closeParameterPanels(): Promise<void> {
  for (const p of [...api.panels.openPanels.values()]) p.dispose();
  await until('no parameter tab', () => (parameterTabs().length === 0 ? true : undefined));
}

suite('parameter preview panel', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
  });
  setup(closeParameterPanels);
  teardown(async () => {
    await vscode.workspace.getConfiguration('paramscope.parameterPanel').update('preview', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('workbench.editor').update('enablePreview', undefined, vscode.ConfigurationTarget.Global);
    await closeParameterPanels();
  });

  test('opening another parameter re-targets the preview: one panel, its title, the new statistics (torch), the status bar on the new file', async () => {
    const first = await show('rgnet.pt', '0.block 1.0.weight');
    assert.equal(first.isPreview, true);
    await assertTorchStats(first, 'rgnet.pt', '0.block 1.0.weight');
    const second = await show('rgnet.pt', '0.block 1.0.bias');
    assert.equal(second, first, 'a new panel was made instead of re-targeting the preview');
    assert.deepEqual([...api.panels.openPanels.keys()], [`${workspaceFile('rgnet.pt').toString()}#0.block 1.0.bias`]);
    assert.equal(second.name, '0.block 1.0.bias');
    await until('one tab titled for the bias', () => (JSON.stringify(parameterTabs()) === JSON.stringify(['0.block 1.0.bias · rgnet.pt']) ? true : undefined));
    await assertTorchStats(second, 'rgnet.pt', '0.block 1.0.bias');
    // Another file: the status bar names the file the preview shows now.
    const third = await show('net.pt', '2.weight');
    assert.equal(third, first);
    await assertTorchStats(third, 'net.pt', '2.weight');
    await until('the status bar on net.pt', () => (api.statusBar.current?.toString() === workspaceFile('net.pt').toString() ? true : undefined));
    assert.deepEqual(parameterTabs(), ['2.weight · net.pt']);
  });

  test('opening the preview’s own parameter again reveals it and does not pin it', async () => {
    const first = await show('net.pt', '0.weight');
    await show('net.pt', '0.weight');
    assert.equal(first.isPreview, true);
    const next = await show('net.pt', '0.bias');
    assert.equal(next, first);
    assert.equal(api.panels.openPanels.size, 1);
  });

  test('a pinned panel keeps its parameter: the next one gets a new panel, which is the preview', async () => {
    const kept = await show('net.pt', '0.weight');
    await assertTorchStats(kept, 'net.pt', '0.weight');
    // What the page's keepOpen (zoom, slice, scroll, overlay, "Keep open") does on the host.
    kept.pin();
    assert.equal(kept.isPreview, false);
    const preview = await show('net.pt', '0.bias');
    assert.notEqual(preview, kept);
    assert.equal(preview.isPreview, true);
    assert.equal(kept.name, '0.weight');
    await assertTorchStats(preview, 'net.pt', '0.bias');
    // The one after re-targets the new preview, never the pinned panel.
    const again = await show('net.pt', '2.bias');
    assert.equal(again, preview);
    assert.deepEqual([...api.panels.openPanels.values()].map((p) => p.name).sort(), ['0.weight', '2.bias']);
    await until('two tabs', () => (JSON.stringify(parameterTabs().sort()) === JSON.stringify(['0.weight · net.pt', '2.bias · net.pt']) ? true : undefined));
    // Shown again (a hidden webview's page is rebuilt), it asks for its own tensor's statistics.
    kept.lastStats = undefined;
    kept.reveal();
    await assertTorchStats(kept, 'net.pt', '0.weight');
  });

  test('a double click on a tree row (two invocations within 500 ms, in either order) pins its panel; two slow clicks do not', async () => {
    const file = (await fileRows(api)).get('net.pt')!;
    // Module rows read `0 · Linear`, parameter rows `weight`.
    const row = async (name: string): Promise<unknown> => {
      const [m, p] = name.split('.') as [string, string];
      const modules = await api.tree.getChildren(file);
      const labels = await Promise.all(modules.map((k) => api.tree.getTreeItem(k).then((i) => (typeof i.label === 'string' ? i.label : (i.label?.label ?? '')))));
      return child(api, modules[labels.findIndex((l) => l.split(' · ')[0] === m)], p);
    };
    const weight = await row('0.weight');
    await vscode.commands.executeCommand('paramscope.showParameter', weight);
    await new Promise((r) => setTimeout(r, 600));
    await vscode.commands.executeCommand('paramscope.showParameter', weight);
    const panel = await until('the panel', () => api.panels.openPanels.get(`${workspaceFile('net.pt').toString()}#0.weight`));
    assert.equal(panel.isPreview, true, 'two clicks 600 ms apart pinned the panel');
    const bias = await row('0.bias');
    await Promise.all([vscode.commands.executeCommand('paramscope.showParameter', bias), vscode.commands.executeCommand('paramscope.showParameter', bias)]);
    assert.equal(panel.name, '0.bias', 'the first click of the double click did not re-target the preview');
    assert.equal(panel.isPreview, false, 'a double click did not pin the panel');
    const other = await show('net.pt', '2.weight');
    assert.notEqual(other, panel);
  });

  for (const [section, key] of [
    ['paramscope.parameterPanel', 'preview'],
    ['workbench.editor', 'enablePreview'],
  ] as const) {
    test(`with ${section}.${key} off, every parameter gets its own panel`, async () => {
      await vscode.workspace.getConfiguration(section).update(key, false, vscode.ConfigurationTarget.Global);
      const a = await show('net.pt', '0.weight');
      await assertTorchStats(a, 'net.pt', '0.weight');
      const b = await show('net.pt', '0.bias');
      assert.notEqual(a, b);
      assert.equal(a.isPreview, false);
      assert.equal(b.isPreview, false);
      await assertTorchStats(b, 'net.pt', '0.bias');
      assert.equal(a.name, '0.weight');
      assert.equal(api.panels.openPanels.size, 2);
    });
  }
});
