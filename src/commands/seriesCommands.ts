import * as vscode from 'vscode';
import type { ModelRegistry } from '../views/modelRegistry';
import type { SeriesPanels } from '../views/seriesPanel';
import { runFolders } from '../views/runFolders';
import type { TreeNode } from '../views/treeNodes';
import { CommandIds } from './commandIds';

/** A folder as the workspace names it: its relative path, or a workspace folder's own name. */
function folderLabel(uri: vscode.Uri): string {
  const root = vscode.workspace.getWorkspaceFolder(uri);
  return root && root.uri.toString() === uri.toString() ? root.name : vscode.workspace.asRelativePath(uri, false);
}

/** A folder from the Explorer (a URI), a Models view folder row, or a test. */
type FolderArg = vscode.Uri | TreeNode | { uri: string | vscode.Uri };

function folderOf(arg: FolderArg): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if ('kind' in arg && arg.kind !== 'folder') return undefined;
  return typeof arg.uri === 'string' ? vscode.Uri.parse(arg.uri) : arg.uri;
}

/** Show Training Run…: a folder of checkpoints as a timeline (issue 16). */
export function registerSeriesCommands(registry: ModelRegistry, series: SeriesPanels): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(CommandIds.showTrainingRun, async (arg?: FolderArg) => {
      let folder = arg ? folderOf(arg) : undefined;
      if (!folder) {
        const folders = await runFolders(registry);
        if (folders.length === 0) {
          void vscode.window.showInformationMessage(vscode.l10n.t('ParamScope: no folder of this workspace holds two or more checkpoints.'));
          return;
        }
        const items = folders.map((f) => ({ label: folderLabel(f.uri), description: vscode.l10n.t('{0} checkpoints', f.count), uri: f.uri }));
        const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('ParamScope: Show Training Run'), placeHolder: vscode.l10n.t('folder of checkpoints'), ignoreFocusOut: true });
        if (!picked) return;
        folder = picked.uri;
      }
      series.show(folder);
    }),
  ];
}
