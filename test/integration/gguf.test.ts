// A GGUF file beside Python code that reads it with llama.cpp's gguf-py: the registry lists it, and
// hovering a llama.cpp tensor name in the code previews that tensor (storage, Hugging Face name,
// statistics of the dequantized values) from the file the code opened.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import { markdownCode as codeSpan } from '../../src/core/displayText';
import { activateParamScope, hoverAt, repoRoot, until, workspaceFile } from './helpers';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'gguf', 'tiny-llama.gguf');
const REL = 'gguf-models/tiny-llama.gguf';
const CODE = `from gguf import GGUFReader

reader = GGUFReader('${REL}')
q = [t for t in reader.tensors if t.name == 'blk.0.attn_q.weight'][0]
`;

let api: ParamScopeApi;
let doc: vscode.TextDocument;

suite('GGUF', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
    fs.mkdirSync(path.dirname(workspaceFile(REL).fsPath), { recursive: true });
    fs.copyFileSync(FIXTURE, workspaceFile(REL).fsPath);
    const uri = workspaceFile('read_gguf.py');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(CODE));
    doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== 'python') doc = await vscode.languages.setTextDocumentLanguage(doc, 'python');
    await vscode.window.showTextDocument(doc);
    // This suite is about GGUF, not the file watcher (the refresh suites test that): a new folder's
    // create event can come late on a busy machine (as in hostileNames), so list again now.
    api.registry.refresh();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(doc.uri);
    fs.rmSync(path.dirname(workspaceFile(REL).fsPath), { recursive: true, force: true });
    api.registry.refresh();
    // Later suites see the workspace as it was.
    await until('the GGUF file unlisted', async () => ((await api.registry.list()).some((e) => e.uri.fsPath === workspaceFile(REL).fsPath) ? undefined : true));
  });

  test('the registry lists a .gguf file and reads it in a worker', async () => {
    const entry = await until('tiny-llama.gguf listed', async () => (await api.registry.list()).find((e) => e.uri.fsPath === workspaceFile(REL).fsPath));
    const index = (await api.registry.load(entry.uri)).index!;
    assert.equal(index.format, 'gguf');
    assert.equal(index.container?.architecture, 'llama');
    assert.equal(index.tensors.find((t) => t.name === 'blk.0.attn_q.weight')?.dtype, 'Q8_0');
  });

  test("hovering 'blk.0.attn_q.weight' in code that opened the file with GGUFReader previews that tensor", async () => {
    const text = await until('statistics in the hover', async () => {
      const t = await hoverAt(doc, "'blk.0.attn_q.weight'", 5);
      return /min `/.test(t) ? t : undefined;
    });
    assert.ok(text.includes(`name ${codeSpan('blk.0.attn_q.weight')}`), text);
    assert.ok(text.includes(codeSpan('Q8_0')), text);
    assert.ok(text.includes('8.5 bits per weight · 128 blocks of 32 · 4,352 bytes'), text);
    assert.ok(text.includes(`Hugging Face name ${codeSpan('model.layers.0.self_attn.q_proj.weight')}`), text);
    assert.ok(text.includes(codeSpan(REL)) || text.includes('tiny-llama.gguf'), text);
  });
});
