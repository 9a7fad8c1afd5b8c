import * as l10n from '@vscode/l10n';
import { createInflateRaw } from 'node:zlib';
import type { StorageEncoding, TensorLocation, TensorSpec } from '../core/modelIndex';
import { WindowSource, type ByteSource } from './byteSource';

/**
 * Storages that are an encoding of the file's bytes (core `StorageEncoding`): a deflated `.npz`
 * member, ONNX's packed varints and nibble-packed int4. The kernels read such a storage through
 * `decodedView`, a source of its decoded bytes that decodes the file forward in bounded windows:
 * never the whole stream in memory, and never more than `skip + storageBytes` decoded bytes (a
 * deflate bomb stops there). Kernels read forward (statistics, fingerprints, diffs stream in
 * order), so a read ahead of the decoder continues it; a read behind it starts the decoding again.
 */

/** Compressed or packed bytes read from the file at a time. */
const ENCODED_WINDOW_BYTES = 1 << 20;

/** A stream that ends before its storage does, or says something impossible. */
export class EncodedStorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodedStorageError';
  }
}

/** The decoded bytes of an encoding, chunk by chunk, from the start. */
type Decoder = (parent: ByteSource, e: StorageEncoding) => AsyncGenerator<Uint8Array>;

async function* encodedWindows(parent: ByteSource, e: StorageEncoding): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < e.bytes; at += ENCODED_WINDOW_BYTES) yield await parent.read(e.offset + at, Math.min(ENCODED_WINDOW_BYTES, e.bytes - at));
}

/** Inflates a raw deflate stream with Node's zlib, reading the compressed bytes a window at a time. */
async function* inflate(parent: ByteSource, e: StorageEncoding): AsyncGenerator<Uint8Array> {
  const inflater = createInflateRaw({ chunkSize: 1 << 18 });
  const feed = (async () => {
    for await (const w of encodedWindows(parent, e)) {
      if (inflater.destroyed) return;
      if (!inflater.write(w)) {
        // Whichever comes first; the other listener goes too (a big member waits thousands of times).
        await new Promise<void>((resolve) => {
          const done = (): void => {
            inflater.off('drain', done).off('close', done);
            resolve();
          };
          inflater.on('drain', done).on('close', done);
        });
      }
    }
    inflater.end();
  })().catch((err: unknown) => inflater.destroy(err instanceof Error ? err : new Error(String(err))));
  try {
    for await (const chunk of inflater) yield new Uint8Array((chunk as Buffer).buffer, (chunk as Buffer).byteOffset, (chunk as Buffer).byteLength);
  } catch (err) {
    throw new EncodedStorageError(`${parent.name}: ${l10n.t('cannot inflate the stored tensor ({0})', (err as Error).message)}`);
  } finally {
    inflater.destroy();
    await feed;
  }
}

/** Protobuf varints, each written as its low `width` bytes, little-endian (see core `StorageEncoding`). */
async function* varints(parent: ByteSource, e: StorageEncoding): AsyncGenerator<Uint8Array> {
  if (e.kind !== 'varint') return;
  const width = e.width;
  // Groups of 7 bits of the value being read: bits 0..31 in `lo`, 32..63 in `hi`.
  let lo = 0;
  let hi = 0;
  let shift = 0;
  for await (const w of encodedWindows(parent, e)) {
    const out = new Uint8Array(w.length * width);
    const dv = new DataView(out.buffer);
    let n = 0;
    for (let i = 0; i < w.length; i++) {
      const b = w[i]!;
      const g = b & 0x7f;
      if (shift < 28) lo |= g << shift;
      else if (shift === 28) {
        lo |= (g & 0xf) << 28;
        hi = g >>> 4;
      } else if (shift < 63) hi |= g << (shift - 32);
      else if (shift === 63) hi |= (g & 1) << 31;
      else if (shift >= 70) throw new EncodedStorageError(`${parent.name}: ${l10n.t('a varint is longer than 10 bytes')}`);
      shift += 7;
      if (b & 0x80) continue;
      const at = n * width;
      if (width === 1) out[at] = lo & 0xff;
      else if (width === 2) dv.setUint16(at, lo & 0xffff, true);
      else if (width === 4) dv.setUint32(at, lo >>> 0, true);
      else {
        dv.setUint32(at, lo >>> 0, true);
        dv.setUint32(at + 4, hi >>> 0, true);
      }
      n++;
      lo = hi = shift = 0;
    }
    yield out.subarray(0, n * width);
  }
  if (shift !== 0) throw new EncodedStorageError(`${parent.name}: ${l10n.t('the packed values end inside a varint')}`);
}

/** FLOAT4E2M1 (OCP MX): sign, 2 exponent bits (bias 1), 1 mantissa bit; no infinities or NaN. */
const E2M1 = new Float32Array([0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6]);

/** Two elements a byte, low nibble first. */
async function* nibbles(parent: ByteSource, e: StorageEncoding): AsyncGenerator<Uint8Array> {
  if (e.kind !== 'nibbles') return;
  for await (const w of encodedWindows(parent, e)) {
    if (e.as === 'float4_e2m1') {
      const out = new Float32Array(w.length * 2);
      for (let i = 0; i < w.length; i++) {
        out[2 * i] = E2M1[w[i]! & 0xf]!;
        out[2 * i + 1] = E2M1[w[i]! >>> 4]!;
      }
      yield new Uint8Array(out.buffer);
    } else {
      const out = new Uint8Array(w.length * 2);
      const signed = e.as === 'int4';
      for (let i = 0; i < w.length; i++) {
        const [a, b] = [w[i]! & 0xf, w[i]! >>> 4];
        out[2 * i] = signed && a & 8 ? a | 0xf0 : a;
        out[2 * i + 1] = signed && b & 8 ? b | 0xf0 : b;
      }
      yield out;
    }
  }
}

const DECODERS: Record<StorageEncoding['kind'], Decoder> = { deflate: inflate, varint: varints, nibbles };

/**
 * The decoded storage as a source. One decoder at a time: reads are queued, so the double-buffered
 * reads of the statistics path (the next chunk asked for while the last is summed) stay in order.
 */
class DecodedSource implements ByteSource {
  readonly size: number;
  private decoder: AsyncGenerator<Uint8Array> | undefined;
  /** Decoded bytes the decoder has produced (skip included), and the last chunk, which ends there. */
  private produced = 0;
  private last: Uint8Array = new Uint8Array(0);
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly parent: ByteSource,
    private readonly encoding: StorageEncoding,
    storageBytes: number,
  ) {
    this.size = storageBytes;
  }

  get name(): string {
    return this.parent.name;
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      return Promise.reject(new RangeError(l10n.t('{0}: read of {1} bytes at offset {2} is past the end (size {3})', this.name, length, offset, this.size)));
    }
    const next = this.queue.then(() => this.readInOrder(this.encoding.skip + offset, length));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readInOrder(at: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    const lastStart = this.produced - this.last.length;
    if (at < lastStart) await this.restart();
    let filled = 0;
    // Bytes of the last chunk the read covers.
    const take = (): void => {
      const start = this.produced - this.last.length;
      const from = Math.max(at + filled, start);
      const to = Math.min(at + length, this.produced);
      if (to > from) {
        out.set(this.last.subarray(from - start, to - start), from - at);
        filled = to - at;
      }
    };
    take();
    const end = this.encoding.skip + this.size;
    while (filled < length) {
      this.decoder ??= DECODERS[this.encoding.kind](this.parent, this.encoding);
      const r = await this.decoder.next();
      if (r.done) throw new EncodedStorageError(`${this.name}: ${l10n.t('the encoded tensor ends after {0} of its {1} bytes', Math.max(0, this.produced - this.encoding.skip), this.size)}`);
      // Bytes past the storage's end are never kept: a stream that would inflate further is cut here.
      const chunk = r.value.subarray(0, Math.max(0, end - this.produced));
      this.produced += chunk.length;
      this.last = chunk;
      if (chunk.length < r.value.length) await this.stop();
      take();
    }
    return out;
  }

  private async stop(): Promise<void> {
    const d = this.decoder;
    this.decoder = undefined;
    await d?.return(undefined);
  }

  private async restart(): Promise<void> {
    await this.stop();
    this.produced = 0;
    this.last = new Uint8Array(0);
  }

  slice(offset: number, length: number): ByteSource {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new RangeError(l10n.t('{0}: read of {1} bytes at offset {2} is past the end (size {3})', this.name, length, offset, this.size));
    return new WindowSource(this, offset, length);
  }
}

/** The location of a decoded storage: at 0 of its own source, with no encoding. */
export function decodedLocation(loc: TensorLocation): TensorLocation {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { encoding: _encoding, ...rest } = loc;
  return { ...rest, storageOffset: 0 };
}

/**
 * The decoded bytes of any encoded stream as a source of `size` bytes (the first `encoding.skip`
 * included): how a reader looks inside a deflated zip member (an `.npz` member's `.npy` header)
 * without inflating it whole.
 */
export function decodedStreamSource(parent: ByteSource, encoding: StorageEncoding, size: number): ByteSource {
  return new DecodedSource(parent, { ...encoding, skip: 0 } as StorageEncoding, size);
}

/**
 * A tensor whose storage is encoded, as the kernels read it: a source of its decoded storage and
 * the tensor located at 0 of it. Tensors stored as they lie are returned as they are.
 */
export function decodedView<T extends TensorSpec>(src: ByteSource, t: T): { src: ByteSource; tensor: T } {
  const e = t.location.encoding;
  if (!e) return { src, tensor: t };
  if (!Number.isSafeInteger(e.offset) || !Number.isSafeInteger(e.bytes) || e.offset < 0 || e.bytes < 0 || e.offset + e.bytes > src.size) {
    throw new EncodedStorageError(`${src.name}: ${l10n.t('encoded storage of {0} bytes at {1} runs past the end of the file ({2} bytes)', e.bytes, e.offset, src.size)}`);
  }
  return { src: new DecodedSource(src, e, t.location.storageBytes), tensor: { ...t, location: decodedLocation(t.location) } };
}
