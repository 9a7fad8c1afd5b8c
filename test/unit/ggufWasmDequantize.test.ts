import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockDType } from '../../src/core/dtypes';
import type { ByteSource } from '../../src/runtime/byteSource';
import { elementView, type InPlaceBlockDecoder } from '../../src/runtime/dequantizedView';
import { dequantizeBlocksOf } from '../../src/runtime/ggml/dequantize';
import { useKernelBinary, wasmDequantKernelsOn, type WasmDequantKernels } from '../../src/runtime/wasmKernels';
import { expectedBytes, firstBitMismatch, readManifest, tensorBytes } from './ggufQuantFixtures';
import { seededRandom } from './runtimeTestHelpers';
import { assembleKernels } from './wasmKernelBinary';

/**
 * The SIMD dequantization kernels of kernels.wat (Q4_K, Q8_0) against the scalar TypeScript
 * reference kernels of src/runtime/ggml, bit for bit: on ggml's fixtures, on random blocks with
 * every kind of fp16 scale (NaN with payloads, ±inf, subnormals, ±0), and decoding in place from
 * the tail of the output buffer as the statistics path does.
 */

const TYPES: Array<{ dtype: BlockDType; bytes: number; values: number; scales: number[] }> = [
  { dtype: 'Q4_K', bytes: 144, values: 256, scales: [0, 2] },
  { dtype: 'Q8_0', bytes: 34, values: 32, scales: [0] },
];

/** fp16 patterns a scale can hold: NaNs (quiet, signalling, payloads, negative), ±inf, subnormals, ±0, normals. */
const SPECIAL_HALVES = [0x7e00, 0x7c01, 0x7d55, 0xfe00, 0xfc01, 0x7fff, 0x7c00, 0xfc00, 0x0001, 0x03ff, 0x8001, 0x83ff, 0x0000, 0x8000, 0x3c00, 0xbc00, 0x7bff, 0xfbff, 0x0400, 0x2e66];

const PAGE = 65536;
let memory: WebAssembly.Memory;
let wasm: WasmDequantKernels;

beforeAll(async () => {
  useKernelBinary(await assembleKernels());
  memory = new WebAssembly.Memory({ initial: 64 });
  const k = await wasmDequantKernelsOn(memory);
  if (!k) throw new Error('the WASM kernels did not load');
  wasm = k;
});

afterAll(() => {
  useKernelBinary(undefined);
});

const OUT = 4 * PAGE; // output (and in-place) region: far from the kernels' scratch bytes

function run(dtype: BlockDType, ptr: number, blocks: number, out: number): void {
  if (dtype === 'Q4_K') wasm.q4kToF32(ptr, blocks, out);
  else wasm.q80ToF32(ptr, blocks, out);
}

/** WASM output of `raw`, decoded from a separate region. */
function wasmSeparate(dtype: BlockDType, raw: Uint8Array, values: number): Float32Array {
  const src = 40 * PAGE;
  new Uint8Array(memory.buffer).set(raw, src);
  new Uint8Array(memory.buffer, OUT, values * 4).fill(0xa5);
  run(dtype, src, raw.length / TYPES.find((t) => t.dtype === dtype)!.bytes, OUT);
  return new Float32Array(memory.buffer, OUT, values).slice();
}

/** WASM output of `raw` read into the tail of the output region and decoded in place. */
function wasmInPlace(dtype: BlockDType, raw: Uint8Array, values: number): Float32Array {
  const rawAt = OUT + values * 4 - raw.length;
  new Uint8Array(memory.buffer, OUT, values * 4).fill(0x5a);
  new Uint8Array(memory.buffer).set(raw, rawAt);
  run(dtype, rawAt, raw.length / TYPES.find((t) => t.dtype === dtype)!.bytes, OUT);
  return new Float32Array(memory.buffer, OUT, values).slice();
}

function reference(dtype: BlockDType, raw: Uint8Array, blocks: number, values: number): Float32Array {
  const out = new Float32Array(values);
  dequantizeBlocksOf(dtype, raw, 0, blocks, out, 0);
  return out;
}

describe('WASM Q4_K / Q8_0 dequantization is the TypeScript reference, bit for bit', () => {
  const manifest = readManifest();
  for (const type of TYPES) {
    it(`${type.dtype}: ggml's fixture blocks (and ggml's to_float)`, () => {
      const fixture = manifest.types.find((t) => t.label === type.dtype)!;
      const expected = expectedBytes(fixture);
      tensorBytes(fixture).forEach((raw, i) => {
        const blocks = raw.length / type.bytes;
        const values = blocks * type.values;
        const want = new Float32Array(expected[i]!.buffer, expected[i]!.byteOffset, values);
        expect(firstBitMismatch(reference(type.dtype, raw, blocks, values), want)).toBeUndefined();
        expect(firstBitMismatch(wasmSeparate(type.dtype, raw, values), want)).toBeUndefined();
        expect(firstBitMismatch(wasmInPlace(type.dtype, raw, values), want)).toBeUndefined();
      });
    });

    it(`${type.dtype}: random blocks with NaN, infinite, subnormal and zero fp16 scales`, () => {
      const rand = seededRandom(type.bytes);
      const blocks = 2000;
      const raw = new Uint8Array(blocks * type.bytes);
      for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(rand() * 256);
      for (let b = 0; b < blocks; b++) {
        for (const s of type.scales) {
          // Half the blocks get a special scale (d, dmin or both), the others random bits.
          if (rand() < 0.5) {
            const h = SPECIAL_HALVES[Math.floor(rand() * SPECIAL_HALVES.length)]!;
            raw[b * type.bytes + s] = h & 0xff;
            raw[b * type.bytes + s + 1] = h >> 8;
          }
        }
      }
      // Every special scale in every position at least once.
      SPECIAL_HALVES.forEach((h, i) => {
        for (const s of type.scales) {
          raw[i * type.bytes + s] = h & 0xff;
          raw[i * type.bytes + s + 1] = h >> 8;
        }
      });
      const values = blocks * type.values;
      const want = reference(type.dtype, raw, blocks, values);
      const bits = new Uint32Array(want.buffer);
      expect(bits.some((b) => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0)).toBe(true); // NaNs are there
      expect(bits.some((b) => (b & 0x7fffffff) === 0x7f800000)).toBe(true); // and infinities
      // (A subnormal fp16 scale gives normal float32 values: fp16's smallest is 2^-24.)
      expect(firstBitMismatch(wasmSeparate(type.dtype, raw, values), want)).toBeUndefined();
      expect(firstBitMismatch(wasmInPlace(type.dtype, raw, values), want)).toBeUndefined();
    });
  }
});

/** A ByteSource over bytes, with `readInto` like a file's. */
function memorySource(bytes: Uint8Array): ByteSource & { readInto(target: Uint8Array, offset: number): Promise<void> } {
  return {
    size: bytes.length,
    name: 'memory',
    read: async (offset, length) => bytes.slice(offset, offset + length),
    readInto: async (target, offset) => target.set(bytes.subarray(offset, offset + target.length)),
    slice: () => {
      throw new Error('not needed');
    },
  } as ByteSource & { readInto(target: Uint8Array, offset: number): Promise<void> };
}

describe('the dequantized view decodes whole-block reads in place', () => {
  for (const type of TYPES) {
    it(`${type.dtype}: readInto with the WASM decoder, with the scalar kernels, and read() agree`, async () => {
      const rand = seededRandom(7 + type.bytes);
      const blocks = 96;
      const pad = 48; // storage does not start at byte 0 of the source
      const file = new Uint8Array(pad + blocks * type.bytes);
      for (let i = 0; i < file.length; i++) file[i] = Math.floor(rand() * 256);
      const raw = file.subarray(pad);
      const values = blocks * type.values;
      const tensor = {
        dtype: type.dtype,
        shape: [values],
        location: { file: 'memory', storageOffset: pad, storageBytes: raw.length, storageKey: 't', elementOffset: 0, strides: [1], byteOrder: 'little' as const },
      };
      const want = reference(type.dtype, raw, blocks, values);
      let calls = 0;
      const decoder: InPlaceBlockDecoder = (d, target, rawAt, n) => {
        if (target.buffer !== memory.buffer) return false;
        calls++;
        run(d, target.byteOffset + rawAt, n, target.byteOffset);
        return true;
      };
      const wasmView = elementView(memorySource(file), tensor, decoder).src as ByteSource & { readInto(t: Uint8Array, o: number): Promise<void> };
      const tsView = elementView(memorySource(file), tensor).src as ByteSource & { readInto(t: Uint8Array, o: number): Promise<void> };
      // Whole blocks: a middle range, decoded in WASM memory.
      const firstBlock = 5;
      const n = 40;
      const target = new Uint8Array(memory.buffer, OUT, n * type.values * 4);
      await wasmView.readInto(target, firstBlock * type.values * 4);
      expect(calls).toBe(1);
      const slice = want.subarray(firstBlock * type.values, (firstBlock + n) * type.values);
      expect(firstBitMismatch(new Float32Array(memory.buffer, OUT, n * type.values), slice)).toBeUndefined();
      // The scalar kernels in place, in ordinary memory.
      const plain = new Uint8Array(values * 4);
      await tsView.readInto(plain, 0);
      expect(firstBitMismatch(new Float32Array(plain.buffer), want)).toBeUndefined();
      // A read that does not start on a block: the general path.
      const odd = new Uint8Array(12 * 4);
      await wasmView.readInto(odd, 3 * 4);
      expect(firstBitMismatch(new Float32Array(odd.buffer), want.subarray(3, 15))).toBeUndefined();
      expect(calls).toBe(1);
      expect(firstBitMismatch(new Float32Array((await wasmView.read(8, 400)).slice().buffer), want.subarray(2, 102))).toBeUndefined();
    });
  }
});
