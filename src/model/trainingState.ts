import { storageRegionKey } from './buildIndex';
import type { ModelIndex, ModuleNode, TensorEntry } from '../core/modelIndex';

/**
 * What a training checkpoint says beyond its tensors: which parameter each optimizer state entry
 * belongs to, and how far training got (epoch, step, learning rates). Read from the index alone.
 *
 * An optimizer's `state_dict()` numbers its parameters 0, 1, 2, … in `param_groups` order and keys
 * `state` by those numbers, so `state[i]` is the i-th parameter handed to the optimizer. Nearly
 * always that was `model.parameters()`, which is the model's state_dict order without its buffers
 * and with each shared (tied) tensor once. ParamScope names a slot only when one model of the file
 * fits that reading exactly: as many parameters as numbers, and every non-scalar state tensor
 * (`exp_avg`, `momentum_buffer`) shaped like its parameter. Otherwise slots stay numbered.
 */

export interface TrainingProgress {
  epoch?: number;
  step?: number;
  /** Learning rate of each param group, in order, as the optimizers record them. */
  lr?: number[];
}

/** Top-level checkpoint keys for the epoch and the step, as PyTorch scripts and Lightning write them. */
const EPOCH_KEYS = ['epoch', 'epochs', 'current_epoch', 'cur_epoch'];
const STEP_KEYS = ['global_step', 'step', 'steps', 'iteration', 'iter', 'iters', 'num_updates', 'total_steps', 'train_step'];
const LR_KEYS = ['lr', 'learning_rate'];

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

interface ParamGroups {
  /** Dotted container prefix of the optimizer ('' for an optimizer state_dict saved alone). */
  prefix: string;
  groups: Array<Record<string, unknown>>;
}

function paramGroups(metadata: Record<string, unknown>): ParamGroups[] {
  const out: ParamGroups[] = [];
  for (const [k, v] of Object.entries(metadata)) {
    if (k !== 'param_groups' && !k.endsWith('.param_groups')) continue;
    if (!Array.isArray(v) || !v.every((g) => typeof g === 'object' && g !== null && !Array.isArray(g))) continue;
    out.push({ prefix: k === 'param_groups' ? '' : k.slice(0, -'.param_groups'.length), groups: v as Array<Record<string, unknown>> });
  }
  return out;
}

/** Epoch, step and learning rates a checkpoint records; empty for a plain model file. */
export function trainingProgress(index: ModelIndex): TrainingProgress {
  const m = index.metadata;
  const out: TrainingProgress = {};
  const pick = (keys: readonly string[]): number | undefined => {
    for (const k of keys) if (isNumber(m[k])) return m[k];
    return undefined;
  };
  const epoch = pick(EPOCH_KEYS);
  const step = pick(STEP_KEYS);
  if (epoch !== undefined) out.epoch = epoch;
  if (step !== undefined) out.step = step;
  const lrs = paramGroups(m).flatMap((p) => p.groups.map((g) => g.lr).filter(isNumber));
  const lr = lrs.length > 0 ? lrs : [pick(LR_KEYS)].filter(isNumber);
  if (lr.length > 0) out.lr = lr;
  return out;
}

function findModule(root: ModuleNode, qualifiedName: string): ModuleNode | undefined {
  // Iterative: checkpoint trees may be deep.
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.qualifiedName === qualifiedName) return n;
    if (qualifiedName.startsWith(n.qualifiedName)) stack.push(...n.children);
  }
  return undefined;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** The model parameters of one container (`model.`, `G.`): parameters and plain tensors, each shared storage once. */
function parameterSequences(index: ModelIndex, optimizerPrefixes: readonly string[]): TensorEntry[][] {
  const candidates = index.tensors.filter((t) => (t.kind === 'parameter' || t.kind === 'tensor') && !optimizerPrefixes.some((p) => t.name.startsWith(p)));
  const byTop = new Map<string, TensorEntry[]>();
  for (const t of candidates) {
    const top = t.name.includes('.') ? t.name.slice(0, t.name.indexOf('.')) : '';
    let list = byTop.get(top);
    if (!list) byTop.set(top, (list = []));
    list.push(t);
  }
  const dedupe = (ts: readonly TensorEntry[]): TensorEntry[] => {
    const seen = new Set<string>();
    return ts.filter((t) => {
      // Tied tensors (one storage region, two names) are one parameter to an optimizer.
      const key = storageRegionKey(t);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  return [...[...byTop.values()].map(dedupe), dedupe(candidates)];
}

const slotCache = new WeakMap<ModelIndex, Map<string, TensorEntry>>();

/**
 * Optimizer state entries named by their parameters: state module qualified name
 * (`optimizer.state.0`) → the parameter's tensor (`model.0.weight`). Empty where no model fits.
 */
export function optimizerSlots(index: ModelIndex): Map<string, TensorEntry> {
  const cached = slotCache.get(index);
  if (cached) return cached;
  const out = new Map<string, TensorEntry>();
  const optimizers = paramGroups(index.metadata);
  slotCache.set(index, out);
  if (optimizers.length === 0) return out;
  const prefixes = optimizers.map((o) => (o.prefix ? `${o.prefix}.` : ''));
  const sequences = parameterSequences(index, prefixes);
  const byName = new Map(index.tensors.map((t) => [t.name, t]));
  for (const opt of optimizers) {
    const ids = opt.groups.flatMap((g) => (Array.isArray(g.params) ? g.params : []));
    if (ids.length === 0 || !ids.every((i) => Number.isSafeInteger(i))) continue;
    const stateName = opt.prefix ? `${opt.prefix}.state` : 'state';
    const state = findModule(index.modules, stateName);
    if (!state) continue;
    const fits = (seq: readonly TensorEntry[]): boolean =>
      seq.length === ids.length &&
      state.children.every((slot) => {
        const pos = ids.indexOf(Number(slot.name));
        if (pos < 0) return false;
        const param = seq[pos]!;
        return slot.parameters.every((n) => {
          const t = byName.get(n);
          return !t || t.shape.length === 0 || sameShape(t.shape, param.shape);
        });
      });
    const fitting = sequences.filter(fits);
    // Two different readings that both fit (same shapes in two models): no guess.
    const distinct = new Set(fitting.map((s) => s.map((t) => t.name).join('\u0000')));
    if (distinct.size !== 1) continue;
    const seq = fitting[0]!;
    for (const slot of state.children) out.set(slot.qualifiedName, seq[ids.indexOf(Number(slot.name))]!);
  }
  return out;
}

/** The parameter an optimizer state tensor (`optimizer.state.0.exp_avg`) belongs to, where known. */
export function slotParameter(index: ModelIndex, tensorName: string): TensorEntry | undefined {
  const slots = optimizerSlots(index);
  if (slots.size === 0) return undefined;
  const cut = tensorName.lastIndexOf('.');
  return cut < 0 ? undefined : slots.get(tensorName.slice(0, cut));
}
