// "Convert to safetensors…" (issue 15) driven through the real vscode API: the picks and the save
// dialog answered by stubs on vscode.window (the command's own calls go through the same object),
// the written files read back by a few lines of safetensors parsing here and by ParamScope, and
// compared with what torch saved (test/fixtures/expected.json and the torch-made .safetensors twins).
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ParamScopeApi } from '../../src/extension';
import type { TreeNode } from '../../src/views/treeNodes';
import { activateParamScope, child, expected, repoRoot, workspaceFile } from './helpers';

let api: ParamScopeApi;
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'paramscope-convert-'));

interface TorchTensor {
  name: string;
  dtype: string;
  shape: number[];
  kind: string;
}

const torchTensors = (file: string): TorchTensor[] => expected.files[`models/${file}`].tensors;

/** A safetensors file as its spec lays it out: u64 header length, JSON header, data. Not ParamScope's reader. */
function readSafetensors(file: string): { metadata: Record<string, string> | undefined; tensors: Map<string, { dtype: string; shape: number[]; bytes: Buffer; end: number }>; headerLength: number } {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  const tensors = new Map<string, { dtype: string; shape: number[]; bytes: Buffer; end: number }>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = value as { dtype: string; shape: number[]; data_offsets: [number, number] };
    tensors.set(name, { dtype: e.dtype, shape: e.shape, bytes: buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]), end: e.data_offsets[1] });
  }
  return { metadata: header.__metadata__ as Record<string, string> | undefined, tensors, headerLength: n };
}

/** What the command asked and showed while the stubs answered for a person. */
interface Ui {
  picks: Array<{ title?: string; placeHolder?: string; labels: string[]; details: Array<string | undefined> }>;
  saveDialogs: vscode.SaveDialogOptions[];
  infos: string[];
  warnings: string[];
  errors: string[];
  progress: Array<{ increment?: number; message?: string }>;
  restore(): void;
}

interface Answers {
  /** Picks the item of a quick pick by its label (default: the first item, as Enter does). */
  pick?: (labels: string[], options: vscode.QuickPickOptions | undefined) => string | undefined;
  save?: (options: vscode.SaveDialogOptions) => vscode.Uri | undefined;
  /** Press the notification's Cancel when the conversion first reports progress. */
  cancelOnProgress?: boolean;
}

function stubUi(answers: Answers): Ui {
  const w = vscode.window as unknown as Record<string, unknown>;
  const saved = Object.fromEntries(['showQuickPick', 'showSaveDialog', 'showInformationMessage', 'showWarningMessage', 'showErrorMessage', 'withProgress'].map((k) => [k, w[k]]));
  const ui: Ui = { picks: [], saveDialogs: [], infos: [], warnings: [], errors: [], progress: [], restore: () => Object.assign(w, saved) };
  w.showQuickPick = async (items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>, options?: vscode.QuickPickOptions) => {
    const list = await items;
    const labels = list.map((i) => i.label);
    ui.picks.push({ title: options?.title, placeHolder: options?.placeHolder, labels, details: list.map((i) => i.detail) });
    const wanted = answers.pick ? answers.pick(labels, options) : labels[0];
    return list.find((i) => i.label === wanted);
  };
  w.showSaveDialog = async (options: vscode.SaveDialogOptions) => {
    ui.saveDialogs.push(options);
    return answers.save?.(options);
  };
  w.showInformationMessage = async (message: string) => {
    ui.infos.push(message);
    return undefined;
  };
  w.showWarningMessage = async (message: string) => {
    ui.warnings.push(message);
    return undefined;
  };
  w.showErrorMessage = async (message: string) => {
    ui.errors.push(message);
    return undefined;
  };
  const realProgress = saved.withProgress as typeof vscode.window.withProgress;
  w.withProgress = <R>(options: vscode.ProgressOptions, task: (p: vscode.Progress<{ increment?: number; message?: string }>, t: vscode.CancellationToken) => Thenable<R>) =>
    realProgress(options, (progress, token) => {
      const cancel = new vscode.CancellationTokenSource();
      token.onCancellationRequested(() => cancel.cancel());
      assert.equal(options.location, vscode.ProgressLocation.Notification);
      assert.equal(options.cancellable, true);
      return task(
        {
          report: (v) => {
            ui.progress.push(v);
            progress.report(v);
            if (answers.cancelOnProgress) cancel.cancel();
          },
        },
        cancel.token,
      );
    });
  return ui;
}

let ui: Ui | undefined;

/** A file's name list; every conversion below must leave the folder with the one file it names, or none. */
const listing = (dir: string): string[] => fs.readdirSync(dir).sort();

/** The Models view row of a module (by qualified name), found by walking the tree from its file's row. */
async function moduleRow(file: TreeNode, qualifiedName: string): Promise<TreeNode> {
  let node = file;
  for (;;) {
    const kids = await api.tree.getChildren(node);
    const hit = kids.find((k) => k.kind === 'module' && k.qualifiedName === qualifiedName);
    if (hit) return hit;
    const down = kids.find((k) => k.kind === 'module' && qualifiedName.startsWith(`${k.qualifiedName}.`));
    assert.ok(down, `no row on the way to ${qualifiedName}`);
    node = down;
  }
}

/** A case of test/fixtures/convert/expected_convert.json: what torch's `select` gives, as sha256 of each tensor's bytes. */
interface TorchCase {
  name: string;
  file: string;
  args: string[];
  keys: string[];
  expected?: { tensors: Array<{ name: string; code: string; shape: number[]; sha256: string }>; aliases: Record<string, string> };
  error?: string;
}
const torchCases: TorchCase[] = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'convert', 'expected_convert.json'), 'utf8')).cases;
const torchCase = (name: string): TorchCase => torchCases.find((c) => c.name === name)!;

/** The written file against torch's tensors: names in order, dtype codes, shapes, bytes (sha256) and the ties in __metadata__. */
function assertTorchCase(file: string, c: TorchCase): void {
  const written = readSafetensors(file);
  const want = c.expected!;
  assert.deepEqual([...written.tensors.keys()], want.tensors.map((t) => t.name), c.name);
  for (const t of want.tensors) {
    const w = written.tensors.get(t.name)!;
    assert.equal(w.dtype, t.code, `${c.name}: ${t.name}`);
    assert.deepEqual(w.shape, t.shape, `${c.name}: ${t.name}`);
    assert.equal(createHash('sha256').update(w.bytes).digest('hex'), t.sha256, `${c.name}: ${t.name}'s bytes are not torch's`);
  }
  for (const [removed, kept] of Object.entries(want.aliases)) assert.equal(written.metadata?.[removed], kept, `${c.name}: tie ${removed} → ${kept}`);
}

suite('convert to safetensors', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
  });

  teardown(async () => {
    ui?.restore();
    ui = undefined;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('from the palette: rgnet.pt picked, dtypes kept, the save dialog answered: torch’s state_dict keys and bytes', async () => {
    const target = vscode.Uri.file(path.join(out, 'rgnet.safetensors'));
    ui = stubUi({ pick: (labels, o) => (o?.placeHolder === 'model file' ? 'rgnet.pt' : labels[0]), save: () => target });
    const outcome = await vscode.commands.executeCommand<{ result?: { tensors: number } }>('paramscope.convertToSafetensors');
    // The model pick, then the dtype pick with "Keep dtypes" first (Enter keeps them).
    assert.equal(ui.picks.length, 2, JSON.stringify(ui.picks));
    assert.deepEqual(ui.picks[1]!.labels, ['Keep dtypes', 'Cast to float16', 'Cast to bfloat16', 'Cast to float32']);
    // The dialog suggests <stem>.safetensors beside the source, safetensors files only.
    const dialog = ui.saveDialogs[0]!;
    assert.equal(dialog.defaultUri?.fsPath, workspaceFile('rgnet.safetensors').fsPath);
    assert.deepEqual(Object.values(dialog.filters ?? {}), [['safetensors']]);

    const torch = torchTensors('rgnet.pt');
    const written = readSafetensors(target.fsPath);
    assert.deepEqual([...written.tensors.keys()], torch.map((t) => t.name));
    assert.equal(written.headerLength % 8, 0, 'the header is padded to 8 bytes');
    // Bit for bit what torch saved in the fixture's safetensors twin (rgnet.state_dict()).
    const twin = readSafetensors(path.join(repoRoot, 'test', 'fixtures', 'models', 'rgnet.safetensors'));
    for (const t of torch) {
      const w = written.tensors.get(t.name)!;
      assert.deepEqual(w.shape, t.shape, t.name);
      assert.equal(w.dtype, 'F32', t.name);
      assert.ok(w.bytes.equals(twin.tensors.get(t.name)!.bytes), `${t.name}: bytes differ from torch's`);
    }
    assert.equal(outcome?.result?.tensors, torch.length);
    assert.equal(ui.infos.length, 1, JSON.stringify(ui.infos));
    assert.match(ui.infos[0]!, new RegExp(`^ParamScope: wrote rgnet\\.safetensors: ${torch.length} tensors, `));
    assert.deepEqual(ui.errors, []);
    assert.ok(ui.progress.length > 0, 'no progress was reported');

    // ParamScope reads the new file back with the same names, shapes and parameter count.
    const index = (await api.registry.load(target)).index!;
    assert.deepEqual(
      index.tensors.map((t) => [t.name, t.shape]),
      torch.map((t) => [t.name, t.shape]),
    );
    assert.equal(index.totalParameters, expected.files['models/rgnet.pt'].totalParameters);
  });

  test('a module row of the Models view: that sub-module’s state_dict, keys relative to it', async () => {
    const file = await child(api, undefined, 'rgnet.pt');
    const row = await moduleRow(file, '0.block 1');
    const target = vscode.Uri.file(path.join(out, 'block1.safetensors'));
    ui = stubUi({ save: () => target });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', row);
    // No model pick (the row names it), no checkpoint pick: the dtype pick only.
    assert.equal(ui.picks.length, 1, JSON.stringify(ui.picks));
    assert.equal(path.basename(ui.saveDialogs[0]!.defaultUri!.fsPath), 'rgnet.0.block_1.safetensors');
    // torch: rgnet[0][1].state_dict() is the keys under '0.block 1.' without that prefix.
    const prefix = '0.block 1.';
    const torch = torchTensors('rgnet.pt').filter((t) => t.name.startsWith(prefix));
    const written = readSafetensors(target.fsPath);
    assert.deepEqual([...written.tensors.keys()], torch.map((t) => t.name.slice(prefix.length)));
    const twin = readSafetensors(path.join(repoRoot, 'test', 'fixtures', 'models', 'rgnet.safetensors'));
    for (const t of torch) assert.ok(written.tensors.get(t.name.slice(prefix.length))!.bytes.equals(twin.tensors.get(t.name)!.bytes), t.name);
    assert.deepEqual(ui.errors, []);
    const index = (await api.registry.load(target)).index!;
    assert.deepEqual(
      index.tensors.map((t) => t.name),
      ['0.weight', '0.bias', '2.weight', '2.bias'],
    );
  });

  test('a checkpoint entry’s row (a pickled module, a state_dict under a key) writes that entry without its prefix', async () => {
    for (const [file, entry] of [['ckpt_gan.pt', 'generator'], ['checkpoint.pt', 'model']] as const) {
      const row = await moduleRow(await child(api, undefined, file), entry);
      const target = vscode.Uri.file(path.join(out, `${file}.${entry}.row.safetensors`));
      ui?.restore();
      ui = stubUi({ save: () => target });
      await vscode.commands.executeCommand('paramscope.convertToSafetensors', row);
      assert.deepEqual(ui.errors, [], file);
      // The row names the entry: no entry pick, only the dtype pick.
      assert.deepEqual(ui.picks.map((p) => p.labels[0]), ['Keep dtypes'], file);
      assert.equal(path.basename(ui.saveDialogs[0]!.defaultUri!.fsPath), `${file.replace(/\.pt$/, '')}.${entry}.safetensors`);
      const torch = torchTensors(file).filter((t) => t.name.startsWith(`${entry}.`));
      assert.deepEqual([...readSafetensors(target.fsPath).tensors.keys()], torch.map((t) => t.name.slice(entry.length + 1)), file);
    }
  });

  test('a checkpoint with two models asks which; cast to float16 as torch’s .half()', async () => {
    const target = vscode.Uri.file(path.join(out, 'disc.safetensors'));
    ui = stubUi({ pick: (labels) => (labels.includes('discriminator') ? 'discriminator' : labels[0]), save: () => target });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', workspaceFile('ckpt_gan.pt'));
    assert.deepEqual(ui.picks[0]!.labels, ['generator', 'discriminator']);
    assert.equal(path.basename(ui.saveDialogs[0]!.defaultUri!.fsPath), 'ckpt_gan.discriminator.safetensors');
    const torch = torchTensors('ckpt_gan.pt').filter((t) => t.name.startsWith('discriminator.'));
    assert.deepEqual([...readSafetensors(target.fsPath).tensors.keys()], torch.map((t) => t.name.slice('discriminator.'.length)));
    assert.deepEqual(ui.errors, []);

    // net.pt cast to float16 gives the bytes torch's net.half() saved in net.fp16.safetensors.
    const half = vscode.Uri.file(path.join(out, 'net.float16.safetensors'));
    ui.restore();
    ui = stubUi({ pick: (labels) => (labels.includes('Cast to float16') ? 'Cast to float16' : labels[0]), save: (o) => (assert.equal(path.basename(o.defaultUri!.fsPath), 'net.float16.safetensors'), half) });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', workspaceFile('net.pt'));
    const twin = readSafetensors(path.join(repoRoot, 'test', 'fixtures', 'models', 'net.fp16.safetensors'));
    const written = readSafetensors(half.fsPath);
    assert.deepEqual([...written.tensors.keys()], [...twin.tensors.keys()]);
    for (const [name, t] of twin.tensors) {
      assert.equal(written.tensors.get(name)!.dtype, 'F16', name);
      assert.ok(written.tensors.get(name)!.bytes.equals(t.bytes), `${name}: not torch's float16`);
    }
  });

  test('torch-made checkpoints: Lightning’s state_dict without a pick, an EMA beside the model picked, a tied LM', async () => {
    const convertDir = path.join(repoRoot, 'test', 'fixtures', 'convert');
    // lightning.ckpt: state_dict beside callbacks of scalars, loops, optimizer state: one model, no pick.
    const lightning = vscode.Uri.file(path.join(out, 'lightning.safetensors'));
    ui = stubUi({ save: () => lightning });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', vscode.Uri.file(path.join(convertDir, 'lightning.ckpt')));
    assert.deepEqual(ui.picks.map((p) => p.labels[0]), ['Keep dtypes']);
    assert.equal(ui.saveDialogs[0]!.defaultUri!.fsPath, path.join(convertDir, 'lightning.safetensors'));
    assertTorchCase(lightning.fsPath, torchCase('Lightning checkpoint'));

    // ckpt_ema.pt: the engine refuses to guess between them (torch's case says which); the pick offers both.
    const several = torchCase('several models');
    const offered = /holds several models: (.*); choose/.exec(several.error!)![1]!.split(', ');
    const ema = vscode.Uri.file(path.join(out, 'ema.safetensors'));
    ui.restore();
    ui = stubUi({ pick: (labels) => (labels.includes('ema') ? 'ema' : labels[0]), save: (o) => (assert.equal(path.basename(o.defaultUri!.fsPath), 'ckpt_ema.ema.safetensors'), ema) });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', vscode.Uri.file(path.join(convertDir, 'ckpt_ema.pt')));
    assert.deepEqual(ui.picks[0]!.labels, offered);
    assertTorchCase(ema.fsPath, torchCase('checkpoint --key ema'));
    assert.match(ui.infos[0]!, /\(from ema\)$/);

    // tied_lm.pt: embedding and output head share one storage; written once, the tie in __metadata__.
    const tied = vscode.Uri.file(path.join(out, 'tied_lm.safetensors'));
    ui.restore();
    ui = stubUi({ save: () => tied });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', vscode.Uri.file(path.join(convertDir, 'tied_lm.pt')));
    assertTorchCase(tied.fsPath, torchCase('tied LM module'));
    assert.match(ui.infos[0]!, /, 1 tied name kept in its metadata \(from module\)$/);
    assert.deepEqual(ui.errors, []);
  });

  test('a Q4_K GGUF with dtypes kept: float32 as ggml’s to_float dequantizes it', async () => {
    const types = path.join(repoRoot, 'test', 'fixtures', 'gguf', 'types');
    const target = vscode.Uri.file(path.join(out, 'q4k.safetensors'));
    ui = stubUi({ save: () => target });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', vscode.Uri.file(path.join(types, 'Q4_K.gguf')));
    // The Keep row says what keeping means for a block type.
    assert.equal(ui.picks[0]!.labels[0], 'Keep dtypes');
    assert.equal(ui.picks[0]!.details[0], 'Quantized tensors dequantized to float32, as ggml does; the others bit for bit');
    const written = readSafetensors(target.fsPath);
    assert.deepEqual([...written.tensors.keys()], ['t', 'u']);
    for (const t of written.tensors.values()) assert.equal(t.dtype, 'F32');
    // Q4_K.f32: ggml_get_type_traits(GGML_TYPE_Q4_K)->to_float of both tensors, in file order.
    assert.ok(Buffer.concat([written.tensors.get('t')!.bytes, written.tensors.get('u')!.bytes]).equals(fs.readFileSync(path.join(types, 'Q4_K.f32'))), "not ggml's values");
    assert.deepEqual(ui.errors, []);
  });

  test('a training checkpoint writes its model entry only; a tied model writes each storage once', async () => {
    const target = vscode.Uri.file(path.join(out, 'checkpoint.safetensors'));
    ui = stubUi({ save: () => target });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', workspaceFile('checkpoint.pt'));
    // model and optimizer: only one is a model, so no pick of the entry.
    assert.deepEqual(ui.picks.map((p) => p.labels[0]), ['Keep dtypes']);
    const torch = torchTensors('checkpoint.pt').filter((t) => t.name.startsWith('model.'));
    assert.deepEqual([...readSafetensors(target.fsPath).tensors.keys()], torch.map((t) => t.name.slice('model.'.length)));
    assert.match(ui.infos[0]!, new RegExp(`^ParamScope: wrote checkpoint\\.safetensors: ${torch.length} tensors, .* \\(from model\\)$`));

    // shared.pt: torch's ties 2.weight = 4.weight and 2.bias = 4.bias, one storage each.
    const tied = vscode.Uri.file(path.join(out, 'shared.safetensors'));
    ui.restore();
    ui = stubUi({ save: () => tied });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', workspaceFile('shared.pt'));
    const written = readSafetensors(tied.fsPath);
    const ties: string[][] = expected.files['models/shared.pt'].ties;
    const names = torchTensors('shared.pt').map((t) => t.name);
    assert.equal(written.tensors.size, names.length - ties.length);
    for (const group of ties) assert.equal(group.filter((n) => written.tensors.has(n)).length, 1, `${group.join(' = ')} written once`);
    assert.match(ui.infos[0]!, new RegExp(`: ${names.length - ties.length} tensors, .*, ${ties.length} tied names kept in its metadata`));
    // The other names stay in __metadata__ (removed → kept), and ParamScope counts torch's parameters again.
    for (const group of ties) {
      const kept = group.find((n) => written.tensors.has(n))!;
      for (const n of group.filter((x) => x !== kept)) assert.equal(written.metadata?.[n], kept, `${n} → ${kept} in __metadata__`);
    }
    assert.equal((await api.registry.load(tied)).index!.totalParameters, expected.files['models/shared.pt'].totalParameters);
  });

  test('the input itself is refused as the target, and nothing changes', async () => {
    const source = workspaceFile('net.safetensors');
    const before = fs.readFileSync(source.fsPath);
    ui = stubUi({ save: () => source });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', source);
    // Not suggested as the default either.
    assert.equal(path.basename(ui.saveDialogs[0]!.defaultUri!.fsPath), 'net.converted.safetensors');
    assert.equal(ui.errors.length, 1);
    assert.match(ui.errors[0]!, /^ParamScope: net\.safetensors is the file being converted; choose another name/);
    assert.ok(fs.readFileSync(source.fsPath).equals(before));
    assert.deepEqual(ui.infos, []);
  });

  test('cancel in the progress notification leaves nothing behind', async () => {
    // 256 MiB of float32 zeros (a sparse file): long enough to be cancelled mid-way.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paramscope-cancel-'));
    const source = path.join(dir, 'huge.safetensors');
    const elements = 64 * 1024 * 1024;
    let header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [elements], data_offsets: [0, elements * 4] } }));
    header = Buffer.concat([header, Buffer.alloc((8 - ((8 + header.length) % 8)) % 8, 0x20)]);
    const fd = fs.openSync(source, 'w');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    fs.writeSync(fd, Buffer.concat([length, header]));
    fs.ftruncateSync(fd, 8 + header.length + elements * 4);
    fs.closeSync(fd);
    const before = listing(dir);
    ui = stubUi({ save: () => vscode.Uri.file(path.join(dir, 'huge.float16.safetensors')), pick: (labels) => (labels.includes('Cast to float16') ? 'Cast to float16' : labels[0]), cancelOnProgress: true });
    const outcome = await vscode.commands.executeCommand<{ cancelled?: boolean }>('paramscope.convertToSafetensors', vscode.Uri.file(source));
    assert.equal(outcome?.cancelled, true);
    assert.deepEqual(listing(dir), before, 'a file was left behind');
    assert.deepEqual(ui.infos, ['ParamScope: conversion cancelled; nothing was written.']);
    assert.deepEqual(ui.errors, []);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a truncated file and a failing conversion give a one-line error and no file', async () => {
    for (const name of ['net.truncated.pt', 'net.truncated.safetensors']) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paramscope-broken-'));
      ui?.restore();
      ui = stubUi({ save: () => vscode.Uri.file(path.join(dir, 'out.safetensors')) });
      const outcome = await vscode.commands.executeCommand<{ error?: string }>('paramscope.convertToSafetensors', workspaceFile(`broken/${name}`));
      assert.ok(outcome?.error, JSON.stringify(outcome));
      // The reader's own message (as the Models view row shows it), after the product name.
      assert.deepEqual(ui.errors, [`ParamScope: ${outcome.error}`]);
      assert.ok(!ui.errors[0]!.includes('\n') && !/\bat .*:\d+:\d+/.test(ui.errors[0]!), `not one line: ${ui.errors[0]}`);
      assert.deepEqual(listing(dir), [], 'a file was left behind');
      assert.deepEqual(ui.saveDialogs, [], 'a file that cannot be read asks for no target');
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // The engine refuses in the worker (a module rgnet.pt does not have): its message, one line, nothing written.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paramscope-refused-'));
    ui?.restore();
    ui = stubUi({});
    const target = vscode.Uri.file(path.join(dir, 'out.safetensors'));
    const outcome = await vscode.commands.executeCommand<{ error?: string }>('paramscope.convertToSafetensors', { uri: workspaceFile('rgnet.pt'), target, module: 'rgnet[7]' });
    assert.ok(outcome?.error, JSON.stringify(outcome));
    assert.deepEqual(ui.errors, [`ParamScope: cannot convert rgnet.pt: ${outcome.error}`]);
    assert.match(outcome.error, /rgnet\[7\]/);
    assert.deepEqual(listing(dir), []);
    assert.deepEqual(ui.infos, []);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a file cut short and a hostile pickle: what could be read is written, and the message says what the source lacks', async () => {
    // net.truncated90.safetensors: torch's net.safetensors cut inside its data; the tensors whose bytes are all present.
    const broken = expected.broken['models/broken/net.truncated90.safetensors'];
    const twin = readSafetensors(path.join(repoRoot, 'test', 'fixtures', broken.from));
    const intact = [...twin.tensors.entries()].filter(([, t]) => 8 + twin.headerLength + t.end <= broken.bytes).map(([n]) => n);
    assert.ok(intact.length > 0 && intact.length < twin.tensors.size, `${intact.length} intact tensors`);
    const target = vscode.Uri.file(path.join(out, 'truncated.safetensors'));
    ui = stubUi({ save: () => target });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', workspaceFile('broken/net.truncated90.safetensors'));
    const written = readSafetensors(target.fsPath);
    assert.deepEqual([...written.tensors.keys()], intact);
    for (const n of intact) assert.ok(written.tensors.get(n)!.bytes.equals(twin.tensors.get(n)!.bytes), n);
    assert.deepEqual(ui.infos, []);
    assert.equal(ui.warnings.length, 1, JSON.stringify(ui.warnings));
    const missing = [...twin.tensors.keys()].filter((n) => !intact.includes(n));
    assert.match(ui.warnings[0]!, new RegExp(`^ParamScope: wrote truncated\\.safetensors: ${intact.length === 1 ? '1 tensor' : `${intact.length} tensors`}, .* — the source has 1 warning: file is cut short: .*${missing.join(', ')}$`));

    // os_system.pt would run os.system on torch.load; ParamScope refused the global and ran nothing.
    const hostile = expected.hostile['hostile/os_system.pt'];
    const safe = vscode.Uri.file(path.join(out, 'os_system.safetensors'));
    ui.restore();
    ui = stubUi({ save: () => safe });
    await vscode.commands.executeCommand('paramscope.convertToSafetensors', vscode.Uri.file(path.join(repoRoot, 'test', 'fixtures', 'hostile', 'os_system.pt')));
    assert.deepEqual([...readSafetensors(safe.fsPath).tensors.keys()], hostile.tensors);
    assert.equal(ui.warnings.length, 1, JSON.stringify(ui.warnings));
    assert.ok(ui.warnings[0]!.includes(`the source has 1 warning: refused ${hostile.refused}`), ui.warnings[0]);
    assert.equal(fs.existsSync(hostile.marker), false, 'the pickle ran');
  });

  test('the menus offer it on file and module rows and in the Explorer on every model file', async () => {
    const menus = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).contributes.menus;
    const row = menus['view/item/context'].find((m: { command: string }) => m.command === 'paramscope.convertToSafetensors');
    const viewItem = new RegExp(/viewItem =~ \/(.*)\/$/.exec(row.when)![1]!);
    const file = await child(api, undefined, 'rgnet.pt');
    const module = await moduleRow(file, '0.block 1');
    const param = (await api.tree.getChildren(await moduleRow(file, '0.block 1.0'))).find((k) => k.kind === 'param')!;
    assert.ok(viewItem.test((await api.tree.getTreeItem(file)).contextValue!), 'not on a file row');
    assert.ok(viewItem.test((await api.tree.getTreeItem(module)).contextValue!), 'not on a module row');
    assert.ok(!viewItem.test((await api.tree.getTreeItem(param)).contextValue!), 'on a parameter row');
    const explorer = menus['explorer/context'].find((m: { command: string }) => m.command === 'paramscope.convertToSafetensors');
    assert.equal(explorer.when, menus['explorer/context'].find((m: { command: string }) => m.command === 'paramscope.openModel').when);
    assert.ok((await vscode.commands.getCommands(true)).includes('paramscope.convertToSafetensors'));
  });
});
