import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadBindings, loadBindingsAt, type LoadBinding } from '../model/pythonLoads';
import type { ModelEntry } from './modelRegistry';
import { notebookOfCell } from './variableBindings';

/**
 * The text a hover's code runs after, and the cursor's offset in it: a notebook's cells share one
 * kernel, so the cells above the current one (in order) come first. `version` names this text.
 */
function codeBefore(document: vscode.TextDocument, position: vscode.Position): { text: string; offset: number; folder: string | undefined; version: string } {
  const own = { text: document.getText(), offset: document.offsetAt(position) };
  const fileFolder = (uri: vscode.Uri): string | undefined => (uri.scheme === 'file' ? path.dirname(uri.fsPath) : undefined);
  const notebook = document.uri.scheme === 'vscode-notebook-cell' ? notebookOfCell(document.uri) : undefined;
  if (!notebook) return { ...own, folder: document.uri.scheme === 'vscode-notebook-cell' ? undefined : fileFolder(document.uri), version: `${document.uri.toString()}@${document.version}` };
  const above: string[] = [];
  const versions: number[] = [];
  for (const c of notebook.getCells()) {
    if (c.document.uri.toString() === document.uri.toString()) break;
    if (c.kind !== vscode.NotebookCellKind.Code) continue;
    above.push(`${c.document.getText()}\n`);
    versions.push(c.document.version);
  }
  const prefix = above.join('');
  return { text: prefix + own.text, offset: prefix.length + own.offset, folder: fileFolder(notebook.uri), version: `${notebook.uri.toString()}@${versions.join(',')}|${document.uri.toString()}@${document.version}` };
}

/** Loads found per text version: a hover moves the cursor, the code has not changed. */
const MAX_CACHED_TEXTS = 32;
const loadsCache = new Map<string, LoadBinding[]>();

function loadsOf(version: string, text: string): LoadBinding[] {
  let loads = loadsCache.get(version);
  if (!loads) {
    loads = loadBindings(text);
    loadsCache.set(version, loads);
    if (loadsCache.size > MAX_CACHED_TEXTS) loadsCache.delete(loadsCache.keys().next().value!);
  }
  return loads;
}

/**
 * Variables the code itself loaded from a model file of the workspace (`sd = torch.load('ckpt/a.pt')`
 * above the cursor), as variable → model URI string. A relative path is tried against the file's
 * folder (where a notebook's kernel starts) and then each workspace folder (where a script run from
 * VS Code starts); a path that names no listed model binds nothing.
 */
export function codeBindings(document: vscode.TextDocument, position: vscode.Position, models: readonly ModelEntry[]): Map<string, string> {
  const { text, offset, folder, version } = codeBefore(document, position);
  const loads = loadBindingsAt(loadsOf(version, text), offset);
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
