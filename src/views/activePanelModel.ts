import * as vscode from 'vscode';

/**
 * Which model file the active ParamScope webview panel (parameter, init report, ties, diff) shows.
 * A webview tab says nothing of its file, so panels report themselves here; the status bar reads it.
 * One per extension host: panels of every kind feed the same "active" slot, as there is one
 * active editor.
 */
class ActivePanelModel {
  private current: { panel: vscode.WebviewPanel; uri: vscode.Uri } | undefined;
  /** The file each watched panel shows now (a re-targeted preview changes it). */
  private readonly models = new WeakMap<vscode.WebviewPanel, vscode.Uri>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  /** Follows `panel` (showing `uri`) until it is disposed. */
  watch(panel: vscode.WebviewPanel, uri: vscode.Uri): void {
    this.models.set(panel, uri);
    const update = (): void => {
      if (panel.active) this.current = { panel, uri: this.models.get(panel) ?? uri };
      else if (this.current?.panel === panel) this.current = undefined;
      this.changed.fire();
    };
    const viewState = panel.onDidChangeViewState(update);
    const disposed = panel.onDidDispose(() => {
      viewState.dispose();
      disposed.dispose();
      if (this.current?.panel === panel) this.current = undefined;
      this.changed.fire();
    });
    update();
  }

  /** A watched panel shows another file now (the parameter preview re-targeted). */
  retarget(panel: vscode.WebviewPanel, uri: vscode.Uri): void {
    if (!this.models.has(panel)) return;
    this.models.set(panel, uri);
    if (this.current?.panel !== panel) return;
    this.current = { panel, uri };
    this.changed.fire();
  }

  /** The file of the active panel, if a ParamScope panel is the active editor. */
  get uri(): vscode.Uri | undefined {
    return this.current?.panel.active ? this.current.uri : undefined;
  }
}

export const activePanelModel = new ActivePanelModel();

/**
 * The model the status bar names (the active summary editor's, panel's, bound Python file's, or
 * the tree selection's): the one quick picks offer first. Set by ModelStatusBar.
 */
export const activeModel: { uri: vscode.Uri | undefined } = { uri: undefined };
