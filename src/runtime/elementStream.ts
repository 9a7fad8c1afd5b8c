import * as l10n from '@vscode/l10n';
import type { TensorLocation, TensorSpec } from '../core/modelIndex';
import { throwIfAborted } from '../core/abort';
import type { ByteSource } from './byteSource';
import { assertRealDType, decodeAlignedInto, toAlignedLittleEndian } from './decode';
import { elementBytes, type DType } from '../core/dtypes';
import { broadcastReduction, fillPieces, planView, type IterationOrder, type ViewPlan } from './tensorLayout';

/** A tensor as the kernels see it: the index's plain-data spec. */
export type TensorRef = TensorSpec;

/**
 * 2 MiB of doubles per chunk: large enough to amortize a read and the per-chunk bookkeeping, small
 * enough that the decoded chunk is still in cache when the kernel reads it (measured ~20% faster
 * than 2^20 for statistics of a 64M-element float32 tensor).
 */
export const DEFAULT_CHUNK_ELEMENTS = 1 << 18;
/** Cap on a caller's chunk size: buffers of 2^24 complex128 elements already take 256 MiB. */
export const MAX_CHUNK_ELEMENTS = 1 << 24;
/** Storage gaps up to this are read through rather than split into another read (one syscall costs more). */
const CLUSTER_GAP_BYTES = 64 * 1024;
/** Largest single read when gathering a strided view; bounds the window buffer. */
const MAX_CLUSTER_BYTES = 16 * 1024 * 1024;
/** Pieces shorter than this are copied byte by byte: cheaper than making a subarray for each. */
const SMALL_COPY_BYTES = 64;
/**
 * Elements a stream may produce from a broadcast view (stride 0: `expand`), where a few stored
 * bytes describe up to 2^53 elements. 2^28 is what a 1 GiB float32 tensor streams (a second or
 * two); statistics never stream a broadcast view whole (they weight its distinct elements), and
 * value windows are far smaller, so only whole-view passes (heatmap, diff, hashing) meet it.
 */
export const MAX_BROADCAST_STREAM_ELEMENTS = 2 ** 28;

/** A pass over more elements of a broadcast view than MAX_BROADCAST_STREAM_ELEMENTS. */
export class BroadcastTooLargeError extends Error {
  constructor(file: string, elements: number, stored: number) {
    super(l10n.t('{0}: this broadcast view (stride 0) would read {1} elements of {2} stored ones, more than the {3} read element by element', file, elements, stored, MAX_BROADCAST_STREAM_ELEMENTS));
    this.name = 'BroadcastTooLargeError';
  }
}

export interface StreamOptions {
  /** Elements per chunk (default `DEFAULT_CHUNK_ELEMENTS`). */
  chunkElements?: number;
  signal?: AbortSignal;
  /** Called after each chunk with elements done and elements in the whole range. */
  onProgress?: (done: number, total: number) => void;
  /** `logical` (default) or `storage` order; see `IterationOrder`. */
  order?: IterationOrder;
  /** First element of the traversal to produce (default 0). */
  start?: number;
  /** Number of elements to produce (default: to the end). */
  count?: number;
  /**
   * Staging buffers to fill in turn instead of one allocated by the stream, each at least
   * `chunkElements × itemsize` bytes (a kernel's own memory, say). With two, a chunk's bytes stay
   * valid while the next chunk is read, so a consumer can ask for it before computing.
   */
  buffers?: readonly Uint8Array[];
}

/** A chunk of elements as raw bytes: little-endian, aligned for a typed-array view of the dtype. */
export interface RawChunk {
  bytes: Uint8Array;
  count: number;
  /** Position in the traversal of the first element. */
  first: number;
}

/** `FileByteSource` can fill our buffer in place; other sources hand back their own bytes. */
interface FillsBuffers {
  readInto(target: Uint8Array, offset: number): Promise<void>;
}
function fillsBuffers(src: ByteSource): src is ByteSource & FillsBuffers {
  return typeof (src as Partial<FillsBuffers>).readInto === 'function';
}

function resolveChunkElements(requested: number | undefined): number {
  const n = requested ?? DEFAULT_CHUNK_ELEMENTS;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CHUNK_ELEMENTS) throw new RangeError(`chunkElements must be an integer in 1..${MAX_CHUNK_ELEMENTS}, got ${n}`);
  return n;
}

function resolveRange(numel: number, start: number | undefined, count: number | undefined): [number, number] {
  const s = start ?? 0;
  const c = count ?? numel - s;
  if (!Number.isSafeInteger(s) || !Number.isSafeInteger(c) || s < 0 || c < 0 || s + c > numel) {
    throw new RangeError(l10n.t('elements {0}..{1} are outside a tensor of {2} elements', s, s + c, numel));
  }
  return [s, s + c];
}

/** Reads `length` bytes at `offset`, into a buffer of ours when the source allows it (no allocation). */
async function readRange(src: ByteSource, offset: number, length: number, bufferFor: (length: number) => Uint8Array): Promise<Uint8Array> {
  if (fillsBuffers(src)) {
    const target = bufferFor(length).subarray(0, length);
    await src.readInto(target, offset);
    return target;
  }
  return src.read(offset, length);
}

/** Per-stream buffers, allocated once and reused by every chunk. */
class GatherBuffers {
  readonly off: Float64Array;
  readonly len: Uint32Array;
  readonly dst: Uint32Array;
  private order: Uint32Array | undefined;
  private window = new Uint8Array(0);
  constructor(readonly maxPieces: number) {
    this.off = new Float64Array(maxPieces);
    this.len = new Uint32Array(maxPieces);
    this.dst = new Uint32Array(maxPieces);
  }
  windowOf(length: number): Uint8Array {
    if (this.window.length < length) this.window = new Uint8Array(Math.max(length, Math.min(2 * this.window.length, MAX_CLUSTER_BYTES)));
    return this.window;
  }
  /** Piece indices sorted by storage offset, or null when they already are (the usual case). */
  sortedOrder(pieces: number): Uint32Array | null {
    const off = this.off;
    let sorted = true;
    for (let p = 1; p < pieces && sorted; p++) sorted = off[p - 1] <= off[p];
    if (sorted) return null;
    this.order ??= new Uint32Array(this.maxPieces);
    const order = this.order.subarray(0, pieces);
    for (let p = 0; p < pieces; p++) order[p] = p;
    return order.sort((a, b) => off[a] - off[b]);
  }
}

/**
 * Copies the pieces of one chunk into `staging` in traversal order, reading the storage forward in
 * clusters: neighbouring pieces (gaps up to CLUSTER_GAP_BYTES) share one bounded read.
 */
async function gather(src: ByteSource, plan: ViewPlan, pieces: number, bufs: GatherBuffers, staging: Uint8Array): Promise<void> {
  const { off, len, dst } = bufs;
  const size = plan.itemsize;
  const order = bufs.sortedOrder(pieces);
  for (let i = 0; i < pieces; ) {
    const first = order ? order[i] : i;
    const start = off[first];
    let end = start + len[first];
    let j = i + 1;
    for (; j < pieces; j++) {
      const q = order ? order[j] : j;
      if ((off[q] - end) * size > CLUSTER_GAP_BYTES) break;
      const newEnd = Math.max(end, off[q] + len[q]);
      if ((newEnd - start) * size > MAX_CLUSTER_BYTES) break;
      end = newEnd;
    }
    const byteLength = (end - start) * size;
    const window = await readRange(src, plan.storageOffset + start * size, byteLength, (n) => bufs.windowOf(n));
    for (let k = i; k < j; k++) {
      const q = order ? order[k] : k;
      const from = (off[q] - start) * size;
      const n = len[q] * size;
      const to = dst[q] * size;
      if (n < SMALL_COPY_BYTES) for (let b = 0; b < n; b++) staging[to + b] = window[from + b];
      else staging.set(window.subarray(from, from + n), to);
    }
    i = j;
  }
}

/**
 * Yields a tensor's elements as raw little-endian bytes in bounded chunks. `src` is the source of
 * the file `loc.file`. Each chunk's bytes live in a buffer reused by the next chunk: consume them
 * before asking for more. The view is validated against the storage before anything is read.
 */
export async function* streamRawChunks(src: ByteSource, dtype: DType, shape: readonly number[], loc: TensorLocation, opts: StreamOptions = {}): AsyncGenerator<RawChunk> {
  const chunkElements = resolveChunkElements(opts.chunkElements);
  const plan = planView(shape, loc, elementBytes(dtype), src.size, opts.order ?? 'logical');
  const [first, end] = resolveRange(plan.numel, opts.start, opts.count);
  const total = end - first;
  if (total > MAX_BROADCAST_STREAM_ELEMENTS) {
    const reduced = broadcastReduction(shape, loc.strides);
    if (reduced) throw new BroadcastTooLargeError(loc.file, total, plan.numel / reduced.weight);
  }
  const size = plan.itemsize;
  const chunkCap = Math.min(chunkElements, Math.max(total, 1));
  const buffers = opts.buffers && opts.buffers.length > 0 ? opts.buffers : [new Uint8Array(chunkCap * size)];
  for (const b of buffers) if (b.length < chunkCap * size) throw new RangeError(`staging buffer of ${b.length} bytes cannot hold ${chunkCap} elements of ${dtype}`);
  let turn = 0;
  // A chunk crosses at most ceil(chunk / run) + 1 runs; contiguous tensors need one piece, not a million.
  const bufs = new GatherBuffers(Math.min(chunkCap, Math.ceil(chunkCap / plan.runLength) + 1));

  for (let e0 = first; e0 < end; e0 += chunkElements) {
    throwIfAborted(opts.signal);
    const e1 = Math.min(end, e0 + chunkElements);
    const count = e1 - e0;
    const pieces = fillPieces(plan, e0, e1, bufs.off, bufs.len, bufs.dst);
    const staging = buffers[turn++ % buffers.length];
    let bytes: Uint8Array;
    if (pieces === 1) {
      // Contiguous stretch: one read straight into (or straight out of) the source's memory.
      const raw = await readRange(src, plan.storageOffset + bufs.off[0] * size, count * size, () => staging);
      bytes = toAlignedLittleEndian(raw, dtype, loc.byteOrder, staging);
    } else {
      await gather(src, plan, pieces, bufs, staging);
      bytes = toAlignedLittleEndian(staging.subarray(0, count * size), dtype, loc.byteOrder, staging);
    }
    throwIfAborted(opts.signal);
    opts.onProgress?.(e1 - first, total);
    yield { bytes, count, first: e0 };
  }
}

/**
 * Yields a real tensor's elements as doubles (exactly torch's `.double()`) in bounded chunks, in
 * logical row-major order unless `opts.order` says otherwise. Each yielded array is a view of one
 * reused buffer: consume it before asking for the next.
 */
export async function* streamElements(src: ByteSource, dtype: DType, shape: readonly number[], loc: TensorLocation, opts: StreamOptions = {}): AsyncGenerator<Float64Array> {
  assertRealDType(dtype);
  let out: Float64Array | undefined;
  for await (const chunk of streamRawChunks(src, dtype, shape, loc, opts)) {
    out ??= new Float64Array(chunk.count); // the first chunk is the largest
    decodeAlignedInto(dtype, chunk.bytes, chunk.count, out, 0);
    yield out.subarray(0, chunk.count);
  }
}
