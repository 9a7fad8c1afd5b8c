import * as vscode from 'vscode';
import { WebviewPanelHost } from './webviewPanelHost';
import { CommandIds } from '../commands/commandIds';
import type { ModelIndex } from '../core/modelIndex';
import type { TieReportView, TiesNotifications, TiesPageData, TiesRequests } from '../protocol/messages';
import { storageBytes } from '../core/dtypes';
import type { WorkerPool } from '../runtime/workerPool';
import type { ModelRegistry } from './modelRegistry';
import { shortReason } from './modelTreeProvider';
import { tiesPageData } from './tiesSummary';
import { FilePanels } from './filePanels';

export const TIES_PANEL_VIEW_TYPE = 'paramscope.tiedParameters';
/** Models above this many bytes compare contents under a cancellable notification (it reads them). */
const NOTIFY_CONTENT_ABOVE_BYTES = 256 * 1024 * 1024;

const fileNameOf = (uri: vscode.Uri): string => uri.path.split('/').pop() ?? uri.path;

/** One "Tied parameters" panel per model file. */
export class TiesPanels extends FilePanels<TiesPanel> {
  constructor(extensionUri: vscode.Uri, registry: ModelRegistry, pool: WorkerPool, log: vscode.LogOutputChannel) {
    super(TIES_PANEL_VIEW_TYPE, (uri, existing) => new TiesPanel(extensionUri, uri, registry, pool, log, existing));
  }
}

/**
 * The groups `findTies` finds in one file (run in a worker: comparing contents reads tensors), as
 * links between access paths with their evidence and the bytes a tie saves. Follows the file.
 */
export class TiesPanel extends WebviewPanelHost<TiesRequests, TiesNotifications> {
  private running: AbortController | undefined;
  private runningIndex: ModelIndex | undefined;
  /** The index `lastData` was computed from: the registry replaces it when the file changes. */
  private lastIndex: ModelIndex | undefined;
  /** The last page data sent (for the integration tests). */
  lastData: TiesPageData | undefined;

  constructor(
    extensionUri: vscode.Uri,
    private readonly uri: vscode.Uri,
    private readonly registry: ModelRegistry,
    private readonly pool: WorkerPool,
    private readonly log: vscode.LogOutputChannel,
    existing?: vscode.WebviewPanel,
  ) {
    super(extensionUri, { viewType: TIES_PANEL_VIEW_TYPE, title: vscode.l10n.t('Tied parameters · {0}', fileNameOf(uri)), script: 'dist/webview/tiesPanel.js', model: uri, existing });
    this.rpc.onNotify('ready', () => void this.send());
    this.rpc.onNotify('openParameter', ({ name }) => void vscode.commands.executeCommand(CommandIds.showParameter, { uri: this.uri, name }));
    this.disposables.push(
      registry.onDidChange((changed) => {
        if (!changed || changed.toString() === uri.toString()) void this.send(false);
      }),
    );
  }

  /** Sends the ties: searched again when the file changed; else the last answer again (`replay`: a reloaded page) or nothing. */
  private async send(replay = true): Promise<void> {
    const fileName = fileNameOf(this.uri);
    const entry = await this.registry.load(this.uri);
    // A reopened page (webviews reload when shown again) gets the same answer without a new search.
    if (entry.index && this.lastData && this.lastIndex === entry.index) {
      if (replay) this.rpc.notify('ties', this.lastData);
      return;
    }
    // The same file version is being searched: its answer will come.
    if (entry.index && this.running && this.runningIndex === entry.index) {
      if (replay) this.rpc.notify('searching', { fileName });
      return;
    }
    this.running?.abort();
    const controller = (this.running = new AbortController());
    this.runningIndex = entry.index;
    try {
      if (!entry.index) {
        this.rpc.notify('failed', { message: shortReason(entry.error ?? 'cannot read this file'), fileName });
        return;
      }
      const index = entry.index;
      this.rpc.notify('searching', { fileName });
      const { report, contentCompared } = await this.findTies(index, controller.signal);
      if (controller.signal.aborted) return;
      this.lastData = tiesPageData(index, report, contentCompared);
      this.lastIndex = index;
      this.rpc.notify('ties', this.lastData);
      this.log.info(`ties of ${this.uri.fsPath}: ${report.groups.length} group(s), ${report.views.length} view set(s)`);
    } catch (e) {
      if (controller.signal.aborted) return;
      this.log.error(`ties of ${this.uri.fsPath}: ${(e as Error).message}`);
      this.rpc.notify('failed', { message: shortReason((e as Error).message), fileName });
    } finally {
      if (this.running === controller) this.running = undefined;
    }
  }

  /**
   * Comparing contents hashes every tensor that has a same-shape peer: most of a transformer. Big
   * models do it under a cancellable notification; cancelling keeps the other evidence.
   */
  private async findTies(index: ModelIndex, signal: AbortSignal): Promise<{ report: TieReportView; contentCompared: boolean }> {
    const bytes = index.tensors.reduce((n, t) => n + storageBytes(t.dtype, t.count), 0);
    if (bytes <= NOTIFY_CONTENT_ABOVE_BYTES) return { report: await this.pool.run('ties', { index, content: true }, { signal }), contentCompared: true };
    const compare = new AbortController();
    const onAbort = (): void => compare.abort();
    signal.addEventListener('abort', onAbort);
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('ParamScope: comparing the tensors of {0} for identical values', fileNameOf(this.uri)), cancellable: true },
        (_progress, token) => {
          token.onCancellationRequested(() => compare.abort());
          return this.pool.run('ties', { index, content: true }, { signal: compare.signal });
        },
      );
      return { report, contentCompared: true };
    } catch (e) {
      if (signal.aborted || !compare.signal.aborted) throw e;
      // Cancelled by the person: storage, module and metadata ties need no tensor bytes.
      return { report: await this.pool.run('ties', { index, content: false }, { signal }), contentCompared: false };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  override dispose(): void {
    this.running?.abort();
    super.dispose();
  }
}
