import * as vscode from 'vscode';
import { markdownCode, markdownCodeBlock, markdownText } from '../core/displayText';
import { CommandIds } from '../commands/commandIds';
import type { ModelIndex } from '../core/modelIndex';
import type { ModelRegistry } from './modelRegistry';
import { progressText } from '../model/summaryExport';
import { optimizerSlots, trainingProgress } from '../model/trainingState';
import type { ModelEntry } from './modelRegistry';
import { confirmRun, runFoldersOf, type RunFolder } from './runFolders';
import { TreeNodeCache, childCount, childPosition, childRanges, findModule, findTensor, formatCount, formatShortCount, localName, parentRange, rangeOf, repeatedChildren, shapeText, tiedPaths, type TreeNode } from './treeNodes';
import type { ModuleNode } from '../core/modelIndex';
import { BLOCK_LAYOUT, bitsPerElement, isBlockDType, storageBytes } from '../core/dtypes';

/** Where each model file sits: folders as the Explorer shows them, chains of lone folders compacted (`runs/exp1`). */
interface FolderLayout {
  /** Children of a displayed folder ('' is the root): folder keys, then file URIs. */
  children: Map<string, { folders: string[]; files: string[] }>;
  /**
   * Displayed folder → its label (`checkpoints`, `runs/exp1`), URI, parent folder key, and, when
   * its names make it a training run's folder (runFolders.ts), the run's checkpoints.
   */
  folders: Map<string, { label: string; uri: vscode.Uri; parent: string; models: number; run?: RunFolder }>;
  /** File URI → the key of the displayed folder holding it. */
  fileParent: Map<string, string>;
}

function layoutOf(entries: readonly ModelEntry[]): FolderLayout {
  const multi = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  // The full folder tree first: key = workspace-relative folder path.
  const dirs = new Map<string, { name: string; uri: vscode.Uri; parent: string; folders: string[]; files: string[] }>();
  dirs.set('', { name: '', uri: vscode.Uri.file('/'), parent: '', folders: [], files: [] });
  for (const e of entries) {
    const wf = vscode.workspace.getWorkspaceFolder(e.uri);
    const segments = wf ? vscode.workspace.asRelativePath(e.uri, multi).split('/') : [e.uri.fsPath];
    let parent = '';
    let uri = wf?.uri;
    for (let k = 0; k < segments.length - 1; k++) {
      const key = segments.slice(0, k + 1).join('/');
      // In a multi-root workspace the first part names the workspace folder, not a directory.
      uri = multi && k === 0 ? wf!.uri : vscode.Uri.joinPath(uri!, segments[k]!);
      if (!dirs.has(key)) {
        dirs.set(key, { name: segments[k]!, uri, parent, folders: [], files: [] });
        dirs.get(parent)!.folders.push(key);
      }
      parent = key;
    }
    dirs.get(parent)!.files.push(e.uri.toString());
  }
  const layout: FolderLayout = { children: new Map(), folders: new Map(), fileParent: new Map() };
  // Names only, from the same listing. A run folder holds files or two or more folders, so it is
  // never compacted away; the workspace root has no row, hence no run row.
  const runs = new Map(runFoldersOf(entries.map((e) => e.uri)).map((r) => [r.uri.toString(), r]));
  const count = (key: string): number => {
    const d = dirs.get(key)!;
    return d.files.length + d.folders.reduce((n, f) => n + count(f), 0);
  };
  const place = (shown: string): void => {
    const d = dirs.get(shown)!;
    const kids = { folders: [] as string[], files: d.files };
    for (const f of d.files) layout.fileParent.set(f, shown);
    for (let f of d.folders) {
      let label = dirs.get(f)!.name;
      // A folder holding one folder and no files shows as one row, as the Explorer's compact folders do.
      while (dirs.get(f)!.files.length === 0 && dirs.get(f)!.folders.length === 1) {
        f = dirs.get(f)!.folders[0]!;
        label += `/${dirs.get(f)!.name}`;
      }
      kids.folders.push(f);
      const uri = dirs.get(f)!.uri;
      layout.folders.set(f, { label, uri, parent: shown, models: count(f), run: runs.get(uri.toString()) });
      place(f);
    }
    layout.children.set(shown, kids);
  };
  place('');
  return layout;
}

/** The "Models" view: model files → nested blocks → parameters, computed on expand. */
export class ModelTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly nodes = new TreeNodeCache();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly registry: ModelRegistry) {
    this.subscription = registry.onDidChange((uri) => {
      if (uri) {
        this.nodes.clear(uri.toString());
        this.changed.fire(this.nodes.file(uri.toString()));
      } else {
        // The list changed: nodes stay the same objects (a reveal of a node fetched just before
        // still finds it); those of files no longer listed are dropped when the root is read.
        this.changed.fire(undefined);
      }
    });
  }

  /** The folders of the last listing (getParent and folder rows read it). */
  private layout: FolderLayout = { children: new Map(), folders: new Map(), fileParent: new Map() };

  /** A run folder's checkpoints of one model, by folder key, as `confirmRun` found when it was listed. */
  private readonly runCounts = new Map<string, number>();

  private indexOf(uri: string): ModelIndex | undefined {
    return this.registry.get(vscode.Uri.parse(uri))?.index;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node || node.kind === 'folder') {
      if (!node) {
        const entries = await this.registry.list();
        this.layout = layoutOf(entries);
        this.nodes.retain(new Set([...entries.map((e) => e.uri.toString()), ...[...this.layout.folders.values()].map((f) => f.uri.toString())]));
      }
      const kids = this.layout.children.get(node?.kind === 'folder' ? node.path : '') ?? { folders: [], files: [] };
      // A training run's folder lists its "Training run" row first: its names say so, and its
      // checkpoints' indexes (the registry's, which the rows below load anyway) are of one model.
      const folder = node?.kind === 'folder' ? this.layout.folders.get(node.path) : undefined;
      let run: TreeNode[] = [];
      if (node?.kind === 'folder' && folder?.run) {
        const n = await confirmRun(folder.run, async (u) => (await this.registry.load(u)).index);
        this.runCounts.set(node.path, n);
        if (n >= 2) run = [this.nodes.run(node.uri, node.path)];
      }
      return [...run, ...kids.folders.map((f) => this.nodes.folder(this.layout.folders.get(f)!.uri.toString(), f)), ...kids.files.map((f) => this.nodes.file(f))];
    }
    if (node.kind === 'param' || node.kind === 'run') return [];
    if (node.kind === 'file') await this.registry.load(vscode.Uri.parse(node.uri));
    const index = this.indexOf(node.uri);
    if (!index) return [];
    const module = findModule(index, node.kind === 'file' ? '' : node.qualifiedName);
    if (!module) return [];
    // Only the rows of one list are built: a module of 100k tensors lists ranges, never 100k items.
    const [start, end] = node.kind === 'range' ? [node.start, node.end] : [0, childCount(module)];
    const ranges = childRanges(start, end);
    if (ranges.length > 0) return ranges.map(([s, e]) => this.nodes.range(node.uri, module.qualifiedName, s, e));
    const out: TreeNode[] = [];
    for (let i = start; i < end; i++) out.push(this.childAt(node.uri, module, i));
    return out;
  }

  private childAt(uri: string, module: ModuleNode, i: number): TreeNode {
    const n = module.children.length;
    return i < n ? this.nodes.module(uri, module.children[i]!.qualifiedName) : this.nodes.param(uri, module.parameters[i - n]!, module.qualifiedName);
  }

  /** The row listing `child` of the module `parentQ`: the module (or file) itself, or the range holding it. */
  private containerOf(uri: string, parentQ: string, child: string): TreeNode {
    const index = this.indexOf(uri);
    const m = index && findModule(index, parentQ);
    const position = m ? childPosition(m, child) : undefined;
    const range = m && position !== undefined ? rangeOf(position, childCount(m)) : undefined;
    if (range) return this.nodes.range(uri, parentQ, range[0], range[1]);
    return parentQ ? this.nodes.module(uri, parentQ) : this.nodes.file(uri);
  }

  getParent(node: TreeNode): TreeNode | undefined {
    const folderNode = (key: string | undefined): TreeNode | undefined => {
      const f = key ? this.layout.folders.get(key) : undefined;
      return f && key ? this.nodes.folder(f.uri.toString(), key) : undefined;
    };
    if (node.kind === 'folder') return folderNode(this.layout.folders.get(node.path)?.parent);
    if (node.kind === 'run') return folderNode(node.path);
    if (node.kind === 'file') return folderNode(this.layout.fileParent.get(node.uri));
    if (node.kind === 'range') {
      const m = this.indexOf(node.uri) && findModule(this.indexOf(node.uri)!, node.qualifiedName);
      const up = m && parentRange(node.start, node.end, childCount(m));
      if (up) return this.nodes.range(node.uri, node.qualifiedName, up[0], up[1]);
      return node.qualifiedName ? this.nodes.module(node.uri, node.qualifiedName) : this.nodes.file(node.uri);
    }
    if (node.kind === 'param') return this.containerOf(node.uri, node.parent, node.name);
    const parentQ = node.qualifiedName.includes('.') ? parentOf(this.indexOf(node.uri), node.qualifiedName) : '';
    return this.containerOf(node.uri, parentQ, node.qualifiedName);
  }

  async getTreeItem(node: TreeNode): Promise<vscode.TreeItem> {
    const uri = vscode.Uri.parse(node.uri);
    if (node.kind === 'folder') return this.folderItem(node);
    if (node.kind === 'run') return this.runItem(node);
    if (node.kind === 'file') return this.fileItem(node, uri);
    const index = this.indexOf(node.uri);
    if (node.kind === 'range') return this.rangeItem(node, index);
    if (node.kind === 'module') {
      const m = index && findModule(index, node.qualifiedName);
      const repeated = m && index ? repeatedChildren(m, index) : undefined;
      const label = repeated ? `${m!.name} [${repeated.first}…${repeated.last}]` : m?.type ? `${m.name} · ${m.type}` : (m?.name ?? node.qualifiedName);
      const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = node.id;
      if (m) {
        const params = m.parameterCount > 0 ? vscode.l10n.t('{0} params', formatShortCount(m.parameterCount, vscode.env.language)) : '';
        // A stack of alike blocks says how many and of what: `80 × LlamaDecoderLayer · 6.4B params`.
        const blocks = repeated ? (repeated.type ? vscode.l10n.t('{0} × {1}', repeated.count, repeated.type) : vscode.l10n.t('{0} alike blocks', repeated.count)) : '';
        const count = [blocks, params].filter(Boolean).join(' · ');
        // An optimizer's state[i], named by the parameter it belongs to (model/trainingState.ts).
        const slot = index && optimizerSlots(index).get(m.qualifiedName);
        item.description = [count, slot ? vscode.l10n.t('state of {0}', slot.name) : '', m.sameAs !== undefined ? vscode.l10n.t('same module as {0}', m.sameAs || vscode.l10n.t('root')) : ''].filter(Boolean).join(' · ');
        item.tooltip = new vscode.MarkdownString(`${markdownCodeBlock(m.path || m.qualifiedName, 'python')}\n\n${vscode.l10n.t('{0} · {1} parameters', m.type ? markdownCode(m.type) : vscode.l10n.t('module'), formatCount(m.parameterCount))}`);
        if (m.children.length === 0 && m.parameters.length === 0) item.collapsibleState = vscode.TreeItemCollapsibleState.None;
      }
      item.iconPath = new vscode.ThemeIcon('symbol-class');
      item.contextValue = 'paramscope.module';
      return item;
    }
    const t = index && findTensor(index, node.name);
    const parent = index && findModule(index, node.parent);
    const item = new vscode.TreeItem(parent ? localName(parent, node.name) : node.name, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    const tied = (index && tiedPaths(index).get(node.name)) ?? [];
    if (t) {
      const tiedText = tied.length > 0 ? ` · ${vscode.l10n.t('tied with {0}', tied.join(', '))}` : '';
      item.description = `${shapeText(t)} · ${formatShortCount(t.count, vscode.env.language)}${t.kind === 'buffer' ? ` · ${vscode.l10n.t('buffer')}` : t.kind === 'optimizer' ? ` · ${vscode.l10n.t('optimizer state')}` : ''}${tiedText}`;
      // Every string from the file goes through markdownCode/markdownCodeBlock (docs/security.md).
      const md = new vscode.MarkdownString();
      if (t.path) md.appendMarkdown(`${markdownCodeBlock(t.path, 'python')}\n\n`);
      md.appendMarkdown(`${vscode.l10n.t('state_dict key')} ${markdownCode(t.name)}  \n${markdownCode(shapeText(t))} · ${t.count === 1 ? vscode.l10n.t('1 element') : vscode.l10n.t('{0} elements', formatCount(t.count))}`);
      if (tied.length > 0) md.appendMarkdown(`  \n$(link) ${vscode.l10n.t('tied with {0}: one storage, counted once', tied.map((p) => markdownCode(p)).join(', '))}`);
      if (isBlockDType(t.dtype)) md.appendMarkdown(`  \n${vscode.l10n.t('{0} bits per weight · {1} blocks of {2} · {3} bytes', +bitsPerElement(t.dtype).toFixed(4), formatCount(t.count / BLOCK_LAYOUT[t.dtype].elements), BLOCK_LAYOUT[t.dtype].elements, formatCount(storageBytes(t.dtype, t.count)))}`);
      if (typeof t.details?.hfName === 'string') md.appendMarkdown(`  \n${vscode.l10n.t('Hugging Face name {0}', markdownCode(t.details.hfName))}`);
      md.supportThemeIcons = true;
      item.tooltip = md;
    }
    item.iconPath = new vscode.ThemeIcon(tied.length > 0 ? 'link' : t?.kind === 'buffer' || t?.kind === 'optimizer' ? 'symbol-variable' : 'symbol-field');
    // `.tied` adds "Go to Tied Twin" to the row's menus; `^paramscope\.parameter` still matches.
    item.contextValue = tied.length > 0 ? 'paramscope.parameter.tied' : 'paramscope.parameter';
    item.command = { command: CommandIds.showParameter, title: vscode.l10n.t('Show Parameter'), arguments: [node] };
    return item;
  }

  /** A span of a long child list: `experts[0…99]` for numbered blocks, else positions and the first and last names. */
  private rangeItem(node: Extract<TreeNode, { kind: 'range' }>, index: ModelIndex | undefined): vscode.TreeItem {
    const m = index && findModule(index, node.qualifiedName);
    const nameAt = (i: number): string => (!m ? '' : i < m.children.length ? m.children[i]!.name : localName(m, m.parameters[i - m.children.length]!));
    const numbered = !!m && node.end <= m.children.length && /^\d+$/.test(nameAt(node.start)) && /^\d+$/.test(nameAt(node.end - 1));
    const label = numbered ? `${m!.name || vscode.l10n.t('root')}[${nameAt(node.start)}…${nameAt(node.end - 1)}]` : `[${node.start}…${node.end - 1}]`;
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    const rows = node.end - node.start;
    item.description = numbered ? vscode.l10n.t('{0} of {1}', formatCount(rows), formatCount(m ? childCount(m) : rows)) : `${nameAt(node.start)} … ${nameAt(node.end - 1)}`;
    item.tooltip = vscode.l10n.t('{0} of {1}', formatCount(rows), formatCount(m ? childCount(m) : rows));
    item.iconPath = new vscode.ThemeIcon('symbol-array');
    item.contextValue = 'paramscope.range';
    return item;
  }

  private folderItem(node: Extract<TreeNode, { kind: 'folder' }>): vscode.TreeItem {
    const f = this.layout.folders.get(node.path);
    const item = new vscode.TreeItem(f?.label ?? node.path, vscode.TreeItemCollapsibleState.Expanded);
    item.id = node.id;
    item.resourceUri = vscode.Uri.parse(node.uri);
    item.iconPath = vscode.ThemeIcon.Folder;
    item.contextValue = 'paramscope.folder';
    const models = f?.models ?? 0;
    item.description = models === 1 ? vscode.l10n.t('1 model') : vscode.l10n.t('{0} models', models);
    item.tooltip = item.resourceUri.fsPath;
    return item;
  }

  /** A training run's folder's first row: a click opens its run page (seriesCommands.ts). */
  private runItem(node: Extract<TreeNode, { kind: 'run' }>): vscode.TreeItem {
    const folder = vscode.Uri.parse(node.uri);
    const label = vscode.l10n.t('Training run');
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.description = vscode.l10n.t('{0} checkpoints', this.runCounts.get(node.path) ?? this.layout.folders.get(node.path)?.run?.count ?? 0);
    item.tooltip = vscode.l10n.t("Open the training run page: how each tensor moved across this folder's checkpoints");
    // A string tooltip would be what a screen reader hears; the row's own words say more.
    item.accessibilityInformation = { label: `${label}, ${item.description}` };
    item.iconPath = new vscode.ThemeIcon('graph-line');
    item.contextValue = 'paramscope.run';
    item.command = { command: CommandIds.showTrainingRun, title: vscode.l10n.t('ParamScope: Show Training Run'), arguments: [folder] };
    return item;
  }

  private async fileItem(node: TreeNode, uri: vscode.Uri): Promise<vscode.TreeItem> {
    const entry = await this.registry.load(uri);
    // The file's name under its folder's row; the tooltip gives its path.
    const label = uri.path.split('/').pop() ?? uri.fsPath;
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    item.resourceUri = uri;
    item.contextValue = 'paramscope.file';
    if (entry.index) {
      const ix = entry.index;
      const warned = ix.warnings.length > 0;
      const warningCount = ix.warnings.length === 1 ? vscode.l10n.t('1 warning') : vscode.l10n.t('{0} warnings', ix.warnings.length);
      // The count first, short (`124.4M`): it is what a narrow side bar should not cut off. Exact in the tooltip.
      const progress = trainingProgress(ix);
      item.description = vscode.l10n.t('{0} params · {1}', formatShortCount(ix.totalParameters, vscode.env.language), ix.format) + (progress.epoch !== undefined ? ` · ${vscode.l10n.t('epoch {0}', progress.epoch)}` : progress.step !== undefined ? ` · ${vscode.l10n.t('step {0}', formatCount(progress.step))}` : '');
      const md = new vscode.MarkdownString('', true);
      md.appendMarkdown(`${markdownCode(uri.fsPath)}  \n${(ix.tensors.length === 1 ? vscode.l10n.t('{0} parameters in 1 tensor · {1}', formatCount(ix.totalParameters), ix.format) : vscode.l10n.t('{0} parameters in {1} tensors · {2}', formatCount(ix.totalParameters), formatCount(ix.tensors.length), ix.format))}`);
      const progressLine = progressText(progress);
      if (progressLine) md.appendMarkdown(`  \n$(history) ${markdownText(progressLine)}`);
      // Warnings and notes name classes and tensors from the file: they go through markdownText.
      if (warned) md.appendMarkdown(`\n\n$(warning) ${warningCount}:\n\n${ix.warnings.map((w) => `- ${markdownText(w)}`).join('\n')}`);
      if (ix.notes.length > 0) md.appendMarkdown(`\n\n${ix.notes.map((n) => `$(info) ${markdownText(n)}`).join('  \n')}`);
      item.tooltip = md;
      // A class whose code is not installed (a note) is no problem: only warnings get the ⚠.
      item.iconPath = new vscode.ThemeIcon(warned ? 'warning' : 'database', warned ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
      item.accessibilityInformation = { label: `${label}, ${ix.format}, ${vscode.l10n.t('{0} parameters', formatCount(ix.totalParameters))}${warned ? `, ${warningCount}` : ''}` };
    } else {
      const cannotRead = vscode.l10n.t('cannot read');
      const reason = shortReason(entry.error ?? cannotRead);
      item.description = cannotRead;
      item.tooltip = entry.error ?? cannotRead;
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
      item.collapsibleState = vscode.TreeItemCollapsibleState.None;
      item.accessibilityInformation = { label: `${label}, ${cannotRead}: ${reason}` };
      // A click shows the full reason in the summary editor.
      item.command = { command: CommandIds.openModel, title: vscode.l10n.t('Open Model'), arguments: [uri] };
    }
    return item;
  }

  /** Re-lists the files. */
  refresh(): void {
    this.registry.refresh();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** An error message without the leading file path (the row already names the file). */
export function shortReason(message: string): string {
  return message.replace(/^\S*[\\/][^:]*:\s*/, '');
}

/** The parent module's qualified name; module names may contain dots only as separators. */
function parentOf(index: ModelIndex | undefined, qualifiedName: string): string {
  if (!index) return '';
  let q = qualifiedName;
  while (q.includes('.')) {
    q = q.slice(0, q.lastIndexOf('.'));
    if (findModule(index, q)) return q;
  }
  return '';
}
