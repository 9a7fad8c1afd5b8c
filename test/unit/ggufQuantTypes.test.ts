import { describe, expect, it } from 'vitest';
import { GGML_TYPES, bitsPerWeight, findGgmlType, ggmlType, ggmlTypeIdByName, storageBytes } from '../../src/runtime/ggml/blockTypes';
import { E8M0_TO_FP32_HALF, UE4M3_TO_FP32 } from '../../src/runtime/ggml/ggmlTables';
import { FP16_BITS, FP16_TO_F32 } from '../../src/runtime/ggml/scaleTables';

describe('ggml type table', () => {
  it('knows every id of enum ggml_type that ggml has not removed', () => {
    const removed = [4, 5, 31, 32, 33, 36, 37, 38];
    const ids = GGML_TYPES.map((t) => t.id);
    expect(ids).toEqual(Array.from({ length: 43 }, (_, i) => i).filter((i) => !removed.includes(i)));
    for (const id of removed) expect(findGgmlType(id)).toBeUndefined();
    expect(findGgmlType(43)).toBeUndefined();
    expect(findGgmlType(-1)).toBeUndefined();
    expect(() => ggmlType(31)).toThrow(/Unknown ggml type id 31/);
  });

  it('finds types by ggml name, any case', () => {
    expect(ggmlTypeIdByName('q4_K')).toBe(12);
    expect(ggmlTypeIdByName('IQ2_XXS')).toBe(16);
    expect(ggmlTypeIdByName('bf16')).toBe(30);
    expect(ggmlTypeIdByName('Q4_2')).toBeUndefined();
  });

  it('gives storage bytes for whole blocks and refuses partial ones', () => {
    expect(storageBytes(12, 0)).toBe(0);
    expect(storageBytes(12, 4096)).toBe(16 * 144);
    expect(storageBytes(8, 64)).toBe(68);
    expect(storageBytes(0, 7)).toBe(28);
    expect(storageBytes(40, 128)).toBe(72);
    expect(() => storageBytes(12, 100)).toThrow(RangeError);
    expect(() => storageBytes(12, 100)).toThrow('Q4_K stores blocks of 256 elements; 100 elements is not a whole number of blocks');
    expect(() => storageBytes(8, -32)).toThrow(RangeError);
    expect(() => storageBytes(8, 32.5)).toThrow(RangeError);
    expect(() => storageBytes(4, 32)).toThrow(RangeError);
  });

  it('gives bits per weight as ggml documents them', () => {
    const bpw = (name: string) => bitsPerWeight(ggmlTypeIdByName(name) as number);
    expect([bpw('Q4_0'), bpw('Q8_0'), bpw('Q2_K'), bpw('Q3_K'), bpw('Q4_K'), bpw('Q5_K'), bpw('Q6_K')]).toEqual([4.5, 8.5, 2.625, 3.4375, 4.5, 5.5, 6.5625]);
    expect([bpw('IQ2_XXS'), bpw('IQ2_XS'), bpw('IQ2_S'), bpw('IQ3_XXS'), bpw('IQ3_S'), bpw('IQ1_S'), bpw('IQ1_M')]).toEqual([2.0625, 2.3125, 2.5625, 3.0625, 3.4375, 1.5625, 1.75]);
    expect([bpw('TQ1_0'), bpw('TQ2_0'), bpw('MXFP4'), bpw('NVFP4'), bpw('Q1_0'), bpw('Q2_0')]).toEqual([1.6875, 2.0625, 4.25, 4.5, 1.125, 2.25]);
    expect([bpw('F32'), bpw('F16'), bpw('BF16'), bpw('I64')]).toEqual([32, 16, 16, 64]);
  });
});

describe('scale conversions', () => {
  it('fp16 table is exact, subnormals and specials included', () => {
    expect(FP16_TO_F32[0x3c00]).toBe(1);
    expect(FP16_TO_F32[0xc000]).toBe(-2);
    expect(FP16_TO_F32[0x7bff]).toBe(65504);
    expect(FP16_TO_F32[0x0001]).toBe(2 ** -24);
    expect(FP16_TO_F32[0x83ff]).toBe(-1023 * 2 ** -24);
    expect(Object.is(FP16_TO_F32[0x8000], -0)).toBe(true);
    expect(FP16_TO_F32[0x7c00]).toBe(Infinity);
    expect(FP16_TO_F32[0xfc00]).toBe(-Infinity);
    for (let h = 0; h < 0x7c00; h += 37) expect(FP16_TO_F32[h]).toBe(decodeHalf(h));
  });

  it('fp16 NaNs keep their payload and come out quiet, as ggml’s conversion on x86 gives them', () => {
    expect(FP16_BITS[0x7e00]).toBe(0x7fc00000);
    expect(FP16_BITS[0x7d00]).toBe(0x7fe00000); // signalling half: quiet bit set
    expect(FP16_BITS[0xff0d]).toBe(0xffe1a000);
  });

  it('ggml’s tabulated E8M0/2 is 2^(e−128)', () => {
    for (let e = 0; e < 256; e++) expect(E8M0_TO_FP32_HALF[e]).toBe(2 ** (e - 128));
  });

  it('ggml’s tabulated UE4M3 scale is half the unsigned E4M3 value, with 0x7f and the sign bit ignored', () => {
    for (let x = 0; x < 256; x++) {
      const e = (x >> 3) & 15;
      const m = x & 7;
      const value = x === 0x7f ? 0 : e === 0 ? m * 2 ** -9 : (1 + m / 8) * 2 ** (e - 7);
      expect(UE4M3_TO_FP32[x]).toBe(value / 2);
    }
  });
});

/** Exact value of a finite binary16 pattern (positive or negative). */
function decodeHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 31;
  const mant = h & 1023;
  return sign * (exp === 0 ? mant * 2 ** -24 : (1024 + mant) * 2 ** (exp - 25));
}
