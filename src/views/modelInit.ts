import { attributeModelInit } from '../model/init/attributeModelInit';
import { moduleTypes } from '../model/init/detectModelInit';
import type { ModelIndex, TensorEntry } from '../core/modelIndex';
import type { InitView } from '../protocol/messages';

/**
 * The model-level pass over per-tensor verdicts: each tensor judged with its module type's layers
 * (`attributeModelInit`); it only moves a verdict to another candidate of the same view. Shared by
 * the init report, the parameter panel and the hover, so they say the same of a tensor.
 */
export function attributeInitViews(index: ModelIndex, tensors: readonly TensorEntry[], views: ReadonlyMap<string, InitView>): Map<string, InitView> {
  const types = moduleTypes(index);
  const done = tensors.filter((t) => views.has(t.name));
  const layers = done.map((t) => ({ name: t.name, shape: t.shape, moduleType: types.get(t.name) ?? null, detection: views.get(t.name)! }));
  return new Map(attributeModelInit(layers).map((d, i) => [done[i]!.name, { ...views.get(done[i]!.name)!, ...d }]));
}
