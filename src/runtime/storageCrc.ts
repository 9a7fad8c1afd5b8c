import * as l10n from '@vscode/l10n';
import { throwIfAborted } from '../core/abort';
import type { ByteSource } from './byteSource';
import { crc32 } from './crc32';
import { storageBytes } from '../core/dtypes';
import type { TensorRef } from './elementStream';
import type { TensorLocation } from '../core/modelIndex';

/** Bytes per read of a separate CRC pass: the kernels' chunk size, so memory stays bounded. */
export const CRC_READ_BYTES = 4 * 1024 * 1024;

/** A storage whose bytes do not match the CRC-32 its file records: the numbers would be wrong. */
export class StorageCrcError extends Error {
  constructor(readonly storageKey: string) {
    super(l10n.t('storage data/{0} fails its CRC-32 check: the file is corrupt', storageKey));
    this.name = 'StorageCrcError';
  }
}

/**
 * Whether reading `t` whole in storage order reads exactly its storage's bytes, in order: a
 * row-major contiguous view from element 0 that spans the storage. Then statistics compute the
 * CRC-32 on the bytes they read anyway; any other view is checked by a separate read.
 */
export function coversStorage(t: TensorRef): boolean {
  const { shape, location } = t;
  if (location.elementOffset !== 0) return false;
  let expected = 1;
  let numel = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d !== 1 && location.strides[i] !== expected) return false;
    expected *= d;
    numel *= d;
  }
  return storageBytes(t.dtype, numel) === location.storageBytes;
}

/** Throws `StorageCrcError` unless `actual` is the CRC-32 `location` records (if it records one). */
export function checkStorageCrc(location: TensorLocation, actual: number): void {
  if (location.crc32 !== undefined && actual >>> 0 !== location.crc32 >>> 0) throw new StorageCrcError(location.storageKey);
}

/** Reads a storage's bytes (bounded chunks) and checks their CRC-32; nothing when none is recorded. */
export async function verifyStorageCrc(src: ByteSource, location: TensorLocation, signal?: AbortSignal): Promise<void> {
  if (location.crc32 === undefined) return;
  let crc = 0;
  for (let at = 0; at < location.storageBytes; at += CRC_READ_BYTES) {
    throwIfAborted(signal);
    crc = crc32(await src.read(location.storageOffset + at, Math.min(CRC_READ_BYTES, location.storageBytes - at)), crc);
  }
  checkStorageCrc(location, crc);
}
