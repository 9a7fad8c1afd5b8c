import * as vscode from 'vscode';
import { isPythonIdentifier, rootNameForFile } from '../core/accessPath';
import { expressionsAt, type ExprStep } from '../model/pythonExpression';
import { resolveSteps } from '../model/resolveExpression';
import type { ModelRegistry } from '../views/modelRegistry';
import { formatCount } from '../views/treeNodes';
import type { VariableBindings } from '../views/variableBindings';
import { CommandIds } from './commandIds';

/**
 * Arguments from hover links and other commands; what is missing is asked for. There is no model
 * argument: a hover's link carries names read from a file, so the model is always the person's
 * pick in the quick pick (tests bind through the extension's API).
 */
export interface BindVariableArgs {
  document?: string | vscode.Uri;
  variable?: string;
}

const toUri = (u: string | vscode.Uri): vscode.Uri => (typeof u === 'string' ? vscode.Uri.parse(u) : u);

/** The variable meant at the cursor: the selection, the root of the expression there, or the word. */
function variableAtCursor(editor: vscode.TextEditor | undefined, document: vscode.Uri): { variable?: string; steps?: ExprStep[] } {
  if (!editor || editor.document.uri.toString() !== document.toString()) return {};
  const doc = editor.document;
  const selected = doc.getText(editor.selection).trim();
  if (selected && isPythonIdentifier(selected)) return { variable: selected };
  const offset = doc.offsetAt(editor.selection.active);
  const chain = expressionsAt(doc.getText(), offset).find((e) => e.kind === 'chain');
  if (chain?.kind === 'chain') return { variable: chain.root, steps: chain.steps };
  const word = doc.getWordRangeAtPosition(editor.selection.active, /[A-Za-z_][A-Za-z0-9_]*/);
  const text = word && doc.getText(word);
  return text && isPythonIdentifier(text) ? { variable: text } : {};
}

type ModelItem = vscode.QuickPickItem & { uri?: vscode.Uri; remove?: boolean };

/** Models named like the variable, or in which the expression at the cursor resolves, come first. */
async function pickBindingModel(registry: ModelRegistry, variable: string, steps: ExprStep[] | undefined, current: vscode.Uri | undefined): Promise<ModelItem | undefined> {
  const entries = (await registry.list()).filter((e) => !e.error);
  const fits = (e: (typeof entries)[number]): boolean => rootNameForFile(e.uri.fsPath) === variable || !!(steps && e.index && resolveSteps(e.index, steps));
  const item = (e: (typeof entries)[number]): ModelItem => ({
    label: vscode.workspace.asRelativePath(e.uri, false),
    description: [e.index ? vscode.l10n.t('{0} params · {1}', formatCount(e.index.totalParameters), e.index.format) : '', e.uri.toString() === current?.toString() ? vscode.l10n.t('(current binding)') : ''].filter(Boolean).join(' '),
    uri: e.uri,
  });
  const fitting = entries.filter(fits);
  const others = entries.filter((e) => !fits(e));
  const items: ModelItem[] = [];
  if (current) items.push({ label: `$(close) ${vscode.l10n.t('Remove the binding of {0}', variable)}`, remove: true });
  if (fitting.length > 0) items.push({ label: vscode.l10n.t('fits {0}', variable), kind: vscode.QuickPickItemKind.Separator }, ...fitting.map(item));
  if (others.length > 0) items.push({ label: vscode.l10n.t('other models'), kind: vscode.QuickPickItemKind.Separator }, ...others.map(item));
  if (items.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('ParamScope: no model files were found in this workspace.'));
    return undefined;
  }
  return vscode.window.showQuickPick(items, { title: vscode.l10n.t('ParamScope: Bind {0} to a Model', variable), placeHolder: vscode.l10n.t('model file'), matchOnDescription: true });
}

/** "Bind Variable to Model…": tells hovers which model file a variable of this file (or notebook) holds. */
async function bindVariable(registry: ModelRegistry, bindings: VariableBindings, args: BindVariableArgs = {}): Promise<boolean> {
  const editor = vscode.window.activeTextEditor;
  const document = args.document ? toUri(args.document) : editor?.document.uri;
  if (!document) {
    void vscode.window.showInformationMessage(vscode.l10n.t('ParamScope: open a Python file or notebook to bind a variable in it.'));
    return false;
  }
  const atCursor = args.variable ? {} : variableAtCursor(editor, document);
  const variable =
    args.variable ??
    atCursor.variable ??
    (await vscode.window.showInputBox({
      title: vscode.l10n.t('ParamScope: Bind Variable to Model'),
      prompt: vscode.l10n.t('The Python variable that holds a model, as written in the code'),
      validateInput: (v) => (isPythonIdentifier(v.trim()) ? undefined : vscode.l10n.t('Not a Python variable name')),
    }))?.trim();
  if (!variable) return false;
  if (!isPythonIdentifier(variable)) {
    void vscode.window.showErrorMessage(vscode.l10n.t('ParamScope: {0} is not a Python variable name.', variable));
    return false;
  }
  const current = bindings.get(document, variable);
  const picked = await pickBindingModel(registry, variable, atCursor.steps, current);
  if (!picked) return false;
  const model = picked.remove ? undefined : picked.uri;
  await bindings.set(document, variable, model);
  vscode.window.setStatusBarMessage(
    model ? vscode.l10n.t('ParamScope: {0} is bound to {1}', variable, vscode.workspace.asRelativePath(model, false)) : vscode.l10n.t('ParamScope: {0} is no longer bound', variable),
    4000,
  );
  return true;
}

export function registerBindCommands(registry: ModelRegistry, bindings: VariableBindings): vscode.Disposable[] {
  // The editor's context menu passes the document's URI; hover links and tests pass BindVariableArgs.
  return [vscode.commands.registerCommand(CommandIds.bindVariable, (args?: BindVariableArgs | vscode.Uri) => bindVariable(registry, bindings, args instanceof vscode.Uri ? { document: args } : { document: args?.document, variable: args?.variable }))];
}
