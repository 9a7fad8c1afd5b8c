import * as vscode from 'vscode';
import { KeyedPanels } from './filePanels';
import { WebviewPanelHost } from './webviewPanelHost';
import { storageRegionKey } from '../model/buildIndex';
import type { ModelIndex, TensorEntry } from '../core/modelIndex';
import type { PanelNotifications, PanelRequests, ParameterInfo } from '../protocol/messages';
import type { ModelRegistry } from './modelRegistry';
import type { TensorService } from './tensorService';
import { findTensor } from './treeNodes';
import { BLOCK_LAYOUT, bitsPerElement, isBlockDType, storageBytes } from '../core/dtypes';
import { ClickTracker, showAction } from './panelPreview';

export const PARAMETER_PANEL_VIEW_TYPE = 'paramscope.parameterPanel';
/** Tensors above this many elements also show a cancellable progress notification. */
const NOTIFY_PROGRESS_ABOVE_ELEMENTS = 16 * 1024 * 1024;

/** The storage facts of a block-quantized tensor, and its Hugging Face name, for the panel's header. */
export function blockStorage(t: TensorEntry): Pick<ParameterInfo, 'storage' | 'hfName'> {
  const out: Pick<ParameterInfo, 'storage' | 'hfName'> = {};
  if (isBlockDType(t.dtype)) {
    const { elements } = BLOCK_LAYOUT[t.dtype];
    out.storage = { bytes: storageBytes(t.dtype, t.count), blocks: t.count / elements, blockElements: elements, bitsPerElement: bitsPerElement(t.dtype) };
  }
  if (typeof t.details?.hfName === 'string') out.hfName = t.details.hfName;
  return out;
}

/** The key of a parameter panel; `preview` only when it is made or revived (what its page saved). */
interface ParameterKey {
  uri: vscode.Uri;
  name: string;
  preview?: boolean;
}

/** How a caller opens a parameter. */
export interface ShowParameterOptions {
  /** A click in the Models tree: a second click of the same row within DOUBLE_CLICK_MS pins its panel. */
  click?: boolean;
  /** When the click's command arrived (ms), taken before any await so a busy host does not stretch a double click. */
  clickedAt?: number;
}

/** Whether a click shows parameters in one preview panel (VS Code's setting and ours). */
export function parameterPreviewEnabled(): boolean {
  return vscode.workspace.getConfiguration('workbench.editor').get<boolean>('enablePreview', true) && vscode.workspace.getConfiguration('paramscope.parameterPanel').get<boolean>('preview', true);
}

/**
 * The parameter panels: one per parameter opened for good (pinned), and at most one preview panel
 * that opening another parameter re-targets (a new `init` to the same webview, ~1.1 s of webview
 * creation saved per click; docs/performance.md). Working in the preview pins it.
 */
export class ParameterPanels implements vscode.Disposable {
  private readonly panels: KeyedPanels<ParameterKey, ParameterPanel>;
  private preview: ParameterPanel | undefined;
  private readonly clicks = new ClickTracker();

  constructor(
    extensionUri: vscode.Uri,
    private readonly registry: ModelRegistry,
    tensors: TensorService,
    log: vscode.LogOutputChannel,
  ) {
    this.panels = new KeyedPanels<ParameterKey, ParameterPanel>({
      viewType: PARAMETER_PANEL_VIEW_TYPE,
      keyOf: ({ uri, name }) => `${uri.toString()}#${name}`,
      create: ({ uri, name, preview }, existing) => {
        // One preview at a time: a second revived preview (two windows' worth of state) is pinned.
        const asPreview = preview === true && !this.previewPanel();
        const panel = new ParameterPanel(extensionUri, uri, name, registry, tensors, log, asPreview, existing);
        if (asPreview) this.preview = panel;
        panel.onDispose(() => {
          if (this.preview === panel) this.preview = undefined;
        });
        return panel;
      },
      fromState: (state) => {
        const s = state as { file?: unknown; name?: unknown; preview?: unknown } | undefined;
        return typeof s?.file === 'string' && typeof s.name === 'string' ? { uri: vscode.Uri.file(s.file), name: s.name, preview: s.preview === true } : undefined;
      },
    });
  }

  /** The preview panel, if one is open and not pinned. */
  private previewPanel(): ParameterPanel | undefined {
    const p = this.preview;
    return p && !p.isDisposed && p.isPreview ? p : undefined;
  }

  /**
   * Opens a parameter: reveals its panel if it has one, else shows it in the preview panel (when
   * previews are on and one exists), else opens a new panel (the preview, when previews are on).
   * Refuses a file that cannot be read or lacks the parameter.
   */
  async show(uri: vscode.Uri, name: string, opts: ShowParameterOptions = {}): Promise<ParameterPanel> {
    const key = `${uri.toString()}#${name}`;
    const secondClick = opts.click === true && this.clicks.click(key, opts.clickedAt ?? Date.now());
    if (!this.panels.get({ uri, name })) {
      const entry = await this.registry.load(uri);
      if (!entry.index) throw new Error(entry.error ?? vscode.l10n.t('cannot read {0}', uri.fsPath));
      if (!findTensor(entry.index, name)) throw new Error(vscode.l10n.t("{0} has no parameter '{1}'", uri.fsPath, name));
    }
    // Looked up again: another call may have opened it while the index loaded (a double click's first half).
    const open = this.panels.get({ uri, name });
    const preview = this.previewPanel();
    const action = showAction({ open: open !== undefined, secondClick, previewEnabled: parameterPreviewEnabled(), previewPanel: preview !== undefined });
    switch (action) {
      case 'reveal':
      case 'revealAndPin':
        open!.reveal();
        if (action === 'revealAndPin') open!.pin();
        return open!;
      case 'retarget':
        this.panels.rekey(preview!, { uri, name });
        preview!.retarget(uri, name);
        preview!.reveal();
        // The two halves of a double click can resume here in either order (each waited for the
        // index): when the second half comes first, it is the one that keeps the panel.
        if (secondClick) preview!.pin();
        return preview!;
      case 'create': {
        const created = await this.panels.show({ uri, name, preview: parameterPreviewEnabled() });
        if (secondClick) created.pin();
        return created;
      }
    }
  }

  /** Brings panels back after a window reload, from the state their page saved. */
  registerSerializer(): vscode.Disposable {
    return this.panels.registerSerializer();
  }

  /** The panels open now, by `${uri}#${name}` (for tests). */
  get openPanels(): ReadonlyMap<string, ParameterPanel> {
    return this.panels.openPanels;
  }

  dispose(): void {
    this.panels.dispose();
  }
}

/** A request of the page that outlived the parameter it was for (the preview moved on). */
class RetargetedError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'RetargetedError';
  }
}

function panelTitle(uri: vscode.Uri, name: string): string {
  return `${name} · ${uri.path.split('/').pop() ?? uri.path}`;
}

/** One parameter's panel, kept in step with its file; the preview panel shows another one on `retarget`. */
export class ParameterPanel extends WebviewPanelHost<PanelRequests, PanelNotifications> {
  private generation = 0;
  private index: ModelIndex | undefined;
  private target: { uri: vscode.Uri; name: string };
  private preview: boolean;
  /** The last statistics sent, for tests and the integration harness (cleared on re-target). */
  lastStats: unknown;

  constructor(
    extensionUri: vscode.Uri,
    uri: vscode.Uri,
    name: string,
    private readonly registry: ModelRegistry,
    private readonly tensors: TensorService,
    private readonly log: vscode.LogOutputChannel,
    preview: boolean,
    existing?: vscode.WebviewPanel,
  ) {
    super(extensionUri, { viewType: PARAMETER_PANEL_VIEW_TYPE, title: panelTitle(uri, name), script: 'dist/webview/parameterPanel.js', model: uri, existing, rpcTimeoutMs: 0 });
    this.target = { uri, name };
    this.preview = preview;
    const created = Date.now();
    this.rpc.onNotify('ready', () => {
      this.log.info(`timing: parameter panel ready ${Date.now() - created} ms after creation`);
      void this.sendInit();
    });
    this.rpc.onNotify('keepOpen', () => this.pin());
    this.rpc.handle('stats', (_p, ctx) => this.stats(ctx.signal));
    this.rpc.handle('heatmap', async (p, ctx) => this.tensors.heatmap(await this.tensor(), p, { signal: ctx.signal }));
    this.rpc.handle('values', async (p, ctx) => this.tensors.values(await this.tensor(), p.slice, p.rowStart, p.rowCount, { signal: ctx.signal }));
    this.rpc.handle('init', async (_p, ctx) => {
      const t = await this.tensor();
      // Judged with the model's other layers of its type (as the init report does), where the model is small enough.
      return this.tensors.initInModel(this.index!, t, { signal: ctx.signal });
    });
    this.rpc.handle('overlay', async (p, ctx) => {
      const s = await this.stats(ctx.signal);
      return this.tensors.overlay(p.scheme, p.bins, s.count - s.nan - s.inf, p.simulateSeed, { signal: ctx.signal });
    });
    this.disposables.push(
      registry.onDidChange((changed) => {
        if (!changed || changed.toString() === this.target.uri.toString()) void this.sendInit();
      }),
    );
  }

  get uri(): vscode.Uri {
    return this.target.uri;
  }

  get name(): string {
    return this.target.name;
  }

  /** Whether this is the preview panel (a click elsewhere re-targets it) rather than pinned. */
  get isPreview(): boolean {
    return this.preview;
  }

  /** Keeps the panel on its parameter: no click re-targets it from now on. */
  pin(): void {
    if (!this.preview) return;
    this.preview = false;
    this.rpc.notify('pinned', {});
  }

  /**
   * Shows another parameter in this (preview) panel: new title and status-bar model, the old
   * tensor's work in flight cancelled, and an `init` of a new generation to the same page.
   */
  retarget(uri: vscode.Uri, name: string): void {
    this.target = { uri, name };
    this.index = undefined;
    this.lastStats = undefined;
    this.rpc.cancelHandling();
    this.retitle(panelTitle(uri, name), uri);
    this.log.info(`timing: parameter preview re-targeted to ${name}`);
    void this.sendInit();
  }

  private async tensor(): Promise<TensorEntry> {
    const { uri, name } = this.target;
    const entry = await this.registry.load(uri);
    if (!entry.index) throw new Error(entry.error ?? vscode.l10n.t('cannot read this file'));
    // A request that waited for the index while the panel was re-targeted answers nothing.
    if (this.target.uri !== uri || this.target.name !== name) throw new RetargetedError();
    this.index = entry.index;
    const t = findTensor(entry.index, name);
    if (!t) throw new Error(vscode.l10n.t("'{0}' is no longer in {1}", name, uri.fsPath));
    return t;
  }

  private async sendInit(): Promise<void> {
    try {
      const t = await this.tensor();
      const index = this.index!;
      const region = storageRegionKey(t);
      const tiedWith = index.tensors.filter((o) => o.name !== t.name && storageRegionKey(o) === region).map((o) => o.path || o.name);
      const parameter: ParameterInfo = {
        file: this.target.uri.fsPath,
        fileName: this.target.uri.path.split('/').pop() ?? '',
        format: index.format,
        name: t.name,
        path: t.path,
        dtype: t.dtype,
        shape: t.shape,
        count: t.count,
        kind: t.kind,
        tiedWith,
        ...blockStorage(t),
      };
      this.rpc.notify('init', { parameter, generation: ++this.generation, preview: this.preview });
    } catch (e) {
      // Re-targeted meanwhile: the new target's own init is on its way.
      if (!(e instanceof RetargetedError)) this.rpc.notify('failed', { message: (e as Error).message });
    }
  }

  private async stats(signal: AbortSignal): Promise<PanelRequests['stats']['result']> {
    const t = await this.tensor();
    const index = this.index!;
    const target = this.target;
    const keep = (r: PanelRequests['stats']['result']): PanelRequests['stats']['result'] => {
      if (this.target === target) this.lastStats = r;
      return r;
    };
    const cached = this.tensors.peekStats(index, t);
    if (cached) return keep(await cached);
    const started = Date.now();
    const onProgress = (done: number, total: number): void => this.rpc.notify('progress', { done, total });
    const run = (s: AbortSignal, extra?: (done: number, total: number) => void): Promise<PanelRequests['stats']['result']> =>
      this.tensors.stats(index, t, {
        signal: s,
        onProgress: (d, n) => {
          onProgress(d, n);
          extra?.(d, n);
        },
      });
    let result;
    if (t.count > NOTIFY_PROGRESS_ABOVE_ELEMENTS) {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('ParamScope: statistics of {0}', t.name), cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          signal.addEventListener('abort', () => controller.abort());
          let last = 0;
          return run(controller.signal, (d, n) => {
            const pct = (100 * d) / n;
            progress.report({ increment: pct - last, message: `${Math.floor(pct)}%` });
            last = pct;
          });
        },
      );
    } else {
      result = await run(signal);
    }
    this.log.info(`stats of ${t.name} in ${index.file} computed`);
    this.log.info(`timing: stats ${t.name} ${Date.now() - started} ms`);
    return keep(result);
  }

}
