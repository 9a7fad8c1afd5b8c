import * as vscode from 'vscode';
import { WebviewPanelHost } from './webviewPanelHost';
import { CommandIds } from '../commands/commandIds';
import { forEachAtOnce } from '../core/atOnce';
import type { ModelIndex, TensorEntry } from '../core/modelIndex';
import type { Outlier, OverviewStructure } from '../core/overview';
import { biasFanIn, initTensors } from '../model/init/detectModelInit';
import { findOutliers, overviewStructure, stackTensors } from '../model/overview';
import type { OverviewInitRow, OverviewNotifications, OverviewPhase, OverviewRequests, OverviewStatRow } from '../protocol/overviewMessages';
import { FilePanels } from './filePanels';
import type { ModelRegistry } from './modelRegistry';
import { shortReason } from './modelTreeProvider';
import type { TensorService } from './tensorService';

export const OVERVIEW_VIEW_TYPE = 'paramscope.overview';
/** Passes over more tensors than this also show a cancellable progress notification. */
const NOTIFY_PROGRESS_ABOVE_TENSORS = 32;
/** Results reach the page at most this often while a pass runs (100k tensors: a few hundred messages, not 100k). */
const FLUSH_EVERY_MS = 100;
/**
 * The outliers are judged again at most this often, and at most a tenth of the time (a pass over
 * every stack tensor: ~190 ms for 100,000 MoE tensors).
 */
const JUDGE_EVERY_MS = 500;
const JUDGE_SHARE = 10;
/** Init detections in flight at once: keeps the pool busy and leaves a worker for a panel. */
const INIT_LANES = 3;
/**
 * Stacks with more tensors than this get no init strip: each detection reads a sample of up to
 * 100,000 values, so 100k MoE experts would take minutes for a strip nobody can read at that size.
 */
const MAX_INIT_TENSORS = 5000;

const fileNameOf = (uri: vscode.Uri): string => uri.path.split('/').pop() ?? uri.path;

/** What one file version's overview has computed so far; kept across panels, so reopening one is instant. */
interface OverviewData {
  structure: OverviewStructure;
  stats: Map<string, OverviewStatRow>;
  errors: Map<string, string>;
  inits: Map<string, OverviewInitRow>;
  outliers: Outlier[];
  /** Every stack tensor's statistics and init scheme are in. */
  complete: boolean;
}

/** One model overview per file; the computed data is kept per file version for every panel of it. */
export class OverviewPanels extends FilePanels<OverviewPanel> {
  private readonly data = new WeakMap<ModelIndex, OverviewData>();

  constructor(extensionUri: vscode.Uri, registry: ModelRegistry, tensors: TensorService, log: vscode.LogOutputChannel) {
    super(OVERVIEW_VIEW_TYPE, (uri, existing) => new OverviewPanel(extensionUri, uri, registry, tensors, log, (ix) => this.dataOf(ix), existing));
  }

  private dataOf(index: ModelIndex): OverviewData {
    let d = this.data.get(index);
    if (!d) this.data.set(index, (d = { structure: overviewStructure(index), stats: new Map(), errors: new Map(), inits: new Map(), outliers: [], complete: false }));
    return d;
  }
}

/** One pass of the panel over a file version. */
interface Pass {
  index: ModelIndex;
  data: OverviewData;
  generation: number;
  controller: AbortController;
  finished: Promise<void>;
}

/**
 * A model at a glance: parameter share by block and by dtype (from the index, shown at once), then
 * each repeated block's statistics over depth, its init schemes and the layers that stand apart,
 * filled in as the worker pool computes them (small tensors batched: `TensorService.statsMany`).
 * Long passes show a cancellable notification; what is done stays when cancelled.
 */
export class OverviewPanel extends WebviewPanelHost<OverviewRequests, OverviewNotifications> {
  private generation = 0;
  private pass: Pass | undefined;

  constructor(
    extensionUri: vscode.Uri,
    private readonly uri: vscode.Uri,
    private readonly registry: ModelRegistry,
    private readonly tensors: TensorService,
    private readonly log: vscode.LogOutputChannel,
    private readonly dataOf: (index: ModelIndex) => OverviewData,
    existing?: vscode.WebviewPanel,
  ) {
    super(extensionUri, { viewType: OVERVIEW_VIEW_TYPE, title: vscode.l10n.t('Overview · {0}', fileNameOf(uri)), script: 'dist/webview/overview.js', styles: ['dist/webview/uPlot.min.css'], model: uri, existing });
    this.rpc.onNotify('ready', () => void this.start());
    this.rpc.onNotify('openParameter', ({ name }) => void vscode.commands.executeCommand(CommandIds.showParameter, { uri: this.uri, name }));
    this.disposables.push(
      registry.onDidChange((changed) => {
        if (!changed || changed.toString() === uri.toString()) void this.start(false);
      }),
    );
    // The pass starts with the panel, not when its page has loaded (a webview takes ~1 s to exist,
    // more on a busy machine); the page's `ready` then replays what is known so far.
    void this.start(false);
  }

  /** What the current file version's overview holds so far (for the integration tests). */
  get data(): Readonly<OverviewData> | undefined {
    return this.pass?.data;
  }

  /** Settles when the current pass is done (or was cancelled). */
  get finished(): Promise<void> | undefined {
    return this.pass?.finished;
  }

  /**
   * Sends the overview and computes what is missing: a new pass when the file changed; when it did
   * not, the current one again (`replay`: a reloaded page) or nothing (another file changed).
   */
  private async start(replay = true): Promise<void> {
    const entry = await this.registry.load(this.uri);
    if (!entry.index) {
      this.pass?.controller.abort();
      this.pass = undefined;
      this.rpc.notify('failed', { message: shortReason(entry.error ?? 'cannot read this file'), fileName: fileNameOf(this.uri) });
      return;
    }
    const index = entry.index;
    if (this.pass?.index === index) {
      if (replay) this.replay(this.pass);
      return;
    }
    this.pass?.controller.abort();
    const pass: Pass = { index, data: this.dataOf(index), generation: ++this.generation, controller: new AbortController(), finished: Promise.resolve() };
    this.pass = pass;
    this.replay(pass);
    if (!pass.data.complete) pass.finished = this.compute(pass);
    await pass.finished;
  }

  /** Everything known of the pass's file version, as a page that just loaded needs it. */
  private replay(pass: Pass): void {
    const { data, generation } = pass;
    this.rpc.notify('overview', { generation, file: this.uri.fsPath, fileName: fileNameOf(this.uri), format: pass.index.format, structure: data.structure });
    if (data.stats.size || data.errors.size) this.rpc.notify('stats', { generation, rows: [...data.stats.values()], errors: [...data.errors].map(([name, message]) => ({ name, message })) });
    if (data.outliers.length) this.rpc.notify('outliers', { generation, outliers: data.outliers });
    if (data.inits.size) this.rpc.notify('inits', { generation, rows: [...data.inits.values()] });
    if (data.complete) this.rpc.notify('progress', { generation, phase: 'done', done: data.stats.size, total: data.stats.size });
  }

  private judge(data: OverviewData): void {
    data.outliers = findOutliers(data.structure.kinds, (name) => data.stats.get(name));
  }

  private async compute(pass: Pass): Promise<void> {
    const all = stackTensors(pass.index, pass.data.structure);
    const run = async (report?: (phase: OverviewPhase, done: number, total: number) => void): Promise<void> => {
      const t0 = Date.now();
      await this.statsPass(pass, all, report);
      const t1 = Date.now();
      if (!pass.controller.signal.aborted) await this.initPass(pass, all, report);
      const { data, generation } = pass;
      if (this.pass !== pass) return;
      if (pass.controller.signal.aborted) {
        this.rpc.notify('progress', { generation, phase: data.stats.size < all.length ? 'stats' : 'init', done: data.stats.size < all.length ? data.stats.size : data.inits.size, total: all.length, cancelled: true });
      } else {
        data.complete = true;
        this.rpc.notify('progress', { generation, phase: 'done', done: all.length, total: all.length });
      }
      this.log.info(`overview of ${this.uri.fsPath}: statistics of ${data.stats.size} of ${all.length} tensors in ${t1 - t0} ms, init schemes of ${data.inits.size} in ${Date.now() - t1} ms, ${data.outliers.length} flagged${pass.controller.signal.aborted ? ' (cancelled)' : ''}`);
    };
    if (all.length <= NOTIFY_PROGRESS_ABOVE_TENSORS) return run();
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('ParamScope: overview of {0}', fileNameOf(this.uri)), cancellable: true }, async (progress, token) => {
      const sub = token.onCancellationRequested(() => pass.controller.abort());
      let shown = 0;
      try {
        await run((phase, done, total) => {
          // Two phases share the bar: statistics the first 80 %, init schemes the rest.
          const at = phase === 'stats' ? (80 * done) / total : 80 + (20 * done) / total;
          progress.report({
            increment: at - shown,
            message: phase === 'stats' ? vscode.l10n.t('statistics of {0} of {1} tensors', done, total) : vscode.l10n.t('init schemes of {0} of {1} tensors', done, total),
          });
          shown = at;
        });
      } finally {
        sub.dispose();
      }
    });
  }

  /** Statistics of every stack tensor not yet known, flushed to the page at most every 100 ms. */
  private async statsPass(pass: Pass, all: readonly TensorEntry[], report?: (phase: OverviewPhase, done: number, total: number) => void): Promise<void> {
    const { data, generation, controller } = pass;
    const todo = all.filter((t) => !data.stats.has(t.name) && !data.errors.has(t.name));
    let rows: OverviewStatRow[] = [];
    let errors: { name: string; message: string }[] = [];
    let flushed = 0;
    let judged = 0;
    let judgeMs = 0;
    const flush = (final: boolean): void => {
      const now = Date.now();
      if (!final && now - flushed < FLUSH_EVERY_MS) return;
      flushed = now;
      if (this.pass !== pass) return;
      if (rows.length || errors.length) this.rpc.notify('stats', { generation, rows, errors });
      rows = [];
      errors = [];
      if (final || now - judged >= Math.max(JUDGE_EVERY_MS, JUDGE_SHARE * judgeMs)) {
        this.judge(data);
        judged = Date.now();
        judgeMs = judged - now;
        this.rpc.notify('outliers', { generation, outliers: data.outliers });
      }
      this.rpc.notify('progress', { generation, phase: 'stats', done: data.stats.size + data.errors.size, total: all.length });
      report?.('stats', data.stats.size + data.errors.size, all.length);
    };
    try {
      await this.tensors.statsMany(pass.index, todo, {
        signal: controller.signal,
        onEach: (t, r) => {
          if (r instanceof Error) {
            if (controller.signal.aborted) return;
            data.errors.set(t.name, r.message);
            errors.push({ name: t.name, message: r.message });
          } else {
            const row: OverviewStatRow = { name: t.name, count: r.count, min: r.min, max: r.max, mean: r.mean, std: r.std, zeros: r.zeros, nan: r.nan, inf: r.inf, l2: r.l2, absMax: r.absMax };
            data.stats.set(t.name, row);
            rows.push(row);
          }
          flush(false);
        },
      });
    } catch (e) {
      if (!controller.signal.aborted) throw e;
    }
    flush(true);
  }

  /** Init schemes of the floating stack tensors (cached with the parameter panels' verdicts). */
  private async initPass(pass: Pass, all: readonly TensorEntry[], report?: (phase: OverviewPhase, done: number, total: number) => void): Promise<void> {
    const { data, generation, controller } = pass;
    if (all.length > MAX_INIT_TENSORS) return;
    const floating = new Set(initTensors(pass.index).map((t) => t.name));
    const todo = all.filter((t) => floating.has(t.name) && !data.inits.has(t.name));
    let rows: OverviewInitRow[] = [];
    let flushed = 0;
    let done = all.length - todo.length;
    const flush = (final: boolean): void => {
      const now = Date.now();
      if ((!final && now - flushed < FLUSH_EVERY_MS) || this.pass !== pass) return;
      flushed = now;
      if (rows.length) this.rpc.notify('inits', { generation, rows });
      rows = [];
      this.rpc.notify('progress', { generation, phase: 'init', done, total: all.length });
      report?.('init', done, all.length);
    };
    await forEachAtOnce(todo, INIT_LANES, async (t) => {
      if (controller.signal.aborted) return;
      try {
        // No signal, as the init report: a detection reads a sample and is cached for the panels.
        const v = await this.tensors.init(pass.index, t, biasFanIn(pass.index, t));
        const row = { name: t.name, scheme: v.scheme, params: v.params };
        data.inits.set(t.name, row);
        rows.push(row);
      } catch {
        // A tensor that cannot be read has its statistics' error already; no scheme to show.
      }
      done++;
      flush(false);
    });
    flush(true);
  }

  override dispose(): void {
    this.pass?.controller.abort();
    super.dispose();
  }
}
