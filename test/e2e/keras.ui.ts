// A Keras user saves with model.save('….keras') (and older code with Keras 2's '.h5'): the Models
// tree lists the file with its layers by class (Conv2D, BatchNormalization, Dense), the moving
// statistics as buffers and the optimizer's variables apart; the summary names the layout and the
// layer tree; a Conv2D kernel's panel shows h5py's values and Keras's fans in the init verdict.
// Fixtures and expected values: test/fixtures/keras (make_keras_fixtures.py, written with h5py
// following Keras's saving code).
import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openModelsView, openParameter } from './paramScope';
import { expandRow, moveMouseAway, READABLE_SIDE_BAR_WIDTH, resizeSideBar, runFromPalette, scrollIntoView, STEP_TIMEOUT_MS, treeRow, visibleWebview, waitForActiveTab, waitForWorkbench, WORKBENCH_TIMEOUT_MS, type UiTest } from './workbench';

const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'keras');
const MODEL = 'sequential.keras';
const KERAS2 = 'keras2_model.h5';
/** Statistics run in a worker; a loaded CI box may be slow. */
const PANEL_TIMEOUT_MS = 30_000;

interface KerasExpected {
  files: Record<string, { tensors: Record<string, { shape: number[]; first?: number[]; values?: number[]; min: number; max: number }>; trainable: number; non_trainable: number }>;
}

export const tests: UiTest[] = [
  {
    name: 'Keras: a .keras model in the tree by layer class, its summary, a Conv2D kernel panel',
    async run({ page, workspace, shot }) {
      const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as KerasExpected;
      const dir = path.join(workspace, 'keras');
      mkdirSync(dir, { recursive: true });
      for (const f of [MODEL, KERAS2]) cpSync(path.join(FIXTURES, f), path.join(dir, f));
      await waitForWorkbench(page, 'checkpoint.pt');
      await runFromPalette(page, 'ParamScope: Refresh Models');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);

      // The tree: keras › sequential.keras › batch_normalization (BatchNormalization) › moving_mean (a buffer).
      const models = await openModelsView(page);
      const list = models.locator('.monaco-list');
      await scrollIntoView(page, list, treeRow(models, 'keras', 1), WORKBENCH_TIMEOUT_MS);
      const file = treeRow(models, MODEL, 2);
      await scrollIntoView(page, list, file, WORKBENCH_TIMEOUT_MS);
      const want = expected.files[MODEL]!;
      assert.match(await file.locator('.label-description').innerText(), new RegExp(`^${want.trainable} params · keras$`));
      await expandRow(file);
      // A layer row is its name and its class, as print(model) shows torch modules.
      const bn = treeRow(models, 'batch_normalization · BatchNormalization', 3);
      await scrollIntoView(page, list, bn);
      assert.match(await bn.locator('.label-description').innerText(), /^8 params$/);
      await expandRow(bn);
      const mean = treeRow(models, 'moving_mean', 4);
      await scrollIntoView(page, list, mean);
      assert.match(await mean.locator('.label-description').innerText(), /^float32 \[4\] · 4 · buffer/);
      await scrollIntoView(page, list, treeRow(models, 'dense · Dense', 3));
      await moveMouseAway(page);
      await shot('keras-tree');

      // The summary: Keras 3's layout and its layer tree with classes.
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ timeout: STEP_TIMEOUT_MS });
      await input.fill(MODEL);
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: MODEL }).first().click({ timeout: WORKBENCH_TIMEOUT_MS });
      await waitForActiveTab(page, MODEL);
      const summary = visibleWebview(page);
      await summary.locator('h1', { hasText: MODEL }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const facts = await summary.locator('.chips.container .chip').allInnerTexts();
      assert.ok(facts.includes('layout: Keras 3 (.keras)'), JSON.stringify(facts));
      await summary.locator('h2', { hasText: 'Layer tree (Keras layers, with parameter counts)' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const tree = await summary.locator('pre, .tree').first().innerText();
      for (const cls of ['Sequential', 'Conv2D', 'BatchNormalization', 'Dense']) assert.ok(tree.includes(cls), `no ${cls} in the layer tree: ${tree}`);
      await moveMouseAway(page);
      await shot('keras-summary');

      // The Conv2D kernel's panel: h5py's values and extremes.
      const kernel = want.tensors['conv2d/kernel']!;
      const panel = await openParameter(page, 'conv2d/kernel', MODEL);
      await panel.locator('td[data-stat="count"]').waitFor({ timeout: PANEL_TIMEOUT_MS });
      assert.equal(await panel.locator('td[data-stat="count"]').innerText(), String(kernel.shape.reduce((a, b) => a * b, 1)));
      const close = (shown: string, v: number, what: string): void => assert.ok(Math.abs(Number(shown) - v) <= Math.abs(v) * 1e-5 + 1e-7, `${what} shows ${shown}; h5py's is ${v}`);
      close(await panel.locator('td[data-stat="min"]').innerText(), kernel.min, 'min');
      close(await panel.locator('td[data-stat="max"]').innerText(), kernel.max, 'max');
      await panel.locator('section.heatmap canvas[data-drawn]').waitFor({ timeout: PANEL_TIMEOUT_MS });
      await moveMouseAway(page);
      await shot('keras-kernel-panel');
    },
  },
];
