import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { findTies } from '../../src/model/ties';
import { tiesPageData } from '../../src/views/tiesSummary';
import { safetensorsBytes } from './builders';
import { FIXTURES } from './fixtureFiles';

const pageOf = async (rel: string) => {
  const index = await openModel(join(FIXTURES, rel));
  return tiesPageData(index, await findTies(index));
};

describe('tied-parameters page data', () => {
  it('shared.pt: the storage and module ties as access paths, bytes saved counted once across groups', async () => {
    const page = await pageOf('models/shared.pt');
    expect(page.fileName).toBe('shared.pt');
    const storage = page.ties.filter((g) => g.evidence === 'storage');
    expect(storage.map((g) => g.members.map((m) => [m.name, m.path, m.kind, m.detail]))).toEqual([
      [
        ['2.weight', 'shared[2].weight', 'parameter', 'float32 [8, 8]'],
        ['4.weight', 'shared[4].weight', 'parameter', 'float32 [8, 8]'],
      ],
      [
        ['2.bias', 'shared[2].bias', 'parameter', 'float32 [8]'],
        ['4.bias', 'shared[4].bias', 'parameter', 'float32 [8]'],
      ],
    ]);
    expect(storage.map((g) => [g.bytes, g.saved])).toEqual([
      [256, 256],
      [32, 32],
    ]);
    const [module] = page.ties.filter((g) => g.evidence === 'module');
    expect(module!.members.map((m) => [m.path, m.kind, m.detail, m.parameters])).toEqual([
      ['shared[2]', 'module', 'Linear', [{ name: '2.weight', label: 'weight' }, { name: '2.bias', label: 'bias' }]],
      ['shared[4]', 'module', 'Linear', [{ name: '4.weight', label: 'weight' }, { name: '4.bias', label: 'bias' }]],
    ]);
    expect(module!.saved).toBe(288);
    // One Linear(8, 8) stored once instead of twice: 64 + 8 float32, not 256 + 32 + 288.
    expect(page.totalSaved).toBe((64 + 8) * 4);
    expect(page.identical).toEqual([]);
    expect(page.views).toEqual([]);
  });

  it('shared.safetensors: the twice-written layer is identical values, not a tie', async () => {
    const page = await pageOf('models/shared.safetensors');
    expect(page.ties).toEqual([]);
    expect(page.totalSaved).toBe(0);
    const groups = page.identical.map((g) => g.members.map((m) => m.name).sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));
    expect(groups).toEqual([
      ['2.bias', '4.bias'],
      ['2.weight', '4.weight'],
    ]);
    expect(page.identical.map((g) => g.saved).sort((a, b) => a - b)).toEqual([32, 256]);
  });

  it('views.pt: overlapping views are listed apart, with their shapes', async () => {
    const page = await pageOf('models/views.pt');
    expect(page.ties).toEqual([]);
    expect(page.views).toHaveLength(1);
    expect(page.views[0]!.members.map((m) => m.name).sort()).toEqual(['base', 'cols', 'elem', 'rows', 't']);
    expect(page.views[0]!.members.every((m) => m.kind === 'parameter' && m.detail.startsWith('float32 ['))).toBe(true);
  });

  it('a name declared by metadata but not stored is shown, not linked, and still saves its bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paramscope-tiespage-'));
    const header = {
      __metadata__: { format: 'pt', 'lm_head.weight': 'model.embed_tokens.weight' },
      'model.embed_tokens.weight': { dtype: 'F32', shape: [4, 2], data_offsets: [0, 32] },
    };
    writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes(header, new Uint8Array(32)));
    const index = await openModel(join(dir, 'model.safetensors'));
    const page = tiesPageData(index, await findTies(index));
    expect(page.ties.map((g) => [g.evidence, g.members.map((m) => [m.name, m.kind, m.parameters.length])])).toEqual([
      [
        'metadata',
        [
          ['model.embed_tokens.weight', 'parameter', 1],
          ['lm_head.weight', 'missing', 0],
        ],
      ],
    ]);
    expect(page.totalSaved).toBe(32);
  });
});
