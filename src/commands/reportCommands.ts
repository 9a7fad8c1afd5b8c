import * as vscode from 'vscode';
import type { InitReportPanels } from '../views/initReportPanel';
import type { ModelRegistry } from '../views/modelRegistry';
import type { ModelTreeProvider } from '../views/modelTreeProvider';
import type { TiesPanels } from '../views/tiesPanel';
import { findTensor, formatCount, ownerModule, shapeText, tiedNames, type TreeNode } from '../views/treeNodes';
import { CommandIds } from './commandIds';

/** A model file from the tree, the Explorer, a test, or another command. */
export type ModelArg = TreeNode | vscode.Uri | { uri: string | vscode.Uri };

function uriOf(arg: ModelArg): vscode.Uri {
  if (arg instanceof vscode.Uri) return arg;
  return typeof arg.uri === 'string' ? vscode.Uri.parse(arg.uri) : arg.uri;
}

/** Lets a person pick one of the workspace's model files (for commands run from the palette). */
async function pickModel(registry: ModelRegistry, title: string): Promise<vscode.Uri | undefined> {
  const entries = (await registry.list()).filter((e) => !e.error);
  if (entries.length === 0) {
    void vscode.window.showInformationMessage('ParamScope: no model files were found in this workspace.');
    return undefined;
  }
  type Item = vscode.QuickPickItem & { uri: vscode.Uri };
  const items: Item[] = entries.map((e) => ({
    label: vscode.workspace.asRelativePath(e.uri, false),
    description: e.index ? `${formatCount(e.index.totalParameters)} params · ${e.index.format}` : undefined,
    uri: e.uri,
  }));
  return (await vscode.window.showQuickPick(items, { title, placeHolder: 'model file', matchOnDescription: true }))?.uri;
}

export interface ReportCommandDeps {
  registry: ModelRegistry;
  tree: ModelTreeProvider;
  treeView: vscode.TreeView<TreeNode>;
  initReports: InitReportPanels;
  ties: TiesPanels;
}

/** The model-wide reports (init schemes, tied parameters) and the jump between tied twins. */
export function registerReportCommands({ registry, tree, treeView, initReports, ties }: ReportCommandDeps): vscode.Disposable[] {
  const modelCommand = (id: string, title: string, open: (uri: vscode.Uri) => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(id, async (arg?: ModelArg) => {
      const uri = arg ? uriOf(arg) : await pickModel(registry, title);
      if (!uri) return;
      const entry = await registry.load(uri);
      if (!entry.index) {
        void vscode.window.showErrorMessage(`ParamScope: ${entry.error ?? `cannot read ${uri.fsPath}`}`);
        return;
      }
      open(uri);
    });

  const revealTwin = async (arg?: TreeNode): Promise<void> => {
    const node = arg && 'kind' in arg ? arg : treeView.selection[0];
    if (!node || node.kind !== 'param') {
      void vscode.window.showInformationMessage('ParamScope: select a tied parameter (a row with a link icon) in the Models tree first.');
      return;
    }
    const index = (await registry.load(vscode.Uri.parse(node.uri))).index;
    const twins = (index && tiedNames(index).get(node.name)) ?? [];
    if (!index || twins.length === 0) {
      void vscode.window.showInformationMessage(`ParamScope: ${node.name} is not tied to another parameter.`);
      return;
    }
    let twin = twins[0]!;
    if (twins.length > 1) {
      const picked = await vscode.window.showQuickPick(
        twins.map((name) => {
          const t = findTensor(index, name);
          return { label: t?.path || name, description: name, detail: t ? shapeText(t) : undefined, name };
        }),
        { title: `ParamScope: tied twins of ${findTensor(index, node.name)?.path || node.name}`, placeHolder: 'parameter to go to' },
      );
      if (!picked) return;
      twin = picked.name;
    }
    await treeView.reveal(tree.nodes.param(node.uri, twin, ownerModule(index, twin)), { select: true, focus: true, expand: false });
  };

  return [
    modelCommand(CommandIds.showInitReport, 'ParamScope: Show Init Report', (uri) => initReports.show(uri)),
    modelCommand(CommandIds.showTiedParameters, 'ParamScope: Show Tied Parameters', (uri) => ties.show(uri)),
    vscode.commands.registerCommand(CommandIds.revealTiedTwin, revealTwin),
  ];
}
