// NumPy's .npy and .npz files as NumPy wrote them (test/fixtures/numpy/make_numpy_fixtures.py):
// the index (names as np.load gives them, dtypes, shapes, access paths) and the values and
// statistics the runtime reads, against what NumPy computed from the same arrays.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { readValues } from '../../src/runtime/readValues';
import { computeTensorStats } from '../../src/runtime/stats';
import { tensorFingerprint } from '../../src/runtime/tensorFingerprint';
import { FIXTURES } from './fixtureFiles';

const DIR = join(FIXTURES, 'numpy');

interface ExpectedArray {
  dtype?: string;
  shape?: number[];
  fortran?: boolean;
  values?: Array<number | string | [number, number]>;
  first?: number[];
  stats?: { count: number; min: number | null; max: number | null; mean: number | null; std: number | null; zeros: number; nan: number; l2: number };
  refused?: string;
}
interface ExpectedFile {
  format: 'npy' | 'npz';
  version?: string;
  arrays: Record<string, ExpectedArray>;
  methods?: Record<string, number>;
  /** np.load's `files` order. */
  order?: string[];
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { numpy: string; files: Record<string, ExpectedFile> };

/** NumPy's `dtype.str` as our dtype names. */
const NUMPY_DTYPES: Record<string, string> = {
  '|b1': 'bool',
  '|i1': 'int8',
  '|u1': 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  c8: 'complex64',
  c16: 'complex128',
};
const ourDType = (s: string): string => NUMPY_DTYPES[s] ?? NUMPY_DTYPES[s.slice(1)]!;

/** NumPy's value as JSON holds it (non-finite ones as "inf", "-inf", "nan"). */
const fromJson = (v: number | string | [number, number]): number => (typeof v === 'number' ? v : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : NaN);

const close = (got: number | null, want: number | null, what: string, scale = 0): void => {
  if (want === null) return void expect(got, what).toBeNull();
  expect(got, what).not.toBeNull();
  expect(Math.abs(got! - want), `${what}: ${got} vs NumPy's ${want}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)) + 1e-14 * scale);
};

describe('NumPy files as NumPy wrote them', () => {
  for (const [file, want] of Object.entries(expected.files)) {
    it(`${file}: index, values and statistics are NumPy's`, async () => {
      const path = join(DIR, file);
      const index = await openModel(path);
      expect(index.format).toBe(want.format);
      const src = await FileByteSource.open(path);
      try {
        const shown = Object.entries(want.arrays).filter(([, a]) => !a.refused);
        const order = want.order ?? Object.keys(want.arrays);
        expect(index.tensors.map((t) => t.name)).toEqual(want.format === 'npy' ? [index.rootName] : order.filter((k) => !want.arrays[k]!.refused));
        for (const [key, a] of shown) {
          const t = index.tensors.find((x) => x.name === (want.format === 'npy' ? index.rootName : key))!;
          expect(t.dtype, key).toBe(ourDType(a.dtype!));
          expect(t.shape, key).toEqual(a.shape);
          expect(t.path, key).toBe(want.format === 'npy' ? index.rootName : `${index.rootName}['${key}']`);
          expect(t.details?.order, key).toBe(a.fortran ? 'F' : 'C');
          if (t.dtype.startsWith('complex')) {
            expect(a.values!.length).toBe(t.count);
            continue;
          }
          const got = await readValues(src, t, { count: Math.min(t.count, 64) });
          if (a.values) expect([...got], key).toEqual(a.values.map(fromJson));
          if (a.first) expect([...got.slice(0, 16)], key).toEqual(a.first);
          if (a.stats) {
            const s = await computeTensorStats(src, t);
            // Float64 statistics of int64 extremes (±2^63) are exact only to their ulp (2048).
            const scale = Math.max(Math.abs(a.stats.min ?? 0), Math.abs(a.stats.max ?? 0));
            expect(s.count, key).toBe(a.stats.count);
            expect(s.zeros, key).toBe(a.stats.zeros);
            expect(s.nan, key).toBe(a.stats.nan);
            close(s.min, a.stats.min, `${key} min`);
            close(s.max, a.stats.max, `${key} max`);
            close(s.mean, a.stats.mean, `${key} mean`, scale);
            close(s.std, a.stats.std, `${key} std`, scale);
          }
        }
        const refused = Object.entries(want.arrays).filter(([, a]) => a.refused === 'object');
        for (const [key] of refused) expect(index.warnings.join('\n')).toContain(`'${key}' is left out: the array holds Python objects`);
        if (!refused.length) expect(index.warnings).toEqual([]);
        for (const [key] of Object.entries(want.arrays).filter(([, a]) => a.refused === 'not-npy')) expect(index.notes.join('\n')).toContain(key);
      } finally {
        await src.close();
      }
    });
  }

  it('a deflated member is read in order, out of order and in two passes alike', async () => {
    const path = join(DIR, 'compressed.npz');
    const index = await openModel(path);
    const grid = index.tensors.find((t) => t.name === 'grid')!;
    expect(grid.location.encoding?.kind).toBe('deflate');
    expect(expected.files['compressed.npz']!.methods!['grid.npy']).toBe(8);
    const src = await FileByteSource.open(path);
    try {
      const all = await readValues(src, grid, { count: grid.count });
      expect([...all.slice(0, 16)]).toEqual(expected.files['compressed.npz']!.arrays.grid!.first);
      // Behind the decoder (a restart), then ahead of it, then a window across many inflate chunks.
      const late = await readValues(src, grid, { start: 300_000, count: 5 });
      const early = await readValues(src, grid, { start: 3, count: 5 });
      const wide = await readValues(src, grid, { start: 60_000, count: 200_000 });
      expect([...late]).toEqual([...all.slice(300_000, 300_005)]);
      expect([...early]).toEqual([...all.slice(3, 8)]);
      expect([...wide]).toEqual([...all.slice(60_000, 260_000)]);
      const fp = await tensorFingerprint(src, grid);
      expect(fp).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await src.close();
    }
  });

  it('a stored .npz and its compressed twin hold the same arrays (content ties across encodings)', async () => {
    const state = await openModel(join(DIR, 'state.npz'));
    const w = state.tensors.find((t) => t.name === 'decoder.weight')!;
    // Fortran order: column-major strides, values still in logical (row-major) order.
    expect(w.location.strides).toEqual([1, 16]);
    expect(state.modules.children.map((c) => c.name)).toEqual(['encoder', 'decoder']);
    expect(state.totalParameters).toBe(32 * 16 + 32 + 8 * 32 + 16 * 8 + 5);
  });
});
