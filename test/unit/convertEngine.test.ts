import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARAMSCOPE_VERSION } from '../../src/core/version';
import { convertModel } from '../../src/model/convert/convertModel';
import { parseShardSize, safetensorsHeader, shardFileNames, splitShards, type PlannedTensor } from '../../src/model/convert/plan';
import { WorkerPool } from '../../src/runtime/workerPool';
import { FIXTURES } from './fixtureFiles';
import { GGUF_TYPE_FIXTURES, readManifest } from './ggufQuantFixtures';

const PYTHON = '/usr/bin/python3';
const CHECKER = join(FIXTURES, 'check_safetensors.py');
const hasPython = spawnSync(PYTHON, ['-c', 'import hashlib, json'], { encoding: 'utf8' }).status === 0;

function check(jobs: object[]): Array<{ mismatches: string[]; names: string[] }> {
  const file = join(mkdtempSync(join(tmpdir(), 'paramscope-check-')), 'jobs.json');
  writeFileSync(file, JSON.stringify(jobs));
  const r = spawnSync(PYTHON, [CHECKER, file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`check_safetensors.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<{ mismatches: string[]; names: string[] }>;
}

const fresh = (): string => mkdtempSync(join(tmpdir(), 'paramscope-engine-'));

describe.skipIf(!hasPython)('GGUF sources (ggml-made fixtures)', () => {
  const manifest = readManifest();
  // Quantized types dequantize to float32 (ggml's to_float, recorded by make_gguf_types.c); plain
  // types are kept as stored (the GGUF's own bytes); --dtype float32 upcasts F16/BF16 as ggml does.
  const labels = ['Q4_K', 'Q8_0', 'Q6_K', 'IQ2_XXS', 'MXFP4', 'F16', 'BF16', 'F32', 'I8', 'I32'];
  const codes: Record<string, string> = { F16: 'F16', BF16: 'BF16', F32: 'F32', I8: 'I8', I32: 'I32' };

  for (const label of labels) {
    it(`${label}: ${label in codes ? 'kept as stored' : 'dequantized to float32 as ggml'}`, async () => {
      const type = manifest.types.find((t) => t.label === label)!;
      const out = join(fresh(), 'out.safetensors');
      const r = await convertModel(join(GGUF_TYPE_FIXTURES, type.file), out);
      expect(r.tensors).toBe(type.tensors.length);
      let at = 0;
      const raw = Object.fromEntries(
        type.tensors.map((t) => {
          const shape = [...t.ne].reverse();
          if (label in codes) return [t.name, { file: join(GGUF_TYPE_FIXTURES, type.file), offset: t.fileOffset, bytes: t.nbytes, code: codes[label], shape }];
          const spec = { file: join(GGUF_TYPE_FIXTURES, type.expected), offset: at, bytes: t.nelements * 4, code: 'F32', shape };
          at += t.nelements * 4;
          return [t.name, spec];
        }),
      );
      const [res] = check([{ out, raw }]);
      expect(res!.mismatches).toEqual([]);
    });
  }

  it('F16 --dtype float32 equals ggml_fp16_to_fp32_row', async () => {
    const type = manifest.types.find((t) => t.label === 'F16')!;
    const out = join(fresh(), 'out.safetensors');
    await convertModel(join(GGUF_TYPE_FIXTURES, type.file), out, { dtype: 'float32' });
    let at = 0;
    const raw = Object.fromEntries(type.tensors.map((t) => [t.name, { file: join(GGUF_TYPE_FIXTURES, type.expected), offset: (at += t.nelements * 4) - t.nelements * 4, bytes: t.nelements * 4, code: 'F32', shape: [...t.ne].reverse() }]));
    expect(check([{ out, raw }])[0]!.mismatches).toEqual([]);
  });
});

describe.skipIf(!hasPython)('ONNX and Keras sources (values from onnx/numpy and h5py, in the fixtures\' expected.json)', () => {
  type Dumped = { mismatches: string[]; names: string[]; values: Record<string, number[]>; shapes: Record<string, number[]>; codes: Record<string, string> };
  const dump = (out: string): Dumped => check([{ out, dump: true }])[0] as unknown as Dumped;

  it('ONNX initializers and Constants by their tensor names, float and integer values exact', async () => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'onnx/expected.json'), 'utf8')) as { files: Record<string, { tensors: Array<{ name: string; dims: number[]; dataType: string; values?: number[] }> }> };
    let compared = 0;
    for (const file of ['convnet.onnx', 'constants.onnx', 'mlp.onnx']) {
      const out = join(fresh(), 'out.safetensors');
      await convertModel(join(FIXTURES, 'onnx', file), out);
      const d = dump(out);
      expect(d.mismatches).toEqual([]);
      for (const t of expected.files[file]!.tensors) {
        if (!t.values || !['FLOAT', 'INT64', 'INT32', 'DOUBLE'].includes(t.dataType) || !(t.name in d.values)) continue;
        expect({ name: t.name, shape: d.shapes[t.name], values: d.values[t.name] }).toEqual({ name: t.name, shape: t.dims, values: t.values });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5);
  });

  it('Keras weights (optimizer variables left out) with h5py\'s values', async () => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'keras/expected.json'), 'utf8')) as { files: Record<string, { tensors: Record<string, { shape: number[]; kind: string; values?: number[]; first?: number[] }> }> };
    for (const file of ['sequential.keras', 'keras2_model.h5']) {
      const out = join(fresh(), 'out.safetensors');
      await convertModel(join(FIXTURES, 'keras', file), out);
      const d = dump(out);
      expect(d.mismatches).toEqual([]);
      const want = Object.entries(expected.files[file]!.tensors).filter(([, t]) => t.kind !== 'optimizer');
      expect(d.names.sort()).toEqual(want.map(([n]) => n).sort());
      for (const [name, t] of want) {
        expect(d.shapes[name]).toEqual(t.shape);
        if (t.values) expect(d.values[name]).toEqual(t.values);
        else expect(d.values[name]!.slice(0, t.first!.length)).toEqual(t.first);
      }
    }
  });
});

describe.skipIf(!hasPython)('Keras sub-modules (the tree\'s access paths; names relative to the layer, h5py\'s values)', () => {
  it('a nested Sequential and one of its layers, by the paths the Models view shows', async () => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'keras/expected.json'), 'utf8')) as { files: Record<string, { tensors: Record<string, { shape: number[]; values?: number[]; first?: number[] }> }> };
    const want = expected.files['functional_nested.keras']!.tensors;
    for (const [module, prefix] of [['functional_nested.block', 'block/'], ['functional_nested.block[0]', 'block/inner_dense/'], ['block', 'block/']] as const) {
      const out = join(fresh(), 'out.safetensors');
      const r = await convertModel(join(FIXTURES, 'keras', 'functional_nested.keras'), out, { module });
      const d = check([{ out, dump: true }])[0] as unknown as { mismatches: string[]; names: string[]; values: Record<string, number[]>; shapes: Record<string, number[]> };
      expect(d.mismatches).toEqual([]);
      const names = Object.keys(want).filter((n) => n.startsWith(prefix));
      expect(d.names.sort()).toEqual(names.map((n) => n.slice(prefix.length)).sort());
      expect(r.tensors).toBe(names.length);
      for (const n of names) {
        const t = want[n]!;
        const got = d.values[n.slice(prefix.length)]!;
        expect(d.shapes[n.slice(prefix.length)]).toEqual(t.shape);
        if (t.values) expect(got).toEqual(t.values);
        else expect(got.slice(0, t.first!.length)).toEqual(t.first);
      }
    }
    await expect(convertModel(join(FIXTURES, 'keras', 'functional_nested.keras'), join(fresh(), 'out.safetensors'), { module: 'functional_nested.nothing' })).rejects.toThrow(/is not a module of this model/);
  });
});

describe.skipIf(!hasPython)('NumPy sources (values np.load gives, in numpy/expected.json)', () => {
  it('.npy (big-endian, Fortran order) and .npz (stored and deflated members) in C order, exact', async () => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'numpy/expected.json'), 'utf8')) as { files: Record<string, { arrays: Record<string, { shape: number[]; values?: unknown[]; first?: unknown[]; fortran: boolean }> }> };
    let compared = 0;
    let fortran = 0;
    for (const [file, { arrays }] of Object.entries(expected.files)) {
      const dir = fresh();
      const r = await convertModel(join(FIXTURES, 'numpy', file), join(dir, 'out.safetensors')).catch((e: Error) => e);
      if (r instanceof Error) {
        // What safetensors cannot hold (complex128, object arrays) is refused, with nothing written.
        expect(readdirSync(dir)).toEqual([]);
        continue;
      }
      const d = check([{ out: join(dir, 'out.safetensors'), dump: true }])[0] as unknown as { mismatches: string[]; values: Record<string, unknown[]>; shapes: Record<string, number[]> };
      expect(d.mismatches).toEqual([]);
      for (const [key, a] of Object.entries(arrays)) {
        const name = key === '' ? file.replace(/\.npy$/, '') : key;
        const got = d.values[name];
        if (!got || !a.values?.every((v) => typeof v === 'number')) continue;
        expect({ file, name, shape: d.shapes[name], values: got }).toEqual({ file, name, shape: a.shape, values: a.values });
        compared++;
        if (a.fortran) fortran++;
      }
    }
    expect(compared).toBeGreaterThan(5);
    expect(fortran).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasPython)('transposed matrices, read a tile of rows at a time', () => {
  const cases = (JSON.parse(readFileSync(join(FIXTURES, 'convert/expected_convert.json'), 'utf8')) as { cases: Array<{ name: string; file: string; args: string[]; expected?: unknown }> }).cases;
  for (const [name, dtype] of [['more views', undefined], ['more legacy views', undefined], ['casts --dtype bfloat16', 'bfloat16'], ['casts kept', undefined]] as const) {
    it(`${name}: tiles of 1 to 3 rows (and a partial last one) give torch's bytes`, async () => {
      const c = cases.find((x) => x.name === name)!;
      for (const tileBytes of [1, 40, 100]) {
        const out = join(fresh(), 'out.safetensors');
        await convertModel(join(FIXTURES, c.file), out, dtype ? { dtype } : {}, { tileBytes });
        expect(check([{ out, expected: c.expected }])[0]!.mismatches).toEqual([]);
      }
    });
  }
});

describe('cancellation and failures leave nothing', () => {
  it('a conversion aborted mid-stream deletes its temporary file', async () => {
    const dir = fresh();
    const controller = new AbortController();
    const progress: number[] = [];
    const run = convertModel(join(FIXTURES, 'models/big.pt'), join(dir, 'big.safetensors'), {}, {
      signal: controller.signal,
      onProgress: (done) => {
        progress.push(done);
        controller.abort();
      },
    });
    await expect(run).rejects.toThrow();
    expect(progress.length).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a source that changes while it is read fails and leaves nothing', async () => {
    const dir = fresh();
    const src = join(dir, 'src.pt');
    writeFileSync(src, readFileSync(join(FIXTURES, 'models/big.pt')));
    let touched = false;
    const run = convertModel(src, join(dir, 'out.safetensors'), {}, {
      onProgress: () => {
        if (touched) return;
        touched = true;
        const bytes = readFileSync(src);
        writeFileSync(src, Buffer.concat([bytes, Buffer.from([0])]));
      },
    });
    await expect(run).rejects.toThrow(/changed/);
    expect(readdirSync(dir)).toEqual(['src.pt']);
  });
});

describe('in a worker (TensorService.convert runs this request)', () => {
  let pool: WorkerPool;
  beforeAll(async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'paramscope-convert-worker-')), 'tensorWorker.js');
    await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
    pool = new WorkerPool(out, 1);
  });
  afterAll(() => pool.dispose());

  it('converts with progress in bytes', async () => {
    const dir = fresh();
    const progress: Array<[number, number]> = [];
    const r = await pool.run('convert', { file: join(FIXTURES, 'models/big.pt'), out: join(dir, 'big.safetensors'), options: { dtype: 'bfloat16' } }, { onProgress: (d, t) => progress.push([d, t]) });
    expect(r).toMatchObject({ files: [join(dir, 'big.safetensors')], tensors: 2, aliases: 0, bytes: (600 * 512 + 300 * 512) * 2, skipped: [] });
    expect(progress.at(-1)).toEqual([r.bytes, r.bytes]);
    expect(readdirSync(dir)).toEqual(['big.safetensors']);
  });

  it('errors arrive as Error with the one-line message', async () => {
    await expect(pool.run('convert', { file: join(FIXTURES, 'convert/ckpt_ema.pt'), out: join(fresh(), 'x.safetensors'), options: { key: 'best' } })).rejects.toThrow("--key 'best' not found; the checkpoint holds: model, ema, optimizer");
  });

  it('cancelled, it leaves nothing: with waitForCancelled (TensorService.convert) the promise settles after the worker cleaned up', async () => {
    const dir = fresh();
    const controller = new AbortController();
    const reason = new Error('stop');
    const run = pool.run('convert', { file: join(FIXTURES, 'models/big.pt'), out: join(dir, 'big.safetensors'), options: { dtype: 'float16' } }, { signal: controller.signal, waitForCancelled: true, onProgress: () => controller.abort(reason) });
    await expect(run).rejects.toBe(reason);
    expect(readdirSync(dir)).toEqual([]);
    // The worker is free again afterwards.
    const again = await pool.run('convert', { file: join(FIXTURES, 'models/net.pt'), out: join(dir, 'net.safetensors'), options: {} });
    expect(again.tensors).toBe(4);
  });
});

describe('plan pieces', () => {
  it('parses shard sizes as huggingface_hub does (decimal KB/MB/GB, binary KiB/MiB/GiB)', () => {
    expect(parseShardSize('5GB')).toBe(5_000_000_000);
    expect(parseShardSize('500MB')).toBe(500_000_000);
    expect(parseShardSize('2GiB')).toBe(2 ** 31);
    expect(parseShardSize('1048576')).toBe(1048576);
    expect(() => parseShardSize('0')).toThrow(/--max-shard-size/);
    expect(() => parseShardSize('5 parsecs')).toThrow(/--max-shard-size/);
  });

  const t = (name: string, bytes: number): PlannedTensor => ({ name, bytes, dtype: 'uint8', code: 'U8', shape: [bytes], tensor: null as never });

  it('fills shards in order, a tensor bigger than the limit alone (the Hub splitter)', () => {
    const shards = splitShards([t('a', 6), t('b', 6), t('c', 2), t('d', 12), t('e', 2), t('f', 2)], 10);
    expect(shards.map((s) => s.map((x) => x.name))).toEqual([['a'], ['d'], ['b', 'c', 'e'], ['f']]);
    expect(shardFileNames('model.safetensors', 3)).toEqual({ shards: ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'], index: 'model.safetensors.index.json' });
  });

  it('pads the header with spaces to a multiple of 8 and lays offsets end to end', () => {
    const { bytes, dataBytes } = safetensorsHeader([t('a', 3), t('b', 5)], { format: 'pt' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(bytes.length).toBe(8 + n);
    const text = new TextDecoder().decode(bytes.subarray(8));
    expect(text).toMatch(/} *$/);
    expect(JSON.parse(text)).toEqual({ __metadata__: { format: 'pt' }, a: { dtype: 'U8', shape: [3], data_offsets: [0, 3] }, b: { dtype: 'U8', shape: [5], data_offsets: [3, 8] } });
    expect(dataBytes).toBe(8);
  });

  it('--module naming the root is the whole model', async () => {
    const dir = fresh();
    const whole = await convertModel(join(FIXTURES, 'models/rgnet.pt'), join(dir, 'a.safetensors'));
    const root = await convertModel(join(FIXTURES, 'models/rgnet.pt'), join(dir, 'b.safetensors'), { module: 'rgnet' });
    expect(root.tensors).toBe(whole.tensors);
    expect(readFileSync(join(dir, 'b.safetensors')).equals(readFileSync(join(dir, 'a.safetensors')))).toBe(true);
  });

  it('writes the version package.json gives', () => {
    expect(PARAMSCOPE_VERSION).toBe((JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version);
  });
});
