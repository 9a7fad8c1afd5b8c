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
