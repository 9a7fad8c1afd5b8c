// The model overview through the real vscode API: the command on a torch-made Llama-shaped
// checkpoint and on a llama.cpp GGUF, the statistics and flags it computes in the pool against
// torch's and NumPy's (test/fixtures/overview/expected_overview.json), the cache per file version
// and the link from the summary editor's command.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import { activateParamScope, repoRoot, until, workspaceFile } from './helpers';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures');
const DIR = 'overview-models';
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'overview', 'expected_overview.json'), 'utf8')) as {
  files: Array<{ file: string; totalParameters: number; outliers: Array<{ name: string; stat: string; reason: string }>; stats: Record<string, { l2: number; absMax: number }> }>;
};

let api: ParamScopeApi;

suite('model overview', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
    fs.mkdirSync(workspaceFile(DIR).fsPath, { recursive: true });
    for (const f of ['llama_outlier.pt', 'deep80.pt']) fs.copyFileSync(path.join(FIXTURES, 'overview', f), workspaceFile(`${DIR}/${f}`).fsPath);
    fs.copyFileSync(path.join(FIXTURES, 'gguf', 'tiny-llama.q4_k.gguf'), workspaceFile(`${DIR}/tiny-llama.q4_k.gguf`).fsPath);
    api.registry.refresh();
  });

  teardown(async () => {
    for (const p of [...api.overviews.openPanels.values()]) p.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  suiteTeardown(async () => {
    fs.rmSync(workspaceFile(DIR).fsPath, { recursive: true, force: true });
    api.registry.refresh();
    await until('the overview models unlisted', async () => ((await api.registry.list()).some((e) => e.uri.fsPath.includes(DIR)) ? undefined : true));
  });

  for (const exp of expected.files) {
    test(`the overview of ${exp.file} computes torch's statistics over depth and flags what NumPy flags`, async () => {
      const uri = workspaceFile(`${DIR}/${exp.file}`);
      await vscode.commands.executeCommand('paramscope.showOverview', uri);
      const panel = await until('the overview panel', () => api.overviews.openPanels.get(uri.toString()));
      const data = await until('the pass done', () => (panel.data?.complete ? panel.data : undefined), 60_000);
      assert.equal(data.structure.totalParameters, exp.totalParameters);
      const stack = data.structure.kinds.flatMap((k) => k.layers.map((l) => l.name));
      assert.equal(data.stats.size, stack.length);
      for (const name of stack) {
        const ours = data.stats.get(name)!;
        const torch = exp.stats[name]!;
        assert.ok(Math.abs(ours.l2! - torch.l2) <= 1e-9 * torch.l2, `${name}: l2 ${ours.l2} vs torch ${torch.l2}`);
        assert.equal(ours.absMax, torch.absMax, name);
      }
      const key = (o: { name: string; stat: string; reason: string }): string => `${o.name} ${o.stat} ${o.reason}`;
      assert.deepEqual(data.outliers.map(key).sort(), exp.outliers.map(key).sort());
      // Init schemes of the floating stack tensors (the 8-layer model's are normal(0, σ) draws).
      assert.equal(data.inits.size, stack.length);
      if (exp.file === 'llama_outlier.pt') assert.equal(data.inits.get('model.layers.0.self_attn.q_proj.weight')!.scheme, 'normal');

      // Closed and opened again: the same file version's data comes back without a second pass.
      panel.dispose();
      await vscode.commands.executeCommand('paramscope.showOverview', uri);
      const again = await until('the overview panel again', () => api.overviews.openPanels.get(uri.toString()));
      const data2 = await until('the data again', () => again.data);
      assert.equal(data2, data);
    });
  }

  test('the overview of a GGUF reads llama.cpp’s blk stack and the dequantized statistics', async () => {
    const uri = workspaceFile(`${DIR}/tiny-llama.q4_k.gguf`);
    await vscode.commands.executeCommand('paramscope.showOverview', uri);
    const panel = await until('the overview panel', () => api.overviews.openPanels.get(uri.toString()));
    const data = await until('the pass done', () => (panel.data?.complete ? panel.data : undefined), 60_000);
    assert.deepEqual(
      data.structure.stacks.map((s) => [s.stack, s.layers]),
      [['blk', [0, 1]]],
    );
    assert.deepEqual(
      data.structure.dtypes.map((d) => [d.dtype, d.tensors]),
      [['Q5_0', 14], ['Q4_K', 2], ['float32', 5]],
    );
    const down = data.stats.get('blk.0.ffn_down.weight');
    assert.ok(down && down.count === 64 * 256 && down.l2! > 0, JSON.stringify(down));
    assert.equal(data.errors.size, 0);
    // Two layers: too few to judge anyone.
    assert.deepEqual(data.outliers, []);
  });

  test('a file that cannot be read gets the error, not a pass', async () => {
    const uri = workspaceFile(`${DIR}/broken.safetensors`);
    fs.writeFileSync(uri.fsPath, Buffer.from([1, 2, 3]));
    api.registry.refresh();
    await until('broken.safetensors listed', async () => ((await api.registry.list()).some((e) => e.uri.fsPath === uri.fsPath) ? true : undefined));
    await vscode.commands.executeCommand('paramscope.showOverview', uri);
    // The command says why in an error message and opens no panel.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(api.overviews.openPanels.get(uri.toString()), undefined);
  });
});
