/**
 * Hermetic byte builders for malformed and hostile inputs: a tiny pickle assembler, a stored-zip
 * writer laid out like torch.save's, and a safetensors writer. Only tests use them.
 */

const enc = new TextEncoder();

/**
 * Assembles pickle opcodes; each method appends one op. Bytes go into a growable buffer (never
 * spread into a call), so builders of multi-megabyte hostile pickles stay linear.
 */
export class PickleBuilder {
  private buf = new Uint8Array(1024);
  private len = 0;

  constructor(protocol = 2) {
    this.raw(0x80, protocol);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  private raw(...bytes: number[]): this {
    this.reserve(bytes.length);
    for (const b of bytes) this.buf[this.len++] = b;
    return this;
  }
  /** Appends bytes as they are (opcodes with their operands). */
  rawBytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  /** Appends the same op `times` times (deep nesting, long runs of MARKs). */
  repeat(code: number, times: number): this {
    this.reserve(times);
    this.buf.fill(code, this.len, this.len + times);
    this.len += times;
    return this;
  }
  op(code: number): this {
    return this.raw(code);
  }
  global(module: string, name: string): this {
    return this.rawBytes(enc.encode(`c${module}\n${name}\n`));
  }
  str(s: string): this {
    const b = enc.encode(s);
    return this.raw(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24).rawBytes(b);
  }
  int(n: number): this {
    return this.raw(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
  }
  mark(): this {
    return this.raw(0x28);
  }
  tuple(): this {
    return this.raw(0x74);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  emptyList(): this {
    return this.raw(0x5d);
  }
  none(): this {
    return this.raw(0x4e);
  }
  false(): this {
    return this.raw(0x89);
  }
  reduce(): this {
    return this.raw(0x52);
  }
  setitem(): this {
    return this.raw(0x73);
  }
  append(): this {
    return this.raw(0x61);
  }
  appends(): this {
    return this.raw(0x65);
  }
  binpersid(): this {
    return this.raw(0x51);
  }
  put(i: number): this {
    return this.raw(0x72, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, i >>> 24);
  }
  get(i: number): this {
    return this.raw(0x6a, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, i >>> 24);
  }
  /** An int of any size: BININT when it fits in 31 bits, else LONG1 (little-endian two's complement). */
  anyInt(n: number | bigint): this {
    const v = BigInt(n);
    if (v >= 0n && v < 2n ** 31n) return this.int(Number(v));
    const bytes: number[] = [];
    let x = v;
    for (;;) {
      bytes.push(Number(BigInt.asUintN(8, x)));
      x >>= 8n;
      if ((x === 0n && !(bytes[bytes.length - 1]! & 0x80)) || (x === -1n && bytes[bytes.length - 1]! & 0x80)) break;
    }
    return this.raw(0x8a, bytes.length, ...bytes);
  }
  /**
   * Pushes a tensor of `storage` (a torch `dtype`Storage of `storageNumel` elements, persistent key
   * `key`) viewed at `offset` with `shape` and `strides`: stride 0 is torch's `expand`.
   */
  tensorView(key: string, storageNumel: number, offset: number, shape: Array<number | bigint>, strides: number[], storageClass = 'FloatStorage'): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', storageClass).str(key).str('cpu').int(storageNumel).tuple().binpersid();
    this.int(offset).mark();
    for (const d of shape) this.anyInt(d);
    this.tuple().mark();
    for (const d of strides) this.int(d);
    this.tuple().false();
    this.global('collections', 'OrderedDict').emptyTuple().reduce();
    return this.tuple().reduce();
  }
  /** Pushes `torch._utils._rebuild_tensor_v2(<FloatStorage key numel>, 0, (n,), (1,), False, OrderedDict())`. */
  floatTensor(key: string, n: number): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', 'FloatStorage').str(key).str('cpu').int(n).tuple().binpersid();
    this.int(0).mark().int(n).tuple().mark().int(1).tuple().false();
    this.global('collections', 'OrderedDict').emptyTuple().reduce();
    return this.tuple().reduce();
  }
  /** LONG4 with `n` payload bytes of `fill` (a huge integer literal). */
  long4(n: number, fill = 0x7f): this {
    this.raw(0x8b, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
    this.reserve(n);
    this.buf.fill(fill, this.len, this.len + n);
    this.len += n;
    return this;
  }
  binfloat(x: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    return this.op(0x47).rawBytes(b);
  }
  true(): this {
    return this.raw(0x88);
  }
  setitems(): this {
    return this.raw(0x75);
  }
  memoize(): this {
    return this.raw(0x94);
  }
  /** The pickle so far followed by STOP (the builder itself is left as it was). */
  stop(): Uint8Array {
    const out = new Uint8Array(this.len + 1);
    out.set(this.buf.subarray(0, this.len));
    out[this.len] = 0x2e;
    return out;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Lies a zip can tell about its records (for hostile-input tests). */
export interface ZipLies {
  /** Central directory uncompressed sizes given in a zip64 extra field (the 32-bit field saturated). */
  zip64Uncompressed?: Record<string, bigint>;
  /** Records whose given bytes are a raw deflate stream (method 8) said to inflate to this many bytes. */
  deflated?: Record<string, number>;
}

/** A stored (uncompressed) zip of the given records, as torch.save lays them out. */
export function storedZip(records: Array<[string, Uint8Array]>, lies: ZipLies = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of records) {
    const n = enc.encode(name);
    const zip64 = lies.zip64Uncompressed?.[name];
    const inflated = lies.deflated?.[name];
    const method = inflated === undefined ? 0 : 8;
    const size = inflated ?? data.length;
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(8, method, true);
    local.setUint32(14, crc32(data), true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, size, true);
    local.setUint16(26, n.length, true);
    const cd = new DataView(new ArrayBuffer(46));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(4, 20, true);
    cd.setUint16(6, 20, true);
    cd.setUint16(10, method, true);
    cd.setUint32(16, crc32(data), true);
    cd.setUint32(20, data.length, true);
    cd.setUint32(24, zip64 === undefined ? size : 0xffffffff, true);
    cd.setUint16(28, n.length, true);
    cd.setUint32(42, offset, true);
    chunks.push(new Uint8Array(local.buffer), n, data);
    central.push(new Uint8Array(cd.buffer), n);
    if (zip64 !== undefined) {
      const extra = new DataView(new ArrayBuffer(12));
      extra.setUint16(0, 0x0001, true); // zip64 extended information
      extra.setUint16(2, 8, true);
      extra.setBigUint64(4, zip64, true);
      cd.setUint16(30, 12, true);
      central.push(new Uint8Array(extra.buffer));
    }
    offset += 30 + n.length + data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new DataView(new ArrayBuffer(22));
  eocd.setUint32(0, 0x06054b50, true);
  eocd.setUint16(8, records.length, true);
  eocd.setUint16(10, records.length, true);
  eocd.setUint32(12, cdSize, true);
  eocd.setUint32(16, offset, true);
  return concat([...chunks, ...central, new Uint8Array(eocd.buffer)]);
}

/** A torch.save-style zip around a data.pkl and float32 storages. */
export function torchZip(dataPkl: Uint8Array, storages: Record<string, number> = {}): Uint8Array {
  const recs: Array<[string, Uint8Array]> = [['archive/data.pkl', dataPkl]];
  for (const [key, n] of Object.entries(storages)) recs.push([`archive/data/${key}`, new Uint8Array(n * 4)]);
  recs.push(['archive/version', enc.encode('3\n')]);
  return storedZip(recs);
}

/** A safetensors file from a header object (or raw header text) and a data section. */
export function safetensorsBytes(header: unknown, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Uint8Array {
  const h = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = new DataView(new ArrayBuffer(8));
  prefix.setBigUint64(0, declaredLength ?? BigInt(h.length), true);
  return concat([new Uint8Array(prefix.buffer), h, data]);
}

/**
 * Rewrites fields of a zip's records in place: `edit` gets a view of the whole file and the
 * offsets of the named record's central directory entry and local header (APPNOTE 4.3.7, 4.3.12).
 */
export function patchZipRecord(zip: Uint8Array, name: string, edit: (v: DataView, central: number, local: number) => void): Uint8Array {
  const out = zip.slice();
  const v = new DataView(out.buffer);
  const want = enc.encode(name);
  for (let p = out.length - 46; p >= 0; p--) {
    if (v.getUint32(p, true) !== 0x02014b50 || v.getUint16(p + 28, true) !== want.length) continue;
    if (!want.every((b, i) => out[p + 46 + i] === b)) continue;
    edit(v, p, v.getUint32(p + 42, true));
    return out;
  }
  throw new Error(`no record ${name}`);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
