// Seeded mutations of model files: generic byte edits plus edits that know where a format keeps
// its lengths and offsets (safetensors' header length, zip directory fields, pickle opcodes), so
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
];

/** Mutators that fit a seed's format, the generic ones always. */
function mutatorsFor(format: string): ReadonlyArray<[string, Mutator]> {
  const specific = format.startsWith('safetensors') ? ['safetensorsHeader'] : format === 'pytorch-zip' ? ['zipFields', 'pickleOps'] : format === 'pytorch-legacy' ? ['pickleOps'] : [];
  return MUTATORS.filter(([n]) => ['bitFlip', 'interesting', 'truncate', 'deleteChunk', 'duplicateChunk', ...specific].includes(n));
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
  const available = target === s.main ? mutatorsFor(s.format) : mutatorsFor('safetensors');
  for (let k = 0, n = 1 + r.int(4); k < n; k++) {
    const [name, m] = r.pick(available);
    bytes = m(bytes, r);
    ops.push(name);
  }
  return { seed: s, files: { ...s.files, [target]: bytes }, mutated: target, ops };
}
