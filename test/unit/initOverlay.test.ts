import { describe, expect, it } from 'vitest';
import { detectInit } from '../../src/model/init/detectInit';
import { expectedBinCounts, schemeCdf } from '../../src/model/init/schemeCdf';
import { sampleScheme } from '../../src/model/init/sampleScheme';
import { overlayKernel } from '../../src/worker/initHandlers';

const bins = { min: -1, max: 1, bins: 256 };

describe('scheme overlays and simulation', () => {
  const schemes: Array<{ scheme: string; params: Record<string, number> }> = [
    { scheme: 'pytorch_default', params: { bound: 0.5 } },
    { scheme: 'normal', params: { mean: 0.1, std: 0.2 } },
    { scheme: 'trunc_normal', params: { mean: 0, std: 0.5, a: -0.6, b: 0.6 } },
    { scheme: 'masked_uniform', params: { a: 0.9, threshold: 0.45 } },
    { scheme: 'kaiming_normal', params: { std: 0.3 } },
  ];
  it.each(schemes)('$scheme: expected counts sum to n, and a simulated sample is detected as the same scheme', ({ scheme, params }) => {
    const expected = expectedBinCounts({ scheme, params }, bins, 10_000)!;
    const inRange = schemeCdf({ scheme, params })!(1) - schemeCdf({ scheme, params })!(-1 - 1e-12);
    expect(expected.reduce((a, b) => a + b, 0)).toBeCloseTo(10_000 * inRange, 6);
    const sample = sampleScheme({ scheme, params }, 20_000, 7)!;
    expect(sample.length).toBe(20_000);
    // The same seed gives the same draws.
    expect(sampleScheme({ scheme, params }, 5, 7)).toEqual(sample.subarray(0, 5));
    if (scheme === 'normal' || scheme === 'masked_uniform' || scheme === 'trunc_normal') {
      expect(detectInit({ values: sample, shape: [20_000] }).scheme).toBe(scheme);
    }
  });

  it('puts a constant into one bin', () => {
    const expected = expectedBinCounts({ scheme: 'constant', params: { value: 0.25 } }, bins, 100)!;
    expect(expected.filter((c) => c > 0)).toEqual([100]);
    expect(expected.indexOf(100)).toBe(Math.floor(((0.25 + 1) / 2) * 256));
  });

  it('the worker kernel returns both the curve and a simulated histogram of n values', () => {
    const r = overlayKernel({ scheme: 'pytorch_default', params: { bound: 0.5 }, fit: null }, bins, 4096, 3);
    expect(r.expected!.length).toBe(256);
    expect(r.simulated!.reduce((a, b) => a + b, 0)).toBeCloseTo(4096, 6);
    // Nothing lands outside ±0.5.
    expect(r.simulated!.slice(0, 63).every((c) => c === 0)).toBe(true);
  });
});
