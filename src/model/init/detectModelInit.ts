import { FileByteSource } from '../../runtime/byteSource';
import { isFloatingDType } from '../../runtime/dtypes';
import { readValues } from '../../runtime/readValues';
import type { ModelIndex, TensorEntry } from '../modelIndex';
import { detectInit, type InitDetection } from './detectInit';
import { fans } from './fans';

/**
 * Values read per tensor: init schemes draw i.i.d., so the first 100,000 values decide as well as
 * all of them, and a 7B model's embedding is not read whole.
 */
export const MAX_INIT_SAMPLE = 100_000;

export interface ParameterInit extends InitDetection {
  name: string;
}

/** The weight whose fan_in a bias uses (`0.bias` → `0.weight`), as nn.Linear/Conv do. */
export function biasFanIn(index: ModelIndex, t: TensorEntry): number | undefined {
  if (t.shape.length !== 1 || !/(^|\.)bias$/.test(t.name)) return undefined;
  const weightName = t.name.replace(/bias$/, 'weight');
  const w = index.tensors.find((x) => x.name === weightName);
  return w ? fans(w.shape)?.fanIn : undefined;
}

/** Detects the init scheme of one floating tensor from a sample of its values. */
export async function detectTensorInit(src: FileByteSource, index: ModelIndex, t: TensorEntry, signal?: AbortSignal): Promise<InitDetection> {
  const values = await readValues(src, t, { count: Math.min(t.count, MAX_INIT_SAMPLE), signal });
  // Orthogonality needs the whole matrix; a sample is checked for the distribution only.
  return detectInit({ values, shape: t.shape, biasFanIn: biasFanIn(index, t), sampled: t.count > MAX_INIT_SAMPLE });
}

/** Init detection for every floating tensor of a model (parameters and plain tensors). */
export async function detectModelInit(index: ModelIndex, signal?: AbortSignal): Promise<ParameterInit[]> {
  const sources = new Map<string, FileByteSource>();
  try {
    const out: ParameterInit[] = [];
    for (const t of index.tensors) {
      if (!isFloatingDType(t.dtype) || t.kind === 'buffer' || t.kind === 'optimizer') continue;
      let src = sources.get(t.location.file);
      if (!src) sources.set(t.location.file, (src = await FileByteSource.open(t.location.file)));
      out.push({ name: t.name, ...(await detectTensorInit(src, index, t, signal)) });
    }
    return out;
  } finally {
    await Promise.all([...sources.values()].map((s) => s.close()));
  }
}
