import * as l10n from '@vscode/l10n';
import type { ByteSource } from '../../runtime/byteSource';
import { throwIfAborted } from '../../core/abort';
import { GgufCursor } from './ggufCursor';

/**
 * The GGUF container, read from its specification (ggml-org/ggml docs/gguf.md) and checked as
 * ggml's own gguf.cpp checks it: magic `GGUF`, a uint32 version (2 or 3; version 1 used 32-bit
 * counts), tensor and key/value counts, typed key/value pairs, tensor infos, then the tensor data
 * from the first multiple of `general.alignment` (32 by default) after the infos. Version 3 added
 * big-endian files, whose every number (and version field) is big-endian.
 */
export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32

/** ggml's GGML_MAX_DIMS: a tensor info with more dimensions is refused. */
export const GGUF_MAX_DIMS = 4;
/** Arrays nest at most this deep (ggml allows any depth; a deeper file is refused, not recursed into). */
const MAX_ARRAY_DEPTH = 8;
/** Items of an array kept in the index: a 150k-entry vocabulary is shown by its length and first items. */
export const MAX_ARRAY_ITEMS_KEPT = 1024;
const DEFAULT_ALIGNMENT = 32;

/** GGUF metadata value types, by their code in the file. */
export const GGUF_VALUE_TYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64'] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];
const FIXED_SIZE: Partial<Record<GgufValueType, number>> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, bool: 1, uint64: 8, int64: 8, float64: 8 };
/** The fewest bytes a value of each type takes (a string: its 8-byte length; an array: type and count). */
const MIN_SIZE = (t: GgufValueType): number => FIXED_SIZE[t] ?? (t === 'string' ? 8 : 12);

/** An array value: its item type, its full length, and its first `MAX_ARRAY_ITEMS_KEPT` items. */
export interface GgufArray {
  type: 'array';
  itemType: GgufValueType;
  length: number;
  items: GgufValue[];
}

/**
 * A metadata value as plain data: numbers and strings as read, 64-bit integers as numbers when a
 * double holds them exactly and as strings of decimal digits otherwise (JSON has no 64-bit integers).
 */
export type GgufValue = number | string | boolean | GgufArray;

export interface GgufKeyValue {
  key: string;
  type: GgufValueType;
  value: GgufValue;
}

export interface GgufTensorInfo {
  name: string;
  /** ggml's dimensions, fastest-varying first (`ne[0]` is a row's length). */
  ne: number[];
  typeId: number;
  /** Offset of the tensor's bytes from the start of the data section. */
  offset: number;
}

export interface GgufHeader {
  version: number;
  littleEndian: boolean;
  alignment: number;
  /** File offset of the data section. */
  dataStart: number;
  metadata: GgufKeyValue[];
  tensors: GgufTensorInfo[];
  warnings: string[];
}

/** A 64-bit integer as JSON can carry it exactly. */
export function exactInteger(v: bigint): number | string {
  const n = Number(v);
  return BigInt(n) === v ? n : v.toString();
}

async function readValue(c: GgufCursor, type: GgufValueType, what: string, depth: number): Promise<GgufValue> {
  switch (type) {
    case 'uint8':
      return c.u8(what);
    case 'int8':
      return c.i8(what);
    case 'uint16':
      return c.u16(what);
    case 'int16':
      return c.i16(what);
    case 'uint32':
      return c.u32(what);
    case 'int32':
      return c.i32(what);
    case 'float32':
      return c.f32(what);
    case 'float64':
      return c.f64(what);
    case 'bool':
      return (await c.u8(what)) !== 0;
    case 'uint64':
      return exactInteger(await c.u64(what));
    case 'int64':
      return exactInteger(await c.i64(what));
    case 'string':
      return c.string(what);
    case 'array':
      return readArray(c, what, depth + 1);
  }
}

async function valueType(c: GgufCursor, what: string): Promise<GgufValueType> {
  const code = await c.u32(what);
  const type = GGUF_VALUE_TYPES[code];
  if (type === undefined) throw c.fail(l10n.t('{0} has unknown value type {1}', what, code));
  return type;
}

async function readArray(c: GgufCursor, what: string, depth: number): Promise<GgufArray> {
  if (depth > MAX_ARRAY_DEPTH) throw c.fail(l10n.t('{0} nests arrays more than {1} deep', what, MAX_ARRAY_DEPTH));
  const itemType = await valueType(c, l10n.t('the item type of {0}', what));
  const length = await c.count(l10n.t('the length of {0}', what), MIN_SIZE(itemType));
  const kept = Math.min(length, MAX_ARRAY_ITEMS_KEPT);
  const items: GgufValue[] = [];
  for (let i = 0; i < kept; i++) items.push(await readValue(c, itemType, what, depth));
  // The rest is walked past, not kept: fixed-size items in one step, strings and arrays one by one.
  const fixed = FIXED_SIZE[itemType];
  if (fixed !== undefined) c.skip((length - kept) * fixed);
  else if (itemType === 'string') for (let i = kept; i < length; i++) c.skip(await c.count(l10n.t('the length of {0}', what), 1));
  else for (let i = kept; i < length; i++) await readArray(c, what, depth + 1);
  return { type: 'array', itemType, length, items };
}

/** Reads the version field and decides the byte order: a big-endian file's version reads as 2<<24 or 3<<24. */
async function versionAndOrder(src: ByteSource): Promise<{ version: number; littleEndian: boolean }> {
  const fail = (what: string) => new GgufCursor(src, true).fail(what);
  if (src.size < 24) throw fail(l10n.t('{0} bytes is too small for a GGUF header', src.size));
  const head = new DataView((await src.read(0, 8)).buffer.slice(0));
  if (head.getUint32(0, true) !== GGUF_MAGIC) throw fail(l10n.t('not a GGUF file (no GGUF magic)'));
  for (const littleEndian of [true, false]) {
    const version = head.getUint32(4, littleEndian);
    if (version === 2 || version === 3) return { version, littleEndian };
    if (version === 1) throw fail(l10n.t('GGUF version 1 (32-bit counts, 2023) is not supported; convert the model again with a current llama.cpp'));
  }
  throw fail(l10n.t('unknown GGUF version {0}', head.getUint32(4, true)));
}

/** Parses everything before the tensor data; the data itself is never read here. */
export async function readGgufHeader(src: ByteSource, signal?: AbortSignal): Promise<GgufHeader> {
  const { version, littleEndian } = await versionAndOrder(src);
  const c = new GgufCursor(src, littleEndian);
  c.pos = 8;
  // A tensor info takes at least 8 (name length) + 4 (dims) + 4 (type) + 8 (offset) bytes; a key/value pair 8 + 4 + 1.
  const tensorCount = await c.count(l10n.t('the tensor count'), 24);
  const kvCount = await c.count(l10n.t('the metadata count'), 13);
  const warnings: string[] = [];
  const metadata: GgufKeyValue[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < kvCount; i++) {
    if ((i & 255) === 0) throwIfAborted(signal);
    const key = await c.string(l10n.t('metadata key {0}', i));
    const type = await valueType(c, l10n.t('metadata {0}', key));
    const value = await readValue(c, type, l10n.t('metadata {0}', key), 0);
    if (seen.has(key)) warnings.push(l10n.t('metadata key {0} appears twice; the first value is shown', key));
    else metadata.push({ key, type, value });
    seen.add(key);
  }
  let alignment = DEFAULT_ALIGNMENT;
  const align = metadata.find((m) => m.key === 'general.alignment');
  if (align) {
    if (align.type !== 'uint32' || typeof align.value !== 'number' || align.value === 0 || (align.value & (align.value - 1)) !== 0) {
      throw c.fail(l10n.t('general.alignment is {0} ({1}); it must be a uint32 power of two', JSON.stringify(align.value), align.type));
    }
    alignment = align.value;
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    if ((i & 255) === 0) throwIfAborted(signal);
    const name = await c.string(l10n.t('the name of tensor {0}', i));
    const dims = await c.u32(l10n.t('tensor {0}', name));
    if (dims > GGUF_MAX_DIMS) throw c.fail(l10n.t('tensor {0} has {1} dimensions; ggml allows at most {2}', name, dims, GGUF_MAX_DIMS));
    const ne: number[] = [];
    let count = 1n;
    for (let d = 0; d < dims; d++) {
      const n = await c.u64(l10n.t('tensor {0}', name));
      count *= n;
      if (n > BigInt(Number.MAX_SAFE_INTEGER) || count > BigInt(Number.MAX_SAFE_INTEGER)) throw c.fail(l10n.t('tensor {0} has a dimension or element count past 2^53', name));
      ne.push(Number(n));
    }
    const typeId = await c.u32(l10n.t('tensor {0}', name));
    const offset = await c.u64(l10n.t('tensor {0}', name));
    if (offset > BigInt(src.size)) {
      // Checked again with the tensor's size by the reader; a wild offset is only that tensor's problem.
      tensors.push({ name, ne, typeId, offset: Number.MAX_SAFE_INTEGER });
      continue;
    }
    tensors.push({ name, ne, typeId, offset: Number(offset) });
  }
  const dataStart = Math.ceil(c.pos / alignment) * alignment;
  return { version, littleEndian, alignment, dataStart, metadata, tensors, warnings };
}
