// A model whose tensor and class names try to become links, images or HTML in the Models view's
// tooltips, checked on the MarkdownStrings the real extension host builds, parsed by marked (the
// renderer VS Code uses).
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import type { TreeNode } from '../../src/views/treeNodes';
import { markdownTokens as tokens } from '../markdownTokens';
import { safetensorsBytes } from '../unit/builders';
import { activateParamScope, fileRows, until, workspaceFile } from './helpers';

const EVIL = ['w\r\r[Open](command:paramscope.bindVariable?%5B%7B%7D%5D)', 'v\n\n![x](https://evil.example/x.png)', 'u```\n[a](command:x)'];

let api: ParamScopeApi;
const file = workspaceFile('hostile/evil.safetensors');

async function fileNode(): Promise<TreeNode | undefined> {
  return (await fileRows(api)).get('hostile/evil.safetensors');
}

suite('hostile names stay text', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
    await vscode.workspace.fs.writeFile(file, safetensorsBytes(Object.fromEntries(EVIL.map((n, i) => [n, { dtype: 'F32', shape: [1], data_offsets: [4 * i, 4 * i + 4] }])), new Uint8Array(4 * EVIL.length)));
    // This suite is about tooltips, not the file watcher (the refresh suites test that): on a busy
    // machine the new folder's create event once came after the 20 s wait, so list again now.
    api.registry.refresh();
  });
  suiteTeardown(async () => {
    // The folder, as a person deletes it in the Explorer: its models leave the view.
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(file, '..'), { recursive: true });
    // Let the registry see the deletion before the next suite walks the tree.
    await until('hostile/evil.safetensors gone from the Models view', async () => ((await fileNode()) === undefined ? true : undefined));
  });

  test('the Models view’s tooltips show each name in code, with no link, image or HTML', async () => {
    const node = await until('hostile/evil.safetensors in the Models view', fileNode);
    // Every row under the file: the dots in the names make modules of their first parts.
    const rows: TreeNode[] = [];
    const walk = async (n: TreeNode): Promise<void> => {
      for (const k of await api.tree.getChildren(n)) {
        rows.push(k);
        await walk(k);
      }
    };
    await walk(node);
    const tooltips = await Promise.all(rows.map(async (r) => ((await api.tree.getTreeItem(r)).tooltip as vscode.MarkdownString | undefined)?.value ?? ''));
    assert.equal(tooltips.filter((t) => t.includes('state_dict key')).length, EVIL.length, tooltips.join('\n---\n'));
    for (const md of tooltips) {
      const ts = tokens(md);
      assert.deepEqual(
        ts.filter((t) => ['link', 'image', 'html'].includes(t.type)).map((t) => t.raw),
        [],
        md,
      );
      // The names show in code (a span for the key, a block for the access path), escaped to one line.
      if (md.includes('state_dict key')) assert.ok(ts.some((t) => t.type === 'codespan' && /\\x0[ad]|```/.test((t as { text: string }).text)), md);
    }
  });
});
