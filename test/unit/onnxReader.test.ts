// The ONNX reader on files written by torch.onnx.export and onnx's helpers (test/fixtures/onnx,
// make_onnx_fixtures.py): names, dtypes, shapes, fans and values against what onnx's own parser
// and numpy read back from the same files (expected.json), values read through the runtime.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TensorEntry } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { readValues } from '../../src/runtime/readValues';
import { computeTensorStats } from '../../src/runtime/stats';
import { checkFile } from '../fuzz/oracle';

const DIR = join(__dirname, '..', 'fixtures', 'onnx');

interface Use {
  op: string;
  node: string;
  input: number;
  transB: number;
}
interface ExpectedTensor {
  name: string;
  origin: string;
  graph: string;
  dataType: string;
  dims: number[];
  storage: string;
  values?: Array<number | string>;
  strings?: string[];
  sum?: number;
  min?: number;
  max?: number;
  mean?: number;
  first?: Array<number | string>;
  usedBy?: Use;
}
interface ExpectedFile {
  tensors: ExpectedTensor[];
  model: { ir_version: number; producer_name: string; producer_version: string; opsets: Record<string, number>; inputs: Record<string, Array<number | string>> };
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { files: Record<string, ExpectedFile>; float8: Record<string, Array<number | string>> };

/** ONNX's type names as the index's dtypes (4-bit types: what each element decodes to). */
const DTYPE: Record<string, string> = {
  FLOAT: 'float32', UINT8: 'uint8', INT8: 'int8', UINT16: 'uint16', INT16: 'int16', INT32: 'int32', INT64: 'int64', BOOL: 'bool',
  FLOAT16: 'float16', DOUBLE: 'float64', UINT32: 'uint32', UINT64: 'uint64', COMPLEX64: 'complex64', COMPLEX128: 'complex128',
  BFLOAT16: 'bfloat16', FLOAT8E4M3FN: 'float8_e4m3fn', FLOAT8E4M3FNUZ: 'float8_e4m3fnuz', FLOAT8E5M2: 'float8_e5m2', FLOAT8E5M2FNUZ: 'float8_e5m2fnuz',
  UINT4: 'uint8', INT4: 'int8', FLOAT4E2M1: 'float32',
};

/** Where the reader puts what is not a numeric tensor it can locate, by design (docs/formats.md). */
function listedElsewhere(e: ExpectedTensor): 'metadata' | 'warning' | undefined {
  if (e.dataType === 'STRING') return 'metadata';
  // value_floats / value_ints: onnx writes AttributeProto lists unpacked, one tag per value.
  if (e.origin === 'Constant' && e.storage === 'attribute' && e.dims.length === 1) return 'metadata';
  if (!(e.dataType in DTYPE)) return 'warning';
  // Pairs of 4-bit values in int32_data: two encodings deep, refused.
  if (['UINT4', 'INT4', 'FLOAT4E2M1'].includes(e.dataType) && e.storage === 'typed') return 'warning';
  return undefined;
}

const num = (v: number | string): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));
const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) || a === b;

/** The name onnx gave the tensor: ours, or the original we renamed (opaque names, repeated names). */
const onnxName = (t: TensorEntry): string => (t.details?.onnxName as string | undefined) ?? t.name;

async function valuesOf(t: TensorEntry): Promise<Float64Array> {
  const src = await FileByteSource.open(t.location.file);
  try {
    return await readValues(src, t, { count: t.count });
  } finally {
    await src.close();
  }
}

describe('ONNX reader on files written by torch and onnx', () => {
  for (const [file, want] of Object.entries(expected.files)) {
    it(`${file}: every tensor as onnx reads it (name, dtype, shape, values)`, async () => {
      const index = await openModel(join(DIR, file));
      expect(index.format).toBe('onnx');
      const listed = want.tensors.filter((e) => listedElsewhere(e) === undefined);
      expect(index.tensors.map((t) => [onnxName(t), (t.details?.graph as string | undefined) ?? ''])).toEqual(listed.map((e) => [e.name, e.graph]));
      for (const [i, e] of listed.entries()) {
        const t = index.tensors[i]!;
        expect(t.dtype, e.name).toBe(DTYPE[e.dataType]);
        expect(t.shape, e.name).toEqual(e.dims);
        expect(t.details?.onnxType, e.name).toBe(e.dataType);
        if (e.dataType.startsWith('COMPLEX')) continue; // the runtime reads real dtypes only
        if (e.values) {
          const got = await valuesOf(t);
          expect(got.length, e.name).toBe(e.values.length);
          e.values.forEach((v, k) => expect(same(got[k]!, num(v)), `${e.name}[${k}]: ${got[k]} ≠ ${v}`).toBe(true));
        } else {
          const src = await FileByteSource.open(t.location.file);
          try {
            const s = await computeTensorStats(src, t);
            expect(s.min, e.name).toBe(e.min);
            expect(s.max, e.name).toBe(e.max);
            expect(s.mean!, e.name).toBeCloseTo(e.mean!, 6);
            const first = await readValues(src, t, { count: e.first!.length });
            expect([...first], e.name).toEqual(e.first!.map(num));
          } finally {
            await src.close();
          }
        }
      }
      // What is not a tensor is said: strings and unpacked lists in the metadata, the rest in a warning each.
      for (const e of want.tensors) {
        const where = listedElsewhere(e);
        if (where === 'metadata') expect(Object.keys(index.metadata).some((k) => k.endsWith(`.${e.name}`)), e.name).toBe(true);
        if (where === 'warning') expect(index.warnings.some((w) => w.startsWith(`tensor ${e.name} is left out`)), e.name).toBe(true);
      }
      expect(index.warnings.length).toBe(want.tensors.filter((e) => listedElsewhere(e) === 'warning').length);
    });
  }

  it("the model's own fields, opsets and graph inputs (with dim_param) are metadata", async () => {
    for (const [file, want] of Object.entries(expected.files)) {
      const index = await openModel(join(DIR, file));
      expect(index.metadata.ir_version, file).toBe(want.model.ir_version);
      expect(index.metadata.producer_name, file).toBe(want.model.producer_name);
      expect(index.container?.irVersion, file).toBe(want.model.ir_version);
      for (const [domain, version] of Object.entries(want.model.opsets)) expect(index.metadata[`opset_import.${domain}`], file).toBe(version);
      for (const [name, dims] of Object.entries(want.model.inputs)) expect(index.metadata[`graph.input.${name}`], file).toMatch(new RegExp(`\\[${dims.join(', ')}\\]$`));
    }
    const mlp = await openModel(join(DIR, 'mlp.onnx'));
    expect(mlp.metadata['graph.input.x']).toBe('FLOAT[batch, 8]');
    expect(mlp.metadataTypes?.['ir_version']).toBe('int64');
    expect(mlp.container).toMatchObject({ producer: 'pytorch 1.13.0', opsets: 'ai.onnx 13', graphs: 1, nodes: 3, tensors: 4 });
  });

  it('names from torch (fc1.weight) make the module tree; opaque names take their consumer (node path and input role)', async () => {
    const mlp = await openModel(join(DIR, 'mlp.onnx'));
    expect(mlp.modules.children.map((m) => m.name)).toEqual(['fc1', 'fc2']);
    expect(mlp.tensors.find((t) => t.name === 'fc1.weight')!.path).toBe('mlp.fc1.weight');
    const conv = await openModel(join(DIR, 'convnet.onnx'));
    const w = conv.tensors.find((t) => t.details?.onnxName === 'onnx::Conv_16')!;
    expect(w.name).toBe('conv.Conv.W');
    expect(w.details?.usedBy).toBe('Conv /conv/Conv');
    expect(conv.modules.children.find((m) => m.name === 'conv')!.children.map((m) => m.name)).toEqual(['Conv']);
    const opaque = await openModel(join(DIR, 'opaque_names.onnx'));
    expect(opaque.tensors.map((t) => t.name)).toEqual(['encoder.proj.MatMul.B', 'encoder.fc.Gemm.B', 'encoder.out.Gemm.B', 'shared.weight']);
  });

  it("fans where the consuming op's layout is not torch's: MatMul's B and Gemm's B with transB = 0", async () => {
    for (const file of ['mlp.onnx', 'mlp3d.onnx', 'convnet.onnx', 'opaque_names.onnx', 'float16.onnx']) {
      const index = await openModel(join(DIR, file));
      for (const e of expected.files[file]!.tensors) {
        const t = index.tensors.find((x) => onnxName(x) === e.name)!;
        const u = e.usedBy;
        const inOut = u && u.input === 1 && e.dims.length === 2 && (u.op === 'MatMul' || (u.op === 'Gemm' && u.transB === 0));
        expect(t.fans, `${file} ${e.name}`).toEqual(inOut ? { fanIn: e.dims[0], fanOut: e.dims[1] } : undefined);
      }
    }
  });

  it('an initializer used by two nodes is one tensor; each initializer has its own storage key', async () => {
    const index = await openModel(join(DIR, 'opaque_names.onnx'));
    expect(index.tensors.filter((t) => t.name === 'shared.weight')).toHaveLength(1);
    expect(index.tensors.find((t) => t.name === 'shared.weight')!.details?.usedBy).toBe('MatMul /tied/first/MatMul');
    const types = await openModel(join(DIR, 'types.onnx'));
    expect(new Set(types.tensors.map((t) => t.location.storageKey)).size).toBe(types.tensors.length);
  });

  it('external data is read from the file beside the model, with the same values as the model with its data inside', async () => {
    const ext = await openModel(join(DIR, 'external', 'mlp_external.onnx'));
    const inside = await openModel(join(DIR, 'mlp.onnx'));
    expect(ext.tensors.map((t) => t.name)).toEqual(inside.tensors.map((t) => t.name));
    for (const [i, t] of ext.tensors.entries()) {
      expect(t.location.file).toBe(join(DIR, 'external', 'mlp_external.onnx.data'));
      expect(t.details?.externalLocation).toBe('mlp_external.onnx.data');
      expect([...(await valuesOf(t))]).toEqual([...(await valuesOf(inside.tensors[i]!))]);
    }
    expect(ext.container?.externalData).toBe('mlp_external.onnx.data');
  });

  it('typed fields: float_data is located as it lies, int32_data/int64_data/uint64_data as varints of the element width, 4-bit types as nibbles', async () => {
    const index = await openModel(join(DIR, 'types.onnx'));
    const t = (name: string): TensorEntry => index.tensors.find((x) => x.name === name)!;
    expect(t('typed_FLOAT').location.encoding).toBeUndefined();
    expect(t('typed_FLOAT').details?.storage).toBe('float_data');
    expect(t('typed_INT8').location.encoding).toMatchObject({ kind: 'varint', width: 1 });
    expect(t('typed_BFLOAT16').location.encoding).toMatchObject({ kind: 'varint', width: 2 });
    expect(t('typed_INT64').location.encoding).toMatchObject({ kind: 'varint', width: 8 });
    expect(t('typed_UINT32').location.encoding).toMatchObject({ kind: 'varint', width: 4 });
    expect(t('typed_UINT32').details?.storage).toBe('uint64_data');
    expect(t('raw_INT4').location).toMatchObject({ storageOffset: 0, storageBytes: 10, encoding: { kind: 'nibbles', as: 'int4', bytes: 5 } });
    expect(t('raw_FLOAT4E2M1').location).toMatchObject({ storageOffset: 0, storageBytes: 40, encoding: { kind: 'nibbles', as: 'float4_e2m1', bytes: 5 } });
    expect(index.warnings).toContain('tensor raw_FLOAT8E8M0 is left out: unsupported type 24 (FLOAT8E8M0)');
    expect(index.metadata['string_tensor.strings']).toEqual(['alpha', 'beta', 'gamma']);
    expect(index.metadataTypes?.['string_tensor.strings']).toBe('STRING[3]');
  });

  it("Constants are named by their output; value_floats/value_ints (unpacked in every onnx file) are metadata; sparse values and indices are tensors", async () => {
    const index = await openModel(join(DIR, 'constants.onnx'));
    expect(index.tensors.map((t) => t.name)).toEqual(['c_tensor', 'c_float', 'c_int', 'c_sparse.values', 'c_sparse.indices']);
    expect(index.metadata['constant.c_floats']).toEqual([1, 2.5, -3]);
    expect(index.metadata['constant.c_ints']).toEqual([3, -1, 300]);
    expect(index.metadataTypes?.['constant.c_ints']).toBe('INT64[3]');
    expect(index.tensors.find((t) => t.name === 'c_sparse.values')!.details?.sparseShape).toEqual([2, 3]);
    expect(index.notes.join('\n')).toMatch(/the Constant c_string holds 1 string/);
    const sparse = await openModel(join(DIR, 'sparse.onnx'));
    expect(sparse.tensors.map((t) => [t.name, t.kind])).toEqual([['sparse.weight.values', 'parameter'], ['sparse.weight.indices', 'buffer']]);
  });

  it("subgraph tensors carry their graph's path; a name met again is prefixed with it", async () => {
    const index = await openModel(join(DIR, 'subgraphs.onnx'));
    expect(index.tensors.map((t) => t.name)).toEqual(['else_bias', 'w', 'then_bias', 'choose.then_branch.w', 'loop.step', 'trips']);
    expect(index.tensors.map((t) => t.details?.graph ?? '')).toEqual(['choose.else_branch', 'choose.else_branch', 'choose.then_branch', 'choose.then_branch', 'repeat.body', '']);
    expect(index.container?.graphs).toBe(4);
  });

  it('the FNUZ float8 types decode to the values ml_dtypes gives every byte', async () => {
    const { FLOAT8_E4M3FNUZ_VALUES, FLOAT8_E5M2FNUZ_VALUES } = await import('../../src/runtime/floatTables');
    for (const [name, table] of [['float8_e4m3fnuz', FLOAT8_E4M3FNUZ_VALUES], ['float8_e5m2fnuz', FLOAT8_E5M2FNUZ_VALUES]] as const) {
      const want = expected.float8[name]!.map(num);
      for (let b = 0; b < 256; b++) expect(same(table[b]!, want[b]!), `${name} byte ${b}: ${table[b]} ≠ ${want[b]}`).toBe(true);
    }
  });

  it("every ONNX fixture that opens holds up under the fuzzer's oracle (locations, counts, statistics, analyses)", async () => {
    const files = [...Object.keys(expected.files), ...['bad_dims.onnx', 'deep_subgraphs.onnx', 'external_escape.onnx'].map((f) => join('bad', f))];
    for (const f of files) {
      const check = await checkFile(join(DIR, f), async (p) => readFileSync(p));
      expect(check.outcome, f).toBe('opened');
      expect(check.problems, f).toEqual([]);
    }
  }, 30_000);
});
