import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { PickleBuilder, torchZip } from './builders';
import { FIXTURES, expected } from './fixtureFiles';
import { tempFile } from './tempFiles';

describe.each(Object.entries(expected.hostile))('hostile pickle %s (made by torch.save)', (rel, exp) => {
  it('never runs the payload, names the refused global, and still shows the tensors', async () => {
    rmSync(exp.marker, { force: true });
    const index = await openModel(join(FIXTURES, rel));
    expect(index.format).toBe(exp.format);
    expect(index.warnings.join('\n')).toContain(`refused ${exp.refused}`);
    expect(index.tensors.map((t) => t.name)).toEqual(expect.arrayContaining(exp.tensors));
    expect(existsSync(exp.marker)).toBe(false);
  });
});

describe('allow-list unpickler on hand-made payloads', () => {
  const marker = '/tmp/paramscope_pwned_handmade';
  const payloads: Array<[string, string, string]> = [
    ['os', 'system', 'os.system'],
    ['subprocess', 'check_output', 'subprocess.check_output'],
    ['builtins', '__import__', 'builtins.__import__'],
    ['operator', 'attrgetter', 'operator.attrgetter'],
    ['runpy', '_run_code', 'runpy._run_code'],
    ['torch.serialization', 'load', 'torch.serialization.load'],
    ['webbrowser', 'open', 'webbrowser.open'],
  ];
  it.each(payloads)('refuses %s.%s and keeps going', async (module, name, shown) => {
    rmSync(marker, { force: true });
    const pkl = new PickleBuilder().emptyDict().str('w').floatTensor('0', 2).setitem();
    pkl.str('evil').global(module, name).mark().str(`touch ${marker}`).tuple().reduce().setitem();
    const index = await openModel(tempFile(`${module}_${name}.pt`, torchZip(pkl.stop(), { '0': 2 })));
    expect(index.warnings.join('\n')).toContain(`refused ${shown}`);
    expect(index.tensors.map((t) => t.name)).toEqual(['w']);
    expect(index.metadata.evil).toBe(`<refused ${shown}>`);
    expect(existsSync(marker)).toBe(false);
  });

  it('stubs unknown classes instead of importing them, with a note (not a warning) naming the class', async () => {
    const pkl = new PickleBuilder().emptyDict().str('w').floatTensor('0', 2).setitem();
    pkl.str('opts').global('argparse', 'Namespace').emptyTuple().reduce().setitem();
    const index = await openModel(tempFile('stub.pt', torchZip(pkl.stop(), { '0': 2 })));
    expect(index.notes.join('\n')).toContain('unknown class argparse.Namespace: shown as a stub');
    expect(index.warnings).toEqual([]);
    expect(index.tensors.map((t) => t.name)).toEqual(['w']);
  });
});
