import { describe, expect, it } from 'vitest';
import { UnsupportedDTypeError, decodeComplexInto, decodeExactIntegers, decodeInto, decodeValues } from '../../src/runtime/decode';
import { bfloat16ToNumber, float16ToNumber, float8e4m3fnToNumber, float8e5m2ToNumber } from '../../src/runtime/floatTables';

/** Little-endian bytes of 16-bit patterns. */
function u16(...patterns: number[]): Uint8Array {
  return new Uint8Array(Uint16Array.from(patterns).buffer);
}

describe('float16', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504], // largest finite
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x0400, 2 ** -14], // smallest normal
    [0x3555, 0.333251953125],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ])('0x%s decodes exactly', (bits, value) => {
    expect(float16ToNumber(bits)).toBe(value);
  });
  it('keeps the sign of zero and makes NaN of every NaN pattern', () => {
    expect(Object.is(float16ToNumber(0x8000), -0)).toBe(true);
    expect(float16ToNumber(0x7e00)).toBeNaN();
    expect(float16ToNumber(0x7c01)).toBeNaN();
    expect(float16ToNumber(0xffff)).toBeNaN();
  });
});

describe('bfloat16', () => {
  it.each([
    [0x3f80, 1],
    [0xc040, -3],
    [0x3e20, 0.15625],
    [0x7f7f, 3.3895313892515355e38], // largest finite
    [0x0001, 2 ** -133], // smallest subnormal
    [0x7f80, Infinity],
    [0xff80, -Infinity],
  ])('0x%s decodes exactly', (bits, value) => {
    expect(bfloat16ToNumber(bits)).toBe(value);
  });
  it('makes NaN of NaN patterns', () => {
    expect(bfloat16ToNumber(0x7fc0)).toBeNaN();
    expect(bfloat16ToNumber(0xff81)).toBeNaN();
  });
});

describe('float8_e4m3fn (OCP: bias 7, no infinities)', () => {
  it.each([
    [0x38, 1], // 0.0111.000
    [0x7e, 448], // largest finite: 1.110 · 2^8
    [0xfe, -448],
    [0x08, 2 ** -6], // smallest normal
    [0x01, 2 ** -9], // smallest subnormal: 0.001 · 2^-6
    [0x07, 7 * 2 ** -9], // largest subnormal
    [0x78, 256], // exponent 1111 is an ordinary binade here
    [0x00, 0],
  ])('0x%s decodes exactly', (bits, value) => {
    expect(float8e4m3fnToNumber(bits)).toBe(value);
  });
  it('has NaN only at S.1111.111', () => {
    expect(float8e4m3fnToNumber(0x7f)).toBeNaN();
    expect(float8e4m3fnToNumber(0xff)).toBeNaN();
    const nanPatterns = Array.from({ length: 256 }, (_, b) => b).filter((b) => Number.isNaN(float8e4m3fnToNumber(b)));
    expect(nanPatterns).toEqual([0x7f, 0xff]);
    expect(Object.is(float8e4m3fnToNumber(0x80), -0)).toBe(true);
  });
});

describe('float8_e5m2 (bias 15, IEEE-like)', () => {
  it.each([
    [0x3c, 1],
    [0x7b, 57344], // largest finite: 1.11 · 2^15
    [0x04, 2 ** -14], // smallest normal
    [0x01, 2 ** -16], // smallest subnormal
    [0x7c, Infinity],
    [0xfc, -Infinity],
    [0xc0, -2],
  ])('0x%s decodes exactly', (bits, value) => {
    expect(float8e5m2ToNumber(bits)).toBe(value);
  });
  it('makes NaN of the other top-exponent patterns', () => {
    for (const b of [0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff]) expect(float8e5m2ToNumber(b)).toBeNaN();
  });
});

describe('decodeInto', () => {
  it('decodes float16 and bfloat16 arrays through the tables', () => {
    expect(Array.from(decodeValues('float16', u16(0x3c00, 0x7c00, 0x0001)))).toEqual([1, Infinity, 2 ** -24]);
    expect(Array.from(decodeValues('bfloat16', u16(0x3f80, 0x4049)))).toEqual([1, 3.140625]);
  });

  it('widens float32 exactly (the double of the nearest float, not of the decimal)', () => {
    const out = decodeValues('float32', new Uint8Array(Float32Array.of(0.1, -1e-45, 3.4028234663852886e38).buffer));
    expect(Array.from(out)).toEqual([0.10000000149011612, -1.401298464324817e-45, 3.4028234663852886e38]);
  });

  it('reads big-endian float32 and float64', () => {
    // 1.5f = 0x3fc00000, -2.25f = 0xc0100000
    expect(Array.from(decodeValues('float32', Uint8Array.of(0x3f, 0xc0, 0, 0, 0xc0, 0x10, 0, 0), 'big'))).toEqual([1.5, -2.25]);
    // 1/3 = 0x3fd5555555555555
    expect(Array.from(decodeValues('float64', Uint8Array.of(0x3f, 0xd5, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55), 'big'))).toEqual([1 / 3]);
  });

  it('reads big-endian integers', () => {
    expect(Array.from(decodeValues('int16', Uint8Array.of(0xff, 0xfe, 0x01, 0x00), 'big'))).toEqual([-2, 256]);
    expect(Array.from(decodeValues('int64', Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd), 'big'))).toEqual([-3]);
  });

  it('decodes int64 negatives and rounds beyond 2^53 as static_cast<double> does', () => {
    const values = BigInt64Array.of(-1n, -(2n ** 40n) - 7n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n);
    const out = decodeValues('int64', new Uint8Array(values.buffer));
    // 2^53 + 1 is a tie between 2^53 and 2^53 + 2 and rounds to even; 2^63 − 1 rounds up to 2^63.
    expect(Array.from(out)).toEqual([-1, -(2 ** 40) - 7, 2 ** 53, -(2 ** 63), 2 ** 63]);
  });

  it('decodes uint64 and all the narrow integer types', () => {
    expect(Array.from(decodeValues('uint64', new Uint8Array(BigUint64Array.of(2n ** 64n - 1n, 5n).buffer)))).toEqual([2 ** 64, 5]);
    expect(Array.from(decodeValues('int8', Uint8Array.of(0x80, 0x7f, 0xff)))).toEqual([-128, 127, -1]);
    expect(Array.from(decodeValues('uint8', Uint8Array.of(0x80, 0xff)))).toEqual([128, 255]);
    expect(Array.from(decodeValues('uint16', u16(0xffff)))).toEqual([65535]);
    expect(Array.from(decodeValues('int32', new Uint8Array(Int32Array.of(-2147483648, 7).buffer)))).toEqual([-2147483648, 7]);
    expect(Array.from(decodeValues('uint32', new Uint8Array(Uint32Array.of(4294967295).buffer)))).toEqual([4294967295]);
    expect(Array.from(decodeValues('bool', Uint8Array.of(0, 1, 1, 0)))).toEqual([0, 1, 1, 0]);
  });

  it('handles bytes at any alignment and writes at an offset of a reused buffer', () => {
    const backing = new Uint8Array(1 + 16);
    backing.set(new Uint8Array(Float64Array.of(2.5, -7).buffer), 1);
    const out = new Float64Array(4).fill(9);
    expect(decodeInto('float64', backing.subarray(1), out, 'little', 1)).toBe(2);
    expect(Array.from(out)).toEqual([9, 2.5, -7, 9]);
  });

  it('rejects partial elements, short outputs, complex and quantized types', () => {
    expect(() => decodeValues('float32', new Uint8Array(6))).toThrow(RangeError);
    expect(() => decodeInto('float32', new Uint8Array(8), new Float64Array(1))).toThrow(RangeError);
    expect(() => decodeValues('complex64', new Uint8Array(8))).toThrow(UnsupportedDTypeError);
    expect(() => decodeValues('qint8', new Uint8Array(1))).toThrow(/scale and zero point/);
  });
});

describe('complex and exact integers', () => {
  it('splits complex64 and big-endian complex128 into parts', () => {
    const re = new Float64Array(2);
    const im = new Float64Array(2);
    decodeComplexInto('complex64', new Uint8Array(Float32Array.of(1, -2, 0.5, 3).buffer), re, im);
    expect([Array.from(re), Array.from(im)]).toEqual([
      [1, 0.5],
      [-2, 3],
    ]);
    // complex128 (1.5 + -2j), each part big-endian on its own
    const be = Uint8Array.of(0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0);
    decodeComplexInto('complex128', be, re, im, 'big');
    expect([re[0], im[0]]).toEqual([1.5, -2]);
  });

  it('gives 64-bit integers exactly as BigInt', () => {
    const bytes = new Uint8Array(BigInt64Array.of(2n ** 53n + 1n, -5n).buffer);
    expect(Array.from(decodeExactIntegers('int64', bytes))).toEqual([2n ** 53n + 1n, -5n]);
    expect(Array.from(decodeExactIntegers('uint64', Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0xff), 'big'))).toEqual([255n]);
  });
});
