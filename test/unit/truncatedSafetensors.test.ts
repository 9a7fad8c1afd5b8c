// Interrupted downloads: a safetensors file (or a shard) cut short inside its data section shows the
// tensors that are intact, with values equal to torch's, and says what is missing.
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/formatReader';
import { readSafetensorsHeader } from '../../src/formats/safetensors/safetensorsReader';
import type { ModelIndex } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { FileByteSource, MemoryByteSource, type ByteSource } from '../../src/runtime/byteSource';
import { readValues } from '../../src/runtime/readValues';
import { safetensorsBytes } from './builders';
import { FIXTURES, expected, expectedNumber, type ExpectedTensor } from './fixtureFiles';
import { tempFile } from './tempFiles';

const NET = 'models/net.safetensors';
const netBytes = readFileSync(join(FIXTURES, NET));
/** Where net.safetensors' data section starts: 8 + its header length. */
const dataStart = 8 + Number(netBytes.readBigUInt64LE(0));
/** net.safetensors' data bytes (torch's state_dict of Linear(4,8)/ReLU/Linear(8,1), float32). */
const dataBytes = netBytes.length - dataStart;

async function openError(path: string): Promise<Error> {
  const err = await openModel(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FormatError);
  return err as Error;
}

/** Every listed tensor has torch's name, dtype, shape, access path and values, bit-exact. */
async function expectTorchTensors(index: ModelIndex, rel: string, names: string[]): Promise<void> {
  expect(index.tensors.map((t) => t.name)).toEqual(names);
  const torch = expected.files[rel]!.tensors;
  for (const t of index.tensors) {
    const exp = torch.find((x) => x.name === t.name)!;
    expect({ dtype: t.dtype, shape: t.shape, path: t.path }).toEqual({ dtype: exp.dtype, shape: exp.shape, path: exp.path });
    const src = await FileByteSource.open(t.location.file);
    try {
      const ours = await readValues(src, t, { count: t.count });
      const want = exp.values!.map(expectedNumber);
      const mismatch = want.findIndex((v, i) => !Object.is(v, ours[i]));
      expect(mismatch, `${t.name}[${mismatch}]: ours ${ours[mismatch]}, torch ${want[mismatch]}`).toBe(-1);
    } finally {
      await src.close();
    }
  }
  const count = (n: string): number => torch.find((x) => x.name === n)!.shape.reduce((a, b) => a * b, 1);
  expect(index.totalParameters).toBe(names.reduce((a, n) => a + count(n), 0));
}

describe('safetensors cut short inside the data section (torch-made net.safetensors)', () => {
  // net.safetensors' data section: 0.weight [0, 128), 0.bias [128, 160), 2.weight [160, 192), 2.bias [192, 196).
  it('is laid out as these cases assume', () => {
    expect(dataBytes).toBe(196);
    expect(expected.files[NET]!.tensors.map((t) => t.name)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it.each([
    ['inside a later tensor (2.weight)', 170, ['0.weight', '0.bias'], 'file is cut short: 170 of 196 data bytes present; 2 tensors missing: 2.weight, 2.bias'],
    ['exactly at a tensor boundary (after 0.weight)', 128, ['0.weight'], 'file is cut short: 128 of 196 data bytes present; 3 tensors missing: 0.bias, 2.weight, 2.bias'],
    ['exactly at a tensor boundary (after 0.bias)', 160, ['0.weight', '0.bias'], 'file is cut short: 160 of 196 data bytes present; 2 tensors missing: 2.weight, 2.bias'],
    ['one byte short', 195, ['0.weight', '0.bias', '2.weight'], 'file is cut short: 195 of 196 data bytes present; 1 tensor missing: 2.bias'],
  ])('cut %s: the intact tensors are listed with torch values, and one warning names the rest', async (_what, kept, names, warning) => {
    const index = await openModel(tempFile(`net.cut${kept}.safetensors`, netBytes.subarray(0, dataStart + kept)));
    expect(index.format).toBe('safetensors');
    expect(index.warnings).toEqual([warning]);
    expect(index.metadata).toEqual({ format: 'pt' });
    await expectTorchTensors(index, NET, names);
  });

  it('the whole file reads without a warning (control case)', async () => {
    const index = await openModel(join(FIXTURES, NET));
    expect(index.warnings).toEqual([]);
    await expectTorchTensors(index, NET, ['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it.each([
    ['inside the first tensor', 100],
    ['right after the header (no data at all)', 0],
  ])('cut %s: no tensor is intact, a clear error', async (_what, kept) => {
    const err = await openError(tempFile(`net.first${kept}.safetensors`, netBytes.subarray(0, dataStart + kept)));
    expect(err.message).toContain(`the file is cut short: ${kept} of 196 data bytes present, and no tensor is whole (the first, 0.weight, needs data bytes 0 to 128)`);
  });

  it.each([
    ['inside its JSON', 200, /the file is truncated: its JSON header needs bytes 8 to 296, but the file has only 200 bytes/],
    ['inside its length prefix', 5, /too small|not a recognised model file/],
  ])('a header cut %s stays an error', async (_what, kept, message) => {
    const err = await openError(tempFile(`net.header${kept}.safetensors`, netBytes.subarray(0, kept)));
    expect(err.message).toMatch(message);
  });

  it('broken/net.truncated90.safetensors (make_fixtures.py: 90% of the file) lists 0.weight with torch values', async () => {
    const rel = 'models/broken/net.truncated90.safetensors';
    const info = expected.broken[rel]!;
    expect(info.cutInside).toBe('data');
    const present = info.bytes - info.headerBytes!;
    const index = await openModel(join(FIXTURES, rel));
    expect(index.warnings).toEqual([`file is cut short: ${present} of 196 data bytes present; 3 tensors missing: 0.bias, 2.weight, 2.bias`]);
    expect(index.rootName).toBe('net');
    await expectTorchTensors(index, NET, ['0.weight']);
  });
});

describe('safetensors cut short: hermetic headers', () => {
  const f32 = (begin: number, n = 1) => ({ dtype: 'F32', shape: [n], data_offsets: [begin, begin + 4 * n] });

  it('names the first three missing tensors in data order and counts the rest', async () => {
    // Header order differs from data order; the warning follows the data.
    const header = { e: f32(16), a: f32(0), d: f32(12), c: f32(8), b: f32(4) };
    const index = await openModel(tempFile('five.safetensors', safetensorsBytes(header, new Uint8Array(4))));
    expect(index.tensors.map((t) => t.name)).toEqual(['a']);
    expect(index.warnings).toEqual(['file is cut short: 4 of 20 data bytes present; 4 tensors missing: b, c, d, …']);
  });

  it('reads nothing past the header, whatever the offsets claim, and says so in grouped digits', async () => {
    // An astronomically long byte tensor "after" the data: its shape matches its span, so the header
    // is valid; it is left out without a read or an allocation.
    const huge = 2 ** 52;
    const file = safetensorsBytes({ a: f32(0), big: { dtype: 'U8', shape: [huge], data_offsets: [4, 4 + huge] } }, new Uint8Array(4));
    const reads: Array<[number, number]> = [];
    const mem = new MemoryByteSource(file, 'big.safetensors');
    const src: ByteSource = { name: mem.name, size: mem.size, slice: (o, l) => mem.slice(o, l), read: (o, l) => (reads.push([o, l]), mem.read(o, l)) };
    const t0 = performance.now();
    const header = await readSafetensorsHeader(src);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(reads.every(([o, l]) => o + l <= file.length - 4)).toBe(true);
    expect(header.tensors.map((t) => t.name)).toEqual(['a']);
    expect(header.truncation).toEqual({ presentBytes: 4, expectedBytes: 4 + huge, missing: ['big'] });
    const index = await openModel(tempFile('big.safetensors', file));
    expect(index.warnings).toEqual(['file is cut short: 4 of 4,503,599,627,370,500 data bytes present; 1 tensor missing: big']);
  });

  it('still refuses a header with a bad entry, even one past the end of the file', async () => {
    const header = { a: f32(0), b: { dtype: 'F32', shape: [3], data_offsets: [4, 12] } };
    const err = await openError(tempFile('badpast.safetensors', safetensorsBytes(header, new Uint8Array(4))));
    expect(err.message).toMatch(/tensor 'b': shape \[3\] of F32 needs 12 bytes but data_offsets span 8/);
    const reversed = { a: f32(0), b: { dtype: 'F32', shape: [0], data_offsets: [12, 8] } };
    expect((await openError(tempFile('reversed.safetensors', safetensorsBytes(reversed, new Uint8Array(4))))).message).toMatch(/tensor 'b': bad data_offsets \[12,8\]/);
  });

  it('a file whose only tensor lies past its end is a clear error', async () => {
    const err = await openError(tempFile('only.safetensors', safetensorsBytes({ a: f32(0, 4) }, new Uint8Array(8))));
    expect(err.message).toMatch(/only\.safetensors: the file is cut short: 8 of 16 data bytes present, and no tensor is whole \(the first, a, needs data bytes 0 to 16\)$/);
  });
});

describe('sharded safetensors with a missing or cut shard (torch-made sharded rgnet)', () => {
  const REL = 'models/sharded/model.safetensors.index.json';
  /** make_fixtures.py records the shard of each tensor as `file`. */
  const tensors = expected.files[REL]!.tensors as Array<ExpectedTensor & { file: string }>;
  const [SHARD1, SHARD2] = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const namesIn = (shard: string): string[] => tensors.filter((t) => t.file === shard).map((t) => t.name);
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  /** A copy of test/fixtures/models/sharded/ to break. */
  function copy(): string {
    const dir = mkdtempSync(join(tmpdir(), 'paramscope-sharded-'));
    dirs.push(dir);
    cpSync(join(FIXTURES, 'models/sharded'), dir, { recursive: true });
    return dir;
  }
  /** Data bytes where shard `file` starts its data section, and its header's offsets by name. */
  function layout(file: string): { dataStart: number; offsets: Map<string, [number, number]> } {
    const b = readFileSync(join(FIXTURES, 'models/sharded', file));
    const n = Number(b.readBigUInt64LE(0));
    const h = JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets: [number, number] }>;
    return { dataStart: 8 + n, offsets: new Map(Object.entries(h).filter(([k]) => k !== '__metadata__').map(([k, v]) => [k, v.data_offsets])) };
  }

  it('one shard deleted: the other shard is listed with torch values, one warning names the missing shard', async () => {
    const dir = copy();
    rmSync(join(dir, SHARD2));
    const index = await openModel(join(dir, 'model.safetensors.index.json'));
    const missing = namesIn(SHARD2);
    expect(missing.length).toBe(9);
    expect(index.warnings).toEqual([`shard ${SHARD2} cannot be read (the file does not exist); 9 tensors of weight_map missing: ${missing.slice(0, 3).join(', ')}, …`]);
    expect(index.format).toBe('safetensors-sharded');
    await expectTorchTensors(index, REL, namesIn(SHARD1));
  });

  it('one shard cut inside its data: its intact tensors and the other shard are listed', async () => {
    const dir = copy();
    const { dataStart: start, offsets } = layout(SHARD1);
    // Cut inside the third tensor of the first shard.
    const names1 = namesIn(SHARD1);
    const [b3, e3] = offsets.get(names1[2]!)!;
    truncateSync(join(dir, SHARD1), start + b3 + (e3 - b3) / 2);
    const intact = names1.filter((n) => offsets.get(n)![1] <= b3 + (e3 - b3) / 2);
    expect(intact).toEqual(names1.slice(0, 2));
    const missing = names1.slice(2);
    const expectedData = Math.max(...[...offsets.values()].map(([, e]) => e));
    const index = await openModel(join(dir, 'model.safetensors.index.json'));
    expect(index.warnings).toEqual([
      `shard ${SHARD1} is cut short: ${b3 + (e3 - b3) / 2} of ${expectedData} data bytes present; ${missing.length} tensors of weight_map missing: ${missing.slice(0, 3).join(', ')}, …`,
    ]);
    await expectTorchTensors(index, REL, [...intact, ...namesIn(SHARD2)]);
  });

  it('one shard cut inside its header: unreadable, with the reason; the other is listed', async () => {
    const dir = copy();
    truncateSync(join(dir, SHARD1), 500);
    const index = await openModel(join(dir, 'model.safetensors.index.json'));
    const missing = namesIn(SHARD1);
    const headerEnd = layout(SHARD1).dataStart;
    expect(index.warnings).toEqual([
      `shard ${SHARD1} cannot be read (the file is truncated: its JSON header needs bytes 8 to ${headerEnd}, but the file has only 500 bytes); ${missing.length} tensors of weight_map missing: ${missing.slice(0, 3).join(', ')}, …`,
    ]);
    await expectTorchTensors(index, REL, namesIn(SHARD2));
  });

  it('no shard readable: an error, as before', async () => {
    const dir = copy();
    rmSync(join(dir, SHARD1));
    truncateSync(join(dir, SHARD2), layout(SHARD2).dataStart + 8); // inside its first tensor
    const err = await openError(join(dir, 'model.safetensors.index.json'));
    expect(err.message).toMatch(new RegExp(`model\\.safetensors\\.index\\.json: cannot open shard ${SHARD1.replace(/\./g, '\\.')}: ENOENT`));
  });

  it('a whole shard that lacks a tensor weight_map promises is still an error', async () => {
    const dir = copy();
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    index.weight_map['0.block 9.weight'] = SHARD2;
    const path = join(dir, 'lying.safetensors.index.json');
    writeFileSync(path, JSON.stringify(index));
    const err = await openError(path);
    expect(err.message).toMatch(new RegExp(`weight_map puts '0\\.block 9\\.weight' in ${SHARD2.replace(/\./g, '\\.')}, which does not contain it`));
  });
});
