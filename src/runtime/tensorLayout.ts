import * as l10n from '@vscode/l10n';
import type { TensorLocation } from '../core/modelIndex';

/** Thrown when a tensor's shape, strides or offsets do not describe bytes inside its storage. */
export class InvalidViewError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'InvalidViewError';
  }
}

/**
 * `logical`: row-major order of the view, as `x.flatten()` lists it.
 * `storage`: the same elements with dimensions reordered by decreasing stride, so reads move
 * forward through the file; order-free kernels (statistics) use it to read transposes straight.
 */
export type IterationOrder = 'logical' | 'storage';

/** How to walk a validated view: an odometer over outer dimensions, each step a run of elements. */
export interface ViewPlan {
  readonly itemsize: number;
  readonly numel: number;
  /** Byte offset in the source of storage element 0. */
  readonly storageOffset: number;
  /** Storage element (not byte) of the first element visited. */
  readonly base: number;
  /** Dimensions outside the run, outermost first, after dropping size-1 dims and merging. */
  readonly outerSizes: readonly number[];
  readonly outerStrides: readonly number[];
  /** Elements per run: the whole innermost dimension when its stride is 1, else 1. */
  readonly runLength: number;
}

/** `what` names the field, translated only when the value is refused. */
function checkCount(file: string, what: () => string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new InvalidViewError(file, l10n.t('{0} {1} is not a non-negative integer', what(), v));
}

/**
 * Validates a view against its storage and the source, and plans its traversal. Every element the
 * view can touch must lie in `[0, storageBytes)` of the storage, and the storage inside the source,
 * before a single byte is read.
 */
export function planView(shape: readonly number[], loc: TensorLocation, itemsize: number, sourceSize: number, order: IterationOrder): ViewPlan {
  const file = loc.file;
  checkCount(file, () => l10n.t('storage offset'), loc.storageOffset);
  checkCount(file, () => l10n.t('storage length'), loc.storageBytes);
  if (loc.storageOffset + loc.storageBytes > sourceSize) {
    throw new InvalidViewError(file, l10n.t('storage of {0} bytes at {1} runs past the end of the file ({2} bytes)', loc.storageBytes, loc.storageOffset, sourceSize));
  }
  if (shape.length !== loc.strides.length) throw new InvalidViewError(file, l10n.t('shape [{0}] has {1} dims but strides [{2}] have {3}', shape.join(', '), shape.length, loc.strides.join(', '), loc.strides.length));
  if (!Number.isSafeInteger(loc.elementOffset)) throw new InvalidViewError(file, l10n.t('element offset {0} is not an integer', loc.elementOffset));

  let numel = 1;
  for (const size of shape) {
    checkCount(file, () => l10n.t('dimension size'), size);
    numel *= size;
    if (!Number.isSafeInteger(numel)) throw new InvalidViewError(file, l10n.t('shape [{0}] has too many elements', shape.join(', ')));
  }
  for (const stride of loc.strides) {
    if (!Number.isSafeInteger(stride)) throw new InvalidViewError(file, l10n.t('stride {0} is not an integer', stride));
  }

  const empty: ViewPlan = { itemsize, numel: 0, storageOffset: loc.storageOffset, base: loc.elementOffset, outerSizes: [], outerStrides: [], runLength: 1 };
  if (numel === 0) return empty; // nothing is read, so no offset can be out of range

  // The lowest and highest storage elements the view touches.
  let lo = loc.elementOffset;
  let hi = loc.elementOffset;
  for (let d = 0; d < shape.length; d++) {
    const reach = (shape[d] - 1) * loc.strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || !Number.isSafeInteger((hi + 1) * itemsize)) {
    throw new InvalidViewError(file, l10n.t('view offsets overflow'));
  }
  if (lo < 0 || (hi + 1) * itemsize > loc.storageBytes) {
    throw new InvalidViewError(
      file,
      l10n.t(
        'view (shape [{0}], strides [{1}], offset {2}) reaches storage elements {3}..{4}, outside the storage of {5} elements',
        shape.join(', '),
        loc.strides.join(', '),
        loc.elementOffset,
        lo,
        hi,
        Math.floor(loc.storageBytes / itemsize),
      ),
    );
  }

  let dims = shape.map((size, d) => ({ size, stride: loc.strides[d] })).filter((dim) => dim.size !== 1);
  if (order === 'storage') {
    // Largest stride outermost; broadcast (stride 0) dims outermost too, so what repeats is a
    // whole forward scan rather than single elements. Array.prototype.sort is stable.
    const key = (s: number): number => (s === 0 ? Infinity : Math.abs(s));
    dims = dims.sort((a, b) => key(b.stride) - key(a.stride));
  }

  // Merge a dim into the one inside it when together they step evenly (outer = inner·size).
  const merged: Array<{ size: number; stride: number }> = [];
  for (let d = dims.length - 1; d >= 0; d--) {
    const inner = merged[0];
    if (inner && dims[d].stride === inner.stride * inner.size) inner.size *= dims[d].size;
    else merged.unshift({ ...dims[d] });
  }

  const last = merged[merged.length - 1];
  const contiguousRun = last !== undefined && last.stride === 1;
  const outer = contiguousRun ? merged.slice(0, -1) : merged;
  return {
    ...empty,
    numel,
    outerSizes: outer.map((d) => d.size),
    outerStrides: outer.map((d) => d.stride),
    runLength: contiguousRun ? last.size : 1,
  };
}

/**
 * A broadcast view (torch's `expand`: stride 0 on a dimension of size > 1) as the view of its
 * distinct elements and how often each repeats: `x.expand(3, 2**40)` of a (3, 1) tensor is the 3
 * stored values, each `weight` = 2^40 times. Null when no dimension repeats (or the view is
 * empty). Order-free statistics of the view are those of the distinct elements, weighted.
 */
export interface BroadcastReduction {
  /** The view without its stride-0 dimensions. */
  shape: number[];
  strides: number[];
  /** The product of the sizes of the stride-0 dimensions: each distinct element's multiplicity. */
  weight: number;
}

/** `shape`/`strides` must be a validated view (planView): its element count is a safe integer. */
export function broadcastReduction(shape: readonly number[], strides: readonly number[]): BroadcastReduction | null {
  if (shape.some((d) => d === 0)) return null;
  let weight = 1;
  const kept: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (strides[d] === 0 && shape[d] > 1) weight *= shape[d];
    else kept.push(d);
  }
  if (weight === 1) return null;
  return { shape: kept.map((d) => shape[d]), strides: kept.map((d) => strides[d]), weight };
}

/**
 * Lists the storage pieces holding elements `[e0, e1)` of the traversal: piece `p` is `len[p]`
 * storage elements from `off[p]`, landing at position `dst[p]` of the chunk. Returns the count,
 * at most `e1 - e0`. The arrays are the caller's, reused across chunks.
 */
export function fillPieces(plan: ViewPlan, e0: number, e1: number, off: Float64Array, len: Uint32Array, dst: Uint32Array): number {
  const { outerSizes, outerStrides, runLength } = plan;
  const n = outerSizes.length;
  let run = Math.floor(e0 / runLength);
  let within = e0 - run * runLength;

  // Position the odometer on the run holding e0.
  const idx = new Array<number>(n).fill(0);
  let offset = plan.base;
  for (let k = n - 1; k >= 0; k--) {
    const i = run % outerSizes[k];
    run = (run - i) / outerSizes[k];
    idx[k] = i;
    offset += i * outerStrides[k];
  }

  let p = 0;
  for (let e = e0; e < e1; p++) {
    const l = Math.min(runLength - within, e1 - e);
    off[p] = offset + within;
    len[p] = l;
    dst[p] = e - e0;
    e += l;
    within = 0;
    for (let k = n - 1; k >= 0; k--) {
      offset += outerStrides[k];
      if (++idx[k] < outerSizes[k]) break;
      offset -= outerStrides[k] * outerSizes[k];
      idx[k] = 0;
    }
  }
  return p;
}
