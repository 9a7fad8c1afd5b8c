import { describe, expect, it } from 'vitest';
import { AbortError } from '../../src/core/abort';
import { MemoryByteSource } from '../../src/runtime/byteSource';
import { UnsupportedDTypeError, decodeValues } from '../../src/runtime/decode';
import type { DType } from '../../src/core/dtypes';
import type { TensorRef } from '../../src/runtime/elementStream';
import { fusedMultiplyAdd } from '../../src/runtime/exactArithmetic';
import { histcEdges } from '../../src/runtime/histc';
import { computeStatsFromStream, computeTensorStats, type TensorStats } from '../../src/runtime/stats';
import { arange, float32Tensor, location, rawTensor, seededRandom } from './runtimeTestHelpers';

/** Statistics of plain doubles, fed in chunks of `chunk`. */
function statsOf(values: readonly number[], bins = 256, chunk = values.length || 1): Promise<TensorStats> {
  const data = Float64Array.from(values);
  return computeStatsFromStream(async function* () {
    for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
  }, { bins });
}

/** Exact fields equal; the sums within 1e-12 relative (their summation order may differ). */
function expectSameStats(actual: TensorStats, expected: TensorStats): void {
  const { mean, std, l2, ...exact } = actual;
  const { mean: em, std: es, l2: el, ...expectedExact } = expected;
  expect(exact).toEqual(expectedExact);
  for (const [a, e] of [
    [mean, em],
    [std, es],
    [l2, el],
  ]) {
    if (a === null || e === null) expect(a).toBe(e);
    else expect(Math.abs(a - e)).toBeLessThanOrEqual(1e-12 * Math.abs(e));
  }
}

describe('moments', () => {
  it('counts and summarizes a small array with zeros, NaN and infinities', async () => {
    const finite = [1, 2, 3, 4, 0, -0];
    const s = await statsOf([1, 2, NaN, 3, Infinity, 4, -Infinity, 0, -0], 4);
    const mean = (1 + 2 + 3 + 4) / 6;
    const variance = finite.reduce((acc, v) => acc + (v - mean) ** 2, 0) / (finite.length - 1);
    expect(s).toEqual({
      count: 9,
      min: 0,
      max: 4,
      mean,
      std: Math.sqrt(variance),
      zeros: 2,
      nan: 1,
      inf: 2,
      l2: Math.sqrt(1 + 4 + 9 + 16),
      absMax: 4,
      // bins of width 1 on [0, 4]; 4 is the right edge and falls into the last bin
      histogram: { min: 0, max: 4, counts: [2, 1, 1, 2] },
    });
  });

  it('gives nulls where statistics are undefined', async () => {
    expect(await statsOf([])).toEqual({ count: 0, min: null, max: null, mean: null, std: null, zeros: 0, nan: 0, inf: 0, l2: null, absMax: null, histogram: null });
    const nonFinite = await statsOf([NaN, -Infinity]);
    expect([nonFinite.count, nonFinite.nan, nonFinite.inf, nonFinite.min, nonFinite.histogram]).toEqual([2, 1, 1, null, null]);
    const single = await statsOf([-2.5]);
    expect([single.mean, single.std, single.absMax]).toEqual([-2.5, null, 2.5]);
  });

  it('is stable for a large offset and small spread', async () => {
    const values = arange(1000).map((i) => 1e9 + (i % 2)); // variance of alternating 0/1 is n/(4(n−1))
    const s = await statsOf(values, 256, 7);
    expect(s.mean).toBe(1e9 + 0.5);
    expect(s.std).toBeCloseTo(Math.sqrt(1000 / (4 * 999)), 12);
  });

  it('keeps the L2 norm of huge and tiny values', async () => {
    expect((await statsOf([3e200, 4e200])).l2).toBeCloseTo(5e200, -188);
    const tiny = (await statsOf([3e-200, 4e-200])).l2 ?? 0;
    expect(Math.abs(tiny - 5e-200)).toBeLessThan(1e-214);
  });

  it('gives the same answer in chunks of 7 as in one chunk', async () => {
    const rand = seededRandom(1);
    const values = arange(5000).map(() => (rand() - 0.3) * 100);
    values[17] = NaN;
    values[4000] = -Infinity;
    expectSameStats(await statsOf(values, 100, 7), await statsOf(values, 100));
  });
});

describe('histc rules (torch 1.13.1 CPU)', () => {
  it('widens an empty range to [v − 1, v + 1]', async () => {
    // torch.histc(torch.tensor([3., 3.]).double(), 4, 3, 3) == [0, 0, 2, 0]
    expect((await statsOf([3, 3], 4)).histogram).toEqual({ min: 2, max: 4, counts: [0, 0, 2, 0] });
  });

  it('divides before multiplying: (x − min) / (max − min) · bins', async () => {
    // torch.histc puts x in bin 30; multiplying first would give 29.
    const lo = -3.430069989828316;
    const hi = 9.025399634006416;
    const x = 0.3065708973221031;
    const counts = (await statsOf([lo, x, hi], 100)).histogram?.counts ?? [];
    expect([counts[0], counts[29], counts[30], counts[99]]).toEqual([1, 0, 1, 1]);
  });

  it('uses linspace’s vectorized last edge when bins + 1 is a multiple of 8', async () => {
    // torch.linspace(-54.46642595251425, 2756.395435621042, 48, dtype=float64)[-1] == 2756.3954356210415,
    // one ulp below max, so torch.histc(x, 47, min, max) drops the maximum itself.
    const lo = -54.46642595251425;
    const hi = 2756.395435621042;
    expect(histcEdges(lo, hi, 47).right).toBe(2756.3954356210415);
    expect(histcEdges(0.009365374232028535, 6.214715403160617, 111).right).toBe(6.214715403160618);
    expect(histcEdges(lo, hi, 48).right).toBe(hi);
    const counts = (await statsOf([lo, hi, 1000, 2756.3954356210415], 47)).histogram?.counts ?? [];
    const expected = new Array<number>(47).fill(0);
    expected[0] = expected[17] = expected[46] = 1;
    expect(counts).toEqual(expected);
  });

  it('computes fused multiply-add with one rounding', () => {
    expect(0.1 * 10 - 1).toBe(0);
    expect(fusedMultiplyAdd(0.1, 10, -1)).toBe(2 ** -54);
    expect(fusedMultiplyAdd(2 ** -600, 2 ** -600, 0)).toBe(0); // underflows below the subnormals
    expect(fusedMultiplyAdd(2 ** -537, 2 ** -537, 0)).toBe(2 ** -1074);
    expect(fusedMultiplyAdd(2 ** -538, 2 ** -537, 0)).toBe(0); // 2^-1075: a tie, to even
    expect(fusedMultiplyAdd(3 * 2 ** -539, 2 ** -537, 0)).toBe(2 ** -1074); // 0.75·2^-1074 rounds up
  });
});

describe('computeTensorStats', () => {
  it('summarizes a transposed float32 view like the contiguous tensor', async () => {
    const rand = seededRandom(2);
    const values = arange(24 * 31).map(() => rand() * 10 - 5);
    const contiguous = float32Tensor(values, [24, 31]);
    const transposed = float32Tensor(values, [31, 24], { strides: [1, 31] });
    const a = await computeTensorStats(contiguous.src, contiguous.entry, { bins: 64 });
    expectSameStats(await computeTensorStats(transposed.src, transposed.entry, { bins: 64, chunkElements: 7 }), a);
    expect(a.count).toBe(744);
    expect(a.histogram?.counts.reduce((x, y) => x + y)).toBe(744);
  });

  it('summarizes x[:, ::2] of a 4×6 arange', async () => {
    const { src, entry } = float32Tensor(arange(24), [4, 3], { strides: [6, 2] });
    const s = await computeTensorStats(src, entry, { bins: 11 });
    const evens = arange(12).map((i) => 2 * i);
    expect([s.count, s.min, s.max, s.mean, s.zeros]).toEqual([12, 0, 22, 11, 1]);
    expect(s.histogram?.counts).toEqual(new Array<number>(11).fill(0).map((_, b) => evens.filter((v) => Math.min(10, Math.trunc((v / 22) * 11)) === b).length));
  });

  it('reports progress over both passes and stops on abort', async () => {
    const { src, entry } = float32Tensor(arange(24), [24]);
    const calls: number[] = [];
    await computeTensorStats(src, entry, { chunkElements: 10, onProgress: (done, total) => calls.push(done / total) });
    expect(calls).toEqual([10 / 48, 20 / 48, 24 / 48, 34 / 48, 44 / 48, 1]);
    const controller = new AbortController();
    controller.abort();
    await expect(computeTensorStats(src, entry, { signal: controller.signal })).rejects.toThrow(AbortError);
  });

  it('refuses complex and quantized tensors with a typed error', async () => {
    const src = new MemoryByteSource(new Uint8Array(16));
    const entry = (dtype: DType): TensorRef => ({ dtype, shape: [2], location: location(16, { strides: [1] }) });
    await expect(computeTensorStats(src, entry('complex64'))).rejects.toThrow(UnsupportedDTypeError);
    await expect(computeTensorStats(src, entry('quint8'))).rejects.toThrow(UnsupportedDTypeError);
  });

  it('refuses a histogram with no or too many bins', async () => {
    const { src, entry } = float32Tensor([1, 2], [2]);
    await expect(computeTensorStats(src, entry, { bins: 0 })).rejects.toThrow(/bins/);
    await expect(computeTensorStats(src, entry, { bins: 1e6 })).rejects.toThrow(/bins/);
  });
});

describe('bit-pattern path for 1- and 2-byte types', () => {
  /** The generic path: decode every element, two passes. */
  function generic(dtype: DType, bytes: Uint8Array, bins: number): Promise<TensorStats> {
    return statsOf(Array.from(decodeValues(dtype, bytes)), bins, 1000);
  }

  it.each<[DType, number]>([
    ['float16', 256],
    ['float16', 63],
    ['bfloat16', 256],
    ['int16', 100],
    ['uint16', 256],
    ['int8', 256],
    ['uint8', 7],
    ['bool', 2],
    ['float8_e4m3fn', 256],
    ['float8_e5m2', 31],
  ])('%s (bins %i) equals the generic path on random bit patterns', async (dtype, bins) => {
    const rand = seededRandom(bins + dtype.length);
    const bytes = Uint8Array.from({ length: 2 * 20011 }, () => Math.floor(rand() * 256));
    if (dtype === 'bool') bytes.forEach((b, i) => (bytes[i] = b & 1));
    const size = dtype.endsWith('16') ? 2 : 1;
    const { src, entry } = rawTensor(dtype, bytes, [bytes.length / size]);
    const s = await computeTensorStats(src, entry, { bins, chunkElements: 4096 });
    expectSameStats(s, await generic(dtype, bytes, bins));
    expect(s.count).toBe(bytes.length / size);
  });

  it('float16 with normal-ish weights: NaN, inf and zeros counted exactly', async () => {
    const bits = Uint16Array.of(0x3c00, 0x7c00, 0xfc00, 0x7e00, 0x0000, 0x8000, 0xc000, 0x0001);
    const { src, entry } = rawTensor('float16', new Uint8Array(bits.buffer), [8]);
    const s = await computeTensorStats(src, entry, { bins: 3 });
    expect([s.count, s.nan, s.inf, s.zeros, s.min, s.max, s.absMax]).toEqual([8, 1, 2, 2, -2, 1, 2]);
    // finite values −2, 0, 0, 1, 2^-24 on [−2, 1] in bins of width 1
    expect(s.histogram).toEqual({ min: -2, max: 1, counts: [1, 0, 4] });
  });
});
