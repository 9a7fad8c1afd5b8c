// The GGUF reader against files written by llama.cpp's gguf-py and ggml's own gguf writer, and
// what those tools read back from them (test/fixtures/gguf/expected.json, gen/make_gguf_py.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TensorEntry } from '../../src/core/modelIndex';
import type { GgufArray, GgufValue } from '../../src/formats/gguf/ggufHeader';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { readValues } from '../../src/runtime/readValues';

const DIR = join(__dirname, '../fixtures/gguf');
interface ExpectedValue {
  type: string;
  itemType?: string;
  value: unknown;
}
interface ExpectedTensor {
  name: string;
  ggmlType: string;
  typeId: number;
  ne: number[];
  nbytes: number;
  offset: number;
  fileOffset: number;
  values?: Array<number | string>;
}
interface ExpectedFile {
  version: number;
  byteOrder: 'little' | 'big';
  alignment: number;
  dataOffset: number;
  metadata: Record<string, ExpectedValue>;
  tensors: ExpectedTensor[];
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { files: Record<string, ExpectedFile> };

const TORCH: Record<string, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64', I8: 'int8', I16: 'int16', I32: 'int32', I64: 'int64' };
const INT64 = new Set(['uint64', 'int64']);

/** Our value equals gguf-py's: 64-bit integers compared exactly, arrays by length and first items. */
function expectValue(got: GgufValue, want: ExpectedValue, where: string): void {
  if (want.type === 'array') {
    const arr = got as GgufArray;
    expect(arr.type, where).toBe('array');
    expect(arr.itemType, where).toBe(want.itemType);
    const items = want.value as unknown[];
    expect(arr.length, where).toBe(items.length);
    arr.items.forEach((item, i) => {
      const w = items[i];
      expectValue(item, typeof w === 'object' && w !== null && 'type' in w ? (w as ExpectedValue) : { type: want.itemType!, value: w }, `${where}[${i}]`);
    });
    return;
  }
  if (INT64.has(want.type)) expect(BigInt(got as number | string), where).toBe(BigInt(want.value as string | number));
  else expect(got, where).toStrictEqual(want.value);
}

const asNumber = (v: number | string): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));

describe('GGUF reader on gguf-py files', () => {
  for (const [name, want] of Object.entries(expected.files)) {
    it(`reads ${name} as gguf-py wrote it`, async () => {
      const index = await openModel(join(DIR, name));
      expect(index.format).toBe('gguf');
      expect(index.container).toMatchObject({ version: want.version, byteOrder: want.byteOrder, alignment: want.alignment, dataOffset: want.dataOffset });
      for (const [key, value] of Object.entries(want.metadata)) {
        expect(index.metadataTypes?.[key]?.split('[')[0], key).toBe(value.type);
        expectValue(index.metadata[key] as GgufValue, value, key);
      }
      const split = /-00001-of-/.test(name);
      const own = split ? index.tensors.filter((t) => t.location.file.endsWith(name.slice(name.lastIndexOf('/') + 1))) : index.tensors;
      expect(own.map((t) => t.name)).toEqual(want.tensors.map((t) => t.name));
      const src = await FileByteSource.open(join(DIR, name));
      try {
        for (const w of want.tensors) {
          const t = own.find((x) => x.name === w.name)!;
          expect(t.dtype, w.name).toBe(TORCH[w.ggmlType] ?? w.ggmlType);
          expect(t.shape, w.name).toEqual([...w.ne].reverse());
          expect(t.details?.ne, w.name).toEqual(w.ne);
          expect(t.details?.ggmlTypeId, w.name).toBe(w.typeId);
          expect(t.location.storageOffset, w.name).toBe(w.fileOffset);
          expect(t.location.storageBytes, w.name).toBe(w.nbytes);
          expect(t.location.byteOrder, w.name).toBe(want.byteOrder);
          if (w.values && /^(F16|F32|BF16|F64)$/.test(w.ggmlType)) {
            const got = await readValues(src, t, { count: w.values.length });
            expect([...got], w.name).toEqual(w.values.map(asNumber));
          }
        }
      } finally {
        await src.close();
      }
    });
  }

  it('opens a split model whole from its first part, each tensor read from its own part', async () => {
    const index = await openModel(join(DIR, 'split/shards-00001-of-00003.gguf'));
    const parts = ['split/shards-00001-of-00003.gguf', 'split/shards-00002-of-00003.gguf', 'split/shards-00003-of-00003.gguf'];
    const names = parts.flatMap((p) => expected.files[p]!.tensors.map((t) => t.name));
    expect(index.tensors.map((t) => t.name)).toEqual(names);
    expect(index.warnings).toEqual([]);
    for (const p of parts) {
      for (const w of expected.files[p]!.tensors) {
        const t = index.tensors.find((x: TensorEntry) => x.name === w.name)!;
        expect(t.location.file.endsWith(p.slice(p.indexOf('/') + 1)), w.name).toBe(true);
        expect(t.location.storageOffset).toBe(w.fileOffset);
      }
    }
  });

  it('a later part opened alone says where the whole model is', async () => {
    const index = await openModel(join(DIR, 'split/shards-00002-of-00003.gguf'));
    expect(index.notes.join('\n')).toMatch(/part 2 of a model split in 3/);
  });
});
