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
    if (src.size < EOCD_SIZE) throw new ZipError('file is too small to be a zip archive');
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
    if (eocd < 0) throw new ZipError('no end-of-central-directory record: the zip is truncated or not a zip');
    let count = tv.getUint16(eocd + 10, true);
    let cdSize = tv.getUint32(eocd + 12, true);
    let cdOffset = tv.getUint32(eocd + 16, true);
    const eocdAbs = src.size - tailLen + eocd;

    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const locAbs = eocdAbs - EOCD64_LOCATOR_SIZE;
      if (locAbs < 0) throw new ZipError('zip64 locator missing');
      const loc = view(await src.read(locAbs, EOCD64_LOCATOR_SIZE));
      if (loc.getUint32(0, true) !== EOCD64_LOCATOR_SIG) throw new ZipError('zip64 locator missing');
      const rec64 = safeNumber(loc.getBigUint64(8, true), 'zip64 record offset');
      if (rec64 + 56 > src.size) throw new ZipError('zip64 record offset is past the end of the file');
      const r = view(await src.read(rec64, 56));
      if (r.getUint32(0, true) !== EOCD64_SIG) throw new ZipError('bad zip64 end-of-central-directory record');
      count = safeNumber(r.getBigUint64(32, true), 'entry count');
      cdSize = safeNumber(r.getBigUint64(40, true), 'central directory size');
      cdOffset = safeNumber(r.getBigUint64(48, true), 'central directory offset');
    }
    if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) throw new ZipError(`central directory of ${cdSize} bytes exceeds the ${MAX_CENTRAL_DIRECTORY_BYTES}-byte limit`);
    if (cdOffset + cdSize > src.size) throw new ZipError('central directory lies past the end of the file (truncated zip)');
    if (count * CENTRAL_SIZE > cdSize) throw new ZipError(`zip claims ${count} entries but its directory holds fewer`);

    const cd = await src.read(cdOffset, cdSize);
    const cv = view(cd);
    const entries = new Map<string, ZipEntry>();
    const decoder = new TextDecoder();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + CENTRAL_SIZE > cd.length || cv.getUint32(p, true) !== CENTRAL_SIG) throw new ZipError(`bad central directory entry ${i}`);
      const method = cv.getUint16(p + 10, true);
      let compressedSize = cv.getUint32(p + 20, true);
      let uncompressedSize = cv.getUint32(p + 24, true);
      const nameLen = cv.getUint16(p + 28, true);
      const extraLen = cv.getUint16(p + 30, true);
      const commentLen = cv.getUint16(p + 32, true);
      let localHeaderOffset = cv.getUint32(p + 42, true);
      const end = p + CENTRAL_SIZE + nameLen + extraLen + commentLen;
      if (end > cd.length) throw new ZipError(`central directory entry ${i} runs past the directory`);
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
            if (q + 8 > e + 4 + size) throw new ZipError(`bad zip64 extra field in ${name}`);
            const v = safeNumber(cv.getBigUint64(q, true), 'zip64 size');
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
        throw new ZipError(`record ${name} lies past the end of the file (truncated zip)`);
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
    if (h.getUint32(0, true) !== LOCAL_SIG) throw new ZipError(`bad local header for ${entry.name}`);
    const start = entry.localHeaderOffset + LOCAL_SIZE + h.getUint16(26, true) + h.getUint16(28, true);
    if (start + entry.compressedSize > this.src.size) throw new ZipError(`record ${entry.name} lies past the end of the file (truncated zip)`);
    return start;
  }

  /** Reads a whole (small) record, inflating it if needed. */
  async readEntry(entry: ZipEntry, maxBytes: number): Promise<Uint8Array> {
    if (entry.uncompressedSize > maxBytes) throw new ZipError(`${entry.name} is ${entry.uncompressedSize} bytes, over the ${maxBytes}-byte limit`);
    const start = await this.dataOffset(entry);
    const raw = await this.src.read(start, entry.compressedSize);
    if (entry.method === 0) return raw;
    if (entry.method === 8) {
      const { inflateRaw } = await import('node:zlib');
      return new Promise((resolve, reject) =>
        inflateRaw(raw, { maxOutputLength: maxBytes }, (err, out) => (err ? reject(new ZipError(`cannot inflate ${entry.name}: ${err.message}`)) : resolve(new Uint8Array(out)))),
      );
    }
    throw new ZipError(`${entry.name} uses zip compression method ${entry.method}, which is not supported`);
  }
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function safeNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`${what} is out of range`);
  return Number(v);
}
