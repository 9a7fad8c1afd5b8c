/**
 * `Array.from(values.subarray(from, to))`, 13× faster: `Array.from` walks a typed array through its
 * iterator (750 ms for 100,000 histograms of 256 bins, 55 ms this way).
 */
export function numberArray(values: ArrayLike<number>, from = 0, to = values.length): number[] {
  const out = new Array<number>(Math.max(0, to - from));
  for (let i = from; i < to; i++) out[i - from] = values[i]!;
  return out;
}
