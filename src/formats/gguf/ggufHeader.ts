import * as l10n from '@vscode/l10n';
import type { ByteSource } from '../../runtime/byteSource';
import { throwIfAborted } from '../../core/abort';
import { findGgmlType } from '../../runtime/ggml/blockTypes';
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
/** ggml's limit on a tensor's element count (int64_t): more is an overflow, not a size. */
const GGML_MAX_ELEMENTS = (1n << 63n) - 1n;

/**
 * ggml type ids that ggml has removed (ggml.h keeps them as comments), so a file naming one says so
 * rather than "unknown". Source: ggml-org/ggml include/ggml.h, enum ggml_type.
 */
const REMOVED_GGML_TYPES: Readonly<Record<number, string>> = {
  4: 'Q4_2', // removed in 2023
  5: 'Q4_3', // removed in 2023
  31: 'Q4_0_4_4', // repacked at load time since 2024; no longer stored in files
  32: 'Q4_0_4_8', // likewise
  33: 'Q4_0_8_8', // likewise
  36: 'IQ4_NL_4_4', // likewise
  37: 'IQ4_NL_4_8', // likewise
  38: 'IQ4_NL_8_8', // likewise
};

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
  /**
   * Why this tensor's bytes cannot be located (a negative or overflowing dimension, a removed type,
   * an offset past the end of the file): the reader leaves it out with this reason, the others stay.
   */
  problem?: string;
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

/** What reading values noticed without refusing the file: bools stored as bytes other than 0 and 1. */
interface ValueNotes {
  oddBools: number;
  firstOddBool?: { what: string; byte: number };
}

async function readValue(c: GgufCursor, type: GgufValueType, what: string, depth: number, notes: ValueNotes): Promise<GgufValue> {
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
    case 'bool': {
      // ggml reads the byte into a C++ bool and takes any non-zero byte as true; so do we, and say so.
      const byte = await c.u8(what);
      if (byte > 1) {
        notes.oddBools++;
        notes.firstOddBool ??= { what, byte };
      }
      return byte !== 0;
    }
    case 'uint64':
      return exactInteger(await c.u64(what));
    case 'int64':
      return exactInteger(await c.i64(what));
    case 'string':
      return c.string(what);
    case 'array':
      return readArray(c, what, depth + 1, notes);
  }
}

async function valueType(c: GgufCursor, what: string): Promise<GgufValueType> {
  const code = await c.u32(what);
  const type = GGUF_VALUE_TYPES[code];
  if (type === undefined) throw c.fail(l10n.t('{0} has unknown value type {1}', what, code));
  return type;
}

async function readArray(c: GgufCursor, what: string, depth: number, notes: ValueNotes): Promise<GgufArray> {
  if (depth > MAX_ARRAY_DEPTH) throw c.fail(l10n.t('{0} nests arrays more than {1} deep', what, MAX_ARRAY_DEPTH));
  const itemType = await valueType(c, l10n.t('the item type of {0}', what));
  const length = await c.count(l10n.t('the length of {0}', what), MIN_SIZE(itemType));
  const kept = Math.min(length, MAX_ARRAY_ITEMS_KEPT);
  const items: GgufValue[] = [];
  for (let i = 0; i < kept; i++) items.push(await readValue(c, itemType, what, depth, notes));
  // The rest is walked past, not kept: fixed-size items in one step, strings and arrays one by one.
  const fixed = FIXED_SIZE[itemType];
  if (fixed !== undefined) c.skip((length - kept) * fixed);
  else if (itemType === 'string') for (let i = kept; i < length; i++) c.skip(await c.count(l10n.t('the length of {0}', what), 1));
  else for (let i = kept; i < length; i++) await readArray(c, what, depth + 1, notes);
  return { type: 'array', itemType, length, items };
}

/** Reads the version field and decides the byte order: a big-endian file's version reads as 2<<24 or 3<<24. */
async function versionAndOrder(src: ByteSource): Promise<{ version: number; littleEndian: boolean }> {
  const fail = (what: string) => new GgufCursor(src, true).fail(what);
  if (src.size < 24) throw fail(l10n.t('{0} bytes is too small for a GGUF header', src.size));
  const head = new DataView((await src.read(0, 8)).buffer.slice(0));
  if (head.getUint32(0, true) !== GGUF_MAGIC) throw fail(l10n.t('not a GGUF file: it starts with {0}, not GGUF', magicText(new Uint8Array(head.buffer, 0, 4))));
  for (const littleEndian of [true, false]) {
    const version = head.getUint32(4, littleEndian);
    if (version === 2 || version === 3) return { version, littleEndian };
    if (version === 1) throw fail(l10n.t('GGUF version 1 (32-bit counts, 2023) is not supported; convert the model again with a current llama.cpp'));
  }
  throw fail(l10n.t('GGUF version {0} is not supported: ParamScope reads versions 2 and 3', head.getUint32(4, true)));
}

/** The first four bytes as a person can read them: quoted text when printable ASCII, else hex. */
function magicText(b: Uint8Array): string {
  return b.every((x) => x >= 0x20 && x < 0x7f) ? `'${String.fromCharCode(...b)}'` : `0x${[...b].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** Characters of a key or tensor name quoted in an error: a hostile file's names can be megabytes long. */
const MAX_NAME_SHOWN = 200;
const brief = (name: string): string => (name.length > MAX_NAME_SHOWN ? `${name.slice(0, MAX_NAME_SHOWN)}…` : name);

/** `n` rounded up to a multiple of `alignment` (a power of two). */
const alignUp = (n: number, alignment: number): number => Math.ceil(n / alignment) * alignment;

/**
 * A tensor's dimensions, checked as ggml checks them: each must be non-negative as an int64 and
 * their product must fit in an int64. Returns the reason when they do not, or when the product is
 * past 2^53 (no file holds that many elements, and the index keeps shapes as exact numbers).
 */
function dimsProblem(raw: readonly bigint[]): string | undefined {
  for (let d = 0; d < raw.length; d++) {
    if (raw[d]! >= 1n << 63n) return l10n.t('dimension {0} is {1} (negative as a signed 64-bit number)', d, BigInt.asIntN(64, raw[d]!).toString());
  }
  const count = raw.reduce((a, n) => a * n, 1n);
  const shown = `[${raw.join(', ')}]`;
  if (count > GGML_MAX_ELEMENTS) return l10n.t('its dimensions {0} multiply to {1} elements, more than ggml allows (2^63 - 1)', shown, count.toString());
  // Even beside a zero dimension (no elements at all): shapes are kept as exact numbers.
  const huge = raw.findIndex((n) => n > BigInt(Number.MAX_SAFE_INTEGER));
  if (huge >= 0) return l10n.t('dimension {0} is {1}, past 2^53 - 1, the largest ParamScope keeps exactly', huge, raw[huge]!.toString());
  if (count > BigInt(Number.MAX_SAFE_INTEGER)) return l10n.t('its dimensions {0} multiply to {1} elements, more than any file holds', shown, count.toString());
  return undefined;
}

/**
 * Checks the data section's layout as ggml's gguf_init_from_file does — each tensor at a multiple of
 * the alignment, where the one before it ended (rounded up), and the padding after the last one in
 * the file — refusing no more than the tensor at fault: one whose offset is misaligned, past the end
 * or inside another tensor's bytes (out of sequence) is left out with its problem; a layout whose
 * bytes are all still where the infos say gets one warning, since llama.cpp refuses it.
 */
function checkLayout(tensors: GgufTensorInfo[], alignment: number, dataStart: number, fileSize: number, warnings: string[]): void {
  const dataBytes = Math.max(fileSize - dataStart, 0);
  interface Placed {
    t: GgufTensorInfo;
    start: number;
    end: number;
    /** Where ggml expects it when that is not its offset. */
    expected?: number;
    after?: string;
  }
  const placed: Placed[] = [];
  let expected: number | undefined = 0;
  let previous: string | undefined;
  for (const t of tensors) {
    const ggml = findGgmlType(t.typeId);
    if (t.problem || !ggml || (t.ne[0] ?? 1) % ggml.blockSize !== 0) {
      // Its bytes are unknown (the reader says why): the next tensor's offset cannot be predicted.
      expected = undefined;
      continue;
    }
    const bytes = (t.ne.reduce((a, n) => a * n, 1) / ggml.blockSize) * ggml.bytesPerBlock;
    const outOfSequence = expected !== undefined && t.offset !== expected;
    if (t.offset % alignment !== 0) t.problem = l10n.t('its data offset {0} is not a multiple of general.alignment ({1}), as ggml requires', t.offset, alignment);
    // Past the end where ggml expects it: the file is cut short (the reader says so); elsewhere the offset is wrong.
    else if (t.offset + bytes > dataBytes && (outOfSequence || expected === undefined)) {
      t.problem = t.offset > dataBytes
        ? l10n.t('its data offset {0} is past the end of the file ({1} bytes of tensor data)', t.offset, dataBytes)
        : l10n.t('its {0} bytes at data offset {1} run past the end of the file ({2} bytes of tensor data)', bytes, t.offset, dataBytes);
    }
    if (t.problem) {
      expected = undefined;
      continue;
    }
    placed.push({ t, start: t.offset, end: t.offset + bytes, ...(outOfSequence ? { expected, after: previous } : {}) });
    expected = alignUp(t.offset + bytes, alignment);
    previous = t.name;
  }
  // Overlaps, by a sweep in offset order: the tensor out of sequence is the one whose offset is wrong.
  const byStart = placed.filter((p) => p.end > p.start).sort((a, b) => a.start - b.start || a.end - b.end);
  let reach: Placed | undefined;
  let overlapWarned = false;
  for (const p of byStart) {
    if (reach && p.start < reach.end) {
      const [wrong, other] = p.expected !== undefined ? [p, reach] : reach.expected !== undefined ? [reach, p] : [undefined, undefined];
      if (wrong && other) {
        wrong.t.problem = l10n.t('its bytes overlap those of tensor {0} (ggml expects it at data offset {1})', other.t.name, wrong.expected!);
        if (wrong === reach) reach = p;
        continue;
      }
      if (!overlapWarned) warnings.push(l10n.t('tensors {0} and {1} overlap in the data section: they share bytes', reach.t.name, p.t.name));
      overlapWarned = true;
    }
    if (!reach || p.end > reach.end) reach = p;
  }
  const kept = placed.filter((p) => !p.t.problem);
  const first = kept.find((p) => p.expected !== undefined);
  if (first) {
    warnings.push(
      first.after === undefined
        ? l10n.t('tensor {0} starts at data offset {1}, where ggml expects {2}; llama.cpp refuses files whose tensors are out of sequence', first.t.name, first.start, first.expected!)
        : l10n.t('tensor {0} starts at data offset {1}, where ggml expects {2} (after tensor {3}); llama.cpp refuses files whose tensors are out of sequence', first.t.name, first.start, first.expected!, first.after),
    );
  }
  const dataEnd = kept.reduce((a, p) => Math.max(a, p.end), 0);
  const paddedEnd = alignUp(dataEnd, alignment);
  if (kept.length > 0 && dataEnd <= dataBytes && paddedEnd > dataBytes) {
    warnings.push(l10n.t('the file ends at byte {0}, inside the padding after its last tensor (ggml expects {1} bytes); its tensors are intact, but llama.cpp refuses the file', fileSize, dataStart + paddedEnd));
  }
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
  const notes: ValueNotes = { oddBools: 0 };
  for (let i = 0; i < kvCount; i++) {
    if ((i & 255) === 0) throwIfAborted(signal);
    const key = await c.string(l10n.t('metadata key {0}', i));
    // ggml refuses a file whose key appears twice: which value a tool would use is anyone's guess.
    if (seen.has(key)) throw c.fail(l10n.t('metadata key {0} appears twice (ggml refuses such a file)', brief(key)));
    seen.add(key);
    const type = await valueType(c, l10n.t('metadata {0}', brief(key)));
    const value = await readValue(c, type, l10n.t('metadata {0}', brief(key)), 0, notes);
    metadata.push({ key, type, value });
  }
  if (notes.firstOddBool) {
    const { what, byte } = notes.firstOddBool;
    warnings.push(notes.oddBools === 1
      ? l10n.t('{0} is a bool stored as byte {1} (GGUF bools are 0 or 1); read as true, as ggml does', what, byte)
      : l10n.t('{0} and {1} more bools are stored as bytes other than 0 or 1 (first: {2}); read as true, as ggml does', what, notes.oddBools - 1, byte));
  }
  let alignment = DEFAULT_ALIGNMENT;
  const align = metadata.find((m) => m.key === 'general.alignment');
  if (align) {
    if (align.type !== 'uint32' || typeof align.value !== 'number') throw c.fail(l10n.t('general.alignment is stored as {0}; ggml requires a uint32', align.type));
    if (align.value === 0 || (align.value & (align.value - 1)) !== 0) throw c.fail(l10n.t('general.alignment is {0}, not a power of two', align.value));
    alignment = align.value;
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    if ((i & 255) === 0) throwIfAborted(signal);
    const name = await c.string(l10n.t('the name of tensor {0}', i));
    const dims = await c.u32(l10n.t('tensor {0}', brief(name)));
    if (dims > GGUF_MAX_DIMS) throw c.fail(l10n.t('tensor {0} has {1} dimensions; ggml allows at most {2}', brief(name), dims, GGUF_MAX_DIMS));
    const raw: bigint[] = [];
    for (let d = 0; d < dims; d++) raw.push(await c.u64(l10n.t('tensor {0}', brief(name))));
    const typeId = await c.u32(l10n.t('tensor {0}', brief(name)));
    const offset = await c.u64(l10n.t('tensor {0}', brief(name)));
    // A bad dimension, type or offset is this tensor's problem only: the infos after it still parse.
    let problem = dimsProblem(raw);
    const removed = REMOVED_GGML_TYPES[typeId];
    if (!problem && removed) problem = l10n.t('ggml type {0} ({1}) was removed from ggml; no current tool reads it', typeId, removed);
    // Offsets inside 2^53 are judged with the layout (checkLayout), so a truncated download reads as cut short.
    if (!problem && offset > BigInt(Number.MAX_SAFE_INTEGER)) problem = l10n.t('its data offset {0} is past the end of the file ({1} bytes)', offset.toString(), src.size);
    const ne = problem ? raw.map((n) => Number(BigInt.asIntN(64, n))) : raw.map(Number);
    tensors.push({ name, ne, typeId, offset: problem ? 0 : Number(offset), ...(problem ? { problem } : {}) });
  }
  const dataStart = alignUp(c.pos, alignment);
  if (tensors.length > 0 && dataStart > src.size) {
    throw c.fail(l10n.t('the file is cut short: it ends at byte {0}, before its tensor data (which starts at byte {1})', src.size, dataStart));
  }
  checkLayout(tensors, alignment, dataStart, src.size, warnings);
  return { version, littleEndian, alignment, dataStart, metadata, tensors, warnings };
}
