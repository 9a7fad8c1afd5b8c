// The inputs mutants start from: the small torch-, safetensors-, gguf-py-, ggml- and NumPy-made fixtures of
// every format.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Seed } from './mutate';

/** Seeds above this size would make each mutant slow without reaching new code. */
const MAX_SEED_BYTES = 64 * 1024;

/**
 * GGUF files of test/fixtures/gguf/types/ used as seeds: one per block family (legacy, k-quant,
 * i-quant, ternary, fp4) and the plain 16-bit types. All 34 would make every eighth mutant a type file.
 */
const GGUF_TYPE_SEEDS = new Set(['F16.gguf', 'BF16.gguf', 'Q4_0.gguf', 'Q8_0.gguf', 'Q4_K.gguf', 'Q6_K.gguf', 'IQ2_XXS.gguf', 'IQ4_NL.gguf', 'TQ1_0.gguf', 'MXFP4.gguf']);
/** NumPy's .npy fixtures used as seeds: each header version, Fortran order, big-endian, 0-d, float16 (not every dtype file). */
const NPY_SEEDS = new Set(['linear.v1.npy', 'linear.v3.npy', 'fortran.npy', 'bigendian_f4.npy', 'scalar.npy', 'dtype_f2.npy']);
/** gguf-split's names: the first part opens the model and reads its siblings. */
const GGUF_SPLIT = /-(\d{5})-of-\d{5}\.gguf$/;

function formatOf(name: string): string | undefined {
  if (name.endsWith('.safetensors.index.json')) return 'safetensors-sharded';
  if (name.endsWith('.safetensors')) return 'safetensors';
  if (/\.legacy\.pt$/.test(name)) return 'pytorch-legacy';
  if (/\.(pt|pth|bin|ckpt)$/.test(name)) return 'pytorch-zip';
  if (GGUF_SPLIT.test(name)) return 'gguf-split';
  if (name.endsWith('.gguf')) return 'gguf';
  if (name.endsWith('.npz')) return 'npz';
  if (name.endsWith('.npy')) return 'npy';
  if (name.endsWith('.keras')) return 'keras';
  if (/\.(h5|hdf5)$/.test(name)) return 'keras-h5';
  if (name.endsWith('.onnx')) return 'onnx';
  return undefined;
}

/** Every fixture model under `root` (sorted, so seed numbers mean the same on every machine). */
export function loadSeeds(root: string): Seed[] {
  const seeds: Seed[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const format = formatOf(name);
      if (!format || statSync(path).size > MAX_SEED_BYTES) continue;
      // The malformed GGUF files are mutants already; of the type files, a few.
      if (format === 'npy' && !NPY_SEEDS.has(name)) continue;
      if (format === 'gguf' && (dir.endsWith(`${sep}bad`) || (dir.endsWith(`${sep}types`) && !GGUF_TYPE_SEEDS.has(name)))) continue;
      // The broken Keras files are mutants already.
      if (format.startsWith('keras') && dir.endsWith(`${sep}bad`)) continue;
      // The malformed ONNX files are mutants already; a model with external data brings its data files.
      if (format === 'onnx' && dir.endsWith(`${sep}bad`)) continue;
      if (format === 'onnx' && readdirSync(dir).some((n) => n.endsWith('.data'))) {
        const files: Record<string, Uint8Array> = { [name]: readFileSync(path) };
        for (const data of readdirSync(dir).filter((n) => n.endsWith('.data'))) files[data] = readFileSync(join(dir, data));
        seeds.push({ id: relative(root, path), format, main: name, files });
        continue;
      }
      if (format === 'gguf-split') {
        if (GGUF_SPLIT.exec(name)![1] !== '00001') continue;
        const files: Record<string, Uint8Array> = {};
        for (const part of readdirSync(dir).filter((n) => GGUF_SPLIT.test(n)).sort()) files[part] = readFileSync(join(dir, part));
        seeds.push({ id: relative(root, path), format, main: name, files });
        continue;
      }
      if (format === 'safetensors-sharded') {
        const files: Record<string, Uint8Array> = { [name]: readFileSync(path) };
        for (const shard of readdirSync(dir).filter((n) => n.endsWith('.safetensors'))) files[shard] = readFileSync(join(dir, shard));
        seeds.push({ id: relative(root, path), format, main: name, files });
      } else if (!(dir.endsWith('sharded') && format === 'safetensors')) {
        seeds.push({ id: relative(root, path), format, main: name, files: { [name]: readFileSync(path) } });
      }
    }
  };
  walk(root);
  return seeds;
}
