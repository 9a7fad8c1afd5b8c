// The inputs mutants start from: the small torch- and safetensors-made fixtures of every format.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Seed } from './mutate';

/** Seeds above this size would make each mutant slow without reaching new code. */
const MAX_SEED_BYTES = 64 * 1024;

function formatOf(name: string): string | undefined {
  if (name.endsWith('.safetensors.index.json')) return 'safetensors-sharded';
  if (name.endsWith('.safetensors')) return 'safetensors';
  if (/\.legacy\.pt$/.test(name)) return 'pytorch-legacy';
  if (/\.(pt|pth|bin|ckpt)$/.test(name)) return 'pytorch-zip';
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
