// Malformed and hostile ONNX files, built byte by byte (no tool writes them): each must end in a
// clear FormatError or a per-tensor warning, within a second, reading only bounded windows. Also
// the sniff (never claims another format's file) and Debian's onnx test models (all open).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/formatReader';
import { onnxReader } from '../../src/formats/onnx/onnxReader';
import { MAX_GRAPH_DEPTH } from '../../src/formats/onnx/onnxGraph';
import { openModel } from '../../src/model/openModel';
import { MemoryByteSource, type ByteSource } from '../../src/runtime/byteSource';
import { unexpectedError } from '../fuzz/oracle';
import { cpuMs } from './cpuClock';

/** Protobuf's wire format, for writing what no writer would. */
const varint = (n: bigint | number): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(b | (v ? 0x80 : 0));
  } while (v);
  return out;
};
const bytes = (...parts: Array<number[] | Uint8Array | string>): number[] => parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : [...p]));
const int = (no: number, v: bigint | number): number[] => [...varint(no << 3), ...varint(v)];
const len = (no: number, ...payload: Array<number[] | string>): number[] => {
  const b = bytes(...payload);
  return [...varint((no << 3) | 2), ...varint(b.length), ...b];
};
const HEAD = [...int(1, 8), ...len(2, 'test')];
const OPSET = len(8, int(2, 17));
const f32 = (x: number): number[] => [...new Uint8Array(new Float32Array([x]).buffer)];
const tensor = (name: string, dims: Array<number | bigint>, extra: number[] = []): number[] => [...dims.flatMap((d) => int(1, d)), ...int(2, 1), ...len(8, name), ...extra];
const model = (graph: number[]): Uint8Array => new Uint8Array([...HEAD, ...len(7, graph), ...OPSET]);
const initializers = (...ts: number[][]): number[] => ts.flatMap((t) => len(5, t));
const ONE = tensor('one', [1], len(9, f32(1)));

/** Reads the model through a ByteSource that records the largest read. */
async function open(b: Uint8Array, ctx = { openSibling: (p: string): Promise<ByteSource> => Promise.reject(new Error(`no sibling ${p}`)) }) {
  let largest = 0;
  const mem = new MemoryByteSource(b, 'model.onnx');
  const src: ByteSource = { name: mem.name, size: mem.size, slice: (o, l) => mem.slice(o, l), read: (o, l) => ((largest = Math.max(largest, l)), mem.read(o, l)) };
  const t0 = cpuMs();
  const result = await onnxReader.open(src, ctx).then((r) => ({ r }), (e: unknown) => ({ e }));
  return { ...result, largest, ms: cpuMs() - t0 };
}

async function refused(b: Uint8Array, message: RegExp): Promise<void> {
  const got = await open(b);
  expect('e' in got, 'the file opened but should be refused').toBe(true);
  const e = (got as { e: unknown }).e;
  expect(e).toBeInstanceOf(FormatError);
  expect(unexpectedError(e)).toBeUndefined();
  expect((e as Error).message).toMatch(message);
  expect(got.ms).toBeLessThan(1000);
}

describe('ONNX reader on malformed and hostile input', () => {
  it('a length field of 2^62 is refused before any read of that size', async () => {
    const b = new Uint8Array([...HEAD, ...varint((7 << 3) | 2), ...varint(1n << 62n), 0, 0, 0]);
    await refused(b, /field 7 of the model at offset \d+ claims 4611686018427387904 bytes, but the file has 3 left/);
    const nested = model(len(5, [...varint((9 << 3) | 2), ...varint(1n << 40n), 1, 2]));
    await refused(nested, /claims 1099511627776 bytes, but its message has 2 left/);
  });

  it('a varint of more than 10 bytes, a cut varint, field number 0 and group wire types', async () => {
    await refused(new Uint8Array([...HEAD, ...varint(5 << 3), ...new Array(10).fill(0xff), 1]), /is a varint longer than 10 bytes/);
    await refused(new Uint8Array([...HEAD, ...varint(5 << 3), 0xff, 0xff]), /is cut short at offset/);
    await refused(new Uint8Array([...HEAD, 0x00, 0x01]), /has an invalid field number/);
    await refused(new Uint8Array([...HEAD, ...varint((7 << 3) | 3)]), /wire type 3 .* which ONNX never writes/);
  });

  it('known fields of the wrong wire type, and a model with no graph', async () => {
    await refused(new Uint8Array([...HEAD, ...int(7, 5)]), /graph at offset \d+ has wire type 0/);
    await refused(model([...int(5, 1)]), /has wire type 0, not the type its field is declared with/);
    await refused(model(initializers([...len(2, [1])])), /has wire type 2/);
    await refused(new Uint8Array([...HEAD, ...OPSET]), /the model has no graph/);
  });

  it('every cut of a real model is refused or opens, never an engine failure', async () => {
    const mlp = readFileSync(join(__dirname, '..', 'fixtures', 'onnx', 'mlp.onnx'));
    for (let cut = 1; cut < mlp.length; cut += 7) {
      const got = await open(mlp.subarray(0, cut));
      if ('e' in got) expect(unexpectedError(got.e), `cut at ${cut}`).toBeUndefined();
    }
  });

  it(`subgraphs nested 10^5 deep stop at MAX_GRAPH_DEPTH (${MAX_GRAPH_DEPTH}) with a warning; the rest of the file is read`, async () => {
    // Inside out: each level is a prefix of tags and lengths before the graph it holds (nothing after).
    const prefixes: number[][] = [];
    let inner = 0;
    for (let i = 0; i < 100_000; i++) {
      const attr = [...len(1, 'then_branch'), ...int(20, 5), ...varint((6 << 3) | 2), ...varint(inner)];
      const node = [...len(4, 'If'), ...varint((5 << 3) | 2), ...varint(attr.length + inner)];
      const level = [...varint((1 << 3) | 2), ...varint(node.length + attr.length + inner), ...node, ...attr];
      prefixes.push(level);
      inner += level.length;
    }
    const graph = new Uint8Array(inner);
    let at = 0;
    for (let i = prefixes.length - 1; i >= 0; i--) {
      graph.set(prefixes[i]!, at);
      at += prefixes[i]!.length;
    }
    const got = await open(model([...graph, ...initializers(ONE)]));
    expect('r' in got).toBe(true);
    const r = (got as { r: Awaited<ReturnType<typeof onnxReader.open>> }).r;
    expect(r.tensors.map((t) => t.name)).toEqual(['one']);
    expect(r.warnings.join('\n')).toMatch(new RegExp(`is nested more than ${MAX_GRAPH_DEPTH} graphs deep`));
    expect(got.ms).toBeLessThan(1000);
    expect(got.largest).toBeLessThanOrEqual(1 << 20);
  });

  it('a big raw_data is located, never read: every read stays within one window', async () => {
    const n = 4 << 20; // 16 MiB of float32, written around the zeros (no 16 MiB array of numbers)
    const head = [...int(1, n), ...int(2, 1), ...len(8, 'big'), ...varint((9 << 3) | 2), ...varint(n * 4)];
    const init = [...varint((5 << 3) | 2), ...varint(head.length + n * 4)];
    const one = len(5, ONE);
    const before = [...HEAD, ...varint((7 << 3) | 2), ...varint(init.length + head.length + n * 4 + one.length), ...init, ...head];
    const file = new Uint8Array(before.length + n * 4 + one.length + OPSET.length);
    file.set(before);
    file.set([...one, ...OPSET], before.length + n * 4);
    const got = await open(file);
    const r = (got as { r: Awaited<ReturnType<typeof onnxReader.open>> }).r;
    expect(r.tensors.map((t) => [t.name, t.location.storageBytes])).toEqual([['big', n * 4], ['one', 4]]);
    expect(got.largest).toBeLessThanOrEqual(1 << 20);
  });

  it('negative and absurd dims, data that does not match the shape, unsupported types: one warning each, the rest listed', async () => {
    const got = await open(
      model(
        initializers(
          tensor('neg', [2, -3], len(9, new Array(24).fill(0))),
          tensor('huge', [1n << 40n, 1n << 40n], len(9, f32(0))),
          tensor('short', [3], len(9, f32(0))),
          tensor('shortfloats', [3], len(4, [1, 2])),
          tensor('wrongfield', [1], len(5, [1])),
          [...int(1, 2), ...int(2, 99), ...len(8, 'future'), ...len(9, [0, 0])],
          [...int(1, 1), ...len(8, 'untyped'), ...len(9, [0])],
          tensor('unpacked', [2], [0x25, ...f32(1), 0x25, ...f32(2)]), // float_data, one tag per value
          tensor('empty', [0, 5]),
          ONE,
        ),
      ),
    );
    const r = (got as { r: Awaited<ReturnType<typeof onnxReader.open>> }).r;
    expect(r.tensors.map((t) => t.name)).toEqual(['empty', 'one']);
    expect(r.tensors[0]!.location.storageBytes).toBe(0);
    expect(r.warnings).toEqual([
      'tensor neg is left out: its dimension -3 is negative',
      'tensor huge is left out: its shape [1099511627776, 1099511627776] holds 1208925819614629174706176 elements, more than the file could store',
      'tensor short is left out: its raw_data holds 4 bytes, but 3 elements of FLOAT take 12',
      'tensor shortfloats is left out: its float_data holds 2 bytes, but 3 elements of FLOAT take 12',
      'tensor wrongfield is left out: its values are in int32_data, which does not hold FLOAT values',
      'tensor future is left out: unsupported type 99',
      'tensor untyped is left out: it has no data_type',
      'tensor unpacked is left out: its float_data is written unpacked or in pieces, which this reader does not read',
    ]);
  });

  it('varint fields are counted against the shape, and a run of 11 continuation bytes is refused', async () => {
    const int64 = (name: string, dims: number[], payload: number[]): number[] => [...dims.flatMap((d) => int(1, d)), ...int(2, 7), ...len(8, name), ...len(7, payload)];
    const got = await open(model(initializers(int64('ok', [2], [...varint(-1), ...varint(300)]), int64('few', [3], varint(5)), int64('long', [1], [...new Array(11).fill(0x80), 1]))));
    const r = (got as { r: Awaited<ReturnType<typeof onnxReader.open>> }).r;
    expect(r.tensors.map((t) => [t.name, t.location.encoding])).toEqual([['ok', { kind: 'varint', offset: expect.any(Number) as number, bytes: 12, skip: 0, width: 8 }]]);
    expect(r.warnings).toEqual(['tensor few is left out: its int64_data holds 1 values for its 3 elements', 'tensor long is left out: its int64_data ends inside a value or holds an overlong varint']);
  });

  it('external data leaving the folder (.., absolute, a symlink out) or past the end of its file is refused per tensor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnx-ext-'));
    const inner = join(dir, 'model');
    const outside = join(dir, 'secret.bin');
    writeFileSync(outside, new Uint8Array(16));
    mkdirSync(inner);
    symlinkSync(outside, join(inner, 'link.bin'));
    writeFileSync(join(inner, 'data.bin'), new Uint8Array(16));
    const ext = (name: string, n: number, entries: Array<[string, string]>): number[] => tensor(name, [n], [...entries.flatMap(([k, v]) => len(13, len(1, k), len(2, v))), ...int(14, 1)]);
    const file = join(inner, 'model.onnx');
    writeFileSync(
      file,
      model(
        initializers(
          ext('up', 4, [['location', '../secret.bin']]),
          ext('abs', 4, [['location', outside]]),
          ext('link', 4, [['location', 'link.bin']]),
          ext('past', 4, [['location', 'data.bin'], ['offset', '8'], ['length', '16']]),
          ext('bad_offset', 4, [['location', 'data.bin'], ['offset', '-1']]),
          ext('missing', 4, [['location', 'nothere.bin']]),
          ext('good', 2, [['location', 'data.bin'], ['offset', '8'], ['length', '8']]),
          ext('rest', 2, [['location', 'data.bin'], ['offset', '8']]),
        ),
      ),
    );
    const index = await openModel(file);
    expect(index.tensors.map((t) => [t.name, t.location.file, t.location.storageOffset, t.location.storageBytes])).toEqual([
      ['good', join(inner, 'data.bin'), 8, 8],
      ['rest', join(inner, 'data.bin'), 8, 8],
    ]);
    const w = index.warnings.join('\n');
    expect(w).toMatch(/tensor up is left out: its external data file "..\/secret.bin" cannot be read: .*outside the model's folder/);
    expect(w).toMatch(/tensor abs is left out: .*outside the model's folder/);
    expect(w).toMatch(/tensor link is left out: .*resolves to .*secret.bin, outside the model's folder/);
    expect(w).toMatch(/tensor past is left out: its external data \(offset 8, length 16\) runs past the end of data.bin \(16 bytes\)/);
    expect(w).toMatch(/tensor bad_offset is left out: its external_data offset "-1" is not a byte offset/);
    expect(w).toMatch(/tensor missing is left out: its external data file "nothere.bin" cannot be read/);
  });
});

describe('ONNX sniff', () => {
  const sniff = (b: number[] | Uint8Array): Promise<boolean> => onnxReader.match(new MemoryByteSource(new Uint8Array(b)));
  it('claims ModelProto starts and nothing else', async () => {
    expect(await sniff(model(initializers(ONE)))).toBe(true);
    expect(await sniff([0x08, 0x07, 0x3a, 0x00])).toBe(true);
    // A safetensors header of 0x108 bytes starts 08 01 00 …; zip, pickle, GGUF and NumPy magic; short and empty files.
    for (const b of [[0x08, 0x01, 0, 0, 0, 0, 0, 0, 0x7b], [0x50, 0x4b, 3, 4], [0x80, 2, 0x7d, 0x71], [...bytes('GGUF'), 3, 0, 0, 0], [0x93, ...bytes('NUMPY'), 1, 0], [0x08], [], [0x08, 0x07, 0x10, 0x01]]) {
      expect(await sniff(b), JSON.stringify(b)).toBe(false);
    }
  });

  it("no other format's fixture sniffs as ONNX", async () => {
    const root = join(__dirname, '..', 'fixtures');
    const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.parentPath.includes(join('fixtures', 'onnx')) && /\.(pt|pth|bin|safetensors|gguf|npy|npz|h5|keras|pkl|ckpt)$/.test(e.name));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const p = join(f.parentPath, f.name);
      const head = readFileSync(p).subarray(0, Math.min(64, statSync(p).size));
      expect(await sniff(head), p).toBe(false);
    }
  });
});

/** Debian's libonnx-testdata: onnx's own node and model tests (`apt-get install libonnx-testdata`). */
const TESTDATA = '/usr/share/libonnx-testdata';

describe.skipIf(!existsSync(TESTDATA))("onnx's test models (Debian libonnx-testdata)", () => {
  it('every model opens as ONNX, each tensor inside its file, with no warning', async () => {
    const files = readdirSync(TESTDATA, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.onnx'));
    expect(files.length).toBeGreaterThan(500);
    for (const f of files) {
      const p = join(f.parentPath, f.name);
      const index = await openModel(p);
      expect(index.format, p).toBe('onnx');
      expect(index.warnings, p).toEqual([]);
      const size = statSync(p).size;
      for (const t of index.tensors) expect((t.location.encoding ? t.location.encoding.offset + t.location.encoding.bytes : t.location.storageOffset + t.location.storageBytes) <= size, `${p} ${t.name}`).toBe(true);
    }
  }, 60_000);
});
