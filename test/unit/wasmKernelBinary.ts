import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import initWabt from 'wabt';

/** Assembles src/runtime/wasm/kernels.wat the way scripts/build.mjs does, for tests run from source. */
export async function assembleKernels(): Promise<Uint8Array> {
  const wabt = await initWabt();
  const mod = wabt.parseWat('kernels.wat', readFileSync(join(__dirname, '../../src/runtime/wasm/kernels.wat'), 'utf8'), { simd: true });
  try {
    mod.validate();
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}
