// A person opens a model whose tensor names try to become a command link, a remote image and HTML
// in the Models view's tooltip, and hovers them: the names show as text, escaped to one line.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { safetensorsBytes } from '../unit/builders';
import { openModelsView } from './paramScope';
import { STEP_TIMEOUT_MS, WORKBENCH_TIMEOUT_MS, expandRow, moveMouseAway, resizeSideBar, READABLE_SIDE_BAR_WIDTH, scrollIntoView, treeRow, waitForWorkbench, type UiTest } from './workbench';

/** Sorts first among the workspace's top-level files (after the folders' rows). */
const FILE = '0hostile.safetensors';
const NAMES = ['w\r\r[Click me](command:workbench)', 'v\n\n![x](https://evil-example/x-png)', '<img src=x onerror=alert(1)>'];

export const tests: UiTest[] = [
  {
    name: 'hostile names stay text in tooltips',
    async run({ page, workspace, shot }) {
      writeFileSync(path.join(workspace, FILE), safetensorsBytes(Object.fromEntries(NAMES.map((n, i) => [n, { dtype: 'F32', shape: [1], data_offsets: [4 * i, 4 * i + 4] }])), new Uint8Array(4 * NAMES.length)));
      await waitForWorkbench(page, 'checkpoint.pt');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      const models = await openModelsView(page);
      const fileRow = treeRow(models, FILE, 1);
      await scrollIntoView(page, models.locator('.monaco-list'), fileRow, WORKBENCH_TIMEOUT_MS);
      // Its tensors are the rows right below it (folders' files, also at level 2, come before it).
      // The new file's own re-scan may land after the first expansion, so wait until the row after
      // the file is one of its children, expanding again if that re-scan re-rendered it collapsed.
      let at = -1;
      const row = (i: number) => models.locator(`.monaco-list-row[role="treeitem"][data-index="${at + 1 + i}"]`);
      const deadline = Date.now() + STEP_TIMEOUT_MS;
      for (;;) {
        await expandRow(fileRow);
        at = Number(await fileRow.getAttribute('data-index'));
        if ((await row(0).getAttribute('aria-level', { timeout: 500 }).catch(() => null)) === '2') break;
        assert.ok(Date.now() < deadline, `the row after ${FILE} never became one of its tensors`);
        await page.waitForTimeout(200);
      }
      await moveMouseAway(page);
      await shot('hostile-rows');
      for (let i = 0; i < NAMES.length; i++) {
        await moveMouseAway(page);
        await row(i).locator('.label-name').hover();
        const hover = page.locator('.workbench-hover-container .monaco-hover').filter({ visible: true });
        await hover.waitFor({ timeout: STEP_TIMEOUT_MS });
        await shot(`hostile-tooltip-${i + 1}`);
        // Nothing in the tooltip is a link or an image; the name's line breaks show as escapes.
        assert.equal(await hover.locator('a, img').count(), 0, await hover.innerHTML());
        const text = await hover.innerText();
        assert.match(text, /state_dict key/);
        if (/[\r\n]/.test(NAMES[i]!)) assert.match(text, /\\x0[ad]/, text);
      }
    },
  },
];
