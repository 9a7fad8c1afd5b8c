import * as l10n from '@vscode/l10n';
import type { ByteSource } from './byteSource';
import { decodeComplexInto, decodeExactIntegers, UnsupportedDTypeError } from './decode';
import { streamElements, streamRawChunks, type TensorRef } from './elementStream';
import { elementView } from './dequantizedView';

/** Cap on one read: previews and tests want a window of values, never a whole large tensor. */
export const MAX_READ_VALUES = 1 << 24;

export interface ReadRange {
  /** First logical (row-major) element; default 0. */
  start?: number;
  count: number;
  signal?: AbortSignal;
}

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0 || count > MAX_READ_VALUES) throw new RangeError(l10n.t('count must be an integer in 0..{0}, got {1}', MAX_READ_VALUES, count));
}

/** `count` logical elements from `start` as doubles (torch's `.double()` values). */
export async function readValues(src: ByteSource, entry: TensorRef, range: ReadRange): Promise<Float64Array> {
  ({ src, tensor: entry } = elementView(src, entry));
  checkCount(range.count);
  const out = new Float64Array(range.count);
  let at = 0;
  for await (const chunk of streamElements(src, entry.dtype, entry.shape, entry.location, { start: range.start, count: range.count, signal: range.signal })) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Real and imaginary parts of `count` logical elements of a complex tensor. */
export async function readComplexValues(src: ByteSource, entry: TensorRef, range: ReadRange): Promise<{ re: Float64Array; im: Float64Array }> {
  const dtype = entry.dtype;
  if (dtype !== 'complex64' && dtype !== 'complex128') throw new UnsupportedDTypeError(dtype, l10n.t('not a complex type; use readValues'));
  checkCount(range.count);
  const re = new Float64Array(range.count);
  const im = new Float64Array(range.count);
  let at = 0;
  for await (const chunk of streamRawChunks(src, dtype, entry.shape, entry.location, { start: range.start, count: range.count, signal: range.signal })) {
    at += decodeComplexInto(dtype, chunk.bytes, re, im, 'little', at);
  }
  return { re, im };
}

/** `count` logical elements of an int64/uint64 tensor exactly, for previews beyond 2^53. */
export async function readExactIntegers(src: ByteSource, entry: TensorRef, range: ReadRange): Promise<BigInt64Array | BigUint64Array> {
  const dtype = entry.dtype;
  if (dtype !== 'int64' && dtype !== 'uint64') throw new UnsupportedDTypeError(dtype, l10n.t('not a 64-bit integer type; use readValues'));
  checkCount(range.count);
  const out = dtype === 'int64' ? new BigInt64Array(range.count) : new BigUint64Array(range.count);
  let at = 0;
  for await (const chunk of streamRawChunks(src, dtype, entry.shape, entry.location, { start: range.start, count: range.count, signal: range.signal })) {
    const values = decodeExactIntegers(dtype, chunk.bytes);
    for (let i = 0; i < values.length; i++) out[at + i] = values[i];
    at += values.length;
  }
  return out;
}
