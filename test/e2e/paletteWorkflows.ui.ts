// A person finds a parameter by typing part of its access path in "Find Parameter…", sees the model
// it belongs to in the status bar, and clicks that to open the model's summary.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { assertParameterPanel, expectedFile } from './paramScope';
import { moveMouseAway, openPalette, pickWhenListed, quickInputRow, runFromPalette, STEP_TIMEOUT_MS, visibleWebview, waitForActiveTab, waitForWorkbench, WORKBENCH_TIMEOUT_MS, exactly, type UiTest } from './workbench';

const RGNET = 'rgnet.pt';
/** Statistics and comparisons run in workers; a loaded CI box may be slow. */
const ANALYSIS_TIMEOUT_MS = 30_000;

interface DiffPair {
  a: string;
  b: string;
  tensors: Array<{ name: string; status: string; metrics?: { relL2: number | null; cosine: number | null } }>;
}

/** The model diff torch computed (test/fixtures/make_diff_fixtures.py). */
function expectedDiff(a: string, b: string): DiffPair {
  const all = JSON.parse(readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'expected_diff.json'), 'utf8')) as { pairs: DiffPair[] };
  return all.pairs.find((p) => p.a === a && p.b === b)!;
}

/** Picks `label` (a file's workspace-relative path) in the model quick pick that is open. */
async function pickFile(page: Page, label: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('input.input').fill(label);
  const row = quickInputRow(page, exactly(label));
  await row.waitFor({ timeout: STEP_TIMEOUT_MS });
  await row.click();
}

export const tests: UiTest[] = [
  {
    name: 'find parameter and the status bar',
    async run({ page, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      await runFromPalette(page, 'ParamScope: Find Parameter…');
      const widget = page.locator('.quick-input-widget');
      await widget.locator('.quick-input-title', { hasText: 'ParamScope: Find Parameter' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      // Bits of the name, as a person remembers them: "block 1 … bias" in rgnet.pt.
      await widget.locator('input.input').fill('b1bias rgnet.pt');
      // The same path exists in rgnet.pt, its legacy and protocol-4/5 twins: take the one in rgnet.pt.
      const pick = page
        .locator('.quick-input-widget .quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: exactly('rgnet[0][1][0].bias') }) })
        .filter({ hasText: '0.block 1.0.bias — rgnet.pt' })
        .first();
      await pick.waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
      const rowText = await pick.innerText();
      assert.match(rowText, /float32 \[8\]/, `the row does not show dtype and shape: ${rowText}`);
      await shot('find-parameter');
      await pick.click();
      await assertParameterPanel(page, RGNET, '0.block 1.0.bias');

      // The status bar names the model of the active panel, with its parameter total.
      const total = expectedFile(RGNET).totalParameters!.toLocaleString('en-US');
      const item = page.locator('.statusbar-item', { hasText: `rgnet.pt · ${total}` });
      await item.waitFor({ timeout: STEP_TIMEOUT_MS });
      await moveMouseAway(page);
      await shot('status-bar');
      await item.click();
      await waitForActiveTab(page, 'rgnet.pt');
      await visibleWebview(page).locator('h1', { hasText: exactly('rgnet.pt') }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await shot('summary-from-status-bar');
    },
  },
  {
    name: 'compare two models',
    async run({ page, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      await pickWhenListed(page, () => openPalette(page, 'ParamScope: Compare Two Models…'), 'ParamScope: Compare Two Models…');
      await page.keyboard.press('Enter');
      const widget = page.locator('.quick-input-widget');
      await widget.locator('.quick-input-title', { hasText: 'ParamScope: Compare Two Models' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await pickFile(page, 'diff/before.pt');
      await widget.locator('.quick-input-title', { hasText: 'ParamScope: Compare Two Models' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await pickFile(page, 'diff/after.safetensors');
      await waitForActiveTab(page, 'Diff · before.pt ↔ after.safetensors');
      const panel = visibleWebview(page);
      await panel.locator('p[role="status"]', { hasText: /elements compared in each file/ }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      // Every row torch listed, with its status; relative L2 as torch computed it.
      const torch = expectedDiff('models/diff/before.pt', 'models/diff/after.safetensors');
      for (const t of torch.tensors) {
        const tr = panel.locator(`tbody tr[data-name="${t.name}"]`);
        assert.equal(await tr.getAttribute('data-status'), t.status, `${t.name} status`);
        const rel = t.metrics?.relL2;
        if (rel !== undefined && rel !== null) {
          const shown = Number(await tr.locator('td').nth(2).innerText());
          assert.ok(Math.abs(shown - rel) <= 1e-5 * Math.max(rel, 1e-12), `${t.name}: rel. L2 shows ${shown}, torch ${rel}`);
        }
      }
      await moveMouseAway(page);
      await shot('diff-panel');
      // Sort by relative change, largest first (second click).
      const header = panel.getByRole('button', { name: 'rel. L2' });
      await header.click();
      await header.click();
      await moveMouseAway(page);
      await shot('diff-panel-sorted');
    },
  },
];
