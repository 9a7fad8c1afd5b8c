import type { TensorEntry } from '../../core/modelIndex';
import type { DType } from '../../core/dtypes';

/**
 * What a state_dict key holds in two files: the same shape and dtype (`same`, values compared),
 * the same shape in another dtype (`dtype-changed`, values compared after decoding to double),
 * another shape (`reshaped`), or a tensor in only one file (`added` to the second, `removed` from it).
 */
export type DiffStatus = 'same' | 'dtype-changed' | 'reshaped' | 'added' | 'removed';

/** What matching needs of a tensor (a `TensorEntry` fits). */
export type MatchableTensor = Pick<TensorEntry, 'name' | 'dtype' | 'shape' | 'kind'>;

/** One row of a diff: a name and what each file holds under it. */
export interface TensorPair<T extends MatchableTensor = TensorEntry> {
  /** The second file's name for the tensor (the first file's when `removed`). */
  name: string;
  a?: T;
  b?: T;
  status: DiffStatus;
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
export function matchTensors<T extends MatchableTensor>(a: readonly T[], b: readonly T[], opts: MatchOptions = {}): TensorMatch<T> {
  const withBuffers = opts.buffers ?? true;
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
    pairs.push({ name: tb.name, a: pairedA, b: tb, status: statusOf(pairedA, tb) });
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
  return { pairs, prefix, ignored: { a: ignoredA, b: ignoredB }, buffers: withBuffers };
}
