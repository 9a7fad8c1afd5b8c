import * as l10n from '@vscode/l10n';
import type { RawTensor, ReaderResult } from '../../model/modelIndex';
import type { ByteSource } from '../../runtime/byteSource';
import { kindFromName } from '../../model/tensorKinds';
import { DTYPE_SIZE } from '../../runtime/dtypes';
import { FormatError, type FormatReader } from '../formatReader';
import { SAFETENSORS_DTYPES } from './safetensorsDtypes';

/** Header JSON cap, as in the reference implementation (100 MB; CWE-770). */
export const MAX_HEADER_LENGTH = 100_000_000;
/** Length prefix: a little-endian u64. */
const LENGTH_PREFIX_BYTES = 8;
/** Dimensions per tensor: far above any real model, and bounds shape-product work. */
const MAX_RANK = 64;

/** Parsed header of one safetensors file: used alone and by the sharded reader. */
export interface SafetensorsHeader {
  tensors: RawTensor[];
  metadata: Record<string, string>;
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
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (e) {
    throw fail(src, l10n.t('header is not valid UTF-8 JSON ({0})', (e as Error).message));
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw fail(src, l10n.t('header is not a JSON object'));

  const dataStart = LENGTH_PREFIX_BYTES + headerLen;
  const dataSize = src.size - dataStart;
  const tensors: RawTensor[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) throw fail(src, l10n.t('__metadata__ is not an object'));
      metadata = Object.fromEntries(Object.entries(info).map(([k, v]) => [k, String(v)]));
      continue;
    }
    tensors.push(parseEntry(src, name, info, dataStart, dataSize));
  }
  return { tensors, metadata };
}

function parseEntry(src: ByteSource, name: string, info: unknown, dataStart: number, dataSize: number): RawTensor {
  const bad = (what: string): FormatError => fail(src, l10n.t("tensor '{0}': {1}", name, what));
  if (typeof info !== 'object' || info === null) throw bad(l10n.t('entry is not an object'));
  const { dtype: code, shape, data_offsets: offsets } = info as Record<string, unknown>;
  const dtype = typeof code === 'string' ? SAFETENSORS_DTYPES[code] : undefined;
  if (!dtype) throw bad(l10n.t('unknown dtype {0}', String(JSON.stringify(code))));
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(l10n.t('bad shape {0}', String(JSON.stringify(shape))));
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(l10n.t('bad data_offsets {0}', String(JSON.stringify(offsets))));
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataSize) throw bad(l10n.t('data_offsets [{0}, {1}] lie outside the {2}-byte data section', begin, end, dataSize));
  let numel = 1n;
  for (const d of shape as number[]) numel *= BigInt(d);
  const expected = numel * BigInt(DTYPE_SIZE[dtype]);
  if (expected !== BigInt(end - begin)) throw bad(l10n.t('shape {0} of {1} needs {2} bytes but data_offsets span {3}', JSON.stringify(shape), String(code), String(expected), end - begin));
  const dims = shape as number[];
  const strides = new Array<number>(dims.length);
  let s = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(dims[i]!, 1);
  }
  return {
    name,
    dtype,
    shape: dims,
    kind: kindFromName(name),
    location: { file: src.name, storageOffset: dataStart + begin, storageBytes: end - begin, storageKey: name, elementOffset: 0, strides, byteOrder: 'little' },
  };
}

/** `.safetensors`: an 8-byte header length, a JSON header, then raw little-endian tensor data. */
export const safetensorsReader: FormatReader = {
  id: 'safetensors',
  extensions: ['.safetensors'],

  async match(src: ByteSource): Promise<boolean> {
    // Length prefix, then a JSON object starting with '{'.
    if (src.size < LENGTH_PREFIX_BYTES + 2) return false;
    const head = await src.read(0, LENGTH_PREFIX_BYTES + 1);
    const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    return n > 1n && n <= BigInt(Math.min(MAX_HEADER_LENGTH, src.size - LENGTH_PREFIX_BYTES)) && head[8] === 0x7b;
  },

  async open(src: ByteSource): Promise<ReaderResult> {
    const { tensors, metadata } = await readSafetensorsHeader(src);
    return { format: 'safetensors', tensors, metadata, warnings: [] };
  },
};
