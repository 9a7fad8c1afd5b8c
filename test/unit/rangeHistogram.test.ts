// The ridge plot's kernel (runtime/rangeHistogram.ts): torch.histc on a range the caller gives,
// over a whole tensor: the rule (NaN, ±inf and out-of-range values left out, the last bin
// closed), the statistics' own histogram reproduced on their own range, broadcast views weighted.
import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../src/core/modelIndex';
import { MemoryByteSource } from '../../src/runtime/byteSource';
import { histogramOnRange } from '../../src/runtime/rangeHistogram';
import { computeTensorStats } from '../../src/runtime/stats';

function f32(values: number[], shape: number[] = [values.length], strides: number[] = [1]): { src: MemoryByteSource; t: TensorSpec } {
  const bytes = new Uint8Array(Float32Array.from(values).buffer);
  return { src: new MemoryByteSource(bytes), t: { dtype: 'float32', shape, location: { file: 'mem', storageOffset: 0, storageBytes: bytes.length, storageKey: '0', elementOffset: 0, strides, byteOrder: 'little' } } };
}

describe('histogramOnRange', () => {
  it('counts left <= x <= right, the last bin closed, non-finite values never', async () => {
    const { src, t } = f32([0, 0.5, 1, NaN, Infinity, -Infinity, -1, 2, 0.25]);
    expect(Array.from(await histogramOnRange(src, t, 0, 1, 4))).toEqual([1, 1, 1, 1]);
  });

  it('on the statistics own range gives their histogram', async () => {
    let s = 7;
    const values = Array.from({ length: 5000 }, () => ((s = (s * 48271) % 2147483647) / 2147483647) * 6 - 3);
    const { src, t } = f32(values);
    const stats = await computeTensorStats(src, t, { bins: 128 });
    expect(Array.from(await histogramOnRange(src, t, stats.histogram!.min, stats.histogram!.max, 128))).toEqual(stats.histogram!.counts);
  });

  it('weights a broadcast view by how often it repeats its elements', async () => {
    const { src, t } = f32([0.1, 0.9], [3, 2], [0, 1]);
    expect(Array.from(await histogramOnRange(src, t, 0, 1, 2))).toEqual([3, 3]);
  });

  it('refuses a range that is not finite, or a bin count out of bounds', async () => {
    const { src, t } = f32([1]);
    await expect(histogramOnRange(src, t, 0, Infinity, 4)).rejects.toThrow(RangeError);
    await expect(histogramOnRange(src, t, 1, 0, 4)).rejects.toThrow(RangeError);
    await expect(histogramOnRange(src, t, 0, 1, 0)).rejects.toThrow(RangeError);
  });
});
