import * as l10n from '@vscode/l10n';
import type { ByteSource } from './byteSource';
import { isComplexDType } from '../core/dtypes';
import type { TensorRef } from './elementStream';
import { readExactIntegers, readValues } from './readValues';

/**
 * Basic indexing as Python writes it inside `t[...]`: `0,:,2:5`, `-1,::2`, `...,1`. Integers pick
 * one index (the dimension goes), `a:b:c` a range (negative ends count from the end and are
 * clipped, as Python's slices are; steps are positive, as torch requires), `...` the dimensions
 * not written. The result is a view on the same storage: nothing is read.
 */

export class IndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexError';
  }
}

type Item = { kind: 'index'; i: number } | { kind: 'range'; start?: number; stop?: number; step: number } | { kind: 'ellipsis' };

/** Most items a slice may have (tensors have at most a few dozen dimensions). */
const MAX_ITEMS = 64;
const INT = /^[+-]?\d+$/;

function parseInt53(s: string, text: string): number {
  const v = Number(s);
  if (!INT.test(s) || !Number.isSafeInteger(v)) throw new IndexError(l10n.t('{0} is not an integer in the slice {1}', s, text));
  return v;
}

function parseItems(text: string): Item[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const parts = trimmed.split(',').map((p) => p.trim());
  if (parts.length > MAX_ITEMS) throw new IndexError(l10n.t('a slice of {0} items is longer than any tensor’s rank', parts.length));
  const items = parts.map((p): Item => {
    if (p === '...') return { kind: 'ellipsis' };
    if (!p.includes(':')) {
      if (p === '') throw new IndexError(l10n.t('an empty item in the slice {0}', text));
      return { kind: 'index', i: parseInt53(p, text) };
    }
    const bits = p.split(':');
    if (bits.length > 3) throw new IndexError(l10n.t('{0} has too many colons', p));
    const [a, b, c] = bits.map((x) => x.trim());
    const step = c ? parseInt53(c, text) : 1;
    if (step <= 0) throw new IndexError(l10n.t('step must be greater than zero (as in torch), got {0}', step));
    return { kind: 'range', start: a ? parseInt53(a, text) : undefined, stop: b ? parseInt53(b, text) : undefined, step };
  });
  if (items.filter((i) => i.kind === 'ellipsis').length > 1) throw new IndexError(l10n.t('an index can only have a single ellipsis (...)'));
  return items;
}

/** `t[text]` as a view of `t`. */
export function applySlice(t: TensorRef, text: string): TensorRef {
  const items = parseItems(text);
  const rank = t.shape.length;
  const written = items.filter((i) => i.kind !== 'ellipsis').length;
  if (written > rank) throw new IndexError(l10n.t('too many indices for tensor of dimension {0}', rank));
  // `...` (or the end) stands for the dimensions not written.
  const at = items.findIndex((i) => i.kind === 'ellipsis');
  const full: Item = { kind: 'range', step: 1 };
  const fill = Array.from({ length: rank - written }, () => full);
  const expanded = at < 0 ? [...items, ...fill] : [...items.slice(0, at), ...fill, ...items.slice(at + 1)];
  let offset = t.location.elementOffset;
  const shape: number[] = [];
  const strides: number[] = [];
  expanded.forEach((item, d) => {
    const n = t.shape[d]!;
    const stride = t.location.strides[d]!;
    if (item.kind === 'index') {
      const i = item.i < 0 ? item.i + n : item.i;
      if (i < 0 || i >= n) throw new IndexError(l10n.t('index {0} is out of bounds for dimension {1} with size {2}', item.i, d, n));
      offset += i * stride;
    } else if (item.kind === 'range') {
      const clip = (v: number | undefined, dflt: number): number => (v === undefined ? dflt : Math.min(n, Math.max(0, v < 0 ? v + n : v)));
      const start = clip(item.start, 0);
      const stop = clip(item.stop, n);
      const len = stop > start ? Math.ceil((stop - start) / item.step) : 0;
      // An empty range keeps the storage offset where it is (nothing of it is read).
      if (len > 0) offset += start * stride;
      shape.push(len);
      strides.push(stride * item.step);
    }
  });
  return { dtype: t.dtype, shape, location: { ...t.location, elementOffset: offset, strides } };
}

/**
 * A complex tensor as its real and imaginary parts: the same storage read as float32/float64 with
 * one more dimension of 2 (`torch.view_as_real`), so its values come interleaved.
 */
export function complexAsPairs(t: TensorRef): TensorRef {
  if (!isComplexDType(t.dtype)) return t;
  const loc = t.location;
  return { dtype: t.dtype === 'complex64' ? 'float32' : 'float64', shape: [...t.shape, 2], location: { ...loc, elementOffset: loc.elementOffset * 2, strides: [...loc.strides.map((s) => s * 2), 1] } };
}

/** Values of a tensor for printing and JSON: doubles, or exact integers for int64/uint64. */
export type ReadNumbers = Float64Array | BigInt64Array | BigUint64Array;

/**
 * The elements at the cartesian product of `indices` (one sorted list per dimension), row-major:
 * what `print` shows of a summarised tensor. Each run of consecutive last-dimension indices is one
 * read, so a 50,257 × 768 embedding's 36 printed values cost a dozen small reads.
 */
export async function readIndexed(src: ByteSource, t: TensorRef, indices: readonly (readonly number[])[], signal?: AbortSignal): Promise<ReadNumbers> {
  if (isComplexDType(t.dtype)) throw new IndexError(l10n.t('complex tensors ({0}) cannot be printed yet', t.dtype));
  const rank = t.shape.length;
  const total = indices.reduce((a, ix) => a * ix.length, 1);
  const exact = t.dtype === 'int64' || t.dtype === 'uint64';
  const out: ReadNumbers = exact ? (t.dtype === 'int64' ? new BigInt64Array(total) : new BigUint64Array(total)) : new Float64Array(total);
  if (total === 0) return out;
  const read = (start: number, count: number): Promise<ReadNumbers> => (exact ? readExactIntegers(src, t, { start, count, signal }) : readValues(src, t, { start, count, signal }));
  if (rank === 0) {
    out.set((await read(0, 1)) as never);
    return out;
  }
  const rowLen = t.shape[rank - 1]!;
  const last = indices[rank - 1]!;
  const runs: Array<{ from: number; length: number; at: number }> = [];
  for (let k = 0; k < last.length; ) {
    let e = k + 1;
    while (e < last.length && last[e] === last[e - 1]! + 1) e++;
    runs.push({ from: last[k]!, length: e - k, at: k });
    k = e;
  }
  const lead = indices.slice(0, -1);
  const leadShape = t.shape.slice(0, -1);
  let written = 0;
  const walk = async (d: number, base: number): Promise<void> => {
    if (d === lead.length) {
      for (const r of runs) {
        const values = await read(base * rowLen + r.from, r.length);
        out.set(values as never, written + r.at);
      }
      written += last.length;
      return;
    }
    for (const i of lead[d]!) await walk(d + 1, base * leadShape[d]! + i);
  };
  await walk(0, 0);
  return out;
}
