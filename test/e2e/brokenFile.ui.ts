// A workspace holds truncated model files next to good ones. A person sees them in the Models view
// marked "cannot read" while every other model is still listed and read, and opening one in the
// summary editor explains the problem in words, not with a stack trace.
import * as assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expectedBroken, expectedFile, expectedFileNames, openModelsView } from './paramScope';
import {
  expandRow,
  explorerRow,
  hoverText,
  moveMouseAway,
  notificationTexts,
  readAllRows,
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

/** The truncated copies make_fixtures.py writes into broken/, as the Models view labels them: by relative path. */
const BROKEN = Object.keys(expectedBroken()).map((k) => k.replace(/^models\//, ''));
/** Readable fixtures whose totals torch knows, listed next to the broken ones. */
const GOOD = ['net.pt', 'rgnet.pt', 'shared.pt', 'convnet.pt', 'mlp.pt', 'rgnet.proto5.pt', 'net.legacy.pt'];

/** Lines of a JavaScript stack trace or an internal error name: not for people. */
const STACK_TRACE = /^\s+at\s|\.(?:js|ts):\d+|\b(?:TypeError|RangeError|ReferenceError)\b/m;

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Opens broken/<file> from the Explorer and returns what the summary editor says. */
async function openBrokenInSummary(page: Page, file: string): Promise<{ heading: string; message: string }> {
  const list = page.locator('.explorer-folders-view .monaco-list');
  const row = explorerRow(page, file);
  await scrollIntoView(page, list, row);
  await row.dblclick();
  await waitForActiveTab(page, file);
  const summary = visibleWebview(page);
  const message = summary.locator('p.status.error');
  await message.waitFor({ timeout: STEP_TIMEOUT_MS });
  await moveMouseAway(page);
  return { heading: await summary.locator('h1').innerText(), message: await message.innerText() };
}

export const tests: UiTest[] = [
  {
    name: 'broken files in the models view and summary editor',
    async run({ page, workspace, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      const models = await openModelsView(page);
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      const list = models.locator('.monaco-list');

      // The broken files are listed, each with its own mark.
      await scrollIntoView(page, list, treeRow(models, BROKEN[0]!, 1), WORKBENCH_TIMEOUT_MS);
      await moveMouseAway(page);
      await shot('models-view-broken-files');
      for (const file of BROKEN) {
        const row = treeRow(models, file, 1);
        await scrollIntoView(page, list, row);
        assert.equal(await row.locator('.label-description').innerText(), 'cannot read', `description of ${file}`);
        assert.equal(await row.locator('.codicon-error').count(), 1, `${file} has no error icon`);
        assert.equal(await row.getAttribute('aria-expanded'), null, `${file} offers to expand`);
        const spoken = (await row.getAttribute('aria-label')) ?? '';
        assert.ok(spoken.includes(file), `a screen reader does not hear the name of ${file}: ${spoken}`);
        assert.doesNotMatch(spoken, STACK_TRACE, `${file} reads out a stack trace`);
      }

      // Its hover says why.
      const reason = await hoverText(page, treeRow(models, BROKEN[0]!, 1).locator('.label-name'));
      await shot('broken-file-hover');
      assert.ok(reason.includes(path.join(workspace, BROKEN[0]!)), `the hover does not name the file: ${reason}`);
      assert.match(reason, /truncated|not a zip/i, `the hover does not say what is wrong: ${reason}`);
      assert.doesNotMatch(reason, STACK_TRACE, 'the hover shows a stack trace');
      await moveMouseAway(page);

      // One broken file never breaks the tree: every fixture is listed, the good ones read.
      const rows = (await readAllRows(page, list)).filter((r) => r.level === 1);
      const unreadable = rows.filter((r) => r.description === 'cannot read').map((r) => r.label);
      assert.deepEqual(unreadable.sort(), [...BROKEN].sort(), 'files marked "cannot read"');
      const labels = rows.map((r) => r.label);
      assert.deepEqual(labels.filter((l) => !BROKEN.includes(l)).sort(), expectedFileNames().sort(), 'the readable models listed');
      for (const file of GOOD) {
        const torch = expectedFile(file);
        const row = rows.find((r) => r.label === file);
        assert.ok(row, `${file} is missing from the Models view (${labels.length} rows)`);
        assert.equal(row.description, `${fmt(torch.totalParameters!)} params · ${torch.format}`, `description of ${file}`);
      }
      const good = treeRow(models, 'net.pt', 1);
      await scrollIntoView(page, list, good);
      await expandRow(good);
      // Its last child, so all three are in view.
      await scrollIntoView(page, list, treeRow(models, '2 · Linear', 2));
      await moveMouseAway(page);
      await shot('good-model-still-expands');

      // The summary editor of a broken file: a heading and the reason, in words.
      await page.locator('.activitybar a.action-label[aria-label^="Explorer"]').click();
      const explorerList = page.locator('.explorer-folders-view .monaco-list');
      const folder = explorerRow(page, 'broken');
      await scrollIntoView(page, explorerList, folder, WORKBENCH_TIMEOUT_MS);
      if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
      await folder.and(page.locator('[aria-expanded="true"]')).waitFor({ timeout: STEP_TIMEOUT_MS });

      // The Explorer labels files by name inside their folder.
      const pt = await openBrokenInSummary(page, 'net.truncated.pt');
      await shot('broken-pt-summary');
      assert.equal(pt.heading, 'This file cannot be shown');
      assert.match(pt.message, /truncated|not a zip/i, `the summary does not say what is wrong: ${pt.message}`);
      assert.doesNotMatch(pt.message, STACK_TRACE, 'the summary shows a stack trace');

      const st = await openBrokenInSummary(page, 'net.truncated.safetensors');
      await shot('broken-safetensors-summary');
      assert.equal(st.heading, 'This file cannot be shown');
      assert.match(st.message, /truncated/i, `the summary does not say what is wrong: ${st.message}`);
      assert.doesNotMatch(st.message, STACK_TRACE, 'the summary shows a stack trace');

      // Reading a broken file is not an error of the editor: no error toasts.
      const toasts = await notificationTexts(page);
      assert.deepEqual(toasts, [], 'notifications appeared');
      // The tab of the last one is still there and named after the file.
      assert.equal(await page.locator('.part.editor .tabs-container .tab.active').getAttribute('aria-label'), 'net.truncated.safetensors');
    },
  },
];
