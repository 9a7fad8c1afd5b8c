// A person opens a training run (test/fixtures/series/adam: four checkpoint dicts of a torch-trained
// MLP with a frozen layer, an exploded layer and a NaN) from the palette, sees its checkpoints in
// epoch order, the flags, the lines over the epochs and the heatmap of the change between
// checkpoints; a flag's link opens that tensor's parameter panel at the checkpoint it names.
import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { safetensorsBytes } from '../unit/builders';
import { openModelsView } from './paramScope';
import { editorTab, exactly, expandRow, explorerRow, moveMouseAway, scrollIntoView, treeRow, WORKBENCH_TIMEOUT_MS, openPalette, pickWhenListed, quickInputRow, resizeSideBar, STEP_TIMEOUT_MS, visibleWebview, waitForActiveTab, waitForWorkbench, type UiTest } from './workbench';

const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'series');
const TITLE = 'ParamScope: Show Training Run…';
const ANALYSIS_TIMEOUT_MS = 60_000;

const MENU_ITEM = 'Show Training Run…';

/**
 * Right-clicks `row` and picks "Show Training Run…" in its context menu, once the menu is opaque.
 * The menu lists extensions' items only once the remote extension host is up (a few seconds after
 * the window appears): until then, close it and right-click again.
 */
async function runFromMenu(page: Page, row: Locator, shot: (name: string) => Promise<string>, shotName: string, label = MENU_ITEM): Promise<void> {
  const item = page.locator('.monaco-menu .action-item .action-label', { hasText: exactly(label) });
  for (const deadline = Date.now() + ANALYSIS_TIMEOUT_MS; ; ) {
    await row.click({ button: 'right' });
    try {
      await item.waitFor({ timeout: 3_000 });
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
  type Styled = { ownerDocument: { defaultView: { getComputedStyle(e: unknown): { opacity: string } } } };
  const menu = page.locator('.context-view').filter({ has: item });
  for (const until = Date.now() + STEP_TIMEOUT_MS; (await menu.evaluate((el) => (el as unknown as Styled).ownerDocument.defaultView.getComputedStyle(el).opacity)) !== '1' && Date.now() < until; ) await page.waitForTimeout(50);
  await item.hover();
  await shot(shotName);
  await item.click();
}

/** Copies the torch-made run `fixture` into the workspace as `name` and waits for its Explorer row. */
async function runInExplorer(page: Page, workspace: string, fixture: string, name: string): Promise<Locator> {
  cpSync(path.join(FIXTURES, fixture), path.join(workspace, name), { recursive: true });
  await waitForWorkbench(page, 'checkpoint.pt');
  const row = explorerRow(page, name);
  await row.waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
  return row;
}

export const tests: UiTest[] = [
  {
    name: 'series: a training run folder as a timeline, flags linking to the parameter panel',
    async run({ page, workspace, shot }) {
      cpSync(path.join(FIXTURES, 'adam'), path.join(workspace, 'runs', 'adam'), { recursive: true });
      const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected_series.json'), 'utf8')) as Record<string, { files: string[]; tensors: Array<{ name: string; flags: Array<{ kind: string }> }> }>;
      const adam = expected.adam!;
      await waitForWorkbench(page, 'checkpoint.pt');

      // The command's pick lists the folders holding two or more checkpoints the registry knows
      // of; the copy may not be listed yet when it first opens, so open it again until it is.
      const deadline = Date.now() + ANALYSIS_TIMEOUT_MS;
      for (;;) {
        await pickWhenListed(page, () => openPalette(page, TITLE), exactly(TITLE));
        await page.keyboard.press('Enter');
        const row = quickInputRow(page, exactly('runs/adam'));
        try {
          await row.waitFor({ timeout: 3_000 });
          await shot('series-pick-folder');
          await row.click();
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await page.keyboard.press('Escape');
          await page.waitForTimeout(500);
        }
      }
      await waitForActiveTab(page, 'Training run · adam');
      const run = visibleWebview(page);
      await run.locator('h1', { hasText: exactly('adam') }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await run.locator('.progress', { hasText: /^done/ }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      await run.locator('header .facts', { hasText: 'ordered by the epoch each checkpoint records' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const files = await run.locator('table.checkpoints tbody tr td.name').allTextContents();
      assert.deepEqual(files, adam.files);

      const flagged = adam.tensors.flatMap((t) => t.flags.map((f) => `model.${t.name} ${f.kind}`)).sort();
      const shown = await run.locator('ul.flags li').evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-name')} ${li.getAttribute('data-kind')}`));
      assert.deepEqual(shown.sort(), flagged);
      // The tensor the run added at ep12 is listed as such, a link to that checkpoint.
      assert.deepEqual(await run.locator('ul.membership li').allTextContents(), ['model.extra.weight — added at ep12.pt']);
      await run.locator('.series-chart .uplot canvas').first().waitFor({ timeout: STEP_TIMEOUT_MS });
      const legend = await run.locator('.series-chart .u-legend .u-series .u-label').allTextContents();
      assert.ok(legend.includes('model.5.weight'), `legend: ${legend.join(', ')}`);
      await moveMouseAway(page);
      await shot('series-header-table-flags');
      await run.locator('section.lines').scrollIntoViewIfNeeded();
      await shot('series-lines');

      // The heatmap: hovering the exploded layer's cell at the last checkpoint reads it out.
      const canvas = run.locator('canvas.heatmap-canvas');
      await canvas.scrollIntoViewIfNeeded();
      const names = adam.tensors.map((t) => `model.${t.name}`);
      const row = names.indexOf('model.5.weight');
      const box = await canvas.boundingBox();
      assert.ok(box, 'the heatmap has a box');
      // 220 px of row labels, then 4 columns of at most 48 px under a 64 px strip of column labels
      // (one per checkpoint); rows 14 px tall.
      assert.equal(await canvas.getAttribute('data-column-labels'), String(adam.files.length));
      await canvas.hover({ position: { x: 220 + 3 * 48 + 24, y: 64 + row * 14 + 7 } });
      await run.locator('.heat-readout', { hasText: 'model.5.weight at ep30.pt' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await shot('series-heatmap');

      // The ridge plot starts on the first flagged tensor (model.0.bias, NaN at ep30: 8 + 8 + 8 + 7
      // finite values binned); another pick draws that tensor, and a hover reads a bin out.
      const ridge = run.locator('canvas.ridge-canvas');
      await run.locator('canvas.ridge-canvas[data-name="model.0.bias"][data-drawn="31"]').waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      // Every status the ridge shows on the way is kept: the host counts the checkpoints binned.
      type Watched = { textContent: string | null; ownerDocument: { defaultView: Record<string, unknown> & { MutationObserver: new (cb: () => void) => { observe(n: unknown, o: unknown): void } } } };
      await run.locator('.ridge-status').evaluate((el) => {
        const e = el as unknown as Watched;
        const win = e.ownerDocument.defaultView;
        const seen: string[] = [];
        win.ridgeStatuses = seen;
        new win.MutationObserver(() => seen.push(e.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
      });
      await run.locator('select.ridge-tensor').selectOption('model.5.weight');
      await run.locator('canvas.ridge-canvas[data-name="model.5.weight"][data-drawn]').waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      const statuses = await run.locator('.ridge-status').evaluate((el) => (el as unknown as Watched).ownerDocument.defaultView.ridgeStatuses as string[]);
      for (const k of [1, 2, 3, 4]) assert.ok(statuses.includes(`Binning model.5.weight: ${k} of 4 checkpoints…`), JSON.stringify(statuses));
      // Scrolled to the readout (under the canvas) before the hover, so the shot shows both.
      await run.locator('.ridge-readout').scrollIntoViewIfNeeded();
      // 96 px of row labels; the last (4th) row's baseline is 6 + 1.6 · 34 + 3 · 34 px down.
      await ridge.hover({ position: { x: 96 + 20, y: Math.round(6 + 1.6 * 34 + 3 * 34) - 4 } });
      await run.locator('.ridge-readout', { hasText: /^ep30\.pt, bin \[/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await shot('series-ridge');
      // A narrower panel (a wider side bar) draws the ridge again at the new width, then back.
      const widthNow = (): Promise<string> => ridge.evaluate((c) => (c as unknown as { style: { width: string } }).style.width);
      const before = await widthNow();
      const bar = (await page.locator('.part.sidebar').boundingBox())!;
      await resizeSideBar(page, bar.width + 200);
      await run.locator(`canvas.ridge-canvas[data-name="model.5.weight"]:not([style*="width: ${before}"])`).waitFor({ timeout: STEP_TIMEOUT_MS });
      const after = await widthNow();
      assert.ok(parseFloat(after) < parseFloat(before), `the ridge was ${before} wide and is ${after} after the panel narrowed`);
      await shot('series-ridge-narrower');
      await resizeSideBar(page, bar.width);
      await run.locator(`canvas.ridge-canvas[style*="width: ${before}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });

      // A click on a ridge row opens the tensor at that checkpoint: the last row, ep30.pt.
      await ridge.click({ position: { x: 96 + 20, y: Math.round(6 + 1.6 * 34 + 3 * 34) - 4 } });
      await waitForActiveTab(page, 'model.5.weight · ep30.pt');
      await editorTab(page, 'Training run · adam').click();
      await waitForActiveTab(page, 'Training run · adam');

      // A click on a cell opens that tensor at that checkpoint: model.0.weight at ep12.pt.
      await canvas.click({ position: { x: 220 + 2 * 48 + 24, y: 64 + names.indexOf('model.0.weight') * 14 + 7 } });
      await waitForActiveTab(page, 'model.0.weight · ep12.pt');
      await visibleWebview(page).locator('h1', { hasText: exactly('model.0.weight') }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await shot('series-heatmap-click-parameter-panel');
      await editorTab(page, 'Training run · adam').click();
      await waitForActiveTab(page, 'Training run · adam');

      // The exploded flag's link opens the parameter panel at the checkpoint where it showed.
      await visibleWebview(page).locator('ul.flags li[data-kind="exploded"] a.open').click();
      await waitForActiveTab(page, 'model.5.weight · ep30.pt');
      await visibleWebview(page).locator('h1', { hasText: exactly('model.5.weight') }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await shot('series-flag-parameter-panel');
    },
  },
  {
    name: 'series: a run from the Explorer context menu, a foreign checkpoint left out; a folder that is no run says why',
    async run({ page, workspace, shot }) {
      const row = await runInExplorer(page, workspace, 'sgd', 'sgd-run');
      await runFromMenu(page, row, shot, 'series-explorer-menu');
      await waitForActiveTab(page, 'Training run · sgd-run');
      const run = visibleWebview(page);
      await run.locator('.progress', { hasText: /^done/ }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      assert.deepEqual(await run.locator('table.checkpoints tbody tr td.name').allTextContents(), ['epoch_1.pt', 'epoch_2.pt', 'epoch_10.pt', 'epoch_25.pt']);
      await run.locator('ul.left-out li', { hasText: /^other_model\.pt: another model: shares \d+% of its tensor names with epoch_1\.pt$/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const kinds = await run.locator('ul.flags li').evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-name')} ${li.getAttribute('data-kind')}`));
      assert.deepEqual(kinds.sort(), ['model.2.bias frozen', 'model.2.weight frozen']);
      await moveMouseAway(page);
      await shot('series-sgd-from-explorer');

      // The truncated fixtures are no run (one of them still readable): the page shows the RunError's message.
      await runFromMenu(page, explorerRow(page, 'broken'), shot, 'series-broken-menu');
      await waitForActiveTab(page, 'Training run · broken');
      await visibleWebview(page).locator('p.status.error', { hasText: /^a training run needs two or more checkpoints; found one readable \(net\.truncated90\.safetensors\); left out / }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      await shot('series-broken-error');
    },
  },
  {
    name: 'series: chosen checkpoints as a run, a line clicked opens that checkpoint, two ticked compare',
    async run({ page, workspace, shot }) {
      const folder = await runInExplorer(page, workspace, 'sgd', 'chosen-run');
      await folder.click();
      // Three of the folder's five files, ticked in the Explorer with Ctrl (the other model and epoch_25 left out).
      const rows = ['epoch_10.pt', 'epoch_1.pt', 'epoch_2.pt'].map((f) => explorerRow(page, f));
      await rows[0]!.waitFor({ timeout: STEP_TIMEOUT_MS });
      await rows[0]!.click();
      for (const r of rows.slice(1)) await r.click({ modifiers: ['Control'] });
      await page.locator('.explorer-folders-view .monaco-list-row.selected').nth(2).waitFor({ timeout: STEP_TIMEOUT_MS });
      await runFromMenu(page, rows[2]!, shot, 'series-selection-menu');
      await waitForActiveTab(page, 'Training run · chosen-run (3 files)');
      const run = visibleWebview(page);
      await run.locator('.progress', { hasText: /^done/ }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      assert.deepEqual(await run.locator('table.checkpoints tbody tr td.name').allTextContents(), ['epoch_1.pt', 'epoch_2.pt', 'epoch_10.pt']);
      await run.locator('label.follow-label', { hasText: 'follow the files' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      assert.equal(await run.locator('ul.left-out li').count(), 0);

      // A line's last point, clicked, opens that tensor at the last chosen checkpoint.
      const chart = run.locator('.series-chart[data-last-point]');
      await chart.waitFor({ timeout: STEP_TIMEOUT_MS });
      await chart.scrollIntoViewIfNeeded();
      const point = JSON.parse((await chart.getAttribute('data-last-point'))!) as { name: string; order: number; left: number; top: number };
      assert.equal(point.order, 2);
      // The last point sits on the plotting area's right edge: aim 2 px inside it.
      const over = run.locator('.series-chart .u-over');
      const at = { x: Math.max(0, point.left - 2), y: point.top };
      await over.hover({ position: at });
      await shot('series-line-hover');
      await over.click({ position: at });
      await waitForActiveTab(page, `${point.name} · epoch_10.pt`);
      await visibleWebview(page).locator('h1', { hasText: exactly(point.name) }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await shot('series-line-click-parameter-panel');
      await editorTab(page, 'Training run · chosen-run (3 files)').click();
      await waitForActiveTab(page, 'Training run · chosen-run (3 files)');

      // Two checkpoints ticked in the table: "Compare the two chosen" opens their diff.
      const page2 = visibleWebview(page);
      const compare = page2.locator('button.compare-chosen');
      assert.equal(await compare.isDisabled(), true);
      const boxes = page2.locator('table.checkpoints tbody tr input.choose');
      await boxes.nth(0).check();
      await boxes.nth(2).check();
      await page2.locator('button.compare-chosen:not([disabled])').waitFor({ timeout: STEP_TIMEOUT_MS });
      await page2.locator('table.checkpoints').scrollIntoViewIfNeeded();
      await moveMouseAway(page);
      await shot('series-two-chosen');
      await compare.click();
      await waitForActiveTab(page, 'Diff · epoch_1.pt ↔ epoch_10.pt');
      await visibleWebview(page).locator('p[role="status"]', { hasText: /elements compared in each file/ }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      await moveMouseAway(page);
      await shot('series-chosen-diff');
    },
  },
  {
    name: 'series: two checkpoints selected in the Models view as a run',
    async run({ page, workspace, shot }) {
      cpSync(path.join(FIXTURES, 'sgd'), path.join(workspace, 'picked-run'), { recursive: true });
      await waitForWorkbench(page, 'checkpoint.pt');
      const models = await openModelsView(page);
      const list = models.locator('.monaco-list');
      const folder = treeRow(models, 'picked-run', 1);
      await scrollIntoView(page, list, folder, WORKBENCH_TIMEOUT_MS);
      await expandRow(folder);
      const [first, last] = ['epoch_1.pt', 'epoch_25.pt'].map((f) => treeRow(models, f, 2));
      await scrollIntoView(page, list, last!);
      await first!.locator('.label-name').click();
      await last!.locator('.label-name').click({ modifiers: ['Control'] });
      await models.locator('.monaco-list-row.selected').nth(1).waitFor({ timeout: STEP_TIMEOUT_MS });
      await runFromMenu(page, last!, shot, 'series-models-view-selection-menu');
      await waitForActiveTab(page, 'Training run · picked-run (2 files)');
      const run = visibleWebview(page);
      await run.locator('.progress', { hasText: /^done/ }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      assert.deepEqual(await run.locator('table.checkpoints tbody tr td.name').allTextContents(), ['epoch_1.pt', 'epoch_25.pt']);
      // The pass's progress notification closes a moment after the page says done.
      await page.locator('.notification-toast', { hasText: 'ParamScope: training run picked-run' }).waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
      await moveMouseAway(page);
      await shot('series-models-view-selection-page');
    },
  },
  {
    name: 'series: hostile tensor names stay text on the run page',
    async run({ page, workspace, shot }) {
      const names = ['w\r\r[Click me](command:workbench)', 'v\n\n![x](https://evil-example/x-png)', '<img src=x onerror=alert(1)>'];
      const dir = path.join(workspace, 'hostile-run');
      mkdirSync(dir, { recursive: true });
      // Two identical checkpoints: every tensor is frozen, so every name is a flag and a line.
      const bytes = safetensorsBytes(Object.fromEntries(names.map((n, i) => [n, { dtype: 'F32', shape: [1], data_offsets: [4 * i, 4 * i + 4] }])), new Uint8Array(new Float32Array([1, 2, 3]).buffer));
      for (const f of ['step_1.safetensors', 'step_2.safetensors']) writeFileSync(path.join(dir, f), bytes);
      await waitForWorkbench(page, 'checkpoint.pt');
      const row = explorerRow(page, 'hostile-run');
      await row.waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      await runFromMenu(page, row, shot, 'series-hostile-menu');
      await waitForActiveTab(page, 'Training run · hostile-run');
      const run = visibleWebview(page);
      await run.locator('.progress', { hasText: /^done/ }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      const flagged = await run.locator('ul.flags li a.open').evaluateAll((as) => as.map((a) => a.textContent ?? ''));
      assert.deepEqual(flagged.sort(), [...names].sort());
      const legend = await run.locator('.series-chart .u-legend .u-series .u-label').evaluateAll((ls) => ls.map((l) => l.textContent ?? ''));
      for (const n of names) assert.ok(legend.includes(n), `legend: ${JSON.stringify(legend)}`);
      assert.equal(await run.locator('img').count(), 0);
      assert.equal(await run.locator('a[href^="command:"], a[href^="https:"]').count(), 0);
      await moveMouseAway(page);
      await shot('series-hostile-names');
    },
  },
  {
    name: 'series: the run page in simplified chinese',
    locale: 'zh-cn',
    async run({ page, workspace, shot }) {
      const row = await runInExplorer(page, workspace, 'adam', 'adam-run');
      // package.nls.zh-cn.json names the command 显示训练过程….
      await runFromMenu(page, row, shot, 'series-zh-menu', '显示训练过程…');
      await waitForActiveTab(page, '训练过程 · adam-run');
      const run = visibleWebview(page);
      await run.locator('.progress[data-phase="done"]').waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
      await run.locator('header .facts', { hasText: '4 个检查点 · 12 个张量 · 按各检查点记录的轮次排序' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const headings = await run.locator('h2').allInnerTexts();
      for (const h of ['检查点', '标记', '训练过程中的变化', '相对上一检查点的变化', '各步的直方图']) assert.ok(headings.includes(h), `no heading "${h}" in ${JSON.stringify(headings)}`);
      await run.locator('ul.flags li[data-kind="frozen"]', { hasText: '冻结：每个检查点都完全相同' }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
      await moveMouseAway(page);
      await shot('series-zh-page');
    },
  },
];
