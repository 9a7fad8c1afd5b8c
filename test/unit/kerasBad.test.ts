// Broken and hostile Keras files: the ones of test/fixtures/keras/bad (real files with a few bytes
// changed, by make_keras_fixtures.py) end in their clear error or per-tensor warning within a
// second, what opens passes the fuzzer's oracle, and seeded mutants of every fixture never crash
// or hang the reader (only FormatError refusals), nor the runtime reading what they say.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, type ReaderContext } from '../../src/formats/formatReader';
import { kerasReader } from '../../src/formats/keras/kerasReader';
import { openModel } from '../../src/model/openModel';
import { MemoryByteSource } from '../../src/runtime/byteSource';
import { readValues } from '../../src/runtime/readValues';
import { checkFile, unexpectedError } from '../fuzz/oracle';
import { FIXTURES } from './fixtureFiles';

const DIR = join(FIXTURES, 'keras');
/** The promise for every bad input (docs/security.md): an answer within a second. */
const PROMISE_MS = 1000;
/** Mutants per fixture: enough to reach every structure of these small files, a few seconds in all. */
const MUTANTS = 120;

const BAD: Record<string, { error?: RegExp; warning?: RegExp }> = {
  'absurd_dims.h5': { warning: /'dense\/kernel' .*left out: its dimensions \[1125899906842624,1125899906842624\] are too large/ },
  'past_end.h5': { warning: /'dense\/bias' .*left out: its 16 bytes at 1073741824 lie past the end of the file/ },
  'bad_json.keras': { error: /config\.json is not valid JSON/ },
  'bad_model_config.h5': { error: /model_config is not valid JSON/ },
  'missing_config.keras': { error: /the archive has no config\.json/ },
  'lying_zip.keras': { error: /model\.weights\.h5 lies past the end of the file/ },
  'truncated.h5': { error: /not a readable HDF5 file: .*past the end of the file \(3000 bytes\)/ },
  'not_keras.h5': { error: /an HDF5 file without a Keras layout/ },
};

const ctx: ReaderContext = { openSibling: () => Promise.reject(new Error('no siblings')) };

/** A small deterministic generator (mulberry32), so every run tries the same mutants. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x40];

function mutant(bytes: Uint8Array, rnd: () => number): Uint8Array {
  const out = new Uint8Array(bytes);
  const at = (): number => Math.floor(rnd() * out.length);
  const kind = Math.floor(rnd() * 4);
  if (kind === 0) for (let i = 0; i < 1 + rnd() * 8; i++) out[at()]! ^= 1 << Math.floor(rnd() * 8);
  else if (kind === 1) for (let i = 0; i < 1 + rnd() * 4; i++) out.fill(INTERESTING[Math.floor(rnd() * INTERESTING.length)]!, at(), at() + 1 + Math.floor(rnd() * 8));
  else if (kind === 2) return out.subarray(0, at());
  else {
    const start = at();
    const end = Math.min(out.length, start + 1 + Math.floor(rnd() * 256));
    return new Uint8Array([...out.subarray(0, start), ...out.subarray(end)]);
  }
  return out;
}

describe('bad Keras files', () => {
  for (const [file, want] of Object.entries(BAD)) {
    it(`${file} ends in ${want.error ? 'its error' : 'its warning'} within a second`, async () => {
      const t0 = performance.now();
      const result = await openModel(join(DIR, 'bad', file)).then(
        (index) => ({ index }),
        (error: unknown) => ({ error }),
      );
      expect(performance.now() - t0).toBeLessThan(PROMISE_MS);
      if (want.error) {
        expect('error' in result, 'the file opened but should be refused').toBe(true);
        const e = (result as { error: unknown }).error;
        expect(e).toBeInstanceOf(FormatError);
        expect((e as Error).message).toMatch(want.error);
        return;
      }
      if ('error' in result) throw result.error;
      expect(result.index.warnings.join('\n')).toMatch(want.warning!);
      // The other tensors are there.
      expect(result.index.tensors.length).toBe(7);
    });
  }

  it('every bad file is in the table', () => {
    expect(readdirSync(join(DIR, 'bad')).sort()).toEqual(Object.keys(BAD).sort());
  });

  it("what opens passes the fuzzer's oracle (locations inside the file, exact counts, statistics)", async () => {
    const files = [...readdirSync(DIR).filter((f) => /\.(keras|h5)$/.test(f)), ...Object.keys(BAD).filter((f) => BAD[f]!.warning).map((f) => join('bad', f))];
    for (const f of files) {
      const check = await checkFile(join(DIR, f), async (p) => readFileSync(p));
      expect(check.problems, f).toEqual([]);
      expect(check.outcome, f).toBe('opened');
    }
  });

  it('seeded mutants of every fixture: FormatError or an index, each within a second; their tensors read or refuse cleanly', async () => {
    const seeds = readdirSync(DIR).filter((f) => /\.(keras|h5)$/.test(f));
    let opened = 0;
    let refused = 0;
    for (const [s, file] of seeds.entries()) {
      const bytes = new Uint8Array(readFileSync(join(DIR, file)));
      const rnd = random(1000 + s);
      for (let i = 0; i < MUTANTS; i++) {
        const m = mutant(bytes, rnd);
        const src = new MemoryByteSource(m, `${file}#${i}`);
        const t0 = performance.now();
        try {
          const result = await kerasReader.open(src, ctx);
          opened++;
          for (const t of result.tensors) {
            const count = t.shape.reduce((a, b) => a * b, 1);
            await readValues(src, t, { count: Math.min(count, 64) }).catch((e: unknown) => {
              const bad = unexpectedError(e);
              if (bad) throw new Error(`${file} mutant ${i}, ${t.name}: ${bad}`);
            });
          }
        } catch (e) {
          if (!(e instanceof FormatError)) throw new Error(`${file} mutant ${i}: ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
          expect(unexpectedError(e), `${file} mutant ${i}`).toBeUndefined();
          refused++;
        }
        expect(performance.now() - t0, `${file} mutant ${i}`).toBeLessThan(PROMISE_MS);
      }
    }
    // Both outcomes are exercised: mutants of data bytes open, mutants of structure are refused.
    expect(opened).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 60_000);
});
