import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { crc32, crc32Combine, crc32Table } from '../../src/runtime/crc32';
import { computeTensorStats } from '../../src/runtime/stats';
import { StorageCrcError } from '../../src/runtime/storageCrc';
import { WorkerPool } from '../../src/runtime/workerPool';
import { PickleBuilder, patchZipRecord, storedZip, torchZip } from './builders';
import { FIXTURES, expected } from './fixtureFiles';

const dir = mkdtempSync(join(tmpdir(), 'paramscope-zip-'));
const write = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
/** Node's zlib.crc32 (the real tool): present on every Node this project supports (≥ 20.15). */
const zlibCrc32 = (zlib as unknown as { crc32: (b: Uint8Array, v?: number) => number }).crc32;

/** Deterministic bytes (xorshift32), so a failure reproduces. */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

describe('CRC-32 (slicing-by-8 tables, native when present) equals zlib.crc32', () => {
  it('for every length 0..100 and odd offsets, continued across calls, and for 1 MiB', () => {
    const b = noise(1 << 20);
    for (let n = 0; n <= 100; n++) expect(crc32Table(b.subarray(3, 3 + n))).toBe(zlibCrc32(b.subarray(3, 3 + n)));
    expect(crc32Table(b)).toBe(zlibCrc32(b));
    expect(crc32Table(b.subarray(1000), crc32Table(b.subarray(0, 1000)))).toBe(zlibCrc32(b));
    expect(crc32(b)).toBe(zlibCrc32(b));
    // Known check value of the CRC-32/ISO-HDLC catalogue: "123456789" → 0xCBF43926.
    expect(crc32Table(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('crc32Combine of two parts is the CRC-32 of their concatenation', () => {
    const b = noise(300_000, 7);
    for (const cut of [0, 1, 7, 4096, 299_999, 300_000]) {
      expect(crc32Combine(zlibCrc32(b.subarray(0, cut)), zlibCrc32(b.subarray(cut)), b.length - cut)).toBe(zlibCrc32(b));
    }
  });
});

describe('zip records that lie about their sizes, headers or places are refused by name', () => {
  const pkl = (): Uint8Array => new PickleBuilder().emptyDict().str('w').floatTensor('0', 4).setitem().stop();
  const honest = (): Uint8Array => torchZip(pkl(), { '0': 4 });

  it('the honest zip opens (the lies below are the only change)', async () => {
    const index = await openModel(write('honest.pt', honest()));
    expect(index.tensors.map((t) => [t.name, t.location.storageBytes])).toEqual([['w', 16]]);
  });

  it('a stored record whose uncompressed size is larger than its stored size', async () => {
    const z = patchZipRecord(honest(), 'archive/data/0', (v, c) => v.setUint32(c + 24, 1 << 20, true));
    await expect(openModel(write('sizes.pt', z))).rejects.toThrow('record archive/data/0 is stored uncompressed but claims 16 bytes stored and 1048576 bytes of content');
  });

  it('a zip64 extra field claiming 2^52 bytes of content', async () => {
    const recs: Array<[string, Uint8Array]> = [
      ['archive/data.pkl', pkl()],
      ['archive/data/0', new Uint8Array(16)],
    ];
    const z = storedZip(recs, { zip64Uncompressed: { 'archive/data/0': 2n ** 52n } });
    await expect(openModel(write('zip64.pt', z))).rejects.toThrow('record archive/data/0 is stored uncompressed but claims 16 bytes stored and 4503599627370496 bytes of content');
  });

  it('a local header whose CRC, sizes or name disagree with the central directory', async () => {
    const crc = patchZipRecord(honest(), 'archive/data/0', (v, _c, l) => v.setUint32(l + 14, 0xdeadbeef, true));
    await expect(openModel(write('localcrc.pt', crc))).rejects.toThrow('the local header of record archive/data/0 disagrees with the central directory');
    const size = patchZipRecord(honest(), 'archive/data/0', (v, _c, l) => v.setUint32(l + 22, 12, true));
    await expect(openModel(write('localsize.pt', size))).rejects.toThrow('the local header of record archive/data/0 disagrees with the central directory');
    const name = patchZipRecord(honest(), 'archive/data/0', (v, _c, l) => v.setUint8(l + 30 + 'archive/data/'.length, 0x31));
    await expect(openModel(write('localname.pt', name))).rejects.toThrow('the local header of record archive/data/0 disagrees with the central directory');
  });

  it('two directory entries for one record, and one name listed twice', async () => {
    const z = honest();
    const pklAt = 0; // data.pkl is the first record
    const shared = patchZipRecord(z, 'archive/version', (v, c) => v.setUint32(c + 42, pklAt, true));
    await expect(openModel(write('overlap.pt', shared))).rejects.toThrow(/record archive\/data.pkl overlaps record archive\/version|overlaps/);
    const twice = storedZip([
      ['archive/data.pkl', pkl()],
      ['archive/data/0', new Uint8Array(16)],
      ['archive/data/0', new Uint8Array(16)],
    ]);
    await expect(openModel(write('twice.pt', twice))).rejects.toThrow('the zip lists record archive/data/0 twice');
  });
});

describe('statistics verify a stored record’s CRC-32 and report a corrupt record instead of numbers', () => {
  /** A copy of `bytes` with one byte of the tensor's storage flipped. */
  const corrupt = async (path: string, name: string, at = 5): Promise<string> => {
    const t = (await openModel(path)).tensors.find((x) => x.name === name)!;
    const b = new Uint8Array(readFileSync(path));
    b[t.location.storageOffset + at]! ^= 0x40;
    return write(`corrupt-${name}-${path.split('/').pop()}`, b);
  };
  const statsOf = async (path: string, name: string) => {
    const index = await openModel(path);
    const src = await FileByteSource.open(path);
    try {
      return await computeTensorStats(src, index.tensors.find((t) => t.name === name)!);
    } finally {
      await src.close();
    }
  };

  it('the CRC carried in the location is the record’s, by zlib.crc32 over its bytes (torch-made big.pt)', async () => {
    const path = join(FIXTURES, 'models/big.pt');
    const bytes = new Uint8Array(readFileSync(path));
    for (const t of (await openModel(path)).tensors) {
      expect(t.location.crc32).toBe(zlibCrc32(bytes.subarray(t.location.storageOffset, t.location.storageOffset + t.location.storageBytes)));
    }
    // Untouched, the statistics are torch's.
    expect((await statsOf(path, 'w')).count).toBe(expected.files['models/big.pt']!.tensors[0]!.stats!.count);
  });

  it('float32 (fused into the first pass) and bfloat16 (bit patterns) of a corrupt torch-made file', async () => {
    const path = join(FIXTURES, 'models/big.pt');
    for (const name of ['w', 'wb']) {
      const bad = await corrupt(path, name, 1000);
      const t = (await openModel(bad)).tensors.find((x) => x.name === name)!;
      const bytes = new Uint8Array(readFileSync(bad));
      expect(zlibCrc32(bytes.subarray(t.location.storageOffset, t.location.storageOffset + t.location.storageBytes))).not.toBe(t.location.crc32);
      await expect(statsOf(bad, name)).rejects.toBeInstanceOf(StorageCrcError);
      await expect(statsOf(bad, name)).rejects.toThrow(`storage data/${t.location.storageKey} fails its CRC-32 check: the file is corrupt`);
    }
  });

  it('a view that reads part of its storage, and a float64 tensor (generic path), check by a separate read', async () => {
    const view = torchZip(new PickleBuilder().emptyDict().str('v').tensorView('0', 8, 2, [4], [1]).setitem().stop(), { '0': 8 });
    const good = write('view.pt', view);
    expect((await statsOf(good, 'v')).count).toBe(4);
    await expect(statsOf(await corrupt(good, 'v', 0), 'v')).rejects.toThrow('storage data/0 fails its CRC-32 check: the file is corrupt');
    const f64 = torchZip(new PickleBuilder().emptyDict().str('d').tensorView('0', 2, 0, [2], [1], 'DoubleStorage').setitem().stop(), { '0': 4 });
    await expect(statsOf(await corrupt(write('f64.pt', f64), 'd', 3), 'd')).rejects.toThrow('storage data/0 fails its CRC-32 check');
  });

  describe('split across the worker pool (ranges’ CRCs combined in order)', () => {
    let pool: WorkerPool;
    beforeAll(async () => {
      const out = join(dir, 'tensorWorker.js');
      await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
      pool = new WorkerPool(out, 2);
    });
    afterAll(() => pool.dispose());

    it('a 3.5M-element float32 storage: whole it gives its numbers, one flipped byte gives the CRC error', async () => {
      const n = 3_500_000; // > 3 chunks of 1M elements, so the pool splits it
      const good = write('split.pt', torchZip(new PickleBuilder().emptyDict().str('w').floatTensor('0', n).setitem().stop(), { '0': n }));
      const spec = async (p: string) => {
        const t = (await openModel(p)).tensors[0]!;
        return { tensor: { dtype: t.dtype, shape: t.shape, location: t.location } };
      };
      // numpy.zeros(3_500_000, float32): count n, all zeros.
      expect(await pool.stats(await spec(good))).toMatchObject({ count: n, zeros: n, min: 0, max: 0 });
      const bad = await corrupt(good, 'w', 4 * 2_600_000 + 1); // in the third range
      await expect(pool.stats(await spec(bad))).rejects.toThrow('storage data/0 fails its CRC-32 check: the file is corrupt');
    });
  });

  it('paramscope stats: one line for the corrupt record, exit 1, no stack trace', async () => {
    const cli = join(dir, 'cli.js');
    await build({ entryPoints: [join(__dirname, '../../src/cli.ts')], outfile: cli, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
    const bad = await corrupt(join(FIXTURES, 'models/big.pt'), 'w', 10);
    const r = spawnSync(process.execPath, [cli, 'stats', bad, '--param', 'w'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('warning: w: storage data/0 fails its CRC-32 check: the file is corrupt');
  });
});
