import type { ByteSource } from '../../runtime/byteSource';

/** Page size of the structure reads: h5py keeps a group's headers, B-tree and heap near each other. */
const PAGE_BYTES = 64 * 1024;
/** Pages kept (4 MiB): enough for the neighbourhood a walk revisits, bounded whatever the file. */
const MAX_PAGES = 64;

/**
 * Small reads of an HDF5 file's structure served from a few cached pages: a walk makes several
 * reads of tens of bytes per object (header, continuation, B-tree node, heap), 60,000 of them
 * for a 6,000-variable model, which cost a system call each without it. Reads larger than a
 * page, or crossing one, go to the source as they are.
 */
export class PageCache {
  private readonly pages = new Map<number, Promise<Uint8Array>>();
  constructor(private readonly src: ByteSource) {}

  read(offset: number, length: number): Promise<Uint8Array> {
    const page = Math.floor(offset / PAGE_BYTES);
    if (Math.floor((offset + length - 1) / PAGE_BYTES) !== page || length === 0) return this.src.read(offset, length);
    let p = this.pages.get(page);
    if (p) {
      // Map order is insertion order: re-inserting makes it the most recently used.
      this.pages.delete(page);
    } else {
      const start = page * PAGE_BYTES;
      p = this.src.read(start, Math.min(PAGE_BYTES, this.src.size - start));
      if (this.pages.size >= MAX_PAGES) this.pages.delete(this.pages.keys().next().value!);
    }
    this.pages.set(page, p);
    const start = offset - page * PAGE_BYTES;
    return p.then((bytes) => bytes.subarray(start, start + length));
  }
}
