import * as vscode from 'vscode';
import { WebviewPanelHost } from './webviewPanelHost';
import { CommandIds } from '../commands/commandIds';
import { biasFanIn, initTensors } from '../model/init/detectModelInit';
import { attributeInitViews as attribute } from './modelInit';
import type { ModelIndex, TensorEntry } from '../core/modelIndex';
import type { InitReportNotifications, InitReportParameter, InitReportRequests, InitReportResult, InitView } from '../protocol/messages';
import type { ModelRegistry } from './modelRegistry';
import { shortReason } from './modelTreeProvider';
import type { TensorService } from './tensorService';
import { FilePanels } from './filePanels';

export const INIT_REPORT_VIEW_TYPE = 'paramscope.initReport';
/** Detections in flight at once: enough to keep the pool's workers busy, few enough to leave one for a panel. */
const DETECTIONS_AT_ONCE = 3;
/** Models with more tensors than this also show a cancellable progress notification. */
const NOTIFY_PROGRESS_ABOVE_TENSORS = 32;

const fileNameOf = (uri: vscode.Uri): string => uri.path.split('/').pop() ?? uri.path;

/** The tensors the report covers: floating parameters and plain tensors, as `paramscope init` does. */
export function reportedTensors(index: ModelIndex): TensorEntry[] {
  return initTensors(index);
}

function resultOf(init: InitView): InitReportResult {
  return {
    scheme: init.scheme,
    params: init.params,
    fit: init.fit,
    runnerUp: init.alternatives[0] ?? null,
    equivalent: init.equivalent,
    ...(init.moduleScheme ? { moduleScheme: init.moduleScheme } : {}),
    ...(init.decidedBy ? { decidedBy: init.decidedBy } : {}),
  };
}


/** One init report per model file. */
export class InitReportPanels extends FilePanels<InitReportPanel> {
  constructor(extensionUri: vscode.Uri, registry: ModelRegistry, tensors: TensorService, log: vscode.LogOutputChannel) {
    super(INIT_REPORT_VIEW_TYPE, (uri, existing) => new InitReportPanel(extensionUri, uri, registry, tensors, log, existing));
  }
}

/** One detection pass over a file version: what the page is shown, so a reloaded page gets it back. */
interface Run {
  index: ModelIndex;
  generation: number;
  parameters: InitReportParameter[];
  rows: Map<string, { result?: InitReportResult; error?: string }>;
  /** Each tensor's detection alone, for the model-level pass at the end. */
  views: Map<string, InitView>;
  controller: AbortController;
  cancelled: boolean;
  finished: Promise<void>;
}

/**
 * A table of every floating parameter's init scheme. Detections run in the worker pool a few at a
 * time and each row is sent as it arrives; the statistics cache is shared with the parameter panels.
 */
export class InitReportPanel extends WebviewPanelHost<InitReportRequests, InitReportNotifications> {
  private generation = 0;
  private run: Run | undefined;

  constructor(
    extensionUri: vscode.Uri,
    private readonly uri: vscode.Uri,
    private readonly registry: ModelRegistry,
    private readonly tensors: TensorService,
    private readonly log: vscode.LogOutputChannel,
    existing?: vscode.WebviewPanel,
  ) {
    super(extensionUri, { viewType: INIT_REPORT_VIEW_TYPE, title: vscode.l10n.t('Init report · {0}', fileNameOf(uri)), script: 'dist/webview/initReport.js', model: uri, existing });
    this.rpc.onNotify('ready', () => void this.start());
    this.rpc.onNotify('openParameter', ({ name }) => void vscode.commands.executeCommand(CommandIds.showParameter, { uri: this.uri, name }));
    this.disposables.push(
      registry.onDidChange((changed) => {
        if (!changed || changed.toString() === uri.toString()) void this.start(false);
      }),
    );
  }

  /** Detections so far of the current file version, by tensor name (for the integration tests). */
  get results(): ReadonlyMap<string, { result?: InitReportResult; error?: string }> {
    return this.run?.rows ?? new Map();
  }

  /** Settles when the current pass has detected every row (or was cancelled). */
  get finished(): Promise<void> | undefined {
    return this.run?.finished;
  }

  /**
   * Sends the report: a new pass when the file changed; when it did not, the current pass again
   * (`replay`: a reloaded page) or nothing (the workspace's file list changed, not this file).
   */
  private async start(replay = true): Promise<void> {
    const entry = await this.registry.load(this.uri);
    if (!entry.index) {
      this.run?.controller.abort();
      this.run = undefined;
      this.rpc.notify('failed', { message: shortReason(entry.error ?? 'cannot read this file'), fileName: fileNameOf(this.uri) });
      return;
    }
    if (this.run?.index === entry.index) {
      if (replay) this.replay(this.run);
      return;
    }
    this.run?.controller.abort();
    const index = entry.index;
    const tensors = reportedTensors(index);
    const run: Run = {
      index,
      generation: ++this.generation,
      parameters: tensors.map((t) => ({ name: t.name, path: t.path, dtype: t.dtype, shape: t.shape, count: t.count })),
      rows: new Map(),
      views: new Map(),
      controller: new AbortController(),
      cancelled: false,
      finished: Promise.resolve(),
    };
    this.run = run;
    this.replay(run);
    run.finished = tensors.length > NOTIFY_PROGRESS_ABOVE_TENSORS ? this.detectWithNotification(run, tensors) : this.detectAll(run, tensors);
    await run.finished;
  }

  private replay(run: Run): void {
    this.rpc.notify('report', { file: this.uri.fsPath, fileName: fileNameOf(this.uri), generation: run.generation, parameters: run.parameters });
    for (const [name, r] of run.rows) this.rpc.notify('row', { generation: run.generation, name, ...r });
    this.rpc.notify('progress', { generation: run.generation, done: run.rows.size, total: run.parameters.length, cancelled: run.cancelled });
  }

  private detectWithNotification(run: Run, tensors: TensorEntry[]): Promise<void> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('ParamScope: init schemes of {0}', fileNameOf(this.uri)), cancellable: true }, async (progress, token) => {
        const sub = token.onCancellationRequested(() => run.controller.abort());
        try {
          await this.detectAll(run, tensors, (done) => progress.report({ increment: 100 / tensors.length, message: `${done} of ${tensors.length} parameters` }));
        } finally {
          sub.dispose();
        }
      }),
    );
  }

  /** Detects every row, DETECTIONS_AT_ONCE at a time, sending each as it arrives. */
  private async detectAll(run: Run, tensors: TensorEntry[], onDone?: (done: number) => void): Promise<void> {
    const { signal } = run.controller;
    const t0 = Date.now();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < tensors.length && !signal.aborted) {
        const t = tensors[next++]!;
        let row: { result?: InitReportResult; error?: string };
        try {
          // No signal: the detection is cached for the parameter panels too, and a sample of at most
          // MAX_INIT_SAMPLE values takes milliseconds; cancelling stops the next ones from starting.
          const view = await this.tensors.init(run.index, t, biasFanIn(run.index, t));
          run.views.set(t.name, view);
          row = { result: resultOf(view) };
        } catch (e) {
          row = { error: (e as Error).message };
        }
        if (this.run !== run) return;
        run.rows.set(t.name, row);
        this.rpc.notify('row', { generation: run.generation, name: t.name, ...row });
        this.rpc.notify('progress', { generation: run.generation, done: run.rows.size, total: tensors.length });
        onDone?.(run.rows.size);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DETECTIONS_AT_ONCE, tensors.length) }, lane));
    if (!signal.aborted && this.run === run) {
      // Every row is in: judge each with its module type's layers. Rows keep their module type's
      // scheme (a reloaded page gets it), but only those whose verdict the module type decided are
      // sent again: a 150,000-tensor model should not cost a second pass of messages.
      for (const [name, view] of attribute(run.index, tensors, run.views)) {
        if (view === run.views.get(name)) continue;
        const row = { result: resultOf(view) };
        run.rows.set(name, row);
        if (view.decidedBy === 'module') this.rpc.notify('row', { generation: run.generation, name, ...row });
      }
    }
    if (signal.aborted && this.run === run) {
      // Cancelled from the notification: the rows done stay, the others say so.
      run.cancelled = true;
      this.rpc.notify('progress', { generation: run.generation, done: run.rows.size, total: tensors.length, cancelled: true });
    }
    this.log.info(`init report of ${this.uri.fsPath}: ${run.rows.size} of ${tensors.length} parameters in ${Date.now() - t0} ms${run.cancelled ? ' (cancelled)' : ''}`);
  }

  override dispose(): void {
    this.run?.controller.abort();
    super.dispose();
  }
}
