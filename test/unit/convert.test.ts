import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConvertResult } from '../../src/core/convert';
import { openModel } from '../../src/model/openModel';
import { findTies } from '../../src/model/ties';
import { bundleCli, runCli } from './cliProcess';
import { FIXTURES } from './fixtureFiles';
import { CASE_BUILDERS } from './hostileCases';
import { safetensorsBytes } from './builders';

/**
 * `paramscope convert` on torch-made fixtures, checked by test/fixtures/check_safetensors.py (its
 * own parser of the format) against what torch says must be written (expected_convert.json, made
 * by make_convert_fixtures.py: torch's bytes after `.contiguous()`/`.to()`, hashed; the tie
 * metadata save_model records) and, where /usr/bin/python3 has torch, against torch.load itself.
 */

const PYTHON = '/usr/bin/python3';
const CHECKER = join(FIXTURES, 'check_safetensors.py');
const hasPython = spawnSync(PYTHON, ['-c', 'import hashlib, json'], { encoding: 'utf8' }).status === 0;
const hasTorch = hasPython && spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;

interface Case {
  name: string;
  file: string;
  args: string[];
  select: string | null;
  keys?: string[];
  error?: string;
  expected?: { tensors: Array<{ name: string }>; aliases: Record<string, string> };
}
interface Checked {
  out: string;
  names: string[];
  metadata: Record<string, string>;
  shards: number;
  mismatches: string[];
}

const cases = (JSON.parse(readFileSync(join(FIXTURES, 'convert/expected_convert.json'), 'utf8')) as { cases: Case[] }).cases;
const root = mkdtempSync(join(tmpdir(), 'paramscope-convert-'));
let cli = '';
const converted = new Map<string, { result: ConvertResult; out: string; dir: string }>();

function check(jobs: object[]): Checked[] {
  const file = join(mkdtempSync(join(tmpdir(), 'paramscope-check-')), 'jobs.json');
  writeFileSync(file, JSON.stringify(jobs));
  const r = spawnSync(PYTHON, [CHECKER, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`check_safetensors.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Checked[];
}

const noStackTrace = (s: string): void => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

beforeAll(async () => {
  cli = await bundleCli();
  cases.forEach((c, i) => {
    if (c.error !== undefined) return;
    const dir = join(root, String(i));
    mkdirSync(dir);
    const out = join(dir, 'model.safetensors');
    const r = runCli(cli, 'convert', join(FIXTURES, c.file), out, ...c.args, '--json');
    if (r.code !== 0) throw new Error(`${c.name}: exit ${r.code}: ${r.stderr}`);
    converted.set(c.name, { result: JSON.parse(r.stdout) as ConvertResult, out, dir });
  });
}, 120_000);

/** The file the checker reads: the output, or the shards' index. */
const checkedFile = (c: { result: ConvertResult; out: string }): string => c.result.files.find((f) => f.endsWith('.index.json')) ?? c.out;

describe.skipIf(!hasPython)('paramscope convert, checked against torch', () => {
  const ok = cases.filter((c) => c.error === undefined);

  it('writes exactly what torch holds: names, dtypes, shapes, bytes (views in logical order, casts as .to()), tie metadata', () => {
    const results = check(ok.map((c) => ({ out: checkedFile(converted.get(c.name)!), expected: c.expected })));
    results.forEach((r, i) => expect({ case: ok[i]!.name, mismatches: r.mismatches }).toEqual({ case: ok[i]!.name, mismatches: [] }));
  });

  it.skipIf(!hasTorch)('agrees with torch.load of the source itself', () => {
    const results = check(ok.map((c) => ({ out: checkedFile(converted.get(c.name)!), source: join(FIXTURES, c.file), select: c.select, dtype: c.args.includes('--dtype') ? c.args[c.args.indexOf('--dtype') + 1] : null })));
    results.forEach((r, i) => expect({ case: ok[i]!.name, mismatches: r.mismatches }).toEqual({ case: ok[i]!.name, mismatches: [] }));
  }, 60_000);

  it('names the tensors as torch keys them: written names plus tied names in __metadata__ are the state_dict keys', () => {
    const results = check(ok.map((c) => ({ out: checkedFile(converted.get(c.name)!), expected: c.expected })));
    results.forEach((r, i) => {
      const c = ok[i]!;
      const ties = Object.keys(r.metadata).filter((k) => !['format', 'source_file', 'converted_by'].includes(k));
      expect({ case: c.name, keys: [...r.names, ...ties].sort() }).toEqual({ case: c.name, keys: [...c.keys!].sort() });
      expect(converted.get(c.name)!.result.aliases).toBe(ties.length);
      expect(converted.get(c.name)!.result.tensors).toBe(r.names.length);
      expect(r.metadata.source_file).toBe(c.file.split('/').pop());
      expect(r.metadata.converted_by).toMatch(/^paramscope \d+\.\d+\.\d+$/);
    });
  });

  it('shards as the Hub does: model-0000i-of-0000n.safetensors and model.safetensors.index.json, read back by ParamScope', async () => {
    const c = converted.get('sharded')!;
    const files = readdirSync(c.dir).sort();
    expect(files.at(-1)).toBe('model.safetensors.index.json');
    const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    expect(shards.length).toBeGreaterThan(1);
    expect(shards[0]).toBe(`model-00001-of-${String(shards.length).padStart(5, '0')}.safetensors`);
    expect(files).toEqual([...shards, 'model.safetensors.index.json']);
    const index = await openModel(join(c.dir, 'model.safetensors.index.json'));
    const want = cases.find((x) => x.name === 'sharded')!.keys!;
    expect(index.tensors.map((t) => t.name)).toEqual(want);
  });

  it('a sharded safetensors input (its index) is converted to one file, equal to torch\'s state_dict', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paramscope-sharded-in-'));
    const out = join(dir, 'rgnet.safetensors');
    const r = runCli(cli, 'convert', join(FIXTURES, 'models/sharded/model.safetensors.index.json'), out);
    expect(r.code).toBe(0);
    const [res] = check([{ out, expected: cases.find((x) => x.name === 'sharded')!.expected }]);
    expect(res!.mismatches).toEqual([]);
  });

  for (const name of ['shared module', 'tied LM module', 'tied LM state_dict']) {
    it(`ParamScope reads the output's ties back with metadata evidence (${name})`, async () => {
      const c = cases.find((x) => x.name === name)!;
      const index = await openModel(converted.get(name)!.out);
      const report = await findTies(index, { content: false });
      const metadataGroups = report.groups.filter((g) => g.evidence === 'metadata').map((g) => [...g.names].sort());
      const want = Object.entries(c.expected!.aliases).map(([removed, kept]) => [removed, kept].sort());
      expect(metadataGroups.sort()).toEqual(want.sort());
      expect(want.length).toBeGreaterThan(0);
    });
  }

  it('prints one line a person reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paramscope-convert-text-'));
    const r = runCli(cli, 'convert', join(FIXTURES, 'convert/tied_lm.pt'), join(dir, 'lm.safetensors'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${join(dir, 'lm.safetensors')}: 3 tensors, 1 tie kept in metadata, 800 bytes (from module)\n`);
  });
});

describe('paramscope convert refuses and leaves nothing behind', () => {
  const refuse = (args: string[], message: RegExp | string, dir = mkdtempSync(join(tmpdir(), 'paramscope-refuse-')), code = 1): void => {
    const before = readdirSync(dir);
    const r = runCli(cli, 'convert', ...args.map((a) => a.replace('$DIR', dir)));
    expect(r.code).toBe(code);
    noStackTrace(r.stderr);
    const line = r.stderr.split('\n')[0]!;
    if (typeof message === 'string') expect(line).toBe(`paramscope: ${message.replace('$DIR', dir)}`);
    else expect(line).toMatch(message);
    expect(readdirSync(dir)).toEqual(before);
  };

  for (const c of cases.filter((x) => x.error !== undefined)) {
    it(c.name, () => refuse([join(FIXTURES, c.file), '$DIR/out.safetensors', ...c.args], c.error!));
  }

  it('the input as output (also through another path), never overwritten', () => {
    const file = join(FIXTURES, 'models/net.safetensors');
    const before = readFileSync(file);
    refuse([file, join(FIXTURES, 'models/../models/net.safetensors'), '--force'], /is the input \(or one of its files\); it is never overwritten/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('a shard of a sharded input as output', () => {
    const dir = join(FIXTURES, 'models/sharded');
    refuse([join(dir, 'model.safetensors.index.json'), join(dir, 'model.safetensors'), '--max-shard-size', '300', '--force'], /is the input \(or one of its files\)/, dir);
  });

  it('an existing output without --force; with --force it is replaced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paramscope-force-'));
    writeFileSync(join(dir, 'out.safetensors'), 'old');
    refuse([join(FIXTURES, 'models/net.pt'), '$DIR/out.safetensors'], `$DIR/out.safetensors exists; use --force to replace it`, dir);
    expect(readFileSync(join(dir, 'out.safetensors'), 'utf8')).toBe('old');
    const r = runCli(cli, 'convert', join(FIXTURES, 'models/net.pt'), join(dir, 'out.safetensors'), '--force');
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['out.safetensors']);
    expect(readFileSync(join(dir, 'out.safetensors')).length).toBeGreaterThan(196);
  });

  it('truncated and broken files', () => {
    refuse([join(FIXTURES, 'models/broken/net.truncated.pt'), '$DIR/out.safetensors'], /no end-of-central-directory record/);
    refuse([join(FIXTURES, 'models/broken/net.truncated.safetensors'), '$DIR/out.safetensors'], /the file is truncated/);
  });

  it('hostile pickles: nothing runs; refused ones leave no file', () => {
    const rows = (JSON.parse(readFileSync(join(FIXTURES, '..', 'cases.json'), 'utf8')) as { cases: Array<{ file?: string; error?: string; warning?: string }> }).cases.filter((r) => r.file);
    for (const row of rows) {
      const dir = mkdtempSync(join(tmpdir(), 'paramscope-hostile-'));
      const r = runCli(cli, 'convert', join(FIXTURES, '..', row.file!), join(dir, 'out.safetensors'));
      noStackTrace(r.stderr);
      if (row.error !== undefined) {
        expect({ file: row.file, code: r.code }).toEqual({ file: row.file, code: 1 });
        expect(r.stderr).toMatch(new RegExp(row.error));
      }
      // What the reader refused or skipped is said on stderr, as `inspect` says it.
      if (row.warning !== undefined && r.code === 0) expect(r.stderr).toMatch(new RegExp(`warning: .*${row.warning}`));
      expect(readdirSync(dir)).toEqual(r.code === 0 ? ['out.safetensors'] : []);
    }
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('paramscope_pwned'))).toEqual([]);
  }, 60_000);

  it('built hostile and malformed inputs (the builder rows of cases.json): refused ones leave no file', () => {
    const rows = (JSON.parse(readFileSync(join(FIXTURES, '..', 'cases.json'), 'utf8')) as { cases: Array<{ build?: string; error?: string }> }).cases.filter((r) => r.build && r.error !== undefined);
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      const builder = CASE_BUILDERS[row.build!]!;
      const src = join(mkdtempSync(join(tmpdir(), 'paramscope-built-')), builder.name);
      writeFileSync(src, builder.bytes());
      const dir = mkdtempSync(join(tmpdir(), 'paramscope-built-out-'));
      const r = runCli(cli, 'convert', src, join(dir, 'out.safetensors'));
      noStackTrace(r.stderr);
      expect({ build: row.build, code: r.code, files: readdirSync(dir) }).toEqual({ build: row.build, code: 1, files: [] });
      expect(r.stderr).toMatch(new RegExp(row.error!));
    }
  }, 60_000);

  it('Ctrl-C during a conversion removes the temporary file', async () => {
    // 192 MiB of float32 cast to float16: long enough to be interrupted mid-way.
    const elements = 48 * 1024 * 1024;
    const src = join(mkdtempSync(join(tmpdir(), 'paramscope-sigint-src-')), 'big.safetensors');
    writeFileSync(src, safetensorsBytes({ w: { dtype: 'F32', shape: [elements], data_offsets: [0, elements * 4] } }, new Uint8Array(elements * 4)));
    const dir = mkdtempSync(join(tmpdir(), 'paramscope-sigint-'));
    const child = spawn(process.execPath, [cli, 'convert', src, join(dir, 'out.safetensors'), '--dtype', 'float16'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let sawTemp = false;
    for (let i = 0; i < 400 && !sawTemp; i++) {
      sawTemp = readdirSync(dir).some((f) => f.endsWith('.paramscope-tmp'));
      if (!sawTemp) await new Promise((r) => setTimeout(r, 10));
    }
    expect(sawTemp).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toBe('paramscope: interrupted; nothing was written\n');
    expect(readdirSync(dir)).toEqual([]);
  }, 30_000);

  it('bad options are usage errors (exit 2)', () => {
    refuse([join(FIXTURES, 'models/net.pt'), '$DIR/out.safetensors', '--dtype', 'float8'], "--dtype expects one of float16, bfloat16, float32, got 'float8'", undefined, 2);
    refuse([join(FIXTURES, 'models/net.pt'), '$DIR/out.safetensors', '--max-shard-size', '5 lightyears'], /--max-shard-size expects a size/, undefined, 2);
    refuse([join(FIXTURES, 'models/net.pt'), '$DIR/missing/out.safetensors'], /no such folder/);
    refuse([join(FIXTURES, 'models/net.pt'), '$DIR', '--force'], '$DIR is a folder; name the output file');
  });
});
