import type { TensorKind } from './modelIndex';

/** state_dict entries that are buffers of common layers, so totals count parameters only. */
const KNOWN_BUFFER_SUFFIXES = ['running_mean', 'running_var', 'num_batches_tracked'];

/** The kind of a tensor known only by its state_dict name (state_dicts, safetensors). */
export function kindFromName(name: string): TensorKind {
  const last = name.slice(name.lastIndexOf('.') + 1);
  return KNOWN_BUFFER_SUFFIXES.includes(last) ? 'buffer' : 'tensor';
}
