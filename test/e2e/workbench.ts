// What a person does in VS Code 1.100.3 (code-server 4.100.3), as playwright-core steps.
// Selectors are the ones measured for the tests (docs/dependencies.md); every wait has a timeout.
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** A cold workbench with the extension host starting takes a few seconds; CI may be slower. */
export const WORKBENCH_TIMEOUT_MS = 60_000;
/** Any single UI reaction (palette opening, a list filtering). */
export const STEP_TIMEOUT_MS = 15_000;

/** What scripts/e2e/runUi.mjs hands each UI test. */
export interface UiContext {
  page: Page;
  /** Absolute path of the opened workspace folder (a copy of test/fixtures/models). */
  workspace: string;
  /** Saves test-results/ui/<test>/<NN>-<name>.png and returns its path. */
  shot(name: string): Promise<string>;
}

export interface UiTest {
  name: string;
  /** Display language of the code-server the test runs in (default English); see runUi.mjs. */
  locale?: string;
  run(ctx: UiContext): Promise<void>;
}

/** Waits until the workbench shows the workspace's files in the Explorer. */
export async function waitForWorkbench(page: Page, anyFileName: string): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
  await explorerRow(page, anyFileName).waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
}

export function explorerRow(page: Page, label: string): Locator {
  return page.locator(`.explorer-folders-view .monaco-list-row[role="treeitem"][aria-label="${label}"]`);
}

/** Opens the command palette (F1) and types `>query`; returns the quick-input widget. */
export async function openPalette(page: Page, query: string): Promise<Locator> {
  const widget = page.locator('.quick-input-widget');
  await page.keyboard.press('F1');
  const input = widget.locator('input.input');
  await input.waitFor({ timeout: STEP_TIMEOUT_MS });
  await input.fill(`>${query}`);
  return widget;
}

/** The quick-input row whose label contains `label` (a RegExp for an exact match). */
export function quickInputRow(page: Page, label: string | RegExp): Locator {
  return page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
}

/**
 * Opens a quick pick with `open` until `label` is among its rows. A quick pick lists what the
 * workbench knew when it opened, and the remote extension host registers extensions' commands and
 * output channels a few seconds after the window appears; so reopen instead of waiting longer.
 */
export async function pickWhenListed(page: Page, open: () => Promise<unknown>, label: string | RegExp, timeoutMs = WORKBENCH_TIMEOUT_MS): Promise<Locator> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await open();
    const row = quickInputRow(page, label);
    try {
      await row.waitFor({ timeout: 3_000 });
      return row;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
}

/** Runs a command the way a person does: F1, type its full title, wait for the row, Enter. */
export async function runFromPalette(page: Page, title: string, shotAfterTyping?: () => Promise<unknown>): Promise<void> {
  await pickWhenListed(page, () => openPalette(page, title), title);
  await shotAfterTyping?.();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
}

/** Texts of the notification toasts currently shown. */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page.locator('.notifications-toasts .notification-toast .notification-list-item-message').allInnerTexts();
}

/**
 * Shows an output channel through "Output: Show Output Channels…" and returns the Output view's
 * text. The list holds only channels that exist, so finding an extension's channel at all proves
 * that the extension activated.
 */
export async function showOutputChannel(page: Page, channel: string): Promise<string> {
  const openChannelPicker = async () => {
    await pickWhenListed(page, () => openPalette(page, 'Output: Show Output Channels'), 'Output: Show Output Channels');
    await page.keyboard.press('Enter');
  };
  const row = await pickWhenListed(page, openChannelPicker, new RegExp(`^${channel}$`));
  await row.click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
  const lines = page.locator('.panel .output-view .monaco-editor .view-lines');
  await lines.waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction((el) => (el?.textContent ?? '').trim().length > 0, await lines.elementHandle(), { timeout: STEP_TIMEOUT_MS });
  return lines.innerText();
}

/** Matches exactly `text`; tree labels hold `.`, `[` and `·`, so escape them. */
export function exactly(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/**
 * Clicks a view container's icon in the activity bar (the remote extension host adds extensions'
 * icons a few seconds after the window appears) and returns the pane of `viewTitle` in it. Clicking
 * the icon of the container already shown would hide the side bar, so that click is skipped.
 */
export async function openViewContainer(page: Page, containerTitle: string, viewTitle: string): Promise<Locator> {
  const item = page.locator('.activitybar .action-item', { has: page.locator(`a.action-label[aria-label="${containerTitle}"]`) });
  await item.waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
  if (!((await item.getAttribute('class')) ?? '').split(/\s+/).includes('checked')) await item.click();
  const pane = viewPane(page, viewTitle);
  await pane.waitFor({ timeout: STEP_TIMEOUT_MS });
  return pane;
}

/** A view in the side bar by its title (the header is hidden, not absent, when it is the only view). */
export function viewPane(page: Page, viewTitle: string): Locator {
  return page.locator('.part.sidebar .pane', { has: page.locator('.pane-header h3.title', { hasText: exactly(viewTitle) }) });
}

/** A row of a tree (custom view or Explorer) by its exact label, optionally at one depth (1 = top). */
export function treeRow(scope: Locator, label: string, level?: number): Locator {
  const rows = scope.locator(`.monaco-list-row[role="treeitem"]${level ? `[aria-level="${level}"]` : ''}`);
  return rows.filter({ has: scope.page().locator('.label-name', { hasText: exactly(label) }) });
}

/** How far a virtualized list is scrolled (monaco moves the rows element up instead of scrolling). */
async function listScrollTop(list: Locator): Promise<number> {
  return list.evaluate((el) => -parseFloat((el.querySelector('.monaco-list-rows') as { style: { top: string } } | null)?.style.top || '0'));
}

/**
 * Scrolls a virtualized list with the mouse wheel, as a person does, until `row` is wholly inside
 * it: lists render only the rows in view, so a row further down does not exist until then. Goes
 * from the top to the end, and again while time is left (a tree may still be fetching children).
 */
export async function scrollIntoView(page: Page, list: Locator, row: Locator, timeoutMs = STEP_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // A view shows a message instead of its list until its extension has activated.
  await list.waitFor({ timeout: timeoutMs });
  const inView = async (): Promise<boolean> => {
    const [l, r] = await Promise.all([list.boundingBox(), row.count().then((n) => (n === 1 ? row.boundingBox() : null))]);
    return !!l && !!r && r.y >= l.y - 0.5 && r.y + r.height <= l.y + l.height + 0.5;
  };
  const box = await list.boundingBox();
  if (!box) throw new Error('the list to scroll is not visible');
  for (;;) {
    if (await inView()) return;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let last = NaN; (await listScrollTop(list)) !== last; ) {
      last = await listScrollTop(list);
      await page.mouse.wheel(0, -box.height);
      await page.waitForTimeout(50);
    }
    for (let last = NaN; (await listScrollTop(list)) !== last; ) {
      if (await inView()) return;
      last = await listScrollTop(list);
      await page.mouse.wheel(0, box.height / 3);
      await page.waitForTimeout(80);
    }
    if (await inView()) return;
    if (Date.now() > deadline) throw new Error(`${row} not found in the list after ${timeoutMs} ms of scrolling`);
    await page.waitForTimeout(250);
  }
}

/** What a tree row shows: its label, description, depth (1 = top) and what a screen reader reads. */
export interface TreeRowText {
  index: number;
  level: number;
  label: string;
  description: string;
  ariaLabel: string;
}

/** Scrolls a virtualized tree from top to end with the mouse wheel and returns every row it showed. */
export async function readAllRows(page: Page, list: Locator): Promise<TreeRowText[]> {
  await list.waitFor({ timeout: STEP_TIMEOUT_MS });
  const box = await list.boundingBox();
  if (!box) throw new Error('the list to read is not visible');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let last = NaN; (await listScrollTop(list)) !== last; ) {
    last = await listScrollTop(list);
    await page.mouse.wheel(0, -box.height);
    await page.waitForTimeout(50);
  }
  const seen = new Map<number, TreeRowText & { indent: number }>();
  for (let last = NaN; ; ) {
    const rows = await list.locator('.monaco-list-row[role="treeitem"]').evaluateAll((els) =>
      els.map((e) => ({
        index: Number(e.getAttribute('data-index')),
        level: Number(e.getAttribute('aria-level')),
        label: e.querySelector('.label-name')?.textContent ?? '',
        description: e.querySelector('.label-description')?.textContent ?? '',
        ariaLabel: e.getAttribute('aria-label') ?? '',
        // The twistie's indent tells the depth where a row carries no aria-level.
        indent: Math.round(e.querySelector('.monaco-tl-contents')?.getBoundingClientRect().left ?? -1),
      })),
    );
    for (const r of rows) seen.set(r.index, r);
    const top = await listScrollTop(list);
    if (top === last) break;
    last = top;
    await page.mouse.wheel(0, box.height / 2);
    await page.waitForTimeout(80);
  }
  // Expanded rows are seen without aria-level: their depth is the rank of their indent among all
  // rows' (every row's ancestors are among the rows read, so no depth is skipped).
  const all = [...seen.values()];
  const indents = [...new Set(all.map((r) => r.indent))].sort((a, b) => a - b);
  const levelAt = new Map(indents.map((x, i) => [x, i + 1]));
  return all
    .map(({ indent, ...r }) => ({ ...r, level: r.level > 0 ? r.level : (levelAt.get(indent) ?? 0) }))
    .sort((a, b) => a.index - b.index);
}

/**
 * Expands a collapsed tree row by clicking it (a row without a command toggles) and waits until it
 * shows as expanded and no longer as loading.
 */
export async function expandRow(row: Locator): Promise<void> {
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.locator('.monaco-tl-contents').click();
  await row.and(row.page().locator('[aria-expanded="true"]')).waitFor({ timeout: STEP_TIMEOUT_MS });
  await row.locator('.monaco-tl-twistie.codicon-tree-item-loading').waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
}

/** Hovers `target` and returns the text of the workbench hover that appears. */
export async function hoverText(page: Page, target: Locator): Promise<string> {
  await target.hover();
  const hover = page.locator('.workbench-hover-container .monaco-hover').filter({ visible: true });
  await hover.waitFor({ timeout: STEP_TIMEOUT_MS });
  return hover.innerText();
}

/** Moves the mouse to the status bar so no hover hides what the next screenshot should show. */
export async function moveMouseAway(page: Page): Promise<void> {
  const bar = await page.locator('.part.statusbar').boundingBox();
  if (bar) await page.mouse.move(bar.x + bar.width / 2, bar.y + bar.height / 2);
  await page.locator('.workbench-hover-container .monaco-hover').filter({ visible: true }).waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS }).catch(() => undefined);
}

/** VS Code's default side bar width: descriptions of longer rows are cut off at it. */
export const DEFAULT_SIDE_BAR_WIDTH = 300;
/** Wide enough for "rgnet.state_dict.legacy.pt pytorch-legacy · 309 params" on one line. */
export const READABLE_SIDE_BAR_WIDTH = 460;

/**
 * Drags the side bar's edge until it is `width` pixels wide, as a person does when the default
 * 300 px cuts off descriptions.
 */
export async function resizeSideBar(page: Page, width: number): Promise<void> {
  const bar = await page.locator('.part.sidebar').boundingBox();
  if (!bar) throw new Error('the side bar is not visible');
  const y = bar.y + bar.height / 2;
  await page.mouse.move(bar.x + bar.width, y);
  await page.mouse.down();
  await page.mouse.move(bar.x + width, y, { steps: 5 });
  await page.mouse.up();
  await moveMouseAway(page);
}

/** An editor tab by its title. */
export function editorTab(page: Page, title: string): Locator {
  return page.locator(`.part.editor .tabs-container .tab[aria-label="${title}"]`);
}

/** Waits until the editor tab titled `title` is the active one. */
export async function waitForActiveTab(page: Page, title: string): Promise<void> {
  await editorTab(page, title).and(page.locator('.active')).waitFor({ timeout: STEP_TIMEOUT_MS });
}

/**
 * The content of the webview on screen (a hidden webview keeps its iframe, invisible; the newest
 * one wins while an editor switch is under way). Its page is the inner `#active-frame`.
 */
export function visibleWebview(page: Page): FrameLocator {
  return page.locator('iframe.webview.ready').filter({ visible: true }).last().contentFrame().frameLocator('#active-frame');
}
