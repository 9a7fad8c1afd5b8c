import { describe, expect, it } from 'vitest';
import { ggmlTypeIdByName } from '../../src/runtime/ggml/blockTypes';
import { canDequantize, dequantizeBlocks } from '../../src/runtime/ggml/dequantize';

/**
 * Hand-built blocks whose values follow from the block layouts in ggml's `ggml-common.h` by hand
 * arithmetic (every scale a power of two, so each value is exact), plus the bounds contract.
 * The ggml-made fixtures (ggufQuantFixtures.test.ts) check every type bit for bit.
 */

const id = (name: string) => ggmlTypeIdByName(name) as number;

/** Little-endian fp16 bytes of a few exact scales. */
const HALF: Record<number, [number, number]> = { 1: [0x00, 0x3c], 0.5: [0x00, 0x38], 2: [0x00, 0x40], [-1]: [0x00, 0xbc], 0.25: [0x00, 0x34] };

function decode(name: string, bytes: number[], blocks = 1): Float32Array {
  const valuesPerBlock = { Q4_0: 32, Q4_1: 32, Q8_0: 32, Q1_0: 128, Q2_0: 64, TQ2_0: 256, MXFP4: 32 }[name] as number;
  const out = new Float32Array(valuesPerBlock * blocks);
  dequantizeBlocks(id(name), Uint8Array.from(bytes), 0, blocks, out, 0);
  return out;
}

describe('hand-built blocks', () => {
  it('Q4_0: (q − 8)·d, low nibbles first', () => {
    const qs = Array.from({ length: 16 }, (_, j) => j | ((15 - j) << 4));
    const out = decode('Q4_0', [...HALF[0.5], ...qs]);
    expect(Array.from(out)).toEqual([...Array.from({ length: 16 }, (_, j) => (j - 8) / 2), ...Array.from({ length: 16 }, (_, j) => (7 - j) / 2)]);
  });

  it('Q4_1: q·d + m', () => {
    const out = decode('Q4_1', [...HALF[2], ...HALF[-1], ...new Array(16).fill(0x3a)]);
    expect(Array.from(out)).toEqual([...new Array(16).fill(10 * 2 - 1), ...new Array(16).fill(3 * 2 - 1)]);
  });

  it('Q8_0: int8·d, two blocks in a row', () => {
    const qs = Array.from({ length: 32 }, (_, j) => (j * 9 - 128) & 0xff);
    const out = decode('Q8_0', [...HALF[0.25], ...qs, ...HALF[-1], ...qs], 2);
    const ints = qs.map((b) => (b << 24) >> 24);
    expect(Array.from(out)).toEqual([...ints.map((q) => q / 4), ...ints.map((q) => -q)]);
  });

  it('Q1_0: ±d by bit, least significant bit first', () => {
    const out = decode('Q1_0', [...HALF[2], 0b00000101, ...new Array(14).fill(0), 0x80]);
    expect(Array.from(out.subarray(0, 4))).toEqual([2, -2, 2, -2]);
    expect(out[127]).toBe(2);
    expect(out[126]).toBe(-2);
  });

  it('Q2_0: (q − 1)·d, four codes per byte from the low bits', () => {
    const out = decode('Q2_0', [...HALF[0.5], 0b11100100, ...new Array(15).fill(0)]);
    expect(Array.from(out.subarray(0, 5))).toEqual([-0.5, 0, 0.5, 1, -0.5]);
  });

  it('TQ2_0: a zero trit times a negative scale is −0, as in C', () => {
    const qs = new Array(64).fill(0b01100001); // codes 1, 0, 2, 1 → 0, −1, +1, 0 before scaling
    const out = decode('TQ2_0', [...qs, ...HALF[-1]]);
    expect(Object.is(out[0], -0)).toBe(true);
    expect(out[32]).toBe(1);
    expect(out[64]).toBe(-1);
    expect(Object.is(out[96], -0)).toBe(true);
  });

  it('MXFP4: doubled E2M1 codebook times 2^(e−128)', () => {
    const qs = Array.from({ length: 16 }, (_, j) => j | (j << 4));
    const out = decode('MXFP4', [129, ...qs]); // e = 129: scale 2 for the doubled values
    // E2M1 code 8 is −0, but ggml's integer codebook holds it as 0, so it decodes to +0.
    const e2m1 = [0, 0.5, 1, 1.5, 2, 3, 4, 6, 0, -0.5, -1, -1.5, -2, -3, -4, -6];
    expect(Array.from(out.subarray(0, 16))).toEqual(e2m1.map((v) => v * 4));
    expect(Array.from(out.subarray(16))).toEqual(e2m1.map((v) => v * 4));
  });
});

describe('dequantizeBlocks bounds', () => {
  const q8 = id('Q8_0');
  const block = new Uint8Array(34 * 3);

  it('decodes at offsets inside larger buffers', () => {
    const src = new Uint8Array(34 * 2 + 5);
    src.set([...HALF[1], 3], 5 + 34); // second block: d = 1, first value 3
    const out = new Float32Array(70).fill(9);
    dequantizeBlocks(q8, src, 5 + 34, 1, out, 3);
    expect(Array.from(out.subarray(0, 5))).toEqual([9, 9, 9, 3, 0]);
    expect(out[34]).toBe(0);
    expect(out[35]).toBe(9);
  });

  it('refuses to read past the source or write past the output, touching nothing', () => {
    const out = new Float32Array(96).fill(7);
    expect(() => dequantizeBlocks(q8, block, 1, 3, out, 0)).toThrow(/run past the end of a 102-byte buffer/);
    expect(() => dequantizeBlocks(q8, block, 0, 4, out, 0)).toThrow(RangeError);
    expect(() => dequantizeBlocks(q8, block, 0, 3, out, 1)).toThrow(/do not fit an output of 96 values/);
    expect(() => dequantizeBlocks(q8, block, 0, 3, new Float32Array(95), 0)).toThrow(RangeError);
    expect(out.every((v) => v === 7)).toBe(true);
  });

  it('refuses negative, fractional and unknown arguments', () => {
    const out = new Float32Array(96);
    expect(() => dequantizeBlocks(q8, block, -34, 1, out, 0)).toThrow(/srcOffset -34/);
    expect(() => dequantizeBlocks(q8, block, 0, 1.5, out, 0)).toThrow(/blockCount 1.5/);
    expect(() => dequantizeBlocks(q8, block, 0, 1, out, -1)).toThrow(/outOffset -1/);
    expect(() => dequantizeBlocks(4, block, 0, 1, out, 0)).toThrow(/Unknown ggml type id 4/);
  });

  it('decodes zero blocks as a no-op, even at the end of the buffer', () => {
    const out = new Float32Array(0);
    dequantizeBlocks(q8, block, block.length, 0, out, 0);
    expect(out.length).toBe(0);
  });

  it('has a decoder for every known type', () => {
    expect([2, 3, 9, 12, 15, 16, 29, 34, 39, 40, 41, 42, 0, 1, 27, 28, 30].every(canDequantize)).toBe(true);
    expect(canDequantize(4)).toBe(false);
    expect(canDequantize(1.5)).toBe(false);
  });
});
