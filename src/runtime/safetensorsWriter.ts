import { randomBytes } from 'node:crypto';
import { link, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { throwIfAborted } from '../core/abort';
import { elementBytes, storageBytes, type ElementDType } from '../core/dtypes';
import type { TensorSpec } from '../core/modelIndex';
import { FileByteSource } from './byteSource';
import { elementView } from './dequantizedView';
import { streamRawChunks } from './elementStream';
import { swapToLittleEndianInPlace } from './decode';
import { planView } from './tensorLayout';
import type { ByteSource } from './byteSource';
import { castElements, isCastSource, type CastTarget } from './floatEncode';

/**
 * Writes safetensors files from tensors anywhere in other model files, streamed: each tensor's
 * elements are read in logical (C) order in bounded chunks (runtime/elementStream.ts, through
 * `elementView` for block-quantized and encoded storages), cast when asked, and appended to a
 * temporary file beside the output; memory stays a few chunks whatever the size. When every file
 * is complete (and every source unchanged) the temporary files take their final names; any error,
 * and cancellation, deletes them, so a failed conversion leaves nothing behind.
 */

/** One tensor to write: where its elements are, the dtype to write them as, and how many bytes that takes. */
export interface WriteTensor {
  spec: TensorSpec;
  dtype: ElementDType;
  bytes: number;
}

/** One output file: its final path, then either a safetensors header and tensors, or plain text (a shard index). */
export type WriteFile = { path: string; header: Uint8Array; tensors: readonly WriteTensor[] } | { path: string; text: string };

export interface WriteOptions {
  /** Replace existing outputs (otherwise an output that appears meanwhile is an error, not overwritten). */
  force?: boolean;
  signal?: AbortSignal;
  /** Tensor bytes written and to write, at most every PROGRESS_INTERVAL_MS and once at the end. */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Bytes of a transposed matrix's tile (default TILE_BYTES); tests make it small to cross tile edges. */
  tileBytes?: number;
}

/** An output path that exists (without `force`), found when the file was about to take its name. */
export class OutputExistsError extends Error {
  constructor(path: string) {
    super(`${path} exists; use --force to replace it`);
    this.name = 'OutputExistsError';
  }
}

/** Progress at most every 100 ms: a message per chunk would flood the extension host. */
const PROGRESS_INTERVAL_MS = 100;
/** Bytes gathered before one write call: fewer syscalls for many small tensors, still a bounded buffer. */
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;
/** Bytes of one tile of a transposed matrix gathered at a time (see transposedChunks). */
const TILE_BYTES = 4 * 1024 * 1024;
/** Filesystems without hard links answer these to `link`; the rename then checks for the output first. */
const NO_LINK_CODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/** A temporary name beside `path`, hidden, unique to this run. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.paramscope-tmp`);
}

/** Appends bytes to a file handle through one bounded buffer. */
class Appender {
  private readonly buf = new Uint8Array(WRITE_BUFFER_BYTES);
  private used = 0;
  /** Bytes on disk; `position` also counts those still in the buffer. */
  written = 0;
  constructor(private readonly fh: FileHandle) {}
  get position(): number {
    return this.written + this.used;
  }
  async put(bytes: Uint8Array): Promise<void> {
    if (this.used + bytes.length > this.buf.length) await this.flush();
    if (bytes.length >= this.buf.length) {
      await this.writeAll(bytes);
      return;
    }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }
  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }
  private async writeAll(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, at, bytes.length - at, this.written);
      at += bytesWritten;
      this.written += bytesWritten;
    }
  }
}

/** Writes every file under a temporary name, then gives each its final name; on any error deletes what it wrote. */
export async function writeSafetensorsFiles(files: readonly WriteFile[], opts: WriteOptions = {}): Promise<void> {
  const total = files.reduce((n, f) => n + ('tensors' in f ? f.tensors.reduce((m, t) => m + t.bytes, 0) : 0), 0);
  const temps: string[] = [];
  const placed: string[] = [];
  const sources = new Map<string, FileByteSource>();
  let done = 0;
  let last = 0;
  const report = (final = false): void => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (!final && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    opts.onProgress(done, total);
  };
  const source = async (file: string): Promise<FileByteSource> => {
    let s = sources.get(file);
    if (!s) sources.set(file, (s = await FileByteSource.open(file)));
    return s;
  };
  try {
    for (const f of files) {
      throwIfAborted(opts.signal);
      const tmp = tempPathFor(f.path);
      const fh = await open(tmp, 'wx', 0o644);
      temps.push(tmp);
      try {
        const out = new Appender(fh);
        if ('text' in f) await out.put(new TextEncoder().encode(f.text));
        else {
          await out.put(f.header);
          for (const t of f.tensors) {
            const before = out.position;
            await writeTensor(await source(t.spec.location.file), t, out, opts.signal, opts.tileBytes ?? TILE_BYTES, (n) => {
              done += n;
              report();
            });
            // What the header promised is what was written: a short or long tensor would shift every offset after it.
            if (out.position - before !== t.bytes) throw new Error(`wrote ${out.position - before} bytes of a tensor planned as ${t.bytes}`);
          }
        }
        await out.flush();
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    // Tensors read from a file rewritten meanwhile could mix two versions of it.
    for (const s of sources.values()) await s.assertUnchanged();
    throwIfAborted(opts.signal);
    for (let i = 0; i < files.length; i++) {
      await place(temps[i]!, files[i]!.path, opts.force === true);
      placed.push(files[i]!.path);
      temps[i] = '';
    }
    report(true);
  } catch (e) {
    await Promise.all(temps.filter((t) => t !== '').map((t) => unlink(t).catch(() => undefined)));
    // Outputs placed before a later one failed were new files (without force): take them away too.
    if (!opts.force) await Promise.all(placed.map((p) => unlink(p).catch(() => undefined)));
    throw e;
  } finally {
    await Promise.all([...sources.values()].map((s) => s.close().catch(() => undefined)));
  }
}

/** Gives `tmp` the name `path`: without `force` through a hard link, which fails if `path` exists (no race). */
async function place(tmp: string, path: string, force: boolean): Promise<void> {
  if (force) {
    await rename(tmp, path);
    return;
  }
  try {
    await link(tmp, path);
    await unlink(tmp);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') throw new OutputExistsError(path);
    if (!NO_LINK_CODES.has(code)) throw e;
  }
  if (await stat(path).then(() => true, () => false)) throw new OutputExistsError(path);
  await rename(tmp, path);
}

/**
 * A transposed matrix (2-D, unit stride on the first dimension: `w.t()`, a column-major array)
 * in logical order, a tile of whole rows at a time: each column's piece of the tile is one
 * contiguous read, and the tile is transposed in memory. The general gather (elementStream) would
 * sort and read the whole storage for every chunk; this reads each byte once.
 */
async function* transposedChunks(src: ByteSource, t: TensorSpec, size: number, tileBytes: number, signal: AbortSignal | undefined): AsyncGenerator<{ bytes: Uint8Array; count: number }> {
  const [rows, cols] = t.shape as [number, number];
  const colStride = t.location.strides[1]!;
  const tileRows = Math.max(1, Math.min(rows, Math.floor(tileBytes / (cols * size))));
  const tile = new Uint8Array(tileRows * cols * size);
  // Elements move as whole words (bit patterns, never as numbers: NaN payloads stay as they are).
  const unit = size % 4 === 0 ? 4 : size;
  const words = size / unit;
  const view = (b: Uint8Array): Uint8Array | Uint16Array | Uint32Array => (unit === 4 ? new Uint32Array(b.buffer, b.byteOffset, b.length / 4) : unit === 2 ? new Uint16Array(b.buffer, b.byteOffset, b.length / 2) : b);
  const tileWords = view(tile);
  const staging = new Uint8Array(tileRows * size);
  const stagingWords = view(staging);
  for (let r0 = 0; r0 < rows; r0 += tileRows) {
    throwIfAborted(signal);
    const n = Math.min(tileRows, rows - r0);
    for (let j = 0; j < cols; j++) {
      // Copied to an aligned buffer of ours first: the source's bytes may sit at any offset.
      staging.set(await src.read(t.location.storageOffset + (t.location.elementOffset + r0 + j * colStride) * size, n * size));
      for (let i = 0; i < n; i++) {
        const to = (i * cols + j) * words;
        const from = i * words;
        for (let w = 0; w < words; w++) tileWords[to + w] = stagingWords[from + w]!;
      }
    }
    const bytes = tile.subarray(0, n * cols * size);
    swapToLittleEndianInPlace(bytes, t.dtype, t.location.byteOrder);
    yield { bytes, count: n * cols };
  }
}

/** Whether `transposedChunks` reads this view: 2-D, unit first stride, a larger second one, stored as the file's bytes. */
function isTransposed(t: TensorSpec): boolean {
  const s = t.location.strides;
  return t.shape.length === 2 && t.shape[0]! > 1 && t.shape[1]! > 1 && s[0] === 1 && s[1]! >= t.shape[0]! && t.location.encoding === undefined;
}

/** A tensor's elements in logical order as little-endian bytes, in bounded chunks. */
function logicalChunks(src: ByteSource, t: TensorSpec, signal: AbortSignal | undefined, tileBytes: number): AsyncGenerator<{ bytes: Uint8Array; count: number }> {
  const size = elementBytes(t.dtype);
  if (isTransposed(t)) {
    // The same checks every stream makes: the view inside its storage, the storage inside the file.
    planView(t.shape, t.location, size, src.size, 'logical');
    return transposedChunks(src, t, size, tileBytes, signal);
  }
  return streamRawChunks(src, t.dtype, t.shape, t.location, { signal });
}

/** Streams one tensor's elements in logical order, cast to `t.dtype` where it differs. */
async function writeTensor(file: FileByteSource, t: WriteTensor, out: Appender, signal: AbortSignal | undefined, tileBytes: number, onBytes: (n: number) => void): Promise<void> {
  const { src, tensor } = elementView(file, t.spec);
  const from = tensor.dtype;
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (storageBytes(t.dtype, count) !== t.bytes) throw new Error(`a tensor of ${count} ${t.dtype} elements cannot take ${t.bytes} bytes`);
  if (from === t.dtype) {
    for await (const chunk of logicalChunks(src, tensor, signal, tileBytes)) {
      await out.put(chunk.bytes);
      onBytes(chunk.bytes.length);
    }
    return;
  }
  if (from === 'bool' || !isCastSource(from as ElementDType) || !isCastTarget(t.dtype)) throw new Error(`cannot cast ${from} to ${t.dtype}`);
  let cast = new Uint8Array(0);
  for await (const chunk of logicalChunks(src, tensor, signal, tileBytes)) {
    if (cast.length < chunk.count * 4) cast = new Uint8Array(chunk.count * 4); // 4 bytes fits every target
    const n = castElements(from as Parameters<typeof castElements>[0], t.dtype, chunk.bytes, chunk.count, cast);
    await out.put(cast.subarray(0, n));
    onBytes(n);
  }
}

function isCastTarget(d: ElementDType): d is CastTarget {
  return d === 'float32' || d === 'float16' || d === 'bfloat16';
}
