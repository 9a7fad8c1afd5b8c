import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/formatReader';
import { duplicateTopLevelKey, readSafetensorsHeader } from '../../src/formats/safetensors/safetensorsReader';
import { MemoryByteSource } from '../../src/runtime/byteSource';
import { safetensorsBytes } from './builders';

const f32 = (begin: number, end: number, shape = [(end - begin) / 4]): string => `{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;
const open = (header: string, dataBytes: number) => readSafetensorsHeader(new MemoryByteSource(safetensorsBytes(header, new Uint8Array(dataBytes)), 'x.safetensors'));

// What the reference library does with each header, from `safetensors.torch.load` (safetensors
// 0.8.0, the Rust crate's `SafeTensors::deserialize`) on the same bytes:
//   dup (a twice, second at [4,8]) ........ SafetensorError: invalid offset for tensor `a` (the first is dropped silently)
//   dup_same (a twice, both [0,4]) ........ loads one tensor a: the duplicate passes unnoticed
//   dup __metadata__ ...................... invalid JSON in header: duplicate field `__metadata__`
//   overlap b [4,12] over a [0,8] ......... invalid offset for tensor `b`
//   same range (a, b both [0,8]) .......... invalid offset for tensor `b`
//   hole (a [0,4], b [8,12]) .............. invalid offset for tensor `b`
//   leading hole (a [4,8]) ................ invalid offset for tensor `a`
//   4 bytes after the last tensor ......... incomplete metadata, file not fully covered
describe('safetensors headers: duplicate keys, overlaps, holes (refused, as the reference library refuses them)', () => {
  it('a name given twice is refused, even where the reference library keeps the last one silently', async () => {
    await expect(open(`{"a":${f32(0, 4)},"a":${f32(4, 8)}}`, 8)).rejects.toThrow("x.safetensors: the header names 'a' twice");
    await expect(open(`{"a":${f32(0, 4)},"a":${f32(0, 4)}}`, 4)).rejects.toThrow("x.safetensors: the header names 'a' twice");
    await expect(open(`{"__metadata__":{"x":"1"},"__metadata__":{"x":"2"},"a":${f32(0, 4)}}`, 4)).rejects.toThrow("the header names '__metadata__' twice");
    // Written differently but equal once decoded: JSON.parse would merge these too.
    await expect(open(`{"a":${f32(0, 4)},"\\u0061":${f32(4, 8)}}`, 8)).rejects.toThrow(FormatError);
  });

  it('keys inside entries and metadata are not top-level keys', () => {
    expect(duplicateTopLevelKey(`{"__metadata__":{"a":"1","b":"{\\"a\\":1}"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":[{"a":1},{"a":2}]}`)).toBeUndefined();
    expect(duplicateTopLevelKey('{"a\\"":1,"a\\"":2}')).toBe('a"');
    // A key ending in an escaped backslash ends at the quote after it; an escaped quote does not end one.
    expect(duplicateTopLevelKey('{"a\\\\":1,"b":{"a\\\\":0},"a\\\\":2}')).toBe('a\\');
    expect(duplicateTopLevelKey('{"x\\\\\\"y":1,"x\\\\\\"y":2}')).toBe('x\\"y');
    expect(duplicateTopLevelKey('{"a\\\\":1,"a":2}')).toBeUndefined();
    expect(duplicateTopLevelKey('{"unterminated')).toBeUndefined();
  });

  it('overlapping, identical and partly overlapping data_offsets are refused, naming both tensors', async () => {
    await expect(open(`{"a":${f32(0, 8)},"b":${f32(4, 12)}}`, 12)).rejects.toThrow("tensor 'b': data_offsets [4, 12] overlap those of 'a', which end at 8");
    await expect(open(`{"a":${f32(0, 8)},"b":${f32(0, 8)}}`, 8)).rejects.toThrow("tensor 'b': data_offsets [0, 8] overlap those of 'a', which end at 8");
  });

  it('holes between tensors, before the first and after the last are refused', async () => {
    await expect(open(`{"a":${f32(0, 4)},"b":${f32(8, 12)}}`, 12)).rejects.toThrow("tensor 'b': data_offsets [8, 12] leave 4 bytes unused after 'a'");
    await expect(open(`{"a":${f32(4, 8)}}`, 8)).rejects.toThrow("tensor 'a': data_offsets [4, 8] leave the first 4 data bytes unused");
    await expect(open(`{"a":${f32(0, 4)}}`, 8)).rejects.toThrow('the data section holds 4 bytes after the last tensor, which the header does not describe');
  });

  it('tensors in any header order, and empty tensors, tile the data section and open', async () => {
    const h = await open(`{"b":${f32(8, 12)},"e":${f32(8, 8, [0])},"a":${f32(0, 8)}}`, 12);
    const dataStart = h.tensors.find((t) => t.name === 'a')!.location.storageOffset;
    expect(h.tensors.map((t) => [t.name, t.location.storageOffset - dataStart, t.location.storageBytes])).toEqual([
      ['b', 8, 4],
      ['e', 8, 0],
      ['a', 0, 8],
    ]);
  });

  it('a download cut short still lists its whole tensors (the layout is checked on the offsets, the end only when whole)', async () => {
    const h = await open(`{"a":${f32(0, 8)},"b":${f32(8, 16)}}`, 10);
    expect(h.tensors.map((t) => t.name)).toEqual(['a']);
    expect(h.truncation).toEqual({ presentBytes: 10, expectedBytes: 16, missing: ['b'] });
    // An overlap is refused even in a cut file.
    await expect(open(`{"a":${f32(0, 8)},"b":${f32(4, 12)}}`, 10)).rejects.toThrow("overlap those of 'a'");
  });
});
