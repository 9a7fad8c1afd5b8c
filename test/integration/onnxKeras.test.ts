// ONNX and Keras files beside the Python code that loads them: the registry lists them and reads
// them in a worker, and hovers follow the code's own loads: `model.layers[0].kernel` after
// `keras.models.load_model(…)`, and an initializer's name in code that did `onnx.load(…)`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import { markdownCode as codeSpan } from '../../src/core/displayText';
import { activateParamScope, hoverAt, repoRoot, until, workspaceFile } from './helpers';

const DIR = 'exported-models';
const FILES: Array<[string, string, string]> = [
  ['onnx', 'mlp.onnx', 'onnx'],
  ['keras', 'sequential.keras', 'keras'],
  ['keras', 'keras2_model.h5', 'keras'],
];
const CODE = `import keras, onnx
from onnx import numpy_helper

model = keras.models.load_model('${DIR}/sequential.keras')
k = model.layers[0].kernel

proto = onnx.load('${DIR}/mlp.onnx')
w = [numpy_helper.to_array(t) for t in proto.graph.initializer if t.name == 'fc1.weight'][0]
`;

let api: ParamScopeApi;
let doc: vscode.TextDocument;

suite('ONNX and Keras', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
    fs.mkdirSync(workspaceFile(DIR).fsPath, { recursive: true });
    for (const [from, f] of FILES) fs.copyFileSync(path.join(repoRoot, 'test', 'fixtures', from, f), workspaceFile(`${DIR}/${f}`).fsPath);
    const uri = workspaceFile('load_exports.py');
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
    await until('the exported models unlisted', async () => ((await api.registry.list()).some((e) => e.uri.fsPath.includes(DIR)) ? undefined : true));
  });

  test('the registry lists .onnx, .keras and Keras .h5 files and reads them in a worker', async () => {
    for (const [, f, format] of FILES) {
      const entry = await until(`${f} listed`, async () => (await api.registry.list()).find((e) => e.uri.fsPath === workspaceFile(`${DIR}/${f}`).fsPath));
      const index = (await api.registry.load(entry.uri)).index!;
      assert.equal(index.format, format, f);
      assert.ok(index.tensors.length > 0, f);
    }
    const keras = (await api.registry.load(workspaceFile(`${DIR}/sequential.keras`))).index!;
    assert.equal(keras.moduleTreeSource, 'config');
    assert.ok(keras.tensors.find((t) => t.name === 'conv2d/kernel')?.fans, 'the Conv2D kernel has no Keras fans');
  });

  test('hovering model.layers[0].kernel after keras.models.load_model previews the Conv2D kernel', async () => {
    const text = await until('statistics in the hover', async () => {
      const t = await hoverAt(doc, 'model.layers[0].kernel', 'model.layers[0].ker'.length);
      return /min `/.test(t) ? t : undefined;
    });
    assert.ok(text.includes(codeSpan('sequential.layers[0].kernel')), text);
    assert.ok(text.includes(`shape ${codeSpan('[3, 3, 3, 4]')}`), text);
  });

  test("hovering 'fc1.weight' in code that did onnx.load previews that initializer", async () => {
    const text = await until('statistics in the hover', async () => {
      const t = await hoverAt(doc, "'fc1.weight'", 5);
      return /min `/.test(t) ? t : undefined;
    });
    assert.ok(text.includes(`name ${codeSpan('fc1.weight')}`), text);
    assert.ok(text.includes('mlp.onnx'), text);
  });
});
