import * as vscode from 'vscode';

/** What the registry needs of a panel. */
export interface TrackedPanel {
  reveal(): void;
  onDispose(f: () => void): void;
  dispose(): void;
}

/**
 * One webview panel per model file: opens or reveals it, forgets it when closed, and brings it
 * back after a window reload from the `file` its page saved with `setState`.
 */
export class FilePanels<P extends TrackedPanel> implements vscode.Disposable {
  private readonly panels = new Map<string, P>();

  constructor(
    private readonly viewType: string,
    private readonly create: (uri: vscode.Uri, existing?: vscode.WebviewPanel) => P,
  ) {}

  /** Opens (or reveals) the panel of a model file. */
  show(uri: vscode.Uri): P {
    const open = this.panels.get(uri.toString());
    if (open) {
      open.reveal();
      return open;
    }
    return this.track(uri, this.create(uri));
  }

  private track(uri: vscode.Uri, panel: P): P {
    const key = uri.toString();
    this.panels.set(key, panel);
    panel.onDispose(() => this.panels.delete(key));
    return panel;
  }

  registerSerializer(): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(this.viewType, {
      deserializeWebviewPanel: async (webviewPanel, state: unknown) => {
        const file = (state as { file?: unknown } | undefined)?.file;
        if (typeof file !== 'string') {
          webviewPanel.dispose();
          return;
        }
        const uri = vscode.Uri.file(file);
        this.track(uri, this.create(uri, webviewPanel));
      },
    });
  }

  /** The panels open now, by file uri (for the integration tests). */
  get openPanels(): ReadonlyMap<string, P> {
    return this.panels;
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
  }
}
