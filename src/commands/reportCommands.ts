import * as vscode from 'vscode';
import type { InitReportPanels } from '../views/initReportPanel';
import type { OverviewPanels } from '../views/overviewPanel';
import type { ModelRegistry } from '../views/modelRegistry';
import type { ModelTreeProvider } from '../views/modelTreeProvider';
import type { TiesPanels } from '../views/tiesPanel';
import { findTensor, ownerModule, shapeText, tiedNames, type TreeNode } from '../views/treeNodes';
import { CommandIds } from './commandIds';
import { pickModel, uriOf, type ModelArg } from './modelPick';

export interface ReportCommandDeps {
  registry: ModelRegistry;
  tree: ModelTreeProvider;
  treeView: vscode.TreeView<TreeNode>;
  initReports: InitReportPanels;
  overviews: OverviewPanels;
  ties: TiesPanels;
}

/** The model-wide reports (overview, init schemes, tied parameters) and the jump between tied twins. */
export function registerReportCommands({ registry, tree, treeView, initReports, overviews, ties }: ReportCommandDeps): vscode.Disposable[] {
  const modelCommand = (id: string, title: string, open: (uri: vscode.Uri) => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(id, async (arg?: ModelArg) => {
      const uri = arg ? uriOf(arg) : await pickModel(registry, title);
      if (!uri) return;
      const entry = await registry.load(uri);
      if (!entry.index) {
        void vscode.window.showErrorMessage(vscode.l10n.t('ParamScope: {0}', entry.error ?? vscode.l10n.t('cannot read {0}', uri.fsPath)));
        return;
      }
      open(uri);
    });

  const revealTwin = async (arg?: TreeNode): Promise<void> => {
    const node = arg && 'kind' in arg ? arg : treeView.selection[0];
    if (!node || node.kind !== 'param') {
      void vscode.window.showInformationMessage(vscode.l10n.t('ParamScope: select a tied parameter (a row with a link icon) in the Models tree first.'));
      return;
    }
    const index = (await registry.load(vscode.Uri.parse(node.uri))).index;
    const twins = (index && tiedNames(index).get(node.name)) ?? [];
    if (!index || twins.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('ParamScope: {0} is not tied to another parameter.', node.name));
      return;
    }
    let twin = twins[0]!;
    if (twins.length > 1) {
      const picked = await vscode.window.showQuickPick(
        twins.map((name) => {
          const t = findTensor(index, name);
          return { label: t?.path || name, description: name, detail: t ? shapeText(t) : undefined, name };
        }),
        { title: vscode.l10n.t('ParamScope: tied twins of {0}', findTensor(index, node.name)?.path || node.name), placeHolder: vscode.l10n.t('parameter to go to') },
      );
      if (!picked) return;
      twin = picked.name;
    }
    await treeView.reveal(tree.nodes.param(node.uri, twin, ownerModule(index, twin)), { select: true, focus: true, expand: false });
  };

  return [
    modelCommand(CommandIds.showOverview, vscode.l10n.t('ParamScope: Show Model Overview'), (uri) => overviews.show(uri)),
    modelCommand(CommandIds.showInitReport, vscode.l10n.t('ParamScope: Show Init Report'), (uri) => initReports.show(uri)),
    modelCommand(CommandIds.showTiedParameters, vscode.l10n.t('ParamScope: Show Tied Parameters'), (uri) => ties.show(uri)),
    vscode.commands.registerCommand(CommandIds.revealTiedTwin, revealTwin),
  ];
}
