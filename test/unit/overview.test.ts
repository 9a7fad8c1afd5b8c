// The model overview's analysis (model/overview.ts) on torch-made Llama-shaped checkpoints: torch's
// parameter counts per block (tied counted once), the parameter kinds over depth, and the flagged
// layers NumPy computed by the documented rule (test/fixtures/make_overview_fixtures.py); the
// llama.cpp-made GGUF's blk stack and quantization mix.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Outlier } from '../../src/core/overview';
import type { MomentStats } from '../../src/core/results';
import { findOutliers, layerPositions, modifiedZScores, overviewStructure, spreadOrder, stackTensors, type JudgedStats } from '../../src/model/overview';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { computeTensorStats } from '../../src/runtime/stats';
import { FIXTURES } from './fixtureFiles';
import { bundleCli, runCli } from './cliProcess';

interface TorchStats {
  count: number;
  zeros: number;
  nonfinite: number;
  l2: number;
  std: number | null;
  absMax: number;
}
interface ExpectedFile {
  file: string;
  totalParameters: number;
  tensorsInFile: number;
  tied: number;
  blocks: Record<string, number>;
  dtypes: Record<string, number>;
  layers: number;
  kinds: Record<string, string[]>;
  stats: Record<string, TorchStats>;
  outliers: Array<{ name: string; layer: number; kind: string; stat: string; reason: string; value?: number; median?: number; z?: number }>;
}
const DIR = join(FIXTURES, 'overview');
const expected = JSON.parse(readFileSync(join(DIR, 'expected_overview.json'), 'utf8')) as { files: ExpectedFile[] };

const judged = (s: TorchStats): JudgedStats => ({ count: s.count, zeros: s.zeros, nan: s.nonfinite, inf: 0, l2: s.l2, std: s.std, absMax: s.absMax });
const key = (o: { name: string; stat: string; reason: string }): string => `${o.name} ${o.stat} ${o.reason}`;

describe.each(expected.files.map((f) => [f.file, f] as const))('overview of %s (torch-made)', (_file, exp) => {
  it('counts parameters per block as torch does, the tied lm_head once', async () => {
    const index = await openModel(join(DIR, exp.file));
    expect(index.tensors.length).toBe(exp.tensorsInFile);
    const s = overviewStructure(index);
    expect(s.totalParameters).toBe(exp.totalParameters);
    expect(s.tied).toBe(exp.tied);
    expect(Object.fromEntries(s.blocks.map((b) => [b.block, b.parameters]))).toEqual(exp.blocks);
    expect(Object.fromEntries(s.dtypes.map((d) => [d.dtype, d.parameters]))).toEqual(exp.dtypes);
    expect(s.dtypes[0]!.bytes).toBe(4 * exp.totalParameters);
    // Largest block first; every layer block belongs to the stack.
    expect(s.blocks.map((b) => b.parameters)).toEqual([...s.blocks.map((b) => b.parameters)].sort((a, b) => b - a));
    expect(s.blocks.filter((b) => b.stack === 'model.layers').length).toBe(exp.layers);
    expect(s.stacks).toEqual([{ stack: 'model.layers', layers: Array.from({ length: exp.layers }, (_, i) => i), parameters: Object.entries(exp.blocks).filter(([b]) => b.startsWith('model.layers.')).reduce((a, [, n]) => a + n, 0) }]);
    expect(Object.fromEntries(s.kinds.map((k) => [k.kind, k.layers.map((l) => l.name)]))).toEqual(exp.kinds);
  });

  it('flags the layers NumPy flags, on torch’s statistics and on ours', async () => {
    const index = await openModel(join(DIR, exp.file));
    const s = overviewStructure(index);
    // The rule alone, fed torch's numbers: the same layers, the same modified z-scores.
    const fromTorch = findOutliers(s.kinds, (name) => (exp.stats[name] ? judged(exp.stats[name]) : undefined));
    expect(fromTorch.map(key).sort()).toEqual(exp.outliers.map(key).sort());
    for (const o of exp.outliers.filter((x) => x.reason === 'robust')) {
      const ours = fromTorch.find((x) => key(x) === key(o))!;
      expect(ours.z).toBeCloseTo(o.z!, 6);
      expect(ours.median).toBeCloseTo(o.median!, 12);
    }
    // Our statistics of the file's bytes, then the rule: the same answer.
    const src = await FileByteSource.open(index.file);
    const stats = new Map<string, MomentStats>();
    try {
      for (const t of stackTensors(index, s)) {
        const r = await computeTensorStats(src, t);
        const torch = exp.stats[t.name]!;
        expect(r.l2!).toBeCloseTo(torch.l2, 10);
        expect(r.absMax).toBe(torch.absMax);
        if (torch.std !== null) expect(r.std!).toBeCloseTo(torch.std, 10);
        stats.set(t.name, r);
      }
    } finally {
      await src.close();
    }
    const ours: Outlier[] = findOutliers(s.kinds, (name) => stats.get(name));
    expect(ours.map(key).sort()).toEqual(exp.outliers.map(key).sort());
  });
});

describe('the rule', () => {
  it('scores by the median and MAD, so one wild layer does not hide itself', () => {
    // numpy: 0.6745 * (x - median) / MAD with x = [1, 2, 3, 4, 100]: median 3, MAD 1.
    expect(modifiedZScores([1, 2, 3, 4, 100])).toEqual([-1.349, -0.6745, 0, 0.6745, 0.6745 * 97]);
    // MAD 0 (most values equal): the mean absolute deviation × 1.253314 stands in.
    const z = modifiedZScores([5, 5, 5, 5, 9]);
    expect(z[4]).toBeCloseTo(4 / (1.253314 * 0.8), 12);
    expect(modifiedZScores([2, 2, 2])).toEqual([0, 0, 0]);
  });

  it('flags NaN/Inf and all-zero layers whatever the depth, and no tight 1 % spread', () => {
    const kinds = [{ kind: 'h.*.w', stack: 'h', layers: [0, 1, 2, 3, 4, 5].map((layer) => ({ layer, name: `h.${layer}.w` })) }];
    const base = (l2: number): JudgedStats => ({ count: 4, zeros: 0, nan: 0, inf: 0, l2, std: l2 / 2, absMax: l2 });
    const stats: Record<string, JudgedStats> = {
      'h.0.w': base(1),
      'h.1.w': base(1.0001),
      'h.2.w': base(1.0002),
      'h.3.w': base(1.01),
      'h.4.w': { ...base(1), zeros: 4, l2: 0, std: 0, absMax: 0 },
      'h.5.w': { ...base(1), nan: 1 },
    };
    const out = findOutliers(kinds, (n) => stats[n]);
    expect(out.map(key)).toEqual(['h.4.w l2 zero', 'h.5.w absMax nonfinite']);
  });
});

describe('stacks', () => {
  it('finds the first numbered segment shared by several names', () => {
    const p = layerPositions(['encoder.layer.0.attention.q.weight', 'encoder.layer.1.attention.q.weight', 'layers.3.mlp.experts.0.w', 'layers.3.mlp.experts.1.w', 'layers.4.mlp.experts.0.w', 'fc.0.weight', 'head.weight']);
    expect(p.get('encoder.layer.1.attention.q.weight')).toEqual({ stack: 'encoder.layer', layer: 1, kind: 'encoder.layer.*.attention.q.weight' });
    expect(p.get('layers.3.mlp.experts.1.w')).toEqual({ stack: 'layers', layer: 3, kind: 'layers.*.mlp.experts.1.w' });
    // One number under `fc`: no stack.
    expect(p.has('fc.0.weight')).toBe(false);
    expect(p.has('head.weight')).toBe(false);
  });

  it('visits layers coarse to fine', () => {
    expect(spreadOrder(8)).toEqual([0, 4, 2, 6, 1, 3, 5, 7]);
    for (const n of [0, 1, 5, 80]) expect([...spreadOrder(n)].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(spreadOrder(80).slice(0, 3)).toEqual([0, 64, 32]);
  });

  it('reads llama.cpp’s blk.N blocks and the quantization mix of a GGUF (gguf-py made)', async () => {
    const gguf = JSON.parse(readFileSync(join(FIXTURES, 'gguf', 'expected.json'), 'utf8')) as { files: Record<string, { tensors: Array<{ name: string; ggmlType: string; ne: number[]; nbytes: number }> }> };
    const exp = gguf.files['tiny-llama.q4_k.gguf']!.tensors;
    const index = await openModel(join(FIXTURES, 'gguf', 'tiny-llama.q4_k.gguf'));
    const s = overviewStructure(index);
    expect(s.stacks.map((x) => [x.stack, x.layers])).toEqual([['blk', [0, 1]]]);
    expect(s.kinds.map((k) => k.kind)).toContain('blk.*.ffn_down.weight');
    expect(s.totalBytes).toBe(exp.reduce((a, t) => a + t.nbytes, 0));
    const byType = new Map<string, { bytes: number; tensors: number; params: number }>();
    for (const t of exp) {
      const name = t.ggmlType === 'F32' ? 'float32' : t.ggmlType;
      const b = byType.get(name) ?? { bytes: 0, tensors: 0, params: 0 };
      b.bytes += t.nbytes;
      b.tensors++;
      b.params += t.ne.reduce((a, n) => a * n, 1);
      byType.set(name, b);
    }
    expect(Object.fromEntries(s.dtypes.map((d) => [d.dtype, { bytes: d.bytes, tensors: d.tensors, params: d.parameters }]))).toEqual(Object.fromEntries(byType));
  });
});

describe('paramscope overview', () => {
  let cli = '';
  beforeAll(async () => {
    cli = await bundleCli();
  });

  it('--json: torch’s counts and NumPy’s flags', () => {
    for (const exp of expected.files) {
      const r = runCli(cli, 'overview', join(DIR, exp.file), '--json');
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { totalParameters: number; tied: number; outliers: Outlier[]; depth: Array<{ kind: string; layers: Array<{ name: string; absMax: number }> }> };
      expect(out.totalParameters).toBe(exp.totalParameters);
      expect(out.tied).toBe(exp.tied);
      expect(out.outliers.map(key).sort()).toEqual(exp.outliers.map(key).sort());
      for (const k of out.depth) for (const l of k.layers) expect(l.absMax).toBe(exp.stats[l.name]!.absMax);
    }
  });

  it('prints the blocks, the stack and each flagged layer on a line', () => {
    const r = runCli(cli, 'overview', join(DIR, 'llama_outlier.pt'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('215,856 parameters');
    expect(r.stdout).toContain('1 tied view counted once');
    expect(r.stdout).toContain('stack model.layers: 8 layers, 9 parameter kinds');
    expect(r.stdout).toMatch(/model\.layers\.2 +self_attn\.v_proj\.weight +all zeros/);
    expect(r.stdout).toMatch(/model\.layers\.5 +mlp\.down_proj\.weight +l2 21\.53 \(median 1\.746, z 25\.5\)/);
    const bad = runCli(cli, 'overview', join(FIXTURES, 'gguf', 'bad', 'array-count-huge.gguf'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^paramscope: /);
    expect(bad.stderr).not.toMatch(/\n +at /);
  });
});
