import { describe, expect, it } from 'vitest';
import { numberArray } from '../../src/core/arrays';

describe('numberArray', () => {
  it('is Array.from of the range, for typed arrays and plain ones', () => {
    const d = new Float64Array([1, -0, NaN, Infinity, 2.5, 7]);
    expect(numberArray(d)).toEqual(Array.from(d));
    expect(numberArray(d, 2, 5)).toEqual(Array.from(d.subarray(2, 5)));
    expect(numberArray(d, 3, 3)).toEqual([]);
    expect(numberArray(new Uint32Array([4, 5]))).toEqual([4, 5]);
    expect(numberArray([1, 2, 3], 1)).toEqual([2, 3]);
    expect(Array.isArray(numberArray(d))).toBe(true);
    expect(Object.is(numberArray(d)[1], -0)).toBe(true);
  });
});
