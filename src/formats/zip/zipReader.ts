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
  /** CRC-32 of the uncompressed bytes, as the central directory records it. */
  crc32: number;
  /** General-purpose flags; bit 3: sizes and CRC follow the data in a descriptor (torch.save sets it). */
  flags: number;
  /** Where the next record (or the central directory) begins: this record's bytes must end by then. */
  limit: number;
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
const DESCRIPTOR_SIG = 0x08074b50; // data descriptor (optional signature)
const FLAG_DESCRIPTOR = 0x0008; // general purpose bit 3: sizes and CRC in a descriptor after the data
/** Longest data descriptor: signature, CRC-32 and two zip64 (8-byte) sizes. */
const MAX_DESCRIPTOR_SIZE = 24;
const METHOD_STORED = 0;
/** The EOCD comment is at most 65,535 bytes, so the record sits within this tail. */
const MAX_EOCD_SEARCH = EOCD_SIZE + 0xffff;
/** Central directory cap: 64 MiB holds ~1M entries, far beyond any checkpoint (CWE-770). */
const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;
/**
 * One read that locates several neighbouring records (`dataOffsets`): 1 MiB is a few thousand
 * small storages' headers, data and descriptors, and bounds what a read brings in beyond them.
 */
const LOCATE_WINDOW_BYTES = 1024 * 1024;

/** A positioned read: the file's, or one served from a window already read. */
type RangeRead = (offset: number, length: number) => Promise<Uint8Array>;

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
      const flags = cv.getUint16(p + 8, true);
      const method = cv.getUint16(p + 10, true);
      const crc32 = cv.getUint32(p + 16, true);
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
      // A stored record's bytes are its content: two sizes that differ are a lie, and the larger
      // one would make a storage reach into the next record (or past the end of the file).
      if (method === METHOD_STORED && compressedSize !== uncompressedSize) {
        throw new ZipError(l10n.t('record {0} is stored uncompressed but claims {1} bytes stored and {2} bytes of content', name, compressedSize, uncompressedSize));
      }
      if (entries.has(name)) throw new ZipError(l10n.t('the zip lists record {0} twice', name));
      entries.set(name, { name, method, compressedSize, uncompressedSize, localHeaderOffset, crc32, flags, limit: cdOffset });
      p = end;
    }
    // Records must not overlap each other or the central directory: each ends (at least its
    // header, name and data) before the next begins. Two directory entries sharing bytes would
    // give one storage another's contents.
    const byOffset = [...entries.values()].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    for (let i = 0; i < byOffset.length; i++) {
      const e = byOffset[i]!;
      const next = byOffset[i + 1];
      e.limit = next ? next.localHeaderOffset : cdOffset;
      if (e.localHeaderOffset + LOCAL_SIZE + new TextEncoder().encode(e.name).length + e.compressedSize > e.limit) {
        throw new ZipError(next ? l10n.t('record {0} overlaps record {1}', e.name, next.name) : l10n.t('record {0} overlaps the central directory', e.name));
      }
    }
    return new ZipReader(src, entries);
  }

  /**
   * Absolute offset of an entry's data. The local header's name and extra lengths can differ
   * from the central directory's (torch pads local extras to align storages to 64 bytes).
   * `read` serves the header and descriptor reads (`dataOffsets` passes a window already read).
   */
  async dataOffset(entry: ZipEntry, read: RangeRead = (o, n) => this.src.read(o, n)): Promise<number> {
    const h = view(await read(entry.localHeaderOffset, LOCAL_SIZE));
    if (h.getUint32(0, true) !== LOCAL_SIG) throw new ZipError(l10n.t('bad local header for {0}', entry.name));
    const nameLen = h.getUint16(26, true);
    const extraLen = h.getUint16(28, true);
    const start = entry.localHeaderOffset + LOCAL_SIZE + nameLen + extraLen;
    if (start + entry.compressedSize > this.src.size) throw new ZipError(l10n.t('record {0} lies past the end of the file (truncated zip)', entry.name));
    if (start + entry.compressedSize > entry.limit) throw new ZipError(l10n.t('record {0} overlaps the record after it', entry.name));
    const names = await read(entry.localHeaderOffset + LOCAL_SIZE, nameLen + extraLen);
    const disagree = (): ZipError => new ZipError(l10n.t('the local header of record {0} disagrees with the central directory', entry.name));
    if (new TextDecoder().decode(names.subarray(0, nameLen)) !== entry.name || h.getUint16(8, true) !== entry.method) throw disagree();
    if (entry.flags & FLAG_DESCRIPTOR) {
      if (!(await this.descriptorAgrees(entry, start + entry.compressedSize, read))) throw disagree();
    } else {
      const crc = h.getUint32(14, true);
      let [compressed, uncompressed] = [h.getUint32(18, true), h.getUint32(22, true)];
      if (compressed === 0xffffffff || uncompressed === 0xffffffff) [compressed, uncompressed] = zip64Sizes(view(names.subarray(nameLen)), compressed, uncompressed, entry.name);
      if (crc !== entry.crc32 || compressed !== entry.compressedSize || uncompressed !== entry.uncompressedSize) throw disagree();
    }
    return start;
  }

  /**
   * `dataOffset` of many entries, each result (an offset or the error `dataOffset` would throw)
   * under its entry. Every check a record needs lies in [its local header, `limit`), so records
   * whose spans fit in one `LOCATE_WINDOW_BYTES` read share it: 150,000 small storages cost a
   * few dozen reads instead of 450,000, and a big record still costs only its few small reads.
   */
  async dataOffsets(entries: readonly ZipEntry[]): Promise<Map<ZipEntry, number | Error>> {
    const out = new Map<ZipEntry, number | Error>();
    const sorted = [...new Set(entries)].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    for (let i = 0; i < sorted.length; ) {
      const start = sorted[i]!.localHeaderOffset;
      let j = i;
      while (j < sorted.length && sorted[j]!.limit - start <= LOCATE_WINDOW_BYTES) j++;
      let read: RangeRead | undefined;
      if (j > i) {
        const end = Math.min(sorted[j - 1]!.limit, this.src.size);
        const window = await this.src.read(start, end - start);
        read = (o, n) => (o >= start && o + n <= end ? Promise.resolve(window.subarray(o - start, o - start + n)) : this.src.read(o, n));
      } else j = i + 1;
      for (let k = i; k < j; k++) {
        const e = sorted[k]!;
        out.set(e, await this.dataOffset(e, read).catch((err: unknown) => (err instanceof Error ? err : new ZipError(String(err)))));
      }
      i = j;
    }
    return out;
  }

  /** Whether the data descriptor after the record (with or without signature, 32- or 64-bit sizes) says what the directory says. */
  private async descriptorAgrees(entry: ZipEntry, at: number, read: RangeRead): Promise<boolean> {
    const len = Math.min(MAX_DESCRIPTOR_SIZE, entry.limit - at, this.src.size - at);
    if (len < 12) return false;
    const d = view(await read(at, len));
    const layouts: Array<[number, 4 | 8]> = [
      [4, 4],
      [4, 8],
      [0, 4],
      [0, 8],
    ];
    return layouts.some(([skip, width]) => {
      if (skip && d.getUint32(0, true) !== DESCRIPTOR_SIG) return false;
      if (skip + 4 + 2 * width > len || d.getUint32(skip, true) !== entry.crc32) return false;
      const size = (o: number): number => (width === 4 ? d.getUint32(o, true) : Number(d.getBigUint64(o, true)));
      return size(skip + 4) === entry.compressedSize && size(skip + 4 + width) === entry.uncompressedSize;
    });
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

/** The 64-bit sizes of a local header's zip64 extra field, for the 32-bit fields saturated at 0xffffffff. */
function zip64Sizes(extra: DataView, compressed: number, uncompressed: number, name: string): [number, number] {
  for (let e = 0; e + 4 <= extra.byteLength; ) {
    const id = extra.getUint16(e, true);
    const size = extra.getUint16(e + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      let q = e + 4;
      const take = (): number => {
        if (q + 8 > Math.min(e + 4 + size, extra.byteLength)) throw new ZipError(l10n.t('bad zip64 extra field in {0}', name));
        const v = safeNumber(extra.getBigUint64(q, true), () => l10n.t('zip64 size'));
        q += 8;
        return v;
      };
      // APPNOTE 4.5.3: uncompressed size first, then compressed.
      if (uncompressed === 0xffffffff) uncompressed = take();
      if (compressed === 0xffffffff) compressed = take();
      return [compressed, uncompressed];
    }
    e += 4 + size;
  }
  return [compressed, uncompressed];
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** `what` names the field, translated only when the value is refused. */
function safeNumber(v: bigint, what: () => string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(l10n.t('{0} is out of range', what()));
  return Number(v);
}
