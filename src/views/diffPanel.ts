import * as vscode from 'vscode';
import { KeyedPanels } from './filePanels';
import { WebviewPanelHost } from './webviewPanelHost';
import { CommandIds } from '../commands/commandIds';
import { comparedPairs, diffValues, summarizeDiff, type PairDiffRunner, type PairResult } from '../model/diff/diffValues';
import { matchTensors, pairRow, type TensorMatch } from '../model/diff/matchTensors';
import type { ModelIndex, TensorEntry } from '../core/modelIndex';
import type { DiffNotifications, DiffPageData, DiffRequests, TensorSpec } from '../protocol/messages';
import { storageBytes } from '../core/dtypes';
import type { WorkerPool } from '../runtime/workerPool';
import type { ModelRegistry } from './modelRegistry';
import { shortReason } from './modelTreeProvider';
import type { DiffSummaryView } from '../core/results';

export const DIFF_PANEL_VIEW_TYPE = 'paramscope.modelDiff';
/** Pairs streamed at once: enough to keep the pool's workers reading, few enough to leave one for a panel. */
const DIFFS_AT_ONCE = 3;
/** Diffs reading more than this (both files together) also show a cancellable progress notification. */
const NOTIFY_PROGRESS_ABOVE_BYTES = 256 * 1024 * 1024;
/** Progress to the page at most this often: every worker reports every 100 ms, and they add up. */
const PROGRESS_INTERVAL_MS = 100;

const fileNameOf = (uri: vscode.Uri): string => uri.path.split('/').pop() ?? uri.path;
const spec = (t: TensorEntry): TensorSpec => ({ dtype: t.dtype, shape: t.shape, location: t.location });

/** One diff panel per ordered pair of files; brought back after a window reload from the pair its page saved. */
export class DiffPanels implements vscode.Disposable {
  private readonly panels: KeyedPanels<[vscode.Uri, vscode.Uri], DiffPanel>;

  constructor(extensionUri: vscode.Uri, registry: ModelRegistry, pool: WorkerPool, log: vscode.LogOutputChannel) {
    this.panels = new KeyedPanels({
      viewType: DIFF_PANEL_VIEW_TYPE,
      keyOf: ([a, b]) => DiffPanels.keyOf(a, b),
      create: ([a, b], existing) => new DiffPanel(extensionUri, a, b, registry, pool, log, existing),
      fromState: (state) => {
        const s = state as { fileA?: unknown; fileB?: unknown } | undefined;
        return typeof s?.fileA === 'string' && typeof s.fileB === 'string' ? [vscode.Uri.file(s.fileA), vscode.Uri.file(s.fileB)] : undefined;
      },
    });
  }

  /** The key of a pair in `openPanels`. */
  static keyOf(a: vscode.Uri, b: vscode.Uri): string {
    return `${a.toString()}\n${b.toString()}`;
  }

  /** Opens (or reveals) the diff of `a` (before) and `b` (after). */
  show(a: vscode.Uri, b: vscode.Uri): DiffPanel {
    return this.panels.show([a, b]);
  }

  registerSerializer(): vscode.Disposable {
    return this.panels.registerSerializer();
  }

  /** The panels open now, by `keyOf(a, b)` (for the integration tests). */
  get openPanels(): ReadonlyMap<string, DiffPanel> {
    return this.panels.openPanels;
  }

  dispose(): void {
    this.panels.dispose();
  }
}

/** One comparison of two file versions: what the page was sent, so a reloaded page gets it back. */
interface Run {
  indexA: ModelIndex;
  indexB: ModelIndex;
  generation: number;
  match: TensorMatch;
  page: DiffPageData;
  results: Map<string, PairResult>;
  done: number;
  total: number;
  controller: AbortController;
  cancelled: boolean;
  finished: Promise<void>;
}

/**
 * Parameters added, removed, reshaped and dtype-changed between two model files, and for the pairs
 * of one shape how their values differ. Names are matched here (cheap); values stream in the
 * worker pool a few pairs at a time and each row is sent as it arrives. Follows both files.
 */
export class DiffPanel extends WebviewPanelHost<DiffRequests, DiffNotifications> {
  private generation = 0;
  private run: Run | undefined;
  private lastProgressAt = 0;

  constructor(
    extensionUri: vscode.Uri,
    readonly a: vscode.Uri,
    readonly b: vscode.Uri,
    private readonly registry: ModelRegistry,
    private readonly pool: WorkerPool,
    private readonly log: vscode.LogOutputChannel,
    existing?: vscode.WebviewPanel,
  ) {
    // The status bar names the second file: the one the rows open.
    super(extensionUri, { viewType: DIFF_PANEL_VIEW_TYPE, title: vscode.l10n.t('Diff · {0} ↔ {1}', fileNameOf(a), fileNameOf(b)), script: 'dist/webview/diffPanel.js', model: b, existing });
    this.rpc.onNotify('ready', () => void this.start());
    this.rpc.onNotify('openParameter', ({ name }) => this.openParameter(name));
    this.disposables.push(
      registry.onDidChange((changed) => {
        if (!changed || changed.toString() === a.toString() || changed.toString() === b.toString()) void this.start(false);
      }),
    );
  }

  /** Results so far of the current file versions, by row name (for the integration tests). */
  get results(): ReadonlyMap<string, PairResult> {
    return this.run?.results ?? new Map();
  }

  /** The rows and counts sent to the page (for the integration tests). */
  get page(): DiffPageData | undefined {
    return this.run?.page;
  }

  get summary(): DiffSummaryView | undefined {
    return this.run && summarizeDiff(this.run.match, this.run.results);
  }

  /** Settles when every matched pair of the current versions is compared (or the person cancelled). */
  get finished(): Promise<void> | undefined {
    return this.run?.finished;
  }

  /** Only rows the second file holds open a parameter panel: the page asks by row name. */
  private openParameter(name: string): void {
    const pair = this.run?.match.pairs.find((p) => p.name === name);
    if (pair?.b) void vscode.commands.executeCommand(CommandIds.showParameter, { uri: this.b, name: pair.b.name });
  }

  /**
   * Sends the diff: compared again when either file changed; when neither did, the current run
   * again (`replay`: a reloaded page) or nothing (the workspace's file list changed).
   */
  private async start(replay = true): Promise<void> {
    const [ea, eb] = await Promise.all([this.registry.load(this.a), this.registry.load(this.b)]);
    if (!ea.index || !eb.index) {
      this.run?.controller.abort();
      this.run = undefined;
      const bad = !ea.index ? ea : eb;
      this.rpc.notify('failed', { message: `${fileNameOf(bad.uri)}: ${shortReason(bad.error ?? vscode.l10n.t('cannot read this file'))}`, fileNameA: fileNameOf(this.a), fileNameB: fileNameOf(this.b) });
      return;
    }
    if (this.run && this.run.indexA === ea.index && this.run.indexB === eb.index) {
      if (replay) this.replay(this.run);
      return;
    }
    this.run?.controller.abort();
    const match = matchTensors(ea.index.tensors, eb.index.tensors);
    const generation = ++this.generation;
    const results = new Map<string, PairResult>();
    const run: Run = {
      indexA: ea.index,
      indexB: eb.index,
      generation,
      match,
      results,
      page: {
        fileA: this.a.fsPath,
        fileB: this.b.fsPath,
        fileNameA: fileNameOf(this.a),
        fileNameB: fileNameOf(this.b),
        generation,
        rows: match.pairs.map((p) => (p.compared ? { ...pairRow(p), unpermutedHeads: p.compared.unpermutedHeads } : pairRow(p))),
        prefix: match.prefix,
        ...(match.hfNames ? { hfNames: match.hfNames } : {}),
        ignored: match.ignored,
        buffers: match.buffers,
        summary: summarizeDiff(match, results),
      },
      done: 0,
      total: comparedPairs(match).reduce((n, p) => n + p.b!.count, 0),
      controller: new AbortController(),
      cancelled: false,
      finished: Promise.resolve(),
    };
    this.run = run;
    this.replay(run);
    run.finished = this.compare(run);
    await run.finished;
  }

  private replay(run: Run): void {
    this.rpc.notify('diff', run.page);
    const summary = summarizeDiff(run.match, run.results);
    for (const [name, r] of run.results) this.rpc.notify('result', { generation: run.generation, name, ...r, summary });
    this.rpc.notify('progress', { generation: run.generation, done: run.done, total: run.total, cancelled: run.cancelled });
  }

  private async compare(run: Run): Promise<void> {
    const t0 = Date.now();
    const bytes = comparedPairs(run.match).reduce((n, p) => n + storageBytes(p.a!.dtype, p.a!.count) + storageBytes(p.b!.dtype, p.b!.count), 0);
    try {
      if (bytes > NOTIFY_PROGRESS_ABOVE_BYTES) await this.compareWithNotification(run);
      else await this.compareAll(run);
    } catch (e) {
      if (this.run !== run) return;
      if (run.controller.signal.aborted) {
        // Cancelled from the notification: the rows done stay, the others say so.
        run.cancelled = true;
        this.rpc.notify('progress', { generation: run.generation, done: run.done, total: run.total, cancelled: true });
      } else {
        // diffValues turns a pair's failure into its row's error; anything else is ours.
        this.log.error(`diff of ${this.a.fsPath} and ${this.b.fsPath}: ${(e as Error).message}`);
        this.rpc.notify('failed', { message: (e as Error).message, fileNameA: fileNameOf(this.a), fileNameB: fileNameOf(this.b) });
        return;
      }
    }
    this.log.info(`diff of ${this.a.fsPath} and ${this.b.fsPath}: ${run.results.size} of ${comparedPairs(run.match).length} pairs in ${Date.now() - t0} ms${run.cancelled ? ' (cancelled)' : ''}`);
  }

  private compareWithNotification(run: Run): Promise<void> {
    const title = vscode.l10n.t('ParamScope: comparing {0} with {1}', fileNameOf(this.a), fileNameOf(this.b));
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        const sub = token.onCancellationRequested(() => run.controller.abort());
        let last = 0;
        try {
          await this.compareAll(run, (done, total) => {
            const pct = total > 0 ? (100 * done) / total : 100;
            progress.report({ increment: pct - last, message: vscode.l10n.t('{0}%', Math.floor(pct)) });
            last = pct;
          });
        } finally {
          sub.dispose();
        }
      }),
    );
  }

  private async compareAll(run: Run, onProgress?: (done: number, total: number) => void): Promise<void> {
    const runner: PairDiffRunner = (a, b, opts) => this.pool.run('diff', { a: spec(a), b: spec(b) }, { signal: opts.signal, onProgress: opts.onProgress });
    await diffValues(run.match, runner, {
      lanes: DIFFS_AT_ONCE,
      signal: run.controller.signal,
      onResult: (pair, r) => {
        if (this.run !== run) return;
        run.results.set(pair.name, r);
        this.rpc.notify('result', { generation: run.generation, name: pair.name, ...r, summary: summarizeDiff(run.match, run.results) });
      },
      onProgress: (done, total) => {
        if (this.run !== run) return;
        run.done = done;
        onProgress?.(done, total);
        const now = Date.now();
        if (now - this.lastProgressAt < PROGRESS_INTERVAL_MS && done < total) return;
        this.lastProgressAt = now;
        this.rpc.notify('progress', { generation: run.generation, done, total });
      },
    });
    // Nothing to compare sends no progress: the page still needs to hear it is done.
    if (this.run === run && run.total === 0) this.rpc.notify('progress', { generation: run.generation, done: 0, total: 0 });
  }

  override dispose(): void {
    this.run?.controller.abort();
    super.dispose();
  }
}
