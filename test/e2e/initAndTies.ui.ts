// A person opens the seed's my_init layer from the Models tree and reads its Initialisation section
// (detected scheme, density over the histogram, a simulated sample), then the model-wide init report
// and the tied-parameters panel of the seed's shared net, both run from the palette, and jumps from
// one tied weight to its twin in the tree.
import * as assert from 'node:assert/strict';
import type { Locator } from 'playwright-core';
import { openModelsView, runOnModel } from './paramScope';
import {
  exactly,
  expandRow,
  moveMouseAway,
  READABLE_SIDE_BAR_WIDTH,
  resizeSideBar,
  scrollIntoView,
  STEP_TIMEOUT_MS,
  visibleWebview,
  waitForActiveTab,
  waitForWorkbench,
  WORKBENCH_TIMEOUT_MS,
  type UiTest,
} from './workbench';

/** Detection and statistics take worker round trips; a loaded CI box may be slow. */
const ANALYSIS_TIMEOUT_MS = 30_000;
const MY_INIT = 'net_myinit.state_dict.pt';
const SHARED = 'shared.pt';

/** A tree row at a depth whose label matches (state_dict files have no module types: `0`, not `0 · Linear`). */
function row(models: Locator, label: RegExp, level: number): Locator {
  return models.locator(`.monaco-list-row[role="treeitem"][aria-level="${level}"]`).filter({ has: models.page().locator('.label-name', { hasText: label }) });
}

export const tests: UiTest[] = [
  {
    name: 'init section, init report and tied parameters',
    async run({ page, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      const models = await openModelsView(page);
      const list = models.locator('.monaco-list');

      // net_myinit → 0 → weight: the seed's my_init layer.
      const fileRow = row(models, exactly(MY_INIT), 1);
      await scrollIntoView(page, list, fileRow, WORKBENCH_TIMEOUT_MS);
      await expandRow(fileRow);
      const layer = row(models, /^0( · \w+)?$/, 2);
      await scrollIntoView(page, list, layer);
      await expandRow(layer);
      const weight = row(models, exactly('weight'), 3);
      await scrollIntoView(page, list, weight);
      await weight.locator('.label-name').click();
      await waitForActiveTab(page, `0.weight · ${MY_INIT}`);

      const panel = visibleWebview(page);
      const init = panel.locator('section.init');
      await init.locator('p.verdict[data-init="masked_uniform"]').waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      assert.match(await init.locator('p.verdict').innerText(), /^masked_uniform\(a=/, 'the verdict does not name the scheme with its parameters');
      // The detected scheme's density is drawn over the tensor's histogram.
      const histogram = panel.locator('#app > section.histogram canvas');
      await panel.locator('#app > section.histogram canvas[data-overlay]:not([data-overlay=""])').waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      const overlay = (await histogram.getAttribute('data-overlay')) ?? '';
      assert.match(overlay, /^masked_uniform\(/, `the overlay drawn is "${overlay}", not the detected scheme`);
      await init.scrollIntoViewIfNeeded();
      await moveMouseAway(page);
      await shot('init-section');

      // Simulate: a fresh sample of the scheme for this shape, drawn beside the tensor's.
      await init.getByRole('button', { name: 'Simulate' }).click();
      const simulated = init.locator('section.histogram canvas[data-drawn]');
      await simulated.waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      // 32 values drawn; those outside the tensor's own range fall off the shared axis.
      const drawn = Number(await simulated.getAttribute('data-drawn'));
      assert.ok(drawn > 16 && drawn <= 32, `the simulated histogram holds ${drawn} of the sample's 32 values`);
      await init.getByRole('button', { name: 'Simulate again' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await init.locator('section.histogram').scrollIntoViewIfNeeded();
      await moveMouseAway(page);
      await shot('init-simulated');

      // The model-wide init report, from the palette.
      await runOnModel(page, 'ParamScope: Show Init Report', MY_INIT, () => shot('init-report-pick-model'));
      await waitForActiveTab(page, `Init report · ${MY_INIT}`);
      const report = visibleWebview(page);
      await report.locator('tr[data-name="0.weight"][data-scheme="masked_uniform"]').waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      await report.locator('p[role="status"]', { hasText: /^4 parameters/ }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      const names = await report.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name')));
      assert.deepEqual(names, ['0.weight', '0.bias', '2.weight', '2.bias'], 'rows are not one per parameter in file order');
      await moveMouseAway(page);
      await shot('init-report');

      // Headers are buttons: sort by scheme, descending on the second press (keyboard).
      const schemeHeader = report.getByRole('button', { name: 'Scheme' });
      await schemeHeader.click();
      assert.equal(await report.locator('th[data-key="scheme"]').getAttribute('aria-sort'), 'ascending');
      await page.keyboard.press('Enter');
      assert.equal(await report.locator('th[data-key="scheme"]').getAttribute('aria-sort'), 'descending');
      const schemes = await report.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-scheme')));
      assert.deepEqual(schemes, ['too_few', 'too_few', 'too_few', 'masked_uniform'], 'descending by scheme');
      await shot('init-report-sorted');

      // Enter on a row opens that parameter.
      await report.locator('tr[data-name="2.weight"]').focus();
      await page.keyboard.press('Enter');
      await waitForActiveTab(page, `2.weight · ${MY_INIT}`);
      // Keys go to the page that has focus: wait for the new panel and click into it before F1.
      const opened = visibleWebview(page).locator('h1', { hasText: exactly('2.weight') });
      await opened.waitFor({ timeout: STEP_TIMEOUT_MS });
      await opened.click();

      // The tied-parameters panel of the seed's shared net.
      await runOnModel(page, 'ParamScope: Show Tied Parameters', SHARED);
      await waitForActiveTab(page, `Tied parameters · ${SHARED}`);
      const ties = visibleWebview(page);
      const storage = ties.locator('table.ties tr[data-evidence="storage"]');
      await storage.first().waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      const links = await storage.first().locator('a.param-link').allInnerTexts();
      assert.deepEqual(links, ['shared[2].weight', 'shared[4].weight']);
      const moduleRow = ties.locator('table.ties tr[data-evidence="module"]');
      assert.match(await moduleRow.innerText(), /shared\[2\][\s\S]*⇄[\s\S]*shared\[4\]/);
      assert.match(await ties.locator('p.summary').innerText(), /saves 288 B/);
      await moveMouseAway(page);
      await shot('tied-parameters');

      // safetensors cannot share storage: the same layer is written twice, equal but not tied.
      await runOnModel(page, 'ParamScope: Show Tied Parameters', 'shared.safetensors');
      await waitForActiveTab(page, 'Tied parameters · shared.safetensors');
      const copies = visibleWebview(page);
      await copies.locator('table.ties tr[data-evidence="content"]').first().waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      assert.equal(await copies.locator('table.ties tr[data-evidence="storage"]').count(), 0, 'identical copies shown as a tie');
      assert.match(await copies.locator('p.summary').innerText(), /^No tied parameters/);
      await moveMouseAway(page);
      await shot('identical-values');

      // Views of one storage (x.t(), slices) are listed apart, not as ties.
      await runOnModel(page, 'ParamScope: Show Tied Parameters', 'views.pt');
      await waitForActiveTab(page, 'Tied parameters · views.pt');
      const views = visibleWebview(page);
      await views.locator('ul.views li').first().waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      assert.deepEqual((await views.locator('ul.views a.param-link').allInnerTexts()).length, 5);
      await moveMouseAway(page);
      await shot('storage-views');

      // Back on shared.pt's panel, a link opens the parameter.
      await page.locator(`.part.editor .tabs-container .tab[aria-label="Tied parameters · ${SHARED}"]`).click();
      await waitForActiveTab(page, `Tied parameters · ${SHARED}`);
      const again = visibleWebview(page).locator('table.ties tr[data-evidence="storage"] a.param-link', { hasText: 'shared[4].weight' }).first();
      await again.waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      await again.click();
      await waitForActiveTab(page, `4.weight · ${SHARED}`);

      // In the tree, the tied weight's inline action jumps to its twin.
      const sharedRow = row(models, exactly(SHARED), 1);
      await scrollIntoView(page, list, sharedRow);
      await expandRow(sharedRow);
      const four = row(models, exactly('4 · Linear'), 2);
      await scrollIntoView(page, list, four);
      await expandRow(four);
      const tied = row(models, exactly('weight'), 3).filter({ hasText: 'tied with shared[2].weight' });
      await scrollIntoView(page, list, tied);
      await tied.hover();
      await tied.locator('.actions a.action-label[aria-label="ParamScope: Go to Tied Twin"], .actions a.action-label[aria-label="Go to Tied Twin"]').first().click();
      const twin = row(models, exactly('weight'), 3).filter({ hasText: 'tied with shared[4].weight' });
      await twin.and(page.locator('[aria-selected="true"]')).waitFor({ timeout: STEP_TIMEOUT_MS });
      await moveMouseAway(page);
      await shot('tied-twin-selected');

      // After a window reload both reports come back, rebuilt from the file their page remembered.
      await page.reload();
      await page.locator('.monaco-workbench').waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
      const tiesTab = page.locator(`.part.editor .tabs-container .tab[aria-label="Tied parameters · ${SHARED}"]`);
      await tiesTab.waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
      await tiesTab.click();
      await visibleWebview(page).locator('table.ties tr[data-evidence="storage"]').first().waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
      const reportTab = page.locator(`.part.editor .tabs-container .tab[aria-label="Init report · ${MY_INIT}"]`);
      await reportTab.click();
      const revived = visibleWebview(page);
      await revived.locator('tr[data-name="0.weight"][data-scheme="masked_uniform"]').waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
      // The sort chosen before the reload is kept.
      assert.equal(await revived.locator('th[data-key="scheme"]').getAttribute('aria-sort'), 'descending');
      await moveMouseAway(page);
      await shot('init-report-after-reload');
    },
  },
];
