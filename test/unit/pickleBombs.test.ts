import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/formatReader';
import { decodeLong, MAX_INT_LITERAL_BYTES } from '../../src/formats/pickle/literals';
import { MAX_MEMO_ENTRIES, MAX_STACK_ITEMS } from '../../src/formats/pickle/unpickler';
import { MAX_NESTING_DEPTH } from '../../src/formats/pickle/values';
import { MAX_TREE_DEPTH } from '../../src/model/buildIndex';
import type { ModelIndex } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { printModuleTree } from '../../src/model/printTree';
import { PickleBuilder, safetensorsBytes, torchZip } from './builders';
import { tempFile } from './tempFiles';
import { cpuMs } from './cpuClock';

// Opcodes the builder has no method for.
const BININT1 = 0x4b;
const MEMOIZE = 0x94;
const NONE = 0x4e;
const EMPTY_LIST = 0x5d;
const EMPTY_DICT = 0x7d;
const APPEND = 0x61;
const MARK = 0x28;
const TUPLE = 0x74;

async function timedOpen(name: string, bytes: Uint8Array): Promise<{ index?: ModelIndex; error?: Error; ms: number }> {
  const t0 = cpuMs();
  try {
    const index = await openModel(tempFile(name, bytes));
    return { index, ms: cpuMs() - t0 };
  } catch (e) {
    return { error: e as Error, ms: cpuMs() - t0 };
  }
}

async function expectRefused(name: string, bytes: Uint8Array, message: RegExp): Promise<void> {
  const r = await timedOpen(name, bytes);
  expect(r.error).toBeInstanceOf(FormatError);
  expect(r.error!.message).toMatch(message);
  expect(r.error!.message).not.toMatch(/Maximum call stack|Map maximum size/);
  expect(r.ms).toBeLessThan(1000);
}

/** The shift-per-byte decoder literals.ts had: the reference for the linear one. */
function referenceLong(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b.length > 0 && b[b.length - 1]! & 0x80) v -= 1n << BigInt(b.length * 8);
  return v;
}

describe('a shared object is walked once, however many references reach it', () => {
  it('one tensor beside 10,000 references to a million-item list opens in well under a second', async () => {
    const b = new PickleBuilder().emptyList().floatTensor('0', 1).append();
    b.emptyList().op(MEMOIZE).mark();
    for (let i = 0; i < 1_000_000; i++) b.op(BININT1).op(i & 0x7f);
    b.appends().append().mark();
    for (let i = 0; i < 9_999; i++) b.get(0);
    const pkl = b.appends().stop();
    expect(pkl.length).toBeGreaterThan(2_000_000);
    const r = await timedOpen('sharedlist.pt', torchZip(pkl, { '0': 1 }));
    expect(r.error).toBeUndefined();
    expect(r.ms).toBeLessThan(1000);
    expect(r.index!.tensors.map((t) => [t.name, t.path])).toEqual([['0', 'sharedlist[0]']]);
    // Every reference is listed as metadata, each the same bounded summary.
    expect(Object.keys(r.index!.metadata)).toHaveLength(10_000);
    expect(r.index!.metadata['1']).toBe(r.index!.metadata['10000']);
    expect((r.index!.metadata['1'] as unknown[]).at(-1)).toBe('… 999800 more');
  });
});

describe('integer literals decode in linear time and are bounded', () => {
  it('decodes like the shift-per-byte reference, positive and negative', () => {
    for (const bytes of [[], [0xff], [0x00, 0x80], [1, 0, 0, 0, 0, 0, 0, 0x80], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00], Array.from({ length: MAX_INT_LITERAL_BYTES }, (_, i) => (i * 37) & 0xff)]) {
      const b = Uint8Array.from(bytes);
      expect(BigInt(decodeLong(b))).toBe(referenceLong(b));
    }
    expect(decodeLong(Uint8Array.from([0xd2, 0x04]))).toBe(1234);
  });
  it('refuses a LONG4 of a million bytes at once', async () => {
    await expectRefused('long4.pt', torchZip(new PickleBuilder().long4(1_000_000).stop()), /integer literal of 1000000 bytes exceeds the 8192-byte limit/);
  });
  it('refuses a protocol-0 LONG of a million digits', async () => {
    const pkl = new PickleBuilder().rawBytes(new TextEncoder().encode(`L${'9'.repeat(1_000_000)}L\n`)).stop();
    await expectRefused('long0.pt', torchZip(pkl), /integer literal of 1000000 bytes exceeds/);
  });
});

describe('memo and stack caps bite early, with their own messages', () => {
  it(`refuses a pickle that memoizes more than ${MAX_MEMO_ENTRIES} values`, async () => {
    const pkl = new PickleBuilder(4).op(NONE).repeat(MEMOIZE, MAX_MEMO_ENTRIES + 10).stop();
    await expectRefused('memo.pt', torchZip(pkl), /the pickle memo needs more than 4194304 entries/);
  });
  it('refuses sparse memo indices past their own cap', async () => {
    const b = new PickleBuilder().op(NONE);
    for (let i = 0; i <= 1 << 20; i++) b.put(2 * i + 1);
    await expectRefused('sparse.pt', torchZip(b.stop()), /the pickle memo skips indices more than 1048576 times/);
  });
  it(`refuses a pickle that keeps more than ${MAX_STACK_ITEMS} values on its stack`, async () => {
    await expectRefused('stack.pt', torchZip(new PickleBuilder(4).repeat(NONE, MAX_STACK_ITEMS + 10).stop()), /keeps more than 4194304 values on its stack/);
  });
});

describe(`nesting deeper than ${MAX_NESTING_DEPTH} levels is refused, not a stack overflow`, () => {
  const deep = /nests (values )?more than 1000 levels deep/;
  it('a million nested lists', async () => {
    await expectRefused('lists.pt', torchZip(new PickleBuilder().repeat(EMPTY_LIST, 1_000_000).repeat(APPEND, 999_999).stop()), deep);
  });
  it('a million nested dicts', async () => {
    const b = new PickleBuilder();
    for (let i = 0; i < 1_000_000; i++) b.op(EMPTY_DICT).op(BININT1).op(0);
    b.op(EMPTY_DICT);
    for (let i = 0; i < 1_000_000; i++) b.setitem();
    await expectRefused('dicts.pt', torchZip(b.stop()), deep);
  });
  it('a million nested MARKs (tuples)', async () => {
    await expectRefused('tuples.pt', torchZip(new PickleBuilder().repeat(MARK, 1_000_000).repeat(TUPLE, 1_000_000).stop()), deep);
  });
  it('a dict key that is a tuple nested 100,000 deep (built without marks)', async () => {
    const TUPLE1 = 0x85;
    const b = new PickleBuilder().emptyDict().emptyTuple().repeat(TUPLE1, 100_000).op(NONE).setitem();
    await expectRefused('tuplekey.pt', torchZip(b.stop()), deep);
  });
  it('a module tree nested past the limit (modules in _modules)', async () => {
    // Each level: a stub module whose __dict__ has _parameters {} and _modules {'m': <next>}.
    const b = new PickleBuilder();
    const levels = MAX_NESTING_DEPTH + 5;
    for (let i = 0; i < levels; i++) {
      b.global('torch.nn.modules.container', 'Sequential').emptyTuple().op(0x81); // NEWOBJ
      b.emptyDict().str('_parameters').emptyDict().setitem().str('_modules').emptyDict().str('m');
    }
    b.none();
    for (let i = 0; i < levels; i++) b.setitem().setitem().op(0x62); // SETITEM into _modules, into __dict__, BUILD
    // The innermost _modules value is None: every level above is a module.
    await expectRefused('modules.pt', torchZip(b.stop()), deep);
  });
  it('a tensor nested 900 lists deep still opens, with its path', async () => {
    const b = new PickleBuilder().repeat(EMPTY_LIST, 900).floatTensor('0', 2).repeat(APPEND, 900);
    const r = await timedOpen('deep900.pt', torchZip(b.stop(), { '0': 2 }));
    expect(r.error).toBeUndefined();
    expect(r.index!.tensors[0]!.path).toBe(`deep900${'[0]'.repeat(900)}`);
    expect(printModuleTree(r.index!).split('\n').length).toBeGreaterThan(900);
  });
  it(`a state_dict name of 100,000 dots keeps a tree of at most ${MAX_TREE_DEPTH} levels`, async () => {
    const name = `${'a.'.repeat(100_000)}w`;
    const r = await timedOpen('dots.safetensors', safetensorsBytes({ [name]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
    expect(r.error).toBeUndefined();
    expect(r.index!.tensors.map((t) => t.name)).toEqual([name]);
    let depth = 0;
    for (let n = r.index!.modules; n.children.length > 0; n = n.children[0]!) depth++;
    expect(depth).toBe(MAX_TREE_DEPTH - 1);
    expect(r.index!.modules.parameterCount).toBe(1);
    expect(printModuleTree(r.index!)).toContain('a.a.w: float32[1] = 1');
    expect(r.ms).toBeLessThan(1000);
  });
});

describe('150,000 tensors open correctly (no spread of an unbounded array into a call)', () => {
  const N = 150_000;
  it('a flat state_dict written in one SETITEMS batch', async () => {
    const b = new PickleBuilder().emptyDict().mark();
    // All under `model.`: its tree node holds 150,000 tensors (buildIndex spread them into push()).
    for (let i = 0; i < N; i++) b.str(`model.layer${i}.w`).tensorView('0', N * 2, 2 * i, [2], [1]);
    const r = await timedOpen('many.pt', torchZip(b.setitems().stop(), { '0': N * 2 }));
    expect(r.error).toBeUndefined();
    expect(r.index!.tensors).toHaveLength(N);
    expect(r.index!.tensors[N - 1]).toMatchObject({ name: `model.layer${N - 1}.w`, shape: [2], count: 2, path: `many['model.layer${N - 1}.w']` });
    expect(r.index!.tensors[N - 1]!.location.elementOffset).toBe(2 * (N - 1));
    expect(r.index!.totalParameters).toBe(2 * N);
    expect(r.index!.modules.parameterCount).toBe(2 * N);
    expect(r.index!.modules.children.map((c) => [c.name, c.parameterCount, c.children.length])).toEqual([['model', 2 * N, N]]);
    expect(r.ms).toBeLessThan(10_000);
  });
  it('a list of them appended in one APPENDS batch', async () => {
    const b = new PickleBuilder().emptyList().mark();
    for (let i = 0; i < N; i++) b.tensorView('0', N, i, [1], [1]);
    const r = await timedOpen('manylist.pt', torchZip(b.appends().stop(), { '0': N }));
    expect(r.error).toBeUndefined();
    expect(r.index!.tensors).toHaveLength(N);
    expect(r.index!.tensors[N - 1]).toMatchObject({ name: String(N - 1), path: `manylist[${N - 1}]` });
    expect(r.index!.totalParameters).toBe(N);
  });
});

describe('keys that print alike never give two tensors one name', () => {
  /** A dict of `keys` (each pushed by `push`) to 1-element views of storage '0' at offsets 0, 1, 2… */
  async function dictOf(name: string, keys: Array<(b: PickleBuilder) => void>, root?: (b: PickleBuilder) => void): Promise<ModelIndex> {
    const b = new PickleBuilder().emptyDict();
    if (root) root(b);
    b.mark();
    keys.forEach((push, i) => {
      push(b);
      b.tensorView('0', keys.length, i, [1], [1]);
    });
    const r = await timedOpen(name, torchZip(b.setitems().stop(), { '0': keys.length }));
    expect(r.error).toBeUndefined();
    return r.index!;
  }

  it("int 1 and str '1': distinct names, real keys in the paths, consistent counts", async () => {
    const index = await dictOf('sd.pt', [(b) => b.int(1), (b) => b.str('1')]);
    expect(index.tensors.map((t) => [t.name, t.path, t.location.elementOffset])).toEqual([
      ['1', 'sd[1]', 0],
      ['1#2', "sd['1']", 1],
    ]);
    expect(index.totalParameters).toBe(2);
    expect(index.modules.parameterCount).toBe(2);
    expect(new Set(index.modules.children.flatMap((c) => c.parameters).concat(index.modules.parameters))).toEqual(new Set(['1', '1#2']));
  });

  it('bool, None, float, tuple and big-int keys beside the str that prints the same', async () => {
    const keys: Array<(b: PickleBuilder) => void> = [
      (b) => b.true(),
      (b) => b.str('True'),
      (b) => b.none(),
      (b) => b.str('None'),
      (b) => b.binfloat(1.5),
      (b) => b.str('1.5'),
      (b) => b.int(1).int(2).op(0x86), // TUPLE2
      (b) => b.str('(1, 2)'),
      (b) => b.anyInt(2n ** 70n),
      (b) => b.str(String(2n ** 70n)),
    ];
    const index = await dictOf('k.pt', keys);
    expect(index.tensors.map((t) => [t.name, t.path])).toEqual([
      ['True', 'k[True]'],
      ['True#2', "k['True']"],
      ['None', 'k[None]'],
      ['None#2', "k['None']"],
      ['1.5', 'k[1.5]'],
      ['1.5#2', "k['1.5']"],
      ['(1, 2)', 'k[(1, 2)]'],
      ['(1, 2)#2', "k['(1, 2)']"],
      ['1180591620717411303424', 'k[1180591620717411303424]'],
      ['1180591620717411303424#2', "k['1180591620717411303424']"],
    ]);
    expect(new Set(index.tensors.map((t) => t.name)).size).toBe(keys.length);
    expect(index.totalParameters).toBe(keys.length);
  });

  it('1, 1.0 and True are one key, as in Python: the first key stays, the last value wins', async () => {
    const index = await dictOf('same.pt', [(b) => b.int(1), (b) => b.binfloat(1), (b) => b.true()]);
    expect(index.tensors.map((t) => [t.name, t.path, t.location.elementOffset])).toEqual([['1', 'same[1]', 2]]);
  });

  it('a key set twice by SETITEMS is one tensor (the last value)', async () => {
    const index = await dictOf('dup.pt', [(b) => b.str('w'), (b) => b.str('w')]);
    expect(index.tensors.map((t) => [t.name, t.location.elementOffset])).toEqual([['w', 1]]);
    expect(index.totalParameters).toBe(1);
  });

  it("'a.b' beside a → b: the dotted join would collide, the second gets #2", async () => {
    const b = new PickleBuilder().emptyDict().str('a.b').tensorView('0', 2, 0, [1], [1]).setitem();
    b.str('a').emptyDict().str('b').tensorView('0', 2, 1, [1], [1]).setitem().setitem();
    const r = await timedOpen('dots.pt', torchZip(b.stop(), { '0': 2 }));
    expect(r.index!.tensors.map((t) => [t.name, t.path])).toEqual([
      ['a.b', "dots['a.b']"],
      ['a.b#2', "dots['a']['b']"],
    ]);
    expect(r.index!.totalParameters).toBe(2);
  });
});
