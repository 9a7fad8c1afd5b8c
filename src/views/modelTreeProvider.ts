import * as vscode from 'vscode';
import { markdownCode, markdownCodeBlock } from '../core/displayText';
import { CommandIds } from '../commands/commandIds';
import type { ModelIndex } from '../model/modelIndex';
import type { ModelRegistry } from './modelRegistry';
import { TreeNodeCache, findModule, findTensor, formatCount, localName, shapeText, tiedPaths, type TreeNode } from './treeNodes';

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
        this.nodes.clear();
        this.changed.fire(undefined);
      }
    });
  }

  private indexOf(uri: string): ModelIndex | undefined {
    return this.registry.get(vscode.Uri.parse(uri))?.index;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return (await this.registry.list()).map((e) => this.nodes.file(e.uri.toString()));
    if (node.kind === 'param') return [];
    if (node.kind === 'file') await this.registry.load(vscode.Uri.parse(node.uri));
    const index = this.indexOf(node.uri);
    if (!index) return [];
    const module = findModule(index, node.kind === 'file' ? '' : node.qualifiedName);
    if (!module) return [];
    return [...module.children.map((c) => this.nodes.module(node.uri, c.qualifiedName)), ...module.parameters.map((p) => this.nodes.param(node.uri, p, module.qualifiedName))];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind === 'file') return undefined;
    const parentQ = node.kind === 'param' ? node.parent : node.qualifiedName.includes('.') ? parentOf(this.indexOf(node.uri), node.qualifiedName) : '';
    return parentQ ? this.nodes.module(node.uri, parentQ) : this.nodes.file(node.uri);
  }

  async getTreeItem(node: TreeNode): Promise<vscode.TreeItem> {
    const uri = vscode.Uri.parse(node.uri);
    if (node.kind === 'file') return this.fileItem(node, uri);
    const index = this.indexOf(node.uri);
    if (node.kind === 'module') {
      const m = index && findModule(index, node.qualifiedName);
      const item = new vscode.TreeItem(m?.type ? `${m.name} · ${m.type}` : (m?.name ?? node.qualifiedName), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = node.id;
      if (m) {
        const count = m.parameterCount > 0 ? vscode.l10n.t('{0} params', formatCount(m.parameterCount)) : '';
        item.description = [count, m.sameAs !== undefined ? vscode.l10n.t('same module as {0}', m.sameAs || vscode.l10n.t('root')) : ''].filter(Boolean).join(' · ');
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
      item.description = `${shapeText(t)} · ${formatCount(t.count)}${t.kind === 'buffer' ? ` · ${vscode.l10n.t('buffer')}` : t.kind === 'optimizer' ? ` · ${vscode.l10n.t('optimizer state')}` : ''}${tiedText}`;
      // Every string from the file goes through markdownCode/markdownCodeBlock (docs/security.md).
      const md = new vscode.MarkdownString();
      if (t.path) md.appendMarkdown(`${markdownCodeBlock(t.path, 'python')}\n\n`);
      md.appendMarkdown(`${vscode.l10n.t('state_dict key')} ${markdownCode(t.name)}  \n${markdownCode(shapeText(t))} · ${t.count === 1 ? vscode.l10n.t('1 element') : vscode.l10n.t('{0} elements', formatCount(t.count))}`);
      if (tied.length > 0) md.appendMarkdown(`  \n$(link) ${vscode.l10n.t('tied with {0}: one storage, counted once', tied.map((p) => markdownCode(p)).join(', '))}`);
      md.supportThemeIcons = true;
      item.tooltip = md;
    }
    item.iconPath = new vscode.ThemeIcon(tied.length > 0 ? 'link' : t?.kind === 'buffer' || t?.kind === 'optimizer' ? 'symbol-variable' : 'symbol-field');
    // `.tied` adds "Go to Tied Twin" to the row's menus; `^paramscope\.parameter` still matches.
    item.contextValue = tied.length > 0 ? 'paramscope.parameter.tied' : 'paramscope.parameter';
    item.command = { command: CommandIds.showParameter, title: vscode.l10n.t('Show Parameter'), arguments: [node] };
    return item;
  }

  private async fileItem(node: TreeNode, uri: vscode.Uri): Promise<vscode.TreeItem> {
    const entry = await this.registry.load(uri);
    // Relative path, so `broken/net.pt` and `net.pt` are told apart in a flat list.
    const item = new vscode.TreeItem(vscode.workspace.asRelativePath(uri, false), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    item.resourceUri = uri;
    item.contextValue = 'paramscope.file';
    const label = String(item.label);
    if (entry.index) {
      const ix = entry.index;
      // The count first: it is what a narrow side bar should not cut off.
      item.description = vscode.l10n.t('{0} params · {1}', formatCount(ix.totalParameters), ix.format);
      item.tooltip = `${uri.fsPath}\n${vscode.l10n.t('{0} tensors', ix.tensors.length)}${ix.warnings.length ? `\n⚠ ${ix.warnings.join('\n⚠ ')}` : ''}`;
      item.iconPath = new vscode.ThemeIcon(ix.warnings.length ? 'warning' : 'database', ix.warnings.length ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
      item.accessibilityInformation = { label: `${label}, ${ix.format}, ${vscode.l10n.t('{0} parameters', formatCount(ix.totalParameters))}${ix.warnings.length ? `, ${vscode.l10n.t('{0} warnings', ix.warnings.length)}` : ''}` };
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
