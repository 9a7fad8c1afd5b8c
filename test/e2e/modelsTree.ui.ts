// A person opens the ParamScope side bar, walks the Models tree of rgnet.pt down to one Linear layer
// of "block 1", reads the rows and their hovers, and clicks the layer's bias: the parameter panel
// opens with the statistics torch computed. A folder of checkpoints starts with a "Training run"
// row whose click opens the folder's run page.
import * as assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { assertParameterPanel, elementCount, expectedFile, expectedModule, expectedModuleCount, expectedTensor, openModelsView } from './paramScope';
import {
  expandRow,
  hoverText,
  moveMouseAway,
  DEFAULT_SIDE_BAR_WIDTH,
  exactly,
  READABLE_SIDE_BAR_WIDTH,
  resizeSideBar,
  scrollIntoView,
  STEP_TIMEOUT_MS,
  treeRow,
  visibleWebview,
  waitForActiveTab,
  waitForWorkbench,
  WORKBENCH_TIMEOUT_MS,
  type UiTest,
} from './workbench';

const FILE = 'rgnet.pt';
/** Modules expanded on the way down, by qualified name: rgnet[0], rgnet[0][1], rgnet[0][1][0]. */
const MODULE_PATH = ['0', '0.block 1', '0.block 1.0'];
const PARAMETER = '0.block 1.0.bias';

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Torch-made training runs (make_series_fixtures.py) and what their pages list. */
const SERIES = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'series');
/** Computing a run's points takes a few seconds on 2 cores. */
const ANALYSIS_TIMEOUT_MS = 60_000;

export const tests: UiTest[] = [
  {
    name: 'models tree down to a parameter',
    async run({ page, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      // The side bar as a fresh install has it (the width is kept across windows).
      await resizeSideBar(page, DEFAULT_SIDE_BAR_WIDTH);
      const models = await openModelsView(page);
      // What the view shows while the extension activates (the list may already be there).
      await shot('models-view-opening');
      const list = models.locator('.monaco-list');
      const torch = expectedFile(FILE);

      // Files are listed once the workspace scan is done; the row shows format and total.
      const fileRow = treeRow(models, FILE, 1);
      await scrollIntoView(page, list, fileRow, WORKBENCH_TIMEOUT_MS);
      await moveMouseAway(page);
      await shot('models-view-default-width');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      await scrollIntoView(page, list, fileRow);
      await moveMouseAway(page);
      await shot('models-view');
      assert.equal(await fileRow.locator('.label-description').innerText(), `${fmt(torch.totalParameters!)} params · ${torch.format}`);
      assert.match((await fileRow.getAttribute('aria-label')) ?? '', /rgnet\.pt/, 'a screen reader does not hear the file name');

      // Down the tree: `<name> · <Type>` rows whose description is the count below them.
      await expandRow(fileRow);
      for (const [depth, qualifiedName] of MODULE_PATH.entries()) {
        const m = expectedModule(FILE, qualifiedName);
        const label = `${m.name} · ${m.type}`;
        const row = treeRow(models, label, depth + 2);
        await scrollIntoView(page, list, row);
        const count = `${fmt(expectedModuleCount(FILE, m))} params`;
        assert.equal(await row.locator('.label-description').innerText(), count, `count shown for ${label}`);
        assert.equal(await row.getAttribute('aria-label'), `${label} ${count}`, `what a screen reader hears for ${label}`);
        await expandRow(row);
      }
      // Scroll on to the block after block 1, so all of block 1 is in view.
      const next = expectedModule(FILE, '0.block 3');
      await scrollIntoView(page, list, treeRow(models, `${next.name} · ${next.type}`, 3));
      await moveMouseAway(page);
      await shot('expanded-to-linear');

      // The block's hover gives its access path, type and count.
      const block = expectedModule(FILE, '0.block 1');
      const blockHover = await hoverText(page, treeRow(models, `${block.name} · ${block.type}`, 3).locator('.label-name'));
      await shot('block-hover');
      assert.ok(blockHover.includes(block.path), `hover of block 1 lacks its access path ${block.path}: ${blockHover}`);
      assert.ok(blockHover.includes(`${block.type} · ${expectedModuleCount(FILE, block)} parameters`), `hover of block 1: ${blockHover}`);
      await moveMouseAway(page);

      // The Linear layer's parameters, by local name, with dtype, shape and element count.
      const linear = expectedModule(FILE, MODULE_PATH[MODULE_PATH.length - 1]!);
      assert.deepEqual(linear.parameters.map((p) => p.slice(linear.qualifiedName.length + 1)), ['weight', 'bias']);
      for (const name of linear.parameters) {
        const t = expectedTensor(FILE, name);
        const local = name.slice(linear.qualifiedName.length + 1);
        const row = treeRow(models, local, MODULE_PATH.length + 2);
        await scrollIntoView(page, list, row);
        const description = `${t.dtype} [${t.shape.join(', ')}] · ${fmt(elementCount(t.shape))}`;
        assert.equal(await row.locator('.label-description').innerText(), description, `description of ${local}`);
        assert.equal(await row.getAttribute('aria-label'), `${local} ${description}`, `what a screen reader hears for ${local}`);
      }

      const bias = treeRow(models, 'bias', MODULE_PATH.length + 2);
      const t = expectedTensor(FILE, PARAMETER);
      const biasHover = await hoverText(page, bias.locator('.label-name'));
      await shot('bias-hover');
      for (const part of [t.path, `state_dict key ${PARAMETER}`, `${t.dtype} [${t.shape.join(', ')}] · ${elementCount(t.shape)} elements`]) {
        assert.ok(biasHover.includes(part), `hover of bias lacks "${part}": ${biasHover}`);
      }
      await moveMouseAway(page);

      // One click on the parameter opens its panel.
      await bias.locator('.label-name').click();
      await assertParameterPanel(page, FILE, PARAMETER);
      await moveMouseAway(page);
      await shot('parameter-panel');

      // Further down the page: the heatmap and the values table.
      await visibleWebview(page).locator('section.values').scrollIntoViewIfNeeded();
      await shot('parameter-panel-values');
    },
  },
  {
    name: 'a training checkpoint in the models tree',
    async run({ page, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      const models = await openModelsView(page);
      const list = models.locator('.monaco-list');
      // checkpoint.pt (make_fixtures.py): {'model': …, 'optimizer': Adam's state_dict, 'epoch': 3}.
      const file = treeRow(models, 'checkpoint.pt', 1);
      await scrollIntoView(page, list, file, WORKBENCH_TIMEOUT_MS);
      assert.match(await file.locator('.label-description').innerText(), / · epoch 3$/);
      await expandRow(file);
      const optimizer = treeRow(models, 'optimizer', 2);
      await scrollIntoView(page, list, optimizer);
      await expandRow(optimizer);
      const state = treeRow(models, 'state', 3);
      await scrollIntoView(page, list, state);
      await expandRow(state);
      // Adam numbers parameters in param_groups order: state[i] is the model's i-th parameter.
      for (const [slot, param] of [['0', 'model.0.weight'], ['1', 'model.0.bias'], ['2', 'model.2.weight'], ['3', 'model.2.bias']]) {
        const row = treeRow(models, slot, 4);
        await scrollIntoView(page, list, row);
        assert.equal(await row.locator('.label-description').innerText(), `state of ${param}`, `state[${slot}]`);
      }
      await moveMouseAway(page);
      await shot('checkpoint-optimizer-slots');
      const tip = await hoverText(page, file.locator('.label-name'));
      assert.match(tip, /epoch 3 · lr 0\.001/);
      await shot('checkpoint-hover');
    },
  },
  {
    name: 'a training run folder in the models tree opens its run page',
    async run({ page, workspace, shot }) {
      // Hugging Face Trainer's output: checkpoint-100/, -250/, -1000/ (one sharded), each with trainer_state.json.
      cpSync(path.join(SERIES, 'hf'), path.join(workspace, 'series-runs', 'hf'), { recursive: true });
      const expected = (JSON.parse(readFileSync(path.join(SERIES, 'expected_series.json'), 'utf8')) as Record<string, { files: string[] }>).hf!;
      await waitForWorkbench(page, 'checkpoint.pt');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      const models = await openModelsView(page);
      const list = models.locator('.monaco-list');
      // series-runs/ holds only hf/: one compacted row, its checkpoint-N/ folders inside.
      const folder = treeRow(models, 'series-runs/hf', 1);
      await scrollIntoView(page, list, folder, WORKBENCH_TIMEOUT_MS);
      // Scrolled to a checkpoint folder (the list holds a few folders of checkpoints: broken/, diff/, …).
      await scrollIntoView(page, list, treeRow(models, 'checkpoint-250', 2));
      // The folder's first row, right below it (its children may still be on their way).
      const rowAfter = async (): Promise<Locator> => models.locator(`.monaco-list-row[role="treeitem"][aria-level="2"][data-index="${Number(await folder.getAttribute('data-index')) + 1}"]`);
      let run = await rowAfter();
      for (const deadline = Date.now() + STEP_TIMEOUT_MS; (await run.locator('.label-name').innerText({ timeout: 1_000 }).catch(() => '')) !== 'Training run'; run = await rowAfter()) {
        assert.ok(Date.now() < deadline, `the first row of series-runs/hf is not "Training run": ${await run.innerText({ timeout: 1_000 }).catch(() => 'none')}`);
        await page.waitForTimeout(200);
      }
      await scrollIntoView(page, list, run);
      assert.equal(await run.locator('.label-description').innerText(), `${expected.files.length} checkpoints`);
      assert.equal(await run.getAttribute('aria-label'), `Training run, ${expected.files.length} checkpoints`, 'what a screen reader hears');
      assert.equal(await run.locator('.codicon-graph-line').count(), 1, 'the run row has no graph-line icon');
      assert.equal(await run.getAttribute('aria-expanded'), null, 'the run row offers to expand');
      await moveMouseAway(page);
      await shot('models-view-training-run-row');
      const tip = await hoverText(page, run.locator('.label-name'));
      assert.match(tip, /training run page/, `the run row's hover: ${tip}`);
      await shot('training-run-row-hover');
      await moveMouseAway(page);

      // One click opens the run page of the folder, in Trainer's step order.
      await run.locator('.label-name').click();
      await waitForActiveTab(page, 'Training run · hf');
      const panel = visibleWebview(page);
      await panel.locator('h1', { hasText: exactly('hf') }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await panel.locator('.progress', { hasText: /^done/ }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      assert.deepEqual(await panel.locator('table.checkpoints tbody tr td.name').allTextContents(), expected.files);
      // The pass's progress notification closes a moment after the page says done.
      await page.locator('.notification-toast', { hasText: 'ParamScope: training run hf' }).waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
      await moveMouseAway(page);
      await shot('training-run-page-from-tree');
    },
  },
];
