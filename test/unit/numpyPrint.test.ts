// `paramscope values` of a NumPy file prints the array as NumPy's repr does: every array of
// test/fixtures/numpy/print read through the reader and the runtime, formatted, and compared with
// the repr NumPy itself gave (make_numpy_fixtures.py writes print/expected_repr.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleCli, runCli } from './cliProcess';
import { openModel } from '../../src/model/openModel';
import { formatNumpyArray, NUMPY_PRINT_DEFAULTS } from '../../src/model/numpyPrint';
import { printPlan } from '../../src/model/torchPrint';
import { FileByteSource } from '../../src/runtime/byteSource';
import { complexAsPairs, readIndexed } from '../../src/runtime/tensorIndexing';
import { FIXTURES } from './fixtureFiles';

const DIR = join(FIXTURES, 'numpy', 'print');
const expected = JSON.parse(readFileSync(join(DIR, 'expected_repr.json'), 'utf8')) as { numpy: string; repr: Record<string, string> };

describe("NumPy's repr of arrays NumPy wrote", () => {
  for (const [name, repr] of Object.entries(expected.repr)) {
    it(name, async () => {
      const index = await openModel(join(DIR, `${name}.npy`));
      const t = index.tensors[0]!;
      const src = await FileByteSource.open(t.location.file);
      try {
        const plan = printPlan(t.shape, NUMPY_PRINT_DEFAULTS);
        // Complex arrays are read as (real, imaginary) pairs.
        const values = await readIndexed(src, complexAsPairs(t), t.dtype.startsWith('complex') ? [...plan.indices, [0, 1]] : plan.indices);
        expect(formatNumpyArray(t.dtype, t.shape, values)).toBe(repr);
      } finally {
        await src.close();
      }
    });
  }
});

describe('paramscope values of NumPy files', () => {
  let cli: string;
  beforeAll(async () => {
    cli = await bundleCli();
  }, 60_000);

  it("prints an .npy array and an .npz member as NumPy's repr, complex ones too", () => {
    for (const name of ['f32_summarized', 'c64', 'i64_wrap']) {
      const r = runCli(cli, 'values', join(DIR, `${name}.npy`), '--param', name);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${expected.repr[name]}\n`);
    }
    // The d2l book's np.savez example, by np.load's key.
    const r = runCli(cli, 'values', join(FIXTURES, 'numpy', 'mydict.npz'), '--param', "mydict['x']");
    expect(r.stdout).toBe('array([0, 1, 2, 3])\n');
  });
});
