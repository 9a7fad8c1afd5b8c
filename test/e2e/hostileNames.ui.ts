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
      await expandRow(fileRow);
      // Its tensors are the rows right below it (folders' files, also at level 2, come before it).
      const at = Number(await fileRow.getAttribute('data-index'));
      const row = (i: number) => models.locator(`.monaco-list-row[role="treeitem"][data-index="${at + 1 + i}"]`);
      await row(0).waitFor({ timeout: STEP_TIMEOUT_MS });
      assert.equal(await row(0).getAttribute('aria-level'), '2');
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
