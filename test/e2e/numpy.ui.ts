// A NumPy user keeps np.save / np.savez files beside their code: the Models tree lists an .npz with
// its dotted keys as blocks, the summary of an np.savez_compressed file says its members are
// deflated, and a deflated array's panel shows NumPy's statistics and values (inflated as the
// panel reads them). Fixtures and NumPy's expected values: test/fixtures/numpy (make_numpy_fixtures.py).
import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openModelsView, openParameter } from './paramScope';
import { expandRow, moveMouseAway, READABLE_SIDE_BAR_WIDTH, resizeSideBar, runFromPalette, scrollIntoView, STEP_TIMEOUT_MS, treeRow, visibleWebview, waitForActiveTab, waitForWorkbench, WORKBENCH_TIMEOUT_MS, type UiTest } from './workbench';

const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'numpy');
const STATE = 'state.npz';
const COMPRESSED = 'compressed.npz';
/** Statistics and pooling run in a worker; a loaded CI box may be slow. */
const PANEL_TIMEOUT_MS = 30_000;

interface NumpyExpected {
  files: Record<string, { arrays: Record<string, { first?: number[]; stats?: { count: number; min: number; max: number; mean: number } }> }>;
}

export const tests: UiTest[] = [
  {
    name: 'NumPy arrays: an .npz in the tree, a compressed one in the summary, a deflated array panel',
    async run({ page, workspace, shot }) {
      const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as NumpyExpected;
      const dir = path.join(workspace, 'arrays');
      mkdirSync(dir, { recursive: true });
      for (const f of [STATE, COMPRESSED, 'x-file.npy']) cpSync(path.join(FIXTURES, f), path.join(dir, f));
      await waitForWorkbench(page, 'checkpoint.pt');
      await runFromPalette(page, 'ParamScope: Refresh Models');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);

      // The tree: arrays › state.npz › encoder › 0 › weight (float32 [32, 16]).
      const models = await openModelsView(page);
      const list = models.locator('.monaco-list');
      const folder = treeRow(models, 'arrays', 1);
      await scrollIntoView(page, list, folder, WORKBENCH_TIMEOUT_MS);
      const file = treeRow(models, STATE, 2);
      await scrollIntoView(page, list, file, WORKBENCH_TIMEOUT_MS);
      assert.match(await file.locator('.label-description').innerText(), /933 params · npz$/);
      await expandRow(file);
      let level = 3;
      for (const name of ['encoder', '0']) {
        const row = treeRow(models, name, level++);
        await scrollIntoView(page, list, row);
        await expandRow(row);
      }
      const weight = treeRow(models, 'weight', level);
      await scrollIntoView(page, list, weight);
      assert.match(await weight.locator('.label-description').innerText(), /^float32 \[32, 16\] · /);
      await moveMouseAway(page);
      await shot('numpy-tree');

      // The summary of an np.savez_compressed file.
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ timeout: STEP_TIMEOUT_MS });
      await input.fill(COMPRESSED);
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: COMPRESSED }).first().click({ timeout: WORKBENCH_TIMEOUT_MS });
      await waitForActiveTab(page, COMPRESSED);
      const summary = visibleWebview(page);
      await summary.locator('h1', { hasText: COMPRESSED }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const facts = await summary.locator('.chips.container .chip').allInnerTexts();
      assert.ok(facts.includes('compression: 3 of 3 arrays deflated (np.savez_compressed)'), JSON.stringify(facts));
      const dtypes = await summary.locator('table.dtypes').innerText();
      for (const d of ['float32', 'float16', 'uint8']) assert.ok(dtypes.includes(d), `no ${d} in the dtype table: ${dtypes}`);
      await moveMouseAway(page);
      await shot('numpy-summary');

      // The deflated grid's panel: NumPy's count, min, max and mean; its first values; a heatmap.
      const grid = expected.files[COMPRESSED]!.arrays.grid!;
      const panel = await openParameter(page, 'grid', COMPRESSED);
      await panel.locator('td[data-stat="count"]').waitFor({ timeout: PANEL_TIMEOUT_MS });
      assert.equal(await panel.locator('td[data-stat="count"]').innerText(), grid.stats!.count.toLocaleString('en-US'));
      assert.equal(Number(await panel.locator('td[data-stat="min"]').innerText()), grid.stats!.min);
      assert.equal(Number(await panel.locator('td[data-stat="max"]').innerText()), grid.stats!.max);
      const mean = Number(await panel.locator('td[data-stat="mean"]').innerText());
      assert.ok(Math.abs(mean - grid.stats!.mean) <= 1e-6, `mean shows ${mean}; NumPy's is ${grid.stats!.mean}`);
      await panel.locator('section.heatmap canvas[data-drawn]').waitFor({ timeout: PANEL_TIMEOUT_MS });
      const firstRow = panel.locator('section.values [role="row"]', { has: panel.locator('[role="rowheader"]', { hasText: /^0$/ }) });
      await firstRow.waitFor({ timeout: STEP_TIMEOUT_MS });
      const cells = await firstRow.locator('[role="gridcell"]').allInnerTexts();
      assert.ok(cells.length > 4, 'the values table shows no values');
      cells.slice(0, 8).forEach((c, j) => assert.equal(Number(c), grid.first![j], `value [0, ${j}] shows ${c}; NumPy's is ${grid.first![j]}`));
      await moveMouseAway(page);
      await shot('numpy-deflated-panel');
    },
  },
];
