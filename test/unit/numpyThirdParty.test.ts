// NumPy files other projects made (test/fixtures/numpy/third_party, copied from NumPy's and
// SciPy's packages): what opens matches NumPy's reading of it; object and string arrays are named
// and left out, never unpickled.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { readValues } from '../../src/runtime/readValues';
import { computeTensorStats } from '../../src/runtime/stats';
import { FIXTURES } from './fixtureFiles';

const DIR = join(FIXTURES, 'numpy', 'third_party');
interface Want {
  refused?: string;
  arrays?: Record<string, { refused?: string; dtype?: string; shape?: number[]; sum?: number; min?: number | null; max?: number | null; first?: number[] }>;
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { files: Record<string, Want> };

describe('third-party NumPy files', () => {
  for (const [file, want] of Object.entries(expected.files)) {
    it(file, async () => {
      const path = join(DIR, file);
      if (want.refused) {
        // np.load refuses it without allow_pickle; we refuse it by name.
        await expect(openModel(path)).rejects.toThrow(/Python objects/);
        return;
      }
      const index = await openModel(path);
      const src = await FileByteSource.open(path);
      try {
        for (const [key, a] of Object.entries(want.arrays!)) {
          if (a.refused) {
            expect(index.warnings.join('\n')).toContain(`'${key}' is left out`);
            continue;
          }
          const t = index.tensors.find((x) => (key === '' ? x.name === index.rootName : x.name === key))!;
          expect(t.shape, key).toEqual(a.shape);
          expect([...(await readValues(src, t, { count: Math.min(8, t.count) }))], key).toEqual(a.first);
          const s = await computeTensorStats(src, t);
          expect(s.min, key).toBe(a.min);
          expect(s.max, key).toBe(a.max);
          expect(Math.abs(s.mean! * s.count - a.sum!), key).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a.sum!)));
        }
      } finally {
        await src.close();
      }
    });
  }
});
