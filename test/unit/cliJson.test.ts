// The CLI's streamed JSON (writeJson, JsonList) writes exactly what Node's JSON.stringify writes.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeJson } from '../../src/cliJson';
import { JsonList } from '../../src/core/jsonList';
import { openModel } from '../../src/model/openModel';
import { summaryJson, summaryJsonStreamed } from '../../src/model/summaryExport';
import { FIXTURES, expected } from './fixtureFiles';

function written(value: unknown, indent = 1): { text: string; writes: number } {
  let text = '';
  let writes = 0;
  writeJson(value, indent, (s) => {
    text += s;
    writes++;
  });
  return { text, writes };
}

describe('writeJson', () => {
  it('writes what JSON.stringify(value, null, 1) writes', () => {
    const values: unknown[] = [
      null,
      0,
      -0,
      1e21,
      NaN,
      'a "quoted" \u2028 name\n',
      [],
      {},
      [[], {}, [1, [2, [3]]]],
      { a: undefined, b: [undefined, () => 1, null], c: { d: { e: [] } }, 'weird key"': true },
      { date: new Date(0), nested: { toJSON: () => 'x' } },
      Array.from({ length: 5000 }, (_, i) => ({ name: `layers.${i}.weight`, shape: [i, 3], ok: i % 2 === 0 })),
    ];
    for (const v of values) expect(written(v).text).toBe(JSON.stringify(v, null, 1));
    for (const v of values) expect(written(v, 0).text).toBe(JSON.stringify(v));
    for (const v of values) expect(written(v, 3).text).toBe(JSON.stringify(v, null, 3));
  });

  it('writes a JsonList item by item, in pieces, as JSON.stringify writes its array', () => {
    let made = 0;
    const list = new JsonList(
      Array.from({ length: 20000 }, (_, i) => i),
      (i) => (made++, { i, name: `t${i}`, none: undefined }),
    );
    const { text, writes } = written({ parameters: list, empty: new JsonList([], (x) => x) });
    expect(made).toBe(20000);
    expect(writes).toBeGreaterThan(5);
    expect(text).toBe(JSON.stringify({ parameters: list, empty: [] }, null, 1));
    expect(written({ parameters: list }, 0).text).toBe(JSON.stringify({ parameters: list }));
  });

  it('re-indents plain values inside lists and lists inside plain values, newlines in strings left escaped', () => {
    const inner = new JsonList([1, 2], (i) => ({ s: `line\n${i}`, deep: { a: [i, { b: 'x\ny' }], toJ: new Date(i) } }));
    const doc = { top: [{ rows: inner, n: 1 }, new JsonList(['a'], (x) => [x, { list: new JsonList([x], (y) => ({ y })) }])], plain: { a: ['\n'] } };
    expect(written(doc).text).toBe(JSON.stringify(doc, null, 1));
    expect(written(doc, 0).text).toBe(JSON.stringify(doc));
    expect(written(doc, 2).text).toBe(JSON.stringify(doc, null, 2));
    expect(written(doc).text.split('\n').every((l) => /^ *\S/.test(l))).toBe(true);
  });

  it("streams every fixture's inspect --json document unchanged", async () => {
    for (const rel of Object.keys(expected.files).slice(0, 25)) {
      const index = await openModel(join(FIXTURES, rel));
      expect(written(summaryJsonStreamed(index)).text, rel).toBe(JSON.stringify(summaryJson(index), null, 1));
      expect(written(summaryJsonStreamed(index), 0).text, rel).toBe(JSON.stringify(summaryJson(index)));
    }
  });
});
