import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeriesFlag, SeriesPoint, SeriesResult } from '../../src/core/series';
import { nameNumber, openRun, orderCheckpoints, RunError, sameModelGroup } from '../../src/model/series/run';
import { openModel } from '../../src/model/openModel';
import { inlineSeriesKernels, poolSeriesKernels } from '../../src/model/series/seriesKernels';
import { computeSeries, SeriesCache, seriesNames, type SeriesKernels } from '../../src/model/series/seriesValues';
import { computeRidge } from '../../src/model/series/seriesRidge';
import type { StatsView } from '../../src/core/results';
import { WorkerPool } from '../../src/runtime/workerPool';
import { writeSeriesJson } from '../../src/cliSeries';
import { safetensorsBytes } from './builders';
import { bundleCli, runCli } from './cliProcess';
import { FIXTURES } from './fixtureFiles';

/** What make_series_fixtures.py wrote: torch's float64 values for each run. */
interface ExpectedPoint { norm: number | null; mean: number | null; std: number | null; maxAbs: number | null; nan: number; inf: number; relPrev: number | null; relFirst: number | null }
interface ExpectedRun {
  files: string[];
  orderedBy: string;
  orders: number[];
  leftOut: string[];
  tensors: Array<{ name: string; floating: boolean; points: Array<ExpectedPoint | null>; flags: SeriesFlag[] }>;
  declared?: { frozen: string[]; exploded: string[]; nonFinite: string[]; added?: Record<string, number>; removed?: Record<string, number> };
}
const SERIES = join(FIXTURES, 'series');
const expected = JSON.parse(readFileSync(join(SERIES, 'expected_series.json'), 'utf8')) as Record<string, ExpectedRun>;
/** Checkpoint dicts hold the state_dict under `model`: the run names tensors as the file does. */
const PREFIX: Record<string, string> = { sgd: 'model.', adam: 'model.', plain: '', hf: '' };

function close(actual: number | null, want: number | null, what: string): void {
  if (want === null) return expect(actual, what).toBeNull();
  expect(actual, what).not.toBeNull();
  // float64 sums of at most a few hundred float32 values: agree to ~1e-12 relative.
  expect(Math.abs(actual! - want), `${what}: ${actual} vs torch ${want}`).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(want)));
}

function expectLikeTorch(result: SeriesResult, run: string): void {
  const want = expected[run]!;
  expect(result.orderedBy).toBe(want.orderedBy);
  expect(result.checkpoints.map((c) => c.file)).toEqual(want.files);
  const key = want.orderedBy === 'name' ? 'nameNumber' : want.orderedBy;
  expect(result.checkpoints.map((c) => (c as unknown as Record<string, number>)[key])).toEqual(want.orders);
  expect(result.checkpoints.map((c) => c.order)).toEqual(want.files.map((_, i) => i));
  expect(result.leftOut.map((l) => l.file)).toEqual(want.leftOut);
  expect(result.tensors.map((t) => t.name)).toEqual(want.tensors.map((t) => PREFIX[run] + t.name));
  for (const wt of want.tensors) {
    const t = result.tensors.find((x) => x.name === PREFIX[run] + wt.name)!;
    expect(t.points.length).toBe(wt.points.length);
    wt.points.forEach((wp, i) => {
      const p = t.points[i];
      if (wp === null) return expect(p, `${wt.name}@${i}`).toBeNull();
      expect(p, `${wt.name}@${i}`).not.toBeNull();
      for (const k of ['norm', 'mean', 'std', 'maxAbs', 'relPrev', 'relFirst'] as const) close(p![k], wp[k], `${run} ${wt.name}@${i} ${k}`);
      expect([p!.nan, p!.inf]).toEqual([wp.nan, wp.inf]);
    });
    expect(t.flags.map((f) => ({ ...f, ...(f.kind === 'exploded' ? { factor: 0 } : {}) }))).toEqual(wt.flags.map((f) => ({ ...f, ...(f.kind === 'exploded' ? { factor: 0 } : {}) })));
    for (const f of t.flags) if (f.kind === 'exploded') close(f.factor, (wt.flags.find((x) => x.kind === 'exploded') as { factor: number }).factor, `${wt.name} factor`);
  }
  const d = want.declared;
  if (d) {
    const flagged = (kind: string): string[] => result.tensors.filter((t) => t.flags.some((f) => f.kind === kind)).map((t) => t.name.slice(PREFIX[run]!.length));
    expect(flagged('frozen')).toEqual(d.frozen);
    expect(flagged('exploded')).toEqual(d.exploded);
    expect(flagged('nonFinite')).toEqual(d.nonFinite);
    for (const [name, at] of Object.entries(d.added ?? {})) expect(result.tensors.find((t) => t.name === PREFIX[run] + name)!.added).toBe(at);
    for (const [name, at] of Object.entries(d.removed ?? {})) expect(result.tensors.find((t) => t.name === PREFIX[run] + name)!.removed).toBe(at);
    expect(result.tensors.filter((t) => t.added !== undefined).map((t) => t.name.slice(PREFIX[run]!.length))).toEqual(Object.keys(d.added ?? {}));
    expect(result.tensors.filter((t) => t.removed !== undefined).map((t) => t.name.slice(PREFIX[run]!.length))).toEqual(Object.keys(d.removed ?? {}));
  }
}

const runOf = async (run: string, kernels: SeriesKernels = inlineSeriesKernels()): Promise<SeriesResult> => computeSeries(await openRun([join(SERIES, run)], { relativeTo: join(SERIES, run) }), kernels);

describe('training runs: order', () => {
  it('reads the last number of a name, extensions cut', () => {
    expect(['epoch_10.pt', 'checkpoint-500', 'model.safetensors', 'run3_step20.ckpt', 'v2.model.safetensors.index.json'].map(nameNumber)).toEqual([10, 500, undefined, 20, 2]);
  });

  it('orders by step, else epoch, else name numbers, else mtime, each only when every checkpoint has a distinct one', () => {
    const c = (file: string, o: { step?: number; epoch?: number; nameNumber?: number; mtimeMs?: number }) => ({ file, mtimeMs: 0, ...o });
    expect(orderCheckpoints([c('a', { step: 2, epoch: 1 }), c('b', { step: 1, epoch: 2 })]).orderedBy).toBe('step');
    expect(orderCheckpoints([c('a', { step: 0, epoch: 2 }), c('b', { step: 0, epoch: 1 })]).items.map((x) => x.file)).toEqual(['b', 'a']);
    expect(orderCheckpoints([c('x10', { nameNumber: 10 }), c('x9', { nameNumber: 9 })]).items.map((x) => x.file)).toEqual(['x9', 'x10']);
    const byTime = orderCheckpoints([c('late', { mtimeMs: 5, nameNumber: 1 }), c('early', { mtimeMs: 1 })]);
    expect([byTime.orderedBy, byTime.items.map((x) => x.file)]).toEqual(['mtime', ['early', 'late']]);
  });

  it('orders by modification time when nothing else tells (names without numbers)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paramscope-series-mtime-'));
    const names = ['third.pt', 'first.pt', 'second.pt'];
    // model_9, model_10, model_100 copied under names that say nothing, given mtimes in training order.
    ['model_100.pt', 'model_9.pt', 'model_10.pt'].forEach((src, i) => copyFileSync(join(SERIES, 'plain', src), join(dir, names[i]!)));
    const when = { 'first.pt': 1_000, 'second.pt': 2_000, 'third.pt': 3_000 } as Record<string, number>;
    for (const n of names) utimesSync(join(dir, n), when[n]!, when[n]!);
    const r = await computeSeries(await openRun([dir], { relativeTo: dir }), inlineSeriesKernels());
    expect(r.orderedBy).toBe('mtime');
    expect(r.checkpoints.map((c) => c.file)).toEqual(['first.pt', 'second.pt', 'third.pt']);
    const plain = expected.plain!;
    const w = plain.tensors.find((t) => t.name === '0.weight')!;
    close(r.tensors.find((t) => t.name === '0.weight')!.points[2]!.relFirst, w.points[2]!.relFirst, 'relFirst');
  });
});

describe('training runs against torch', () => {
  for (const run of ['sgd', 'adam', 'plain', 'hf']) {
    it(`${run}: order, every point, flags, added tensors, as torch computes them`, async () => {
      const r = await runOf(run);
      expectLikeTorch(r, run);
      // Optimizer state is never a tensor of the run.
      expect(r.tensors.some((t) => t.name.startsWith('optimizer'))).toBe(false);
      expect(r.warnings).toEqual([]);
    });
  }

  it('the hf run reads trainer_state.json and the sharded index of checkpoint-1000', async () => {
    const run = await openRun([join(SERIES, 'hf')], { relativeTo: join(SERIES, 'hf') });
    expect(run.checkpoints.map((c) => [c.step, c.epoch])).toEqual([[100, 2], [250, 5], [1000, 20]]);
    expect(run.checkpoints[2]!.modelFile.endsWith('model.safetensors.index.json')).toBe(true);
    expect(new Set(run.indexes[2]!.tensors.map((t) => t.location.file)).size).toBe(2);
    // The folders given as a list, out of order; one checkpoint folder alone is no run.
    const listed = await openRun(['checkpoint-1000', 'checkpoint-100'].map((f) => join(SERIES, 'hf', f)));
    expect(listed.checkpoints.map((c) => c.step)).toEqual([100, 1000]);
    await expect(openRun([join(SERIES, 'hf', 'checkpoint-1000')])).rejects.toThrow(/found one readable/);
  });

  it('Trainer’s output folder: the final model beside trainer_state.json is the last checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paramscope-series-trainer-'));
    cpSync(join(SERIES, 'hf'), dir, { recursive: true });
    copyFileSync(join(SERIES, 'hf', 'checkpoint-250', 'model.safetensors'), join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'trainer_state.json'), JSON.stringify({ global_step: 1200, epoch: 24.0 }));
    const run = await openRun([dir], { relativeTo: dir });
    expect([run.orderedBy, run.checkpoints.map((c) => [c.file, c.step])]).toEqual(['step', [['checkpoint-100', 100], ['checkpoint-250', 250], ['checkpoint-1000', 1000], ['model.safetensors', 1200]]]);
  });

  it('a list of files is a run too, ordered by epoch; an added tensor’s earlier points are absent', async () => {
    // Given out of order: ep3 has no extra.weight, ep12 and ep30 have it.
    const files = ['ep12.pt', 'ep30.pt', 'ep3.pt'].map((f) => join(SERIES, 'adam', f));
    const r = await computeSeries(await openRun(files), inlineSeriesKernels());
    expect(r.checkpoints.map((c) => c.epoch)).toEqual([3, 12, 30]);
    const extra = r.tensors.find((t) => t.name === 'model.extra.weight')!;
    expect(extra.added).toBe(1);
    expect(extra.points[0]).toBeNull();
    expect(extra.points[1]!.relFirst).toBe(0);
    expect(extra.points[1]!.relPrev).toBeNull();
  });

  it('in the worker pool: the same numbers, diffs cached per file version, cancellation stops the pass', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'paramscope-series-worker-')), 'tensorWorker.js');
    await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
    const pool = new WorkerPool(out, 2);
    try {
      const cache = new SeriesCache();
      const run = await openRun([join(SERIES, 'adam')], { relativeTo: join(SERIES, 'adam') });
      const progress: Array<[number, number]> = [];
      const rows: Array<[number, ReadonlyArray<SeriesPoint | null>]> = [];
      const result = await computeSeries(run, poolSeriesKernels(pool), { cache, onProgress: (d, t) => progress.push([d, t]), onCheckpoint: (i, ps) => rows.push([i, ps]) });
      expectLikeTorch(result, 'adam');
      // Each checkpoint's points as they are finished, in seriesNames order: the result's, column by column.
      expect(seriesNames(run.indexes).names).toEqual(result.tensors.map((t) => t.name));
      expect(rows.map(([i]) => i)).toEqual([0, 1, 2, 3]);
      for (const [i, ps] of rows) expect(ps).toEqual(result.tensors.map((t) => t.points[i]));
      const total = progress.at(-1)![1];
      expect(progress.at(-1)![0]).toBe(total);
      // Statistics of each present tensor (11 + 11 + 12 + 12); relPrev at 1, 2, 3 (extra.weight has
      // none at 2, where it is added); relFirst read apart at 2 and 3 for the 11 tensors of epoch 1
      // (at 1, and for extra.weight at 3, the previous checkpoint is the first: one diff gives both).
      expect(total).toBe(46 + (11 + 11 + 12) + (11 + 11));
      // A second pass with the cache reads nothing; a checkpoint rewritten since is read again.
      let diffs = 0;
      let stats = 0;
      const counting = poolSeriesKernels(pool);
      const spy: SeriesKernels = { ...counting, diff: (a, b, s) => (diffs++, counting.diff(a, b, s)), stats: (ts, o) => ((stats += ts.length), counting.stats(ts, o)) };
      expectLikeTorch(await computeSeries(run, spy, { cache }), 'adam');
      expect([stats, diffs]).toEqual([0, 0]);
      const copy = mkdtempSync(join(tmpdir(), 'paramscope-series-cache-'));
      for (const f of expected.adam!.files) copyFileSync(join(SERIES, 'adam', f), join(copy, f));
      const copied = await openRun([copy], { relativeTo: copy });
      await computeSeries(copied, counting, { cache });
      [stats, diffs] = [0, 0];
      utimesSync(join(copy, 'ep30.pt'), 5_000, 5_000);
      expectLikeTorch(await computeSeries(copied, spy, { cache }), 'adam');
      // ep30's 12 tensors: their statistics, relPrev, and relFirst apart for the 11 of epoch 1.
      expect([stats, diffs]).toEqual([12, 12 + 11]);

      const controller = new AbortController();
      let seen = 0;
      const pass = computeSeries(run, spy, { signal: controller.signal, onProgress: () => ++seen === 3 && controller.abort() });
      await expect(pass).rejects.toThrow();
      expect(seen).toBeLessThan(total);
    } finally {
      await pool.dispose();
    }
  }, 60_000);

  it('the streamed --json text parses to the result', async () => {
    const r = await runOf('adam');
    let text = '';
    writeSeriesJson(r, (t) => (text += t));
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(r)));
    expect(text.endsWith(']}\n')).toBe(true);
  });

  it('GGUF block types: dequantized as ggml does, norms as ggml’s to_float values give, copies frozen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paramscope-series-q4k-'));
    for (const n of ['step1.gguf', 'step2.gguf']) copyFileSync(join(FIXTURES, 'gguf/types/Q4_K.gguf'), join(dir, n));
    const r = await computeSeries(await openRun([dir], { relativeTo: dir }), inlineSeriesKernels());
    expect(r.orderedBy).toBe('name');
    // Q4_K.f32: ggml's dequantize_row_q4_K output of t (1536 values) then u (1280), float32.
    const f32 = readFileSync(join(FIXTURES, 'gguf/types/Q4_K.f32'));
    const values = new Float32Array(f32.buffer.slice(f32.byteOffset, f32.byteOffset + f32.byteLength));
    const norm = (xs: Float32Array): number => Math.sqrt(xs.reduce((acc, x) => acc + x * x, 0));
    const want = { t: norm(values.subarray(0, 1536)), u: norm(values.subarray(1536, 2816)) } as Record<string, number>;
    expect(r.tensors.map((t) => [t.name, t.dtype])).toEqual([['t', 'Q4_K'], ['u', 'Q4_K']]);
    for (const t of r.tensors) {
      for (const p of t.points) close(p!.norm, want[t.name]!, `${t.name} norm`);
      expect([t.points[1]!.relPrev, t.points[1]!.relFirst]).toEqual([0, 0]);
      expect(t.flags).toEqual([{ kind: 'frozen' }]);
    }
    expect(r.warnings).toEqual([]);
  });
});

describe('training runs: bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paramscope-series-bad-'));
  it('one checkpoint, no checkpoints, different models are RunErrors; an unreadable one is left out', async () => {
    await expect(openRun([join(SERIES, 'sgd', 'epoch_1.pt')])).rejects.toThrow(RunError);
    await expect(openRun([join(SERIES, 'sgd', 'epoch_1.pt'), join(dir, 'nowhere.pt')])).rejects.toThrow(/found one readable .*epoch_1\.pt\); left out .*nowhere\.pt: cannot open \(ENOENT\)$/);
    mkdirSync(join(dir, 'empty'));
    await expect(openRun([join(dir, 'empty')])).rejects.toThrow(/no checkpoints found/);
    await expect(openRun([join(SERIES, 'sgd', 'epoch_1.pt'), join(SERIES, 'sgd', 'other_model.pt')])).rejects.toThrow(/different models/);
    mkdirSync(join(dir, 'mixed'));
    for (const f of ['epoch_1.pt', 'epoch_2.pt']) copyFileSync(join(SERIES, 'sgd', f), join(dir, 'mixed', f));
    writeFileSync(join(dir, 'mixed', 'epoch_3.pt'), 'not a checkpoint');
    const run = await openRun([join(dir, 'mixed')], { relativeTo: join(dir, 'mixed') });
    expect(run.checkpoints.map((c) => c.file)).toEqual(['epoch_1.pt', 'epoch_2.pt']);
    expect(run.leftOut.map((l) => l.file)).toEqual(['epoch_3.pt']);
    // The foreign model found first is not the reference: the majority's model is.
    mkdirSync(join(dir, 'foreignFirst'));
    copyFileSync(join(SERIES, 'sgd', 'other_model.pt'), join(dir, 'foreignFirst', 'a.pt'));
    for (const f of ['epoch_1.pt', 'epoch_2.pt', 'epoch_10.pt']) copyFileSync(join(SERIES, 'sgd', f), join(dir, 'foreignFirst', f));
    const majority = await openRun([join(dir, 'foreignFirst')], { relativeTo: join(dir, 'foreignFirst') });
    expect(majority.checkpoints.map((c) => c.file)).toEqual(['epoch_1.pt', 'epoch_2.pt', 'epoch_10.pt']);
    expect(majority.leftOut.map((l) => l.file)).toEqual(['a.pt']);
  });

  describe('the CLI', () => {
    let cli: string;
    beforeAll(async () => {
      cli = await bundleCli();
    });
    afterAll(() => undefined);

    it('--json has the issue’s shape: checkpoints {file, epoch|step, order}, tensors {name, points}', () => {
      const r = runCli(cli, 'series', join(SERIES, 'sgd'), '--json');
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/^warning: left out other_model\.pt: another model/);
      const j = JSON.parse(r.stdout) as SeriesResult;
      expect(j.orderedBy).toBe('epoch');
      expect(j.checkpoints.map(({ file, epoch, order }) => ({ file, epoch, order }))).toEqual(expected.sgd!.files.map((file, order) => ({ file, epoch: expected.sgd!.orders[order], order })));
      const w = expected.sgd!.tensors[0]!;
      const t = j.tensors[0]!;
      expect(t.name).toBe(`model.${w.name}`);
      expect(Object.keys(t.points[0]!).sort()).toEqual(['inf', 'maxAbs', 'mean', 'nan', 'norm', 'relFirst', 'relPrev', 'std']);
      expect(t.points[0]!.relPrev).toBeNull();
      t.points.forEach((p: SeriesPoint | null, i) => close(p!.relFirst, w.points[i]!.relFirst, `cli relFirst@${i}`));
    });

    it('text: one line per checkpoint, one per tensor, names escaped', () => {
      const r = runCli(cli, 'series', join(SERIES, 'adam'));
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines.slice(0, 5)).toEqual(['4 checkpoints, ordered by the epoch each checkpoint records', '  0  ep1.pt  epoch 1', '  1  ep3.pt  epoch 3', '  2  ep12.pt  epoch 12', '  3  ep30.pt  epoch 30']);
      expect(lines.find((l) => l.startsWith('model.5.weight '))).toMatch(/exploded at 3/);
      expect(lines.find((l) => l.startsWith('model.0.bias '))).toMatch(/NaN\/inf from 3/);
      expect(lines.find((l) => l.startsWith('model.2.weight '))).toMatch(/relFirst 0 {2}frozen$/);
      expect(lines.find((l) => l.startsWith('model.extra.weight '))).toMatch(/added at 2/);
    });

    it('a hostile tensor name reaches the terminal escaped', () => {
      const hostile = mkdtempSync(join(tmpdir(), 'paramscope-series-hostile-'));
      const name = 'w\x1b[2J\u202e';
      [1, 2].forEach((v) => {
        const header = { [name]: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
        writeFileSync(join(hostile, `step${v}.safetensors`), safetensorsBytes(header, new Uint8Array(new Float32Array([v, 1]).buffer)));
      });
      const r = runCli(cli, 'series', hostile);
      expect(r.code).toBe(0);
      expect(r.stdout.includes('\x1b') || r.stdout.includes('\u202e')).toBe(false);
      const line = r.stdout.split('\n').find((l) => l.startsWith('w'))!;
      // ‖(2,1) − (1,1)‖ / ‖(1,1)‖ = 1/√2.
      expect(line).toBe('w\\x1b[2J\\u202e  norm 1.414 → 2.236  relFirst 0.7071');
    });

    it('bad input: one line, no stack trace, exit 1 (2 for usage)', () => {
      for (const args of [[join(SERIES, 'sgd', 'epoch_1.pt')], [join(dir, 'empty')], [join(SERIES, 'sgd', 'epoch_1.pt'), join(SERIES, 'sgd', 'other_model.pt')], [join(dir, 'nowhere')]]) {
        const r = runCli(cli, 'series', ...args);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('warning:')), r.stderr).toHaveLength(1);
        expect(r.stderr).toMatch(/^(warning: .*\n)*paramscope: /);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
      const usage = runCli(cli, 'series');
      expect(usage.code).toBe(2);
      const mixed = runCli(cli, 'series', join(dir, 'mixed'));
      expect(mixed.code).toBe(0);
      expect(mixed.stderr).toMatch(/^warning: left out epoch_3\.pt: /);
    });
  });
});

describe('training runs: the ridge', () => {
  it('counts checkpoints binned as they finish (an unreadable one a null row, counted); the range is the finite min and max over the run', async () => {
    const run = await openRun([join(SERIES, 'adam')], { relativeTo: join(SERIES, 'adam') });
    const progress: Array<[number, number]> = [];
    let call = 0;
    const r = await computeRidge(
      run,
      'model.0.weight',
      {
        stats: async (t) => ({ min: -1 - t.shape.length, max: 2, count: 1 }) as unknown as StatsView,
        histogram: async () => {
          if (call++ === 2) throw new Error('unreadable');
          return new Float64Array(4).fill(1);
        },
      },
      { bins: 4, onProgress: (d, t) => progress.push([d, t]) },
    );
    expect(progress).toEqual([[0, 4], [1, 4], [2, 4], [3, 4], [4, 4]]);
    expect(r.rows.filter((x) => x === null)).toHaveLength(1);
    expect([r.min, r.max, r.bins]).toEqual([-3, 2, 4]);
  });
});

describe('training runs: one model', () => {
  it('sameModelGroup: the checkpoints sharing half their names with the reference; none when no two do', async () => {
    const files = ['epoch_1.pt', 'other_model.pt', 'epoch_2.pt', 'epoch_10.pt'].map((f) => join(SERIES, 'sgd', f));
    const indexes = await Promise.all(files.map((f) => openModel(f, { tree: false })));
    expect(sameModelGroup(indexes)).toEqual({ reference: 0, members: [2, 3] });
    // The foreign one first: the reference moves to the majority's model.
    expect(sameModelGroup([indexes[1]!, indexes[0]!, indexes[2]!])).toEqual({ reference: 1, members: [2] });
    expect(sameModelGroup([indexes[0]!, indexes[1]!])).toBeUndefined();
  });
});
