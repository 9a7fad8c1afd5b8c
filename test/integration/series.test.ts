// The training run page through the real vscode API: Show Training Run… on the torch-made fixture
// runs (test/fixtures/series/), the points and flags the panel holds against torch's float64
// values (expected_series.json), the second pass served by the window's cache, and a folder that
// is no run.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import type { TreeNode } from '../../src/views/treeNodes';
import { activateParamScope, repoRoot, until, workspaceFile } from './helpers';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'series');
const DIR = 'series-runs';
type Point = { norm: number | null; mean: number | null; std: number | null; maxAbs: number | null; nan: number; inf: number; relPrev: number | null; relFirst: number | null };
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected_series.json'), 'utf8')) as Record<
  string,
  { files: string[]; orderedBy: string; leftOut: string[]; tensors: Array<{ name: string; points: Array<Point | null>; flags: Array<{ kind: string; at?: number }> }> }
>;

/** Per `run/name`: torch.histc counts of the tensor at each checkpoint on the run's shared finite range (make_series_ridge.py). */
const expectedRidge = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected_ridge.json'), 'utf8')) as Record<string, { run: string; name: string; files: string[]; bins: number; min: number; max: number; rows: Array<number[] | null> }>;

/** The checkpoint dicts hold their state_dict under `model`: the run names tensors as the file does. */
const PREFIX: Record<string, string> = { sgd: 'model.', adam: 'model.', plain: '', hf: '' };

let api: ParamScopeApi;

const close = (a: number | null, b: number | null, what: string): void => {
  if (a === null || b === null) return assert.equal(a, b, what);
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs torch ${b}`);
};

suite('training run page', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
    fs.mkdirSync(workspaceFile(DIR).fsPath, { recursive: true });
    for (const run of Object.keys(expected)) fs.cpSync(path.join(FIXTURES, run), workspaceFile(`${DIR}/${run}`).fsPath, { recursive: true });
    fs.mkdirSync(workspaceFile(`${DIR}/single`).fsPath, { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, 'sgd', 'epoch_1.pt'), workspaceFile(`${DIR}/single/epoch_1.pt`).fsPath);
    fs.copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'models', 'broken', 'net.truncated.pt'), workspaceFile(`${DIR}/single/net.truncated.pt`).fsPath);
    api.registry.refresh();
  });

  teardown(async () => {
    for (const p of [...api.series.openPanels.values()]) p.dispose();
    for (const p of [...api.diffs.openPanels.values()]) p.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  suiteTeardown(async () => {
    fs.rmSync(workspaceFile(DIR).fsPath, { recursive: true, force: true });
    api.registry.refresh();
  });

  for (const [run, exp] of Object.entries(expected)) {
    test(`the run ${run} holds torch's points, order and flags`, async () => {
      const folder = workspaceFile(`${DIR}/${run}`);
      await vscode.commands.executeCommand('paramscope.showTrainingRun', folder);
      const panel = await until('the run panel', () => api.series.openPanels.get(folder.toString()));
      const data = await until('the pass done', () => (panel.data?.settled ? panel.data : undefined), 60_000);
      assert.equal(data.error, undefined);
      const r = data.result!;
      assert.equal(r.orderedBy, exp.orderedBy);
      assert.deepEqual(r.checkpoints.map((c) => c.file), exp.files);
      assert.deepEqual(r.leftOut.map((l) => l.file), exp.leftOut);
      const prefix = PREFIX[run] ?? '';
      assert.deepEqual(r.tensors.map((t) => t.name).sort(), exp.tensors.map((t) => prefix + t.name).sort());
      // The columns sent as checkpoints finished are the result's, in its tensors' order.
      assert.equal(data.columns.size, exp.files.length);
      for (const [order, col] of data.columns) assert.deepEqual(col, r.tensors.map((t) => t.points[order]), `column ${order}`);
      for (const e of exp.tensors) {
        const t = r.tensors.find((x) => x.name === prefix + e.name)!;
        assert.deepEqual(t.flags.map((f) => f.kind), e.flags.map((f) => f.kind), `${e.name} flags`);
        e.points.forEach((ep, i) => {
          const p = t.points[i]!;
          if (ep === null) return assert.equal(p, null, `${e.name} @${i}`);
          for (const k of ['norm', 'std', 'maxAbs', 'relPrev', 'relFirst'] as const) close(p[k], ep[k], `${e.name} @${i} ${k}`);
          assert.equal(p.nan, ep.nan);
          assert.equal(p.inf, ep.inf);
        });
      }
      // A flag's link opens the parameter panel of that tensor at that checkpoint's file.
      const flagged = r.tensors.find((t) => t.flags.length)!;
      await (panel as unknown as { openParameter(name: string, order: number): Promise<void> }).openParameter(flagged.name, r.checkpoints.length - 1);
      const last = vscode.Uri.file(r.checkpoints.at(-1)!.modelFile).toString();
      await until('the parameter panel', () => (api.panels.openPanels.has(`${last}#${flagged.name}`) ? true : undefined));
      // A checkpoint's compare link opens the diff of it and the one before.
      await (panel as unknown as { compare(a: number, b: number): Promise<void> }).compare(0, 1);
      const [a, b] = [0, 1].map((i) => vscode.Uri.file(r.checkpoints[i]!.modelFile));
      await until('the diff panel', () => (api.diffs.openPanels.has(`${a!.toString()}\n${b!.toString()}`) ? true : undefined));
    });
  }

  test('the ridge plot: a tensor at every checkpoint on shared bins, as torch.histc counts them (NaN left out, absent checkpoints null)', async () => {
    for (const [key, exp] of Object.entries(expectedRidge)) {
      const folder = workspaceFile(`${DIR}/${exp.run}`);
      await vscode.commands.executeCommand('paramscope.showTrainingRun', folder);
      const panel = await until('the run panel', () => api.series.openPanels.get(folder.toString()));
      const data = await until('the pass done', () => (panel.data?.settled ? panel.data : undefined), 60_000);
      assert.deepEqual(data.result!.checkpoints.map((c) => c.file), exp.files);
      const ridge = await panel.ridge(exp.name);
      assert.ok(ridge, key);
      assert.equal(ridge.bins, exp.bins);
      assert.equal(ridge.min, exp.min, `${key} min`);
      assert.equal(ridge.max, exp.max, `${key} max`);
      assert.deepEqual(ridge.rows, exp.rows, key);
    }
    // A second request stops the first: its pool work is cancelled and it rejects.
    const folder = workspaceFile(`${DIR}/adam`);
    const panel = api.series.openPanels.get(folder.toString())!;
    const first = panel.ridge('model.0.weight');
    const second = panel.ridge('model.0.bias');
    await assert.rejects(first);
    assert.deepEqual((await second)?.rows, expectedRidge['adam/model.0.bias']!.rows);
  });

  test('a run reopened gets the same result, its points from the window SeriesCache', async () => {
    const folder = workspaceFile(`${DIR}/sgd`);
    await vscode.commands.executeCommand('paramscope.showTrainingRun', folder);
    const first = await until('the pass done', () => { const d = api.series.openPanels.get(folder.toString())?.data; return d?.settled ? d : undefined; }, 60_000);
    const before = first.result!;
    for (const p of [...api.series.openPanels.values()]) p.dispose();
    await vscode.commands.executeCommand('paramscope.showTrainingRun', folder);
    const again = await until('the second pass done', () => { const d = api.series.openPanels.get(folder.toString())?.data; return d?.settled && d !== first ? d : undefined; }, 60_000);
    assert.deepEqual(again.result, before);
  });

  test('compute again: a checkpoint removed from the folder leaves the run, the rest from the cache', async () => {
    const folder = workspaceFile(`${DIR}/sgd-refresh`);
    fs.cpSync(path.join(FIXTURES, 'sgd'), folder.fsPath, { recursive: true });
    await vscode.commands.executeCommand('paramscope.showTrainingRun', folder);
    const panel = await until('the run panel', () => api.series.openPanels.get(folder.toString()));
    const first = await until('the pass done', () => (panel.data?.settled ? panel.data : undefined), 60_000);
    assert.deepEqual(first.result!.leftOut.map((l) => l.file), ['other_model.pt']);
    fs.rmSync(path.join(folder.fsPath, 'other_model.pt'));
    fs.rmSync(path.join(folder.fsPath, 'epoch_25.pt'));
    await panel.refresh();
    const again = panel.data!;
    assert.notEqual(again, first);
    assert.deepEqual(again.result!.leftOut, []);
    assert.deepEqual(again.result!.checkpoints.map((c) => c.file), ['epoch_1.pt', 'epoch_2.pt', 'epoch_10.pt']);
    // The three checkpoints left hold the same points as before.
    assert.deepEqual(again.result!.tensors.map((t) => t.points), first.result!.tensors.map((t) => t.points.slice(0, 3)));
  });

  test('chosen files are a run of their own: only those, in step order, keyed by the files; a lone file opens its folder', async () => {
    const files = ['epoch_10.pt', 'epoch_1.pt', 'epoch_2.pt'].map((f) => workspaceFile(`${DIR}/sgd/${f}`));
    await vscode.commands.executeCommand('paramscope.showTrainingRun', files[0], files);
    const key = files.map((f) => f.toString()).sort().join('\n');
    const panel = await until('the selection panel', () => api.series.openPanels.get(key));
    const data = await until('the pass done', () => (panel.data?.settled ? panel.data : undefined), 60_000);
    const r = data.result!;
    assert.deepEqual(r.checkpoints.map((c) => c.file), ['epoch_1.pt', 'epoch_2.pt', 'epoch_10.pt']);
    assert.deepEqual(r.leftOut, []);
    assert.deepEqual(data.run!.files, [...files].sort((a, b) => a.toString().localeCompare(b.toString())).map((f) => f.fsPath));
    // The points are torch's at those checkpoints; relFirst/relPrev are against the chosen ones (epoch_1 is first in both).
    const exp = expected.sgd!;
    const at = r.checkpoints.map((c) => exp.files.indexOf(c.file));
    for (const e of exp.tensors) {
      const t = r.tensors.find((x) => x.name === `model.${e.name}`)!;
      at.forEach((j, i) => {
        for (const k of ['norm', 'std', 'maxAbs', 'relFirst'] as const) close(t.points[i]![k], e.points[j]![k], `${e.name} @${i} ${k}`);
      });
    }
    // Any two checkpoints of the run compare (the page's "Compare the two chosen").
    await (panel as unknown as { compare(a: number, b: number): Promise<void> }).compare(0, 2);
    const [a, b] = [0, 2].map((i) => vscode.Uri.file(r.checkpoints[i]!.modelFile));
    await until('the diff panel', () => (api.diffs.openPanels.has(`${a!.toString()}\n${b!.toString()}`) ? true : undefined));
    // One file (an Explorer right-click on it) is the run of its folder.
    await vscode.commands.executeCommand('paramscope.showTrainingRun', files[1], [files[1]]);
    await until('the folder panel', () => api.series.openPanels.get(workspaceFile(`${DIR}/sgd`).toString()));
  });

  test('the page follows its folder: a checkpoint written there joins the run; not once following is off', async () => {
    const folder = workspaceFile(`${DIR}/sgd-follow`);
    fs.mkdirSync(folder.fsPath, { recursive: true });
    for (const f of ['epoch_1.pt', 'epoch_2.pt']) fs.copyFileSync(path.join(FIXTURES, 'sgd', f), path.join(folder.fsPath, f));
    api.registry.refresh();
    await vscode.commands.executeCommand('paramscope.showTrainingRun', folder);
    const panel = await until('the run panel', () => api.series.openPanels.get(folder.toString()));
    const first = await until('the pass done', () => (panel.data?.settled ? panel.data : undefined), 60_000);
    assert.deepEqual(first.result!.checkpoints.map((c) => c.file), ['epoch_1.pt', 'epoch_2.pt']);
    assert.equal(first.run!.following, true);
    assert.equal(panel.followPasses, 0);
    fs.copyFileSync(path.join(FIXTURES, 'sgd', 'epoch_10.pt'), path.join(folder.fsPath, 'epoch_10.pt'));
    const again = await until('the pass after the new checkpoint', () => (panel.followPasses > 0 && panel.data?.settled && panel.data !== first ? panel.data : undefined), 60_000);
    assert.deepEqual(again.result!.checkpoints.map((c) => c.file), ['epoch_1.pt', 'epoch_2.pt', 'epoch_10.pt']);
    assert.deepEqual(again.result!.tensors.map((t) => t.points.slice(0, 2)), first.result!.tensors.map((t) => t.points));
    // Following turned off (the page's checkbox): a later checkpoint starts no pass.
    (panel as unknown as { setFollowing(on: boolean): void }).setFollowing(false);
    const passes = panel.followPasses;
    fs.copyFileSync(path.join(FIXTURES, 'sgd', 'epoch_25.pt'), path.join(folder.fsPath, 'epoch_25.pt'));
    await until('the registry lists the new file', async () => ((await api.registry.list()).some((e) => e.uri.path.endsWith('sgd-follow/epoch_25.pt')) ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(panel.followPasses, passes);
    assert.equal(panel.data, again);
  });

  test('a Models view folder row opens its run', async () => {
    const folder = workspaceFile(`${DIR}/sgd`);
    const row = await until('the folder row', async () => {
      const walk = async (parent: TreeNode | undefined): Promise<TreeNode | undefined> => {
        for (const k of await api.tree.getChildren(parent)) {
          if (k.kind !== 'folder') continue;
          if (k.uri === folder.toString()) return k;
          const found = folder.toString().startsWith(`${k.uri}/`) ? await walk(k) : undefined;
          if (found) return found;
        }
        return undefined;
      };
      return walk(undefined);
    });
    await vscode.commands.executeCommand('paramscope.showTrainingRun', row);
    const panel = await until('the run panel', () => api.series.openPanels.get(folder.toString()));
    const data = await until('the pass done', () => (panel.data?.settled ? panel.data : undefined), 60_000);
    assert.deepEqual(data.result!.checkpoints.map((c) => c.file), expected.sgd!.files);
    assert.match(data.result!.leftOut[0]!.reason, /^another model: shares \d+% of its tensor names with epoch_1\.pt$/);
  });

  test('a folder with one readable checkpoint is no run: the page says so, naming the unreadable file once', async () => {
    const folder = workspaceFile(`${DIR}/single`);
    await vscode.commands.executeCommand('paramscope.showTrainingRun', folder);
    const panel = await until('the run panel', () => api.series.openPanels.get(folder.toString()));
    const data = await until('the pass failed', () => (panel.data?.settled ? panel.data : undefined), 30_000);
    assert.equal(data.result, undefined);
    assert.match(data.error ?? '', /^a training run needs two or more checkpoints; found one readable \(epoch_1\.pt\); left out net\.truncated\.pt: not a readable PyTorch file/);
    assert.ok(!data.error!.includes(workspaceFile(DIR).fsPath), data.error);
  });
});
