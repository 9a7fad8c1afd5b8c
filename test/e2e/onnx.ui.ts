// An ONNX export beside the code that made it: the Models tree lists torch.onnx.export's
// initializers by their module names, and weights the exporter renamed (`onnx::Conv_16`, a
// BatchNorm folded into its conv) under the node that consumes them; the summary gives the
// producer and opsets; a Gemm weight's panel shows the values onnx's numpy_helper reads back.
// Fixtures and expected values: test/fixtures/onnx (make_onnx_fixtures.py).
import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openModelsView, openParameter } from './paramScope';
import { expandRow, moveMouseAway, READABLE_SIDE_BAR_WIDTH, resizeSideBar, runFromPalette, scrollIntoView, STEP_TIMEOUT_MS, treeRow, visibleWebview, waitForActiveTab, waitForWorkbench, WORKBENCH_TIMEOUT_MS, type UiTest } from './workbench';

const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'onnx');
const MODEL = 'convnet.onnx';
/** Statistics run in a worker; a loaded CI box may be slow. */
const PANEL_TIMEOUT_MS = 30_000;

interface OnnxExpected {
  files: Record<string, { tensors: Array<{ name: string; dims: number[]; min?: number; max?: number; mean?: number; first?: number[] }> }>;
}

export const tests: UiTest[] = [
  {
    name: 'ONNX: an export in the tree with renamed weights under their node, its summary, a Gemm weight panel',
    async run({ page, workspace, shot }) {
      const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as OnnxExpected;
      const dir = path.join(workspace, 'onnx');
      mkdirSync(dir, { recursive: true });
      for (const f of [MODEL, 'mlp.onnx']) cpSync(path.join(FIXTURES, f), path.join(dir, f));
      await waitForWorkbench(page, 'checkpoint.pt');
      await runFromPalette(page, 'ParamScope: Refresh Models');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);

      // The tree: onnx › convnet.onnx › conv › Conv › W (onnx::Conv_16, the conv with its BatchNorm folded in).
      const models = await openModelsView(page);
      const list = models.locator('.monaco-list');
      await scrollIntoView(page, list, treeRow(models, 'onnx', 1), WORKBENCH_TIMEOUT_MS);
      const file = treeRow(models, MODEL, 2);
      await scrollIntoView(page, list, file, WORKBENCH_TIMEOUT_MS);
      assert.match(await file.locator('.label-description').innerText(), /^837 params · onnx$/);
      await expandRow(file);
      let level = 3;
      for (const name of ['conv', 'Conv']) {
        const row = treeRow(models, name, level++);
        await scrollIntoView(page, list, row);
        await expandRow(row);
      }
      const w = treeRow(models, 'W', level);
      await scrollIntoView(page, list, w);
      assert.match(await w.locator('.label-description').innerText(), /^float32 \[4, 3, 3, 3\] · 108/);
      await moveMouseAway(page);
      await shot('onnx-tree');

      // The summary: what the exporter and the opsets say.
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ timeout: STEP_TIMEOUT_MS });
      await input.fill(MODEL);
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: MODEL }).first().click({ timeout: WORKBENCH_TIMEOUT_MS });
      await waitForActiveTab(page, MODEL);
      const summary = visibleWebview(page);
      await summary.locator('h1', { hasText: MODEL }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const facts = (await summary.locator('.chips.container .chip').allInnerTexts()).join(' | ');
      for (const want of ['pytorch 1.13.0', 'ai.onnx 13']) assert.ok(facts.includes(want), `no "${want}" in ${facts}`);
      await moveMouseAway(page);
      await shot('onnx-summary');

      // head.weight (a Gemm's B, transB=1): onnx's read-back values and extremes.
      const head = expected.files[MODEL]!.tensors.find((t) => t.name === 'head.weight')!;
      const panel = await openParameter(page, 'head.weight', MODEL);
      await panel.locator('td[data-stat="count"]').waitFor({ timeout: PANEL_TIMEOUT_MS });
      assert.equal(await panel.locator('td[data-stat="count"]').innerText(), '720');
      const close = (shown: string, v: number, what: string): void => assert.ok(Math.abs(Number(shown) - v) <= Math.abs(v) * 1e-5 + 1e-7, `${what} shows ${shown}; onnx's is ${v}`);
      close(await panel.locator('td[data-stat="min"]').innerText(), head.min!, 'min');
      close(await panel.locator('td[data-stat="max"]').innerText(), head.max!, 'max');
      await panel.locator('section.heatmap canvas[data-drawn]').waitFor({ timeout: PANEL_TIMEOUT_MS });
      const firstRow = panel.locator('section.values [role="row"]', { has: panel.locator('[role="rowheader"]', { hasText: /^0$/ }) });
      await firstRow.waitFor({ timeout: STEP_TIMEOUT_MS });
      const cells = await firstRow.locator('[role="gridcell"]').allInnerTexts();
      assert.ok(cells.length > 4, 'the values table shows no values');
      cells.slice(0, 8).forEach((c, j) => close(c, head.first![j]!, `value [0, ${j}]`));
      await moveMouseAway(page);
      await shot('onnx-gemm-panel');
    },
  },
];
