import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { findTies } from '../../src/model/ties';
import { safetensorsBytes } from './builders';
import { FIXTURES, expected } from './fixtureFiles';

const open = (rel: string) => openModel(join(FIXTURES, rel));
const sorted = (groups: string[][]) => groups.map((g) => [...g].sort()).sort((a, b) => a.join().localeCompare(b.join()));

describe('tied parameters', () => {
  it.each(Object.entries(expected.files).filter(([, f]) => f.ties.length > 0))('%s: storage ties equal the data_ptr groups torch reports', async (rel, exp) => {
    const report = await findTies(await open(rel), { content: false });
    expect(sorted(report.groups.filter((g) => g.evidence === 'storage').map((g) => g.names))).toEqual(sorted(exp.ties));
  });

  it('finds the shared module of the seed (net[2] is net[4]) with its bytes', async () => {
    const report = await findTies(await open('models/shared.pt'), { content: false });
    expect(report.groups.filter((g) => g.evidence === 'module')).toEqual([{ names: ['2', '4'], evidence: 'module', bytes: (64 + 8) * 4 }]);
  });

  it('reports views of one storage as views, not ties', async () => {
    const report = await findTies(await open('models/views.pt'));
    expect(report.groups).toEqual([]);
    expect(report.views.map((v) => [...v.names].sort())).toEqual([['base', 'cols', 'elem', 'rows', 't']]);
  });

  it('finds byte-identical copies as content, separately from ties', async () => {
    // safetensors cannot share storage: the tied layer is written twice.
    const report = await findTies(await open('models/shared.safetensors'));
    expect(report.groups.every((g) => g.evidence === 'content')).toBe(true);
    expect(sorted(report.groups.map((g) => g.names))).toEqual(sorted([['2.weight', '4.weight'], ['2.bias', '4.bias']]));
  });

  it.each(['models/net_normal.state_dict.pt', 'models/rgnet.pt', 'models/convnet.pt', 'models/checkpoint.pt'])('%s has no false ties', async (rel) => {
    const report = await findTies(await open(rel));
    expect(report.groups.filter((g) => g.evidence !== 'content')).toEqual([]);
  });

  it('zero biases of one shape are content-equal, never storage-tied', async () => {
    const report = await findTies(await open('models/net_constant.safetensors'));
    expect(report.groups.filter((g) => g.evidence === 'storage')).toEqual([]);
  });

  it('reads ties declared by safetensors metadata and by config.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paramscope-ties-'));
    const header = {
      __metadata__: { format: 'pt', 'lm_head.weight': 'model.embed_tokens.weight' },
      'model.embed_tokens.weight': { dtype: 'F32', shape: [4, 2], data_offsets: [0, 32] },
    };
    writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes(header, new Uint8Array(32)));
    let report = await findTies(await openModel(join(dir, 'model.safetensors')));
    expect(report.groups).toEqual([{ names: ['model.embed_tokens.weight', 'lm_head.weight'], evidence: 'metadata', bytes: 32 }]);

    delete (header.__metadata__ as Record<string, string>)['lm_head.weight'];
    writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes(header, new Uint8Array(32)));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', tie_word_embeddings: true }));
    report = await findTies(await openModel(join(dir, 'model.safetensors')));
    expect(report.groups).toEqual([{ names: ['model.embed_tokens.weight', 'lm_head.weight'], evidence: 'metadata', bytes: 32 }]);
  });
});
