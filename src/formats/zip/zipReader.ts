import * as l10n from '@vscode/l10n';
import type { ByteSource } from '../../runtime/byteSource';

/** A zip archive we cannot use: truncated, lying about sizes, or compressed where we read raw. */
export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

/** One record of the central directory. */
export interface ZipEntry {
  name: string;
  /** 0 = stored (what torch.save writes), 8 = deflate. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

// Signatures and fixed sizes. Source: PKWARE APPNOTE.TXT 6.3.10, sections 4.3.7–4.3.16.
const EOCD_SIG = 0x06054b50; // end of central directory record
const EOCD_SIZE = 22;
const EOCD64_LOCATOR_SIG = 0x07064b50; // zip64 end of central directory locator
const EOCD64_LOCATOR_SIZE = 20;
const EOCD64_SIG = 0x06064b50; // zip64 end of central directory record
const CENTRAL_SIG = 0x02014b50; // central directory file header
const CENTRAL_SIZE = 46;
const LOCAL_SIG = 0x04034b50; // local file header
const LOCAL_SIZE = 30;
const ZIP64_EXTRA_ID = 0x0001;
/** The EOCD comment is at most 65,535 bytes, so the record sits within this tail. */
const MAX_EOCD_SEARCH = EOCD_SIZE + 0xffff;
/** Central directory cap: 64 MiB holds ~1M entries, far beyond any checkpoint (CWE-770). */
const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;

/**
 * Reads a zip's central directory without touching the records' data, so storages can be
 * located and read lazily. Validates every size and offset against the archive size.
 */
export class ZipReader {
  private constructor(
    private readonly src: ByteSource,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  static async open(src: ByteSource): Promise<ZipReader> {
    if (src.size < EOCD_SIZE) throw new ZipError(l10n.t('file is too small to be a zip archive'));
    const tailLen = Math.min(src.size, MAX_EOCD_SEARCH);
    const tail = await src.read(src.size - tailLen, tailLen);
    const tv = view(tail);
    let eocd = -1;
    for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
      if (tv.getUint32(i, true) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new ZipError(l10n.t('no end-of-central-directory record: the zip is truncated or not a zip'));
    let count = tv.getUint16(eocd + 10, true);
    let cdSize = tv.getUint32(eocd + 12, true);
    let cdOffset = tv.getUint32(eocd + 16, true);
    const eocdAbs = src.size - tailLen + eocd;

    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const locAbs = eocdAbs - EOCD64_LOCATOR_SIZE;
      if (locAbs < 0) throw new ZipError(l10n.t('zip64 locator missing'));
      const loc = view(await src.read(locAbs, EOCD64_LOCATOR_SIZE));
      if (loc.getUint32(0, true) !== EOCD64_LOCATOR_SIG) throw new ZipError(l10n.t('zip64 locator missing'));
      const rec64 = safeNumber(loc.getBigUint64(8, true), () => l10n.t('zip64 record offset'));
      if (rec64 + 56 > src.size) throw new ZipError(l10n.t('zip64 record offset is past the end of the file'));
      const r = view(await src.read(rec64, 56));
      if (r.getUint32(0, true) !== EOCD64_SIG) throw new ZipError(l10n.t('bad zip64 end-of-central-directory record'));
      count = safeNumber(r.getBigUint64(32, true), () => l10n.t('entry count'));
      cdSize = safeNumber(r.getBigUint64(40, true), () => l10n.t('central directory size'));
      cdOffset = safeNumber(r.getBigUint64(48, true), () => l10n.t('central directory offset'));
    }
    if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) throw new ZipError(l10n.t('central directory of {0} bytes exceeds the {1}-byte limit', cdSize, MAX_CENTRAL_DIRECTORY_BYTES));
    if (cdOffset + cdSize > src.size) throw new ZipError(l10n.t('central directory lies past the end of the file (truncated zip)'));
    if (count * CENTRAL_SIZE > cdSize) throw new ZipError(l10n.t('zip claims {0} entries but its directory holds fewer', count));

    const cd = await src.read(cdOffset, cdSize);
    const cv = view(cd);
    const entries = new Map<string, ZipEntry>();
    const decoder = new TextDecoder();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + CENTRAL_SIZE > cd.length || cv.getUint32(p, true) !== CENTRAL_SIG) throw new ZipError(l10n.t('bad central directory entry {0}', i));
      const method = cv.getUint16(p + 10, true);
      let compressedSize = cv.getUint32(p + 20, true);
      let uncompressedSize = cv.getUint32(p + 24, true);
      const nameLen = cv.getUint16(p + 28, true);
      const extraLen = cv.getUint16(p + 30, true);
      const commentLen = cv.getUint16(p + 32, true);
      let localHeaderOffset = cv.getUint32(p + 42, true);
      const end = p + CENTRAL_SIZE + nameLen + extraLen + commentLen;
      if (end > cd.length) throw new ZipError(l10n.t('central directory entry {0} runs past the directory', i));
      const name = decoder.decode(cd.subarray(p + CENTRAL_SIZE, p + CENTRAL_SIZE + nameLen));
      // Zip64 extra field: the 64-bit values appear only for fields saturated at 0xffffffff.
      let e = p + CENTRAL_SIZE + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = cv.getUint16(e, true);
        const size = cv.getUint16(e + 2, true);
        if (id === ZIP64_EXTRA_ID) {
          let q = e + 4;
          const take = (): number => {
            if (q + 8 > e + 4 + size) throw new ZipError(l10n.t('bad zip64 extra field in {0}', name));
            const v = safeNumber(cv.getBigUint64(q, true), () => l10n.t('zip64 size'));
            q += 8;
            return v;
          };
          if (uncompressedSize === 0xffffffff) uncompressedSize = take();
          if (compressedSize === 0xffffffff) compressedSize = take();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
        }
        e += 4 + size;
      }
      if (localHeaderOffset + LOCAL_SIZE + compressedSize > src.size) {
        throw new ZipError(l10n.t('record {0} lies past the end of the file (truncated zip)', name));
      }
      entries.set(name, { name, method, compressedSize, uncompressedSize, localHeaderOffset });
      p = end;
    }
    return new ZipReader(src, entries);
  }

  /**
   * Absolute offset of an entry's data. The local header's name and extra lengths can differ
   * from the central directory's (torch pads local extras to align storages to 64 bytes).
   */
  async dataOffset(entry: ZipEntry): Promise<number> {
    const h = view(await this.src.read(entry.localHeaderOffset, LOCAL_SIZE));
    if (h.getUint32(0, true) !== LOCAL_SIG) throw new ZipError(l10n.t('bad local header for {0}', entry.name));
    const start = entry.localHeaderOffset + LOCAL_SIZE + h.getUint16(26, true) + h.getUint16(28, true);
    if (start + entry.compressedSize > this.src.size) throw new ZipError(l10n.t('record {0} lies past the end of the file (truncated zip)', entry.name));
    return start;
  }

  /** Reads a whole (small) record, inflating it if needed. */
  async readEntry(entry: ZipEntry, maxBytes: number): Promise<Uint8Array> {
    if (entry.uncompressedSize > maxBytes) throw new ZipError(l10n.t('{0} is {1} bytes, over the {2}-byte limit', entry.name, entry.uncompressedSize, maxBytes));
    const start = await this.dataOffset(entry);
    const raw = await this.src.read(start, entry.compressedSize);
    if (entry.method === 0) return raw;
    if (entry.method === 8) {
      const { inflateRaw } = await import('node:zlib');
      return new Promise((resolve, reject) =>
        inflateRaw(raw, { maxOutputLength: maxBytes }, (err, out) => (err ? reject(new ZipError(l10n.t('cannot inflate {0}: {1}', entry.name, err.message))) : resolve(new Uint8Array(out)))),
      );
    }
    throw new ZipError(l10n.t('{0} uses zip compression method {1}, which is not supported', entry.name, entry.method));
  }
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** `what` names the field, translated only when the value is refused. */
function safeNumber(v: bigint, what: () => string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(l10n.t('{0} is out of range', what()));
  return Number(v);
}
