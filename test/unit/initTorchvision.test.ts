// Init attribution on models nobody here wrote: torchvision's own models, built by torchvision with
// weights=None (its init code ran), seeds 0 and 1; labels read from torchvision's source
// (test/fixtures/make_torchvision_init.py). The table pinned below is docs/init-detection.md's.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { attributeModelInit, initGroup, type InitLayer } from '../../src/model/init/attributeModelInit';
import { detectInit, schemeKey, type InitDetection, type SchemeFit } from '../../src/model/init/detectInit';
import { detectModelInit } from '../../src/model/init/detectModelInit';
import { describeInit } from '../../src/model/init/describeInit';
import { fans } from '../../src/model/init/fans';
import type { ModelIndex } from '../../src/core/modelIndex';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { readValues } from '../../src/runtime/readValues';
import { FIXTURES } from './fixtureFiles';

interface Label {
  scheme: string;
  mode?: string;
  nonlinearity?: string;
  value?: number;
  mean?: number;
  std?: number;
  low?: number;
  high?: number;
  call?: string;
}
interface PickledTensor {
  key: string;
  shape: number[];
  moduleType: string;
  label: Label;
}
interface TvTensor {
  name: string;
  family: string;
  seed: number;
  key: string;
  shape: number[];
  moduleType: string;
  label: Label;
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'init', 'torchvision_init.json'), 'utf8')) as {
  tensors: TvTensor[];
  pickled: { file: string; tensors: PickledTensor[] };
  rounded: Array<{ file: string; dtype: string; labels: Record<string, Label> }>;
};

/** Whether a scheme as detected is the label's law and spelling. */
function matches(s: SchemeFit, label: Label): boolean {
  const p = s.params;
  switch (label.scheme) {
    case 'zeros':
      return s.scheme === 'zeros';
    case 'constant':
      return s.scheme === 'constant' && Math.abs(Number(p.value) - label.value!) <= 1e-6 * Math.abs(label.value!);
    case 'normal':
      return s.scheme === 'normal' && Math.abs(Number(p.std) / label.std! - 1) < 0.1 && Math.abs(Number(p.mean) - label.mean!) < 0.1 * label.std!;
    case 'uniform':
      return s.scheme === 'uniform' && Math.abs(Number(p.low) / label.low! - 1) < 0.05 && Math.abs(Number(p.high) / label.high! - 1) < 0.05;
    case 'pytorch_default':
      return s.scheme === 'pytorch_default';
    default:
      return s.scheme === label.scheme && schemeKey(s) === schemeKey({ scheme: label.scheme, params: { mode: label.mode!, nonlinearity: label.nonlinearity! } });
  }
}

type Outcome = 'correct' | 'equivalent' | 'wrong';
const outcome = (d: InitDetection, label: Label): Outcome => (matches(d, label) ? 'correct' : d.equivalent.some((e) => matches(e, label)) ? 'equivalent' : 'wrong');

let index: ModelIndex;
const perTensor = new Map<string, InitDetection>();
beforeAll(async () => {
  index = await openModel(join(FIXTURES, 'init', 'torchvision_init.safetensors'));
  const src = await FileByteSource.open(index.file);
  try {
    const shapes = new Map(manifest.tensors.map((t) => [t.name, t.shape]));
    for (const t of manifest.tensors) {
      const entry = index.tensors.find((x) => x.name === t.name)!;
      const values = await readValues(src, entry, { count: entry.count });
      const count = t.shape.reduce((a, b) => a * b, 1);
      const w = t.key.endsWith('bias') ? shapes.get(t.name.replace(/bias$/, 'weight')) : undefined;
      perTensor.set(t.name, detectInit({ values, shape: t.shape, biasFanIn: w ? fans(w)?.fanIn : undefined, sampled: values.length < count }));
    }
  } finally {
    await src.close();
  }
});

/** Detections of every fixture tensor: per tensor alone, or attributed per model with or without module types. */
function detections(mode: 'tensor' | 'types' | 'names'): Map<string, InitDetection> {
  if (mode === 'tensor') return perTensor;
  const out = new Map<string, InitDetection>();
  const models = new Map<string, TvTensor[]>();
  for (const t of manifest.tensors) models.set(`${t.family}.s${t.seed}`, [...(models.get(`${t.family}.s${t.seed}`) ?? []), t]);
  for (const ts of models.values()) {
    const layers: InitLayer[] = ts.map((t) => ({ name: t.key, shape: t.shape, moduleType: mode === 'types' ? t.moduleType : null, detection: perTensor.get(t.name)! }));
    attributeModelInit(layers).forEach((d, i) => out.set(ts[i]!.name, d));
  }
  return out;
}

type Row = [layers: number, correct: number, equivalent: number, wrong: number];

/** Rows `family · group`: layers, correct, equivalent set holds the truth, wrong. */
function table(mode: 'tensor' | 'types' | 'names'): Record<string, Row> {
  const ds = detections(mode);
  const shapes = new Map(manifest.tensors.map((t) => [`${t.family}.s${t.seed}.${t.key}`, t.shape]));
  const rows: Record<string, Row> = {};
  for (const t of manifest.tensors) {
    const group = initGroup(t.key, t.shape, t.moduleType, (n) => shapes.get(`${t.family}.s${t.seed}.${n}`));
    const row = (rows[`${t.family} · ${group}`] ??= [0, 0, 0, 0]);
    const o = outcome(ds.get(t.name)!, t.label);
    row[0]++;
    row[o === 'correct' ? 1 : o === 'equivalent' ? 2 : 3]++;
  }
  return rows;
}

const totals = (rows: Record<string, Row>): Row => Object.values(rows).reduce<Row>((a, r) => [a[0] + r[0], a[1] + r[1], a[2] + r[2], a[3] + r[3]], [0, 0, 0, 0]);

function misses(mode: 'tensor' | 'types' | 'names'): string[] {
  const ds = detections(mode);
  return manifest.tensors.filter((t) => outcome(ds.get(t.name)!, t.label) !== 'correct').map((t) => `${t.name} ${JSON.stringify(t.shape)}: ${describeInit(ds.get(t.name)!).label} (truth ${JSON.stringify(t.label)})`);
}

/** A fixture tensor by family, seed 0, and a predicate on its key and shape. */
const find = (family: string, pick: (t: TvTensor) => boolean): TvTensor => manifest.tensors.find((t) => t.family === family && t.seed === 0 && pick(t))!;

describe('init attribution on torchvision models (labels read from torchvision source)', () => {
  it('names every tensor of 10 families × 2 seeds right once layers are judged per module type', () => {
    if (process.env.PARAMSCOPE_INIT_TABLE) writeFileSync(process.env.PARAMSCOPE_INIT_TABLE, JSON.stringify({ tensor: table('tensor'), types: table('types'), names: table('names') }, null, 1));
    // docs/init-detection.md's table. Types from a pickled module tree, or roles from state_dict shapes.
    expect(totals(table('types')), misses('types').join('\n')).toEqual([758, 758, 0, 0]);
    expect(totals(table('names')), misses('names').join('\n')).toEqual([758, 758, 0, 0]);
  });

  it('tensor by tensor, ties between laws stay ties: the misses are the ones the model-level pass fixes', () => {
    const rows = table('tensor');
    expect(totals(rows)).toEqual([758, 733, 11, 14]);
    // Depthwise and 1×1 convs whose sample cannot tell kaiming fan_out from xavier: listed, not hidden.
    expect(rows['mobilenet_v2 · Conv2d.weight']).toEqual([22, 18, 4, 0]);
    // Fixed-std normals (0.01, 0.02) that a named law matches within 2,048 values' resolution.
    expect(rows['convnext_tiny · Conv2d.weight']).toEqual([14, 7, 0, 7]);
    expect(rows['vgg11 · Linear.weight']).toEqual([6, 5, 0, 1]);
  });

  it("calls resnet18's conv1 kaiming_normal(fan_out, relu), with the runner-up's parameters", () => {
    const t = find('resnet18', (x) => x.key === 'conv1.weight');
    const d = detections('types').get(t.name)!;
    expect(d.scheme).toBe('kaiming_normal');
    expect(d.params).toMatchObject({ mode: 'fan_out', nonlinearity: 'relu' });
    const text = describeInit(d);
    expect(text.label).toBe(`kaiming_normal(mode=fan_out, nonlinearity=relu, std=${Number(Math.sqrt(2 / (64 * 49)).toPrecision(4))})`);
    expect(text.runnerUp).toMatch(/^\w+\(.*=.*\)/);
  });

  it('says a strided conv\'s kaiming_normal(fan_out, relu) is kaiming_normal(fan_in, linear) for its shape', () => {
    // fan_out = 2·fan_in: 2/fan_out = 1/fan_in.
    const t = find('resnet18', (x) => x.shape.length === 4 && x.shape[0] === 2 * x.shape[1]!);
    const d = detections('types').get(t.name)!;
    expect(d.scheme).toBe('kaiming_normal');
    expect(d.params).toMatchObject({ mode: 'fan_out', nonlinearity: 'relu' });
    expect(d.equivalent.find((e) => e.params.mode === 'fan_in')).toMatchObject({ scheme: 'kaiming_normal', params: { nonlinearity: 'linear' }, relation: 'same_law' });
    expect(describeInit(d).equivalent).toContain('kaiming_normal(fan_out, relu) ≡ kaiming_normal(fan_in, linear) for this shape');
  });

  it("calls mobilenet_v2's depthwise convs [C, 1, 3, 3] kaiming_normal(fan_out, relu), from the module type", () => {
    const depthwise = manifest.tensors.filter((t) => t.family === 'mobilenet_v2' && t.shape.length === 4 && t.shape[1] === 1);
    expect(depthwise.length).toBeGreaterThan(3);
    for (const t of depthwise) expect(schemeKey(detections('names').get(t.name)!), t.name).toBe('kaiming_normal(fan_out, relu)');
  });

  it('reads module types from a pickled torchvision model and attributes every tensor as its source says', async () => {
    const index = await openModel(join(FIXTURES, manifest.pickled.file));
    expect(index.moduleTreeSource).toBe('pickle');
    const results = new Map((await detectModelInit(index)).map((r) => [r.name, r]));
    const wrong: string[] = [];
    for (const t of manifest.pickled.tensors) {
      const d = results.get(t.key)!;
      if (!matches(d, t.label)) wrong.push(`${t.key}: ${describeInit(d).label}`);
    }
    expect(wrong).toEqual([]);
    const conv = results.get(manifest.pickled.tensors.find((t) => t.moduleType.endsWith('.Conv2d'))!.key)!;
    expect(conv.moduleScheme).toMatchObject({ group: 'Conv2d.weight', scheme: 'kaiming_normal', params: { mode: 'fan_out', nonlinearity: 'relu' } });
  });

  it("keeps a layer's own verdict where its values rule the module type's scheme out: squeezenet's final conv", () => {
    const t = find('squeezenet1_1', (x) => x.key === 'classifier.1.weight');
    const d = detections('types').get(t.name)!;
    expect(d.scheme).toBe('normal');
    expect(Number(d.params.std)).toBeCloseTo(0.01, 3);
    expect(d.moduleScheme).toMatchObject({ group: 'Conv2d.weight', scheme: 'kaiming_uniform', params: { mode: 'fan_in', nonlinearity: 'relu' } });
    expect(d.decidedBy).toBeUndefined();
  });

  it('says what unknown and too_few mean instead of an empty call', () => {
    const unknown = describeInit(detectInit({ values: Float64Array.from({ length: 4000 }, (_, i) => (i % 2 ? 1 : -1) + Math.sin(i) * 0.01), shape: [40, 100] }));
    expect(unknown.label).toBe('unknown');
    expect(unknown.meaning).toBe('no scheme fits these values (trained weights?)');
    expect(describeInit(detectInit({ values: Float64Array.from([0.1, -0.3, 0.2]), shape: [3] }))).toMatchObject({ label: 'too_few', meaning: '3 values are too few to tell schemes apart' });
  });

  it('words a depthwise conv judged alone as a tie, with the module type deciding it per model', () => {
    const t = manifest.tensors.find((x) => x.family === 'mobilenet_v2' && x.shape.length === 4 && x.shape[1] === 1 && outcome(perTensor.get(x.name)!, x.label) === 'equivalent')!;
    const alone = describeInit(perTensor.get(t.name)!);
    expect(alone.equivalent.some((e) => /^\w+\(.*\) ≈ kaiming_normal\(mode=fan_out, nonlinearity=relu, std=[\d.]+\): \d+ values cannot tell them apart$/.test(e)), alone.equivalent.join('\n')).toBe(true);
    const model = describeInit(detections('names').get(t.name)!);
    expect(model.label).toMatch(/^kaiming_normal\(mode=fan_out, nonlinearity=relu, std=/);
    expect(model.module).toMatch(/^conv\.weight layers: kaiming_normal\(fan_out, relu\) \(\d+ of \d+ layers whose values single out one law.*it decides here/);
  });

  it('groups tensors by module class where the pickle names one, else by the shape role of the weight', () => {
    const shapes = new Map<string, number[]>([['0.weight', [8, 4, 3, 3]], ['1.weight', [8]], ['2.weight', [10, 8]]]);
    const of = (n: string) => shapes.get(n);
    expect(initGroup('features.0.weight', [8, 4, 3, 3], 'torch.nn.modules.conv.Conv2d', of)).toBe('Conv2d.weight');
    expect(initGroup('0.weight', [8, 4, 3, 3], null, of)).toBe('conv.weight');
    expect(initGroup('0.bias', [8], null, of)).toBe('conv.bias');
    expect(initGroup('1.bias', [8], null, of)).toBe('norm.bias');
    expect(initGroup('2.bias', [10], null, of)).toBe('linear.bias');
    expect(initGroup('emb.weight', [100, 16], null, of)).toBe('linear.weight');
    expect(initGroup('scale', [], null, of)).toBe('0-D scale');
    expect(initGroup('3.bias', [10], null, of)).toBe('1-D bias');
  });

  it.each(manifest.rounded.map((r) => [r.dtype, r] as const))('allows for %s rounding: a uniform\'s largest value beyond its bound is rounding, not another scheme', async (_, r) => {
    const index = await openModel(join(FIXTURES, r.file));
    const results = new Map((await detectModelInit(index)).map((x) => [x.name, x]));
    for (const [name, label] of Object.entries(r.labels)) expect(matches(results.get(name)!, label), `${name}: ${describeInit(results.get(name)!).label}`).toBe(true);
    // The same values judged as if stored exactly: the Linear's bound looks exceeded.
    const t = index.tensors.find((x) => x.name === '3.weight')!;
    const src = await FileByteSource.open(index.file);
    try {
      const values = await readValues(src, t, { count: t.count });
      expect(detectInit({ values, shape: t.shape, biasFanIn: undefined }).scheme).not.toBe('pytorch_default');
    } finally {
      await src.close();
    }
  });
});
