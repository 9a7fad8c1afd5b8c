/**
 * The parameter panel's preview rules (VS Code's preview editors, `workbench.editor.enablePreview`):
 * one panel that a click re-targets, until the person works in it. Pure, so the unit tests cover it.
 */

/**
 * Two clicks of the same tree row this close together, as the host receives their commands, are a
 * double click: VS Code's (and most desktops') 500 ms. The commands reach the extension host over
 * its message channel, so a busy host sees them further apart than the person clicked; 400 ms
 * missed a real double click in CI under load.
 */
export const DOUBLE_CLICK_MS = 500;

/** What `ParameterPanels.show` does with a parameter. */
export type ShowAction =
  /** Its panel is open: bring it to front. */
  | 'reveal'
  /** Its panel is open and this is the second click of a double click: bring it to front, pinned. */
  | 'revealAndPin'
  /** Show it in the preview panel (a new `init`, no new webview). */
  | 'retarget'
  /** A new panel: the preview when previews are on, else pinned from the start. */
  | 'create';

export interface ShowSituation {
  /** The parameter has a panel already. */
  open: boolean;
  /** This call is the second click of a double click on the same row. */
  secondClick: boolean;
  /** `workbench.editor.enablePreview` and `paramscope.parameterPanel.preview` are both on. */
  previewEnabled: boolean;
  /** A preview panel exists (open, not pinned). */
  previewPanel: boolean;
}

export function showAction(s: ShowSituation): ShowAction {
  if (s.open) return s.secondClick ? 'revealAndPin' : 'reveal';
  return s.previewEnabled && s.previewPanel ? 'retarget' : 'create';
}

/** Tells the second click of a double click on a tree row from two separate clicks. */
export class ClickTracker {
  private last: { key: string; at: number } | undefined;

  constructor(private readonly withinMs = DOUBLE_CLICK_MS) {}

  /** Records a click on `key` at `now` (ms); true when it completes a double click (a third click starts over). */
  click(key: string, now: number): boolean {
    const second = this.last !== undefined && this.last.key === key && now - this.last.at <= this.withinMs;
    this.last = second ? undefined : { key, at: now };
    return second;
  }
}
