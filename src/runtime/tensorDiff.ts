import * as l10n from '@vscode/l10n';
import type { ByteSource } from './byteSource';
import { assertRealDType } from './decode';
import { streamElements, type TensorRef } from './elementStream';
import type { TensorDiffView } from '../protocol/messages';
import { elementView } from './dequantizedView';

/**
 * Elements summed in plain float64 before the block sums are folded into compensated totals: a
 * block's rounding error stays ~4096·ε at worst, and the compensation keeps gigabyte tensors from
 * accumulating n·ε. 32 KiB of doubles per side, so a block stays in L1 while it is summed.
 */
const BLOCK = 4096;

/**
 * How the values of two tensors of one shape differ, compared position by position in logical
 * (row-major) order, each value decoded to a double (torch's `.double()`).
 *
 * Positions where either value is NaN or ±inf are left out of the sums and of `maxAbsDiff`;
 * `nanMismatch` counts the positions where exactly one is NaN, `infMismatch` those where neither
 * is NaN, one is infinite and the two differ (inf vs finite, +inf vs −inf). The sums can be
 * Infinity when squares overflow a double (values beyond ~1e154); the ratios are then null.
 */
/** The protocol's shape (src/protocol/messages.ts), where each field is described. */
export type TensorDiff = TensorDiffView;

export interface TensorDiffOptions {
  /** Elements per chunk of each stream (default: the streams' default). */
  chunkElements?: number;
  signal?: AbortSignal;
  /** Elements compared so far, of `count`. */
  onProgress?: (done: number, total: number) => void;
}

/** Neumaier's compensated sum: adding block sums of very different sizes keeps the small ones. */
class CompensatedSum {
  private sum = 0;
  private c = 0;
  add(x: number): void {
    const t = this.sum + x;
    this.c += Math.abs(this.sum) >= Math.abs(x) ? this.sum - t + x : x - t + this.sum;
    this.sum = t;
  }
  get value(): number {
    return this.sum + this.c;
  }
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Accumulates the comparison of aligned chunks of two tensors (exported for the tests). */
export class DiffAccumulator {
  private count = 0;
  private compared = 0;
  private nanMismatch = 0;
  private infMismatch = 0;
  private readonly ssa = new CompensatedSum();
  private readonly ssb = new CompensatedSum();
  private readonly ssd = new CompensatedSum();
  private readonly dot = new CompensatedSum();
  private maxAbs = 0;
  private identical = true;

  /** Compares `a[i]` with `b[i]` for every i; both arrays have the same length. */
  add(a: Float64Array, b: Float64Array): void {
    if (a.length !== b.length) throw new RangeError(`chunks of ${a.length} and ${b.length} elements cannot be compared`);
    for (let from = 0; from < a.length; from += BLOCK) this.addBlock(a, b, from, Math.min(a.length, from + BLOCK));
    this.count += a.length;
  }

  private addBlock(a: Float64Array, b: Float64Array, from: number, to: number): void {
    let ssa = 0;
    let ssb = 0;
    let ssd = 0;
    let dot = 0;
    let maxAbs = this.maxAbs;
    let compared = 0;
    let identical = this.identical;
    for (let i = from; i < to; i++) {
      const x = a[i]!;
      const y = b[i]!;
      // x − x is 0 exactly when x is finite (NaN and ±inf give NaN): one cheap test per side.
      if (x - x === 0 && y - y === 0) {
        const d = y - x;
        ssa += x * x;
        ssb += y * y;
        ssd += d * d;
        dot += x * y;
        const ad = Math.abs(d);
        if (ad > maxAbs) maxAbs = ad;
        compared++;
        // Equal doubles differ only as +0 and −0, which 1/x tells apart.
        if (identical && (d !== 0 || (x === 0 && 1 / x !== 1 / y))) identical = false;
      } else {
        const xNaN = x !== x;
        const yNaN = y !== y;
        if (xNaN !== yNaN) {
          this.nanMismatch++;
          identical = false;
        } else if (!xNaN && x !== y) {
          this.infMismatch++;
          identical = false;
        }
      }
    }
    this.ssa.add(ssa);
    this.ssb.add(ssb);
    this.ssd.add(ssd);
    this.dot.add(dot);
    this.maxAbs = maxAbs;
    this.compared += compared;
    this.identical = identical;
  }

  result(): TensorDiff {
    const [sumSqA, sumSqB, sumSqDiff, dot] = [this.ssa.value, this.ssb.value, this.ssd.value, this.dot.value];
    const normA = Math.sqrt(sumSqA);
    const normB = Math.sqrt(sumSqB);
    const normD = Math.sqrt(sumSqDiff);
    return {
      count: this.count,
      compared: this.compared,
      nanMismatch: this.nanMismatch,
      infMismatch: this.infMismatch,
      sumSqA,
      sumSqB,
      sumSqDiff,
      dot,
      relL2: normD === 0 ? 0 : normA === 0 ? null : finiteOrNull(normD / normA),
      maxAbsDiff: this.compared === 0 ? null : finiteOrNull(this.maxAbs),
      cosine: normA === 0 || normB === 0 ? null : finiteOrNull(dot / (normA * normB)),
      identical: this.identical,
    };
  }
}

/**
 * Compares two tensors of one shape (any real dtypes, any files and layouts) by streaming both in
 * logical order, chunk by chunk in step, so neither is ever in memory whole. `srcA`/`srcB` are
 * the sources of `a.location.file`/`b.location.file` (the same source when they are one file).
 */
export async function diffTensors(srcA: ByteSource, a: TensorRef, srcB: ByteSource, b: TensorRef, opts: TensorDiffOptions = {}): Promise<TensorDiff> {
  ({ src: srcA, tensor: a } = elementView(srcA, a));
  ({ src: srcB, tensor: b } = elementView(srcB, b));
  if (a.shape.length !== b.shape.length || a.shape.some((n, i) => n !== b.shape[i])) {
    throw new RangeError(l10n.t('shapes [{0}] and [{1}] differ: values are compared only between tensors of one shape', a.shape.join(', '), b.shape.join(', ')));
  }
  assertRealDType(a.dtype);
  assertRealDType(b.dtype);
  const { chunkElements, signal } = opts;
  // Same shape and chunk size: both streams yield chunks of the same lengths, in step.
  const streamA = streamElements(srcA, a.dtype, a.shape, a.location, { chunkElements, signal, onProgress: opts.onProgress });
  const streamB = streamElements(srcB, b.dtype, b.shape, b.location, { chunkElements, signal });
  const acc = new DiffAccumulator();
  try {
    for (;;) {
      // Both reads in flight at once: two files (or two places of one) are read side by side.
      const [ca, cb] = await Promise.all([streamA.next(), streamB.next()]);
      if (ca.done || cb.done) {
        if (ca.done !== cb.done) throw new Error('the two tensors streamed different numbers of elements');
        break;
      }
      acc.add(ca.value, cb.value);
    }
  } finally {
    await Promise.allSettled([streamA.return(undefined), streamB.return(undefined)]);
  }
  return acc.result();
}
