// A llama.cpp user drops GGUF files into the workspace: the Models tree lists them under their
// folder with llama.cpp's blk.N blocks, the summary shows the architecture, the quantization mix and
// the metadata (the vocabulary by its length and first tokens, the chat template folded), and a
// Q4_K tensor's panel gives its storage and the values ggml's own to_float gives; the Explorer
// menu opens a .gguf, and Compare Two Models shows how much each tensor lost to quantization.
// Fixtures: test/fixtures/gguf (gen/make_gguf_py.py, gen/make_gguf_types.c).
import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openModelsView, openParameter } from './paramScope';
import { exactly, expandRow, explorerRow, moveMouseAway, openPalette, pickWhenListed, quickInputRow, READABLE_SIDE_BAR_WIDTH, resizeSideBar, runFromPalette, scrollIntoView, STEP_TIMEOUT_MS, treeRow, visibleWebview, waitForActiveTab, waitForWorkbench, WORKBENCH_TIMEOUT_MS, type UiTest } from './workbench';

const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'gguf');
const LLAMA = 'tiny-llama.q4_k.gguf';
const TYPES = 'Q4_K.gguf';
/** The checkpoint tiny-llama.q4_k.gguf was converted from (gen/make_gguf_py.py). */
const SOURCE = 'tiny-llama.safetensors';
/** Statistics and pooling run in a worker; a loaded CI box may be slow. */
const PANEL_TIMEOUT_MS = 30_000;

interface ManifestType {
  label: string;
  tensors: Array<{ name: string; ne: number[] }>;
}

/** ggml's to_float of tensor `t` of Q4_K.gguf (types/Q4_K.f32, written by make_gguf_types.c). */
function ggmlValues(): Float32Array {
  const manifest = JSON.parse(readFileSync(path.join(FIXTURES, 'types', 'manifest.json'), 'utf8')) as { types: ManifestType[] };
  const t = manifest.types.find((x) => x.label === 'Q4_K')!.tensors[0]!;
  const raw = readFileSync(path.join(FIXTURES, 'types', 'Q4_K.f32'));
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + t.ne.reduce((a, b) => a * b, 1) * 4));
}

/** numpy's rel. L2 of each GGUF tensor against its source, and the q/k weights whose rows llama.cpp permuted (expected.json, tinyLlama). */
function quantizationExpected(): { pairs: Array<{ gguf: string; tensors: Array<{ hf: string; gguf: string; relL2: number }> }>; permuted: Record<string, { nHead: number }> } {
  return (JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as { tinyLlama: ReturnType<typeof quantizationExpected> }).tinyLlama;
}

export const tests: UiTest[] = [
  {
    name: 'a GGUF model in the tree, its summary with metadata, a Q4_K tensor panel',
    async run({ page, workspace, shot }) {
      const dir = path.join(workspace, 'gguf');
      mkdirSync(dir, { recursive: true });
      cpSync(path.join(FIXTURES, LLAMA), path.join(dir, LLAMA));
      cpSync(path.join(FIXTURES, 'types', TYPES), path.join(dir, TYPES));
      cpSync(path.join(FIXTURES, SOURCE), path.join(dir, SOURCE));
      await waitForWorkbench(page, 'checkpoint.pt');
      await runFromPalette(page, 'ParamScope: Refresh Models');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);

      // The tree: gguf › tiny-llama.q4_k.gguf › blk [0…1] (two alike blocks, grouped) › 0 › ffn_down › weight (Q4_K).
      const models = await openModelsView(page);
      const list = models.locator('.monaco-list');
      const folder = treeRow(models, 'gguf', 1);
      await scrollIntoView(page, list, folder, WORKBENCH_TIMEOUT_MS);
      const file = treeRow(models, LLAMA, 2);
      await scrollIntoView(page, list, file, WORKBENCH_TIMEOUT_MS);
      assert.match(await file.locator('.label-description').innerText(), /params · gguf$/);
      await expandRow(file);
      let level = 3;
      for (const name of ['blk [0…1]', '0', 'ffn_down']) {
        const row = treeRow(models, name, level++);
        await scrollIntoView(page, list, row);
        await expandRow(row);
      }
      const weight = treeRow(models, 'weight', level);
      await scrollIntoView(page, list, weight);
      assert.match(await weight.locator('.label-description').innerText(), /^Q4_K \[64, 256\] · /);
      await moveMouseAway(page);
      await shot('gguf-tree');

      // The summary: Quick Open picks our editor for .gguf (package.json's selectors come from the registry).
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ timeout: STEP_TIMEOUT_MS });
      await input.fill(LLAMA);
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: LLAMA }).first().click({ timeout: WORKBENCH_TIMEOUT_MS });
      await waitForActiveTab(page, LLAMA);
      const summary = visibleWebview(page);
      await summary.locator('h1', { hasText: LLAMA }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const facts = await summary.locator('.chips.container .chip').allInnerTexts();
      for (const want of ['architecture: llama', 'fileType: Q4_K_S', 'version: 3', 'alignment: 32']) assert.ok(facts.includes(want), `no "${want}" in ${JSON.stringify(facts)}`);
      const mix = await summary.locator('table.dtypes tr').evaluateAll((trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      // The quantization mix: dtype, bits per weight, tensors (the rows' order is the table's).
      for (const want of [['Q5_0', '5.5', '14'], ['Q4_K', '4.5', '2'], ['float32', '32', '5']]) {
        assert.ok(mix.some((r) => want.every((w, i) => r[i] === w)), `no ${JSON.stringify(want)} row in ${JSON.stringify(mix)}`);
      }
      const tokens = summary.locator('table.metadata tr', { has: summary.locator('td.key', { hasText: /^tokenizer\.ggml\.tokens$/ }) });
      await tokens.scrollIntoViewIfNeeded({ timeout: STEP_TIMEOUT_MS });
      assert.equal(await tokens.locator('td').nth(1).innerText(), 'array[string]');
      assert.match(await tokens.locator('summary').innerText(), /^\[300 × string\] /);
      await tokens.locator('summary').click();
      assert.match(await tokens.locator('pre.metadata-items').innerText(), /^0: /);
      const template = summary.locator('table.metadata tr', { has: summary.locator('td.key', { hasText: /^tokenizer\.chat_template$/ }) });
      assert.equal(await template.locator('details').count(), 1, 'the chat template is not folded');
      await moveMouseAway(page);
      await shot('gguf-summary-metadata');

      // A Q4_K tensor's panel: storage, values as ggml dequantizes them, statistics, heatmap.
      const panel = await openParameter(page, 't', TYPES);
      const chips = await panel.locator('header .chip').allInnerTexts();
      assert.ok(chips.includes('dtype Q4_K'), JSON.stringify(chips));
      assert.ok(chips.includes('storage 4.5 bits per weight · 6 blocks of 256 · 864 bytes'), JSON.stringify(chips));
      const ggml = ggmlValues();
      await panel.locator('td[data-stat="count"]').waitFor({ timeout: PANEL_TIMEOUT_MS });
      assert.equal(await panel.locator('td[data-stat="count"]').innerText(), '1,536');
      const shownMax = Number(await panel.locator('td[data-stat="max"]').innerText());
      const max = ggml.reduce((a, b) => Math.max(a, b), -Infinity);
      assert.ok(Math.abs(shownMax - max) <= Math.abs(max) * 1e-5, `max shows ${shownMax}; ggml's values reach ${max}`);
      await panel.locator('section.heatmap canvas[data-drawn]').waitFor({ timeout: PANEL_TIMEOUT_MS });
      const firstRow = panel.locator('section.values [role="row"]', { has: panel.locator('[role="rowheader"]', { hasText: /^0$/ }) });
      await firstRow.waitFor({ timeout: STEP_TIMEOUT_MS });
      const cells = await firstRow.locator('[role="gridcell"]').allInnerTexts();
      assert.ok(cells.length > 4, 'the values table shows no values');
      cells.slice(0, 8).forEach((c, j) => assert.ok(Math.abs(Number(c) - ggml[j]!) <= Math.abs(ggml[j]!) * 1e-4 + 1e-7, `value [0, ${j}] shows ${c}; ggml gives ${ggml[j]}`));
      await moveMouseAway(page);
      await shot('gguf-q4k-panel');

      // The Explorer's context menu offers Open Model… on a .gguf file (its `when` comes from the registry).
      await runFromPalette(page, 'View: Show Explorer');
      const explorerList = page.locator('.explorer-folders-view .monaco-list');
      const folderRow = explorerRow(page, 'gguf');
      await scrollIntoView(page, explorerList, folderRow, WORKBENCH_TIMEOUT_MS);
      await expandRow(folderRow);
      const fileRow = explorerRow(page, LLAMA);
      await scrollIntoView(page, explorerList, fileRow);
      await fileRow.click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-item .action-label', { hasText: /^Open Model…$/ });
      await item.waitFor({ timeout: STEP_TIMEOUT_MS });
      // The menu fades in; the screenshot waits until it is opaque.
      type Styled = { ownerDocument: { defaultView: { getComputedStyle(e: unknown): { opacity: string } } } };
      const menu = page.locator('.context-view').filter({ has: item });
      for (const until = Date.now() + STEP_TIMEOUT_MS; (await menu.evaluate((el) => (el as unknown as Styled).ownerDocument.defaultView.getComputedStyle(el).opacity)) !== '1' && Date.now() < until; ) await page.waitForTimeout(50);
      await item.hover();
      await shot('gguf-explorer-menu');
      await page.keyboard.press('Escape');

      // Quantization error: Compare Two Models, the safetensors source against its Q4_K GGUF. Tensors
      // pair by Hugging Face name; rel. L2 as numpy measured it on gguf-py's dequantized tensors.
      await pickWhenListed(page, () => openPalette(page, 'ParamScope: Compare Two Models…'), 'ParamScope: Compare Two Models…');
      await page.keyboard.press('Enter');
      for (const file of [SOURCE, LLAMA]) {
        const widget = page.locator('.quick-input-widget');
        await widget.locator('.quick-input-title', { hasText: 'ParamScope: Compare Two Models' }).waitFor({ timeout: STEP_TIMEOUT_MS });
        await widget.locator('input.input').fill(`gguf/${file}`);
        const row = quickInputRow(page, exactly(`gguf/${file}`));
        await row.waitFor({ timeout: STEP_TIMEOUT_MS });
        await row.click();
      }
      await waitForActiveTab(page, `Diff · ${SOURCE} ↔ ${LLAMA}`);
      const diff = visibleWebview(page);
      await diff.locator('p[role="status"]', { hasText: /elements compared in each file/ }).waitFor({ timeout: PANEL_TIMEOUT_MS });
      assert.match(await diff.locator('body').innerText(), /matched by their Hugging Face names/);
      const expected = quantizationExpected();
      const pair = expected.pairs.find((p) => p.gguf === LLAMA)!;
      for (const t of pair.tensors) {
        // Rows are named as in the GGUF (b), the file the rows open.
        const tr = diff.locator(`tbody tr[data-name="${t.gguf}"]`);
        assert.equal(await tr.count(), 1, `no diff row for ${t.gguf} (${t.hf})`);
        const shown = Number(await tr.locator('td').nth(2).innerText());
        assert.ok(Math.abs(shown - t.relL2) <= 1e-5 * t.relL2, `${t.hf}: rel. L2 shows ${shown}, numpy ${t.relL2}`);
        // Under the GGUF name: the Hugging Face name, and for q/k weights the permutation undone.
        const also = await tr.locator('td.name .also-named').allInnerTexts();
        const heads = expected.permuted[t.gguf]?.nHead;
        assert.deepEqual(also, [`≙\u00a0${t.hf}`, ...(heads ? [`q/k rows unpermuted (${heads} heads)`] : [])], t.gguf);
      }
      await moveMouseAway(page);
      await shot('gguf-quantization-error');
    },
  },
];
