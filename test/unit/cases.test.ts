import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { checkFile, unexpectedError } from '../fuzz/oracle';
import { CASE_BUILDERS } from './hostileCases';
import { tempFile } from './tempFiles';

interface Case {
  file?: string;
  build?: string;
  what: string;
  error?: string;
  warning?: string;
  opens?: boolean;
}

/** Not a speed target (the fuzzer and bench measure those): a hang guard well above the 1 s promise. */
const HANG_GUARD_MS = 5000;

const TEST_ROOT = join(__dirname, '..');
const table = JSON.parse(readFileSync(join(TEST_ROOT, 'cases.json'), 'utf8')) as { cases: Case[] };

function pathOf(c: Case): string {
  if (c.file) return join(TEST_ROOT, c.file);
  const b = CASE_BUILDERS[c.build!];
  if (!b) throw new Error(`test/cases.json names an unknown builder ${c.build}`);
  return tempFile(`case-${c.build}-${b.name}`, b.bytes());
}

describe('test/cases.json: every hostile or broken input ends in its expected error or warning', () => {
  it('each row says what must happen', () => {
    for (const c of table.cases) expect([c.error, c.warning, c.opens].filter((x) => x !== undefined), JSON.stringify(c)).toHaveLength(1);
  });
  for (const c of table.cases) {
    it(`${c.file ?? c.build}: ${c.what}`, async () => {
      const path = pathOf(c);
      const result = await openModel(path).then(
        (index) => ({ index }),
        (error: unknown) => ({ error }),
      );
      if (c.error !== undefined) {
        expect('error' in result, 'the file opened but should be refused').toBe(true);
        const e = (result as { error: unknown }).error;
        expect(unexpectedError(e)).toBeUndefined();
        expect((e as Error).message).toMatch(new RegExp(c.error));
        return;
      }
      if ('error' in result) throw result.error;
      if (c.warning !== undefined) expect(result.index.warnings.join('\n')).toMatch(new RegExp(c.warning));
      // What opens must also hold up: tensors inside the file and their zip records, exact counts, statistics.
      const check = await checkFile(path, async (f) => readFileSync(f));
      expect(check.problems).toEqual([]);
    }, HANG_GUARD_MS);
  }
});
