import * as vscode from 'vscode';
import { CommandIds } from '../commands/commandIds';
import type { ModelIndex } from '../core/modelIndex';
import type { SeriesResult, SeriesRidge } from '../core/series';
import { openRun, RunError, type OpenedRun } from '../model/series/run';
import { poolRidgeKernels, poolSeriesKernels } from '../model/series/seriesKernels';
import { computeRidge } from '../model/series/seriesRidge';
import { computeSeries, SeriesCache, seriesNames } from '../model/series/seriesValues';
import type { SeriesNotifications, SeriesPoint, SeriesRequests, SeriesTensorHead, SeriesToPage } from '../protocol/seriesMessages';
import type { WorkerPool } from '../runtime/workerPool';
import { KeyedPanels } from './filePanels';
import { WebviewPanelHost } from './webviewPanelHost';
import type { ModelRegistry } from './modelRegistry';

export const SERIES_VIEW_TYPE = 'paramscope.trainingRun';
/** Points reach the page at most this often while a pass runs (progress messages, not checkpoints). */
const PROGRESS_EVERY_MS = 100;

const folderNameOf = (uri: vscode.Uri): string => uri.path.split('/').filter(Boolean).pop() ?? uri.path;
/**
 * Following the folder: a pass starts once the run's files have been quiet this long after a
 * change (a checkpoint is written in one go, then the next one a while later).
 */
export const FOLLOW_QUIET_MS = 2000;

/** What a pass over a run holds so far (for the page replayed, and the integration tests). */
export interface SeriesData {
  run?: SeriesToPage['run'];
  /** Points by checkpoint order, as `onCheckpoint` gave them (in `run.tensors`' order). */
  columns: Map<number, Array<SeriesPoint | null>>;
  progress?: SeriesToPage['progress'];
  result?: SeriesResult;
  error?: string;
  /** The pass is over: done, failed or cancelled. */
  settled: boolean;
}

/**
 * What a run page shows: every checkpoint in `folder`, or the chosen `files` (their folder is
 * `folder`, the one the page's names are relative to).
 */
export interface SeriesTarget {
  folder: vscode.Uri;
  files?: readonly vscode.Uri[];
}

/** The folder holding every one of `files` (their deepest common ancestor). */
export function commonFolder(files: readonly vscode.Uri[]): vscode.Uri {
  const parts = files.map((f) => f.path.split('/').slice(0, -1));
  let n = parts[0]?.length ?? 0;
  for (const p of parts) {
    let k = 0;
    while (k < n && k < p.length && p[k] === parts[0]![k]) k++;
    n = k;
  }
  return files[0]!.with({ path: parts[0]!.slice(0, n).join('/') || '/' });
}

/** The target of `files` (two or more, sorted and without repeats), or of a folder. */
export function seriesTarget(folderOrFiles: vscode.Uri | readonly vscode.Uri[]): SeriesTarget {
  if (!Array.isArray(folderOrFiles)) return { folder: folderOrFiles as vscode.Uri };
  const byKey = new Map((folderOrFiles as readonly vscode.Uri[]).map((f) => [f.toString(), f]));
  const files = [...byKey.keys()].sort().map((k) => byKey.get(k)!);
  return { folder: commonFolder(files), files };
}

/** A folder's page is keyed by the folder; a selection's by its files, one per line. */
export const seriesKey = (t: SeriesTarget): string => (t.files ? t.files.map((f) => f.toString()).join('\n') : t.folder.toString());

/** One training run page per folder or selection; one `SeriesCache` for the window's runs, so reopening one reads only what changed. */
export class SeriesPanels extends KeyedPanels<SeriesTarget, SeriesPanel> {
  readonly cache = new SeriesCache();

  constructor(extensionUri: vscode.Uri, registry: ModelRegistry, pool: WorkerPool, log: vscode.LogOutputChannel) {
    super({
      viewType: SERIES_VIEW_TYPE,
      keyOf: seriesKey,
      create: (target, existing) => new SeriesPanel(extensionUri, target, registry, pool, this.cache, log, existing),
      fromState: (state) => {
        const s = state as { file?: unknown; files?: unknown } | undefined;
        if (Array.isArray(s?.files) && s.files.length >= 2 && s.files.every((f) => typeof f === 'string')) return seriesTarget((s.files as string[]).map((f) => vscode.Uri.file(f)));
        return typeof s?.file === 'string' ? { folder: vscode.Uri.file(s.file) } : undefined;
      },
    });
  }
}

/**
 * A folder of checkpoints as a timeline (issue 16): the run opened through the registry's cached
 * indexes, its points computed in the worker pool under a cancellable notification and sent to the
 * page checkpoint by checkpoint, then the whole `SeriesResult` with its flags.
 */
export class SeriesPanel extends WebviewPanelHost<SeriesRequests, SeriesNotifications> {
  private generation = 0;
  private readonly folder: vscode.Uri;
  private readonly files: readonly vscode.Uri[] | undefined;
  /** The run's name on the page and the tab: the folder's, with the number of chosen files. */
  private readonly name: string;
  /** What every `run` and `failed` message says of the target (the page saves it to be revived). */
  private readonly shown: { folder: string; files?: string[]; folderName: string };
  /** Whether a change to the run's files on disk starts a new pass (the page's "follow" box). */
  private following = true;
  /** The run's model files under the folder when the last pass started (to tell a change of the list that concerns it). */
  private members = '';
  private followTimer: ReturnType<typeof setTimeout> | undefined;
  /** Passes started by following the folder (for the integration tests). */
  followPasses = 0;
  /** The ridge request being computed: a new one stops it. */
  private ridgeController: AbortController | undefined;
  private pass: { generation: number; data: SeriesData; controller: AbortController; finished: Promise<void>; run?: OpenedRun } | undefined;

  constructor(
    extensionUri: vscode.Uri,
    target: SeriesTarget,
    private readonly registry: ModelRegistry,
    private readonly pool: WorkerPool,
    private readonly cache: SeriesCache,
    private readonly log: vscode.LogOutputChannel,
    existing?: vscode.WebviewPanel,
  ) {
    const name = target.files ? vscode.l10n.t('{0} ({1} files)', folderNameOf(target.folder), target.files.length) : folderNameOf(target.folder);
    super(extensionUri, { viewType: SERIES_VIEW_TYPE, title: vscode.l10n.t('Training run · {0}', name), script: 'dist/webview/series.js', styles: ['dist/webview/uPlot.min.css'], existing });
    this.folder = target.folder;
    this.files = target.files;
    this.name = name;
    this.shown = { folder: target.folder.fsPath, ...(target.files ? { files: target.files.map((f) => f.fsPath) } : {}), folderName: name };
    this.rpc.onNotify('follow', ({ on }) => this.setFollowing(on));
    this.disposables.push(registry.onDidChange((uri) => void this.changedOnDisk(uri)));
    this.rpc.onNotify('ready', () => void this.start());
    this.rpc.onNotify('openParameter', ({ name, order }) => void this.openParameter(name, order));
    this.rpc.onNotify('compare', ({ a, b }) => void this.compare(a, b));
    this.rpc.onNotify('refresh', () => void this.refresh());
    this.rpc.handle('ridge', ({ name }, ctx) => this.ridge(name, ctx.signal));
    // The pass starts with the panel, not when its page has loaded (a webview takes ~1 s to exist,
    // more on a busy machine); the page's `ready` then replays what is known so far.
    void this.start();
  }

  /** What the current pass holds so far (for the integration tests). */
  get data(): Readonly<SeriesData> | undefined {
    return this.pass?.data;
  }

  /** Settles when the current pass is done, failed or was cancelled. */
  get finished(): Promise<void> | undefined {
    return this.pass?.finished;
  }

  /**
   * A new pass over the folder, the current one stopped: checkpoints added or removed since are
   * found, and the window's `SeriesCache` serves the points of files that did not change.
   */
  async refresh(): Promise<void> {
    await this.start(true);
  }

  /** Replays the pass to a page that (re)loaded, or starts one; a cancelled pass starts again. */
  private async start(fresh = false): Promise<void> {
    const p = this.pass;
    const cancelled = p !== undefined && p.data.settled && !p.data.result && p.data.error === undefined;
    if (!fresh && p && !cancelled) {
      this.replay();
      return;
    }
    p?.controller.abort();
    const pass = { generation: ++this.generation, data: { columns: new Map(), settled: false } as SeriesData, controller: new AbortController(), finished: Promise.resolve() };
    this.pass = pass;
    pass.finished = this.compute(pass);
    await pass.finished;
  }

  private replay(): void {
    const p = this.pass;
    if (!p) return;
    const d = p.data;
    if (d.error !== undefined) {
      this.rpc.notify('failed', { generation: p.generation, message: d.error, ...this.shown });
      return;
    }
    if (d.run) this.rpc.notify('run', d.run);
    if (d.result) {
      this.rpc.notify('result', { generation: p.generation, result: d.result });
      return;
    }
    for (const [order, points] of d.columns) this.rpc.notify('checkpoint', { generation: p.generation, order, points });
    if (d.progress) this.rpc.notify('progress', d.progress);
  }

  private async compute(pass: NonNullable<SeriesPanel['pass']>): Promise<void> {
    const { generation, data, controller } = pass;
    const signal = controller.signal;
    const live = (): boolean => this.pass === pass && !this.isDisposed;
    const t0 = Date.now();
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('ParamScope: training run {0}', this.name), cancellable: true }, async (progress, token) => {
      const sub = token.onCancellationRequested(() => controller.abort());
      try {
        progress.report({ message: vscode.l10n.t('opening the checkpoints') });
        const open = async (file: string): Promise<ModelIndex> => {
          const entry = await this.registry.load(vscode.Uri.file(file));
          // The reader's message starts with the path; the run names the file itself.
          if (!entry.index) throw new Error(entry.error?.startsWith(`${file}: `) ? entry.error.slice(file.length + 2) : (entry.error ?? `cannot read ${file}`));
          return entry.index;
        };
        this.members = await this.memberList();
        const run = await openRun(this.files ? this.files.map((f) => f.fsPath) : [this.folder.fsPath], { open, signal, relativeTo: this.folder.fsPath });
        pass.run = run;
        const { names, at } = seriesNames(run.indexes);
        const heads: SeriesTensorHead[] = names.map((name) => {
          const t = at.map((m) => m.get(name)).find((x) => x !== undefined)!;
          return { name, dtype: t.dtype, shape: [...t.shape] };
        });
        data.run = { generation, ...this.shown, following: this.following, orderedBy: run.orderedBy, checkpoints: run.checkpoints, leftOut: run.leftOut, tensors: heads };
        if (live()) this.rpc.notify('run', data.run);
        let shown = 0;
        let sent = 0;
        const result = await computeSeries(run, poolSeriesKernels(this.pool), {
          signal,
          cache: this.cache,
          onCheckpoint: (order, points) => {
            data.columns.set(order, [...points]);
            if (live()) this.rpc.notify('checkpoint', { generation, order, points: [...points] });
          },
          onProgress: (done, total) => {
            data.progress = { generation, done, total };
            const now = Date.now();
            if (done < total && now - sent < PROGRESS_EVERY_MS) return;
            sent = now;
            const at = (100 * done) / total;
            progress.report({ increment: at - shown, message: vscode.l10n.t('{0} of {1} statistics and changes', done, total) });
            shown = at;
            if (live()) this.rpc.notify('progress', data.progress);
          },
        });
        data.result = result;
        if (live()) this.rpc.notify('result', { generation, result });
        this.log.info(`training run ${this.folder.fsPath}: ${result.checkpoints.length} checkpoints, ${result.tensors.length} tensors in ${Date.now() - t0} ms`);
      } catch (e) {
        if (signal.aborted) {
          const p = data.progress ?? { generation, done: 0, total: 0 };
          data.progress = { ...p, cancelled: true };
          if (live()) this.rpc.notify('progress', data.progress);
        } else {
          data.error = e instanceof RunError ? e.message : vscode.l10n.t('cannot compute the run: {0}', (e as Error).message);
          this.log.error(`training run ${this.folder.fsPath}: ${(e as Error).message}`);
          if (live()) this.rpc.notify('failed', { generation, message: data.error, ...this.shown });
        }
      } finally {
        data.settled = true;
        sub.dispose();
      }
    });
  }

  /** The tensor `name` (as the run names it) at checkpoint `order`, in that checkpoint's own naming. */
  private async openParameter(name: string, order: number): Promise<void> {
    const run = this.pass?.run;
    const c = run?.checkpoints[order];
    if (!run || !c) return;
    const t = seriesNames(run.indexes).at[order]?.get(name);
    await vscode.commands.executeCommand(CommandIds.showParameter, { uri: vscode.Uri.file(c.modelFile), name: t?.name ?? name });
  }

  /**
   * The ridge plot's data for the tensor `name`: every checkpoint's histogram on the run's shared
   * range (model/series/seriesRidge.ts). The one computed before stops, its pool requests cancelled.
   */
  async ridge(name: string, signal?: AbortSignal): Promise<SeriesRidge | null> {
    this.ridgeController?.abort();
    const controller = new AbortController();
    this.ridgeController = controller;
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    const run = this.pass?.run;
    if (!run) return null;
    try {
      return await computeRidge(run, name, poolRidgeKernels(this.pool), { signal: controller.signal, onProgress: (done, total) => void this.rpc.notify('ridgeProgress', { name, done, total }) });
    } finally {
      if (this.ridgeController === controller) this.ridgeController = undefined;
    }
  }

  private async compare(a: number, b: number): Promise<void> {
    const run = this.pass?.run;
    const ca = run?.checkpoints[a];
    const cb = run?.checkpoints[b];
    if (!ca || !cb) return;
    await vscode.commands.executeCommand(CommandIds.compareModels, vscode.Uri.file(ca.modelFile), vscode.Uri.file(cb.modelFile));
  }

  /** The model files of the workspace listing that belong to this run's folder or selection, one per line. */
  private async memberList(): Promise<string> {
    if (this.files) return this.files.map((f) => f.toString()).join('\n');
    const prefix = `${this.folder.toString()}/`;
    return (await this.registry.list()).map((e) => e.uri.toString()).filter((u) => u.startsWith(prefix)).join('\n');
  }

  private concerns(uri: vscode.Uri): boolean {
    const u = uri.toString();
    return this.files ? this.files.some((f) => f.toString() === u) : u.startsWith(`${this.folder.toString()}/`);
  }

  /**
   * The registry saw a model file change (`uri`) or its list change (undefined): when the run
   * follows its folder and the change is one of its files (or a checkpoint added or removed),
   * a new pass starts once the files have been quiet for FOLLOW_QUIET_MS, after the running one.
   */
  private async changedOnDisk(uri: vscode.Uri | undefined): Promise<void> {
    if (!this.following || this.isDisposed) return;
    if (uri ? !this.concerns(uri) : (await this.memberList()) === this.members) return;
    if (this.followTimer) clearTimeout(this.followTimer);
    this.followTimer = setTimeout(() => {
      this.followTimer = undefined;
      void (async () => {
        await this.pass?.finished;
        if (!this.following || this.isDisposed) return;
        this.followPasses++;
        this.log.info(`training run ${this.folder.fsPath}: its files changed, computing again`);
        await this.start(true);
      })();
    }, FOLLOW_QUIET_MS);
  }

  private setFollowing(on: boolean): void {
    this.following = on;
    if (!on && this.followTimer) {
      clearTimeout(this.followTimer);
      this.followTimer = undefined;
    }
  }

  override dispose(): void {
    if (this.followTimer) clearTimeout(this.followTimer);
    this.pass?.controller.abort();
    this.ridgeController?.abort();
    super.dispose();
  }
}
