// A person clicks through parameters in the Models tree: one preview panel follows the clicks
// (its tab re-titled, torch's statistics of each parameter), "Keep open" keeps it, the next click
// opens a new preview, a reloaded window brings the preview back on the parameter it showed last,
// and a double click keeps a panel open.
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { assertParameterPanel, openModelsView } from './paramScope';
import { expandRow, moveMouseAway, openPalette, pickWhenListed, READABLE_SIDE_BAR_WIDTH, resizeSideBar, scrollIntoView, STEP_TIMEOUT_MS, treeRow, visibleWebview, waitForActiveTab, waitForWorkbench, WORKBENCH_TIMEOUT_MS, type UiTest } from './workbench';

const FILE = 'net.pt';

/** The titles of the open parameter panels' tabs (`<name> · net.pt`), sorted. */
async function parameterTabs(page: Page): Promise<string[]> {
  const labels = await page.locator('.part.editor .tabs-container .tab').evaluateAll((tabs) => tabs.map((t) => t.getAttribute('aria-label') ?? ''));
  return labels.filter((l) => l.endsWith(` · ${FILE}`)).sort();
}

async function waitForTabs(page: Page, wanted: string[]): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const tabs = await parameterTabs(page);
    if (JSON.stringify(tabs) === JSON.stringify([...wanted].sort())) return;
    if (Date.now() - t0 > STEP_TIMEOUT_MS) assert.deepEqual(tabs, [...wanted].sort(), 'the parameter tabs');
    await page.waitForTimeout(100);
  }
}

/**
 * `2.bias` holds one value, so torch has no (unbiased) std to compare with: the tab, the heading and
 * the count only.
 */
async function assertOneValuePanel(page: Page, name: string): Promise<void> {
  await waitForActiveTab(page, `${name} · ${FILE}`);
  const panel = visibleWebview(page);
  await panel.locator('h1').filter({ hasText: name }).waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.equal(await panel.locator('h1').innerText(), name);
  const count = panel.locator('td[data-stat="count"]');
  await count.waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.equal(await count.innerText(), '1');
}

export const tests: UiTest[] = [
  {
    name: 'parameter preview panel follows clicks in the models tree',
    async run({ page, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      let models = await openModelsView(page);
      let list = models.locator('.monaco-list');
      const fileRow = treeRow(models, FILE, 1);
      await scrollIntoView(page, list, fileRow, WORKBENCH_TIMEOUT_MS);
      await expandRow(fileRow);
      const first = treeRow(models, '0 · Linear', 2);
      await scrollIntoView(page, list, first);
      await expandRow(first);

      // The first click opens the preview panel, marked as such (the block's rows scrolled to:
      // expanded at the foot of the view, they are not drawn yet).
      await scrollIntoView(page, list, treeRow(models, 'bias', 3).first());
      await treeRow(models, 'bias', 3).first().locator('.label-name').click();
      await assertParameterPanel(page, FILE, '0.bias');
      const panel = visibleWebview(page);
      const mark = panel.locator('header .preview-mark');
      await mark.waitFor({ timeout: STEP_TIMEOUT_MS });
      assert.equal(await mark.innerText(), 'Preview · Keep open');
      await moveMouseAway(page);
      await shot('preview-first-click');

      // The next click re-targets it: one tab, its new title, the new tensor's statistics and heatmap.
      await treeRow(models, 'weight', 3).first().locator('.label-name').click();
      await assertParameterPanel(page, FILE, '0.weight');
      await waitForTabs(page, ['0.weight · net.pt']);
      await panel.locator('section.heatmap canvas[data-drawn]').waitFor({ timeout: STEP_TIMEOUT_MS });
      assert.equal(await mark.count(), 1, 'the re-targeted panel lost its preview mark');
      await moveMouseAway(page);
      await shot('preview-retargeted');

      // "Keep open" keeps it; the next parameter gets a panel of its own, the new preview.
      await mark.getByRole('button', { name: 'Keep open' }).click();
      await mark.waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
      // Fold the first block so that the second block's rows are the only ones at depth 3.
      await first.locator('.monaco-tl-contents').click();
      await first.and(page.locator('[aria-expanded="false"]')).waitFor({ timeout: STEP_TIMEOUT_MS });
      const second = treeRow(models, '2 · Linear', 2);
      await scrollIntoView(page, list, second);
      await expandRow(second);
      await scrollIntoView(page, list, treeRow(models, 'weight', 3));
      await scrollIntoView(page, list, treeRow(models, 'bias', 3));
      await treeRow(models, 'bias', 3).locator('.label-name').click();
      await assertOneValuePanel(page, '2.bias');
      await waitForTabs(page, ['0.weight · net.pt', '2.bias · net.pt']);
      await visibleWebview(page).locator('header .preview-mark').waitFor({ timeout: STEP_TIMEOUT_MS });
      await treeRow(models, 'weight', 3).locator('.label-name').click();
      await assertParameterPanel(page, FILE, '2.weight');
      await waitForTabs(page, ['0.weight · net.pt', '2.weight · net.pt']);
      await moveMouseAway(page);
      await shot('kept-and-new-preview');

      // A reloaded window brings the preview back on the parameter it showed last, still a preview.
      // Reloaded the way a person does (the workbench saves its editors' state on the way out).
      await pickWhenListed(page, () => openPalette(page, 'Developer: Reload Window'), 'Developer: Reload Window');
      await Promise.all([page.waitForEvent('framenavigated'), page.keyboard.press('Enter')]);
      await page.locator('.monaco-workbench').waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
      const revived = page.locator('.part.editor .tabs-container .tab[aria-label="2.weight · net.pt"]');
      await revived.waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
      await revived.click();
      await waitForActiveTab(page, '2.weight · net.pt');
      await assertParameterPanel(page, FILE, '2.weight');
      await visibleWebview(page).locator('header .preview-mark').waitFor({ timeout: STEP_TIMEOUT_MS });
      await waitForTabs(page, ['0.weight · net.pt', '2.weight · net.pt']);
      await shot('preview-after-reload');

      // A double click on a row: the first click re-targets the preview, the second keeps it open.
      models = await openModelsView(page);
      list = models.locator('.monaco-list');
      const fileAgain = treeRow(models, FILE, 1);
      await scrollIntoView(page, list, fileAgain, WORKBENCH_TIMEOUT_MS);
      await expandRow(fileAgain);
      const secondAgain = treeRow(models, '2 · Linear', 2);
      await scrollIntoView(page, list, secondAgain);
      await expandRow(secondAgain);
      const biasAgain = treeRow(models, 'bias', 3);
      await scrollIntoView(page, list, biasAgain);
      await biasAgain.locator('.label-name').dblclick();
      await assertOneValuePanel(page, '2.bias');
      await visibleWebview(page).locator('header .preview-mark').waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
      await waitForTabs(page, ['0.weight · net.pt', '2.bias · net.pt']);
      await moveMouseAway(page);
      await shot('double-click-kept-open');
    },
  },
];
