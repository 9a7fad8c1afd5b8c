import * as vscode from 'vscode';
import { formatCount, type TreeNode } from '../views/treeNodes';
import { activeModel } from '../views/activePanelModel';
import type { ModelRegistry } from '../views/modelRegistry';

/** A model file from the tree, the Explorer, a test, or another command. */
export type ModelArg = TreeNode | vscode.Uri | { uri: string | vscode.Uri };

export function uriOf(arg: ModelArg): vscode.Uri {
  if (arg instanceof vscode.Uri) return arg;
  return typeof arg.uri === 'string' ? vscode.Uri.parse(arg.uri) : arg.uri;
}

export interface PickModelOptions {
  placeHolder?: string;
  /** A file not to offer (the one already picked, when picking the second of two). */
  exclude?: vscode.Uri;
}

/** Lets a person pick one of the workspace's model files (for commands run from the palette). */
export async function pickModel(registry: ModelRegistry, title: string, opts: PickModelOptions = {}): Promise<vscode.Uri | undefined> {
  const excluded = opts.exclude?.toString();
  const entries = (await registry.list()).filter((e) => !e.error && e.uri.toString() !== excluded);
  if (entries.length === 0) {
    void vscode.window.showInformationMessage(excluded ? vscode.l10n.t('ParamScope: no other model file was found in this workspace.') : vscode.l10n.t('ParamScope: no model files were found in this workspace.'));
    return undefined;
  }
  type Item = vscode.QuickPickItem & { uri: vscode.Uri };
  // The active model (the status bar's) leads, so Enter picks the model a person is looking at.
  const active = activeModel.uri?.toString();
  const ordered = [...entries.filter((e) => e.uri.toString() === active), ...entries.filter((e) => e.uri.toString() !== active)];
  const items: Item[] = ordered.map((e) => ({
    label: vscode.workspace.asRelativePath(e.uri, false),
    description: [e.index ? vscode.l10n.t('{0} params · {1}', formatCount(e.index.totalParameters), e.index.format) : '', e.uri.toString() === active ? vscode.l10n.t('(active)') : ''].filter(Boolean).join(' ') || undefined,
    uri: e.uri,
  }));
  // ignoreFocusOut: a webview beside (a panel finishing its render) can take focus back right after
  // the palette closes, which would dismiss the pick before a person sees it; Escape still closes it.
  return (await vscode.window.showQuickPick(items, { title, placeHolder: opts.placeHolder ?? vscode.l10n.t('model file'), matchOnDescription: true, ignoreFocusOut: true }))?.uri;
}
