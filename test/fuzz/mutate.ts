// Seeded mutations of model files: generic byte edits plus edits that know where a format keeps
// its lengths and offsets (safetensors' header length, zip directory fields, pickle opcodes, GGUF's
// counts, lengths, type codes, dimensions and offsets), so
// mutants get past the first checks and reach the code behind them. Mutant `i` of a seed depends
// only on (seed, i): the parent process can rebuild any input its child was working on.

/** mulberry32: a tiny, fast PRNG with a 32-bit state; good enough to pick mutations. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

/** The RNG of mutant `i` under run seed `seed`. */
export function mutantRng(seed: number, i: number): Rng {
  return new Rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35));
}

/** Values that sit on the edges of the checks readers make (AFL's "interesting" values, widened). */
const INTERESTING: readonly bigint[] = [0n, 1n, 2n, 7n, 8n, 16n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x7fffn, 0x8000n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 1n << 52n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];

/** Pickle opcodes worth inserting: containers, memo, marks, long literals, calls, stop. */
const PICKLE_OPS = [0x28, 0x29, 0x2e, 0x30, 0x31, 0x32, 0x5d, 0x7d, 0x61, 0x65, 0x73, 0x75, 0x74, 0x85, 0x86, 0x87, 0x94, 0x71, 0x72, 0x68, 0x6a, 0x8a, 0x8b, 0x52, 0x62, 0x81, 0x92, 0x51, 0x63, 0x93, 0x4e, 0x88, 0x89, 0x4a, 0x4b, 0x4d, 0x58, 0x8c, 0x8d, 0x95, 0x96, 0x97, 0x98];

function writeLE(b: Uint8Array, at: number, v: bigint, width: number): void {
  for (let k = 0; k < width && at + k < b.length; k++) b[at + k] = Number((v >> BigInt(8 * k)) & 0xffn);
}

function readLE(b: Uint8Array, at: number, width: number): number {
  let v = 0;
  for (let k = width - 1; k >= 0; k--) v = v * 256 + (b[at + k] ?? 0);
  return v;
}

/** Offsets of every occurrence of a 4-byte zip signature. */
function signatures(b: Uint8Array, sig: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i++) if (b[i] === 0x50 && b[i + 1] === 0x4b && readLE(b, i, 4) === sig) out.push(i);
  return out;
}

/** Where the pickle bytes are: a zip's `data.pkl` record (stored), or the whole file for legacy files. */
function pickleRange(b: Uint8Array): [number, number] {
  for (const at of signatures(b, 0x04034b50)) {
    const nameLen = readLE(b, at + 26, 2);
    const extraLen = readLE(b, at + 28, 2);
    const name = new TextDecoder().decode(b.subarray(at + 30, at + 30 + nameLen));
    if (name.endsWith('data.pkl')) {
      const start = at + 30 + nameLen + extraLen;
      return [start, Math.min(b.length, start + readLE(b, at + 18, 4))];
    }
  }
  return [0, b.length];
}

type Mutator = (b: Uint8Array, r: Rng) => Uint8Array;

const bitFlip: Mutator = (b, r) => {
  if (b.length === 0) return b;
  const at = r.int(b.length);
  b[at]! ^= 1 << r.int(8);
  return b;
};

const interestingValue: Mutator = (b, r) => {
  if (b.length === 0) return b;
  writeLE(b, r.int(b.length), r.pick(INTERESTING), r.pick([1, 2, 4, 8]));
  return b;
};

const truncate: Mutator = (b, r) => b.slice(0, r.int(b.length + 1));

const deleteChunk: Mutator = (b, r) => {
  const at = r.int(b.length + 1);
  const len = Math.min(b.length - at, 1 + r.int(64));
  return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + len)]);
};

const duplicateChunk: Mutator = (b, r) => {
  const at = r.int(b.length + 1);
  const len = Math.min(b.length - at, 1 + r.int(256));
  const to = r.int(b.length + 1);
  const chunk = b.subarray(at, at + len);
  const copies = r.int(4) === 0 ? 1 + r.int(64) : 1;
  const parts: Uint8Array[] = [b.subarray(0, to)];
  for (let k = 0; k < copies; k++) parts.push(chunk);
  parts.push(b.subarray(to));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** safetensors: the u64 header length, and digits or brackets inside the JSON header. */
const safetensorsHeader: Mutator = (b, r) => {
  if (b.length < 8) return b;
  const headerEnd = Math.min(b.length, 8 + readLE(b, 0, 8));
  if (r.int(3) === 0) {
    writeLE(b, 0, r.int(2) ? r.pick(INTERESTING) : BigInt(Math.max(0, headerEnd - 8 + r.int(17) - 8)), 8);
    return b;
  }
  const text = new TextDecoder().decode(b.subarray(8, headerEnd));
  const edits: Array<() => string> = [
    () => text.replace(/\d+/, () => r.pick(['0', '-1', '4294967296', '9007199254740993', '1e308', '18446744073709551616', '1.5'])),
    () => text.replace(/"data_offsets":\[(\d+),(\d+)\]/, (_, a: string, c: string) => `"data_offsets":[${c},${a}]`),
    () => text.replace(/"(F32|F16|BF16|I64|I32|U8|BOOL)"/, () => `"${r.pick(['F8_E4M3', 'C64', 'X', 'F64', 'I8', ''])}"`),
    () => text.replace(/"shape":\[/, () => `"shape":[${r.pick(['0,', '4294967296,', '-1,', '1,1,1,1,1,1,1,1,1,1,'])}`),
    () => {
      const m = /"[^"]+":\{"dtype"[^}]*\}/.exec(text);
      return m ? text.replace(m[0], `${m[0]},${m[0]}`) : text; // a duplicate key
    },
  ];
  const edited = new TextEncoder().encode(r.pick(edits)());
  const out = new Uint8Array(8 + edited.length + (b.length - headerEnd));
  out.set(b.subarray(0, 8));
  writeLE(out, 0, BigInt(edited.length), 8);
  out.set(edited, 8);
  out.set(b.subarray(headerEnd), 8 + edited.length);
  return out;
};

/** Zip: fields of the central directory, the end record and local headers. */
const zipFields: Mutator = (b, r) => {
  const central = signatures(b, 0x02014b50);
  const local = signatures(b, 0x04034b50);
  const eocd = signatures(b, 0x06054b50);
  // [header offsets, [field offset, width]…]
  const targets: Array<[number[], Array<[number, number]>]> = [
    // central header: method, crc, compressed size, uncompressed size, name/extra length, local header offset
    [central, [[10, 2], [16, 4], [20, 4], [24, 4], [28, 2], [30, 2], [42, 4]]],
    // local header: method, crc, sizes, name and extra length
    [local, [[8, 2], [14, 4], [18, 4], [22, 4], [26, 2], [28, 2]]],
    // end of central directory: entry counts, directory size and offset, comment length
    [eocd, [[8, 2], [10, 2], [12, 4], [16, 4], [20, 2]]],
  ].filter(([w]) => w.length > 0) as Array<[number[], Array<[number, number]>]>;
  if (targets.length === 0) return interestingValue(b, r);
  const [where, fields] = r.pick(targets);
  const [field, width] = r.pick(fields);
  const at = r.pick(where) + field;
  const v = r.int(2) ? r.pick(INTERESTING) & ((1n << BigInt(8 * width)) - 1n) : BigInt(Math.max(0, readLE(b, at, width) + r.int(65) - 32));
  writeLE(b, at, v, width);
  return b;
};

/** A field of a GGUF header: where it is, how wide, and what it holds. */
interface GgufField {
  at: number;
  width: 4 | 8;
  kind: 'tensorCount' | 'kvCount' | 'keyLength' | 'valueType' | 'stringLength' | 'itemType' | 'arrayCount' | 'alignment' | 'nameLength' | 'nDims' | 'dim' | 'typeId' | 'offset';
}

/** Fixed sizes of GGUF value types by code (8 string and 9 array have none). */
const GGUF_FIXED: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/**
 * The fields of a GGUF header, found by a parser of its own (not our reader's), stopping quietly at
 * the first field that leaves the file: a mutant of a mutant still has fields to aim at.
 */
function ggufFields(b: Uint8Array): { fields: GgufField[]; littleEndian: boolean; keys: Array<[number, number]> } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const fields: GgufField[] = [];
  const keys: Array<[number, number]> = [];
  if (b.length < 24) return { fields, littleEndian: true, keys };
  const v = dv.getUint32(4, true);
  const le = v === 2 || v === 3 || (v !== 0x02000000 && v !== 0x03000000);
  let p = 8;
  const u32 = (): number => {
    if (p + 4 > b.length) throw new RangeError('end');
    const x = dv.getUint32(p, le);
    p += 4;
    return x;
  };
  const u64 = (): number => {
    if (p + 8 > b.length) throw new RangeError('end');
    const x = Number(dv.getBigUint64(p, le));
    p += 8;
    return x;
  };
  const field = (kind: GgufField['kind'], width: 4 | 8): number => {
    fields.push({ at: p, width, kind });
    return width === 4 ? u32() : u64();
  };
  const skip = (n: number): void => {
    if (n > b.length - p) throw new RangeError('end');
    p += n;
  };
  const value = (type: number, depth: number): void => {
    const fixed = GGUF_FIXED[type];
    if (fixed !== undefined) return skip(fixed);
    if (type === 8) return skip(field('stringLength', 8));
    if (type !== 9 || depth > 4) throw new RangeError('type');
    const item = field('itemType', 4);
    const n = field('arrayCount', 8);
    const itemFixed = GGUF_FIXED[item];
    if (itemFixed !== undefined) return skip(n * itemFixed);
    for (let i = 0; i < n && p < b.length; i++) value(item, depth + 1);
  };
  try {
    const tensors = field('tensorCount', 8);
    const kvs = field('kvCount', 8);
    for (let i = 0; i < kvs && p < b.length; i++) {
      const len = field('keyLength', 8);
      keys.push([p, len]);
      const key = new TextDecoder().decode(b.subarray(p, p + len));
      skip(len);
      const type = field('valueType', 4);
      if (key === 'general.alignment' && type === 4) fields.push({ at: p, width: 4, kind: 'alignment' });
      value(type, 0);
    }
    for (let i = 0; i < tensors && p < b.length; i++) {
      skip(field('nameLength', 8));
      const dims = field('nDims', 4);
      for (let d = 0; d < Math.min(dims, 8); d++) field('dim', 8);
      field('typeId', 4);
      field('offset', 8);
    }
  } catch {
    // the fields found so far
  }
  return { fields, littleEndian: le, keys };
}

/** Values aimed at each kind of GGUF field: the edges of the checks ggml and our reader make. */
function ggufValue(f: GgufField, old: bigint, size: number, r: Rng): bigint {
  const near = (): bigint => (old + BigInt(r.int(129) - 64) < 0n ? 0n : old + BigInt(r.int(129) - 64));
  switch (f.kind) {
    case 'valueType':
    case 'itemType':
      return r.int(4) === 0 ? r.pick([13n, 14n, 0xffffffffn, 0x80000000n]) : BigInt(r.int(13));
    case 'typeId':
      return r.pick([BigInt(r.int(46)), BigInt(r.int(46)), 4n, 5n, 31n, 36n, 39n, 41n, 42n, 43n, 99n, 0xffffffffn]);
    case 'nDims':
      return BigInt(r.pick([0, 1, 2, 3, 4, 5, 6, 0xffffffff]));
    case 'alignment':
      return BigInt(r.pick([0, 1, 2, 8, 16, 31, 32, 48, 64, 4096, 0x80000000, 0xffffffff]));
    case 'dim':
      return r.pick([0n, 1n, 2n, 3n, 31n, 32n, 33n, 48n, 256n, old * 2n, old + 1n, (1n << 32n) + 1n, 1n << 53n, 1n << 62n, (1n << 64n) - 5n, r.pick(INTERESTING)]);
    case 'offset':
      return r.pick([0n, old + 1n, old - 1n < 0n ? 0n : old - 1n, old + 32n, old + 64n, BigInt(size), 1n << 40n, near(), r.pick(INTERESTING)]);
    case 'keyLength':
    case 'stringLength':
    case 'nameLength':
      return r.pick([0n, 1n, old + 1n, old - 1n < 0n ? 0n : old - 1n, BigInt(size), BigInt(size - f.at), near(), r.pick(INTERESTING)]);
    default:
      return r.pick([0n, 1n, old + 1n, old - 1n < 0n ? 0n : old - 1n, old * 2n, near(), r.pick(INTERESTING)]);
  }
}

/** GGUF: a header field set to a value aimed at its checks, or one key renamed to another (a duplicate). */
const ggufHeader: Mutator = (b, r) => {
  const { fields, littleEndian, keys } = ggufFields(b);
  if (fields.length === 0) return interestingValue(b, r);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (keys.length > 1 && r.int(16) === 0) {
    const [at, len] = r.pick(keys);
    const same = keys.filter(([a, l]) => l === len && a !== at);
    if (same.length > 0) {
      const [from] = r.pick(same);
      b.copyWithin(at, from, from + len);
      return b;
    }
  }
  const f = r.pick(fields);
  if (f.at + f.width > b.length) return b;
  const old = f.width === 4 ? BigInt(dv.getUint32(f.at, littleEndian)) : dv.getBigUint64(f.at, littleEndian);
  const v = ggufValue(f, old, b.length, r) & ((1n << BigInt(8 * f.width)) - 1n);
  if (f.width === 4) dv.setUint32(f.at, Number(v), littleEndian);
  else dv.setBigUint64(f.at, v, littleEndian);
  return b;
};

/** Pickle: replace, insert or repeat opcodes inside the pickle. */
const pickleOps: Mutator = (b, r) => {
  const [start, end] = pickleRange(b);
  if (end <= start) return b;
  const at = start + r.int(end - start);
  switch (r.int(3)) {
    case 0:
      b[at] = r.pick(PICKLE_OPS);
      return b;
    case 1: {
      const ins = Array.from({ length: 1 + r.int(8) }, () => r.pick(PICKLE_OPS));
      return Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at)]);
    }
    default:
      return duplicateChunk(b, r);
  }
};

export const MUTATORS: ReadonlyArray<[string, Mutator]> = [
  ['bitFlip', bitFlip],
  ['interesting', interestingValue],
  ['truncate', truncate],
  ['deleteChunk', deleteChunk],
  ['duplicateChunk', duplicateChunk],
  ['safetensorsHeader', safetensorsHeader],
  ['zipFields', zipFields],
  ['pickleOps', pickleOps],
  ['ggufHeader', ggufHeader],
];

/** Mutators that fit a seed's format, the generic ones always. */
function mutatorsFor(format: string): ReadonlyArray<[string, Mutator]> {
  const specific = format.startsWith('safetensors')
    ? ['safetensorsHeader']
    : format === 'pytorch-zip'
      ? ['zipFields', 'pickleOps']
      : format === 'npz' || format === 'keras'
        ? ['zipFields']
      : format === 'pytorch-legacy'
        ? ['pickleOps']
        : format.startsWith('gguf')
          ? ['ggufHeader', 'ggufHeader'] // twice: header fields are where GGUF's checks are
          : [];
  return ['bitFlip', 'interesting', 'truncate', 'deleteChunk', 'duplicateChunk', ...specific].map((n) => MUTATORS.find(([m]) => m === n)!);
}

/** A seed: one file, or a folder of files of which `main` is opened (a sharded model). */
export interface Seed {
  id: string;
  format: string;
  main: string;
  files: Record<string, Uint8Array>;
}

export interface Mutant {
  seed: Seed;
  /** The files to write: the seed's, with one of them mutated. */
  files: Record<string, Uint8Array>;
  mutated: string;
  ops: string[];
}

/** Mutant `i`: a seed, one of its files, and one to four stacked mutations. */
export function makeMutant(seeds: readonly Seed[], seed: number, i: number): Mutant {
  const r = mutantRng(seed, i);
  const s = seeds[r.int(seeds.length)]!;
  const names = Object.keys(s.files);
  const target = names.length > 1 && r.int(2) ? r.pick(names) : s.main;
  let bytes: Uint8Array = Uint8Array.from(s.files[target]!);
  const ops: string[] = [];
  // A sibling of the opened file: a shard (safetensors) or a later part of a split GGUF.
  // An ONNX model's external data file is raw bytes: the generic mutators only.
  const sibling = s.format.startsWith('gguf') ? 'gguf' : s.format === 'onnx' ? 'raw' : 'safetensors';
  const available = target === s.main ? mutatorsFor(s.format) : mutatorsFor(sibling);
  for (let k = 0, n = 1 + r.int(4); k < n; k++) {
    const [name, m] = r.pick(available);
    bytes = m(bytes, r);
    ops.push(name);
  }
  return { seed: s, files: { ...s.files, [target]: bytes }, mutated: target, ops };
}
