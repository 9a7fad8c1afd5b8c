import * as vscode from 'vscode';
import type { ModelRegistry } from '../views/modelRegistry';
import type { ParameterPanels } from '../views/parameterPanel';
import { findModule, findTensor, formatCount, shapeText, type TreeNode } from '../views/treeNodes';
import { CommandIds } from './commandIds';

/** A parameter reference from the tree, a test, or another command. */
export type ParameterArg = TreeNode | { uri: string | vscode.Uri; name: string };

function parseArg(arg: ParameterArg): { uri: vscode.Uri; name: string } | undefined {
  if ('kind' in arg) return arg.kind === 'param' ? { uri: vscode.Uri.parse(arg.uri), name: arg.name } : undefined;
  return { uri: typeof arg.uri === 'string' ? vscode.Uri.parse(arg.uri) : arg.uri, name: arg.name };
}

/** Lets a person pick a parameter across all models when a command was run from the palette. */
async function pickParameter(registry: ModelRegistry): Promise<{ uri: vscode.Uri; name: string } | undefined> {
  const entries = await registry.list();
  const loaded = await Promise.all(entries.map((e) => registry.load(e.uri)));
  type Item = vscode.QuickPickItem & { uri: vscode.Uri; name: string };
  const items: Item[] = loaded.flatMap((e) =>
    (e.index?.tensors ?? []).map((t) => ({
      label: t.name,
      description: `${shapeText(t)} · ${formatCount(t.count)}`,
      detail: `${t.path} — ${vscode.workspace.asRelativePath(e.uri)}`,
      uri: e.uri,
      name: t.name,
    })),
  );
  if (items.length === 0) {
    void vscode.window.showInformationMessage('ParamScope: no model files with parameters were found in this workspace.');
    return undefined;
  }
  return vscode.window.showQuickPick(items, { title: 'ParamScope: Show Parameter', matchOnDescription: true, matchOnDetail: true, placeHolder: 'parameter name or access path' });
}

export function registerParameterCommands(registry: ModelRegistry, panels: ParameterPanels): vscode.Disposable[] {
  const resolve = async (arg?: ParameterArg): Promise<{ uri: vscode.Uri; name: string } | undefined> => (arg ? parseArg(arg) : pickParameter(registry));

  const copy = async (arg: ParameterArg | undefined, what: 'path' | 'key'): Promise<void> => {
    if (arg && 'kind' in arg && arg.kind === 'module') {
      const index = registry.get(vscode.Uri.parse(arg.uri))?.index;
      const m = index && findModule(index, arg.qualifiedName);
      if (m) await vscode.env.clipboard.writeText(what === 'path' ? m.path : m.qualifiedName);
      return;
    }
    const target = await resolve(arg);
    if (!target) return;
    const index = (await registry.load(target.uri)).index;
    const t = index && findTensor(index, target.name);
    if (!t) return;
    await vscode.env.clipboard.writeText(what === 'path' ? t.path || t.name : t.name);
    vscode.window.setStatusBarMessage(`Copied ${what === 'path' ? t.path : t.name}`, 3000);
  };

  return [
    vscode.commands.registerCommand(CommandIds.showParameter, async (arg?: ParameterArg) => {
      const target = await resolve(arg);
      if (!target) return;
      try {
        await panels.show(target.uri, target.name);
      } catch (e) {
        void vscode.window.showErrorMessage(`ParamScope: ${(e as Error).message}`);
      }
    }),
    vscode.commands.registerCommand(CommandIds.copyAccessPath, (arg?: ParameterArg) => copy(arg, 'path')),
    vscode.commands.registerCommand(CommandIds.copyStateDictKey, (arg?: ParameterArg) => copy(arg, 'key')),
  ];
}
