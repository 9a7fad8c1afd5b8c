// The GGUF reader against every malformed file of test/fixtures/gguf/bad (gen/make_bad_gguf.py:
// valid files with one field changed or cut short, each with what ggml and gguf-py made of it).
// ggml's gguf_init_from_file is the reference for what is invalid. Our rule on top of it: a problem
// with the header, the metadata or the layout of the tensor infos refuses the file with a FormatError
// naming the file and what is wrong; a problem of one tensor (its type, dimensions, offset) leaves
// that tensor out with a warning and the others open intact; where ggml accepts, we accept.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelIndex } from '../../src/core/modelIndex';
import { FormatError } from '../../src/formats/formatReader';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { readValues } from '../../src/runtime/readValues';
import { bundleCli, runCli } from './cliProcess';

const DIR = join(__dirname, '../fixtures/gguf');

interface BadCase {
  file: string;
  base: string;
  what: string;
  expect: string;
  ggml: { accepted: boolean; log?: string[] };
}
const { cases } = JSON.parse(readFileSync(join(DIR, 'bad/cases.json'), 'utf8')) as { cases: BadCase[] };

/** "No hang": every bad file ends, one way or the other, well inside a second. */
const MAX_MS = 1000;
/** Resident memory an open may add: a 2^61 count must never become an allocation. */
const MAX_RSS_GROWTH = 200 * 2 ** 20;

/** Refused: the FormatError's message (after "<file>: ") says this. */
interface Refused {
  refused: RegExp;
}
/** Opened: these tensors, intact (as in the base file), and warnings saying these (none when empty). */
interface Opened {
  tensors: string[];
  /** Tensors whose info the mutation changed (an empty shape): not compared with the base file. */
  changed?: string[];
  warnings: RegExp[];
}
type Verdict = Refused | Opened;

/**
 * Our verdict on each case, with why where it differs from the case's `expect` column. Every case of
 * cases.json must be here and every row must be a case.
 */
const VERDICTS: Record<string, Verdict> = {
  'bad/alignment-48.gguf': { refused: /^general\.alignment is 48, not a power of two$/ },
  'bad/alignment-0.gguf': { refused: /^general\.alignment is 0, not a power of two$/ },
  'bad/alignment-wrong-type.gguf': { refused: /^general\.alignment is stored as int32; ggml requires a uint32$/ },
  'bad/magic.gguf': { refused: /^not a GGUF file: it starts with 'GGUX', not GGUF$/ },
  'bad/version-4.gguf': { refused: /^GGUF version 4 is not supported: ParamScope reads versions 2 and 3$/ },
  'bad/version-1.gguf': { refused: /^GGUF version 1 \(32-bit counts, 2023\) is not supported/ },
  'bad/tensor-count-huge.gguf': { refused: /^the tensor count is 4611686018427387904, but only 2224 bytes are left in the file$/ },
  'bad/tensor-count-max.gguf': { refused: /^the tensor count is 18446744073709551615, but only 2224 bytes are left/ },
  'bad/kv-count-huge.gguf': { refused: /^the metadata count is 4611686018427387904, but only 2216 bytes are left/ },
  'bad/key-length-2p63.gguf': { refused: /^the length of metadata key 0 is 9223372036854775808, but only 2208 bytes are left/ },
  'bad/string-length-2p63.gguf': { refused: /^the length of metadata general\.architecture is 9223372036854775808, but only 2176 bytes/ },
  'bad/string-length-past-end.gguf': { refused: /^the length of metadata general\.architecture is 2240, but only 2176 bytes are left/ },
  'bad/array-count-huge.gguf': { refused: /^the length of metadata test\.arr_int32 is 2305843009213693952, but only 1556 bytes/ },
  'bad/value-type-13.gguf': { refused: /^metadata test\.uint8 has unknown value type 13$/ },
  'bad/array-item-type-13.gguf': { refused: /^the item type of metadata test\.arr_uint8 has unknown value type 13$/ },
  'bad/duplicate-key.gguf': { refused: /^metadata key test\.int32 appears twice \(ggml refuses such a file\)$/ },
  // ggml accepts (any non-zero byte is true), so we open it, and say what we read.
  'bad/bool-2.gguf': { tensors: ['a', 'b', 'c'], warnings: [/^metadata test\.bool_true is a bool stored as byte 2 \(GGUF bools are 0 or 1\); read as true/] },
  // n_dims 5 misreads every field after it: the tensor infos cannot be parsed on.
  'bad/n-dims-5.gguf': { refused: /^tensor a has 5 dimensions; ggml allows at most 4$/ },
  // The last tensor's info is misread (its dim becomes its type, Q5_1); ggml refuses that tensor's
  // rows, so do we, for that tensor only: a and b come before it and are intact.
  'bad/n-dims-0.gguf': { tensors: ['a', 'b'], warnings: [/^tensor c is left out: its rows of 1 are not whole Q5_1 blocks of 32$/] },
  // An empty tensor is valid; what ggml refuses is b's offset after it, so b and c open with a warning.
  'bad/dim-zero.gguf': { tensors: ['a', 'b', 'c'], changed: ['a'], warnings: [/^tensor b starts at data offset 64, where ggml expects 0 \(after tensor a\); llama\.cpp refuses/] },
  'bad/dim-zero-last.gguf': { tensors: ['a', 'b', 'c'], changed: ['c'], warnings: [] },
  // Dimensions are one tensor's problem (the infos after it still parse): that tensor is left out.
  'bad/dims-overflow.gguf': { tensors: ['b', 'c'], warnings: [/^tensor a is left out: its dimensions \[4611686018427387904, 4611686018427387904\] multiply to 21267647932558653966460912964485513216 elements, more than ggml allows \(2\^63 - 1\)$/] },
  'bad/dims-overflow-positive.gguf': { tensors: ['b', 'c'], warnings: [/^tensor a is left out: its dimensions \[4294967297, 4294967297\] multiply to 18446744082299486209 elements, more than ggml allows/] },
  'bad/dims-overflow-last.gguf': { tensors: ['t'], warnings: [/^tensor u is left out: its dimensions \[4611686018427387904, 4611686018427387904\] multiply to/] },
  'bad/dim-negative.gguf': { tensors: ['b', 'c'], warnings: [/^tensor a is left out: dimension 0 is -5 \(negative as a signed 64-bit number\)$/] },
  // A type id is one tensor's problem: that tensor is left out, the warning names the id.
  'bad/type-99.gguf': { tensors: ['a', 'c'], warnings: [/^tensor b \(\[1, 3\]\) is left out: ggml type 99 is not one this version of ParamScope knows$/] },
  'bad/type-4-removed.gguf': { tensors: ['a', 'c'], warnings: [/^tensor b is left out: ggml type 4 \(Q4_2\) was removed from ggml/] },
  'bad/type-43.gguf': { tensors: ['a', 'c'], warnings: [/^tensor b \(\[1, 3\]\) is left out: ggml type 43 is not one this version of ParamScope knows$/] },
  'bad/offset-past-end.gguf': { tensors: ['a', 'b'], warnings: [/^tensor c is left out: its data offset 1099511627776 is past the end of the file/] },
  // A misaligned offset is corruption (no writer makes one; the bytes there are not b's): b is left out.
  'bad/offset-misaligned.gguf': { tensors: ['a', 'c'], warnings: [/^tensor b is left out: its data offset 65 is not a multiple of general\.alignment \(64\), as ggml requires$/] },
  // c is out of sequence and inside a's bytes: c's offset is the wrong one, so c is left out.
  'bad/offset-overlap.gguf': { tensors: ['a', 'b'], warnings: [/^tensor c is left out: its bytes overlap those of tensor a \(ggml expects it at data offset 128\)$/] },
  // The second "a" is left out; the first and c open.
  'bad/duplicate-tensor.gguf': { tensors: ['a', 'c'], warnings: [/^tensor a appears twice; the first is shown$/] },
  'bad/tensor-name-length-huge.gguf': { refused: /^the length of the name of tensor 0 is 9223372036854775808, but only 328 bytes are left/ },
  'bad/q4_0-row-not-blocks.gguf': { tensors: ['t'], warnings: [/^tensor u is left out: its rows of 48 are not whole Q4_0 blocks of 32$/] },
  'bad/truncated-header.gguf': { refused: /^20 bytes is too small for a GGUF header$/ },
  'bad/truncated-kv.gguf': { refused: /^the length of metadata test\.string is 34, but only 3 bytes are left in the file$/ },
  'bad/truncated-tensor-info.gguf': { refused: /^the file ends inside tensor b \(needs 8 bytes at offset 1958, 4 left\)$/ },
  // Only the padding after c is cut (ggml reads it, so ggml refuses): every tensor is intact.
  'bad/truncated-data.gguf': { tensors: ['a', 'b', 'c'], warnings: [/^the file ends at byte 2200, inside the padding after its last tensor \(ggml expects 2240 bytes\)/] },
  'bad/truncated-before-data.gguf': { refused: /^the file is cut short: it ends at byte 2040, before its tensor data \(which starts at byte 2048\)$/ },
  'bad/empty.gguf': { refused: /^0 bytes is too small for a GGUF header$/ },
};

/** Every value of every tensor of a file, by name, read through the runtime as a view would. */
async function valuesOf(path: string, index: ModelIndex): Promise<Map<string, number[]>> {
  const src = await FileByteSource.open(path);
  try {
    const out = new Map<string, number[]>();
    for (const t of index.tensors) out.set(t.name, [...(await readValues(src, t, { start: 0, count: Number(t.count) }))]);
    return out;
  } finally {
    await src.close();
  }
}

interface Outcome {
  index?: ModelIndex;
  error?: unknown;
  ms: number;
  rssGrowth: number;
}

async function open(path: string): Promise<Outcome> {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  try {
    const index = await openModel(path);
    return { index, ms: performance.now() - t0, rssGrowth: process.memoryUsage().rss - rss0 };
  } catch (error) {
    return { error, ms: performance.now() - t0, rssGrowth: process.memoryUsage().rss - rss0 };
  }
}

describe('GGUF bad inputs (test/fixtures/gguf/bad/cases.json)', () => {
  const bases = new Map<string, { index: ModelIndex; values: Map<string, number[]> }>();
  beforeAll(async () => {
    for (const base of new Set(cases.map((c) => c.base))) {
      const path = join(DIR, base);
      const index = await openModel(path);
      bases.set(base, { index, values: await valuesOf(path, index) });
    }
  });

  it('has a verdict for every case and a case for every verdict', () => {
    expect(Object.keys(VERDICTS).sort()).toEqual(cases.map((c) => c.file).sort());
  });

  it.each(cases.map((c) => [c.file, c] as const))('%s', async (file, c) => {
    const path = join(DIR, file);
    const verdict = VERDICTS[file]!;
    const got = await open(path);
    expect(got.ms, `${file} took ${Math.round(got.ms)} ms`).toBeLessThan(MAX_MS);
    expect(got.rssGrowth, `${file} grew resident memory by ${got.rssGrowth} bytes`).toBeLessThan(MAX_RSS_GROWTH);
    if ('refused' in verdict) {
      // ggml refuses every file we refuse: we are never stricter than llama.cpp.
      expect(c.ggml.accepted, `${c.what}: ggml accepts it`).toBe(false);
      expect(got.index, `${c.what}: opened`).toBeUndefined();
      expect(got.error).toBeInstanceOf(FormatError);
      const message = (got.error as Error).message;
      expect(message.startsWith(`${path}: `), message).toBe(true);
      expect(message.slice(path.length + 2)).toMatch(verdict.refused);
      expect(message).not.toMatch(/\n/);
      return;
    }
    expect(got.error, `${c.what}: ${(got.error as Error | undefined)?.message}`).toBeUndefined();
    const index = got.index!;
    expect(index.format).toBe('gguf');
    expect(index.tensors.map((t) => t.name)).toEqual(verdict.tensors);
    expect(index.warnings.length, index.warnings.join('\n')).toBe(verdict.warnings.length);
    for (const w of verdict.warnings) expect(index.warnings.some((got) => w.test(got)), `${w} in ${index.warnings.join('\n')}`).toBe(true);
    // Each tensor that opened is the base file's tensor: same type, shape and values.
    const base = bases.get(c.base)!;
    const values = await valuesOf(path, index);
    for (const t of index.tensors) {
      if (verdict.changed?.includes(t.name)) {
        expect(Number(t.count), t.name).toBe(0);
        continue;
      }
      const want = base.index.tensors.find((b) => b.name === t.name)!;
      expect([t.dtype, t.shape], t.name).toEqual([want.dtype, want.shape]);
      expect(values.get(t.name), t.name).toEqual(base.values.get(t.name));
    }
  });
});

/** A little-endian GGUF v3 file: metadata as raw (type, value bytes) pairs, tensor infos, data. */
function buildGguf(kvs: Array<[string, number, Uint8Array]>, tensors: Array<{ name: string; ne: bigint[]; type: number; offset: bigint }>, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const parts: Uint8Array[] = [];
  const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
  const u64 = (v: bigint): Uint8Array => new Uint8Array(new BigUint64Array([v]).buffer);
  const str = (s: string): Uint8Array[] => [u64(BigInt(Buffer.byteLength(s))), new Uint8Array(Buffer.from(s))];
  parts.push(new Uint8Array(Buffer.from('GGUF')), u32(3), u64(BigInt(tensors.length)), u64(BigInt(kvs.length)));
  for (const [key, type, value] of kvs) parts.push(...str(key), u32(type), value);
  for (const t of tensors) parts.push(...str(t.name), u32(t.ne.length), ...t.ne.map(u64), u32(t.type), u64(t.offset));
  const header = Buffer.concat(parts);
  const start = Math.ceil(header.length / 32) * 32;
  const out = new Uint8Array(start + Math.ceil(data.length / 32) * 32); // padded after the data, as writers do
  out.set(header);
  out.set(data, start);
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'paramscope-gguf-bad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
async function openBytes(name: string, bytes: Uint8Array): Promise<Outcome> {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return open(path);
}

describe('GGUF bad inputs beyond cases.json (hermetic)', () => {
  const base = readFileSync(join(DIR, 'metadata.gguf'));
  /** metadata.gguf with tensor c's data offset (at byte 2011, see bad/offset-overlap) set to `v`. */
  const withOffsetOfC = (v: bigint): Uint8Array => {
    const b = Uint8Array.from(base);
    new DataView(b.buffer).setBigUint64(2011, v, true);
    return b;
  };

  it('an offset one alignment step too far: c would run past the end, so c is left out and a, b open', async () => {
    const got = await openBytes('c-offset-192.gguf', withOffsetOfC(192n));
    expect(got.index!.tensors.map((t) => t.name)).toEqual(['a', 'b']);
    expect(got.index!.warnings).toEqual(['tensor c is left out: its 14 bytes at data offset 192 run past the end of the file (192 bytes of tensor data)']);
  });

  it('a download cut inside the last tensor says the file is cut short (the offsets are right)', async () => {
    const got = await openBytes('cut-2180.gguf', base.subarray(0, 2180));
    expect(got.index!.tensors.map((t) => t.name)).toEqual(['a', 'b']);
    expect(got.index!.warnings).toEqual(['file is cut short: 1 tensor missing: c']);
  });

  it('a dimension past 2^53 beside a zero one (no elements) is left out: shapes stay exact (found by the fuzzer, seed 4242, mutant 50074)', async () => {
    const data = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const got = await openBytes('huge-dim.gguf', buildGguf([], [{ name: 'z', ne: [243194379878137860n, 0n], type: 0, offset: 0n }, { name: 'a', ne: [2n], type: 0, offset: 0n }], data));
    expect(got.index!.tensors.map((t) => [t.name, t.shape])).toEqual([['a', [2]]]);
    expect(got.index!.warnings).toEqual(['tensor z is left out: dimension 0 is 243194379878137860, past 2^53 - 1, the largest ParamScope keeps exactly']);
  });

  it('a refusal quotes at most 200 characters of a hostile tensor name, escaped by the CLI only', async () => {
    const name = `x\n${'y'.repeat(100_000)}`;
    const got = await openBytes('long-name.gguf', buildGguf([], [{ name, ne: [1n, 1n, 1n, 1n, 1n], type: 0, offset: 0n }], new Uint8Array(64)));
    expect(got.error).toBeInstanceOf(FormatError);
    const message = (got.error as Error).message;
    expect(message.length).toBeLessThan(500);
    expect(message).toMatch(/: tensor x\ny{198}… has 5 dimensions; ggml allows at most 4$/);
  });

  it('several bools stored as 2: one warning counting them, every one read as true', async () => {
    const arr = Buffer.concat([new Uint8Array(new Uint32Array([7]).buffer), new Uint8Array(new BigUint64Array([4n]).buffer), Uint8Array.from([2, 0, 3, 1])]);
    const got = await openBytes('bools.gguf', buildGguf([['b', 9, arr], ['c', 7, Uint8Array.from([255])]], []));
    expect(got.index!.warnings).toEqual(['metadata b and 2 more bools are stored as bytes other than 0 or 1 (first: 2); read as true, as ggml does']);
    expect(got.index!.metadata?.['b']).toMatchObject({ items: [true, false, true, true] });
    expect(got.index!.metadata?.['c']).toBe(true);
  });

  it('arrays nested 9 deep are refused before they are recursed into', async () => {
    const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
    const u64 = (v: bigint): Uint8Array => new Uint8Array(new BigUint64Array([v]).buffer);
    const nested = Buffer.concat(Array.from({ length: 10 }, () => [u32(9), u64(1n)]).flat());
    const got = await openBytes('deep.gguf', buildGguf([['deep', 9, Buffer.concat([nested, new Uint8Array(64)])]], []));
    expect(got.error).toBeInstanceOf(FormatError);
    expect((got.error as Error).message).toMatch(/: metadata deep nests arrays more than 8 deep$/);
    expect(got.ms).toBeLessThan(MAX_MS);
  });
});

describe('paramscope inspect on bad GGUF files', () => {
  let cli = '';
  beforeAll(async () => {
    cli = await bundleCli();
  });

  it.each([
    ['bad/string-length-2p63.gguf', /the length of metadata general\.architecture is 9223372036854775808/],
    ['bad/version-1.gguf', /GGUF version 1 .* is not supported/],
    ['bad/truncated-before-data.gguf', /the file is cut short/],
  ])('%s: one line on stderr naming the file, exit 1, no stack trace', (file, message) => {
    const r = runCli(cli, 'inspect', join(DIR, file));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(`paramscope: ${join(DIR, file)}: `), r.stderr).toBe(true);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('a broken tensor is a warning line: the rest is listed and the exit is 0', () => {
    const r = runCli(cli, 'inspect', join(DIR, 'bad/type-99.gguf'), '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('warning: tensor b ([1, 3]) is left out: ggml type 99 is not one this version of ParamScope knows\n');
    expect(JSON.parse(r.stdout).parameters.map((p: { name: string }) => p.name)).toEqual(['a', 'c']);
  });
});
