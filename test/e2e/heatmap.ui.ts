// A person opens a GPT-2-like token embedding and sees its two outlier dimensions as bright lines in
// the heatmap, reads a cell's statistics under the mouse, drags a rectangle to zoom into a region
// (pooled again from the file), opens a conv weight as a grid of filters and as [out, in·kh·kw],
// switches tabs and comes back to the same layout, scrolls the values table to its last row, and
// looks at a one-element tensor's histogram. Fixtures: test/fixtures/make_heatmap_fixtures.py.
import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { openParameter } from './paramScope';
import { editorTab, exactly, moveMouseAway, openPalette, pickWhenListed, quickInputRow, runFromPalette, STEP_TIMEOUT_MS, visibleWebview, waitForActiveTab, waitForWorkbench, type UiTest } from './workbench';

const repoRoot = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'heatmap');
/** Pooling runs in a worker; a loaded CI box may be slow. */
const HEATMAP_TIMEOUT_MS = 30_000;

interface Expected {
  outlierColumns: number[];
  cases: Array<{ name: string; rows: number; cols: number; maxAbs?: number[] }>;
}
const expected = (): Expected => JSON.parse(readFileSync(path.join(FIXTURES, 'expected_heatmap.json'), 'utf8')) as Expected;

/** IEEE half → number (the test reads the file's bytes itself, not through ParamScope). */
function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const f = bits & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** `wte.weight[r, c]` as stored in embed.safetensors (float16, row-major). */
function embedValue(r: number, c: number): number {
  const bytes = readFileSync(path.join(FIXTURES, 'embed.safetensors'));
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
  const t = header['wte.weight']!;
  return half(bytes.readUInt16LE(8 + headerLen + t.data_offsets[0] + (r * t.shape[1]! + c) * 2));
}

/** The heatmap canvas once drawn, with what it drew (data-* attributes the page sets after painting). */
async function heatmapDrawn(panel: FrameLocator, want?: { drawn?: string; window?: RegExp }): Promise<Record<string, string>> {
  const canvas = panel.locator('section.heatmap canvas[data-drawn]');
  await canvas.waitFor({ timeout: HEATMAP_TIMEOUT_MS });
  const deadline = Date.now() + HEATMAP_TIMEOUT_MS;
  for (;;) {
    const attrs = await canvas.evaluate((c) => ({ ...(c as unknown as { dataset: Record<string, string> }).dataset }));
    const loading = await panel.locator('section.heatmap[data-loading]').count();
    const ok = loading === 0 && (!want?.drawn || attrs.drawn === want.drawn) && (!want?.window || want.window.test(attrs.window ?? ''));
    if (ok) return attrs;
    if (Date.now() > deadline) throw new Error(`the heatmap shows ${JSON.stringify(attrs)}, not ${JSON.stringify(want)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Page coordinates of the centre of matrix cell (row, col) of the drawn window. */
async function pointOf(panel: FrameLocator, attrs: Record<string, string>, row: number, col: number): Promise<{ x: number; y: number }> {
  const [px, py, pw, ph] = attrs.plot!.split(',').map(Number) as [number, number, number, number];
  const [r0, r1, c0, c1] = attrs.window!.split(',').map(Number) as [number, number, number, number];
  const canvas = panel.locator('section.heatmap canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  if (!box) throw new Error('the heatmap canvas is not on screen');
  return { x: box.x + px + ((col + 0.5 - c0) / (c1 - c0)) * pw, y: box.y + py + ((row + 0.5 - r0) / (r1 - r0)) * ph };
}

/** The colour the canvas shows at a page point. */
async function colourAt(panel: FrameLocator, pt: { x: number; y: number }): Promise<[number, number, number]> {
  const box = (await panel.locator('section.heatmap canvas').boundingBox())!;
  return panel.locator('section.heatmap canvas').evaluate(
    (c, p) => {
      // No DOM library in the test build: the canvas's shape, as much as is used here.
      const canvas = c as unknown as { width: number; clientWidth: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
      const k = canvas.width / canvas.clientWidth;
      const d = canvas.getContext('2d')!.getImageData(Math.floor(p.x * k), Math.floor(p.y * k), 1, 1).data;
      return [d[0]!, d[1]!, d[2]!] as [number, number, number];
    },
    { x: pt.x - box.x, y: pt.y - box.y },
  );
}

export const tests: UiTest[] = [
  {
    name: 'heatmap of an embedding with outlier dimensions, zoom, conv filters and panel polish',
    async run({ page, workspace, shot }) {
      const dir = path.join(workspace, 'heatmap');
      mkdirSync(dir, { recursive: true });
      for (const f of ['embed.safetensors', 'conv.safetensors']) cpSync(path.join(FIXTURES, f), path.join(dir, f));
      await waitForWorkbench(page, 'checkpoint.pt');
      await runFromPalette(page, 'ParamScope: Refresh Models');

      // The embedding: 4096 × 256 pooled into at most 400 cell rows, max |x| per cell by default.
      const { outlierColumns } = expected();
      let panel = await openParameter(page, 'wte.weight', 'embed.safetensors');
      // Once init detection has answered, the page above the heatmap no longer grows.
      await panel.locator('.init .verdict:not([data-init=""])').waitFor({ timeout: HEATMAP_TIMEOUT_MS });
      let attrs = await heatmapDrawn(panel);
      await panel.locator('section.heatmap canvas').scrollIntoViewIfNeeded();
      assert.equal(attrs.stat, 'maxAbs', 'a pooled embedding should show max |x| per cell');
      assert.match(attrs.drawn ?? '', /^256x\d+$/, 'one cell column per embedding dimension');
      await moveMouseAway(page);
      await shot('embedding-heatmap');

      // The outlier dimensions are the top of the scale (viridis yellow), a normal one is not.
      const mid = 2048;
      for (const c of outlierColumns) {
        const [r, g, b] = await colourAt(panel, await pointOf(panel, attrs, mid, c));
        assert.ok(r > 230 && g > 210 && b < 80, `outlier column ${c} is drawn rgb(${r},${g},${b}), not the top of the scale`);
      }
      const [r, g] = await colourAt(panel, await pointOf(panel, attrs, mid, 100));
      assert.ok(!(r > 230 && g > 210), `column 100 is drawn like an outlier: rgb(${r},${g})`);

      // Other statistics per cell and no clipping: std, and max |x| over the cells' full range.
      const cellsSelect = panel.locator('section.heatmap select[aria-label="statistic per cell"]');
      const clipSelect = panel.locator('section.heatmap select[aria-label="colour scale clipping"]');
      await cellsSelect.selectOption('std');
      assert.equal((await heatmapDrawn(panel)).stat, 'std');
      await cellsSelect.selectOption('maxAbs');
      await clipSelect.selectOption({ label: 'none (full range)' });
      const full = (await heatmapDrawn(panel)).scale!.split(',').map(Number);
      const torchMax = Math.max(...expected().cases.find((c) => c.name === 'embed-full')!.maxAbs!);
      assert.ok(Math.abs(full[1]! - torchMax) <= 1e-6 * torchMax, `the unclipped scale ends at ${full[1]}; torch's largest cell max |x| is ${torchMax}`);
      await shot('embedding-max-abs-unclipped');
      await clipSelect.selectOption({ label: 'percentiles 1–99' });
      await cellsSelect.selectOption('auto');
      attrs = await heatmapDrawn(panel);

      // The readout names the cell under the mouse and its statistics.
      const at = await pointOf(panel, attrs, mid, outlierColumns[1]!);
      await page.mouse.move(at.x, at.y);
      const readout = panel.locator('.heatmap-readout');
      await readout.filter({ hasText: `column ${outlierColumns[1]}:` }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const text = await readout.innerText();
      assert.match(text, /^rows \d+–\d+, column 138: mean 0\.3\d+, std 0\.0\d+, min .*, max .*, max \|x\| 0\.[3-6]\d*/, `readout: ${text}`);
      await shot('embedding-readout');

      // Drag a rectangle around rows ~1000–1100 of columns 130–146: that region is pooled again.
      const from = await pointOf(panel, attrs, 1000, 130);
      const to = await pointOf(panel, attrs, 1100, 146);
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
      await page.mouse.move(to.x, to.y, { steps: 6 });
      await shot('embedding-zoom-rectangle');
      await page.mouse.up();
      attrs = await heatmapDrawn(panel, { window: /^(9[5-9]\d|10[0-4]\d),1(0[5-9]|1[0-4])\d,1[23]\d,14\d$/ });
      const [wr0, wr1, wc0, wc1] = attrs.window!.split(',').map(Number) as [number, number, number, number];
      assert.equal(attrs.drawn, `${wc1 - wc0}x${wr1 - wr0}`, 'a zoomed-in region this small is one cell per value');
      assert.equal(attrs.stat, 'mean', 'one value per cell shows the values');
      const cell = await pointOf(panel, attrs, wr0 + 5, 138);
      await page.mouse.move(cell.x, cell.y);
      await readout.filter({ hasText: `row ${wr0 + 5}, column 138: value` }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const value = Number((await readout.innerText()).split('value ')[1]);
      const stored = embedValue(wr0 + 5, 138);
      assert.ok(Math.abs(value - stored) <= 1e-5 * Math.abs(stored), `the readout says ${value}; the file holds ${stored}`);
      await shot('embedding-zoomed');
      await panel.getByRole('button', { name: 'Whole matrix' }).click();
      attrs = await heatmapDrawn(panel, { window: /^0,4096,0,256$/ });
      // A double-click zooms in twice as close around the point.
      const centre = await pointOf(panel, attrs, 2048, 128);
      await page.mouse.dblclick(centre.x, centre.y);
      await heatmapDrawn(panel, { window: /^10[12]\d,30[67]\d,6[3-5],19[1-3]$/ });
      await panel.getByRole('button', { name: 'Whole matrix' }).click();
      await heatmapDrawn(panel, { window: /^0,4096,0,256$/ });

      // The values table scrolled to its last row: the header stays on top, no row under it.
      const viewport = panel.locator('.values-viewport');
      await viewport.scrollIntoViewIfNeeded();
      await viewport.evaluate((v) => (v.scrollTop = v.scrollHeight));
      const last = panel.locator('.values-row', { has: panel.locator('[role="rowheader"]', { hasText: /^4095$/ }) });
      await last.waitFor({ timeout: STEP_TIMEOUT_MS });
      const vBox = (await viewport.boundingBox())!;
      const hBox = (await panel.locator('.values-row.header').boundingBox())!;
      const lBox = (await last.boundingBox())!;
      assert.ok(Math.abs(hBox.y - vBox.y) <= 2, `the header is at y=${hBox.y}, the table's top at ${vBox.y}`);
      assert.ok(lBox.y >= hBox.y + hBox.height - 1 && lBox.y + lBox.height <= vBox.y + vBox.height + 1, 'the last row is hidden under the header or below the table');
      const widths = await viewport.evaluate((v) => [v.scrollWidth, v.clientWidth]);
      assert.ok(widths[0]! >= 17 * 108, `the table is ${widths[0]} px wide: the right-hand columns are cut off`);
      await moveMouseAway(page);
      await shot('values-last-row');

      // A conv weight: a grid of 8 × 6 filters of 3 × 3, then [out, in·kh·kw].
      panel = await openParameter(page, 'conv1.weight', 'conv.safetensors');
      await panel.locator('section.heatmap').scrollIntoViewIfNeeded();
      attrs = await heatmapDrawn(panel, { drawn: '18x24' });
      await moveMouseAway(page);
      await shot('conv-filters-grid');
      const filterCell = await pointOf(panel, attrs, 4, 7);
      await page.mouse.move(filterCell.x, filterCell.y);
      await panel.locator('.heatmap-readout').filter({ hasText: 'filter [1, 2], position (1, 1)' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await panel.locator('section.heatmap select[aria-label="layout of conv weights"]').selectOption('flat');
      await heatmapDrawn(panel, { drawn: '54x8' });
      await moveMouseAway(page);
      await shot('conv-flat');

      // An overlay scheme picked and a simulated sample drawn in the init section…
      const init = panel.locator('section.init');
      const overlay = init.locator('select');
      await overlay.locator('option[value="1"]').waitFor({ state: 'attached', timeout: HEATMAP_TIMEOUT_MS });
      await overlay.selectOption('1');
      const chosen = await overlay.locator('option[value="1"]').innerText();
      await init.getByRole('button', { name: /^Simulate/ }).click();
      await init.locator('section.histogram canvas[data-drawn]').waitFor({ timeout: HEATMAP_TIMEOUT_MS });

      // …another tab and back: the page is rebuilt and keeps its layout, overlay, sample and scroll.
      await panel.locator('section.heatmap').scrollIntoViewIfNeeded();
      await page.waitForTimeout(400); // the page saves its scroll 150 ms after the last scroll event
      const scrolled = await panel.locator('body').evaluate(() => Math.round((globalThis as unknown as { scrollY: number }).scrollY));
      assert.ok(scrolled > 100, `the page did not scroll (${scrolled})`);
      await editorTab(page, 'wte.weight · embed.safetensors').click();
      await waitForActiveTab(page, 'wte.weight · embed.safetensors');
      await editorTab(page, 'conv1.weight · conv.safetensors').click();
      await waitForActiveTab(page, 'conv1.weight · conv.safetensors');
      panel = visibleWebview(page);
      await heatmapDrawn(panel, { drawn: '54x8' });
      assert.equal(await panel.locator('section.heatmap select[aria-label="layout of conv weights"]').inputValue(), 'flat', 'the layout was lost on a tab switch');
      const initAgain = panel.locator('section.init');
      await initAgain.locator('section.histogram canvas[data-drawn]').waitFor({ timeout: HEATMAP_TIMEOUT_MS });
      assert.equal(await initAgain.locator('select').inputValue(), '1', 'the overlay was lost on a tab switch');
      assert.equal(await initAgain.locator('select option[value="1"]').innerText(), chosen);
      assert.equal(await panel.locator('section.histogram canvas').first().getAttribute('data-overlay'), chosen.replace(/^detected: /, ''), 'the overlay curve is not drawn again');
      // The scroll comes back once the sections above have filled in again (the sample last).
      let back = -1;
      for (let waited = 0; waited < 3_000 && Math.abs(back - scrolled) > 2; waited += 200) {
        back = await panel.locator('body').evaluate(() => Math.round((globalThis as unknown as { scrollY: number }).scrollY));
        if (Math.abs(back - scrolled) > 2) await page.waitForTimeout(200);
      }
      assert.ok(Math.abs(back - scrolled) <= 2, `the page came back scrolled to ${back}, not ${scrolled}`);
      await moveMouseAway(page);
      await shot('conv-after-tab-switch-as-left');
      await initAgain.scrollIntoViewIfNeeded();
      await shot('conv-init-after-tab-switch');
      await panel.locator('section.heatmap').scrollIntoViewIfNeeded();
      await shot('conv-after-tab-switch');

      // A 600 × 512 layer of random values: noise across the whole colour scale, not a faint grey.
      panel = await openParameter(page, 'w', 'big.safetensors');
      await panel.locator('.init .verdict:not([data-init=""])').waitFor({ timeout: HEATMAP_TIMEOUT_MS });
      attrs = await heatmapDrawn(panel);
      await panel.locator('section.heatmap canvas').scrollIntoViewIfNeeded();
      const [lo, hi] = attrs.scale!.split(',').map(Number) as [number, number];
      assert.ok(hi > lo, `the scale of big.w is flat: ${attrs.scale}`);
      await moveMouseAway(page);
      await shot('big-600x512');

      // One element: the histogram says so and draws one visible bar, with a count axis.
      panel = await openParameter(page, 'one', 'dtypes.safetensors');
      const hist = panel.locator('section.histogram').first();
      await hist.locator('canvas[data-drawn="1"]').waitFor({ timeout: HEATMAP_TIMEOUT_MS });
      const histReadout = await hist.locator('.readout').innerText();
      assert.match(histReadout, /^one value: /, `histogram readout of a one-element tensor: ${histReadout}`);
      await moveMouseAway(page);
      await shot('one-element-histogram');

      // In a dark theme: the embedding's histogram (count axis, labels) and heatmap.
      const themes = 'Preferences: Color Theme';
      await (await pickWhenListed(page, () => openPalette(page, themes), exactly(themes))).click();
      const dark = quickInputRow(page, exactly('Dark Modern'));
      await dark.waitFor({ timeout: STEP_TIMEOUT_MS });
      await dark.click();
      await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: STEP_TIMEOUT_MS });
      await editorTab(page, 'wte.weight · embed.safetensors').click();
      await waitForActiveTab(page, 'wte.weight · embed.safetensors');
      panel = visibleWebview(page);
      await panel.locator('section.histogram canvas[data-drawn]').first().scrollIntoViewIfNeeded({ timeout: HEATMAP_TIMEOUT_MS });
      await heatmapDrawn(panel);
      await moveMouseAway(page);
      await shot('dark-theme-histogram');
      await panel.getByRole('button', { name: 'Log count axis' }).first().click();
      await moveMouseAway(page);
      await shot('dark-theme-histogram-log');
      await panel.locator('section.heatmap canvas').scrollIntoViewIfNeeded();
      await shot('dark-theme-heatmap');
    },
  },
];
