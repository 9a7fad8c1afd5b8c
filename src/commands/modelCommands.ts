import * as vscode from 'vscode';
import { SUMMARY_EDITOR_VIEW_TYPE } from '../views/modelSummaryEditor';
import type { ModelTreeProvider } from '../views/modelTreeProvider';
import type { TreeNode } from '../views/treeNodes';
import { CommandIds } from './commandIds';

export function registerModelCommands(tree: ModelTreeProvider): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(CommandIds.openModel, async (arg?: vscode.Uri | TreeNode) => {
      let uri: vscode.Uri | undefined;
      if (arg instanceof vscode.Uri) uri = arg;
      else if (arg && 'kind' in arg) uri = vscode.Uri.parse(arg.uri);
      else {
        const picked = await vscode.window.showOpenDialog({
          title: vscode.l10n.t('ParamScope: Open Model'),
          canSelectMany: false,
          filters: { [vscode.l10n.t('Model files')]: ['pt', 'pth', 'bin', 'ckpt', 'safetensors', 'json'] },
        });
        uri = picked?.[0];
      }
      if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, SUMMARY_EDITOR_VIEW_TYPE);
    }),
    vscode.commands.registerCommand(CommandIds.refreshModels, () => tree.refresh()),
  ];
}
