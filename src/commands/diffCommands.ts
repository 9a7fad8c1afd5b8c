import * as vscode from 'vscode';
import type { DiffPanels } from '../views/diffPanel';
import type { ModelRegistry } from '../views/modelRegistry';
import { CommandIds } from './commandIds';
import { pickModel, uriOf, type ModelArg } from './modelPick';

const fileNameOf = (uri: vscode.Uri): string => uri.path.split('/').pop() ?? uri.path;

/**
 * The two files to compare: both given (a test, another command, two rows selected in the tree),
 * the first given (a row's context menu) and the second picked, or both picked from the palette.
 */
async function resolvePair(registry: ModelRegistry, first?: ModelArg, second?: ModelArg | ModelArg[]): Promise<[vscode.Uri, vscode.Uri] | undefined> {
  // A tree with several rows selected passes the clicked row and the whole selection.
  if (Array.isArray(second) && second.length === 2) return [uriOf(second[0]!), uriOf(second[1]!)];
  const title = vscode.l10n.t('ParamScope: Compare Two Models');
  const a = first ? uriOf(first) : await pickModel(registry, title, { placeHolder: vscode.l10n.t('first model (before)') });
  if (!a) return undefined;
  const b = second && !Array.isArray(second) ? uriOf(second) : await pickModel(registry, title, { exclude: a, placeHolder: vscode.l10n.t('second model (after), compared with {0}', fileNameOf(a)) });
  return b && [a, b];
}

/** Compare Two Models: the diff panel of a pair of files. */
export function registerDiffCommands(registry: ModelRegistry, diffs: DiffPanels): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(CommandIds.compareModels, async (first?: ModelArg, second?: ModelArg | ModelArg[]) => {
      const pair = await resolvePair(registry, first, second);
      if (!pair) return;
      for (const entry of await Promise.all(pair.map((u) => registry.load(u)))) {
        if (!entry.index) {
          void vscode.window.showErrorMessage(vscode.l10n.t('ParamScope: {0}', entry.error ?? vscode.l10n.t('cannot read {0}', entry.uri.fsPath)));
          return;
        }
      }
      diffs.show(pair[0], pair[1]);
    }),
  ];
}
