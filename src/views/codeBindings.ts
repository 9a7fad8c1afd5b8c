import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadBindingsAt } from '../model/pythonLoads';
import type { ModelEntry } from './modelRegistry';

/**
 * The text a hover's code runs after, and the cursor's offset in it: a notebook's cells share one
 * kernel, so the cells above the current one (in order) come first.
 */
function codeBefore(document: vscode.TextDocument, position: vscode.Position): { text: string; offset: number; folder: string | undefined } {
  const own = { text: document.getText(), offset: document.offsetAt(position) };
  if (document.uri.scheme !== 'vscode-notebook-cell') return { ...own, folder: document.uri.scheme === 'file' ? path.dirname(document.uri.fsPath) : undefined };
  const cell = document.uri.toString();
  const notebook = vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document.uri.toString() === cell));
  if (!notebook) return { ...own, folder: undefined };
  const above: string[] = [];
  for (const c of notebook.getCells()) {
    if (c.document.uri.toString() === cell) break;
    if (c.kind === vscode.NotebookCellKind.Code) above.push(`${c.document.getText()}\n`);
  }
  const prefix = above.join('');
  return { text: prefix + own.text, offset: prefix.length + own.offset, folder: notebook.uri.scheme === 'file' ? path.dirname(notebook.uri.fsPath) : undefined };
}

/**
 * Variables the code itself loaded from a model file of the workspace (`sd = torch.load('ckpt/a.pt')`
 * above the cursor), as variable → model URI string. A relative path is tried against the file's
 * folder (where a notebook's kernel starts) and then each workspace folder (where a script run from
 * VS Code starts); a path that names no listed model binds nothing.
 */
export function codeBindings(document: vscode.TextDocument, position: vscode.Position, models: readonly ModelEntry[]): Map<string, string> {
  const { text, offset, folder } = codeBefore(document, position);
  const loads = loadBindingsAt(text, offset);
  const out = new Map<string, string>();
  if (loads.size === 0) return out;
  const byPath = new Map(models.map((m) => [path.resolve(m.uri.fsPath), m.uri.toString()]));
  const roots = [folder, ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)].filter((r): r is string => r !== undefined);
  for (const [variable, written] of loads) {
    const tries = path.isAbsolute(written) ? [written] : roots.map((r) => path.resolve(r, written));
    const found = tries.map((p) => byPath.get(path.resolve(p))).find((u) => u !== undefined);
    if (found) out.set(variable, found);
  }
  return out;
}
