import * as vscode from 'vscode';
import type { ModelRegistry } from '../views/modelRegistry';
import { seriesTarget, type SeriesPanels, type SeriesTarget } from '../views/seriesPanel';
import { runFolders } from '../views/runFolders';
import type { TreeNode } from '../views/treeNodes';
import { CommandIds } from './commandIds';

/** A folder as the workspace names it: its relative path, or a workspace folder's own name. */
function folderLabel(uri: vscode.Uri): string {
  const root = vscode.workspace.getWorkspaceFolder(uri);
  return root && root.uri.toString() === uri.toString() ? root.name : vscode.workspace.asRelativePath(uri, false);
}

/** A folder or file from the Explorer (a URI), a Models view row, or a test. */
type RunArg = vscode.Uri | TreeNode | { uri: string | vscode.Uri };

const uriOf = (arg: RunArg): vscode.Uri => (arg instanceof vscode.Uri ? arg : typeof arg.uri === 'string' ? vscode.Uri.parse(arg.uri) : arg.uri);

/**
 * What the command was given: the Explorer and the Models view pass the row clicked and, when
 * several are selected, all of them. Two or more files (or several rows) are a selection; one
 * folder is the folder's run; a lone file is the run of the folder holding it.
 */
async function targetOf(arg: RunArg, selected: readonly RunArg[] | undefined): Promise<SeriesTarget | undefined> {
  const all = selected && selected.length > 1 ? selected : [arg];
  if (all.some((a) => !(a instanceof vscode.Uri) && 'kind' in a && a.kind !== 'folder' && a.kind !== 'file' && a.kind !== 'run')) return undefined;
  const uris = all.map(uriOf);
  if (uris.length > 1) return seriesTarget(uris);
  const kind = 'kind' in arg && !(arg instanceof vscode.Uri) ? arg.kind : await vscode.workspace.fs.stat(uris[0]!).then((s) => ((s.type & vscode.FileType.Directory) !== 0 ? 'folder' : 'file'), () => 'folder');
  return { folder: kind === 'file' ? vscode.Uri.joinPath(uris[0]!, '..') : uris[0]! };
}

/** Lets a person tick two or more of the workspace's model files (the palette's "Choose checkpoints…"). */
async function pickFiles(registry: ModelRegistry): Promise<vscode.Uri[] | undefined> {
  const entries = (await registry.list()).filter((e) => !e.error);
  const items = entries.map((e) => ({ label: vscode.workspace.asRelativePath(e.uri, false), uri: e.uri }));
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('ParamScope: Show Training Run'), placeHolder: vscode.l10n.t('tick two or more checkpoints of one model'), canPickMany: true, matchOnDescription: true, ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.length < 2) {
    void vscode.window.showInformationMessage(vscode.l10n.t('ParamScope: a training run needs two or more checkpoints.'));
    return undefined;
  }
  return picked.map((p) => p.uri);
}

/** Show Training Run…: a folder of checkpoints, or chosen checkpoint files, as a timeline (issue 16). */
export function registerSeriesCommands(registry: ModelRegistry, series: SeriesPanels): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(CommandIds.showTrainingRun, async (arg?: RunArg, selected?: readonly RunArg[]) => {
      let target = arg ? await targetOf(arg, Array.isArray(selected) ? selected : undefined) : undefined;
      if (!target) {
        const folders = await runFolders(registry);
        type Item = vscode.QuickPickItem & { uri?: vscode.Uri };
        const items: Item[] = folders.map((f) => ({ label: folderLabel(f.uri), description: vscode.l10n.t('{0} checkpoints', f.count), uri: f.uri }));
        items.push({ label: vscode.l10n.t('Choose checkpoints…'), description: vscode.l10n.t('tick the files of a run') });
        const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('ParamScope: Show Training Run'), placeHolder: folders.length ? vscode.l10n.t('folder of checkpoints') : vscode.l10n.t('no folder of this workspace holds two or more checkpoints'), ignoreFocusOut: true });
        if (!picked) return;
        if (picked.uri) target = { folder: picked.uri };
        else {
          const files = await pickFiles(registry);
          if (!files) return;
          target = seriesTarget(files);
        }
      }
      series.show(target);
    }),
  ];
}
