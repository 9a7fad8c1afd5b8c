import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Loads the SIMD kernels (wasm/kernels.wat, assembled by `npm run build` into dist/kernels.wasm
 * next to the bundles) once per thread. Without the binary, or where WebAssembly SIMD is missing,
 * callers fall back to the TypeScript twins, which give identical results more slowly.
 */

/** File name of the assembled kernels, beside the bundle that loads them. */
export const KERNELS_WASM = 'kernels.wasm';

export interface WasmKernelExports {
  module: WebAssembly.Module;
}

let loading: Promise<WasmKernelExports | undefined> | undefined;
let override: Uint8Array | null | undefined;

/**
 * Uses `bytes` as the kernels binary from now on in this thread (tests assemble the .wat
 * themselves); `null` disables WASM, `undefined` goes back to looking beside the bundle.
 */
export function useKernelBinary(bytes: Uint8Array | null | undefined): void {
  override = bytes;
  loading = undefined;
}

async function load(): Promise<WasmKernelExports | undefined> {
  if (override === null || process.env.PARAMSCOPE_KERNELS === 'ts') return undefined;
  let bytes: Uint8Array;
  if (override) bytes = override;
  else {
    try {
      bytes = await readFile(join(__dirname, KERNELS_WASM));
    } catch {
      return undefined; // running from source, or a bundle shipped without it
    }
  }
  try {
    return { module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>) };
  } catch {
    return undefined; // no SIMD in this engine
  }
}

/** The compiled kernels, or undefined when they cannot be had here. */
export function loadWasmKernels(): Promise<WasmKernelExports | undefined> {
  loading ??= load();
  return loading;
}

/** The ggml dequantization kernels of kernels.wat, on one memory (byte addresses in it). */
export interface WasmDequantKernels {
  /** `blocks` Q4_K blocks at `src` to float32 at `out`; `out` may overlap `src` as kernels.wat says. */
  q4kToF32(src: number, blocks: number, out: number): void;
  /** Same for Q8_0. */
  q80ToF32(src: number, blocks: number, out: number): void;
}

const dequantOn = new WeakMap<WebAssembly.Memory, WasmDequantKernels>();

/**
 * The dequantization kernels on `memory` (a kernel arena's), instantiated once per memory; undefined
 * where the WASM kernels are not available. A second instance beside the arena's own: the module
 * keeps no state in memory outside the caller's buffers (and its scratch bytes, see kernels.wat).
 */
export async function wasmDequantKernelsOn(memory: WebAssembly.Memory): Promise<WasmDequantKernels | undefined> {
  const known = dequantOn.get(memory);
  if (known) return known;
  const exports = await loadWasmKernels();
  if (!exports) return undefined;
  const instance = new WebAssembly.Instance(exports.module, { env: { memory } }).exports as unknown as { q4_k_to_f32(p: number, n: number, o: number): void; q8_0_to_f32(p: number, n: number, o: number): void };
  const kernels: WasmDequantKernels = { q4kToF32: instance.q4_k_to_f32, q80ToF32: instance.q8_0_to_f32 };
  dequantOn.set(memory, kernels);
  return kernels;
}
