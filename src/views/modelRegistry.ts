import * as vscode from 'vscode';
import type { ModelIndex } from '../core/modelIndex';
import type { WorkerPool } from '../runtime/workerPool';
import { DEFAULT_INCLUDE_GLOB, gathersSiblings, modelFileKind } from '../formats/registry';

/** A model file in the workspace and what we know of it. */
export interface ModelEntry {
  uri: vscode.Uri;
  /** Set once read successfully. */
  index?: ModelIndex;
  /** Set when reading failed: a message a person can act on. */
  error?: string;
  /** Size and mtime the index (or error) belongs to, so a changed file is re-read. */
  stamp?: string;
}

/** Files we never list: folders of tools and environments, not models. */
const DEFAULT_EXCLUDE = '**/{node_modules,.git,.venv,venv,__pycache__,.e2e,site-packages}/**';
/** Cap on files listed: a workspace with more is searched by a narrower include glob. */
const MAX_MODEL_FILES = 5000;
/** Files parsed at once: a workspace of thousands of checkpoints must not open thousands of handles. */
const MAX_CONCURRENT_LOADS = 4;

function stampOf(stat: vscode.FileStat): string {
  return `${stat.size}:${stat.mtime}`;
}

/**
 * The workspace's model files, their indexes (parsed in a worker, cached by size and mtime) and
 * change events. One broken file only marks its own entry.
 */
export class ModelRegistry implements vscode.Disposable {
  /** Files listed in the tree. */
  private readonly entries = new Map<string, ModelEntry>();
  /** Every file read so far (listed or opened from elsewhere), so changes reach open panels. */
  private readonly cache = new Map<string, ModelEntry>();
  private readonly loading = new Map<string, Promise<ModelEntry>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri | undefined>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private scanned: Promise<void> | undefined;
  private everListed = false;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Fires with a file's uri when it changed, or undefined when the list itself changed. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly pool: WorkerPool,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(this.includeGlob());
    watcher.onDidCreate((uri) => {
      this.invalidateShardedIndexesBeside(uri);
      this.refresh();
    }, this, this.disposables);
    watcher.onDidDelete((uri) => {
      this.invalidate(uri);
      this.cache.delete(uri.toString());
      this.refresh();
    }, this, this.disposables);
    watcher.onDidChange((uri) => this.invalidate(uri), this, this.disposables);
    // A deleted folder is reported as the folder alone, which the model glob does not match.
    const folders = vscode.workspace.createFileSystemWatcher('**/*', true, true, false);
    folders.onDidDelete((uri) => {
      const prefix = `${uri.toString()}/`;
      const gone = [...this.cache.keys()].filter((k) => k.startsWith(prefix));
      for (const k of gone) this.cache.delete(k);
      if (gone.length > 0 || [...this.entries.keys()].some((k) => k.startsWith(prefix))) this.refresh();
    }, this, this.disposables);
    this.disposables.push(
      watcher,
      folders,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('paramscope')) this.refresh();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
    );
  }

  private includeGlob(): string {
    return vscode.workspace.getConfiguration('paramscope').get<string>('include') || DEFAULT_INCLUDE_GLOB;
  }

  /** Lists the model files (scanning the workspace once, then on refresh). */
  async list(): Promise<ModelEntry[]> {
    this.scanned ??= this.scan();
    await this.scanned;
    this.everListed = true;
    return this.listing();
  }

  /**
   * The files as last listed, while a refresh scans again (undefined before the first scan ends):
   * for a hover, which must answer at once and never waits for a scan.
   */
  lastListing(): ModelEntry[] | undefined {
    return this.everListed ? this.listing() : undefined;
  }

  private listing(): ModelEntry[] {
    return [...this.entries.values()].sort((a, b) => a.uri.path.localeCompare(b.uri.path));
  }

  get(uri: vscode.Uri): ModelEntry | undefined {
    return this.entries.get(uri.toString());
  }

  refresh(): void {
    this.scanned = undefined;
    this.changed.fire(undefined);
  }

  private invalidate(uri: vscode.Uri): void {
    this.invalidateShardedIndexesBeside(uri);
    const e = this.cache.get(uri.toString());
    if (!e) return;
    e.index = undefined;
    e.error = undefined;
    e.stamp = undefined;
    this.changed.fire(uri);
  }

  /**
   * A model that gathers files beside it (a sharded index, a split GGUF's first part) is cached by
   * its own size and mtime, but its view depends on those files (a shard finishing its download,
   * cut short, deleted): a change to any model file in the folder re-reads the gathering ones there.
   */
  private invalidateShardedIndexesBeside(uri: vscode.Uri): void {
    if (!modelFileKind(uri.path)) return;
    const folder = uri.path.slice(0, uri.path.lastIndexOf('/') + 1);
    for (const [key, e] of this.cache) {
      if (!gathersSiblings(e.uri.path) || e.uri.path.slice(0, e.uri.path.lastIndexOf('/') + 1) !== folder || key === uri.toString()) continue;
      if (e.index === undefined && e.error === undefined) continue;
      e.index = undefined;
      e.error = undefined;
      e.stamp = undefined;
      this.changed.fire(e.uri);
    }
  }

  private async scan(): Promise<void> {
    const started = Date.now();
    const cfg = vscode.workspace.getConfiguration('paramscope');
    const exclude = cfg.get<string>('exclude') || DEFAULT_EXCLUDE;
    const found = await vscode.workspace.findFiles(this.includeGlob(), exclude, MAX_MODEL_FILES);
    const searched = Date.now();
    const keep = new Set<string>();
    const models = found.filter((u) => isModelFileName(u.path));
    for (const uri of models) {
      const key = uri.toString();
      keep.add(key);
      if (!this.entries.has(key)) this.entries.set(key, this.cache.get(key) ?? { uri });
    }
    for (const key of [...this.entries.keys()]) if (!keep.has(key)) this.entries.delete(key);
    // Ambiguous extensions are listed only once they read as models.
    await Promise.all(
      [...this.entries.values()]
        .filter((e) => modelFileKind(e.uri.path) === 'sniff')
        .map(async (e) => {
          const loaded = await this.load(e.uri);
          if (loaded.error && /not a recognised model file/.test(loaded.error)) this.entries.delete(e.uri.toString());
        }),
    );
    await this.hideListedShards();
    // `timing:` lines are what `npm run bench:ui` collects from this log (docs/performance.md).
    this.log.info(`found ${this.entries.size} model file(s)`);
    this.log.info(`timing: scan ${Date.now() - started} ms (findFiles ${searched - started} ms)`);
    // The view's welcome text says "looking…" until this is set, "none found" after.
    void vscode.commands.executeCommand('setContext', 'paramscope.modelsScanned', true);
  }

  /** Files a gathering model reads (shards of an index, later parts of a split GGUF) are shown through it only. */
  private async hideListedShards(): Promise<void> {
    const indexes = [...this.entries.values()].filter((e) => gathersSiblings(e.uri.path));
    for (const ix of indexes) {
      const loaded = await this.load(ix.uri);
      for (const t of loaded.index?.tensors ?? []) {
        const shard = vscode.Uri.file(t.location.file).toString();
        if (shard !== ix.uri.toString()) this.entries.delete(shard);
      }
    }
  }

  /** The index of a file, read in a worker, cached until the file's size or mtime changes. */
  async load(uri: vscode.Uri): Promise<ModelEntry> {
    const key = uri.toString();
    let entry = this.cache.get(key);
    if (!entry) this.cache.set(key, (entry = this.entries.get(key) ?? { uri }));
    const theEntry = entry;
    let stamp: string;
    try {
      stamp = stampOf(await vscode.workspace.fs.stat(uri));
    } catch (e) {
      return { uri, error: vscode.l10n.t('cannot read {0}: {1}', uri.fsPath, (e as Error).message) };
    }
    if (entry.stamp === stamp && (entry.index || entry.error)) return entry;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const p = (async (): Promise<ModelEntry> => {
      const entry = theEntry;
      const asked = Date.now();
      await this.slot();
      const started = Date.now();
      try {
        entry.index = await this.pool.run('index', { file: uri.fsPath });
        this.log.info(`timing: index ${uri.path.split('/').pop()} ${Date.now() - started} ms (waited ${started - asked} ms for a slot)`);
        entry.error = undefined;
        for (const w of entry.index.warnings) this.log.warn(`${uri.fsPath}: ${w}`);
        for (const n of entry.index.notes) this.log.info(`${uri.fsPath}: ${n}`);
      } catch (e) {
        entry.index = undefined;
        entry.error = (e as Error).message;
        this.log.error(`${uri.fsPath}: ${entry.error}`);
      } finally {
        this.release();
      }
      entry.stamp = stamp;
      return entry;
    })().finally(() => this.loading.delete(key));
    this.loading.set(key, p);
    return p;
  }

  private slot(): Promise<void> {
    if (this.active < MAX_CONCURRENT_LOADS) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Files the scan lists: endings a reader claims by name or sniffs (see formats/registry). */
export function isModelFileName(path: string): boolean {
  return modelFileKind(path) !== null;
}
