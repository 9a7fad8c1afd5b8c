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

export const PARAMETER_PANEL_VIEW_TYPE = 'paramscope.parameterPanel';
/** Tensors above this many elements also show a cancellable progress notification. */
const NOTIFY_PROGRESS_ABOVE_ELEMENTS = 16 * 1024 * 1024;

/** Opens one panel per parameter and keeps it in step with its file. */
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

export class ParameterPanels implements vscode.Disposable {
  private readonly panels: KeyedPanels<{ uri: vscode.Uri; name: string }, ParameterPanel>;

  constructor(
    extensionUri: vscode.Uri,
    private readonly registry: ModelRegistry,
    tensors: TensorService,
    log: vscode.LogOutputChannel,
  ) {
    this.panels = new KeyedPanels({
      viewType: PARAMETER_PANEL_VIEW_TYPE,
      keyOf: ({ uri, name }) => `${uri.toString()}#${name}`,
      create: ({ uri, name }, existing) => new ParameterPanel(extensionUri, uri, name, registry, tensors, log, existing),
      fromState: (state) => {
        const s = state as { file?: unknown; name?: unknown } | undefined;
        return typeof s?.file === 'string' && typeof s.name === 'string' ? { uri: vscode.Uri.file(s.file), name: s.name } : undefined;
      },
    });
  }

  /** Opens (or reveals) the panel of a parameter; refuses a file that cannot be read or lacks it. */
  async show(uri: vscode.Uri, name: string): Promise<void> {
    if (!this.panels.openPanels.has(`${uri.toString()}#${name}`)) {
      const entry = await this.registry.load(uri);
      if (!entry.index) throw new Error(entry.error ?? vscode.l10n.t('cannot read {0}', uri.fsPath));
      if (!findTensor(entry.index, name)) throw new Error(vscode.l10n.t("{0} has no parameter '{1}'", uri.fsPath, name));
    }
    this.panels.show({ uri, name });
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

export class ParameterPanel extends WebviewPanelHost<PanelRequests, PanelNotifications> {
  private generation = 0;
  private index: ModelIndex | undefined;
  /** The last statistics sent, for tests and the integration harness. */
  lastStats: unknown;

  constructor(
    extensionUri: vscode.Uri,
    private readonly uri: vscode.Uri,
    private readonly name: string,
    private readonly registry: ModelRegistry,
    private readonly tensors: TensorService,
    private readonly log: vscode.LogOutputChannel,
    existing?: vscode.WebviewPanel,
  ) {
    super(extensionUri, { viewType: PARAMETER_PANEL_VIEW_TYPE, title: `${name} · ${uri.path.split('/').pop() ?? uri.path}`, script: 'dist/webview/parameterPanel.js', model: uri, existing, rpcTimeoutMs: 0 });
    const created = Date.now();
    this.rpc.onNotify('ready', () => {
      this.log.info(`timing: parameter panel ready ${Date.now() - created} ms after creation`);
      void this.sendInit();
    });
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
        if (!changed || changed.toString() === uri.toString()) void this.sendInit();
      }),
    );
  }

  private async tensor(): Promise<TensorEntry> {
    const entry = await this.registry.load(this.uri);
    if (!entry.index) throw new Error(entry.error ?? vscode.l10n.t('cannot read this file'));
    this.index = entry.index;
    const t = findTensor(entry.index, this.name);
    if (!t) throw new Error(vscode.l10n.t("'{0}' is no longer in {1}", this.name, this.uri.fsPath));
    return t;
  }

  private async sendInit(): Promise<void> {
    try {
      const t = await this.tensor();
      const index = this.index!;
      const region = storageRegionKey(t);
      const tiedWith = index.tensors.filter((o) => o.name !== t.name && storageRegionKey(o) === region).map((o) => o.path || o.name);
      const parameter: ParameterInfo = {
        file: this.uri.fsPath,
        fileName: this.uri.path.split('/').pop() ?? '',
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
      this.rpc.notify('init', { parameter, generation: ++this.generation });
    } catch (e) {
      this.rpc.notify('failed', { message: (e as Error).message });
    }
  }

  private async stats(signal: AbortSignal): Promise<PanelRequests['stats']['result']> {
    const t = await this.tensor();
    const index = this.index!;
    const cached = this.tensors.peekStats(index, t);
    if (cached) return (this.lastStats = await cached);
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
    this.log.info(`stats of ${t.name} in ${this.uri.fsPath} computed`);
    this.log.info(`timing: stats ${t.name} ${Date.now() - started} ms`);
    return (this.lastStats = result);
  }

}
