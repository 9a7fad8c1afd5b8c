import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError } from '../../src/core/abort';
import { FileByteSource, MemoryByteSource } from '../../src/runtime/byteSource';
import { streamElements, type StreamOptions, type TensorRef } from '../../src/runtime/elementStream';
import { readComplexValues, readExactIntegers, readValues } from '../../src/runtime/readValues';
import { InvalidViewError } from '../../src/runtime/tensorLayout';
import type { ByteSource } from '../../src/runtime/byteSource';
import { arange, float32Tensor, location } from './runtimeTestHelpers';

async function collect(src: ByteSource, entry: TensorRef, opts: StreamOptions = {}): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of streamElements(src, entry.dtype, entry.shape, entry.location, opts)) out.push(...chunk);
  return out;
}

// x = torch.arange(24.).reshape(4, 6): row r, column c holds 6r + c.
const x = (shape: number[], strides: number[], elementOffset = 0) => float32Tensor(arange(24), shape, { strides, elementOffset });

describe('views over a 4×6 arange', () => {
  it('reads the contiguous tensor in order', async () => {
    const { src, entry } = x([4, 6], [6, 1]);
    expect(await collect(src, entry)).toEqual(arange(24));
  });

  it('x.t(): shape (6, 4), strides (1, 6)', async () => {
    const { src, entry } = x([6, 4], [1, 6]);
    const expected = arange(6).flatMap((c) => arange(4).map((r) => 6 * r + c));
    expect(await collect(src, entry)).toEqual(expected);
    expect(await collect(src, entry, { chunkElements: 5 })).toEqual(expected);
  });

  it('x[:, ::2]: shape (4, 3), strides (6, 2)', async () => {
    const { src, entry } = x([4, 3], [6, 2]);
    expect(await collect(src, entry)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]);
  });

  it('x[1:3]: shape (2, 6), offset 6', async () => {
    const { src, entry } = x([2, 6], [6, 1], 6);
    expect(await collect(src, entry)).toEqual(arange(12).map((i) => i + 6));
  });

  it('x[1:3, 2:5]: rows of 3 contiguous elements', async () => {
    const { src, entry } = x([2, 3], [6, 1], 8);
    expect(await collect(src, entry, { chunkElements: 2 })).toEqual([8, 9, 10, 14, 15, 16]);
  });

  it('x[2, 3]: a 0-d element found through elementOffset', async () => {
    const { src, entry } = x([], [], 15);
    expect(await collect(src, entry)).toEqual([15]);
  });

  it('zero-size views read nothing, whatever their offsets', async () => {
    const { src, entry } = x([4, 0], [6, 1], 1000);
    expect(await collect(src, entry)).toEqual([]);
  });

  it('expand: stride-0 dims repeat elements', async () => {
    // x[0, :3].expand(2, 3)
    const { src, entry } = x([2, 3], [0, 1]);
    expect(await collect(src, entry)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('storage order visits the same elements, reading forward', async () => {
    const { src, entry } = x([6, 4], [1, 6]);
    expect(await collect(src, entry, { order: 'storage' })).toEqual(arange(24));
  });

  it('3-d permute with a step slice, in any chunking', async () => {
    // torch.arange(24.).view(2, 3, 4).permute(2, 0, 1)[:, :, ::2]: shape (4, 2, 2), strides (1, 12, 8)
    const { src, entry } = x([4, 2, 2], [1, 12, 8]);
    const expected: number[] = [];
    for (let a = 0; a < 4; a++) for (let b = 0; b < 2; b++) for (let c = 0; c < 2; c++) expected.push(a + 12 * b + 8 * c);
    for (const chunkElements of [1, 3, 7, 100]) expect(await collect(src, entry, { chunkElements })).toEqual(expected);
  });
});

describe('validation', () => {
  it('refuses a view reaching past its storage before reading', async () => {
    const { src, entry } = x([4, 6], [6, 1], 1); // last element would be storage element 24 of 24
    await expect(collect(src, entry)).rejects.toThrow(InvalidViewError);
    await expect(collect(src, entry)).rejects.toThrow(/storage elements 1\.\.24, outside the storage of 24 elements/);
  });

  it('refuses negative reach, mismatched strides and storage beyond the file', async () => {
    const neg = x([2], [-6], 3);
    await expect(collect(neg.src, neg.entry)).rejects.toThrow(InvalidViewError);
    const dims = x([4, 6], [6]);
    await expect(collect(dims.src, dims.entry)).rejects.toThrow(/2 dims but strides/);
    const { src, entry } = x([4], [1]);
    const tooLong = { ...entry, location: { ...entry.location, storageBytes: 200 } };
    await expect(collect(src, tooLong)).rejects.toThrow(/runs past the end of the file/);
  });

  it('refuses ranges outside the tensor and bad chunk sizes', async () => {
    const { src, entry } = x([4, 6], [6, 1]);
    await expect(readValues(src, entry, { start: 20, count: 5 })).rejects.toThrow(RangeError);
    await expect(collect(src, entry, { chunkElements: 0 })).rejects.toThrow(/chunkElements/);
  });
});

describe('streaming', () => {
  it('stops with an AbortError between chunks', async () => {
    const { src, entry } = x([4, 6], [6, 1]);
    const controller = new AbortController();
    const seen: number[] = [];
    const run = async () => {
      for await (const chunk of streamElements(src, entry.dtype, entry.shape, entry.location, { chunkElements: 4, signal: controller.signal })) {
        seen.push(...chunk);
        controller.abort();
      }
    };
    await expect(run()).rejects.toThrow(AbortError);
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it('reports progress per chunk', async () => {
    const { src, entry } = x([4, 6], [6, 1]);
    const calls: Array<[number, number]> = [];
    await collect(src, entry, { chunkElements: 10, onProgress: (done, total) => calls.push([done, total]) });
    expect(calls).toEqual([
      [10, 24],
      [20, 24],
      [24, 24],
    ]);
  });

  it('reads a range of logical elements', async () => {
    const { src, entry } = x([6, 4], [1, 6]); // x.t()
    expect(Array.from(await readValues(src, entry, { start: 3, count: 4 }))).toEqual([18, 1, 7, 13]);
  });

  it('reads big-endian storage at an unaligned offset', async () => {
    const bytes = new Uint8Array(3 + 12);
    const view = new DataView(bytes.buffer);
    [1.5, -2, 1e-3].forEach((v, i) => view.setFloat32(3 + 4 * i, v, false));
    const src = new MemoryByteSource(bytes);
    const entry: TensorRef = { dtype: 'float32', shape: [3], location: location(12, { storageOffset: 3, strides: [1], byteOrder: 'big' }) };
    expect(Array.from(await readValues(src, entry, { count: 3 }))).toEqual([1.5, -2, Math.fround(1e-3)]);
  });

  it('reads int64 beyond 2^53 exactly, through a step slice', async () => {
    const bytes = new Uint8Array(BigInt64Array.of(2n ** 53n + 1n, 0n, -(2n ** 62n) - 3n, 0n).buffer);
    const entry: TensorRef = { dtype: 'int64', shape: [2], location: location(bytes.length, { strides: [2] }) };
    expect(Array.from(await readExactIntegers(new MemoryByteSource(bytes), entry, { count: 2 }))).toEqual([2n ** 53n + 1n, -(2n ** 62n) - 3n]);
    expect(Array.from(await readValues(new MemoryByteSource(bytes), entry, { count: 2 }))).toEqual([2 ** 53, -(2 ** 62)]);
  });

  it('reads complex values as real and imaginary parts', async () => {
    const bytes = new Uint8Array(Float32Array.of(1, 2, 3, 4, 5, 6).buffer);
    const entry: TensorRef = { dtype: 'complex64', shape: [3], location: location(bytes.length, { strides: [1] }) };
    const { re, im } = await readComplexValues(new MemoryByteSource(bytes), entry, { start: 1, count: 2 });
    expect([Array.from(re), Array.from(im)]).toEqual([
      [3, 5],
      [4, 6],
    ]);
  });
});

describe('file sources', () => {
  let dir: string;
  let file: FileByteSource;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paramscope-runtime-'));
    const path = join(dir, 'x.bin');
    // 5 header bytes, then a 100×37 float32 arange: the storage starts unaligned in the file.
    const values = new Float32Array(3700).map((_, i) => i);
    await writeFile(path, Buffer.concat([Buffer.alloc(5, 0xee), Buffer.from(values.buffer)]));
    file = await FileByteSource.open(path);
  });
  afterAll(async () => {
    await file.close();
    await rm(dir, { recursive: true });
  });

  it('gathers a transposed view in bounded reads', async () => {
    const entry: TensorRef = { dtype: 'float32', shape: [37, 100], location: { ...location(3700 * 4, { strides: [1, 37] }), storageOffset: 5, file: 'x.bin' } };
    const expected = arange(37).flatMap((c) => arange(100).map((r) => 37 * r + c));
    expect(await collect(file, entry, { chunkElements: 333 })).toEqual(expected);
    expect(await collect(file, entry, { chunkElements: 333, order: 'storage' })).toEqual(arange(3700));
  });
});
