// Hover previews of parameter expressions in a Python file (and a notebook cell) with the seed's
// code, answered from the workspace's torch-made models.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import { markdownCode as codeSpan } from '../../src/core/displayText';
import { formatStat } from '../../src/views/hoverFormat';
import { activateParamScope, expected, repoRoot, until, workspaceFile } from './helpers';

/**
 * The seed's code as the demo ships it (demo/workspace/parameters.py: the d2l chapter's models and
 * parameter accesses), plus two lines no model answers.
 */
const SEED = `${fs.readFileSync(path.join(repoRoot, 'demo', 'workspace', 'parameters.py'), 'utf8')}
mystery = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
print(mystery[2].bias, unknown_model.encoder.weight)
`;

interface ExpectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  path: string;
  stats: { min: number; max: number };
}

const tensorOf = (file: string, name: string): ExpectedTensor => expected.files[`models/${file}`].tensors.find((t: ExpectedTensor) => t.name === name);

let api: ParamScopeApi;
let doc: vscode.TextDocument;

/** Hover texts at the `nth` occurrence of `needle`, `shift` characters in. */
async function hoverText(document: vscode.TextDocument, needle: string, shift: number, nth = 0): Promise<string> {
  let i = -1;
  for (let k = 0; k <= nth; k++) i = document.getText().indexOf(needle, i + 1);
  assert.ok(i >= 0, `${needle} not in the document`);
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, document.positionAt(i + shift));
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

/** Hovers until statistics are in (the first hover starts them in the background). */
function hoverWithStats(document: vscode.TextDocument, needle: string, shift: number): Promise<string> {
  return until(`statistics in the hover at ${needle}`, async () => {
    const text = await hoverText(document, needle, shift);
    return /min `/.test(text) ? text : undefined;
  });
}

function assertTensorHover(text: string, t: ExpectedTensor, file: string): void {
  assert.ok(text.includes(codeSpan(t.path)), `access path ${t.path} missing:\n${text}`);
  assert.ok(text.includes(`name ${codeSpan(t.name)}`), `name ${t.name} missing:\n${text}`);
  assert.ok(text.includes(codeSpan(t.dtype)), `dtype missing:\n${text}`);
  assert.ok(text.includes(`shape ${codeSpan(`[${t.shape.join(', ')}]`)}`), `shape missing:\n${text}`);
  assert.ok(text.includes(`in ${codeSpan(file)}`), `file ${file} missing:\n${text}`);
  assert.ok(text.includes(`min ${codeSpan(formatStat(t.stats.min))}`), `min ${t.stats.min} missing:\n${text}`);
  assert.ok(text.includes(`max ${codeSpan(formatStat(t.stats.max))}`), `max ${t.stats.max} missing:\n${text}`);
  assert.match(text, /!\[[^\]]*\]\(data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+\)/, 'histogram image missing');
  assert.match(text, /\]\(command:paramscope\.showParameter\?/, 'Open panel link missing');
  assert.match(text, /\]\(command:paramscope\.revealParameter\?/, 'Reveal in tree link missing');
}

suite('parameter hovers', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
    // Read every model once, as the Models view does, so the hovers answer from the cache.
    for (const e of await api.registry.list()) await api.registry.load(e.uri);
    const uri = workspaceFile('parameter_hover.py');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(SEED));
    doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== 'python') doc = await vscode.languages.setTextDocumentLanguage(doc, 'python');
    await vscode.window.showTextDocument(doc);
  });

  suiteTeardown(async () => {
    await api.bindings.set(doc.uri, 'net', undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(doc.uri);
  });

  test('an unbound variable named like several different models asks for a binding, with no values', async () => {
    const text = await hoverText(doc, 'print(net[2].bias)', 'print(net[2].b'.length);
    // Every `net.*` file holds 2.bias; float16 and bfloat16 copies differ from the float32 ones.
    const n = Object.values(expected.files as Record<string, { rootName: string; tensors: ExpectedTensor[] }>).filter((f) => f.rootName === 'net' && f.tensors.some((t) => t.name === '2.bias')).length;
    assert.ok(text.includes(`${codeSpan('net')} matches ${n} models`), text);
    assert.match(text, /\]\(command:paramscope\.bindVariable\?/);
    assert.doesNotMatch(text, /min `|data:image/);
  });

  test('a bindVariable link cannot bind a model the person did not pick', async () => {
    // A hover link's arguments may come from a hostile file: a `model` in them is ignored, and the
    // command asks with its quick pick; dismissing it binds nothing.
    const run = vscode.commands.executeCommand('paramscope.bindVariable', { document: doc.uri.toString(), variable: 'net', model: workspaceFile('net.pt').toString() });
    let done = false;
    void Promise.resolve(run).finally(() => (done = true));
    for (let i = 0; i < 50 && !done; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    }
    assert.equal(await run, false);
    assert.equal(api.bindings.get(doc.uri, 'net'), undefined);
  });

  test('binding net to net.pt for this file', async () => {
    await api.bindings.set(doc.uri, 'net', workspaceFile('net.pt'));
    assert.equal(api.bindings.get(doc.uri, 'net')?.toString(), workspaceFile('net.pt').toString());
  });

  test('net[2].bias shows name, access path, dtype, shape and torch statistics from net.pt', async () => {
    const text = await hoverWithStats(doc, 'print(net[2].bias)', 'print(net[2].b'.length);
    assertTensorHover(text, tensorOf('net.pt', '2.bias'), 'net.pt');
    // The same tensor through its state_dict key, hovered on the key.
    const viaKey = await hoverWithStats(doc, "net.state_dict()['2.bias']", "net.state_dict()['2".length);
    assertTensorHover(viaKey, tensorOf('net.pt', '2.bias'), 'net.pt');
  });

  test('a module part of the chain shows the module', async () => {
    const text = await hoverText(doc, 'print(net[2].state_dict())', 'print(net['.length);
    assert.ok(text.includes(`${codeSpan('net[2]')} · ${codeSpan('Linear')}`), text);
    assert.ok(text.includes('9 parameters'), text);
  });

  test('.grad says files hold values, not gradients', async () => {
    const text = await hoverWithStats(doc, 'net[2].weight.grad', 'net[2].weight.gr'.length);
    assert.ok(text.includes(codeSpan('.grad')) && text.includes('not gradients'), text);
    assertTensorHover(text, tensorOf('net.pt', '2.weight'), 'net.pt');
  });

  test('rgnet[0][1][0].bias.data: the same bytes in every rgnet module file, so one answer', async () => {
    const text = await hoverWithStats(doc, 'print(rgnet[0][1][0].bias.data)', 'print(rgnet[0][1][0].bias.da'.length);
    assertTensorHover(text, tensorOf('rgnet.pt', '0.block 1.0.bias'), 'rgnet.pt');
    for (const other of ['rgnet.legacy.pt', 'rgnet.proto4.pt', 'rgnet.proto5.pt']) assert.ok(text.includes(codeSpan(other)), `${other} missing from "same in":\n${text}`);
  });

  test("the hover's links reveal the parameter in the Models tree and open its panel", async () => {
    const text = await hoverWithStats(doc, 'print(rgnet[0][1][0].bias.data)', 'print(rgnet[0][1][0].bi'.length);
    const link = (command: string): unknown[] => {
      const m = new RegExp(`\\]\\(command:${command.replace('.', '\\.')}\\?([^)]+)\\)`).exec(text);
      assert.ok(m, `no ${command} link in:\n${text}`);
      return JSON.parse(decodeURIComponent(m[1]!));
    };
    await vscode.commands.executeCommand('paramscope.revealParameter', ...link('paramscope.revealParameter'));
    const selected = await until('the parameter selected in the tree', () => {
      const s = api.treeView.selection[0];
      return s?.kind === 'param' && s.name === '0.block 1.0.bias' ? s : undefined;
    });
    assert.equal(selected.uri, workspaceFile('rgnet.pt').toString());
    await vscode.commands.executeCommand('paramscope.showParameter', ...link('paramscope.showParameter'));
    const panel = await until('the parameter panel', () => api.panels.openPanels.get(`${workspaceFile('rgnet.pt').toString()}#0.block 1.0.bias`));
    panel.dispose();
    await vscode.window.showTextDocument(doc);
  });

  test('variables named like no model give no hover unless exactly one model fits', async () => {
    // mystery[2].bias fits many files' layouts that differ: no guess, and no question either.
    assert.equal(await hoverText(doc, 'mystery[2].bias', 'mystery[2].b'.length), '');
    assert.equal(await hoverText(doc, 'unknown_model.encoder.weight', 'unknown_model.encoder.w'.length), '');
    // A plain variable is no parameter expression.
    assert.equal(await hoverText(doc, 'print(rgnet)', 'print(rg'.length), '');
  });

  test("the code's own loading binds a variable: torch.load, load_file, load_state_dict", async () => {
    const uri = workspaceFile('load_hover.py');
    const code = [
      'import torch',
      'from safetensors.torch import load_file',
      "sd = torch.load('net_normal.state_dict.pt', map_location='cpu')",
      "print(sd['2.bias'])",
      "w = load_file('net_xavier.safetensors')",
      "print(w['0.weight'])",
      'net2 = MLP()',
      "net2.load_state_dict(torch.load('net_myinit.state_dict.pt'))",
      'print(net2[2].bias)',
      'other = {}',
      "print(other['2.bias'])",
      '',
    ].join('\n');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(code));
    try {
      let loads = await vscode.workspace.openTextDocument(uri);
      if (loads.languageId !== 'python') loads = await vscode.languages.setTextDocumentLanguage(loads, 'python');
      // Without the loads these keys are in several models that differ; the code says which file.
      assertTensorHover(await hoverWithStats(loads, "sd['2.bias']", "sd['2.b".length), tensorOf('net_normal.state_dict.pt', '2.bias'), 'net_normal.state_dict.pt');
      assertTensorHover(await hoverWithStats(loads, "w['0.weight']", "w['0.w".length), tensorOf('net_xavier.safetensors', '0.weight'), 'net_xavier.safetensors');
      assertTensorHover(await hoverWithStats(loads, 'net2[2].bias', 'net2[2].b'.length), tensorOf('net_myinit.state_dict.pt', '2.bias'), 'net_myinit.state_dict.pt');
      // Not loaded from a file: the key is in models that differ, and Bind's link carries `other`.
      const ambiguous = await hoverText(loads, "other['2.bias']", "other['2.b".length);
      assert.match(ambiguous, /is in \d+ models that differ/, ambiguous);
      const link = /\]\(command:paramscope\.bindVariable\?([^)]+)\)/.exec(ambiguous);
      assert.ok(link, ambiguous);
      assert.equal((JSON.parse(decodeURIComponent(link[1]!)) as Array<{ variable?: string }>)[0]?.variable, 'other');
    } finally {
      await vscode.workspace.fs.delete(uri);
    }
  });

  test('optimizer state in a checkpoint says which parameter it belongs to', async () => {
    const uri = workspaceFile('ckpt_hover.py');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode("print(checkpoint['optimizer']['state'][2]['exp_avg'])\n"));
    try {
      let d = await vscode.workspace.openTextDocument(uri);
      if (d.languageId !== 'python') d = await vscode.languages.setTextDocumentLanguage(d, 'python');
      const text = await hoverWithStats(d, "['exp_avg']", "['exp_a".length);
      // Adam's state[2] is the model's third parameter, 2.weight.
      assert.ok(text.includes(`optimizer state of ${codeSpan("checkpoint['model']['2.weight']")}`), text);
    } finally {
      await vscode.workspace.fs.delete(uri);
    }
  });

  test('in a notebook, a load in an earlier cell binds the variable in later cells', async function () {
    let notebook: vscode.NotebookDocument;
    try {
      notebook = await vscode.workspace.openNotebookDocument(
        'jupyter-notebook',
        new vscode.NotebookData([
          new vscode.NotebookCellData(vscode.NotebookCellKind.Code, "import torch\nsd = torch.load('net_constant.state_dict.pt')\n", 'python'),
          new vscode.NotebookCellData(vscode.NotebookCellKind.Code, "sd['0.weight']\n", 'python'),
        ]),
      );
    } catch {
      this.skip();
    }
    const text = await hoverWithStats(notebook.cellAt(1).document, "sd['0.weight']", "sd['0.w".length);
    assertTensorHover(text, tensorOf('net_constant.state_dict.pt', '0.weight'), 'net_constant.state_dict.pt');
  });

  test('in a notebook cell, a binding holds for the whole notebook', async function () {
    const cellSource = 'print(net[2].bias)\n';
    let notebook: vscode.NotebookDocument;
    try {
      notebook = await vscode.workspace.openNotebookDocument('jupyter-notebook', new vscode.NotebookData([new vscode.NotebookCellData(vscode.NotebookCellKind.Code, cellSource, 'python')]));
    } catch {
      // No .ipynb support in this host: nothing to test here.
      this.skip();
    }
    const cell = notebook.cellAt(0).document;
    assert.equal(cell.uri.scheme, 'vscode-notebook-cell');
    await api.bindings.set(cell.uri, 'net', workspaceFile('net.safetensors'));
    assert.equal(api.bindings.get(notebook.uri, 'net')?.toString(), workspaceFile('net.safetensors').toString());
    const text = await hoverWithStats(cell, 'net[2].bias', 'net[2].b'.length);
    assertTensorHover(text, tensorOf('net.safetensors', '2.bias'), 'net.safetensors');
    await api.bindings.set(notebook.uri, 'net', undefined);
  });
});
