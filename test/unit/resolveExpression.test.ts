import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelIndex } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { expressionsAt, type ChainExpression, type ParameterExpression } from '../../src/model/pythonExpression';
import { decide, findCandidates, MAX_FINGERPRINT_BYTES, resolveSteps, type Match, type ModelRef, type Target } from '../../src/model/resolveExpression';
import { FileByteSource } from '../../src/runtime/byteSource';
import { tensorFingerprint } from '../../src/runtime/tensorFingerprint';
import { safetensorsBytes } from './builders';
import { FIXTURES, expected } from './fixtureFiles';
import { tempFile } from './tempFiles';

const FILES = [
  'net.pt',
  'net.legacy.pt',
  'net.safetensors',
  'net.state_dict.pt',
  'net.fp16.pt',
  'net_normal.safetensors',
  'rgnet.pt',
  'rgnet.legacy.pt',
  'rgnet.proto4.pt',
  'rgnet.safetensors',
  'rgnet.state_dict.pt',
  'shared.pt',
  'mlp.pt',
  'convnet.pt',
  'checkpoint.pt',
];
const models = new Map<string, ModelRef>();
const index = (file: string): ModelIndex => models.get(file)!.index;

/** A transformer-style state_dict (names only matter here): `layers.0.self_attn.q_proj.weight`. */
function transformerFile(): string {
  const names = ['embed_tokens.weight', 'layers.0.self_attn.q_proj.weight', 'layers.0.self_attn.k_proj.weight', 'layers.1.self_attn.q_proj.weight'];
  const header: Record<string, unknown> = {};
  names.forEach((n, i) => (header[n] = { dtype: 'F32', shape: [2, 2], data_offsets: [i * 16, i * 16 + 16] }));
  return tempFile('llama.safetensors', safetensorsBytes(header, new Uint8Array(names.length * 16)));
}

beforeAll(async () => {
  for (const f of FILES) models.set(f, { id: f, index: await openModel(join(FIXTURES, 'models', f)) });
  models.set('llama.safetensors', { id: 'llama.safetensors', index: await openModel(transformerFile()) });
});

/** The chain at `needle` (cursor `shift` characters in). */
function chainAt(src: string, needle: string, shift = 0): ChainExpression {
  const e = expressionsAt(src, src.indexOf(needle) + shift).find((x) => x.kind === 'chain');
  if (!e || e.kind !== 'chain') throw new Error(`no chain at ${needle} in ${src}`);
  return e;
}

function tensorName(t: Target | undefined): string | undefined {
  return t?.kind === 'tensor' ? t.tensor.name : undefined;
}

const resolve = (file: string, src: string, needle: string, shift = 0): Target | undefined => resolveSteps(index(file), chainAt(src, needle, shift).steps);

describe('resolving steps in one model', () => {
  it('agrees on net[2].bias, its state_dict key, getattr and named_parameters forms', () => {
    for (const file of ['net.pt', 'net.legacy.pt', 'net.safetensors', 'net.state_dict.pt']) {
      expect(tensorName(resolve(file, 'net[2].bias', 'bias')), file).toBe('2.bias');
      expect(tensorName(resolve(file, "net.state_dict()['2.bias']", '2.bias')), file).toBe('2.bias');
      expect(tensorName(resolve(file, "getattr(net, '2').bias", 'bias')), file).toBe('2.bias');
      expect(tensorName(resolve(file, "dict(net.named_parameters())['2.bias']", '2.bias')), file).toBe('2.bias');
      expect(tensorName(resolve(file, "net.get_parameter('2.bias')", 'get_parameter')), file).toBe('2.bias');
      expect(tensorName(resolve(file, "net[2].state_dict()['bias']", 'bias')), file).toBe('2.bias');
    }
  });

  it('drops .data and marks .grad', () => {
    const t = resolve('rgnet.pt', 'rgnet[0][1][0].bias.data', 'data');
    expect(t).toMatchObject({ kind: 'tensor', grad: false });
    expect(tensorName(t)).toBe('0.block 1.0.bias');
    expect(expected.files['models/rgnet.pt']!.tensors.find((x) => x.name === '0.block 1.0.bias')!.path).toBe('rgnet[0][1][0].bias');
    expect(resolve('net.pt', 'net[2].weight.grad', 'grad')).toMatchObject({ kind: 'tensor', grad: true });
    expect(resolve('net.pt', 'net[2].weight.detach().cpu()', 'cpu')).toMatchObject({ kind: 'tensor', grad: false });
  });

  it('indexes pickled Sequentials by position, including parameterless children and negative indices', () => {
    // rgnet[0][1] is the child named "block 1": a position, not a name.
    expect(tensorName(resolve('rgnet.pt', "getattr(rgnet[0], 'block 1')[0].bias", 'bias'))).toBe('0.block 1.0.bias');
    expect(tensorName(resolve('rgnet.pt', 'rgnet[0][1][0].bias', 'bias'))).toBe('0.block 1.0.bias');
    expect(tensorName(resolve('net.pt', 'net[-1].weight', 'weight'))).toBe('2.weight');
    // net[1] is the ReLU: a module without parameters.
    expect(resolve('net.pt', 'net[1]', '1')).toMatchObject({ kind: 'module', module: { qualifiedName: '1', type: 'ReLU' } });
    expect(resolve('net.pt', 'net[1].weight', 'weight')).toBeUndefined();
  });

  it('reads names-derived trees by name only: positions there are unknown', () => {
    // The state_dict has no ReLU, so its children are 0 and 2: [1] and [-1] cannot be trusted.
    expect(tensorName(resolve('net.safetensors', 'net[2].bias', 'bias'))).toBe('2.bias');
    expect(resolve('net.safetensors', 'net[-1].weight', 'weight')).toBeUndefined();
    expect(resolve('rgnet.safetensors', 'rgnet[0][1][0].bias', 'bias')).toBeUndefined();
    expect(tensorName(resolve('rgnet.safetensors', "getattr(rgnet[0], 'block 1')[0].bias", 'bias'))).toBe('0.block 1.0.bias');
    // The root of a state_dict file is a dict of keys.
    expect(tensorName(resolve('net.state_dict.pt', "sd['0.weight']", '0.weight'))).toBe('0.weight');
    expect(resolve('net.pt', "net['0.weight']", '0.weight')).toBeUndefined();
  });

  it('maps attribute chains onto dotted keys', () => {
    expect(tensorName(resolve('llama.safetensors', 'model.layers[0].self_attn.q_proj.weight', 'weight'))).toBe('layers.0.self_attn.q_proj.weight');
    expect(resolve('llama.safetensors', 'model.layers[0].self_attn', 'self_attn')).toMatchObject({ kind: 'module', module: { qualifiedName: 'layers.0.self_attn' } });
    expect(tensorName(resolve('mlp.pt', 'mlp.layers[1].bias', 'bias'))).toBe('layers.1.bias');
    expect(tensorName(resolve('mlp.pt', 'mlp.hidden.weight', 'weight'))).toBe('hidden.weight');
  });

  it('gives modules for partial chains, with get_submodule', () => {
    expect(resolve('rgnet.pt', 'rgnet[0][1]', '[1]', 1)).toMatchObject({ kind: 'module', module: { qualifiedName: '0.block 1', type: 'Sequential' } });
    expect(resolve('rgnet.pt', "rgnet.get_submodule('0.block 1')[2]", '[2]', 1)).toMatchObject({ kind: 'module', module: { qualifiedName: '0.block 1.2', type: 'Linear' } });
  });

  it('separates buffers from parameters', () => {
    expect(tensorName(resolve('convnet.pt', 'convnet[1].running_mean', 'running_mean'))).toBe('1.running_mean');
    expect(resolve('convnet.pt', "dict(convnet.named_parameters())['1.running_mean']", 'running')).toBeUndefined();
    expect(tensorName(resolve('convnet.pt', "dict(convnet.named_buffers())['1.running_mean']", 'running'))).toBe('1.running_mean');
  });

  it('follows checkpoint containers by their steps only', () => {
    expect(tensorName(resolve('checkpoint.pt', "checkpoint['model']['0.weight']", '0.weight'))).toBe('model.0.weight');
    expect(tensorName(resolve('checkpoint.pt', "checkpoint['optimizer']['state'][0]['exp_avg']", 'exp_avg'))).toBe('optimizer.state.0.exp_avg');
    // A dict has no attributes, and its string key 0 is not the integer 0.
    expect(resolve('checkpoint.pt', 'checkpoint.model', 'model')).toBeUndefined();
    expect(resolve('checkpoint.pt', "checkpoint['optimizer']['state']['0']['exp_avg']", 'exp_avg')).toBeUndefined();
  });

  it('rejects other attributes, tensor indexing and unknown names', () => {
    expect(resolve('net.pt', 'net[2].weight.shape', 'shape')).toBeUndefined();
    expect(resolve('net.pt', 'net[2].weight.data[0]', '[0]', 1)).toBeUndefined();
    expect(resolve('net.pt', 'net.training', 'training')).toBeUndefined();
    expect(resolve('net.pt', 'net[5]', '5')).toBeUndefined();
    // Linear is not indexable.
    expect(resolve('net.pt', 'net[0][0]', '[0]', 4)).toBeUndefined();
  });
});

/** Fingerprints computed as the worker does, for the decision. */
async function fingerprints(matches: readonly Match[]): Promise<Map<Match, string>> {
  const out = new Map<Match, string>();
  for (const m of matches) {
    if (m.target.kind !== 'tensor') continue;
    const t = m.target.tensor;
    const src = await FileByteSource.open(t.location.file);
    try {
      out.set(m, await tensorFingerprint(src, t));
    } finally {
      await src.close();
    }
  }
  return out;
}

const all = (): ModelRef[] => [...models.values()];
const first = (src: string, needle: string, shift = 0): ParameterExpression => expressionsAt(src, src.indexOf(needle) + shift)[0]!;

async function decideFor(expr: ParameterExpression, bindings: ReadonlyMap<string, string> = new Map(), refs = all()) {
  const c = findCandidates(expr, refs, bindings);
  const prints = await fingerprints(c.matches);
  return { basis: c.basis, decision: decide(c.matches, (m) => prints.get(m)) };
}

describe('which model a variable means', () => {
  it('uses the binding first', async () => {
    const { basis, decision } = await decideFor(first('net[2].bias', 'bias'), new Map([['net', 'net.fp16.pt']]));
    expect(basis).toBe('binding');
    expect(decision).toMatchObject({ kind: 'one', match: { model: { id: 'net.fp16.pt' }, target: { tensor: { dtype: 'float16', name: '2.bias' } } }, sameIn: [] });
    // Bound to a model the expression does not fit: nothing, not another model.
    expect((await decideFor(first('net[2].bias', 'bias'), new Map([['net', 'rgnet.pt']]))).decision).toEqual({ kind: 'none' });
  });

  it('is ambiguous when models named like the variable differ (net.fp16.pt is another dtype)', async () => {
    const { basis, decision } = await decideFor(first('net[2].bias', 'bias'));
    expect(basis).toBe('rootName');
    expect(decision.kind).toBe('ambiguous');
    if (decision.kind === 'ambiguous') expect(decision.matches.map((m) => m.model.id).sort()).toEqual(['net.fp16.pt', 'net.legacy.pt', 'net.pt', 'net.safetensors', 'net.state_dict.pt']);
  });

  it('answers once when every candidate holds the same bytes, naming the others', async () => {
    const refs = all().filter((m) => m.id !== 'net.fp16.pt');
    const { decision } = await decideFor(first('net[2].bias', 'bias'), new Map(), refs);
    expect(decision).toMatchObject({ kind: 'one', same: 'values', match: { model: { id: 'net.pt' } } });
    if (decision.kind === 'one') expect(decision.sameIn.map((m) => m.id).sort()).toEqual(['net.legacy.pt', 'net.safetensors', 'net.state_dict.pt']);
    // rgnet[0][1][0] fits the pickled module files only; their bytes agree.
    const rg = await decideFor(first('rgnet[0][1][0].bias.data', 'data'));
    expect(rg.decision).toMatchObject({ kind: 'one', same: 'values', match: { model: { id: 'rgnet.pt' }, target: { tensor: { name: '0.block 1.0.bias' } } } });
    if (rg.decision.kind === 'one') expect(rg.decision.sameIn.map((m) => m.id).sort()).toEqual(['rgnet.legacy.pt', 'rgnet.proto4.pt']);
  });

  it('waits for fingerprints instead of guessing, per tensor whatever its size up to the cap', () => {
    const c = findCandidates(first('net[2].bias', 'bias'), all().filter((m) => m.id !== 'net.fp16.pt'), new Map());
    expect(decide(c.matches, () => undefined).kind).toBe('needsFingerprints');
    expect(decide(c.matches, (m) => m.model.id).kind).toBe('ambiguous');
    const sized = (count: number): Match[] => c.matches.map((m) => ({ ...m, target: { ...m.target, tensor: { ...(m.target as { tensor: object }).tensor, count } } }) as Match);
    // A GPT-2 embedding (50257 × 768 float32, 154 MB) held by two files that differ elsewhere: one answer.
    expect(decide(sized(50257 * 768), () => 'same')).toMatchObject({ kind: 'one', same: 'values' });
    expect(decide(sized(50257 * 768), () => undefined).kind).toBe('needsFingerprints');
    // Beyond the cap nothing is hashed: the candidates count as different.
    expect(decide(sized(MAX_FINGERPRINT_BYTES), () => 'same').kind).toBe('ambiguous');
  });

  it('shows a module when every candidate has the same layout', async () => {
    const { decision } = await decideFor(first('rgnet[0][1]', '[1]', 1));
    expect(decision).toMatchObject({ kind: 'one', same: 'structure', match: { target: { kind: 'module', module: { type: 'Sequential', qualifiedName: '0.block 1' } } } });
  });

  it('falls back to the models the steps fit when no file is named like the variable', async () => {
    const { basis, decision } = await decideFor(first('w = model.layers[0].self_attn.q_proj.weight', 'weight'));
    expect(basis).toBe('content');
    expect(decision).toMatchObject({ kind: 'one', match: { model: { id: 'llama.safetensors' }, target: { tensor: { name: 'layers.0.self_attn.q_proj.weight' } } } });
    // An unknown variable whose steps fit nothing: no hover.
    expect((await decideFor(first('foo.bar[3].baz', 'baz'))).decision).toEqual({ kind: 'none' });
    // A variable named like a model never falls through to other models.
    expect((await decideFor(first('mlp.layers[0].self_attn.q_proj.weight', 'weight'))).decision).toEqual({ kind: 'none' });
  });

  it('resolves bare keys through the bound models, else every model that has them', async () => {
    const key = first("# ('0.block 1.0.bias', torch.Size([8]))", 'bias');
    expect(key.kind).toBe('key');
    const bound = await decideFor(key, new Map([['rg', 'rgnet.safetensors']]));
    expect(bound).toMatchObject({ basis: 'binding', decision: { kind: 'one', match: { model: { id: 'rgnet.safetensors' } } } });
    const unbound = await decideFor(key);
    expect(unbound.basis).toBe('key');
    // Every rgnet file holds this key with the same bytes.
    expect(unbound.decision).toMatchObject({ kind: 'one', same: 'values' });
    // A bound model without the key does not stop the search; several different models are ambiguous.
    const weight = await decideFor(first("'0.weight'", '0'), new Map([['rg', 'rgnet.pt']]));
    expect(weight).toMatchObject({ basis: 'key', decision: { kind: 'ambiguous' } });
    expect((await decideFor(first("'no.such.key'", 'such'))).decision).toEqual({ kind: 'none' });
  });
});
