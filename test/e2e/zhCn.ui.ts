// A person whose VS Code is set to Simplified Chinese (`--locale zh-cn`) opens the Models view, a
// parameter panel and the palette: ParamScope's labels, view names and command titles are Chinese.
// (code-server runs with an empty test language pack, see scripts/e2e/codeServer.mjs, so VS Code's
// own strings stay English; everything ParamScope shows must not.)
import * as assert from 'node:assert/strict';
import { expectedFile } from './paramScope';
import {
  expandRow,
  moveMouseAway,
  openPalette,
  openViewContainer,
  quickInputRow,
  READABLE_SIDE_BAR_WIDTH,
  resizeSideBar,
  scrollIntoView,
  STEP_TIMEOUT_MS,
  treeRow,
  visibleWebview,
  waitForActiveTab,
  waitForWorkbench,
  WORKBENCH_TIMEOUT_MS,
  pickWhenListed,
  type UiTest,
} from './workbench';

const FILE = 'net.pt';
/** Statistics and detection run in workers; a loaded CI box may be slow. */
const ANALYSIS_TIMEOUT_MS = 30_000;

export const tests: UiTest[] = [
  {
    name: 'simplified chinese',
    locale: 'zh-cn',
    async run({ page, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      // package.nls.zh-cn.json: the view is 模型 ("Models").
      const models = await openViewContainer(page, 'ParamScope', '模型');
      const list = models.locator('.monaco-list');
      const fileRow = treeRow(models, FILE, 1);
      await scrollIntoView(page, list, fileRow, WORKBENCH_TIMEOUT_MS);
      const total = expectedFile(FILE).totalParameters!.toLocaleString('en-US');
      assert.equal(await fileRow.locator('.label-description').innerText(), `${total} 个参数 · pytorch-zip`);
      await expandRow(fileRow);
      const layer = treeRow(models, '0 · Linear', 2);
      await layer.waitFor({ timeout: STEP_TIMEOUT_MS });
      assert.equal(await layer.locator('.label-description').innerText(), '40 个参数');
      await expandRow(layer);
      const weight = treeRow(models, 'weight', 3);
      await scrollIntoView(page, list, weight);
      await moveMouseAway(page);
      await shot('models-view');

      await weight.locator('.label-name').click();
      await waitForActiveTab(page, `0.weight · ${FILE}`);
      const panel = visibleWebview(page);
      await panel.locator('td[data-stat="count"]').waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      const headings = await panel.locator('h2').allInnerTexts();
      for (const h of ['统计量', '直方图（256 个区间）', '初始化', '热图', '数值']) assert.ok(headings.includes(h), `no heading "${h}" in ${JSON.stringify(headings)}`);
      assert.equal(await panel.locator('th', { hasText: '标准差' }).count(), 1, 'the std row is not labelled 标准差');
      await panel.locator('p.verdict[data-init]:not([data-init=""])').waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      await moveMouseAway(page);
      await shot('parameter-panel');

      // Command titles in the palette: category ParamScope, titles in Chinese.
      const row = await pickWhenListed(page, () => openPalette(page, 'ParamScope: 查找参数'), 'ParamScope: 查找参数…');
      await shot('palette');
      assert.ok(await row.isVisible());
      // VS Code lists "similar commands" below the match: those are ParamScope's too, in Chinese.
      assert.ok(await quickInputRow(page, 'ParamScope: 比较两个模型…').isVisible(), 'Compare Two Models is not among the similar commands in Chinese');
      await page.keyboard.press('Escape');
    },
  },
];
