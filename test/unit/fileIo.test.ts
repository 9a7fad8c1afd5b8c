import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/formatReader';
import { openModel } from '../../src/model/openModel';
import { findTies } from '../../src/model/ties';
import { FileByteSource, FileChangedError, NotRegularFileError, withFileSource } from '../../src/runtime/byteSource';
import { computeTensorStats } from '../../src/runtime/stats';
import { safetensorsBytes } from './builders';
import { FIXTURES, expected } from './fixtureFiles';

/** Far above what a refusal takes (a few ms) and far below "blocks forever": the hang guard. */
const HANG_GUARD_MS = 3000;

const fresh = (): string => mkdtempSync(join(tmpdir(), 'paramscope-fileio-'));
const mkfifo = (path: string): string => {
  execFileSync('mkfifo', [path]);
  return path;
};

/** Rejects with what `p` rejects with, or fails the test if it takes longer than the guard. */
async function settlesQuickly<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('still blocked after the hang guard')), HANG_GUARD_MS)));
  try {
    const value = await Promise.race([p, guard]);
    return { value, ms: performance.now() - t0 };
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

describe('files that are not regular files (FIFO, folder, device) are refused at once, never opened for reading', () => {
  it('a FIFO named like a model: FormatError saying it is a named pipe', async () => {
    const fifo = mkfifo(join(fresh(), 'net.pt'));
    const r = await settlesQuickly(openModel(fifo));
    expect(r.error).toBeInstanceOf(FormatError);
    expect((r.error as Error).message).toBe(`${fifo} is a named pipe (FIFO), not a regular file`);
  });

  it('a folder named like a model, and a character device', async () => {
    const dir = join(fresh(), 'net.safetensors');
    mkdirSync(dir);
    const r = await settlesQuickly(openModel(dir));
    expect((r.error as Error).message).toBe(`${dir} is a folder, not a regular file`);
    const dev = await settlesQuickly(FileByteSource.open('/dev/zero'));
    expect(dev.error).toBeInstanceOf(NotRegularFileError);
    expect((dev.error as Error).message).toBe('/dev/zero is a device, not a regular file');
  });

  it('a shard that is a FIFO costs only its own tensors, with a warning naming it', async () => {
    const dir = fresh();
    cpSync(join(FIXTURES, 'models/sharded'), dir, { recursive: true });
    rmSync(join(dir, 'model-00002-of-00002.safetensors'));
    mkfifo(join(dir, 'model-00002-of-00002.safetensors'));
    const r = await settlesQuickly(openModel(join(dir, 'model.safetensors.index.json')));
    expect(r.error).toBeUndefined();
    const index = r.value!;
    const weightMap = Object.entries(JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')).weight_map as Record<string, string>);
    const shard2 = new Set(weightMap.filter(([, f]) => f === 'model-00002-of-00002.safetensors').map(([n]) => n));
    expect(shard2.size).toBeGreaterThan(1);
    expect(index.tensors.map((t) => t.name)).toEqual(weightMap.map(([n]) => n).filter((n) => !shard2.has(n)));
    expect(index.warnings[0]).toMatch(new RegExp(`^shard model-00002-of-00002\\.safetensors cannot be read \\(${join(dir, 'model-00002-of-00002.safetensors').replace(/[.]/g, '\\.')} is a named pipe \\(FIFO\\), not a regular file\\); ${shard2.size} tensors of weight_map missing`));
  });

  it('a config.json that is a FIFO is skipped (no config ties), not read', async () => {
    const dir = fresh();
    const header = { 'model.embed_tokens.weight': { dtype: 'F32', shape: [4, 2], data_offsets: [0, 32] } };
    writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes(header, new Uint8Array(32)));
    mkfifo(join(dir, 'config.json'));
    const r = await settlesQuickly(findTies(await openModel(join(dir, 'model.safetensors'))));
    expect(r.error).toBeUndefined();
    expect(r.value!.groups).toEqual([]);
  });
});

describe('symlinks never lead a sharded model or its config.json out of its folder', () => {
  /** A copy of the torch-made sharded rgnet whose second shard is a symlink to `target`. */
  function withLinkedShard(target: (outside: string) => string): { dir: string; outside: string } {
    const root = fresh();
    const dir = join(root, 'model');
    const outside = join(root, 'elsewhere');
    mkdirSync(outside);
    cpSync(join(FIXTURES, 'models/sharded'), dir, { recursive: true });
    const shard = join(dir, 'model-00002-of-00002.safetensors');
    cpSync(shard, join(outside, 'model-00002-of-00002.safetensors'));
    rmSync(shard);
    symlinkSync(target(outside), shard);
    return { dir, outside };
  }

  it('a shard symlinked to a file outside the folder is refused by name; the other shard is listed', async () => {
    const { dir, outside } = withLinkedShard((o) => join(o, 'model-00002-of-00002.safetensors'));
    const index = await openModel(join(dir, 'model.safetensors.index.json'));
    expect(index.tensors.length).toBeGreaterThan(0);
    expect(index.tensors.every((t) => t.location.file === join(dir, 'model-00001-of-00002.safetensors'))).toBe(true);
    expect(index.warnings[0]).toContain(`shard model-00002-of-00002.safetensors cannot be read (model-00002-of-00002.safetensors resolves to ${join(outside, 'model-00002-of-00002.safetensors')}, outside the model's folder ${dir})`);
  });

  it('a shard inside a symlinked subfolder that points outside is refused too', async () => {
    const root = fresh();
    const dir = join(root, 'model');
    const outside = join(root, 'elsewhere');
    cpSync(join(FIXTURES, 'models/sharded'), dir, { recursive: true });
    mkdirSync(outside);
    cpSync(join(dir, 'model-00002-of-00002.safetensors'), join(outside, 'model-00002-of-00002.safetensors'));
    symlinkSync(outside, join(dir, 'sub'));
    const indexPath = join(dir, 'model.safetensors.index.json');
    const ix = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
    for (const [k, v] of Object.entries(ix.weight_map)) if (v === 'model-00002-of-00002.safetensors') ix.weight_map[k] = 'sub/model-00002-of-00002.safetensors';
    writeFileSync(indexPath, JSON.stringify(ix));
    const index = await openModel(indexPath);
    expect(index.warnings[0]).toContain(`shard sub/model-00002-of-00002.safetensors cannot be read (sub/model-00002-of-00002.safetensors resolves to ${join(outside, 'model-00002-of-00002.safetensors')}, outside the model's folder ${dir})`);
  });

  it('a symlink that stays inside the folder is followed, and a model reached through a symlinked folder opens whole', async () => {
    const { dir } = withLinkedShard(() => 'renamed.safetensors');
    cpSync(join(FIXTURES, 'models/sharded/model-00002-of-00002.safetensors'), join(dir, 'renamed.safetensors'));
    const all = expected.files['models/sharded/model.safetensors.index.json']!.tensors.map((t) => t.name);
    expect((await openModel(join(dir, 'model.safetensors.index.json'))).tensors.map((t) => t.name)).toEqual(all);
    const link = join(fresh(), 'linked');
    symlinkSync(dir, link);
    const viaLink = await openModel(join(link, 'model.safetensors.index.json'));
    expect(viaLink.warnings).toEqual([]);
    expect(viaLink.tensors.map((t) => t.name)).toEqual(all);
  });

  it('config.json symlinked outside the folder is not read', async () => {
    const root = fresh();
    const dir = join(root, 'model');
    mkdirSync(dir);
    const header = { 'model.embed_tokens.weight': { dtype: 'F32', shape: [4, 2], data_offsets: [0, 32] } };
    writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes(header, new Uint8Array(32)));
    writeFileSync(join(root, 'config.json'), JSON.stringify({ tie_word_embeddings: true }));
    symlinkSync(join(root, 'config.json'), join(dir, 'config.json'));
    expect((await findTies(await openModel(join(dir, 'model.safetensors')))).groups).toEqual([]);
    // The same config as a plain file in the folder is read: the refusal is the symlink's.
    rmSync(join(dir, 'config.json'));
    cpSync(join(root, 'config.json'), join(dir, 'config.json'));
    expect((await findTies(await openModel(join(dir, 'model.safetensors')))).groups).toEqual([{ names: ['model.embed_tokens.weight', 'lm_head.weight'], evidence: 'metadata', bytes: 32 }]);
  });
});

describe('a file rewritten while a computation reads it', () => {
  const header = { w: { dtype: 'F64', shape: [4096], data_offsets: [0, 32768] } };

  it('withFileSource throws FileChangedError when the file is rewritten in place mid-read', async () => {
    const path = join(fresh(), 'w.safetensors');
    writeFileSync(path, safetensorsBytes(header, new Uint8Array(32768)));
    const index = await openModel(path);
    const t = index.tensors[0]!;
    const r = withFileSource(path, async (src) => {
      const stats = await computeTensorStats(src, t);
      // Another program rewrites the file (same size, new bytes) before the computation ends.
      writeFileSync(path, safetensorsBytes(header, new Uint8Array(32768).fill(0x3f)));
      return stats;
    });
    await expect(r).rejects.toBeInstanceOf(FileChangedError);
    await expect(r).rejects.toThrow(`${path}: the file changed while it was read`);
  });

  it('a file truncated mid-read reports the change, not a read past the end', async () => {
    const path = join(fresh(), 'w.safetensors');
    writeFileSync(path, safetensorsBytes(header, new Uint8Array(32768)));
    const t = (await openModel(path)).tensors[0]!;
    const r = withFileSource(path, async (src) => {
      writeFileSync(path, new Uint8Array(100));
      return computeTensorStats(src, t);
    });
    await expect(r).rejects.toBeInstanceOf(FileChangedError);
  });

  it('an unchanged file gives its result', async () => {
    const path = join(fresh(), 'w.safetensors');
    writeFileSync(path, safetensorsBytes(header, new Uint8Array(32768)));
    const t = (await openModel(path)).tensors[0]!;
    const stats = await withFileSource(path, (src) => computeTensorStats(src, t));
    // numpy.zeros(4096): all zeros, std 0.
    expect(stats).toMatchObject({ count: 4096, zeros: 4096, min: 0, max: 0, mean: 0, std: 0 });
  });
});

describe('paramscope stats exit code', () => {
  let cli = '';
  beforeAll(async () => {
    cli = join(fresh(), 'cli.js');
    await build({ entryPoints: [join(__dirname, '../../src/cli.ts')], outfile: cli, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  });

  it('exits 1 with one line per failure and no stack trace when every requested tensor failed', () => {
    const path = join(fresh(), 'c.safetensors');
    // Complex tensors have no statistics: both fail.
    writeFileSync(path, safetensorsBytes({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] }, b: { dtype: 'C64', shape: [1], data_offsets: [8, 16] } }, new Uint8Array(16)));
    const r = spawnSync(process.execPath, [cli, 'stats', path], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^warning: a: /);
    expect(lines[1]).toMatch(/^warning: b: /);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('exits 0 when some tensor has statistics', () => {
    const path = join(fresh(), 'm.safetensors');
    writeFileSync(path, safetensorsBytes({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, new Uint8Array(16)));
    const r = spawnSync(process.execPath, [cli, 'stats', path], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
