import { FileByteSource, type ByteSource } from '../../runtime/byteSource';
import { isFloatingDType } from '../../core/dtypes';
import type { TensorRef } from '../../runtime/elementStream';
import { readValues } from '../../runtime/readValues';
import { broadcastReduction } from '../../runtime/tensorLayout';
import type { ModelIndex, ModuleNode, TensorEntry } from '../../core/modelIndex';
import { attributeModelInit } from './attributeModelInit';
import { detectInit, storedRounding, type InitDetection } from './detectInit';
import { fans } from './fans';

/**
 * Values read per tensor: init schemes draw i.i.d., so the first 100,000 values decide as well as
 * all of them, and a 7B model's embedding is not read whole.
 */
export const MAX_INIT_SAMPLE = 100_000;

export interface ParameterInit extends InitDetection {
  name: string;
}

/** The weight whose fan_in a bias uses (`0.bias` → `0.weight`, Keras's `dense/bias` → `dense/kernel`), as nn.Linear/Conv do. */
export function biasFanIn(index: ModelIndex, t: TensorEntry): number | undefined {
  if (t.shape.length !== 1 || !/(^|[./])bias$/.test(t.name)) return undefined;
  const names = [t.name.replace(/bias$/, 'weight'), t.name.replace(/bias$/, 'kernel')];
  const w = index.tensors.find((x) => names.includes(x.name));
  return w ? (w.fans ?? fans(w.shape))?.fanIn : undefined;
}

/**
 * The values init detection reads: the first MAX_INIT_SAMPLE in logical order. A broadcast view
 * (stride 0, `expand`) repeats its stored values, so its first values would be one value many
 * times ("constant"): its distinct elements are the sample instead.
 */
export async function initSample(src: ByteSource, t: TensorRef, signal?: AbortSignal): Promise<{ values: Float64Array; sampled: boolean }> {
  const count = t.shape.reduce((a, b) => a * b, 1);
  const b = broadcastReduction(t.shape, t.location.strides);
  const view = b ? { dtype: t.dtype, shape: b.shape, location: { ...t.location, strides: b.strides } } : t;
  const distinct = b ? count / b.weight : count;
  const values = await readValues(src, view, { count: Math.min(distinct, MAX_INIT_SAMPLE), signal });
  return { values, sampled: b !== null || count > MAX_INIT_SAMPLE };
}

/** Detects the init scheme of one floating tensor from a sample of its values. */
export async function detectTensorInit(src: FileByteSource, index: ModelIndex, t: TensorEntry, signal?: AbortSignal): Promise<InitDetection> {
  const { values, sampled } = await initSample(src, t, signal);
  // Orthogonality needs the whole matrix; a sample is checked for the distribution only.
  return detectInit({ values, shape: t.shape, fans: t.fans, biasFanIn: biasFanIn(index, t), sampled, rounding: storedRounding(t.dtype) });
}

/**
 * The class of the module that holds each tensor (`Conv2d`, Keras's `Conv2D`), where the file pickles modules or carries a model config; a
 * state_dict's tree, derived from names, has none.
 */
export function moduleTypes(index: ModelIndex): Map<string, string> {
  const out = new Map<string, string>();
  if (index.moduleTreeSource === 'names') return out;
  const walk = (m: ModuleNode): void => {
    if (m.type) for (const p of m.parameters) if (!out.has(p)) out.set(p, m.type);
    m.children.forEach(walk);
  };
  walk(index.modules);
  return out;
}

/** The tensors init detection covers: floating parameters and plain tensors (not buffers or optimizer state). */
export function initTensors(index: ModelIndex): TensorEntry[] {
  return index.tensors.filter((t) => isFloatingDType(t.dtype) && t.kind !== 'buffer' && t.kind !== 'optimizer');
}

/**
 * Init detection for every floating tensor of a model (parameters and plain tensors), each tensor
 * alone and then per module type (`attributeModelInit`): a layer whose values cannot tell its
 * candidates apart takes the scheme its type's other layers show.
 */
export async function detectModelInit(index: ModelIndex, signal?: AbortSignal): Promise<ParameterInit[]> {
  const sources = new Map<string, FileByteSource>();
  try {
    const tensors = initTensors(index);
    const detections: InitDetection[] = [];
    for (const t of tensors) {
      let src = sources.get(t.location.file);
      if (!src) sources.set(t.location.file, (src = await FileByteSource.open(t.location.file)));
      detections.push(await detectTensorInit(src, index, t, signal));
    }
    const types = moduleTypes(index);
    return attributeModelInit(tensors.map((t, i) => ({ name: t.name, shape: t.shape, moduleType: types.get(t.name) ?? null, detection: detections[i]! }))).map((d, i) => ({ name: tensors[i]!.name, ...d }));
  } finally {
    await Promise.all([...sources.values()].map((s) => s.close()));
  }
}
