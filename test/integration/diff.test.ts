// Compare Two Models, driven through the real vscode API on the workspace copy of the fixtures:
// the diff panel's rows and metrics against what torch computed (test/fixtures/expected_diff.json).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import type { TensorDiff } from '../../src/runtime/tensorDiff';
import type { DiffPanel } from '../../src/views/diffPanel';
import type { ExpectedDiffPair } from '../unit/diffFixtures';
import { activateParamScope, child, repoRoot, until, workspaceFile } from './helpers';

// The expected rows' shape is shared with the unit tests (types only: nothing of vitest is loaded).
type ExpectedPair = ExpectedDiffPair;
const expectedDiff: { pairs: ExpectedPair[] } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'expected_diff.json'), 'utf8'));
const expectedPair = (a: string, b: string): ExpectedPair => expectedDiff.pairs.find((p) => p.a === `models/${a}` && p.b === `models/${b}`)!;

/** Sums and ratios to 1e-9 relative (torch sums pairwise, we in compensated blocks); counts exactly. */
function assertLikeTorch(ours: TensorDiff | undefined, torch: TensorDiff, name: string): void {
  assert.ok(ours, `${name}: no metrics`);
  assert.deepEqual(
    [ours.count, ours.compared, ours.nanMismatch, ours.infMismatch, ours.identical],
    [torch.count, torch.compared, torch.nanMismatch, torch.infMismatch, torch.identical],
    name,
  );
  for (const k of ['sumSqA', 'sumSqB', 'sumSqDiff', 'dot', 'relL2', 'maxAbsDiff', 'cosine'] as const) {
    const o: number | null = ours[k];
    const t: number | null = torch[k];
    if (o === null || t === null) assert.equal(o, t, `${name}.${k}`);
    else assert.ok(Math.abs(o - t) <= 1e-9 * Math.max(Math.abs(t), Number.MIN_VALUE), `${name}.${k}: ours ${o}, torch ${t}`);
  }
}

let api: ParamScopeApi;

function panelOf(a: vscode.Uri, b: vscode.Uri): DiffPanel | undefined {
  return [...api.diffs.openPanels.values()].find((p) => p.a.toString() === a.toString() && p.b.toString() === b.toString());
}

/** The panel once every matched pair has its values. */
async function finishedPanel(a: vscode.Uri, b: vscode.Uri): Promise<DiffPanel> {
  const panel = await until('the diff panel', () => panelOf(a, b));
  await until('the rows sent to the page', () => panel.page);
  // Set with the rows; settles when every matched pair has its values.
  await panel.finished;
  return panel;
}

function assertPanelLikeTorch(panel: DiffPanel, p: ExpectedPair): void {
  const page = panel.page!;
  assert.deepEqual(page.prefix, p.prefix);
  assert.deepEqual(
    page.rows,
    p.tensors.map(({ metrics: _m, ...row }) => row),
  );
  for (const row of p.tensors) {
    const r = panel.results.get(row.name);
    if (row.metrics) assertLikeTorch(r?.metrics, row.metrics, row.name);
    else assert.equal(r, undefined, `${row.name} should not be compared`);
  }
  assert.deepEqual(panel.summary, { ...p.summary, failed: 0 });
}

suite('model diff', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
  });

  teardown(async () => {
    for (const p of [...api.diffs.openPanels.values()]) p.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('Compare Two Models on a fine-tuned pair (.pt against .safetensors) shows torch’s metrics for every row', async () => {
    const [a, b] = [workspaceFile('diff/before.pt'), workspaceFile('diff/after.safetensors')];
    await vscode.commands.executeCommand('paramscope.compareModels', a, b);
    const panel = await finishedPanel(a, b);
    assertPanelLikeTorch(panel, expectedPair('diff/before.pt', 'diff/after.safetensors'));
    // One of each: the frozen bias is identical, the new head reshaped, its bias removed, a PReLU added.
    assert.equal(panel.results.get('0.bias')?.metrics?.identical, true);
    assert.deepEqual(
      panel.page!.rows.filter((r) => r.status !== 'same').map((r) => [r.name, r.status]),
      [
        ['2.weight', 'dtype-changed'],
        ['4.weight', 'reshaped'],
        ['5.weight', 'added'],
        ['4.bias', 'removed'],
      ],
    );
    // Running it again reveals the same panel rather than opening another.
    await vscode.commands.executeCommand('paramscope.compareModels', a, b);
    assert.equal(api.diffs.openPanels.size, 1);
    assert.equal(panelOf(a, b), panel);
  });

  test('net.pt from its row in the Models tree against its bfloat16 safetensors copy: every parameter dtype-changed', async () => {
    const row = await child(api, undefined, 'net.pt');
    const b = workspaceFile('net.bf16.safetensors');
    await vscode.commands.executeCommand('paramscope.compareModels', row, b);
    const panel = await finishedPanel(workspaceFile('net.pt'), b);
    assertPanelLikeTorch(panel, expectedPair('net.pt', 'net.bf16.safetensors'));
    assert.equal(panel.summary!.dtypeChanged, 4);
  });

  test('a DataParallel copy (module. prefix, a transposed-contiguous view) pairs with the plain names and is identical', async () => {
    const [a, b] = [workspaceFile('diff/after.safetensors'), workspaceFile('diff/after.dataparallel.pt')];
    await vscode.commands.executeCommand('paramscope.compareModels', a, b);
    const panel = await finishedPanel(a, b);
    assertPanelLikeTorch(panel, expectedPair('diff/after.safetensors', 'diff/after.dataparallel.pt'));
    assert.equal(panel.summary!.identical, 6);
  });
});
