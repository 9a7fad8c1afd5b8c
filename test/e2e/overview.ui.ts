// A person opens the model overview of a Llama-shaped checkpoint from its summary editor and sees
// the layers as a treemap, the statistics over depth, and the two broken layers flagged (a link to
// each opens its parameter panel); then the overview of a GPT-2-sized checkpoint (torch-made at test
// time, 124M parameters) from the palette, with its 12 layers and nothing flagged.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { runOnModel } from './paramScope';
import { exactly, moveMouseAway, STEP_TIMEOUT_MS, visibleWebview, waitForActiveTab, waitForWorkbench, WORKBENCH_TIMEOUT_MS, type UiTest } from './workbench';

const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures');
const LLAMA = 'llama_outlier.pt';
const GPT2 = 'gpt2.pt';
/** Statistics of 500 MB in the pool on a loaded two-core CI box. */
const ANALYSIS_TIMEOUT_MS = 90_000;

async function waitDone(page: FrameLocator): Promise<void> {
  await page.locator('.progress', { hasText: /^done/ }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
}

export const tests: UiTest[] = [
  {
    name: 'model overview of a Llama-shaped checkpoint: treemap, depth lines, flagged layers',
    async run({ page, workspace, shot }) {
      const dir = path.join(workspace, 'llama');
      mkdirSync(dir, { recursive: true });
      cpSync(path.join(FIXTURES, 'overview', LLAMA), path.join(dir, LLAMA));
      const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'overview', 'expected_overview.json'), 'utf8')) as { files: Array<{ file: string; outliers: Array<{ name: string }> }> };
      const flagged = [...new Set(expected.files.find((f) => f.file === LLAMA)!.outliers.map((o) => o.name))].sort();
      await waitForWorkbench(page, 'checkpoint.pt');

      // From the summary editor's link.
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ timeout: STEP_TIMEOUT_MS });
      await input.fill(LLAMA);
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: LLAMA }).first().click({ timeout: WORKBENCH_TIMEOUT_MS });
      await waitForActiveTab(page, LLAMA);
      const summary = visibleWebview(page);
      await summary.locator('a.open-overview').click({ timeout: STEP_TIMEOUT_MS });
      await waitForActiveTab(page, `Overview · ${LLAMA}`);
      const overview = visibleWebview(page);
      await overview.locator('h1', { hasText: exactly(LLAMA) }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await waitDone(overview);
      // 8 layers and 3 other blocks (embedding, final norm; the tied lm_head counted once).
      assert.equal(await overview.locator('.treemap .cell[data-block^="model.layers."]').count(), 8);
      assert.equal(await overview.locator('.treemap .cell[data-block="model.embed_tokens"]').count(), 1);
      assert.equal(await overview.locator('.treemap .cell[data-block="lm_head"]').count(), 0);
      const dtypes = await overview.locator('table.dtypes tr').evaluateAll((trs) => trs.slice(1).map((tr) => tr.querySelector('td')?.textContent ?? ''));
      assert.deepEqual(dtypes, ['float32']);
      for (const stat of ['l2', 'std', 'absMax']) await overview.locator(`.stack[data-stack="model.layers"] .chart[data-stat="${stat}"] canvas`).first().waitFor({ timeout: STEP_TIMEOUT_MS });
      const rows = await overview.locator('table.outliers tr[data-name]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name') ?? ''));
      assert.deepEqual([...new Set(rows)].sort(), flagged);
      await moveMouseAway(page);
      await shot('overview-llama');
      await overview.locator('section.depth').scrollIntoViewIfNeeded();
      await shot('overview-llama-depth');
      await overview.locator('table.outliers').scrollIntoViewIfNeeded();
      await shot('overview-llama-outliers');

      // An outlier's link opens its parameter panel.
      const down = 'model.layers.5.mlp.down_proj.weight';
      await overview.locator(`table.outliers tr[data-name="${down}"] a.open`).first().click();
      await waitForActiveTab(page, `${down} · ${LLAMA}`);
      await visibleWebview(page).locator('h1', { hasText: exactly(down) }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await shot('overview-outlier-panel');
    },
  },
  {
    name: 'model overview of a GPT-2-sized checkpoint made by torch at test time',
    async run({ page, workspace, shot }) {
      const dir = path.join(workspace, 'gpt2');
      const r = spawnSync('/usr/bin/python3', [path.join(FIXTURES, 'make_overview_fixtures.py'), '--gpt2', dir], { encoding: 'utf8' });
      assert.equal(r.status, 0, `make_overview_fixtures.py --gpt2 failed: ${r.stderr}`);
      const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { totalParameters: number; layers: number; outliers: unknown[] };
      await waitForWorkbench(page, 'checkpoint.pt');
      await runOnModel(page, 'ParamScope: Show Model Overview', `gpt2/${GPT2}`);
      await waitForActiveTab(page, `Overview · ${GPT2}`);
      const overview = visibleWebview(page);
      await overview.locator('h1', { hasText: exactly(GPT2) }).waitFor({ timeout: STEP_TIMEOUT_MS });
      // The shares come from the index alone: there before any statistic.
      await overview.locator('header', { hasText: expected.totalParameters.toLocaleString('en-US') }).waitFor({ timeout: STEP_TIMEOUT_MS });
      // The treemap's cells are placed once the page has laid it out (a frame after the header).
      await overview.locator('.treemap .cell[data-block^="h."]').nth(expected.layers - 1).waitFor({ timeout: STEP_TIMEOUT_MS });
      assert.equal(await overview.locator('.treemap .cell[data-block^="h."]').count(), expected.layers);
      await waitDone(overview);
      assert.equal(expected.outliers.length, 0);
      assert.equal(await overview.locator('table.outliers tr[data-name]').count(), 0);
      await overview.locator('p.none').waitFor({ timeout: STEP_TIMEOUT_MS });
      await moveMouseAway(page);
      await shot('overview-gpt2');
      await overview.locator('section.depth').scrollIntoViewIfNeeded();
      await shot('overview-gpt2-depth');
    },
  },
];
