import * as l10n from '@vscode/l10n';
import { rootNameForFile } from '../../core/accessPath';
import { throwIfAborted } from '../../core/abort';
import type { RawTensor, ReaderResult, StorageEncoding, TensorLocation } from '../../core/modelIndex';
import type { ByteSource } from '../../runtime/byteSource';
import { decodedStreamSource } from '../../runtime/encodedSource';
import { FormatError, type FormatReader, type ReaderContext } from '../formatReader';
import { ZipReader, type ZipEntry } from '../zip/zipReader';
import { MAX_NPY_HEADER_BYTES, NPY_MAGIC, NPY_PREFIX_V2, NpyError, npyPrefix, parseNpyHeader, type NpyHeader } from './npyHeader';

/**
 * NumPy's files: `.npy` (one array: `np.save`) and `.npz` (a zip of `.npy` members, one per key:
 * `np.savez`, stored, and `np.savez_compressed`, deflated). Nothing is unpickled: an object array
 * is named and left out. Tensors stay on disk; a deflated member is inflated as the kernels read
 * it (core `StorageEncoding` `deflate`, skipping the member's `.npy` header), never whole.
 */

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

const fail = (format: string, src: ByteSource, msg: string): FormatError => new FormatError(format, `${src.name}: ${msg}`);

/** A parsed header and the byte count its shape and type need, checked against what holds them. */
async function readHeader(m: ByteSource): Promise<{ header: NpyHeader; dataBytes: number }> {
  const head = await m.read(0, Math.min(NPY_PREFIX_V2, m.size));
  const p = npyPrefix(head);
  if (!p) throw new NpyError(l10n.t('not a .npy array (no \\x93NUMPY magic)'));
  if (p.textBytes > MAX_NPY_HEADER_BYTES) throw new NpyError(l10n.t('the .npy header claims {0} bytes, over the {1}-byte limit', p.textBytes, MAX_NPY_HEADER_BYTES));
  if (p.prefix + p.textBytes > m.size) throw new NpyError(l10n.t('the file is truncated: its .npy header needs {0} bytes, but there are only {1}', p.prefix + p.textBytes, m.size));
  const header = parseNpyHeader(p.version, p.prefix, await m.read(p.prefix, p.textBytes));
  let numel = 1n;
  for (const d of header.shape) numel *= BigInt(d);
  const bytes = numel * BigInt(header.itemsize);
  const available = m.size - header.headerBytes;
  if (bytes > BigInt(available)) {
    throw new NpyError(l10n.t('the array is cut short: shape ({0}) of {1} needs {2} bytes of data, but there are only {3}', header.shape.join(', '), header.descr, String(bytes), available));
  }
  return { header, dataBytes: Number(bytes) };
}

/** Element strides of a C-ordered (row-major) or Fortran-ordered (column-major) array. */
function stridesOf(shape: readonly number[], fortran: boolean): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  const order = fortran ? shape.map((_, i) => i) : shape.map((_, i) => shape.length - 1 - i);
  for (const i of order) {
    strides[i] = s;
    s *= Math.max(shape[i]!, 1);
  }
  return strides;
}

function tensorOf(name: string, h: NpyHeader, dataBytes: number, location: Omit<TensorLocation, 'strides' | 'elementOffset' | 'byteOrder' | 'storageBytes'>, containerKey: string | null): RawTensor {
  return {
    name,
    dtype: h.dtype,
    shape: h.shape,
    kind: 'tensor',
    // `np.load('x.npy')` is the array itself; `np.load('x.npz')['w']` one key of it.
    containerPath: containerKey === null ? [] : [{ kind: 'key', key: containerKey }],
    location: { ...location, storageBytes: dataBytes, elementOffset: 0, strides: stridesOf(h.shape, h.fortranOrder), byteOrder: h.byteOrder },
    details: { npyVersion: h.version, descr: h.descr, order: h.fortranOrder ? 'F' : 'C' },
  };
}

async function isNpy(src: ByteSource): Promise<boolean> {
  if (src.size < NPY_MAGIC.length + 4) return false;
  const head = await src.read(0, NPY_MAGIC.length);
  return NPY_MAGIC.every((b, i) => head[i] === b);
}

/** `np.save`: one array. */
export const npyReader: FormatReader = {
  id: 'npy',
  label: 'NumPy .npy',
  extensions: ['.npy'],
  match: isNpy,

  async open(src: ByteSource): Promise<ReaderResult> {
    try {
      const { header, dataBytes } = await readHeader(src);
      const warnings: string[] = [];
      const extra = src.size - header.headerBytes - dataBytes;
      if (extra > 0) warnings.push(l10n.t('{0} bytes after the array are not part of it', extra));
      const name = rootNameForFile(src.name);
      const t = tensorOf(name, header, dataBytes, { file: src.name, storageOffset: header.headerBytes, storageKey: name }, null);
      return { format: 'npy', tensors: [t], metadata: {}, container: { version: header.version, descr: header.descr, order: header.fortranOrder ? 'Fortran (column-major)' : 'C (row-major)' }, warnings };
    } catch (e) {
      if (e instanceof NpyError) throw fail('npy', src, e.message);
      throw e;
    }
  },
};

/** A member's bytes as they decode (a window of the file, or its inflated stream). */
function memberSource(src: ByteSource, e: ZipEntry, dataOffset: number): { bytes: ByteSource; encoding?: Extract<StorageEncoding, { kind: 'deflate' }> } {
  if (e.method === METHOD_STORED) return { bytes: src.slice(dataOffset, e.compressedSize) };
  const encoding = { kind: 'deflate' as const, offset: dataOffset, bytes: e.compressedSize, skip: 0 };
  return { bytes: decodedStreamSource(src, encoding, e.uncompressedSize), encoding };
}

/** `np.savez` / `np.savez_compressed`: a zip whose members are `<key>.npy`. */
export const npzReader: FormatReader = {
  id: 'npz',
  label: 'NumPy .npz',
  extensions: ['.npz'],

  async match(src: ByteSource): Promise<boolean> {
    if (src.size < 4) return false;
    const head = await src.read(0, 4);
    return ZIP_MAGIC.every((b, i) => head[i] === b);
  },

  async open(src: ByteSource, ctx: ReaderContext): Promise<ReaderResult> {
    let zip: ZipReader;
    try {
      zip = await ZipReader.open(src);
    } catch (e) {
      throw fail('npz', src, l10n.t('not a readable .npz (zip) file: {0}', (e as Error).message));
    }
    const tensors: RawTensor[] = [];
    const warnings: string[] = [];
    const others: string[] = [];
    let deflated = 0;
    const entries = [...zip.entries.values()].filter((e) => !e.name.endsWith('/'));
    const offsets = await zip.dataOffsets(entries.filter((e) => e.name.endsWith('.npy')));
    for (const e of entries) {
      throwIfAborted(ctx.signal);
      if (!e.name.endsWith('.npy')) {
        others.push(e.name);
        continue;
      }
      // np.load's key: the member name without `.npy` (numpy/lib/_npyio_impl.py, NpzFile).
      const key = e.name.slice(0, -'.npy'.length);
      try {
        const at = offsets.get(e);
        if (at instanceof Error) throw at;
        if (e.method !== METHOD_STORED && e.method !== METHOD_DEFLATE) throw new NpyError(l10n.t('zip compression method {0} is not supported', e.method));
        const m = memberSource(src, e, at!);
        const { header, dataBytes } = await readHeader(m.bytes);
        if (header.headerBytes + dataBytes !== e.uncompressedSize) throw new NpyError(l10n.t('the member holds {0} bytes but its header and data need {1}', e.uncompressedSize, header.headerBytes + dataBytes));
        const loc = m.encoding
          ? { file: src.name, storageOffset: 0, storageKey: e.name, encoding: { ...m.encoding, skip: header.headerBytes } }
          : { file: src.name, storageOffset: at! + header.headerBytes, storageKey: e.name };
        if (m.encoding) deflated++;
        tensors.push(tensorOf(key, header, dataBytes, loc, key));
      } catch (err) {
        if (!(err instanceof NpyError) && !(err instanceof Error && err.name === 'ZipError') && !(err instanceof Error && err.name === 'EncodedStorageError')) throw err;
        warnings.push(l10n.t("'{0}' is left out: {1}", key, err.message));
      }
    }
    if (tensors.length === 0 && warnings.length === 0 && others.length > 0) throw fail('npz', src, l10n.t('zip archive without .npy members, so not an .npz file'));
    const notes = others.length ? [l10n.t('{0} members that are not .npy arrays are not shown: {1}', others.length, others.slice(0, 3).join(', ') + (others.length > 3 ? ', …' : ''))] : [];
    return { format: 'npz', tensors, metadata: {}, container: { members: entries.length, compression: deflated ? l10n.t('{0} of {1} arrays deflated (np.savez_compressed)', deflated, tensors.length) : l10n.t('none (np.savez)') }, warnings, notes };
  },
};
