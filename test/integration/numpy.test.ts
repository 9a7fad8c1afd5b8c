// NumPy files beside Python code that loads them: the registry lists an .npz and an .npy and reads
// them in a worker, and hovering `data['x']` in code that did `data = np.load('….npz')` previews
// that array (values as np.load gives them) from the file the code opened.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import { markdownCode as codeSpan } from '../../src/core/displayText';
import { activateParamScope, hoverAt, repoRoot, until, workspaceFile } from './helpers';

const DIR = 'numpy-arrays';
const FILES = ['mydict.npz', 'compressed.npz', 'x-files.npy'];
const CODE = `import numpy as np

data = np.load('${DIR}/mydict.npz')
print(data['x'], data['y'])
z = np.load('${DIR}/compressed.npz')
grid = z['grid']
`;

let api: ParamScopeApi;
let doc: vscode.TextDocument;

suite('NumPy', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
    fs.mkdirSync(workspaceFile(DIR).fsPath, { recursive: true });
    for (const f of FILES) fs.copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'numpy', f), workspaceFile(`${DIR}/${f}`).fsPath);
    const uri = workspaceFile('load_arrays.py');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(CODE));
    doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== 'python') doc = await vscode.languages.setTextDocumentLanguage(doc, 'python');
    await vscode.window.showTextDocument(doc);
    api.registry.refresh();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(doc.uri);
    fs.rmSync(workspaceFile(DIR).fsPath, { recursive: true, force: true });
    api.registry.refresh();
    await until('the NumPy files unlisted', async () => ((await api.registry.list()).some((e) => e.uri.fsPath.includes(DIR)) ? undefined : true));
  });

  test('the registry lists .npz and .npy files and reads them in a worker', async () => {
    for (const f of FILES) {
      const entry = await until(`${f} listed`, async () => (await api.registry.list()).find((e) => e.uri.fsPath === workspaceFile(`${DIR}/${f}`).fsPath));
      const index = (await api.registry.load(entry.uri)).index!;
      assert.equal(index.format, f.endsWith('.npz') ? 'npz' : 'npy', f);
      assert.deepEqual(index.warnings, [], f);
    }
    const compressed = (await api.registry.load(workspaceFile(`${DIR}/compressed.npz`))).index!;
    assert.equal(compressed.tensors.find((t) => t.name === 'grid')?.location.encoding?.kind, 'deflate');
  });

  test("hovering data['x'] in code that loaded the .npz with np.load previews that array", async () => {
    const text = await until('values in the hover', async () => {
      const t = await hoverAt(doc, "data['x']", 6);
      return /min `/.test(t) ? t : undefined;
    });
    // Named by the file's own access path (np.load's key), with NumPy's int64 and its values' statistics.
    assert.ok(text.includes(codeSpan("mydict['x']")), text);
    assert.ok(text.includes(`name ${codeSpan('x')} · ${codeSpan('int64')} · shape ${codeSpan('[4]')}`), text);
    assert.ok(text.includes('min `0` · max `3` · mean `1.5`'), text);
    assert.ok(text.includes('mydict.npz'), text);
  });

  test("a deflated member's statistics come from the worker pool", async () => {
    const text = await until('statistics of the deflated grid', async () => {
      const t = await hoverAt(doc, "z['grid']", 4);
      return /min `/.test(t) ? t : undefined;
    });
    assert.ok(text.includes(codeSpan('float32')), text);
    assert.ok(text.includes(`shape ${codeSpan('[512, 640]')}`), text);
  });
});
