// What a person does in VS Code 1.100.3 (code-server 4.100.3), as playwright-core steps.
// Selectors are the ones measured in shared/E2E.md; every wait has a timeout.
import type { Locator, Page } from 'playwright-core';

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
