import * as l10n from '@vscode/l10n';
import type { ElementDType } from '../../core/dtypes';

/**
 * The object-header messages of HDF5 that h5py writes for groups, datasets and attributes, decoded
 * from their bytes with every field checked against the message's length. Source: the HDF5 File
 * Format Specification 3.0 (docs.hdfgroup.org, "IV.A.2 Header Message Types"); section numbers in
 * the comments below.
 */

/** A file HDF5's own library would refuse, or a part of the format this reader does not cover. */
export class Hdf5Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Hdf5Error';
  }
}

/** HDF5's own limit on dataspace rank (H5S_MAX_RANK). */
export const MAX_RANK = 32;
/** Addresses that are all ones mean "not allocated" (a dataset never written). */
export const UNDEFINED_ADDRESS = -1;

/** Bounded little-endian reads inside one message or block. */
export class Fields {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    /** Bytes of a file address and of a length (the superblock's "size of offsets/lengths"). */
    readonly offsetSize: number,
    readonly lengthSize: number,
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(at: number, n: number): void {
    if (at < 0 || at + n > this.bytes.length) throw new Hdf5Error(l10n.t('{0} is cut short (needs bytes {1} to {2} of {3})', this.what, at, at + n, this.bytes.length));
  }
  u8(at: number): number {
    this.need(at, 1);
    return this.bytes[at]!;
  }
  u16(at: number): number {
    this.need(at, 2);
    return this.view.getUint16(at, true);
  }
  u32(at: number): number {
    this.need(at, 4);
    return this.view.getUint32(at, true);
  }
  /** An unsigned integer of 1, 2, 4 or 8 bytes; past 2^53 it is refused, all ones is `UNDEFINED_ADDRESS`. */
  uint(at: number, size: number): number {
    this.need(at, size);
    if (size === 1) return this.bytes[at]!;
    if (size === 2) return this.view.getUint16(at, true);
    if (size === 4) return this.view.getUint32(at, true);
    const v = this.view.getBigUint64(at, true);
    if (v === 0xffffffffffffffffn) return UNDEFINED_ADDRESS;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Hdf5Error(l10n.t('{0}: a size or address of {1} is out of range', this.what, String(v)));
    return Number(v);
  }
  address(at: number): number {
    if (this.offsetSize === 4 && this.u32(at) === 0xffffffff) return UNDEFINED_ADDRESS;
    return this.uint(at, this.offsetSize);
  }
  length(at: number): number {
    return this.uint(at, this.lengthSize);
  }
  ascii(at: number, n: number): string {
    this.need(at, n);
    return String.fromCharCode(...this.bytes.subarray(at, at + n));
  }
}

/** A datatype message (IV.A.2.d), as far as tensors and Keras's attributes need it. */
export type Datatype =
  | { cls: 'number'; dtype: ElementDType; size: number; byteOrder: 'little' | 'big' }
  | { cls: 'string'; size: number; spacePadded: boolean }
  | { cls: 'vlen-string' }
  /** Anything else (compound, opaque, references, vlen sequences, odd bit layouts): named for a warning. */
  | { cls: 'other'; size: number; name: string; opaque?: boolean };

/** Parses a datatype at `at`; `end` bounds it. */
export function parseDatatype(f: Fields, at: number): Datatype {
  const b0 = f.u8(at);
  const cls = b0 & 0x0f;
  const bits = f.u8(at + 1) | (f.u8(at + 2) << 8) | (f.u8(at + 3) << 16);
  const size = f.u32(at + 4);
  const byteOrder = bits & 1 ? 'big' : 'little';
  switch (cls) {
    case 0: {
      // Fixed-point: bit 0 byte order, bit 3 signed; properties: bit offset, bit precision.
      const signed = (bits & 8) !== 0;
      const offset = f.u16(at + 8);
      const precision = f.u16(at + 10);
      const dtype = ({ 1: signed ? 'int8' : 'uint8', 2: signed ? 'int16' : 'uint16', 4: signed ? 'int32' : 'uint32', 8: signed ? 'int64' : 'uint64' } as const)[size as 1 | 2 | 4 | 8];
      if (dtype && offset === 0 && precision === size * 8) return { cls: 'number', dtype, size, byteOrder };
      return { cls: 'other', size, name: l10n.t('{0}-bit integer in {1} bytes', precision, size) };
    }
    case 1: {
      // Floating-point: bits 0 and 6 byte order (bit 6 alone: VAX order); properties: offset,
      // precision, exponent location and size, mantissa location and size, exponent bias.
      const vax = (bits & 0x40) !== 0;
      const [expSize, mantSize] = [f.u8(at + 13), f.u8(at + 15)];
      const offset = f.u16(at + 8);
      const known: Record<string, ElementDType> = { '2/5/10': 'float16', '2/8/7': 'bfloat16', '4/8/23': 'float32', '8/11/52': 'float64' };
      const dtype = known[`${size}/${expSize}/${mantSize}`];
      if (dtype && !vax && offset === 0) return { cls: 'number', dtype, size, byteOrder };
      return { cls: 'other', size, name: l10n.t('{0}-byte float with {1} exponent and {2} mantissa bits', size, expSize, mantSize) };
    }
    case 3:
      // String: bits 0-3 padding (0 null-terminated, 1 null-padded, 2 space-padded).
      return { cls: 'string', size, spacePadded: (bits & 0x0f) === 2 };
    case 8: {
      // Enumeration over an integer base: h5py's numpy bool is an enum of int8 {FALSE, TRUE}.
      const base = parseDatatype(f, at + 8);
      if (base.cls === 'number' && base.size === 1 && size === 1) return { cls: 'number', dtype: 'bool', size: 1, byteOrder: 'little' };
      return { cls: 'other', size, name: l10n.t('HDF5 enumeration') };
    }
    case 9:
      // Variable-length: bits 0-3 type (0 sequence, 1 string).
      if ((bits & 0x0f) === 1) return { cls: 'vlen-string' };
      return { cls: 'other', size, name: l10n.t('HDF5 variable-length sequence') };
    case 5:
      // Opaque: bytes with a tag; h5py writes numpy void dtypes so (Keras's bfloat16, from ml_dtypes).
      return { cls: 'other', size, name: l10n.t('HDF5 opaque'), opaque: true };
    default:
      return { cls: 'other', size, name: (['', '', l10n.t('HDF5 time'), '', l10n.t('HDF5 bitfield'), l10n.t('HDF5 opaque'), l10n.t('HDF5 compound'), l10n.t('HDF5 reference'), '', '', l10n.t('HDF5 array')][cls] ?? '') || l10n.t('HDF5 class {0}', cls) };
  }
}

/** A dataspace message (IV.A.2.b): the dimensions, `[]` for a scalar, null for a null dataspace. */
export function parseDataspace(f: Fields, at: number): number[] | null {
  const version = f.u8(at);
  const rank = f.u8(at + 1);
  if (version !== 1 && version !== 2) throw new Hdf5Error(l10n.t('{0}: dataspace version {1} is not supported', f.what, version));
  if (rank > MAX_RANK) throw new Hdf5Error(l10n.t('{0}: dataspace of rank {1} is over HDF5’s limit of {2}', f.what, rank, MAX_RANK));
  if (version === 2 && f.u8(at + 3) === 2) return null;
  const first = at + (version === 1 ? 8 : 4);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(f.length(first + i * f.lengthSize));
  if (dims.some((d) => d < 0)) throw new Hdf5Error(l10n.t('{0}: a dimension is out of range', f.what));
  return dims;
}

/** Where a dataset's raw data lies (data layout message, IV.A.2.i), relative to the HDF5 base address. */
export type Layout =
  | { kind: 'contiguous'; address: number; bytes: number }
  /** Compact: the data sits inside the object header; `at` is its offset in the message. */
  | { kind: 'compact'; at: number; bytes: number }
  | { kind: 'chunked' }
  | { kind: 'virtual' };

export function parseLayout(f: Fields, at: number, elementSize: number, shape: readonly number[]): Layout {
  const version = f.u8(at);
  if (version === 1 || version === 2) {
    // Versions 1-2: rank, class, 5 reserved bytes, [address], rank × u32 dimensions, [compact size + data].
    const rank = f.u8(at + 1);
    const cls = f.u8(at + 2);
    if (cls === 2) return { kind: 'chunked' };
    let p = at + 8;
    const address = cls === 0 ? 0 : f.address(p);
    if (cls !== 0) p += f.offsetSize;
    p += 4 * rank;
    if (cls === 0) return { kind: 'compact', at: p + 4, bytes: f.u32(p) };
    return { kind: 'contiguous', address, bytes: shape.reduce((a, b) => a * b, elementSize) };
  }
  if (version !== 3 && version !== 4) throw new Hdf5Error(l10n.t('{0}: data layout version {1} is not supported', f.what, version));
  const cls = f.u8(at + 1);
  if (cls === 0) return { kind: 'compact', at: at + 4, bytes: f.u16(at + 2) };
  if (cls === 1) return { kind: 'contiguous', address: f.address(at + 2), bytes: f.length(at + 2 + f.offsetSize) };
  if (cls === 2) return { kind: 'chunked' };
  if (cls === 3) return { kind: 'virtual' };
  throw new Hdf5Error(l10n.t('{0}: data layout class {1} is not supported', f.what, cls));
}

/** An attribute message (IV.A.2.m): name, type, dims and where its raw data lies in the message. */
export interface RawAttribute {
  name: string;
  type: Datatype;
  shape: number[] | null;
  dataAt: number;
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** Null when the attribute's type or space is shared (a committed datatype): not a Keras habit. */
export function parseAttribute(f: Fields, at: number): RawAttribute | null {
  const version = f.u8(at);
  if (version < 1 || version > 3) throw new Hdf5Error(l10n.t('{0}: attribute message version {1} is not supported', f.what, version));
  if (version > 1 && (f.u8(at + 1) & 3) !== 0) return null;
  const [nameSize, typeSize, spaceSize] = [f.u16(at + 2), f.u16(at + 4), f.u16(at + 6)];
  // Version 1 pads each part to 8 bytes; version 3 adds a character-set byte.
  const size = (n: number): number => (version === 1 ? pad8(n) : n);
  const nameAt = at + (version === 3 ? 9 : 8);
  f.need(nameAt, nameSize);
  const name = new TextDecoder().decode(f.bytes.subarray(nameAt, nameAt + Math.max(0, nameSize - 1)));
  const typeAt = nameAt + size(nameSize);
  const spaceAt = typeAt + size(typeSize);
  f.need(typeAt, typeSize);
  f.need(spaceAt, spaceSize);
  return { name, type: parseDatatype(f, typeAt), shape: parseDataspace(f, spaceAt), dataAt: spaceAt + size(spaceSize) };
}

/** A fixed-length string element: up to its first NUL (or trailing spaces), decoded as UTF-8. */
export function fixedString(bytes: Uint8Array, spacePadded: boolean): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  let s = new TextDecoder().decode(bytes.subarray(0, end));
  if (spacePadded) s = s.replace(/ +$/, '');
  return s;
}

/** A link message (IV.A.2.g): a hard link's name and address; soft and external links give null. */
export function parseLink(f: Fields): [string, number] | null {
  const flags = f.u8(1);
  let p = 2;
  let linkType = 0;
  if (flags & 0x08) linkType = f.u8(p++);
  if (flags & 0x04) p += 8;
  if (flags & 0x10) p++;
  const width = 1 << (flags & 3);
  const nameLength = f.uint(p, width);
  p += width;
  f.need(p, nameLength);
  const name = new TextDecoder().decode(f.bytes.subarray(p, p + nameLength));
  if (linkType !== 0) return null;
  return [name, f.address(p + nameLength)];
}

/** Numeric attribute elements as doubles (int64 beyond 2^53 rounded). */
export function numbers(bytes: Uint8Array, t: Extract<Datatype, { cls: 'number' }>): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = t.byteOrder === 'little';
  const get = (o: number): number => {
    switch (t.dtype) {
      case 'float64': return dv.getFloat64(o, le);
      case 'float32': return dv.getFloat32(o, le);
      case 'int8': return dv.getInt8(o);
      case 'uint8': return dv.getUint8(o);
      case 'int16': return dv.getInt16(o, le);
      case 'uint16': return dv.getUint16(o, le);
      case 'int32': return dv.getInt32(o, le);
      case 'uint32': return dv.getUint32(o, le);
      case 'int64': return Number(dv.getBigInt64(o, le));
      case 'uint64': return Number(dv.getBigUint64(o, le));
      default: return NaN;
    }
  };
  return Array.from({ length: Math.floor(bytes.length / t.size) }, (_, i) => get(i * t.size));
}
