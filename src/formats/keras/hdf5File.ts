import * as l10n from '@vscode/l10n';
import type { ByteSource } from '../../runtime/byteSource';
import { PageCache } from './pageCache';
import { type Datatype, Fields, fixedString, Hdf5Error, type Layout, numbers, parseAttribute, parseDataspace, parseDatatype, parseLayout, parseLink, UNDEFINED_ADDRESS } from './hdf5Messages';

/**
 * The subset of HDF5 that h5py writes for Keras files, read through a `ByteSource` without the
 * HDF5 library: superblocks v0–v3, object headers v1 and v2 with continuation blocks, groups as
 * symbol tables (v1 B-tree + local heap, h5py's default) or link messages (`libver='latest'`),
 * attributes in the header (fixed and variable-length strings, numbers), and each dataset's
 * dtype, shape and raw-data location. Every address and size is checked against the file before
 * it is read. Source: the HDF5 File Format Specification 3.0 (section numbers below). Dense link
 * or attribute storage (fractal heaps, groups of more than 8 links under `libver='latest'`) is
 * refused with a message; checksums of v2 structures are not verified (every read is bounded).
 */

/** The HDF5 signature, at 0 or at 512, 1024, 2048, … (after a user block; II.A). */
export const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** Superblock offsets tried: a user block is a power of two from 512 bytes; 64 KiB is far past any tool's. */
const MAX_USER_BLOCK = 64 * 1024;
/** One object header's messages in all its blocks: Keras's attributes stay under 64 KiB each (HDF5_OBJECT_HEADER_LIMIT); 16 MiB is generous (CWE-770). */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** Continuation blocks of one header: each is another read; real files have a handful. */
const MAX_CONTINUATIONS = 1024;
/** A group's local heap (its members' names) or a global-heap collection: 64 MiB (CWE-770). */
const MAX_HEAP_BYTES = 64 * 1024 * 1024;
/** Objects one walk visits: bounds work on a file of millions of tiny groups. */
export const MAX_OBJECTS = 1_000_000;
/** Group nesting: Keras nests a few levels per sub-model; hard links may form cycles (checked apart). */
export const MAX_DEPTH = 64;
/**
 * Structure bytes one file may cost in reads (headers, B-trees, heaps), as a multiple of its size
 * plus a floor: a real file's structure is read about once; a mutated one whose headers and trees
 * point into each other again and again stops here instead of reading for minutes.
 */
const READ_BUDGET_FACTOR = 4;
const READ_BUDGET_FLOOR = 16 * 1024 * 1024;
/** Elements of an attribute decoded to numbers or strings (Keras's `layer_names` of a huge model stays far below). */
const MAX_ATTRIBUTE_ELEMENTS = 1_000_000;

// Message types (IV.A.2).
const MSG_DATASPACE = 0x01;
const MSG_LINK_INFO = 0x02;
const MSG_DATATYPE = 0x03;
const MSG_LINK = 0x06;
const MSG_LAYOUT = 0x08;
const MSG_FILTERS = 0x0b;
const MSG_ATTRIBUTE = 0x0c;
const MSG_CONTINUATION = 0x10;
const MSG_SYMBOL_TABLE = 0x11;
const MSG_ATTRIBUTE_INFO = 0x15;

interface Message {
  type: number;
  /** Bit 1: the message is shared (kept elsewhere; a committed datatype). */
  flags: number;
  /** The message's bytes, and where they start relative to the base address. */
  body: Fields;
  address: number;
}

/** A dataset as the file describes it (nothing of its data read). */
export interface Hdf5Dataset {
  path: string;
  type: Datatype;
  /** `[]` for a scalar; null for a null dataspace. */
  shape: number[] | null;
  /** Raw data relative to the base address (`address` is file-relative for `contiguous` and `compact`). */
  layout: Layout & { address?: number };
  filtered: boolean;
}

/** An attribute's value: strings for string types, numbers for small numeric ones, else undefined. */
export type AttributeValue = string | string[] | number | number[] | undefined;

export class Hdf5File {
  /** Global heap collections read so far, by address: object index → bytes. */
  private readonly heaps = new Map<number, Map<number, Uint8Array>>();
  private heapBytes = 0;
  private budget: number;
  private readonly pages: PageCache;
  private constructor(
    private readonly src: ByteSource,
    /** Absolute offset that addresses are relative to (II.A "base address"). */
    readonly base: number,
    readonly offsetSize: number,
    readonly lengthSize: number,
    readonly rootAddress: number,
    readonly superblockVersion: number,
  ) {
    this.budget = READ_BUDGET_FACTOR * src.size + READ_BUDGET_FLOOR;
    this.pages = new PageCache(src);
  }

  /** Where the signature is (0, 512, 1024, …), or -1. */
  static async findSignature(src: ByteSource): Promise<number> {
    for (let at = 0; at + 8 <= src.size && at <= MAX_USER_BLOCK; at = at === 0 ? 512 : at * 2) {
      const b = await src.read(at, 8);
      if (HDF5_SIGNATURE.every((x, i) => b[i] === x)) return at;
    }
    return -1;
  }

  static async open(src: ByteSource): Promise<Hdf5File> {
    const at = await Hdf5File.findSignature(src);
    if (at < 0) throw new Hdf5Error(l10n.t('no HDF5 signature at offset 0, 512, 1024, …'));
    const head = await src.read(at, Math.min(src.size - at, 128));
    const version = head[8] ?? 255;
    const sizes = version <= 1 ? [head[13], head[14]] : [head[9], head[10]];
    const [o, l] = sizes as [number, number];
    if (![2, 4, 8].includes(o) || ![2, 4, 8].includes(l)) throw new Hdf5Error(l10n.t('superblock: sizes of offsets {0} and lengths {1} are not supported', String(o), String(l)));
    const f = new Fields(head, o, l, l10n.t('HDF5 superblock'));
    let base: number;
    let root: number;
    if (version <= 1) {
      // II.A.1: fixed fields, then base, free-space, end-of-file and driver addresses, then the root's symbol table entry.
      const p = version === 0 ? 24 : 28;
      base = f.address(p);
      root = f.address(p + 4 * o + o);
    } else if (version <= 3) {
      // II.A.2: base, extension, end-of-file and root object header addresses, then a checksum.
      base = f.address(12);
      root = f.address(12 + 3 * o);
    } else throw new Hdf5Error(l10n.t('superblock version {0} is not supported', version));
    if (base === UNDEFINED_ADDRESS || base > src.size || root === UNDEFINED_ADDRESS) throw new Hdf5Error(l10n.t('superblock: base or root address is out of range'));
    return new Hdf5File(src, base, o, l, root, version);
  }

  private fields(bytes: Uint8Array, what: string): Fields {
    return new Fields(bytes, this.offsetSize, this.lengthSize, what);
  }

  /** Reads `n` bytes at an address relative to the base, checked against the file. */
  private async read(address: number, n: number, what: string): Promise<Uint8Array> {
    const abs = this.base + address;
    if (address < 0 || n < 0 || abs + n > this.src.size) throw new Hdf5Error(l10n.t('{0} at {1} ({2} bytes) lies past the end of the file ({3} bytes)', what, abs, n, this.src.size));
    this.budget -= n;
    if (this.budget < 0) throw new Hdf5Error(l10n.t('reading the file’s structure took over {0} times its size: its headers or trees point into each other', READ_BUDGET_FACTOR));
    return this.pages.read(abs, n);
  }

  /** The messages of the object header at `address` (IV.A.1.a v1, IV.A.1.b v2), continuation blocks followed. */
  async messages(address: number, what: string): Promise<Message[]> {
    const out: Message[] = [];
    const first = await this.read(address, Math.min(16 + 4 + 16 + 8, this.src.size - this.base - address), what);
    const h = this.fields(first, what);
    const blocks: Array<[number, number]> = [];
    let v2 = false;
    if (h.ascii(0, 4) === 'OHDR') {
      v2 = true;
      const flags = h.u8(5);
      let p = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
      const width = 1 << (flags & 3);
      const size = h.uint(p, width);
      p += width;
      blocks.push([address + p, size]);
    } else {
      if (h.u8(0) !== 1) throw new Hdf5Error(l10n.t('{0}: not an object header (version {1})', what, h.u8(0)));
      blocks.push([address + 16, h.u32(8)]);
    }
    let total = 0;
    for (let b = 0; b < blocks.length; b++) {
      if (b > MAX_CONTINUATIONS) throw new Hdf5Error(l10n.t('{0}: more than {1} header continuation blocks', what, MAX_CONTINUATIONS));
      const at = blocks[b]![0];
      let size = blocks[b]![1];
      total += size;
      if (total > MAX_HEADER_BYTES) throw new Hdf5Error(l10n.t('{0}: object header of over {1} bytes', what, MAX_HEADER_BYTES));
      const bytes = await this.read(at, size, what);
      const f = this.fields(bytes, what);
      let p = 0;
      if (v2 && b > 0) {
        if (f.ascii(0, 4) !== 'OCHK') throw new Hdf5Error(l10n.t('{0}: bad continuation block', what));
        p = 4;
        size -= 4; // the checksum closes the block
      }
      const headerSize = v2 ? 4 + ((flagsOf(first) & 0x04) !== 0 ? 2 : 0) : 8;
      // A v2 block ends with its checksum (chunk 0's size leaves it out; continuation lengths include it).
      const end = v2 && b > 0 ? size : bytes.length;
      while (p + headerSize <= end) {
        const type = v2 ? f.u8(p) : f.u16(p);
        const len = v2 ? f.u16(p + 1) : f.u16(p + 2);
        const flags = v2 ? f.u8(p + 3) : f.u8(p + 4);
        const bodyAt = p + headerSize;
        if (bodyAt + len > end) throw new Hdf5Error(l10n.t('{0}: a header message runs past its block', what));
        const body = this.fields(bytes.subarray(bodyAt, bodyAt + len), what);
        if (type === MSG_CONTINUATION) {
          const next = body.address(0);
          if (blocks.some(([a]) => a === next)) throw new Hdf5Error(l10n.t('{0}: header continuation blocks loop', what));
          blocks.push([next, body.length(this.offsetSize)]);
        }
        else out.push({ type, flags, body, address: at + bodyAt });
        p = bodyAt + len;
      }
    }
    return out;
  }

  /** A group's members by name → object header address; soft and external links are left out. */
  async members(messages: readonly Message[], what: string): Promise<Array<[string, number]>> {
    const out: Array<[string, number]> = [];
    for (const m of messages) {
      if (m.type === MSG_SYMBOL_TABLE) await this.symbolTable(m.body.address(0), m.body.address(this.offsetSize), what, out);
      else if (m.type === MSG_LINK) {
        const link = parseLink(m.body);
        if (link) out.push(link);
      } else if (m.type === MSG_LINK_INFO) {
        const flags = m.body.u8(1);
        const heap = m.body.address(2 + (flags & 1 ? 8 : 0));
        if (heap !== UNDEFINED_ADDRESS) throw new Hdf5Error(l10n.t('{0}: the group keeps its links in a fractal heap (dense storage), which this reader does not read', what));
      }
    }
    return out;
  }

  /** v1 B-tree of a group (III.A.1) over its symbol table nodes (III.C), names from the local heap (III.D). */
  private async symbolTable(btree: number, heapAddress: number, what: string, out: Array<[string, number]>): Promise<void> {
    const hh = this.fields(await this.read(heapAddress, 8 + 2 * this.lengthSize + this.offsetSize, what), what);
    if (hh.ascii(0, 4) !== 'HEAP') throw new Hdf5Error(l10n.t('{0}: bad local heap', what));
    const heapSize = hh.length(8);
    if (heapSize > MAX_HEAP_BYTES) throw new Hdf5Error(l10n.t('{0}: local heap of {1} bytes is over the {2}-byte limit', what, heapSize, MAX_HEAP_BYTES));
    const heap = await this.read(hh.address(8 + 2 * this.lengthSize), heapSize, what);
    const o = this.offsetSize;
    const pending = [btree];
    const seen = new Set<number>();
    while (pending.length) {
      const node = pending.pop()!;
      if (seen.has(node)) throw new Hdf5Error(l10n.t('{0}: the group’s B-tree loops', what));
      seen.add(node);
      if (seen.size > MAX_OBJECTS) throw new Hdf5Error(l10n.t('{0}: more than {1} B-tree nodes', what, MAX_OBJECTS));
      const sig = this.fields(await this.read(node, 8, what), what);
      if (sig.ascii(0, 4) === 'SNOD') {
        const count = sig.u16(6);
        const entry = 2 * o + 24;
        const f = this.fields(await this.read(node + 8, count * entry, what), what);
        for (let i = 0; i < count; i++) {
          const nameAt = f.length(i * entry);
          const end = heap.indexOf(0, nameAt);
          if (nameAt >= heap.length || end < 0) throw new Hdf5Error(l10n.t('{0}: a member’s name lies outside the local heap', what));
          out.push([new TextDecoder().decode(heap.subarray(nameAt, end)), f.address(i * entry + o)]);
        }
        if (out.length > MAX_OBJECTS) throw new Hdf5Error(l10n.t('{0}: more than {1} members', what, MAX_OBJECTS));
        continue;
      }
      if (sig.ascii(0, 4) !== 'TREE' || sig.u8(4) !== 0) throw new Hdf5Error(l10n.t('{0}: bad group B-tree node', what));
      const used = sig.u16(6);
      // Keys (heap offsets, `lengthSize`) and children alternate after the two sibling addresses.
      const at = 8 + 2 * o;
      const f = this.fields(await this.read(node + at, used * (this.lengthSize + o) + this.lengthSize, what), what);
      for (let i = used - 1; i >= 0; i--) pending.push(f.address(this.lengthSize + i * (this.lengthSize + o)));
    }
  }

  /** Decodes one attribute's value (strings, or up to `MAX_ATTRIBUTE_ELEMENTS` numbers). */
  async attributeValue(m: Message, what: string): Promise<[string, AttributeValue] | null> {
    const a = parseAttribute(m.body, 0);
    if (!a) return null;
    if (!a.shape) return [a.name, undefined];
    const count = a.shape.reduce((x, y) => x * y, 1);
    if (count > MAX_ATTRIBUTE_ELEMENTS) return [a.name, undefined];
    const scalar = a.shape.length === 0;
    const f = m.body;
    const t = a.type;
    if (t.cls === 'string') {
      f.need(a.dataAt, count * t.size);
      const items = Array.from({ length: count }, (_, i) => fixedString(f.bytes.subarray(a.dataAt + i * t.size, a.dataAt + (i + 1) * t.size), t.spacePadded));
      return [a.name, scalar ? items[0] : items];
    }
    if (t.cls === 'vlen-string') {
      const el = 4 + this.offsetSize + 4;
      f.need(a.dataAt, count * el);
      const items: string[] = [];
      for (let i = 0; i < count; i++) items.push(await this.globalHeapString(f.u32(a.dataAt + i * el), f.address(a.dataAt + i * el + 4), f.u32(a.dataAt + i * el + 4 + this.offsetSize), what));
      return [a.name, scalar ? items[0] : items];
    }
    if (t.cls === 'number' && t.dtype !== 'bool') {
      f.need(a.dataAt, count * t.size);
      const values = numbers(f.bytes.subarray(a.dataAt, a.dataAt + count * t.size), t);
      return [a.name, scalar ? values[0] : values];
    }
    return [a.name, undefined];
  }

  /** A global heap object (III.E) holding a variable-length string's bytes; each collection is indexed once. */
  private async globalHeapString(length: number, collection: number, index: number, what: string): Promise<string> {
    if (length === 0) return '';
    let objects = this.heaps.get(collection);
    if (!objects) {
      const head = this.fields(await this.read(collection, 8 + this.lengthSize, what), what);
      if (head.ascii(0, 4) !== 'GCOL') throw new Hdf5Error(l10n.t('{0}: bad global heap collection', what));
      const size = head.length(8);
      this.heapBytes += size;
      if (this.heapBytes > MAX_HEAP_BYTES) throw new Hdf5Error(l10n.t('{0}: global heaps of over {1} bytes', what, MAX_HEAP_BYTES));
      const f = this.fields(await this.read(collection, size, what), what);
      objects = new Map();
      for (let p = 8 + this.lengthSize; p + 8 + this.lengthSize <= size; ) {
        const id = f.u16(p);
        const objectSize = f.length(p + 8);
        const dataAt = p + 8 + this.lengthSize;
        if (id === 0) break;
        f.need(dataAt, objectSize);
        objects.set(id, f.bytes.subarray(dataAt, dataAt + objectSize));
        p = dataAt + ((objectSize + 7) & ~7);
      }
      this.heaps.set(collection, objects);
    }
    const data = objects.get(index);
    if (!data) throw new Hdf5Error(l10n.t('{0}: a string’s global heap object is missing', what));
    return new TextDecoder().decode(data.subarray(0, Math.min(length, data.length)));
  }

  /** The dataset described by these messages, or null when they describe a group. */
  dataset(messages: readonly Message[], path: string): Hdf5Dataset | null {
    const type = messages.find((m) => m.type === MSG_DATATYPE);
    const space = messages.find((m) => m.type === MSG_DATASPACE);
    const layout = messages.find((m) => m.type === MSG_LAYOUT);
    if (!type || !space || !layout) return null;
    const t: Datatype = type.flags & 2 ? { cls: 'other', size: 0, name: l10n.t('shared (committed) datatype') } : parseDatatype(type.body, 0);
    const shape = parseDataspace(space.body, 0);
    const size = t.cls === 'vlen-string' ? 0 : t.size;
    const l = parseLayout(layout.body, 0, size, shape ?? []);
    const located: Hdf5Dataset['layout'] = l.kind === 'compact' ? { ...l, address: layout.address + l.at } : l;
    return { path, type: t, shape, layout: located, filtered: messages.some((m) => m.type === MSG_FILTERS) };
  }

  /** Attributes of an object as name → value. */
  async attributes(messages: readonly Message[], what: string): Promise<Map<string, AttributeValue>> {
    const out = new Map<string, AttributeValue>();
    for (const m of messages) {
      if (m.type === MSG_ATTRIBUTE) {
        const a = await this.attributeValue(m, what);
        if (a) out.set(a[0], a[1]);
      } else if (m.type === MSG_ATTRIBUTE_INFO) {
        const heap = m.body.address(2 + (m.body.u8(1) & 1 ? 2 : 0));
        if (heap !== UNDEFINED_ADDRESS) throw new Hdf5Error(l10n.t('{0}: attributes kept in a fractal heap (dense storage) are not read', what));
      }
    }
    return out;
  }

  /**
   * Every dataset under the root, depth first in member order, with the attributes of every
   * group and dataset on the way. A hard link met twice (a cycle or a shared object) is visited once.
   */
  async walk(): Promise<{ datasets: Hdf5Dataset[]; attributes: Map<string, Map<string, AttributeValue>>; warnings: string[] }> {
    const datasets: Hdf5Dataset[] = [];
    const attributes = new Map<string, Map<string, AttributeValue>>();
    const warnings: string[] = [];
    const seen = new Set<number>();
    const visit = async (address: number, path: string, depth: number): Promise<void> => {
      if (seen.has(address)) return;
      seen.add(address);
      if (seen.size > MAX_OBJECTS) throw new Hdf5Error(l10n.t('more than {0} objects', MAX_OBJECTS));
      if (depth > MAX_DEPTH) throw new Hdf5Error(l10n.t('{0}: groups nested more than {1} deep', path, MAX_DEPTH));
      const what = path || '/';
      try {
        await visitObject(address, path, depth, what);
      } catch (e) {
        // A broken object costs its own subtree; a broken root, the file.
        if (!(e instanceof Hdf5Error) || !path) throw e;
        warnings.push(e.message);
      }
    };
    const visitObject = async (address: number, path: string, depth: number, what: string): Promise<void> => {
      const msgs = await this.messages(address, what);
      try {
        attributes.set(path, await this.attributes(msgs, what));
      } catch (e) {
        if (!(e instanceof Hdf5Error)) throw e;
        warnings.push(e.message);
      }
      const ds = this.dataset(msgs, path);
      if (ds) {
        datasets.push(ds);
        return;
      }
      for (const [name, child] of await this.members(msgs, what)) await visit(child, path ? `${path}/${name}` : name, depth + 1);
    };
    await visit(this.rootAddress, '', 0);
    return { datasets, attributes, warnings };
  }
}

function flagsOf(first: Uint8Array): number {
  return first[5] ?? 0;
}
