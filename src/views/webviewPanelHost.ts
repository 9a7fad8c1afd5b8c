import * as vscode from 'vscode';
import { Rpc } from '../protocol/rpc';
import { activePanelModel } from './activePanelModel';
import { webviewEndpoint, webviewHtml, webviewOptions } from './webviewHtml';

/** What a ParamScope panel is made of. */
export interface PanelSpec {
  viewType: string;
  /** Tab title (also the page's `<title>`). */
  title: string;
  /** The page's bundle, relative to the extension (`dist/webview/parameterPanel.js`). */
  script: string;
  /** The page's own stylesheets besides media/webview.css, relative to the extension (`dist/webview/uPlot.min.css`). */
  styles?: readonly string[];
  /** The model file the panel shows (for the status bar; the second file of a diff); none for a page of many (a training run). */
  model?: vscode.Uri;
  /** A panel VS Code restored after a reload, to adopt instead of creating one. */
  existing?: vscode.WebviewPanel;
  /** `0`: requests wait as long as the work takes (statistics of big tensors). */
  rpcTimeoutMs?: number;
}

/**
 * The lifecycle every ParamScope webview panel shares: create (or adopt after a reload) the panel
 * with our CSP'd page, icon and local roots, report it to the status bar, one typed RPC channel to
 * its page, and one `dispose` that runs once whoever starts it (the tab closing, the manager, the
 * extension). Subclasses add handlers in their constructor and stop their own work in `dispose`
 * before calling `super.dispose()`.
 */
export abstract class WebviewPanelHost<Requests extends Record<string, { params: unknown; result: unknown }>, Notifications extends Record<string, unknown>> {
  protected readonly panel: vscode.WebviewPanel;
  protected readonly rpc: Rpc<Requests, Notifications>;
  protected readonly disposables: vscode.Disposable[] = [];
  private readonly onDisposeHandlers: Array<() => void> = [];
  private disposed = false;

  constructor(extensionUri: vscode.Uri, spec: PanelSpec) {
    this.panel = spec.existing ?? vscode.window.createWebviewPanel(spec.viewType, spec.title, vscode.ViewColumn.Active, webviewOptions(extensionUri));
    // A restored panel keeps its old title (maybe another display language): set it again.
    this.panel.title = spec.title;
    this.panel.webview.options = webviewOptions(extensionUri);
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'paramscope.svg');
    if (spec.model) activePanelModel.watch(this.panel, spec.model);
    this.panel.webview.html = webviewHtml(this.panel.webview, extensionUri, { script: spec.script, title: spec.title, styles: spec.styles });
    this.rpc = new Rpc(webviewEndpoint(this.panel.webview), spec.rpcTimeoutMs === undefined ? {} : { timeoutMs: spec.rpcTimeoutMs });
    this.disposables.push(this.panel.onDidDispose(() => this.dispose()));
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** Whether the panel was closed (or disposed by its manager). */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The panel shows something else now: a new tab title and, for the status bar, model file. */
  protected retitle(title: string, model: vscode.Uri): void {
    this.panel.title = title;
    activePanelModel.retarget(this.panel, model);
  }

  onDispose(f: () => void): void {
    this.onDisposeHandlers.push(f);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.rpc.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    for (const f of this.onDisposeHandlers.splice(0)) f();
  }
}
