import * as l10n from '@vscode/l10n';
import { elementBytes, isComplexDType, type DType } from '../core/dtypes';
import { FLOAT8_E4M3FN_VALUES, FLOAT8_E4M3FNUZ_VALUES, FLOAT8_E5M2_VALUES, FLOAT8_E5M2FNUZ_VALUES, bfloat16Table, float16Table } from './floatTables';

/** Byte order of stored elements (see `TensorLocation.byteOrder`). */
export type ByteOrder = 'little' | 'big';

/** Thrown for element types whose values cannot be decoded or summarized here. */
export class UnsupportedDTypeError extends Error {
  constructor(
    readonly dtype: DType,
    reason: string,
  ) {
    super(`${dtype}: ${reason}`);
    this.name = 'UnsupportedDTypeError';
  }
}

/** Real-valued dtypes `decodeInto` turns into doubles (everything but complex and quantized). */
export type RealDType = Exclude<DType, 'complex64' | 'complex128' | 'qint8' | 'quint8' | 'qint32'>;

export function isRealDType(d: DType): d is RealDType {
  return !isComplexDType(d) && d !== 'qint8' && d !== 'quint8' && d !== 'qint32';
}

/** Throws unless `d` is real; the message says why the others are refused. */
export function assertRealDType(d: DType): asserts d is RealDType {
  if (isComplexDType(d)) throw new UnsupportedDTypeError(d, l10n.t('complex values have no order; decode real and imaginary parts with decodeComplexInto'));
  if (!isRealDType(d)) throw new UnsupportedDTypeError(d, l10n.t('quantized values need the scale and zero point, which this runtime does not read'));
}

/** Size of the unit a byte swap reverses: one component for complex, else the whole element. */
export function swapUnit(d: DType): number {
  return isComplexDType(d) ? elementBytes(d) / 2 : elementBytes(d);
}

/** Reverses every `unit`-byte group of `bytes` in place. */
function swapInPlace(bytes: Uint8Array, unit: number): void {
  if (unit === 1) return;
  for (let i = 0; i + unit <= bytes.length; i += unit) {
    for (let a = i, b = i + unit - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/**
 * Returns `bytes` as little-endian elements whose typed-array view is aligned: `bytes` itself when
 * it already is, otherwise a copy in `scratch` (which must hold `bytes.length`). Typed arrays need
 * aligned offsets, and slices of a file or a memory source can start anywhere. Typed arrays read in
 * host order, which is little-endian on every platform Node runs on.
 */
export function toAlignedLittleEndian(bytes: Uint8Array, dtype: DType, byteOrder: ByteOrder, scratch: Uint8Array): Uint8Array {
  const unit = swapUnit(dtype);
  if (byteOrder === 'little' && bytes.byteOffset % unit === 0) return bytes;
  if (scratch.length < bytes.length) throw new RangeError(`scratch of ${scratch.length} bytes cannot hold ${bytes.length}`);
  const out = scratch.subarray(0, bytes.length);
  out.set(bytes);
  if (byteOrder === 'big') swapInPlace(out, unit);
  return out;
}

/** Same as `toAlignedLittleEndian` when the bytes are already in our own aligned buffer: swaps in place. */
export function swapToLittleEndianInPlace(bytes: Uint8Array, dtype: DType, byteOrder: ByteOrder): void {
  if (byteOrder === 'big') swapInPlace(bytes, swapUnit(dtype));
}

/** The value of every byte of each 8-bit float type. */
const FLOAT8_TABLES = { float8_e4m3fn: FLOAT8_E4M3FN_VALUES, float8_e5m2: FLOAT8_E5M2_VALUES, float8_e4m3fnuz: FLOAT8_E4M3FNUZ_VALUES, float8_e5m2fnuz: FLOAT8_E5M2FNUZ_VALUES } as const;

// 2^32 as a double: the high word's weight when a 64-bit integer is split into two 32-bit halves.
const TWO_POW_32 = 4294967296;

/**
 * Decodes `count` elements from aligned little-endian `bytes` into `out[outOffset…]`.
 * The hot path of the streaming kernels: no allocation beyond typed-array views.
 */
export function decodeAlignedInto(dtype: RealDType, bytes: Uint8Array, count: number, out: Float64Array, outOffset: number): void {
  const buf = bytes.buffer;
  const at = bytes.byteOffset;
  switch (dtype) {
    case 'float64':
      out.set(new Float64Array(buf, at, count), outOffset);
      return;
    case 'float32':
      out.set(new Float32Array(buf, at, count), outOffset);
      return;
    case 'float16':
    case 'bfloat16': {
      const table = dtype === 'float16' ? float16Table() : bfloat16Table();
      const bits = new Uint16Array(buf, at, count);
      for (let i = 0; i < count; i++) out[outOffset + i] = table[bits[i]];
      return;
    }
    case 'float8_e4m3fn':
    case 'float8_e5m2':
    case 'float8_e4m3fnuz':
    case 'float8_e5m2fnuz': {
      const table = FLOAT8_TABLES[dtype];
      for (let i = 0; i < count; i++) out[outOffset + i] = table[bytes[i]];
      return;
    }
    case 'int8':
      out.set(new Int8Array(buf, at, count), outOffset);
      return;
    case 'uint8':
      out.set(bytes.subarray(0, count), outOffset);
      return;
    case 'bool':
      // torch writes 0/1; any other byte is still "true", as a C++ bool read would be.
      for (let i = 0; i < count; i++) out[outOffset + i] = bytes[i] === 0 ? 0 : 1;
      return;
    case 'int16':
      out.set(new Int16Array(buf, at, count), outOffset);
      return;
    case 'uint16':
      out.set(new Uint16Array(buf, at, count), outOffset);
      return;
    case 'int32':
      out.set(new Int32Array(buf, at, count), outOffset);
      return;
    case 'uint32':
      out.set(new Uint32Array(buf, at, count), outOffset);
      return;
    case 'int64':
    case 'uint64': {
      // hi·2^32 is exact and adding lo rounds once, so this is the correctly rounded double that
      // C++'s static_cast<double>(int64_t) (torch's .double()) gives, without BigInt's cost.
      const lo = new Uint32Array(buf, at, count * 2);
      const hi = dtype === 'int64' ? new Int32Array(buf, at, count * 2) : lo;
      for (let i = 0; i < count; i++) out[outOffset + i] = hi[2 * i + 1] * TWO_POW_32 + lo[2 * i];
      return;
    }
  }
}

// Grown on demand by the one-off decoders below; JS runs them to completion, so sharing is safe.
let sharedScratch = new Uint8Array(0);
function scratchFor(length: number): Uint8Array {
  if (sharedScratch.length < length) sharedScratch = new Uint8Array(Math.max(length, 2 * sharedScratch.length));
  return sharedScratch;
}

function elementCount(dtype: DType, bytes: Uint8Array): number {
  const size = elementBytes(dtype);
  if (bytes.length % size !== 0) throw new RangeError(`${bytes.length} bytes is not a whole number of ${dtype} elements (${size} bytes each)`);
  return bytes.length / size;
}

/**
 * Decodes all of `bytes` (any alignment, given byte order) into `out` from `outOffset`, exactly as
 * torch's `.double()` would. Returns the number of elements written. Reuse `out` across chunks.
 */
export function decodeInto(dtype: DType, bytes: Uint8Array, out: Float64Array, byteOrder: ByteOrder = 'little', outOffset = 0): number {
  assertRealDType(dtype);
  const count = elementCount(dtype, bytes);
  if (outOffset < 0 || outOffset + count > out.length) throw new RangeError(`output of ${out.length} cannot take ${count} values at ${outOffset}`);
  decodeAlignedInto(dtype, toAlignedLittleEndian(bytes, dtype, byteOrder, scratchFor(bytes.length)), count, out, outOffset);
  return count;
}

/** Allocating convenience over `decodeInto`, for previews and tests. */
export function decodeValues(dtype: DType, bytes: Uint8Array, byteOrder: ByteOrder = 'little'): Float64Array {
  const out = new Float64Array(elementCount(dtype, bytes));
  decodeInto(dtype, bytes, out, byteOrder);
  return out;
}

/** Splits complex elements into real and imaginary parts (each exact as a double). Returns the count. */
export function decodeComplexInto(
  dtype: 'complex64' | 'complex128',
  bytes: Uint8Array,
  re: Float64Array,
  im: Float64Array,
  byteOrder: ByteOrder = 'little',
  outOffset = 0,
): number {
  const count = elementCount(dtype, bytes);
  if (outOffset < 0 || outOffset + count > re.length || outOffset + count > im.length) throw new RangeError(`outputs cannot take ${count} values at ${outOffset}`);
  const le = toAlignedLittleEndian(bytes, dtype, byteOrder, scratchFor(bytes.length));
  const parts = dtype === 'complex64' ? new Float32Array(le.buffer, le.byteOffset, 2 * count) : new Float64Array(le.buffer, le.byteOffset, 2 * count);
  for (let i = 0; i < count; i++) {
    re[outOffset + i] = parts[2 * i];
    im[outOffset + i] = parts[2 * i + 1];
  }
  return count;
}

/** 64-bit integers exactly, for previews where a double would round values beyond 2^53. */
export function decodeExactIntegers(dtype: 'int64' | 'uint64', bytes: Uint8Array, byteOrder: ByteOrder = 'little'): BigInt64Array | BigUint64Array {
  const count = elementCount(dtype, bytes);
  const copy = new Uint8Array(bytes.length); // owned, so aligned and swappable
  copy.set(bytes);
  swapToLittleEndianInPlace(copy, dtype, byteOrder);
  return dtype === 'int64' ? new BigInt64Array(copy.buffer, 0, count) : new BigUint64Array(copy.buffer, 0, count);
}
