// A person converts a pickled model to safetensors without Python: right-click rgnet.pt in the
// Models view, "Convert to safetensors…", Enter on "Keep dtypes", a new name typed into the save
// dialog, "Wrote …" with Open, and the new file in the Models view with torch's parameter count.
// Then a 200 MB checkpoint torch writes at test time, from the Explorer's menu, cast to float16:
// the notification counts the bytes while it runs, and Cancel leaves nothing. And the palette's way
// in Simplified Chinese.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { expectedFile, expectedModule, expectedModuleCount, openModelsView } from './paramScope';
import {
  expandRow,
  explorerRow,
  openPalette,
  openViewContainer,
  pickWhenListed,
  quickInputRow,
  moveMouseAway,
  READABLE_SIDE_BAR_WIDTH,
  resizeSideBar,
  runFromPalette,
  scrollIntoView,
  STEP_TIMEOUT_MS,
  treeRow,
  visibleWebview,
  waitForActiveTab,
  waitForWorkbench,
  WORKBENCH_TIMEOUT_MS,
  exactly,
  type UiTest,
} from './workbench';

const TITLE = 'ParamScope: Convert to safetensors';
const MENU_ITEM = 'Convert to safetensors…';
/** Casting 200 MB to float16 in a worker on a loaded two-core box. */
const CONVERT_TIMEOUT_MS = 120_000;
const fmt = (n: number): string => n.toLocaleString('en-US');

/** Right-clicks `row` and picks "Convert to safetensors…" in its context menu, once the menu is opaque. */
async function convertFromMenu(page: Page, row: Locator, shot: (name: string) => Promise<string>, shotName: string): Promise<void> {
  await row.click({ button: 'right' });
  const item = page.locator('.monaco-menu .action-item .action-label', { hasText: exactly(MENU_ITEM) });
  await item.waitFor({ timeout: STEP_TIMEOUT_MS });
  type Styled = { ownerDocument: { defaultView: { getComputedStyle(e: unknown): { opacity: string } } } };
  const menu = page.locator('.context-view').filter({ has: item });
  for (const until = Date.now() + STEP_TIMEOUT_MS; (await menu.evaluate((el) => (el as unknown as Styled).ownerDocument.defaultView.getComputedStyle(el).opacity)) !== '1' && Date.now() < until; ) await page.waitForTimeout(50);
  await item.hover();
  await shot(shotName);
  await item.click();
}

/** The dtype pick: checks its rows, then picks `label`. */
async function pickDtype(page: Page, label: string, shot: (name: string) => Promise<string>): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: TITLE }).waitFor({ timeout: STEP_TIMEOUT_MS });
  // Each row's first line (label and description); the detail line below has a label of its own.
  const labels = await widget.locator('.quick-input-list .monaco-list-row .quick-input-list-rows > .quick-input-list-row:first-child .label-name').allInnerTexts();
  assert.deepEqual(labels, ['Keep dtypes', 'Cast to float16', 'Cast to bfloat16', 'Cast to float32']);
  await shot('dtype-pick');
  const row = widget.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: exactly(label) }) });
  await row.click();
}

/**
 * code-server's save dialog is VS Code's simple file dialog: a quick input holding the path, the
 * suggested name after the folder. Checks the suggestion, types `name` over it if given, Enter.
 */
async function answerSaveDialog(page: Page, folder: string, suggested: string, shot: (name: string) => Promise<string>, name?: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: TITLE }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const input = widget.locator('input.input');
  const want = path.join(folder, suggested);
  for (const until = Date.now() + STEP_TIMEOUT_MS; (await input.inputValue()) !== want && Date.now() < until; ) await page.waitForTimeout(50);
  assert.equal(await input.inputValue(), want, 'the save dialog does not suggest the name beside the source');
  await shot('save-dialog');
  if (name) {
    await input.fill(path.join(folder, name));
    await page.waitForTimeout(300); // the dialog re-lists the folder as the path changes
    await shot('save-dialog-typed');
  }
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
}

/** The notification toast whose message matches `text`. */
function toast(page: Page, text: RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { has: page.locator('.notification-list-item-message', { hasText: text }) });
}

/** Waits until the progress toast has gone and `shown` has faded in, so a screenshot shows what a person reads. */
async function settled(page: Page, shown: Locator): Promise<void> {
  await toast(page, /^ParamScope: converting /).waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
  type Styled = { ownerDocument: { defaultView: { getComputedStyle(e: unknown): { opacity: string } } } };
  for (const until = Date.now() + STEP_TIMEOUT_MS; (await shown.evaluate((el) => (el as unknown as Styled).ownerDocument.defaultView.getComputedStyle(el).opacity)) !== '1' && Date.now() < until; ) await page.waitForTimeout(50);
  await page.waitForTimeout(300);
}

export const tests: UiTest[] = [
  {
    name: 'convert to safetensors from the Models view',
    async run({ page, workspace, shot }) {
      const torch = expectedFile('rgnet.pt');
      await waitForWorkbench(page, 'checkpoint.pt');
      const models = await openModelsView(page);
      const list = models.locator('.monaco-list');
      const fileRow = treeRow(models, 'rgnet.pt', 1);
      await scrollIntoView(page, list, fileRow, WORKBENCH_TIMEOUT_MS);
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      await scrollIntoView(page, list, fileRow);
      await convertFromMenu(page, fileRow, shot, 'models-view-menu');

      await pickDtype(page, 'Keep dtypes', shot);
      // rgnet.safetensors is already there (torch's twin): a person types another name.
      await answerSaveDialog(page, workspace, 'rgnet.safetensors', shot, 'rgnet.converted.safetensors');

      const wrote = toast(page, new RegExp(`^ParamScope: wrote rgnet\\.converted\\.safetensors: ${torch.tensors.length} tensors, `));
      await wrote.waitFor({ timeout: CONVERT_TIMEOUT_MS });
      await settled(page, wrote);
      await moveMouseAway(page);
      await shot('wrote-message');
      const message = await wrote.locator('.notification-list-item-message').innerText();
      assert.match(message, /\(from module\)$/, message);
      await wrote.locator('.monaco-button', { hasText: exactly('Open') }).click();

      // Open: the summary editor on the new file, with torch's count; the Models view shows its row.
      await waitForActiveTab(page, 'rgnet.converted.safetensors');
      const summary = visibleWebview(page);
      await summary.locator('h1').filter({ hasText: exactly('rgnet.converted.safetensors') }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const chips = await summary.locator('.chips .chip').allInnerTexts();
      assert.deepEqual(chips, ['safetensors', `${fmt(torch.totalParameters!)} parameters`, `${torch.tensors.length} tensors`]);
      const newRow = treeRow(models, 'rgnet.converted.safetensors', 1);
      await scrollIntoView(page, list, newRow);
      assert.equal(await newRow.locator('.label-description').innerText(), `${fmt(torch.totalParameters!)} params · safetensors`);
      assert.equal(await newRow.getAttribute('aria-selected'), 'true', 'the new file is not revealed in the Models view');
      await moveMouseAway(page);
      await shot('opened-and-revealed');

      // A block of rgnet.pt: its own state_dict, keys relative to it, named after it.
      const block = expectedModule('rgnet.pt', '0.block 1');
      const outer = expectedModule('rgnet.pt', '0');
      await scrollIntoView(page, list, fileRow);
      await expandRow(fileRow);
      const outerRow = treeRow(models, `${outer.name} · ${outer.type}`, 2);
      await scrollIntoView(page, list, outerRow);
      await expandRow(outerRow);
      const blockRow = treeRow(models, `${block.name} · ${block.type}`, 3);
      await scrollIntoView(page, list, blockRow);
      await convertFromMenu(page, blockRow, shot, 'module-row-menu');
      await pickDtype(page, 'Keep dtypes', shot);
      await answerSaveDialog(page, workspace, 'rgnet.0.block_1.safetensors', shot);
      const blockCount = expectedModuleCount('rgnet.pt', block);
      const blockTensors = (function count(m: typeof block): number {
        return m.parameters.length + m.children.reduce((n, c) => n + count(c as typeof block), 0);
      })(block);
      const wroteBlock = toast(page, new RegExp(`^ParamScope: wrote rgnet\\.0\\.block_1\\.safetensors: ${blockTensors} tensors, .* \\(from module ${block.path.replace(/[[\]]/g, '\\$&')}\\)$`));
      await wroteBlock.waitFor({ timeout: CONVERT_TIMEOUT_MS });
      await settled(page, wroteBlock);
      const blockFile = treeRow(models, 'rgnet.0.block_1.safetensors', 1);
      await scrollIntoView(page, list, blockFile, WORKBENCH_TIMEOUT_MS);
      assert.equal(await blockFile.locator('.label-description').innerText(), `${fmt(blockCount)} params · safetensors`);
      await moveMouseAway(page);
      await shot('module-written');
    },
  },
  {
    name: 'convert a 200 MB checkpoint to float16 from the Explorer, with progress',
    async run({ page, workspace, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      // torch writes it now: three 4096x4096 Linear layers' state_dict, 201 MB; it prints the count.
      const made = spawnSync(
        '/usr/bin/python3',
        ['-c', `import torch\ntorch.manual_seed(0)\nm = torch.nn.Sequential(*[torch.nn.Linear(4096, 4096) for _ in range(3)])\nsd = m.state_dict()\ntorch.save(sd, ${JSON.stringify(path.join(workspace, 'wide.pt'))})\nprint(sum(t.numel() for t in sd.values()), len(sd))`],
        { encoding: 'utf8', timeout: 120_000 },
      );
      assert.equal(made.status, 0, made.stderr);
      const [params, tensors] = made.stdout.trim().split(/\s+/).map(Number) as [number, number];
      // Every tensor is floating: float16 is 2 bytes an element.
      const mib = ((2 * params) / 2 ** 20).toFixed(2).replace('.', '\\.');
      await runFromPalette(page, 'View: Show Explorer');
      // Written while the workbench watches the folder; the Explorer's refresh makes sure it is listed.
      const refresh = page.locator('.part.sidebar .pane-header .action-label[aria-label="Refresh Explorer"]');
      await page.locator('.part.sidebar .pane-header', { hasText: /workspace/i }).hover();
      await refresh.click({ timeout: STEP_TIMEOUT_MS });
      const explorerList = page.locator('.explorer-folders-view .monaco-list');
      const row = explorerRow(page, 'wide.pt');
      await scrollIntoView(page, explorerList, row, WORKBENCH_TIMEOUT_MS);
      await convertFromMenu(page, row, shot, 'explorer-menu');
      await pickDtype(page, 'Cast to float16', shot);
      await answerSaveDialog(page, workspace, 'wide.float16.safetensors', shot);

      // The notification names both files and counts bytes while the worker writes; Cancel stops it.
      const running = toast(page, /^ParamScope: converting wide\.pt to wide\.float16\.safetensors/);
      await running.waitFor({ timeout: STEP_TIMEOUT_MS });
      await running.locator('.notification-list-item-message', { hasText: new RegExp(` of ${mib} MiB written$`) }).waitFor({ timeout: CONVERT_TIMEOUT_MS });
      await moveMouseAway(page);
      await shot('progress');
      await running.locator('.monaco-button', { hasText: exactly('Cancel') }).click();
      const cancelled = toast(page, /^ParamScope: conversion cancelled; nothing was written\.$/);
      await cancelled.waitFor({ timeout: CONVERT_TIMEOUT_MS });
      await settled(page, cancelled);
      await moveMouseAway(page);
      await shot('cancelled');
      assert.deepEqual(readdirSync(workspace).filter((f) => f.startsWith('wide') || f.includes('paramscope-tmp')), ['wide.pt'], 'a cancelled conversion left a file');

      // Again, to the end.
      await convertFromMenu(page, row, shot, 'explorer-menu-again');
      await pickDtype(page, 'Cast to float16', shot);
      await answerSaveDialog(page, workspace, 'wide.float16.safetensors', shot);

      const wrote = toast(page, new RegExp(`^ParamScope: wrote wide\\.float16\\.safetensors: ${tensors} tensors, ${mib} MiB \\(from state_dict\\)$`));
      await wrote.waitFor({ timeout: CONVERT_TIMEOUT_MS });
      await settled(page, wrote);
      await moveMouseAway(page);
      await shot('wrote-float16');
      await wrote.locator('.monaco-button', { hasText: exactly('Open') }).click();
      await waitForActiveTab(page, 'wide.float16.safetensors');
      const summary = visibleWebview(page);
      await summary.locator('h1').filter({ hasText: exactly('wide.float16.safetensors') }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const chips = await summary.locator('.chips .chip').allInnerTexts();
      assert.deepEqual(chips, ['safetensors', `${fmt(params)} parameters`, `${tensors} tensors`]);
      assert.match(await summary.locator('table.dtypes').innerText(), /float16/);
      await moveMouseAway(page);
      await shot('float16-summary');
    },
  },
  {
    name: 'convert to safetensors in simplified chinese, from the palette',
    locale: 'zh-cn',
    async run({ page, workspace, shot }) {
      const torch = expectedFile('net.pt');
      await waitForWorkbench(page, 'checkpoint.pt');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      // package.nls.zh-cn.json: the view is 模型 ("Models").
      await openViewContainer(page, 'ParamScope', '模型');
      // package.nls.zh-cn.json's title; the command's own picks are titled from the zh-cn bundle.
      await (await pickWhenListed(page, () => openPalette(page, 'ParamScope: 转换为 safetensors'), 'ParamScope: 转换为 safetensors…')).click();
      const widget = page.locator('.quick-input-widget');
      await widget.locator('.quick-input-title', { hasText: 'ParamScope：转换为 safetensors' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await widget.locator('input.input').fill('net.pt');
      const pick = quickInputRow(page, exactly('net.pt'));
      await pick.waitFor({ timeout: STEP_TIMEOUT_MS });
      await shot('model-pick');
      await pick.click();
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: '保留数据类型' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const labels = await widget.locator('.quick-input-list .monaco-list-row .quick-input-list-rows > .quick-input-list-row:first-child .label-name').allInnerTexts();
      assert.deepEqual(labels, ['保留数据类型', '转换为 float16', '转换为 bfloat16', '转换为 float32']);
      await shot('dtype-pick');
      await page.keyboard.press('Enter');
      const input = widget.locator('input.input');
      const suggested = path.join(workspace, 'net.safetensors');
      for (const until = Date.now() + STEP_TIMEOUT_MS; (await input.inputValue()) !== suggested && Date.now() < until; ) await page.waitForTimeout(50);
      assert.equal(await input.inputValue(), suggested);
      await input.fill(path.join(workspace, 'net.zh.safetensors'));
      await page.waitForTimeout(300);
      await page.keyboard.press('Enter');
      const wrote = toast(page, new RegExp(`^ParamScope：已写入 net\\.zh\\.safetensors：${torch.tensors.length} 个张量`));
      await wrote.waitFor({ timeout: CONVERT_TIMEOUT_MS });
      await settled(page, wrote);
      assert.ok(await wrote.locator('.monaco-button', { hasText: exactly('打开') }).isVisible(), 'no 打开 button');
      assert.ok(await wrote.locator('.monaco-button', { hasText: exactly('在资源管理器中显示') }).isVisible(), 'no 在资源管理器中显示 button');
      await moveMouseAway(page);
      await shot('wrote-message');
    },
  },
];
