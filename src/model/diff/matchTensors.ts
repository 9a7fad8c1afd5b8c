import type { TensorEntry } from '../../core/modelIndex';
import type { DType } from '../../core/dtypes';

/**
 * What a state_dict key holds in two files: the same shape and dtype (`same`, values compared),
 * the same shape in another dtype (`dtype-changed`, values compared after decoding to double),
 * another shape (`reshaped`), or a tensor in only one file (`added` to the second, `removed` from it).
 */
export type DiffStatus = 'same' | 'dtype-changed' | 'reshaped' | 'added' | 'removed';

/** What matching needs of a tensor (a `TensorEntry` fits). */
export type MatchableTensor = Pick<TensorEntry, 'name' | 'dtype' | 'shape' | 'kind'> & Partial<Pick<TensorEntry, 'details' | 'location'>>;

/** One row of a diff: a name and what each file holds under it. */
export interface TensorPair<T extends MatchableTensor = TensorEntry> {
  /** The second file's name for the tensor (the first file's when `removed`). */
  name: string;
  a?: T;
  b?: T;
  status: DiffStatus;
  /**
   * The views whose values are compared when they are not `a` and `b` as stored: a llama GGUF's
   * q/k weights, whose rows llama.cpp's converter permuted, read in the Hugging Face row order
   * (both sides as `[heads, 2, rows / heads / 2, …]`, the GGUF side strided).
   */
  compared?: { a: T; b: T; unpermutedHeads: number };
}

export interface TensorMatch<T extends MatchableTensor = TensorEntry> {
  /** The second file's tensors in its order, then those only the first file has, in its order. */
  pairs: Array<TensorPair<T>>;
  /**
   * Dotted prefix dropped from every compared name of one side before matching (`module.` from
   * DataParallel, `model.` from a checkpoint dict), '' when names matched as they are.
   */
  prefix: { a: string; b: string };
  /** Tensors of each side left out: optimizer state (and, when `buffers` is false, buffers without a parameter twin). */
  ignored: { a: number; b: number };
  /** Whether buffers (BatchNorm running statistics) were compared, as they are by default. */
  buffers: boolean;
  /** Which side's names were read as their Hugging Face names (a GGUF file against transformers' checkpoint). */
  hfNames?: 'a' | 'b';
}

export interface MatchOptions {
  /**
   * Compare buffers too (default): a fine-tune moves BatchNorm's running statistics as much as its
   * weights. false leaves out buffers that have no parameter or plain-tensor twin on the other side.
   */
  buffers?: boolean;
}

/**
 * Longest wrapper prefix tried, in dotted segments: wrappers nest a few deep at most
 * (`model.module._orig_mod.`), and each candidate costs one pass over the names.
 */
const MAX_PREFIX_SEGMENTS = 6;

/** Only parameters and plain tensors count; buffers pair only with a counted twin (see below). */
const countsAlways = (t: MatchableTensor): boolean => t.kind === 'parameter' || t.kind === 'tensor';

/** A pair as plain data for the page and the JSON: what each side holds under the name. */
export interface PairRow {
  name: string;
  nameA: string | null;
  nameB: string | null;
  status: DiffStatus;
  dtypeA: DType | null;
  dtypeB: DType | null;
  shapeA: number[] | null;
  shapeB: number[] | null;
}

export function pairRow(p: TensorPair<MatchableTensor>): PairRow {
  return {
    name: p.name,
    nameA: p.a?.name ?? null,
    nameB: p.b?.name ?? null,
    status: p.status,
    dtypeA: p.a?.dtype ?? null,
    dtypeB: p.b?.dtype ?? null,
    shapeA: p.a ? [...p.a.shape] : null,
    shapeB: p.b ? [...p.b.shape] : null,
  };
}

/** Whether a pair's values are compared (same name and shape). */
export const comparesValues = (p: TensorPair<MatchableTensor>): boolean => p.status === 'same' || p.status === 'dtype-changed';

function statusOf(a: MatchableTensor | undefined, b: MatchableTensor | undefined): DiffStatus {
  if (!a) return 'added';
  if (!b) return 'removed';
  if (a.shape.length !== b.shape.length || a.shape.some((n, i) => n !== b.shape[i])) return 'reshaped';
  return a.dtype === b.dtype ? 'same' : 'dtype-changed';
}

/** Dotted prefixes shared by every name (each leaving at least one segment), shortest first. */
function sharedPrefixes(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  let shared = names[0]!.split('.').slice(0, -1);
  for (const n of names) {
    const segs = n.split('.');
    let k = 0;
    while (k < shared.length && k < segs.length - 1 && segs[k] === shared[k]) k++;
    shared = shared.slice(0, k);
    if (k === 0) return [];
  }
  shared = shared.slice(0, MAX_PREFIX_SEGMENTS);
  return shared.map((_, i) => `${shared.slice(0, i + 1).join('.')}.`);
}

const strip = (name: string, prefix: string): string => (prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name);

function countMatches(a: readonly string[], b: ReadonlySet<string>, prefix: string): number {
  let n = 0;
  for (const name of a) if (b.has(strip(name, prefix))) n++;
  return n;
}

/**
 * The prefix to drop from one side's names: the one (if any) shared by all of that side's names
 * whose removal pairs the most names, when it pairs more than exact names do. Only one side is
 * ever stripped, and only by a prefix every one of its names has, so `encoder.w` never pairs with
 * `decoder.w`: a wrapper (`module.`, `model.`) prefixes everything.
 */
function choosePrefix(namesA: readonly string[], namesB: readonly string[]): { a: string; b: string } {
  const setA = new Set(namesA);
  const setB = new Set(namesB);
  let best = { a: '', b: '' };
  let bestCount = countMatches(namesA, setB, '');
  if (bestCount === Math.min(namesA.length, namesB.length)) return best;
  for (const p of sharedPrefixes(namesA)) {
    const n = countMatches(namesA, setB, p);
    if (n > bestCount) [best, bestCount] = [{ a: p, b: '' }, n];
  }
  for (const p of sharedPrefixes(namesB)) {
    const n = countMatches(namesB, setA, p);
    if (n > bestCount) [best, bestCount] = [{ a: '', b: p }, n];
  }
  return best;
}

/**
 * Pairs the tensors of two models by state_dict name and classifies each pair. Optimizer state is
 * left out. Buffers (BatchNorm statistics) are compared like parameters unless `opts.buffers` is
 * false; then they are left out unless the other file holds the same name as a parameter or plain
 * tensor (a module pickle calls a registered buffer a buffer where the safetensors copy of it can
 * only say "tensor", and the pair should still be compared).
 */
export function matchTensors<T extends MatchableTensor>(a0: readonly T[], b0: readonly T[], opts: MatchOptions = {}): TensorMatch<T> {
  const withBuffers = opts.buffers ?? true;
  // A GGUF file against the checkpoint it was converted from: its llama.cpp names pair by their
  // Hugging Face names (`blk.0.attn_q.weight` ≙ `model.layers.0.self_attn.q_proj.weight`).
  const hfNames = pairsByHfName(a0, b0);
  const a = hfNames === 'a' ? a0.map(asHfNamed) : a0;
  const b = hfNames === 'b' ? b0.map(asHfNamed) : b0;
  const counts = (t: MatchableTensor): boolean => countsAlways(t) || (withBuffers && t.kind === 'buffer');
  const candA = a.filter((t) => t.kind !== 'optimizer');
  const candB = b.filter((t) => t.kind !== 'optimizer');
  // Wrapper prefixes are found from the parameters alone, whatever is compared.
  const prefix = choosePrefix(
    candA.filter(countsAlways).map((t) => t.name),
    candB.filter(countsAlways).map((t) => t.name),
  );
  const byName = new Map<string, T>();
  for (const t of candA) {
    const key = strip(t.name, prefix.a);
    if (!byName.has(key)) byName.set(key, t);
  }
  const pairs: Array<TensorPair<T>> = [];
  const usedA = new Set<T>();
  let ignoredB = b.length - candB.length;
  for (const tb of candB) {
    const ta = byName.get(strip(tb.name, prefix.b));
    const pairedA = ta && !usedA.has(ta) ? ta : undefined;
    if (!counts(tb) && !(pairedA && counts(pairedA))) {
      ignoredB++;
      continue;
    }
    if (pairedA) usedA.add(pairedA);
    pairs.push(withUnpermuted({ name: tb.name, a: pairedA, b: tb, status: statusOf(pairedA, tb) }));
  }
  let ignoredA = a.length - candA.length;
  for (const ta of candA) {
    if (usedA.has(ta)) continue;
    if (!counts(ta)) {
      ignoredA++;
      continue;
    }
    pairs.push({ name: ta.name, a: ta, status: 'removed' });
  }
  const original = new Map<T, T>();
  if (hfNames) (hfNames === 'a' ? a : b).forEach((t, i) => original.set(t, (hfNames === 'a' ? a0 : b0)[i]!));
  const back = (t: T | undefined): T | undefined => (t && original.get(t)) ?? t;
  const rows = hfNames ? pairs.map((p) => ({ ...p, name: (back(p.b) ?? back(p.a))!.name, a: back(p.a), b: back(p.b) })) : pairs;
  return { pairs: rows, prefix, ignored: { a: ignoredA, b: ignoredB }, buffers: withBuffers, ...(hfNames ? { hfNames } : {}) };
}

const hfNameOf = (t: MatchableTensor): string | undefined => {
  const n = t.details?.hfName;
  return typeof n === 'string' ? n : undefined;
};

/** The side whose tensors carry Hugging Face names the other side's names are, if exactly one does and that pairs more. */
function pairsByHfName(a: readonly MatchableTensor[], b: readonly MatchableTensor[]): 'a' | 'b' | undefined {
  const hfA = a.some((t) => hfNameOf(t) !== undefined);
  const hfB = b.some((t) => hfNameOf(t) !== undefined);
  if (hfA === hfB) return undefined;
  const [named, other] = hfA ? [a, b] : [b, a];
  const names = new Set(other.map((t) => t.name));
  const byHf = named.filter((t) => names.has(hfNameOf(t) ?? '')).length;
  const byName = named.filter((t) => names.has(t.name)).length;
  return byHf > byName ? (hfA ? 'a' : 'b') : undefined;
}

function asHfNamed<T extends MatchableTensor>(t: T): T {
  const hf = hfNameOf(t);
  return hf ? { ...t, name: hf } : t;
}

/**
 * Rows `[heads, 2, r, …]` of a tensor stored with llama.cpp's permutation, read in the original
 * order: stored row `h·2r + 2i + k` is original row `h·2r + k·r + i` (convert_hf_to_gguf.py's
 * `reshape(heads, 2, r, …).swapaxes(1, 2)`), so the original order is a strided view of the store.
 */
function unpermutedViews<T extends MatchableTensor>(stored: T, plain: T, heads: number): { stored: T; plain: T } | undefined {
  const [rows, ...rest] = stored.shape;
  if (!stored.location || !plain.location || rows === undefined || heads <= 0 || rows % (2 * heads) !== 0) return undefined;
  const r = rows / (2 * heads);
  const inner = rest.reduce((x, y) => x * y, 1);
  const contiguous = (shape: number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((x, y) => x * y, 1));
  const shape = [heads, 2, r, ...rest];
  const restStrides = contiguous(rest);
  const isContiguous = (t: MatchableTensor): boolean => {
    const want = contiguous([...t.shape]);
    return t.location!.strides.every((s, i) => s === want[i] || t.shape[i] === 1);
  };
  if (!isContiguous(stored) || !isContiguous(plain)) return undefined;
  return {
    stored: { ...stored, shape, location: { ...stored.location, strides: [2 * r * inner, inner, 2 * inner, ...restStrides] } },
    plain: { ...plain, shape, location: { ...plain.location, strides: contiguous(shape) } },
  };
}

/** A same-shape pair whose GGUF side was permuted by the converter compares in the original row order. */
function withUnpermuted<T extends MatchableTensor>(p: TensorPair<T>): TensorPair<T> {
  if (!p.a || !p.b || !comparesValues(p)) return p;
  const heads = (t: T): number | undefined => (typeof t.details?.hfPermutedHeads === 'number' ? t.details.hfPermutedHeads : undefined);
  const [ha, hb] = [heads(p.a), heads(p.b)];
  if ((ha === undefined) === (hb === undefined)) return p;
  const views = ha !== undefined ? unpermutedViews(p.a, p.b, ha) : unpermutedViews(p.b, p.a, hb!);
  if (!views) return p;
  return ha !== undefined ? { ...p, compared: { a: views.stored, b: views.plain, unpermutedHeads: ha } } : { ...p, compared: { a: views.plain, b: views.stored, unpermutedHeads: hb! } };
}
