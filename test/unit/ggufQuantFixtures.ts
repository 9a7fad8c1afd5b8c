import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test-only access to the ggml-made per-type GGUF fixtures (test/fixtures/gguf/types, made by
 * gen/make_gguf_types.c with ggml's own quantizers and `to_float`). It reads tensor bytes through
 * the manifest's absolute file offsets, so the kernel tests do not depend on a GGUF reader.
 */

export const GGUF_TYPE_FIXTURES = join(__dirname, '..', 'fixtures', 'gguf', 'types');

export interface FixtureTensor {
  name: string;
  ne: number[];
  nelements: number;
  nbytes: number;
  /** Offset inside the GGUF data section. */
  offset: number;
  /** Absolute offset in the file. */
  fileOffset: number;
}

export interface FixtureType {
  label: string;
  name: string;
  id: number;
  blck_size: number;
  type_size: number;
  is_quantized: boolean;
  file: string;
  /** File of every tensor's expected values, in file order. */
  expected: string;
  /** Element type of `expected`: float32 from ggml's to_float, or a lossless copy for F64 / I*. */
  expectedType: 'f32' | 'f64' | 'i64';
  tensors: FixtureTensor[];
}

export interface FixtureManifest {
  ggmlCommit: string;
  qk_k: number;
  notCovered: Array<{ name: string; id: number; reason: string }>;
  types: FixtureType[];
}

export function readManifest(): FixtureManifest {
  return JSON.parse(readFileSync(join(GGUF_TYPE_FIXTURES, 'manifest.json'), 'utf8')) as FixtureManifest;
}

/** The stored bytes of every tensor of a fixture, in manifest order. */
export function tensorBytes(type: FixtureType): Uint8Array[] {
  const file = new Uint8Array(readFileSync(join(GGUF_TYPE_FIXTURES, type.file)));
  return type.tensors.map((t) => {
    if (t.fileOffset + t.nbytes > file.length) throw new Error(`${type.file}: tensor ${t.name} runs past the end of the file`);
    return file.subarray(t.fileOffset, t.fileOffset + t.nbytes);
  });
}

/** The raw expected file, split per tensor: `width` bytes per element. */
export function expectedBytes(type: FixtureType): Uint8Array[] {
  const raw = new Uint8Array(readFileSync(join(GGUF_TYPE_FIXTURES, type.expected)));
  const width = type.expectedType === 'f32' ? 4 : 8;
  const total = type.tensors.reduce((n, t) => n + t.nelements, 0);
  if (raw.length !== total * width) throw new Error(`${type.expected}: ${raw.length} bytes, expected ${total * width}`);
  let at = 0;
  return type.tensors.map((t) => {
    const part = raw.slice(at, at + t.nelements * width); // a copy: aligned for typed-array views
    at += t.nelements * width;
    return part;
  });
}

/**
 * Index and bit patterns of the first element where `actual` and `expected` differ as bit
 * patterns (so −0 ≠ +0 and NaN payloads count), or undefined when they are identical.
 */
export function firstBitMismatch(actual: Float32Array, expected: Float32Array): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} ≠ ${expected.length}`;
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;
      return `index ${i}: got ${hex(a[i])} (${actual[i]}), ggml ${hex(e[i])} (${expected[i]})`;
    }
  }
  return undefined;
}
