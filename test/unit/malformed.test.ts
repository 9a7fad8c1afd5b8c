import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/formatReader';
import { openModel } from '../../src/model/openModel';
import { PickleBuilder, safetensorsBytes, storedZip, torchZip } from './builders';
import { FIXTURES, expected } from './fixtureFiles';
import { tempFile } from './tempFiles';
import { cpuMs } from './cpuClock';

/** Opening must fail with a person-readable FormatError, quickly. */
async function expectFormatError(path: string, message: RegExp): Promise<void> {
  const t0 = cpuMs();
  const err = await openModel(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FormatError);
  expect((err as Error).message).toMatch(message);
  expect(cpuMs() - t0).toBeLessThan(1000);
}

describe('safetensors: sizes and offsets are checked against the file before anything is allocated', () => {
  const f32 = (shape: number[], offsets: number[]) => ({ a: { dtype: 'F32', shape, data_offsets: offsets } });

  it('refuses a header bomb (declared header length 2^60)', async () => {
    await expectFormatError(tempFile('bomb.safetensors', safetensorsBytes({}, new Uint8Array(8), 1n << 60n)), /exceeds the 100000000-byte limit/);
  });
  it('refuses a header length past the end of the file', async () => {
    await expectFormatError(tempFile('short.safetensors', safetensorsBytes('{}', new Uint8Array(0), 1000n)), /truncated: its JSON header needs bytes 8 to 1008, but the file has only 10 bytes/);
  });
  it('refuses data offsets past the end of the data when no tensor is left whole', async () => {
    // Partly readable files are listed with a warning: see truncatedSafetensors.test.ts.
    await expectFormatError(tempFile('off.safetensors', safetensorsBytes(f32([4], [0, 16]), new Uint8Array(8))), /cut short: 8 of 16 data bytes present, and no tensor is whole/);
  });
  it('refuses a shape that does not match its byte span', async () => {
    await expectFormatError(tempFile('shape.safetensors', safetensorsBytes(f32([3], [0, 8]), new Uint8Array(8))), /needs 12 bytes but data_offsets span 8/);
  });
  it('refuses an astronomically large shape without allocating it', async () => {
    await expectFormatError(tempFile('huge.safetensors', safetensorsBytes(f32([2 ** 52, 2 ** 52], [0, 8]), new Uint8Array(8))), /needs 81129638414606681695789005144064 bytes/);
    // 2^53 + 1 elements: a product doubles cannot hold exactly, nor mistake for a safe span.
    await expectFormatError(tempFile('odd.safetensors', safetensorsBytes({ a: { dtype: 'U8', shape: [2 ** 53 + 1], data_offsets: [0, 8] } }, new Uint8Array(8))), /bad shape/);
    await expectFormatError(tempFile('odd2.safetensors', safetensorsBytes({ a: { dtype: 'U8', shape: [3, 3002399751580331], data_offsets: [0, 8] } }, new Uint8Array(8))), /needs 9007199254740993 bytes/);
  });
  it('opens an empty tensor whose other dimensions overflow a double (the product is 0)', async () => {
    const path = tempFile('zero.safetensors', safetensorsBytes({ a: { dtype: 'F32', shape: [2 ** 52, 2 ** 52, 0], data_offsets: [0, 0] }, b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)));
    const index = await openModel(path);
    expect(index.tensors.map((t) => [t.name, t.count])).toEqual([['a', 0], ['b', 2]]);
  });
  it('refuses unknown dtypes, bad JSON and non-object headers', async () => {
    await expectFormatError(tempFile('dt.safetensors', safetensorsBytes({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16))), /unknown dtype "F128"/);
    await expectFormatError(tempFile('json.safetensors', safetensorsBytes('{"a": [', new Uint8Array(0))), /not valid UTF-8 JSON/);
    await expectFormatError(tempFile('arr.safetensors', safetensorsBytes('{"a": 1}', new Uint8Array(0))), /entry is not an object/);
  });
});

describe('truncated files made by torch', () => {
  const messages: Record<string, RegExp> = {
    'models/broken/net.truncated.pt': /truncated/,
    'models/broken/net.truncated.safetensors': /the file is truncated/,
  };
  // A safetensors file cut inside its data (net.truncated90) lists its intact tensors instead:
  // see truncatedSafetensors.test.ts.
  const unreadable = Object.entries(expected.broken).filter(([, b]) => !(b.format === 'safetensors' && b.cutInside === 'data'));
  it('covers the zip and the header cut', () => {
    expect(unreadable.map(([rel]) => rel).sort()).toEqual(Object.keys(messages).sort());
  });
  it.each(unreadable.map(([rel]) => rel))('%s is a clear error', async (rel) => {
    await expectFormatError(join(FIXTURES, rel), messages[rel]!);
  });

  it('a legacy file cut inside its storages is a clear error', async () => {
    const whole = readFileSync(join(FIXTURES, 'models/net.legacy.pt'));
    await expectFormatError(tempFile('net.legacy.cut.pt', whole.subarray(0, whole.length - 20)), /truncated/);
  });
  it('a legacy file cut inside its pickles is a clear error', async () => {
    const whole = readFileSync(join(FIXTURES, 'models/net.legacy.pt'));
    await expectFormatError(tempFile('net.legacy.cut2.pt', whole.subarray(0, 200)), /truncated|ends/);
  });
});

describe('zip archives that lie', () => {
  const pkl = new PickleBuilder().emptyDict().str('w').floatTensor('0', 4).setitem().stop();

  it('reads a hermetic torch-style zip (control case)', async () => {
    const index = await openModel(tempFile('ok.pt', torchZip(pkl, { '0': 4 })));
    expect(index.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([['w', 'float32', [4]]]);
  });
  it('refuses a directory that claims more entries than it holds', async () => {
    const z = torchZip(pkl, { '0': 4 });
    const v = new DataView(z.buffer, z.byteOffset, z.byteLength);
    v.setUint16(z.length - 22 + 10, 60000, true);
    await expectFormatError(tempFile('count.pt', z), /claims 60000 entries/);
  });
  it('refuses a record whose offset lies past the end', async () => {
    const z = torchZip(pkl, { '0': 4 });
    const v = new DataView(z.buffer, z.byteOffset, z.byteLength);
    const cdOffset = v.getUint32(z.length - 22 + 16, true);
    v.setUint32(cdOffset + 42, 0x7fffffff, true);
    await expectFormatError(tempFile('offset.pt', z), /past the end of the file/);
  });
  it('skips, with a warning, a tensor whose view reaches past its storage', async () => {
    const index = await openModel(tempFile('view.pt', torchZip(new PickleBuilder().emptyDict().str('w').floatTensor('0', 8).setitem().stop(), { '0': 4 })));
    expect(index.tensors).toEqual([]);
    expect(index.warnings.join('\n')).toMatch(/w: view reaches element 7 of a storage with 4 elements/);
  });
  it('a zip without data.pkl is not a torch file', async () => {
    await expectFormatError(tempFile('other.pt', storedZip([['readme.txt', new Uint8Array(3)]])), /without data.pkl/);
  });
});

describe('pickles that misbehave', () => {
  const POP = 0x30;
  it('an unknown opcode is a clear error', async () => {
    const bad = new PickleBuilder().emptyDict().op(0xff).stop();
    await expectFormatError(tempFile('op.pt', torchZip(bad)), /unknown pickle opcode 0xff/);
  });
  it('a stack underflow is a clear error', async () => {
    await expectFormatError(tempFile('under.pt', torchZip(new PickleBuilder().setitem().stop())), /stack underflow/);
  });
  it('a billion-laughs graph of shared references stops in under a second', async () => {
    const b = new PickleBuilder().floatTensor('0', 1).put(0).op(POP);
    for (let level = 1; level <= 64; level++) {
      b.emptyList().mark().get(level - 1).get(level - 1).appends().put(level);
      if (level < 64) b.op(POP);
    }
    await expectFormatError(tempFile('laughs.pt', torchZip(b.stop(), { '0': 1 })), /too many shared references/);
  });
  it('a list that contains itself is walked once', async () => {
    const b = new PickleBuilder().emptyList().put(0).floatTensor('0', 2).append().get(0).append();
    const index = await openModel(tempFile('cycle.pt', torchZip(b.stop(), { '0': 2 })));
    expect(index.tensors.map((t) => t.name)).toEqual(['0']);
    expect(index.tensors[0]!.path).toBe('cycle[0]');
  });
  it('metadata built from a shared-reference bomb is summarised, not expanded', async () => {
    const b = new PickleBuilder().emptyDict().str('w').floatTensor('0', 1).setitem().str('cfg').int(1).put(0).op(POP);
    for (let level = 1; level <= 64; level++) {
      b.emptyList().mark().get(level - 1).get(level - 1).appends().put(level);
      if (level < 64) b.op(POP);
    }
    b.setitem();
    const index = await openModel(tempFile('cfgbomb.pt', torchZip(b.stop(), { '0': 1 })));
    expect(JSON.stringify(index.metadata).length).toBeLessThan(100_000);
  });
});

describe('files that are not models', () => {
  it('random bytes are named as unrecognised', async () => {
    await expectFormatError(tempFile('noise.bin', new Uint8Array(1000).map((_, i) => (i * 7919) & 0xff)), /not a recognised model file/);
  });
  it('an empty file is named as unrecognised', async () => {
    await expectFormatError(tempFile('empty.pt', new Uint8Array(0)), /not a recognised model file/);
  });
  it('a missing file says so', async () => {
    await expectFormatError('/nonexistent/model.pt', /cannot open \(ENOENT\)/);
  });
});
