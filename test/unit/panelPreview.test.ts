import { describe, expect, it } from 'vitest';
import { ClickTracker, DOUBLE_CLICK_MS, showAction, type ShowSituation } from '../../src/views/panelPreview';

describe('the parameter preview panel: what opening a parameter does', () => {
  const base: ShowSituation = { open: false, secondClick: false, previewEnabled: true, previewPanel: true };
  it.each<[string, Partial<ShowSituation>, ReturnType<typeof showAction>]>([
    ['another parameter, a preview open: re-target it (no new webview)', {}, 'retarget'],
    ['another parameter, no preview (none yet, or pinned): a new panel (the preview)', { previewPanel: false }, 'create'],
    ['previews off (ours or workbench.editor.enablePreview): a new panel per parameter', { previewEnabled: false }, 'create'],
    ['its panel is open (the preview itself, or pinned): reveal, not pin', { open: true }, 'reveal'],
    ['the second click of a double click on its row: reveal and pin', { open: true, secondClick: true }, 'revealAndPin'],
    ['its panel open with previews off: reveal', { open: true, previewEnabled: false }, 'reveal'],
  ])('%s', (_what, patch, expected) => {
    expect(showAction({ ...base, ...patch })).toBe(expected);
  });
});

describe('ClickTracker', () => {
  it('tells a double click on one row from two clicks apart or on two rows', () => {
    const t = new ClickTracker();
    expect(t.click('a', 1000)).toBe(false);
    expect(t.click('a', 1000 + DOUBLE_CLICK_MS)).toBe(true);
    // A third click starts a new pair.
    expect(t.click('a', 1000 + DOUBLE_CLICK_MS + 10)).toBe(false);
    expect(t.click('a', 5000)).toBe(false);
    expect(t.click('a', 5000 + DOUBLE_CLICK_MS + 1)).toBe(false);
    expect(t.click('b', 5000 + DOUBLE_CLICK_MS + 50)).toBe(false);
    expect(t.click('a', 5000 + DOUBLE_CLICK_MS + 60)).toBe(false);
  });
});
