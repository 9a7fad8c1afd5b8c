// A person double-clicks model files in the Explorer: ParamScope's summary editor opens instead of
// VS Code's "binary file" notice, with the totals and the module tree torch prints; a parameter in
// that tree opens the parameter panel.
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { assertParameterPanel, elementCount, expectedFile } from './paramScope';
import {
  exactly,
  explorerRow,
  moveMouseAway,
  READABLE_SIDE_BAR_WIDTH,
  resizeSideBar,
  scrollIntoView,
  STEP_TIMEOUT_MS,
  visibleWebview,
  waitForActiveTab,
  waitForWorkbench,
  type UiTest,
} from './workbench';

/** What VS Code's own editor says for a file it cannot show as text. */
const BINARY_NOTICE = /binary or uses an unsupported text encoding/;
/** The parameter clicked in rgnet.pt's module tree: (block 2) → (0) → bias. */
const PARAMETER = '0.block 2.0.bias';

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * `indent (name): Type` of every module line, the part our tree shares with torch's print(model)
 * (torch adds constructor arguments, we add counts; we name the root, `rgnet = Sequential(`).
 */
function moduleHeaders(printed: string): string[] {
  return [...printed.matchAll(/^( *)(?:\w+ = )?(?:\(([^)]+)\): )?(\w+)\(/gm)].map(([, indent, name, type]) => `${indent}${name ? `(${name}): ` : ''}${type}`);
}

/** Double-clicks a top-level file in the Explorer and checks the summary page against torch. */
async function openSummary(page: Page, file: string): Promise<void> {
  const list = page.locator('.explorer-folders-view .monaco-list');
  const row = explorerRow(page, file);
  await scrollIntoView(page, list, row);
  await row.dblclick();
  await waitForActiveTab(page, file);
  const summary = visibleWebview(page);
  await summary.locator('h1').filter({ hasText: exactly(file) }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await moveMouseAway(page);
  assert.equal(await page.locator('.part.editor').getByText(BINARY_NOTICE).count(), 0, `${file} opened in the text editor's binary notice`);

  const torch = expectedFile(file);
  const chips = await summary.locator('.chips .chip').allInnerTexts();
  assert.deepEqual(chips, [torch.format, `${fmt(torch.totalParameters!)} parameters`, `${torch.tensors.length} tensors`], `chips of ${file}`);
  // Columns by their headers, so a column added to the table does not shift what is checked.
  const dtypeRows = await summary.locator('table.dtypes tr').evaluateAll((trs) => {
    const headers = [...trs[0].querySelectorAll('th')].map((th) => th.textContent ?? '');
    return trs.slice(1).map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [headers[i], td.textContent ?? ''])));
  });
  const elements = torch.tensors.reduce((n, t) => n + elementCount(t.shape), 0);
  assert.deepEqual(
    dtypeRows.map((r) => [r['dtype'], r['bits/weight'], r['tensors'], r['elements']]),
    [['float32', '32', String(torch.tensors.length), fmt(elements)]],
    `totals by dtype of ${file}`,
  );
  const tree = await summary.locator('pre.module-tree').innerText();
  assert.deepEqual(moduleHeaders(tree), moduleHeaders(torch.print!), `the module tree of ${file} is not the one print(model) shows`);
}

export const tests: UiTest[] = [
  {
    name: 'summary editor from the explorer',
    async run({ page, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      await shot('explorer');

      await openSummary(page, 'net.pt');
      await shot('net-summary');

      await openSummary(page, 'rgnet.pt');
      await shot('rgnet-summary');
      const summary = visibleWebview(page);
      assert.ok((await summary.locator('pre.module-tree').innerText()).includes('(block 0): Sequential('), 'no "(block 0): Sequential(" in the module tree');

      // Parameter names in the tree are links; the hover names the state_dict key.
      const link = summary.locator(`pre.module-tree a[title="open ${PARAMETER}"]`);
      await link.scrollIntoViewIfNeeded({ timeout: STEP_TIMEOUT_MS });
      assert.equal(await link.innerText(), 'bias');
      await link.hover();
      await shot('rgnet-summary-bias-link');
      await link.click();
      await assertParameterPanel(page, 'rgnet.pt', PARAMETER);
      await moveMouseAway(page);
      await shot('parameter-panel');
    },
  },
];
