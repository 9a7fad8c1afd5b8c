import * as vscode from 'vscode';

/** What the registry needs of a panel. */
export interface TrackedPanel {
  reveal(): void;
  onDispose(f: () => void): void;
  dispose(): void;
}

/** How a kind of panel is keyed, made, and brought back from the state its page saved. */
export interface PanelKind<K, P extends TrackedPanel> {
  viewType: string;
  /** One panel per key: a file, a file's tensor, a pair of files. */
  keyOf(key: K): string;
  create(key: K, existing?: vscode.WebviewPanel): P;
  /** The key a page saved with `setState`, or undefined when the state is not one of ours. */
  fromState(state: unknown): K | undefined;
}

/**
 * One webview panel per key: opens or reveals it, forgets it when closed, and brings it back after
 * a window reload from the key its page saved with `setState`.
 */
export class KeyedPanels<K, P extends TrackedPanel> implements vscode.Disposable {
  private readonly panels = new Map<string, P>();
  /** Each panel's key now: a re-targeted panel (the parameter preview) changes key while open. */
  private readonly keys = new Map<P, string>();

  constructor(private readonly kind: PanelKind<K, P>) {}

  /** Opens (or reveals) the panel of `key`. */
  show(key: K): P {
    const open = this.panels.get(this.kind.keyOf(key));
    if (open) {
      open.reveal();
      return open;
    }
    return this.track(key, this.kind.create(key));
  }

  /** The open panel of `key`, if any. */
  get(key: K): P | undefined {
    return this.panels.get(this.kind.keyOf(key));
  }

  /** Files an open panel under a new key (it now shows `key`); refuses a key another panel has. */
  rekey(panel: P, key: K): void {
    const old = this.keys.get(panel);
    if (old === undefined) throw new Error('rekey: the panel is not open');
    const k = this.kind.keyOf(key);
    if (k === old) return;
    if (this.panels.has(k)) throw new Error(`rekey: ${k} already has a panel`);
    this.panels.delete(old);
    this.panels.set(k, panel);
    this.keys.set(panel, k);
  }

  private track(key: K, panel: P): P {
    const k = this.kind.keyOf(key);
    this.panels.set(k, panel);
    this.keys.set(panel, k);
    panel.onDispose(() => {
      const now = this.keys.get(panel);
      this.keys.delete(panel);
      if (now !== undefined && this.panels.get(now) === panel) this.panels.delete(now);
    });
    return panel;
  }

  registerSerializer(): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(this.kind.viewType, {
      deserializeWebviewPanel: async (webviewPanel, state: unknown) => {
        const key = this.kind.fromState(state);
        if (key === undefined) {
          webviewPanel.dispose();
          return;
        }
        this.track(key, this.kind.create(key, webviewPanel));
      },
    });
  }

  /** The panels open now, by `keyOf` (for the integration tests). */
  get openPanels(): ReadonlyMap<string, P> {
    return this.panels;
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
  }
}

/** One panel per model file (init report, tied parameters), revived from the `file` its page saved. */
export class FilePanels<P extends TrackedPanel> extends KeyedPanels<vscode.Uri, P> {
  constructor(viewType: string, create: (uri: vscode.Uri, existing?: vscode.WebviewPanel) => P) {
    super({
      viewType,
      keyOf: (uri) => uri.toString(),
      create,
      fromState: (state) => {
        const file = (state as { file?: unknown } | undefined)?.file;
        return typeof file === 'string' ? vscode.Uri.file(file) : undefined;
      },
    });
  }
}
