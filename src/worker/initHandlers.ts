import type { HistogramBins, InitView, SchemeView, TensorSpec } from '../protocol/messages';
import { detectInit, storedRounding } from '../model/init/detectInit';
import { initSample } from '../model/init/detectModelInit';
import { expectedBinCounts } from '../model/init/schemeCdf';
import { sampleScheme } from '../model/init/sampleScheme';
import type { ByteSource } from '../runtime/byteSource';

/** Init detection on a sample of a stored tensor (runs in a worker). */
export async function initKernel(src: ByteSource, t: TensorSpec, biasFanIn: number | undefined, signal: AbortSignal): Promise<InitView> {
  const { values, sampled } = await initSample(src, { dtype: t.dtype, shape: t.shape, location: t.location }, signal);
  return detectInit({ values, shape: t.shape, fans: t.fans, biasFanIn, sampled, rounding: storedRounding(t.dtype) });
}

/** Expected bin counts of a scheme for `count` values, and a seeded simulated sample's counts. */
export function overlayKernel(scheme: SchemeView, bins: HistogramBins, count: number, simulateSeed?: number): { expected: number[] | null; simulated: number[] | null } {
  const expected = expectedBinCounts(scheme, bins, count) ?? null;
  let simulated: number[] | null = null;
  if (simulateSeed !== undefined) {
    const sample = sampleScheme(scheme, count, simulateSeed);
    if (sample) {
      simulated = new Array<number>(bins.bins).fill(0);
      const w = (bins.max - bins.min) / bins.bins;
      // Scale up when the sample is capped, so both histograms count the same number of values.
      const weight = count / sample.length;
      for (const x of sample) {
        if (x < bins.min || x > bins.max || !(w > 0)) continue;
        simulated[Math.min(bins.bins - 1, Math.floor((x - bins.min) / w))]! += weight;
      }
    }
  }
  return { expected, simulated };
}
