import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, expected } from './fixtureFiles';
import { bundleCli, runCli } from './cliProcess';

let cli = '';
// The CLI as shipped: bundled by esbuild, run by node in its own process.
beforeAll(async () => {
  cli = await bundleCli();
});
const run = (...args: string[]): ReturnType<typeof runCli> => runCli(cli, ...args);

const noStackTrace = (s: string): void => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('paramscope inspect', () => {
  it('--json gives names, dtypes, shapes, paths, the module tree and the total torch reports', () => {
    const r = run('inspect', join(FIXTURES, 'models/rgnet.pt'), '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const exp = expected.files['models/rgnet.pt']!;
    expect(out.format).toBe('pytorch-zip');
    expect(out.parameters.map((p: { name: string; dtype: string; shape: number[]; path: string }) => [p.name, p.dtype, p.shape, p.path])).toEqual(
      exp.tensors.map((t) => [t.name, t.dtype, t.shape, t.path]),
    );
    expect(out.totalParameters).toBe(exp.totalParameters);
    expect(out.modules.name).toBe('');
    expect(out.modules.type).toBe('Sequential');
    expect(out.modules.children[0].children[1]).toMatchObject({ name: 'block 1', type: 'Sequential', path: 'rgnet[0][1]' });
    expect(out.modules.children[0].children[1].children[0].parameters).toEqual(['0.block 1.0.weight', '0.block 1.0.bias']);
    expect(out.warnings).toEqual([]);
  });

  it('prints the tree like print(rgnet), with shapes and counts', () => {
    const r = run('inspect', join(FIXTURES, 'models/rgnet.pt'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(block 1): Sequential(');
    expect(r.stdout).toContain('      (0): Linear(  # 40 params');
    expect(r.stdout).toContain('        bias: float32[8] = 8');
    expect(r.stdout).toContain('309 parameters');
  });

  it('writes warnings to stderr and the JSON, and names the refused global', () => {
    const r = run('inspect', join(FIXTURES, 'hostile/os_system.pt'), '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: refused posix.system');
    expect(JSON.parse(r.stdout).warnings.join('\n')).toContain('refused posix.system');
  });

  it('lists the intact tensors of a safetensors file cut inside its data, warns, and exits 0', () => {
    const r = run('inspect', join(FIXTURES, 'models/broken/net.truncated90.safetensors'), '--json');
    expect(r.code).toBe(0);
    const warning = 'file is cut short: 146 of 196 data bytes present; 3 tensors missing: 0.bias, 2.weight, 2.bias';
    expect(r.stderr).toBe(`warning: ${warning}\n`);
    const out = JSON.parse(r.stdout);
    expect(out.parameters.map((p: { name: string; path: string }) => [p.name, p.path])).toEqual([['0.weight', 'net[0].weight']]);
    expect(out.totalParameters).toBe(32);
    expect(out.warnings).toEqual([warning]);
  });
});

describe('paramscope stats', () => {
  it('--json gives torch-equal statistics for the asked parameter', () => {
    const r = run('stats', join(FIXTURES, 'models/net.pt'), '--param', '0.weight', '--param', 'net[2].bias', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.parameters.map((p: { name: string }) => p.name)).toEqual(['0.weight', '2.bias']);
    const torch = expected.files['models/net.pt']!.tensors.find((t) => t.name === '0.weight')!.stats!;
    const ours = out.parameters[0];
    expect({ count: ours.count, zeros: ours.zeros, nan: ours.nan, inf: ours.inf }).toEqual({ count: torch.count, zeros: torch.zeros, nan: torch.nan, inf: torch.inf });
    for (const k of ['min', 'max', 'mean', 'std', 'l2'] as const) expect(Math.abs(ours[k] - torch[k]!) / Math.abs(torch[k]!)).toBeLessThan(1e-6);
    expect(ours.histogram.counts).toEqual(torch.histogram!.counts);
  });

  it('reports complex tensors as having no statistics, and exits 1 when that was every tensor asked for', () => {
    const r = run('stats', join(FIXTURES, 'models/dtypes.pt'), '--param', 'complex64', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).parameters[0].error).toMatch(/complex64/);
    expect(r.stderr).toMatch(/warning: complex64/);
  });
});

describe('exit codes and messages', () => {
  it.each([
    ['a truncated zip', ['inspect', join(FIXTURES, 'models/broken/net.truncated.pt')], 1, /truncated/],
    ['a truncated safetensors header', ['stats', join(FIXTURES, 'models/broken/net.truncated.safetensors')], 1, /the file is truncated: its JSON header needs bytes 8 to 296, but the file has only 295 bytes/],
    ['a missing file', ['inspect', '/nonexistent.pt'], 1, /cannot open/],
    ['an unknown verb', ['frobnicate', 'x.pt'], 2, /unknown command/],
    ['no file', ['inspect'], 2, /expected a command and one file/],
    ['an unknown option', ['inspect', 'x.pt', '--wat'], 2, /Unknown option/],
    ['an unknown parameter', ['stats', join(FIXTURES, 'models/net.pt'), '--param', 'nope'], 2, /no parameter 'nope'/],
  ])('%s', (_what, args, code, message) => {
    const r = run(...(args as string[]));
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr.split('\n')[0]).toMatch(/^paramscope: /);
    noStackTrace(r.stderr);
  });
});

describe('paramscope ties', () => {
  it('--json lists the seed tied layer with its evidence', () => {
    const r = run('ties', join(FIXTURES, 'models/shared.pt'), '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.groups).toContainEqual({ names: ['2.weight', '4.weight'], evidence: 'storage', bytes: 256 });
    expect(out.groups).toContainEqual({ names: ['2', '4'], evidence: 'module', bytes: 288 });
  });
  it('--no-content skips hashing', () => {
    const r = run('ties', join(FIXTURES, 'models/shared.safetensors'), '--no-content', '--json');
    expect(JSON.parse(r.stdout).groups).toEqual([]);
  });
});

describe('paramscope init', () => {
  it('--json names the seed init schemes with fit and runner-up', () => {
    const r = run('init', join(FIXTURES, 'models/net_myinit.state_dict.pt'), '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const w = out.parameters.find((p: { name: string }) => p.name === '0.weight');
    expect(w.scheme).toBe('masked_uniform');
    expect(w.fit.ks).toBeGreaterThan(0);
    expect(w.alternatives.length).toBeGreaterThan(0);
  });
});

describe('paramscope init on a model torchvision built', () => {
  it('names torchvision’s conv init with its parameters, the laws it cannot tell apart, and a runner-up with parameters', () => {
    // mobilenet_v2 initialises convs with kaiming_normal_(mode='fan_out') (torchvision's source).
    const r = run('init', join(FIXTURES, 'init/mobilenet_v2_w025.pt'));
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const conv = lines.findIndex((l) => l.startsWith('features.0.0.weight'));
    expect(lines[conv]).toMatch(/^features\.0\.0\.weight\s+kaiming_normal\(mode=fan_out, nonlinearity=relu, std=[\d.]+\)\s+KS /);
    expect(lines[conv]).toMatch(/runner-up \w+\(mode=|runner-up \w+\(gain=/);
    expect(lines[conv + 1]).toMatch(/^ {4}equivalent: kaiming_normal\(fan_out, relu\) [≈≡] /);
    expect(r.stdout).not.toContain('unknown()');
  });
});
