import { describe, expect, it } from 'vitest';
import { GGML_TYPES, ggmlType } from '../../src/runtime/ggml/blockTypes';
import { canDequantize, dequantizeBlocks } from '../../src/runtime/ggml/dequantize';
import { expectedBytes, firstBitMismatch, readManifest, tensorBytes, type FixtureType } from './ggufQuantFixtures';

/**
 * Every ggml storage type against values computed by ggml itself (its quantizers made the blocks,
 * its `to_float` the expected float32), compared bit for bit.
 */

const manifest = readManifest();

/** Decodes a tensor in uneven block ranges (1, 2, 3, … blocks), as the runtime streams them. */
function decodeStreamed(typeId: number, bytes: Uint8Array, elements: number): Float32Array {
  const t = ggmlType(typeId);
  const out = new Float32Array(elements);
  const blocks = elements / t.blockSize;
  // Copy into a buffer with leading junk so a non-zero srcOffset is exercised too.
  const src = new Uint8Array(bytes.length + 7).fill(0xa5);
  src.set(bytes, 7);
  for (let done = 0, step = 1; done < blocks; step++) {
    const n = Math.min(step, blocks - done);
    dequantizeBlocks(typeId, src, 7 + done * t.bytesPerBlock, n, out, done * t.blockSize);
    done += n;
  }
  return out;
}

/** Expected float32 values: ggml's for block types, the C cast for the plain ones. */
function expectedFloat32(type: FixtureType, raw: Uint8Array): Float32Array {
  if (type.expectedType === 'f32') return new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  if (type.expectedType === 'f64') return Float32Array.from(new Float64Array(raw.buffer, raw.byteOffset, raw.length / 8));
  // (float)int64 rounds once; BigInt → Number → float32 could round twice, so go through the exact
  // decimal string only for values where double rounding is possible (|v| ≥ 2^53).
  const ints = new BigInt64Array(raw.buffer, raw.byteOffset, raw.length / 8);
  return Float32Array.from(ints, (v) => roundInt64ToFloat32(v));
}

/** float32 nearest to an int64 (ties to even), computed exactly with BigInt. */
function roundInt64ToFloat32(v: bigint): number {
  const neg = v < 0n;
  let m = neg ? -v : v;
  if (m < 1n << 24n) return Number(v);
  let shift = 0n;
  while (m >> (shift + 24n) > 0n) shift++;
  const kept = m >> shift;
  const rest = m - (kept << shift);
  const half = 1n << (shift - 1n);
  m = kept + (rest > half || (rest === half && (kept & 1n) === 1n) ? 1n : 0n);
  const value = Number(m) * 2 ** Number(shift);
  return neg ? -value : value;
}

describe('ggml fixtures', () => {
  it('cover every ggml type we know except those ggml cannot produce', () => {
    const covered = new Set(manifest.types.map((t) => t.id));
    const skipped = new Set(manifest.notCovered.map((t) => t.id));
    expect(GGML_TYPES.filter((t) => !covered.has(t.id) && !skipped.has(t.id)).map((t) => t.name)).toEqual([]);
  });

  for (const type of manifest.types) {
    it(`${type.label}: layout matches ggml's type traits`, () => {
      const t = ggmlType(type.id);
      expect([t.name, t.blockSize, t.bytesPerBlock, t.blockQuantized]).toEqual([type.label, type.blck_size, type.type_size, type.is_quantized]);
    });

    it(`${type.label}: every tensor decodes bit for bit as ggml's to_float`, () => {
      expect(canDequantize(type.id)).toBe(true);
      const bytes = tensorBytes(type);
      const want = expectedBytes(type);
      type.tensors.forEach((tensor, i) => {
        const got = decodeStreamed(type.id, bytes[i], tensor.nelements);
        const mismatch = firstBitMismatch(got, expectedFloat32(type, want[i]));
        expect(mismatch, `${type.label} tensor ${tensor.name}`).toBeUndefined();
      });
    });
  }
});
