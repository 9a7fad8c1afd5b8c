import * as l10n from '@vscode/l10n';
import type { RawTensor, ReaderResult } from '../../core/modelIndex';
import type { ByteSource } from '../../runtime/byteSource';
import { kindFromName } from '../../core/tensorKinds';
import { elementBytes } from '../../core/dtypes';
import { FormatError, type FormatReader } from '../formatReader';
import { SAFETENSORS_DTYPES } from './safetensorsDtypes';

/** Header JSON cap, as in the reference implementation (100 MB; CWE-770). */
export const MAX_HEADER_LENGTH = 100_000_000;
/** Length prefix: a little-endian u64. */
const LENGTH_PREFIX_BYTES = 8;
/** Dimensions per tensor: far above any real model, and bounds shape-product work. */
const MAX_RANK = 64;

/** Names of missing tensors a message spells out; the rest are counted. */
export const MAX_NAMED_MISSING = 3;

/** A data section shorter than its header says: an interrupted download or copy. */
export interface SafetensorsTruncation {
  /** Data-section bytes the file holds. */
  presentBytes: number;
  /** Data-section bytes the header's offsets need (the largest end offset). */
  expectedBytes: number;
  /** Tensors whose bytes reach past the end of the file, in data order; left out of `tensors`. */
  missing: string[];
}

/** Parsed header of one safetensors file: used alone and by the sharded reader. */
export interface SafetensorsHeader {
  /** Tensors whose bytes lie wholly inside the file, in header order. */
  tensors: RawTensor[];
  metadata: Record<string, string>;
  /** Set when the file is cut short inside its data section but some tensors are intact. */
  truncation?: SafetensorsTruncation;
}

const fail = (src: ByteSource, msg: string): FormatError => new FormatError('safetensors', `${src.name}: ${msg}`);

/** Reads and validates a safetensors header; tensor bytes stay on disk. */
export async function readSafetensorsHeader(src: ByteSource): Promise<SafetensorsHeader> {
  if (src.size < LENGTH_PREFIX_BYTES) throw fail(src, l10n.t('file is too small to be safetensors'));
  const prefix = await src.read(0, LENGTH_PREFIX_BYTES);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_LENGTH)) throw fail(src, l10n.t('header length {0} exceeds the {1}-byte limit', String(n), MAX_HEADER_LENGTH));
  const headerLen = Number(n);
  if (LENGTH_PREFIX_BYTES + headerLen > src.size) {
    throw fail(src, l10n.t('the file is truncated: its JSON header needs bytes 8 to {0}, but the file has only {1} bytes', LENGTH_PREFIX_BYTES + headerLen, src.size));
  }
  const raw = await src.read(LENGTH_PREFIX_BYTES, headerLen);
  let header: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    header = JSON.parse(text);
  } catch (e) {
    throw fail(src, l10n.t('header is not valid UTF-8 JSON ({0})', (e as Error).message));
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw fail(src, l10n.t('header is not a JSON object'));
  // JSON.parse keeps the last of two equal keys without a word: two entries for one name would
  // show one tensor and hide the other's bytes.
  const duplicate = duplicateTopLevelKey(text, Object.keys(header).length);
  if (duplicate !== undefined) throw fail(src, l10n.t("the header names '{0}' twice", duplicate));

  const dataStart = LENGTH_PREFIX_BYTES + headerLen;
  const dataSize = src.size - dataStart;
  const tensors: RawTensor[] = [];
  // Every entry is validated (the header must be whole and valid); only then are the tensors whose
  // bytes reach past the end of the file set aside. Nothing outside the file is ever read.
  const cut: HeaderEntry[] = [];
  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  // for-in, not Object.entries: the header of 100,000 tensors is a dictionary-mode object, whose
  // entries array cost ~150 ms to build (the same keys in the same order).
  const byKey = header as Record<string, unknown>;
  for (const name in byKey) {
    if (!Object.prototype.hasOwnProperty.call(byKey, name)) continue;
    const info = byKey[name];
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) throw fail(src, l10n.t('__metadata__ is not an object'));
      metadata = Object.fromEntries(Object.entries(info).map(([k, v]) => [k, String(v)]));
      continue;
    }
    const entry = parseEntry(src, name, info);
    entries.push(entry);
    if (entry.end <= dataSize) tensors.push(rawTensor(src, entry, dataStart));
    else cut.push(entry);
  }
  checkLayout(src, entries, cut.length === 0 ? dataSize : undefined);
  if (cut.length === 0) return { tensors, metadata };
  cut.sort((a, b) => a.begin - b.begin);
  const expectedBytes = cut.reduce((m, c) => Math.max(m, c.end), 0);
  if (tensors.length === 0) {
    const first = cut[0]!;
    throw fail(src, l10n.t('the file is cut short: {0} of {1} data bytes present, and no tensor is whole (the first, {2}, needs data bytes {3} to {4})', formatBytes(dataSize), formatBytes(expectedBytes), first.name, formatBytes(first.begin), formatBytes(first.end)));
  }
  return { tensors, metadata, truncation: { presentBytes: dataSize, expectedBytes, missing: cut.map((c) => c.name) } };
}

/**
 * The tensors' byte ranges must tile the data section: sorted by offsets, each begins where the
 * previous one ends, from 0 to the end of the file (`dataSize`; undefined when the file is cut
 * short and its end is not the data's). This is the reference library's rule (safetensors'
 * `Metadata::validate`: `InvalidOffset` for an overlap or a gap, `MetadataIncompleteBuffer` for
 * bytes after the last tensor), so an overlap cannot make two tensors share bytes and no bytes
 * hide between or after them.
 */
function checkLayout(src: ByteSource, entries: HeaderEntry[], dataSize: number | undefined): void {
  // Writers lay tensors out in header order (torch's, the Hub's): sorted already, and checked so in one pass.
  let inOrder = true;
  for (let i = 1; i < entries.length && inOrder; i++) inOrder = entries[i - 1]!.begin < entries[i]!.begin || (entries[i - 1]!.begin === entries[i]!.begin && entries[i - 1]!.end <= entries[i]!.end);
  const sorted = inOrder ? entries : [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let end = 0;
  let previous: HeaderEntry | undefined;
  for (const e of sorted) {
    if (e.begin < end) throw fail(src, l10n.t("tensor '{0}': data_offsets [{1}, {2}] overlap those of '{3}', which end at {4}", e.name, e.begin, e.end, previous!.name, end));
    if (e.begin > end) {
      throw previous
        ? fail(src, l10n.t("tensor '{0}': data_offsets [{1}, {2}] leave {3} bytes unused after '{4}'", e.name, e.begin, e.end, e.begin - end, previous.name))
        : fail(src, l10n.t("tensor '{0}': data_offsets [{1}, {2}] leave the first {3} data bytes unused", e.name, e.begin, e.end, e.begin));
    }
    end = e.end;
    previous = e;
  }
  if (dataSize !== undefined && end !== dataSize) throw fail(src, l10n.t('the data section holds {0} bytes after the last tensor, which the header does not describe', formatBytes(dataSize - end)));
}

/**
 * The first top-level key of a JSON object text that appears twice, or undefined. `text` has
 * already parsed as JSON, so strings are well formed: one linear pass over the characters. With
 * `parsedKeys` (how many keys JSON.parse kept), a first pass only counts the keys, and the keys
 * themselves are cut out and compared only when the counts differ: 100,000 names then cost no
 * strings and no Set.
 */
export function duplicateTopLevelKey(text: string, parsedKeys?: number): string | undefined {
  if (parsedKeys !== undefined && scanTopLevelKeys(text) === parsedKeys) return undefined;
  const seen = new Set<string>();
  let found: string | undefined;
  scanTopLevelKeys(text, (i, j) => {
    // A key without escapes is its own text (the common case; 150,000 keys check 3× faster).
    const raw = text.slice(i + 1, j);
    const key = raw.includes('\\') ? (JSON.parse(text.slice(i, j + 1)) as string) : raw;
    if (seen.has(key)) found = key;
    seen.add(key);
    return found === undefined;
  });
  return found;
}

/** Counts the top-level keys of a JSON object text, handing each key's quotes' positions to `visit` (false stops). */
function scanTopLevelKeys(text: string, visit?: (open: number, close: number) => boolean): number {
  let depth = 0;
  let keyNext = false;
  let keys = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // The closing quote: the next quote not escaped, found by indexOf (names are most of a
      // header's characters); a quote is escaped when an odd run of backslashes precedes it.
      let j = text.indexOf('"', i + 1);
      for (;;) {
        if (j < 0) return keys; // unterminated (never in text JSON.parse accepted)
        let slashes = 0;
        while (text.charCodeAt(j - 1 - slashes) === 0x5c /* \ */) slashes++;
        if (slashes % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      if (depth === 1 && keyNext) {
        keys++;
        if (visit && !visit(i, j)) return keys;
        keyNext = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      keyNext = depth === 1 && c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
    else if (c === 0x2c /* , */ && depth === 1) keyNext = true;
  }
  return keys;
}

/** `1,234`: byte counts in messages, grouped the same way in every language. */
export const formatBytes = (n: number): string => n.toLocaleString('en-US');

/** `a, b, c, …`: the first few of a list of names (names are data: pass the result as an argument). */
export function firstNames(names: readonly string[]): string {
  return names.length > MAX_NAMED_MISSING ? `${names.slice(0, MAX_NAMED_MISSING).join(', ')}, …` : names.join(', ');
}

/** The warning of a file cut short inside its data section, whose intact tensors are listed. */
export function truncationWarning(t: SafetensorsTruncation): string {
  const [present, needed] = [formatBytes(t.presentBytes), formatBytes(t.expectedBytes)];
  return t.missing.length === 1
    ? l10n.t('file is cut short: {0} of {1} data bytes present; 1 tensor missing: {2}', present, needed, firstNames(t.missing))
    : l10n.t('file is cut short: {0} of {1} data bytes present; {2} tensors missing: {3}', present, needed, t.missing.length, firstNames(t.missing));
}

/** One validated header entry; `begin`/`end` are offsets in the data section, not yet checked against the file. */
interface HeaderEntry {
  name: string;
  dtype: RawTensor['dtype'];
  shape: number[];
  begin: number;
  end: number;
}

/** Validates one header entry; its byte range is checked against the file by the caller. */
function parseEntry(src: ByteSource, name: string, info: unknown): HeaderEntry {
  const bad = (what: string): FormatError => fail(src, l10n.t("tensor '{0}': {1}", name, what));
  if (typeof info !== 'object' || info === null) throw bad(l10n.t('entry is not an object'));
  const { dtype: code, shape, data_offsets: offsets } = info as Record<string, unknown>;
  const dtype = typeof code === 'string' ? SAFETENSORS_DTYPES[code] : undefined;
  if (!dtype) throw bad(l10n.t('unknown dtype {0}', String(JSON.stringify(code))));
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(l10n.t('bad shape {0}', String(JSON.stringify(shape))));
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(l10n.t('bad data_offsets {0}', String(JSON.stringify(offsets))));
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw bad(l10n.t('bad data_offsets {0}', String(JSON.stringify(offsets))));
  // The byte count in doubles while it stays exact (every real shape); past 2^53 it is larger than
  // any safe span unless a later dimension is 0, so exactness is then settled in BigInt.
  let bytes = elementBytes(dtype);
  for (const d of shape as number[]) bytes *= d;
  if (bytes !== end - begin || !Number.isSafeInteger(bytes)) {
    let numel = 1n;
    for (const d of shape as number[]) numel *= BigInt(d);
    const expected = numel * BigInt(elementBytes(dtype));
    if (expected !== BigInt(end - begin)) throw bad(l10n.t('shape {0} of {1} needs {2} bytes but data_offsets span {3}', JSON.stringify(shape), String(code), String(expected), end - begin));
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** A tensor whose bytes lie inside the file (`end` ≤ data size): contiguous, row-major. */
function rawTensor(src: ByteSource, e: HeaderEntry, dataStart: number): RawTensor {
  const dims = e.shape;
  const strides = new Array<number>(dims.length);
  let s = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(dims[i]!, 1);
  }
  return {
    name: e.name,
    dtype: e.dtype,
    shape: dims,
    kind: kindFromName(e.name),
    location: { file: src.name, storageOffset: dataStart + e.begin, storageBytes: e.end - e.begin, storageKey: e.name, elementOffset: 0, strides, byteOrder: 'little' },
  };
}

/** `.safetensors`: an 8-byte header length, a JSON header, then raw little-endian tensor data. */
export const safetensorsReader: FormatReader = {
  id: 'safetensors',
  label: 'safetensors',
  extensions: ['.safetensors'],

  async match(src: ByteSource): Promise<boolean> {
    // Length prefix, then a JSON object starting with '{'.
    if (src.size < LENGTH_PREFIX_BYTES + 2) return false;
    const head = await src.read(0, LENGTH_PREFIX_BYTES + 1);
    const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    return n > 1n && n <= BigInt(Math.min(MAX_HEADER_LENGTH, src.size - LENGTH_PREFIX_BYTES)) && head[8] === 0x7b;
  },

  async open(src: ByteSource): Promise<ReaderResult> {
    const { tensors, metadata, truncation } = await readSafetensorsHeader(src);
    return { format: 'safetensors', tensors, metadata, warnings: truncation ? [truncationWarning(truncation)] : [] };
  },
};
