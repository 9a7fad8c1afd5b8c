import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findParameter } from '../../src/cliValues';
import { openModel } from '../../src/model/openModel';
import { formatTorchTensor, printPlan, pyExponent, pyFixed } from '../../src/model/torchPrint';
import { FileByteSource } from '../../src/runtime/byteSource';
import { applySlice, readIndexed } from '../../src/runtime/tensorIndexing';
import { FIXTURES } from './fixtureFiles';
import { bundleCli, runCli } from './cliProcess';

/** What torch printed and listed for each case (test/fixtures/make_values_fixtures.py). */
interface ValuesCase {
  name: string;
  slice: string | null;
  shape: number[];
  str: string;
  values: unknown;
}
interface ExpressionCase extends Omit<ValuesCase, 'name'> {
  file: string;
  param: string;
  dtype: string;
}
const expected = JSON.parse(readFileSync(join(FIXTURES, 'values/expected_values.json'), 'utf8')) as { cases: ValuesCase[]; expressions: ExpressionCase[] };
const VALUES_PT = join(FIXTURES, 'values/values.pt');

async function printed(file: string, param: string, slice: string | null): Promise<string> {
  const index = await openModel(file);
  const t = findParameter(index, param);
  const ref = { dtype: t.dtype, shape: t.shape, location: t.location };
  const view = slice === null ? ref : applySlice(ref, slice);
  const src = await FileByteSource.open(file);
  try {
    const plan = printPlan(view.shape);
    return formatTorchTensor(view.dtype, view.shape, await readIndexed(src, view, plan.indices));
  } finally {
    await src.close();
  }
}

describe('values: a tensor as torch prints it', () => {
  it.each(expected.cases.map((c) => [`${c.name}${c.slice === null ? '' : `[${c.slice}]`}`, c] as const))('%s prints as str(t) does in torch', async (_, c) => {
    expect(await printed(VALUES_PT, c.name, c.slice)).toBe(c.str);
  });

  it.each(expected.expressions.map((c) => [`${c.param}${c.slice === null ? '' : `[${c.slice}]`}`, c] as const))('%s of the d2l models', async (_, c) => {
    expect(await printed(join(FIXTURES, c.file), c.param, c.slice)).toBe(c.str);
  });

  it('formats floats as Python does, ties to even on the exact binary value', () => {
    // 0.03125 and 0.15625 are exact halves at the fifth decimal; JS's toFixed rounds them up.
    expect([0.03125, 0.15625, -0.21875, 2.5, -0, 1e-7].map((x) => pyFixed(x, 4))).toEqual(['0.0312', '0.1562', '-0.2188', '2.5000', '-0.0000', '0.0000']);
    expect([1e-6, 123456789, -0.000123456, 9.99995e-5, 0].map((x) => pyExponent(x, 4))).toEqual(['1.0000e-06', '1.2346e+08', '-1.2346e-04', '9.9999e-05', '0.0000e+00']);
  });
});

let cli = '';
// The CLI as shipped: bundled by esbuild, run by node in its own process.
beforeAll(async () => {
  cli = await bundleCli();
});
const run = (...args: string[]): ReturnType<typeof runCli> => runCli(cli, ...args);

describe('paramscope values', () => {
  it('prints net[2].bias.data as torch does', () => {
    const r = run('values', join(FIXTURES, 'models/net.pt'), '--param', 'net[2].bias.data');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected.expressions[0]!.str}\n`);
  });

  it('--json gives the values in logical row-major order as tolist() does, whatever the strides', () => {
    const withValues = expected.cases.filter((c) => c.values !== null);
    for (const c of withValues) {
      const r = run('values', VALUES_PT, '--param', c.name, ...(c.slice === null ? [] : [`--slice=${c.slice}`]), '--json');
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { parameters: Array<{ name: string; shape: number[]; values: unknown }> };
      // JSON.stringify writes -0 as 0 (Python's json writes -0.0): the one value JSON here does not keep.
      expect(out.parameters[0], `${c.name}[${c.slice}]`).toMatchObject({ name: c.name, shape: c.shape, values: JSON.parse(JSON.stringify(c.values)) });
    }
  });

  it('--limit summarises sooner or later, as torch.set_printoptions(threshold=N) does', () => {
    const full = run('values', VALUES_PT, '--param', 'embedding', '--limit', '100000');
    expect(full.code).toBe(0);
    expect(full.stdout).not.toContain('...');
    expect(full.stdout.split('\n').length).toBeGreaterThan(300);
    expect(run('values', VALUES_PT, '--param', 'embedding').stdout).toBe(`${expected.cases.find((c) => c.name === 'embedding')!.str}\n`);
    // 4 × 6 has no dimension longer than 2 × 3 edge items: summarised, it still shows everything.
    expect(run('values', VALUES_PT, '--param', 'weight', '--limit', '10').stdout).toBe(`${expected.cases.find((c) => c.name === 'weight')!.str}\n`);
    expect(run('values', VALUES_PT, '--param', 'bias', '--limit', '4').stdout).toContain('...');
  });

  it('bad slices and too many values are usage errors in one line, without a stack trace', () => {
    for (const [args, message] of [
      [['--param', 'weight', '--slice', '9'], /index 9 is out of bounds for dimension 0 with size 4/],
      [['--param', 'weight', '--slice', '0,0,0'], /too many indices for tensor of dimension 2/],
      [['--param', 'weight', '--slice', '::-1'], /step must be greater than zero/],
      [['--param', 'weight', '--slice', 'a:b'], /not an integer/],
      [['--param', 'embedding', '--json', '--limit', '100'], /12,000 values, more than --limit 100/],
      [['--param', 'nope'], /no parameter 'nope'/],
      [[], /values needs --param/],
    ] as const) {
      const r = run('values', VALUES_PT, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    }
  });
});
