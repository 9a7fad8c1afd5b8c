import * as vscode from 'vscode';
import type { ModelRegistry } from '../views/modelRegistry';
import type { ModelTreeProvider } from '../views/modelTreeProvider';
import { findModule, findTensor, ownerModule, type TreeNode } from '../views/treeNodes';
import { CommandIds } from './commandIds';

/** A parameter (`name`, a state_dict key) or module (`module`, a qualified name) of a model file. */
export interface RevealArg {
  uri: string | vscode.Uri;
  name?: string;
  module?: string;
}

/** "Reveal in tree" of the hover: selects a parameter or module in the Models view. */
/**
 * `reveal` fails while the view re-renders after a re-scan (a file changed or appeared): with "Data
 * tree node not found", or with "Element with id … is already registered" when VS Code's fetch of
 * a folder's children overlaps the refresh's own (seen in CI). The nodes are there a moment later,
 * so try again for up to two seconds.
 */
async function revealRendered(treeView: vscode.TreeView<TreeNode>, node: TreeNode): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await treeView.reveal(node, { select: true, focus: true, expand: false });
    } catch (e) {
      if (attempt >= 10 || !/not found|already registered/i.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export function registerRevealCommands(registry: ModelRegistry, tree: ModelTreeProvider, treeView: vscode.TreeView<TreeNode>): vscode.Disposable[] {
  const reveal = async (arg?: RevealArg): Promise<boolean> => {
    if (!arg?.uri) return false;
    const uri = typeof arg.uri === 'string' ? vscode.Uri.parse(arg.uri) : arg.uri;
    const where = vscode.workspace.asRelativePath(uri, false);
    // The tree lists the workspace's files only; a model opened from elsewhere has no row.
    if (!registry.get(uri)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('ParamScope: {0} is not in the Models view (it lists this workspace’s model files).', where));
      return false;
    }
    const index = (await registry.load(uri)).index;
    const key = uri.toString();
    let node: TreeNode | undefined;
    if (index && arg.name !== undefined) node = findTensor(index, arg.name) && tree.nodes.param(key, arg.name, ownerModule(index, arg.name));
    else if (index && arg.module) node = findModule(index, arg.module) && tree.nodes.module(key, arg.module);
    else if (index) node = tree.nodes.file(key);
    if (!node) {
      void vscode.window.showInformationMessage(vscode.l10n.t('ParamScope: {0} has no {1} any more.', where, arg.name ?? arg.module ?? ''));
      return false;
    }
    await revealRendered(treeView, node);
    return true;
  };
  return [vscode.commands.registerCommand(CommandIds.revealParameter, reveal)];
}
