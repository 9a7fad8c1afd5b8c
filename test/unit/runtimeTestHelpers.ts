import type { TensorLocation } from '../../src/core/modelIndex';
import { MemoryByteSource } from '../../src/runtime/byteSource';
import type { DType } from '../../src/core/dtypes';
import type { TensorRef } from '../../src/runtime/elementStream';

/** Row-major strides of a contiguous tensor. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d];
  }
  return strides;
}

/** A location over a whole in-memory storage, with view fields overridable. */
export function location(storageBytes: number, view: Partial<TensorLocation> = {}): TensorLocation {
  return { file: 'mem.bin', storageOffset: 0, storageBytes, storageKey: '0', elementOffset: 0, strides: [], byteOrder: 'little', ...view };
}

/** A float32 storage holding `values`, and a tensor over it with the given view. */
export function float32Tensor(values: readonly number[], shape: number[], view: Partial<TensorLocation> = {}): { src: MemoryByteSource; entry: TensorRef } {
  const bytes = new Uint8Array(Float32Array.from(values).buffer);
  return { src: new MemoryByteSource(bytes), entry: { dtype: 'float32', shape, location: location(bytes.length, { strides: contiguousStrides(shape), ...view }) } };
}

/** A contiguous tensor of `dtype` over raw little-endian bytes. */
export function rawTensor(dtype: DType, bytes: Uint8Array, shape: number[]): { src: MemoryByteSource; entry: TensorRef } {
  return { src: new MemoryByteSource(bytes), entry: { dtype, shape, location: location(bytes.length, { strides: contiguousStrides(shape) }) } };
}

/** 0, 1, …, n − 1. */
export function arange(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
