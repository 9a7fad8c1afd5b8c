import * as vscode from 'vscode';
import { CommandIds } from '../commands/commandIds';
import { activeModel, activePanelModel } from './activePanelModel';
import type { ModelRegistry } from './modelRegistry';
import type { VariableBindings } from './variableBindings';
import { SUMMARY_EDITOR_VIEW_TYPE } from './modelSummaryEditor';
import { formatCount, modelOfNode, type TreeNode } from './treeNodes';

/**
 * The status-bar item for the active model: its file name and parameter total; a click opens its
 * summary. The active model is the one whose summary editor or ParamScope panel (parameter, init
 * report, ties, diff) is the active tab; else the one bound
 * to the active Python file; else the file of the Models tree's selection while the tree is shown.
 * With none of those the item hides rather than show a stale model.
 */
export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('paramscope.activeModel', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [this.item];
  private generation = 0;
  /** The model shown now (for tests). */
  current: vscode.Uri | undefined;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly treeView: vscode.TreeView<TreeNode>,
    private readonly bindings?: VariableBindings,
  ) {
    this.item.name = vscode.l10n.t('ParamScope: Active Model');
    const update = (): void => void this.update();
    this.disposables.push(
      vscode.window.tabGroups.onDidChangeTabs(update),
      vscode.window.tabGroups.onDidChangeTabGroups(update),
      vscode.window.onDidChangeActiveTextEditor(update),
      treeView.onDidChangeSelection(update),
      treeView.onDidChangeVisibility(update),
      registry.onDidChange(update),
      activePanelModel.onDidChange(update),
    );
    if (bindings) this.disposables.push(bindings.onDidChange(update));
    update();
  }

  private activeModel(): vscode.Uri | undefined {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputCustom && input.viewType === SUMMARY_EDITOR_VIEW_TYPE) return input.uri;
    if (input instanceof vscode.TabInputWebview && activePanelModel.uri) return activePanelModel.uri;
    const editor = vscode.window.activeTextEditor;
    if (editor && this.bindings && (input instanceof vscode.TabInputText || input instanceof vscode.TabInputNotebook)) {
      // A Python file (or notebook) whose bindings all name one model.
      const models = new Set(this.bindings.of(editor.document.uri).values());
      if (models.size === 1) return vscode.Uri.parse([...models][0]!);
    }
    const node = this.treeView.visible ? this.treeView.selection[0] : undefined;
    const model = node && modelOfNode(node);
    return model ? vscode.Uri.parse(model) : undefined;
  }

  async update(): Promise<void> {
    const generation = ++this.generation;
    const uri = this.activeModel();
    this.current = uri;
    activeModel.uri = uri;
    if (!uri) {
      this.item.hide();
      return;
    }
    const listed = this.registry.get(uri);
    const entry = listed?.index || listed?.error ? listed : await this.registry.load(uri);
    if (generation !== this.generation) return; // a newer update won
    const name = uri.path.split('/').pop() ?? uri.path;
    if (entry.index) {
      this.item.text = `$(database) ${name} · ${formatCount(entry.index.totalParameters)}`;
      this.item.tooltip = vscode.l10n.t('{0}: {1} parameters in {2} tensors ({3}). Click to open its summary.', vscode.workspace.asRelativePath(uri), formatCount(entry.index.totalParameters), entry.index.tensors.length, entry.index.format);
    } else {
      this.item.text = `$(warning) ${name}`;
      this.item.tooltip = entry.error ?? vscode.l10n.t('{0} could not be read', name);
    }
    this.item.command = { title: vscode.l10n.t('Open Model Summary'), command: CommandIds.openModel, arguments: [uri] };
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
