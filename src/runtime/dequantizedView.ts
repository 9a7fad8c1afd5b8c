import * as l10n from '@vscode/l10n';
import { BLOCK_LAYOUT, isBlockDType, type BlockDType, type DType } from '../core/dtypes';
import type { TensorLocation, TensorSpec } from '../core/modelIndex';
import type { ByteSource } from './byteSource';
import { dequantizeBlocksOf } from './ggml/dequantize';
import { decodedView } from './encodedSource';

/**
 * Block-quantized tensors (ggml's Q4_K, IQ2_XXS, …) as every kernel can read them: a virtual
 * source holding the tensor's storage as little-endian float32, dequantized from the file a
 * block range at a time as the kernels ask for bytes. Statistics, histograms, heatmaps, values,
 * fingerprints, init detection and diffs run on it unchanged, stream it in their usual chunks
 * (never the whole tensor in memory), and the pool splits it across workers by element ranges.
 */

/** The dtype the kernels see for a stored dtype: block types read as float32. */
export function viewDType(d: DType): DType {
  return isBlockDType(d) ? 'float32' : d;
}

/** Blocks whose bytes are big-endian are defined only for Q8_0 (llama.cpp's gguf_convert_endian). */
function swapBlocksToLittleEndian(dtype: BlockDType, bytes: Uint8Array, name: string): void {
  if (dtype !== 'Q8_0') throw new Error(l10n.t('{0}: big-endian {1} blocks are not defined (llama.cpp converts only F32, F16 and Q8_0 to big-endian)', name, dtype));
  const per = BLOCK_LAYOUT.Q8_0.bytes;
  for (let i = 0; i + per <= bytes.length; i += per) {
    const t = bytes[i]!;
    bytes[i] = bytes[i + 1]!;
    bytes[i + 1] = t;
  }
}

/**
 * Decodes `blockCount` blocks of `dtype` whose raw bytes were read to `target[rawAt…]` (the tail of
 * `target`) into float32 filling `target` from its start, in place; false when it cannot (that
 * dtype, or memory it does not see), and the scalar TypeScript kernels do it instead. The
 * statistics path passes the WASM kernels of its arena (wasmKernels.ts `wasmDequantKernelsOn`).
 */
export type InPlaceBlockDecoder = (dtype: BlockDType, target: Uint8Array, rawAt: number, blockCount: number) => boolean;

interface FillsBuffers {
  readInto(target: Uint8Array, offset: number): Promise<void>;
}
const fillsBuffers = (src: ByteSource): src is ByteSource & FillsBuffers => typeof (src as Partial<FillsBuffers>).readInto === 'function';

class DequantizedSource implements ByteSource {
  readonly size: number;
  private readonly layout: { elements: number; bytes: number };

  constructor(
    private readonly parent: ByteSource,
    private readonly dtype: BlockDType,
    private readonly location: TensorLocation,
    private readonly base = 0,
    size?: number,
    private readonly decoder?: InPlaceBlockDecoder,
  ) {
    this.layout = BLOCK_LAYOUT[dtype];
    this.size = size ?? (location.storageBytes / this.layout.bytes) * this.layout.elements * 4;
  }

  get name(): string {
    return this.parent.name;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(l10n.t('{0}: read of {1} bytes at offset {2} is past the end (size {3})', this.name, length, offset, this.size));
    }
    if (length === 0) return new Uint8Array(0);
    const at = this.base + offset;
    const { elements, bytes } = this.layout;
    const first = Math.floor(at / 4 / elements);
    const last = Math.ceil((at + length) / 4 / elements);
    const raw = await this.parent.read(this.location.storageOffset + first * bytes, (last - first) * bytes);
    // `raw` may be the source's own memory (a memory source): swap a copy, never the file's bytes.
    const blocks = this.location.byteOrder === 'big' ? raw.slice() : raw;
    if (this.location.byteOrder === 'big') swapBlocksToLittleEndian(this.dtype, blocks, this.name);
    const out = new Float32Array((last - first) * elements);
    dequantizeBlocksOf(this.dtype, blocks, 0, last - first, out, 0);
    const skip = at - first * elements * 4;
    return new Uint8Array(out.buffer, skip, length);
  }

  /**
   * Fills `target` with the float32 bytes at `offset`. A read of whole blocks (every read of the
   * statistics path: its chunks start on chunk boundaries and a tensor holds whole blocks) reads
   * the raw blocks into the tail of `target` itself (a block is smaller than its float32 values)
   * and decodes them in place, front to back: no allocation and no copy of the values. Other reads
   * go through `read`.
   */
  async readInto(target: Uint8Array, offset: number): Promise<void> {
    const length = target.length;
    const at = this.base + offset;
    const { elements, bytes } = this.layout;
    const valueBytes = 4 * elements;
    if (at % valueBytes !== 0 || length % valueBytes !== 0 || target.byteOffset % 4 !== 0 || length === 0 || this.location.byteOrder === 'big' || offset + length > this.size || offset < 0) {
      target.set(await this.read(offset, length));
      return;
    }
    const blocks = length / valueBytes;
    const rawAt = length - blocks * bytes;
    const raw = target.subarray(rawAt);
    const from = this.location.storageOffset + (at / valueBytes) * bytes;
    if (fillsBuffers(this.parent)) await this.parent.readInto(raw, from);
    else raw.set(await this.parent.read(from, raw.length));
    if (this.decoder?.(this.dtype, target, rawAt, blocks)) return;
    // The scalar kernels read a block while writing its values: decode from a copy.
    dequantizeBlocksOf(this.dtype, raw.slice(), 0, blocks, new Float32Array(target.buffer, target.byteOffset, blocks * elements), 0);
  }

  slice(offset: number, length: number): ByteSource {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new RangeError(l10n.t('{0}: read of {1} bytes at offset {2} is past the end (size {3})', this.name, length, offset, this.size));
    return new DequantizedSource(this.parent, this.dtype, this.location, this.base + offset, length, this.decoder);
  }
}

/**
 * The tensor as the kernels read it: an encoded storage decoded (`decodedView`); itself for element types; for block types a float32 view of
 * its dequantized storage, over a source that dequantizes on read. Shape, strides and element
 * offset stay as they are (a slice of a quantized tensor reads only the blocks it touches).
 * `decoder`, when given, decodes whole-block reads in place (see `InPlaceBlockDecoder`).
 */
export function elementView<T extends TensorSpec>(src: ByteSource, t: T, decoder?: InPlaceBlockDecoder): { src: ByteSource; tensor: T } {
  ({ src, tensor: t } = decodedView(src, t));
  if (!isBlockDType(t.dtype)) return { src, tensor: t };
  return { src: new DequantizedSource(src, t.dtype, t.location, 0, undefined, decoder), tensor: floatSpec(t) };
}

/** The spec half of `elementView`: what a block-typed tensor looks like to the kernels. */
export function floatSpec<T extends TensorSpec>(t: T): T {
  if (!isBlockDType(t.dtype)) return t;
  const { elements, bytes } = BLOCK_LAYOUT[t.dtype];
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { crc32: _stored, ...location } = t.location;
  return { ...t, dtype: 'float32', location: { ...location, storageOffset: 0, storageBytes: (t.location.storageBytes / bytes) * elements * 4, byteOrder: 'little' } };
}
