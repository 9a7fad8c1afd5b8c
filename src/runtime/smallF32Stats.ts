import { numberArray } from '../core/arrays';
import { throwIfAborted } from '../core/abort';
import type { ByteSource } from './byteSource';
import type { TensorRef } from './elementStream';
import { chunkElementsOf, chunkInRange, histcChunk, mergeMoments, withArena, type FastStats } from './fastStats';
import { float32AtLeast, float32AtMost } from './float32Bounds';
import { histcEdges } from './histc';
import type { KernelKind } from './kernelArena';
import { crc32 } from './crc32';
import { RESULTS } from './kernelLayout';
import { checkStorageCrc, coversStorage } from './storageCrc';
import { planView } from './tensorLayout';

/** A float32 tensor up to this many elements, stored contiguously, takes `smallF32Stats`. */
export const SMALL_F32_ELEMENTS = 65536;

/**
 * Statistics of a small contiguous little-endian float32 tensor, or null when it is not one: the
 * same single chunk, the same kernels and the same merge as `computeFastStats`, so the same bits,
 * without its per-pass machinery (two arena loans, two chunk streams, range plans): that
 * machinery, not the kernels, was most of the time of 100,000 tensors of 256 values.
 */
export async function smallF32Stats(src: ByteSource, t: TensorRef, bins: number, opts: { chunkElements?: number; kernels?: KernelKind | 'auto'; signal?: AbortSignal } = {}): Promise<FastStats | null> {
  if (t.dtype !== 'float32' || (t.location.byteOrder ?? 'little') !== 'little' || t.location.encoding !== undefined) return null;
  const plan = planView(t.shape, t.location, 4, src.size, 'storage');
  if (plan.numel === 0 || plan.numel > SMALL_F32_ELEMENTS || plan.numel > chunkElementsOf('float32', opts.chunkElements) || plan.outerSizes.length > 0 || plan.runLength !== plan.numel) return null;
  throwIfAborted(opts.signal);
  const bytes = await src.read(plan.storageOffset + plan.base * 4, plan.numel * 4);
  if (t.location.crc32 !== undefined && coversStorage(t)) checkStorageCrc(t.location, crc32(bytes, 0));
  return withArena(opts.kernels, async (arena) => {
    const buffer = arena.chunkBuffer(0);
    buffer.set(bytes);
    const ptr = buffer.byteOffset;
    arena.kernels.f32Moments(ptr, plan.numel, RESULTS);
    const record = Float64Array.from(arena.results());
    const moments = mergeMoments(record);
    if (moments.min === null || moments.max === null) return { ...moments, histogram: null };
    const edges = histcEdges(moments.min, moments.max, bins);
    histcChunk(arena, ptr, plan.numel, edges.left, edges.right, float32AtLeast(edges.left), float32AtMost(edges.right), bins, chunkInRange(record, 0, edges));
    const totals = new Float64Array(bins);
    arena.flushHistogram(bins, totals);
    return { ...moments, histogram: { min: edges.min, max: edges.max, counts: numberArray(totals) } };
  });
}
