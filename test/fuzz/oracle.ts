// What must hold for every input, however hostile: a file either opens to an index whose every
// tensor lies inside the file (and inside its own zip record; a GGUF block tensor's whole blocks
// inside its storage), with exact counts, or is refused with a message a person can read (a GGUF
// file with a FormatError). Statistics of what opened either compute or fail the same way.
import { stat } from 'node:fs/promises';
import { FormatError } from '../../src/formats/formatReader';
import { openModel } from '../../src/model/openModel';
import type { ModelIndex, TensorEntry } from '../../src/core/modelIndex';
import { FileByteSource } from '../../src/runtime/byteSource';
import { elementBytes, isBlockDType, storageBytes } from '../../src/core/dtypes';
import { computeTensorStats } from '../../src/runtime/stats';
import { readValues } from '../../src/runtime/readValues';
import { diffTensors } from '../../src/runtime/tensorDiff';
import { findTies } from '../../src/model/ties';
import { detectModelInit } from '../../src/model/init/detectModelInit';
import { printModuleTree } from '../../src/model/printTree';
import { formatSummary } from '../../src/model/summaryExport';

/** Elements whose statistics one mutant may compute: keeps a mutant's time bounded by bytes. */
const MAX_STATS_ELEMENTS_PER_MUTANT = 1 << 22;

/** Messages of JavaScript's own failures: a reader that lets one through has a bug. */
const ENGINE_FAILURE = /Maximum call stack|Invalid array length|Invalid typed array length|Array buffer allocation failed|Map maximum size|Set maximum size|Invalid string length|Cannot read propert|Cannot set propert|is not a function|is not iterable|is not defined|Cannot convert|Cannot mix BigInt|out of memory|offset is out of bounds/;

/** A refusal as a person should get it: an Error with a one-paragraph message, no engine failure, no stack. */
export function unexpectedError(e: unknown): string | undefined {
  if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
  if (e instanceof TypeError || e instanceof ReferenceError || e instanceof SyntaxError) return `${e.name}: ${e.message}`;
  if (ENGINE_FAILURE.test(e.message)) return `${e.name}: ${e.message}`;
  if (/\n\s+at .+:\d+:\d+/.test(e.message)) return `message holds a stack trace: ${e.message}`;
  if (e.message.trim() === '') return `${e.name} with an empty message`;
  return undefined;
}

/** Byte ranges of a zip's records, read independently of our zip reader: name → [start, end). */
function zipRecords(b: Uint8Array): Map<string, [number, number]> | undefined {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const out = new Map<string, [number, number]>();
  let at = dv.getUint32(eocd + 16, true);
  const entries = dv.getUint16(eocd + 10, true);
  const dec = new TextDecoder();
  for (let k = 0; k < entries; k++) {
    if (at + 46 > b.length || dv.getUint32(at, true) !== 0x02014b50) return undefined;
    const size = dv.getUint32(at + 20, true);
    const nameLen = dv.getUint16(at + 28, true);
    const extraLen = dv.getUint16(at + 30, true);
    const commentLen = dv.getUint16(at + 32, true);
    const local = dv.getUint32(at + 42, true);
    const name = dec.decode(b.subarray(at + 46, at + 46 + nameLen));
    if (size === 0xffffffff || local === 0xffffffff) return undefined; // zip64: not needed for small seeds
    if (local + 30 > b.length || dv.getUint32(local, true) !== 0x04034b50) return undefined;
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    out.set(name, [start, start + size]);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function tensorProblems(t: TensorEntry, fileSizes: Map<string, number>, records: Map<string, Map<string, [number, number]> | undefined>): string[] {
  const p: string[] = [];
  const loc = t.location;
  const size = fileSizes.get(loc.file);
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) p.push(`shape [${t.shape.join(', ')}] is not made of non-negative integers`);
  const numel = t.shape.reduce((a, d) => a * BigInt(d), 1n);
  if (BigInt(t.count as number | bigint) !== numel) p.push(`count ${t.count} is not the product of its shape (${numel})`);
  for (const [k, v] of Object.entries({ storageOffset: loc.storageOffset, storageBytes: loc.storageBytes, elementOffset: loc.elementOffset })) {
    if (!Number.isSafeInteger(v) || v < 0) p.push(`${k} ${v} is not a non-negative integer`);
  }
  if (size === undefined) p.push(`its file ${loc.file} is not on disk`);
  else if (loc.encoding) {
    // An encoded storage (a deflated .npz member, ONNX varints): its encoded bytes lie in the file.
    const e = loc.encoding;
    if (![e.offset, e.bytes, e.skip].every((v) => Number.isSafeInteger(v) && v >= 0)) p.push(`encoding offsets ${e.offset}, ${e.bytes}, ${e.skip} are not non-negative integers`);
    else if (e.offset + e.bytes > size) p.push(`encoded storage [${e.offset}, +${e.bytes}) runs past the end of the file (${size})`);
    if (loc.storageOffset !== 0) p.push(`an encoded storage starts at ${loc.storageOffset}, not 0`);
  } else if (loc.storageOffset + loc.storageBytes > size) p.push(`storage [${loc.storageOffset}, +${loc.storageBytes}) runs past the end of the file (${size})`);
  if (isBlockDType(t.dtype)) {
    // Block-quantized (GGUF): dense whole blocks, so the storage is exactly the blocks of the shape.
    const dense = t.shape.reduce((a, d) => a * d, 1);
    let need: number | undefined;
    try {
      need = storageBytes(t.dtype, dense);
    } catch {
      p.push(`${dense} elements of ${t.dtype} are not whole blocks`);
    }
    if (need !== undefined && need > loc.storageBytes) p.push(`${need} bytes of ${t.dtype} blocks do not fit its ${loc.storageBytes}-byte storage`);
    return p.map((m) => `${t.name}: ${m}`);
  }
  const itemsize = elementBytes(t.dtype);
  if (itemsize === undefined) p.push(`unknown dtype ${t.dtype}`);
  else if (numel > 0n && Number.isInteger(itemsize)) {
    let last = BigInt(loc.elementOffset);
    t.shape.forEach((d, k) => (last += BigInt(d - 1) * BigInt(loc.strides[k] ?? 0)));
    if (loc.strides.some((s) => !Number.isSafeInteger(s) || s < 0)) p.push(`strides [${loc.strides.join(', ')}] are not non-negative integers`);
    else if ((last + 1n) * BigInt(itemsize) > BigInt(loc.storageBytes)) p.push(`the view reaches element ${last} of a ${loc.storageBytes}-byte storage`);
  }
  const recs = records.get(loc.file);
  if (recs) {
    const name = [...recs.keys()].find((n) => n.endsWith(`/data/${loc.storageKey}`));
    const range = name !== undefined ? recs.get(name) : undefined;
    if (range && (loc.storageOffset < range[0] || loc.storageOffset + loc.storageBytes > range[1])) p.push(`storage ${loc.storageKey} [${loc.storageOffset}, +${loc.storageBytes}) leaves its zip record [${range[0]}, ${range[1]})`);
  }
  return p.map((m) => `${t.name}: ${m}`);
}

export interface CheckResult {
  outcome: 'opened' | 'refused';
  /** What broke the promise; empty when all held. */
  problems: string[];
  tensors: number;
}

async function indexProblems(index: ModelIndex, bytesOf: (file: string) => Promise<Uint8Array | undefined>): Promise<string[]> {
  const problems: string[] = [];
  const files = [...new Set(index.tensors.map((t) => t.location.file))];
  const sizes = new Map<string, number>();
  const records = new Map<string, Map<string, [number, number]> | undefined>();
  for (const f of files) {
    try {
      sizes.set(f, (await stat(f)).size);
    } catch {
      // reported per tensor
    }
    if (index.format === 'pytorch-zip') {
      const b = await bytesOf(f);
      records.set(f, b && zipRecords(b));
    }
  }
  for (const t of index.tensors) problems.push(...tensorProblems(t, sizes, records));
  if (!Number.isSafeInteger(index.totalParameters as number) && typeof index.totalParameters !== 'bigint') problems.push(`totalParameters ${index.totalParameters} is not an exact integer`);
  for (const w of index.warnings) if (/\n\s+at .+:\d+:\d+/.test(w) || ENGINE_FAILURE.test(w)) problems.push(`warning holds an engine failure or a stack trace: ${w}`);
  return problems;
}

/** Opens `path`, checks the index, computes statistics of what opened (bounded), checks them. */
export async function checkFile(path: string, bytesOf: (file: string) => Promise<Uint8Array | undefined>): Promise<CheckResult> {
  let index: ModelIndex;
  try {
    index = await openModel(path);
  } catch (e) {
    // The GGUF reader refuses only with its FormatError (so the CLI and the views show one clear line).
    const bad = unexpectedError(e) ?? (path.endsWith('.gguf') && !(e instanceof FormatError) ? `${(e as Error).name} instead of a FormatError: ${(e as Error).message}` : undefined);
    return { outcome: 'refused', problems: bad ? [`open: ${bad}`] : [], tensors: 0 };
  }
  const problems = await indexProblems(index, bytesOf);
  if (problems.length > 0) return { outcome: 'opened', problems, tensors: index.tensors.length };
  const sources = new Map<string, FileByteSource>();
  let budget = MAX_STATS_ELEMENTS_PER_MUTANT;
  try {
    for (const t of index.tensors) {
      const n = Number(t.count);
      if (n > budget) continue;
      budget -= n;
      try {
        let src = sources.get(t.location.file);
        if (!src) sources.set(t.location.file, (src = await FileByteSource.open(t.location.file)));
        const s = await computeTensorStats(src, t);
        if (Number(s.count) !== n) problems.push(`${t.name}: statistics counted ${s.count} of ${n} elements`);
        if (Number(s.zeros) + Number(s.nan) > Number(s.count)) problems.push(`${t.name}: zeros ${s.zeros} + NaN ${s.nan} exceed the count ${s.count}`);
        const binned = s.histogram ? s.histogram.counts.reduce((a, c) => a + c, 0) : 0;
        if (binned > Number(s.count)) problems.push(`${t.name}: the histogram holds ${binned} of ${s.count} elements`);
        // The values table's first window, and a diff of the tensor with itself (every value the same).
        const first = await readValues(src, t, { start: 0, count: Math.min(64, n) });
        if (first.length !== Math.min(64, n)) problems.push(`${t.name}: read ${first.length} values of ${Math.min(64, n)}`);
        const d = await diffTensors(src, t, src, t);
        if (!d.identical) problems.push(`${t.name}: differs from itself`);
      } catch (e) {
        const bad = unexpectedError(e);
        if (bad) problems.push(`${t.name}: stats: ${bad}`);
      }
    }
    // The model-wide analyses and every text view of what opened.
    const analyses: Array<[string, () => Promise<unknown>]> = [
      ['ties', () => findTies(index, { content: true })],
      ['init', () => (index.tensors.reduce((a, t) => a + Math.min(Number(t.count), 100_000), 0) <= MAX_STATS_ELEMENTS_PER_MUTANT ? detectModelInit(index) : Promise.resolve())],
      ['tree', async () => printModuleTree(index)],
      ['markdown', async () => formatSummary('markdown', index)],
      ['csv', async () => formatSummary('csv', index)],
      ['json', async () => formatSummary('json', index)],
    ];
    for (const [what, run] of analyses) {
      try {
        await run();
      } catch (e) {
        const bad = unexpectedError(e);
        if (bad) problems.push(`${what}: ${bad}`);
      }
    }
  } finally {
    await Promise.all([...sources.values()].map((s) => s.close().catch(() => undefined)));
  }
  return { outcome: 'opened', problems, tensors: index.tensors.length };
}
