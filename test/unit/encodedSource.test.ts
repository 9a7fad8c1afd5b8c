// The decoding sources of encoded storages (src/runtime/encodedSource.ts) on hermetic streams:
// what they promise beyond the formats' fixtures (numpyReader.test.ts, onnx*.test.ts) — windows
// that split a varint, reads behind the decoder, streams that end early or run long.
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { StorageEncoding, TensorSpec } from '../../src/core/modelIndex';
import { MemoryByteSource } from '../../src/runtime/byteSource';
import { decodedView } from '../../src/runtime/encodedSource';
import { readValues } from '../../src/runtime/readValues';

/** Protobuf's varint of a 64-bit two's-complement value (negative int32s take 10 bytes, as protobuf writes them). */
function varint(v: bigint): number[] {
  let u = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    const b = Number(u & 0x7fn);
    u >>= 7n;
    out.push(u ? b | 0x80 : b);
  } while (u);
  return out;
}

function spec(dtype: TensorSpec['dtype'], count: number, width: number, encoding: StorageEncoding, prefix = 0): TensorSpec {
  return { dtype, shape: [count], location: { file: 'mem', storageOffset: 0, storageBytes: count * width, storageKey: 'k', elementOffset: 0, strides: [1], byteOrder: 'little', encoding: { ...encoding, offset: encoding.offset + prefix } } };
}

describe('encoded storages', () => {
  it('packed varints of every width, a varint split by the 1 MiB read window, negatives as 10 bytes', async () => {
    const values = [0n, 1n, 127n, 128n, 300n, -1n, -2147483648n, 2147483647n];
    for (const [dtype, width] of [
      ['int8', 1],
      ['int16', 2],
      ['int32', 4],
      ['int64', 8],
    ] as const) {
      // Pad with 1-byte zeros so that a 10-byte varint straddles byte 2^20.
      const pad = (1 << 20) - 5;
      const bytes = [...new Array<number>(pad).fill(0), ...values.flatMap(varint)];
      const count = pad + values.length;
      const enc: StorageEncoding = { kind: 'varint', offset: 0, bytes: bytes.length, skip: 0, width };
      const src = new MemoryByteSource(Uint8Array.from(bytes));
      const want = values.map((v) => Number(BigInt.asIntN(width * 8, v)));
      const got = await readValues(src, spec(dtype, count, width, enc), { start: pad, count: values.length });
      expect([...got], dtype).toEqual(want);
    }
    // Eleven bytes with the continuation bit: no varint is that long; a stream ending mid-varint.
    const overlong = new MemoryByteSource(Uint8Array.from([...new Array<number>(10).fill(0x80), 0x01]));
    await expect(readValues(overlong, spec('int64', 1, 8, { kind: 'varint', offset: 0, bytes: 11, skip: 0, width: 8 }), { count: 1 })).rejects.toThrow(/a varint is longer than 10 bytes/);
    const cut = new MemoryByteSource(Uint8Array.from([0x05, 0x80]));
    await expect(readValues(cut, spec('int32', 2, 4, { kind: 'varint', offset: 0, bytes: 2, skip: 0, width: 4 }), { count: 2 })).rejects.toThrow(/the packed values end inside a varint/);
  });

  it('nibbles: int4 and uint4 low nibble first, FLOAT4E2M1 to its eight magnitudes', async () => {
    const bytes = Uint8Array.from([0x10, 0x32, 0x98, 0xf7]);
    const src = new MemoryByteSource(bytes);
    const enc = (as: 'int4' | 'uint4' | 'float4_e2m1'): StorageEncoding => ({ kind: 'nibbles', offset: 0, bytes: 4, skip: 0, as });
    expect([...(await readValues(src, spec('int8', 8, 1, enc('int4')), { count: 8 }))]).toEqual([0, 1, 2, 3, -8, -7, 7, -1]);
    expect([...(await readValues(src, spec('uint8', 7, 1, enc('uint4')), { count: 7 }))]).toEqual([0, 1, 2, 3, 8, 9, 7]);
    expect([...(await readValues(src, spec('float32', 8, 4, enc('float4_e2m1')), { count: 8 }))]).toEqual([0, 0.5, 1, 1.5, -0, -0.5, 6, -6]);
  });

  it('a deflate stream: reads behind the decoder restart it, a short stream is a clear error, a long one is cut', async () => {
    const data = new Float32Array(1 << 18).map((_, i) => i);
    const stream = deflateRawSync(Buffer.from(data.buffer));
    const enc: StorageEncoding = { kind: 'deflate', offset: 3, bytes: stream.length, skip: 0 };
    const file = new MemoryByteSource(Uint8Array.from([1, 2, 3, ...stream]));
    const t = spec('float32', data.length, 4, { ...enc, offset: 0 }, 3);
    expect([...(await readValues(file, t, { start: 200_000, count: 3 }))]).toEqual([200_000, 200_001, 200_002]);
    expect([...(await readValues(file, t, { start: 5, count: 2 }))]).toEqual([5, 6]);
    // A storage shorter than the stream: only its bytes are decoded.
    const short = spec('float32', 10, 4, { ...enc, offset: 0 }, 3);
    expect([...(await readValues(file, short, { count: 10 }))]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // A storage longer than the stream.
    const long = spec('float32', data.length + 1, 4, { ...enc, offset: 0 }, 3);
    await expect(readValues(file, long, { start: data.length, count: 1 })).rejects.toThrow(/the encoded tensor ends after 1048576 of its 1048580 bytes/);
    // Encoded bytes past the end of the file.
    expect(() => decodedView(file, spec('float32', 4, 4, { ...enc, offset: 0, bytes: stream.length + 10 }, 3))).toThrow(/runs past the end of the file/);
    // Bytes that are not deflate.
    const junk = new MemoryByteSource(new Uint8Array(64).fill(0xff));
    await expect(readValues(junk, spec('float32', 4, 4, { kind: 'deflate', offset: 0, bytes: 64, skip: 0 }), { count: 4 })).rejects.toThrow(/cannot inflate the stored tensor/);
  });

  it('a stream of many read windows inflates to the same bytes and leaves no listeners behind', async () => {
    // Incompressible: 12 MiB of compressed bytes are 12 read windows, each waiting for the inflater to drain.
    const raw = randomBytes(12 << 20);
    const stream = deflateRawSync(raw, { level: 1 });
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const t = spec('uint8', raw.length, 1, { kind: 'deflate', offset: 0, bytes: stream.length, skip: 0 });
      const src = new MemoryByteSource(new Uint8Array(stream));
      const tail = await readValues(src, t, { start: raw.length - 4, count: 4 });
      expect([...tail]).toEqual([...raw.subarray(raw.length - 4)]);
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => w.name)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
