import * as l10n from '@vscode/l10n';
import type { ReaderResult } from '../../core/modelIndex';
import type { ByteSource } from '../../runtime/byteSource';
import { elementBytes } from '../../core/dtypes';
import { FormatError, type FormatReader, type ReaderContext } from '../formatReader';
import { throwIfAborted } from '../../core/abort';
import { PickleTruncatedError, unpickle, type UnpicklerHooks } from '../pickle/unpickler';
import { PyDict } from '../pickle/values';
import { StorageCollector } from './storageResolver';
import { createTorchGlobalResolver } from './torchGlobals';
import { interpretTorchObject, type StorageBytes } from './torchObjects';
import type { StorageRef } from './torchValues';

/**
 * Legacy `torch.save` (before 1.6, or `_use_new_zipfile_serialization=False`): five pickles in a
 * row — magic number, protocol version, sys_info, the object, the sorted storage keys — then each
 * storage as an int64 element count followed by its raw bytes.
 * Source: torch/serialization.py `_legacy_save` / `_legacy_load`, torch/csrc/generic/serialization.cpp.
 */
// Pickle protocol 2 header, LONG1 of 10 bytes, then MAGIC_NUMBER 0x1950a86a20f9469cfc6c little-endian.
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const LEGACY_PROTOCOL_VERSION = 1001;
/** First read of the pickle prefix; grown ×4 while the pickles run past it. */
const INITIAL_WINDOW = 1024 * 1024;
/** The pickles hold structure only; 256 MiB is far above any real model's (CWE-770). */
export const MAX_LEGACY_PICKLE_BYTES = 256 * 1024 * 1024;
/** Bytes of each storage's element-count prefix. */
const STORAGE_HEADER_BYTES = 8;

export const pytorchLegacyReader: FormatReader = {
  id: 'pytorch-legacy',
  label: 'PyTorch',
  extensions: ['.pt', '.pth', '.ckpt'],
  sniffedExtensions: ['.bin', '.pkl', '.tar'],

  async match(src: ByteSource): Promise<boolean> {
    if (src.size < LEGACY_MAGIC.length) return false;
    const head = await src.read(0, LEGACY_MAGIC.length);
    return LEGACY_MAGIC.every((b, i) => head[i] === b);
  },

  async open(src: ByteSource, ctx: ReaderContext): Promise<ReaderResult> {
    try {
      return await openLegacy(src, ctx);
    } catch (e) {
      if (e instanceof FormatError) throw e;
      throw new FormatError('pytorch-legacy', l10n.t('{0}: not a readable legacy PyTorch file: {1}', src.name, (e as Error).message));
    }
  },
};

async function openLegacy(src: ByteSource, ctx: ReaderContext): Promise<ReaderResult> {
  let windowSize = Math.min(src.size, INITIAL_WINDOW);
  for (;;) {
    throwIfAborted(ctx.signal);
    const data = await src.read(0, windowSize);
    try {
      return await parseLegacy(src, data, ctx);
    } catch (e) {
      if (!(e instanceof PickleTruncatedError)) throw e;
      if (windowSize >= src.size) throw new FormatError('pytorch-legacy', l10n.t('{0}: the file ends inside its pickle data (truncated)', src.name));
      if (windowSize >= MAX_LEGACY_PICKLE_BYTES) throw new FormatError('pytorch-legacy', l10n.t('{0}: pickle data exceeds {1} bytes', src.name, MAX_LEGACY_PICKLE_BYTES));
      windowSize = Math.min(src.size, windowSize * 4, MAX_LEGACY_PICKLE_BYTES);
    }
  }
}

async function parseLegacy(src: ByteSource, data: Uint8Array, ctx: ReaderContext): Promise<ReaderResult> {
  const warnings: string[] = [];
  const notes: string[] = [];
  const collector = new StorageCollector();
  const plain: UnpicklerHooks = {
    resolveGlobal: createTorchGlobalResolver({ warn: (m) => warnings.push(m), note: (m) => notes.push(m) }),
    persistentLoad: () => {
      throw new FormatError('pytorch-legacy', l10n.t('unexpected persistent id in a header pickle'));
    },
    warn: (m) => warnings.push(m),
  };
  const magic = unpickle(data, 0, plain);
  const version = unpickle(data, magic.end, plain);
  if (version.value !== LEGACY_PROTOCOL_VERSION) throw new FormatError('pytorch-legacy', l10n.t('{0}: unsupported legacy protocol version {1}', src.name, String(version.value)));
  const sysInfo = unpickle(data, version.end, plain);
  const littleEndian = !(sysInfo.value instanceof PyDict) || sysInfo.value.get('little_endian') !== false;
  const main = unpickle(data, sysInfo.end, { ...plain, persistentLoad: (pid) => collector.persistentLoad(pid) });
  const keys = unpickle(data, main.end, plain);
  if (!Array.isArray(keys.value)) throw new FormatError('pytorch-legacy', l10n.t('{0}: storage key list is missing', src.name));

  // Walk the storage records: only their 8-byte headers are read.
  const located = new Map<string, StorageBytes>();
  let pos = keys.end;
  for (const rawKey of keys.value) {
    throwIfAborted(ctx.signal);
    const key = String(rawKey);
    const ref = collector.storages.get(key);
    if (!ref) throw new FormatError('pytorch-legacy', l10n.t('{0}: storage {1} is listed but never used', src.name, key));
    if (pos + STORAGE_HEADER_BYTES > src.size) throw new FormatError('pytorch-legacy', l10n.t('{0}: storage {1} starts past the end of the file (truncated)', src.name, key));
    const head = await src.read(pos, STORAGE_HEADER_BYTES);
    const numel = new DataView(head.buffer, head.byteOffset, 8).getBigInt64(0, littleEndian);
    const bytes = numel * BigInt(elementBytes(ref.dtype));
    if (numel < 0n || BigInt(pos + STORAGE_HEADER_BYTES) + bytes > BigInt(src.size)) {
      throw new FormatError('pytorch-legacy', l10n.t('{0}: storage {1} claims {2} elements, more than the file holds (truncated)', src.name, key, String(numel)));
    }
    located.set(key, { file: src.name, offset: pos + STORAGE_HEADER_BYTES, bytes: Number(bytes), byteOrder: littleEndian ? 'little' : 'big' });
    pos += STORAGE_HEADER_BYTES + Number(bytes);
  }
  const byRef = new Map<StorageRef, StorageBytes>();
  for (const ref of collector.all()) {
    const loc = located.get(ref.key);
    if (loc) byRef.set(ref, loc);
  }
  return { ...interpretTorchObject(main.value, 'pytorch-legacy', byRef, warnings), notes };
}
