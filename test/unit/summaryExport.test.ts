import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelIndex } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { formatSummary, sig6, summaryCsv, summaryJson, summaryMarkdown } from '../../src/model/summaryExport';
import type { StatsView } from '../../src/protocol/messages';
import { expected, FIXTURES } from './fixtureFiles';

const RGNET = 'models/rgnet.pt';

/** Statistics as torch computed them (expected.json), in the protocol's shape. */
function torchStats(file: string): Map<string, StatsView> {
  const out = new Map<string, StatsView>();
  for (const t of expected.files[file]!.tensors) {
    const s = t.stats!;
    const absMax = s.min === null || s.max === null ? null : Math.max(-s.min, s.max);
    out.set(t.name, { count: s.count, min: s.min, max: s.max, mean: s.mean, std: s.std, zeros: s.zeros, nan: s.nan, inf: s.inf, l2: s.l2, absMax, histogram: s.histogram } as StatsView);
  }
  return out;
}

/** Splits one CSV record (RFC 4180, no newlines inside fields in these tests). */
function csvRecord(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

describe('summary export', () => {
  it('JSON lists every tensor with the names, access paths and shapes torch reports', async () => {
    const index = await openModel(join(FIXTURES, RGNET));
    const json = summaryJson(index) as { parameters: Array<{ name: string; path: string; shape: number[]; dtype: string; stats?: unknown }>; totalParameters: number };
    const want = expected.files[RGNET]!;
    expect(json.totalParameters).toBe(want.totalParameters);
    expect(json.parameters.map((p) => [p.name, p.path, p.dtype, p.shape])).toEqual(want.tensors.map((t) => [t.name, t.path, t.dtype, t.shape]));
    expect(json.parameters.every((p) => p.stats === undefined)).toBe(true);
  });

  it('JSON with statistics carries them per parameter', async () => {
    const index = await openModel(join(FIXTURES, RGNET));
    const stats = torchStats(RGNET);
    const json = summaryJson(index, stats) as { parameters: Array<{ name: string; stats: { min: number; std: number } }> };
    for (const p of json.parameters) {
      expect(p.stats.min).toBe(stats.get(p.name)!.min);
      expect(p.stats.std).toBe(stats.get(p.name)!.std);
    }
  });

  it('Markdown has the print(model) tree and one table row per tensor', async () => {
    const index = await openModel(join(FIXTURES, RGNET));
    const md = summaryMarkdown(index, torchStats(RGNET));
    expect(md).toContain('# `rgnet.pt`');
    expect(md).toContain('- parameters: 309');
    expect(md).toContain('(block 0): Sequential');
    const rows = md.split('\n').filter((l) => l.startsWith('| `0.'));
    expect(rows).toHaveLength(expected.files[RGNET]!.tensors.length - 2); // all but the last Linear's two
    expect(md).toContain('| `0.block 1.0.bias` | `rgnet[0][1][0].bias` | parameter | float32 | [8] | 8 |');
    const header = md.split('\n').find((l) => l.startsWith('| name'))!;
    expect(header).toBe('| name | access path | kind | dtype | shape | count | min | max | mean | std | zeros | nan | inf | l2 |');
    // Statistics to 6 significant digits for reading (CSV and JSON keep every digit).
    const bias = expected.files[RGNET]!.tensors.find((t) => t.name === '0.block 1.0.bias')!;
    const cells = md.split('\n').find((l) => l.startsWith('| `0.block 1.0.bias`'))!.split(' | ');
    for (const [k, at] of [['min', 6], ['max', 7], ['mean', 8], ['std', 9], ['l2', 13]] as const) {
      const torch = bias.stats![k]!;
      expect(cells[at]!.replace(/ \|$/, '').length, `${k} ${cells[at]}`).toBeLessThanOrEqual(String(torch).length);
      expect(Number(cells[at]!.replace(/ \|$/, '')), k).toBe(Number(torch.toPrecision(6)));
    }
  });

  it('6 significant digits: trailing zeros dropped, exponents kept, integers whole', () => {
    expect([0.123456789, -1234567.5, 0.5, 3, 1.5e-7, 0, null, ''].map((v) => sig6(v as number | null | ''))).toEqual(['0.123457', '-1.23457e+6', '0.5', '3', '1.5e-7', '0', '', '']);
  });

  it('CSV has a header and one parseable row per tensor, with torch statistics', async () => {
    const index = await openModel(join(FIXTURES, RGNET));
    const stats = torchStats(RGNET);
    const lines = summaryCsv(index, stats).trimEnd().split('\r\n');
    expect(csvRecord(lines[0]!)).toEqual(['name', 'path', 'kind', 'dtype', 'shape', 'count', 'min', 'max', 'mean', 'std', 'zeros', 'nan', 'inf', 'l2']);
    expect(lines).toHaveLength(index.tensors.length + 1);
    for (const [i, t] of expected.files[RGNET]!.tensors.entries()) {
      const r = csvRecord(lines[i + 1]!);
      expect(r.slice(0, 5)).toEqual([t.name, t.path, t.kind, t.dtype, t.shape.join('x')]);
      const cell = (v: string): number | null => (v === '' ? null : Number(v));
      expect(cell(r[6]!)).toBe(t.stats!.min);
      expect(cell(r[9]!)).toBe(t.stats!.std); // empty for the one-value bias, as torch's std is nan there
    }
  });

  it('CSV and Markdown keep hostile names inert', () => {
    const t = { name: '=HYPERLINK("http://x","a,b")', path: '', kind: 'tensor', dtype: 'float32', shape: [2], count: 2 };
    const index = { file: '/m/x|y.safetensors', format: 'safetensors', rootName: 'x', tensors: [t], modules: { name: '', qualifiedName: '', type: null, path: 'x', children: [], parameters: [], parameterCount: 2 }, moduleTreeSource: 'names', totalParameters: 2, metadata: {}, warnings: ['a | b'], notes: ['c | d'] } as unknown as ModelIndex;
    const row = csvRecord(summaryCsv(index).split('\r\n')[1]!);
    expect(row[0]).toBe(`'=HYPERLINK("http://x","a,b")`);
    const md = formatSummary('markdown', index);
    expect(md).toContain('# `x|y.safetensors`');
    expect(md).toContain('- a \\| b');
    expect(md).toContain('## notes\n\n- c \\| d');
    expect(md).toContain('| `=HYPERLINK("http://x","a,b")` |');
  });
});
