import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DiffJson } from '../../src/cliDiff';
import { expectMetricsLikeTorch, expectedPair } from './diffFixtures';
import { FIXTURES } from './fixtureFiles';

let cli = '';
beforeAll(async () => {
  // The CLI as shipped: bundled by esbuild with its worker beside it, run by node in its own process.
  const dir = mkdtempSync(join(tmpdir(), 'paramscope-diff-cli-'));
  cli = join(dir, 'cli.js');
  const opts = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' } as const;
  await Promise.all([
    build({ ...opts, entryPoints: [join(__dirname, '../../src/cli.ts')], outfile: cli }),
    build({ ...opts, entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: join(dir, 'tensorWorker.js') }),
  ]);
});

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const model = (rel: string): string => join(FIXTURES, 'models', rel);

describe('paramscope diff', () => {
  it('--json: every row, its status and torch’s metrics, and the counts', () => {
    const r = run('diff', model('diff/before.pt'), model('diff/after.safetensors'), '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as DiffJson;
    const p = expectedPair('diff/before.pt', 'diff/after.safetensors');
    expect(out.a).toMatchObject({ file: model('diff/before.pt'), format: 'pytorch-zip' });
    expect(out.b).toMatchObject({ file: model('diff/after.safetensors'), format: 'safetensors' });
    expect(out.summary).toEqual({ ...p.summary, failed: 0 });
    expect(out.tensors.map(({ metrics: _m, ...row }) => row)).toEqual(p.tensors.map(({ metrics: _m, ...row }) => row));
    for (const [i, row] of p.tensors.entries()) expectMetricsLikeTorch(out.tensors[i]!.metrics, row.metrics, row.name);
  });

  it('compares BatchNorm running statistics as torch’s state_dict lists them; --no-buffers leaves them out and says so', () => {
    const [a, b] = [model('diff/bn_before.pt'), model('diff/bn_after.state_dict.pt')];
    const p = expectedPair('diff/bn_before.pt', 'diff/bn_after.state_dict.pt');
    const out = JSON.parse(run('diff', a, b, '--json').stdout) as DiffJson;
    expect(out.buffers).toBe(true);
    expect(out.tensors.map((r) => r.name)).toEqual(p.tensors.map((r) => r.name));
    expect(out.tensors.map((r) => r.name)).toContain('1.running_mean');
    for (const [i, row] of p.tensors.entries()) expectMetricsLikeTorch(out.tensors[i]!.metrics, row.metrics, row.name);
    const without = run('diff', a, b, '--no-buffers');
    expect(without.code).toBe(0);
    expect(without.stdout).not.toContain('running_mean');
    expect(without.stdout).toContain('left out: 3 tensor(s) of a, 3 of b (optimizer state and buffers, --no-buffers)');
  });

  it('prints the counts and an aligned table', () => {
    const r = run('diff', model('diff/before.pt'), model('diff/after.safetensors'));
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('4 matched (1 identical, 3 changed) · 1 added · 1 removed · 1 reshaped · 1 dtype-changed');
    expect(lines.find((l) => l.startsWith('0.bias'))).toMatch(/^0\.bias\s+identical\s+\[64\]\s+float32\s+0\s+0\s+1$/);
    expect(lines.find((l) => l.startsWith('2.weight'))).toMatch(/dtype-changed, changed\s+\[32, 64\]\s+float32 → bfloat16\s+0\.01001\s/);
    expect(lines.find((l) => l.startsWith('4.weight'))).toMatch(/reshaped\s+\[10, 32\] → \[5, 32\]/);
    expect(lines.find((l) => l.startsWith('4.bias'))).toMatch(/removed\s+\[10\]/);
    expect(lines.find((l) => l.startsWith('5.weight'))).toMatch(/added\s+\[1\]/);
  });

  it('says which prefix it dropped and notes NaN/inf positions', () => {
    const dp = run('diff', model('diff/after.safetensors'), model('diff/after.dataparallel.pt'));
    expect(dp.stdout).toContain("names in b matched without their 'module.' prefix");
    expect(dp.stdout).toContain('6 matched (6 identical, 0 changed)');
    const nan = run('diff', model('diff/nan_a.safetensors'), model('diff/nan_b.safetensors'));
    expect(nan.stdout).toContain('mixed: 6 position(s) with NaN or ±inf left out of the sums (2 NaN on one side only, 2 differing infinities)');
  });

  it('warns about rows it cannot compare and still exits 0', () => {
    const r = run('diff', model('dtypes.pt'), model('dtypes.pt'), '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: complex64: complex64 values are not compared/m);
    const out = JSON.parse(r.stdout) as DiffJson;
    expect(out.summary.failed).toBe(1);
    expect(out.tensors.find((t) => t.name === 'complex64')).toMatchObject({ metrics: null, error: expect.stringMatching(/complex64/) });
  });

  it.each([
    ['one file', ['diff', model('net.pt')], 2, /diff expects two files/],
    ['three files', ['diff', model('net.pt'), model('net.pt'), model('net.pt')], 2, /diff expects two files/],
    ['--param', ['diff', model('net.pt'), model('net.pt'), '--param', '0.weight'], 2, /--param goes with stats/],
    ['a missing second file', ['diff', model('net.pt'), '/nonexistent.safetensors'], 1, /cannot open/],
    ['a truncated file', ['diff', model('broken/net.truncated.pt'), model('net.pt')], 1, /truncated/],
  ])('%s', (_what, args, code, message) => {
    const r = run(...(args as string[]));
    expect(r.code).toBe(code);
    expect(r.stderr.split('\n')[0]).toMatch(/^paramscope: /);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    if (code === 1) expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('lists diff in --help', () => {
    expect(run('--help').stdout).toMatch(/diff <a> <b> \[--json\]/);
  });
});
