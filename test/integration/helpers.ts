// Shared by the integration suites: the extension's API, workspace files, tree walking, waiting.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import type { TreeNode } from '../../src/views/treeNodes';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
export const expected = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'expected.json'), 'utf8'));

export async function activateParamScope(): Promise<ParamScopeApi> {
  return vscode.extensions.getExtension<ParamScopeApi>(`${manifest.publisher}.${manifest.name}`)!.activate();
}

export function workspaceFile(rel: string): vscode.Uri {
  return vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, rel);
}

export async function label(api: ParamScopeApi, node: TreeNode): Promise<string> {
  const item = await api.tree.getTreeItem(node);
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

/**
 * The model file rows of the Models view by workspace-relative path (`broken/net.truncated.pt`):
 * files sit under rows of their folders, as in the Explorer.
 */
export async function fileRows(api: ParamScopeApi): Promise<Map<string, TreeNode>> {
  const out = new Map<string, TreeNode>();
  const walk = async (parent: TreeNode | undefined): Promise<void> => {
    for (const k of await api.tree.getChildren(parent)) {
      if (k.kind === 'folder') await walk(k);
      else if (k.kind === 'file') out.set(vscode.workspace.asRelativePath(vscode.Uri.parse(k.uri), false), k);
    }
  };
  await walk(undefined);
  return out;
}

/** The child of `parent` (the root when undefined) whose label is `wanted`. */
export async function child(api: ParamScopeApi, parent: TreeNode | undefined, wanted: string): Promise<TreeNode> {
  const kids = await api.tree.getChildren(parent);
  const labels = await Promise.all(kids.map((k) => label(api, k)));
  const i = labels.indexOf(wanted);
  assert.ok(i >= 0, `no child '${wanted}' among ${JSON.stringify(labels)}`);
  return kids[i]!;
}

export async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The text of the hovers at `shift` characters into the first `needle` of `document`. */
export async function hoverAt(document: vscode.TextDocument, needle: string, shift: number): Promise<string> {
  const i = document.getText().indexOf(needle);
  assert.ok(i >= 0, `${needle} not in the document`);
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, document.positionAt(i + shift));
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}
