import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/openModel';
import { FileByteSource } from '../../src/runtime/byteSource';
import { computeFastStats, localRunner, splitRanges } from '../../src/runtime/fastStats';
import { SMALL_F32_ELEMENTS, smallF32Stats } from '../../src/runtime/smallF32Stats';
import { float32AtLeast, float32AtMost } from '../../src/runtime/float32Bounds';
import { KernelArena } from '../../src/runtime/kernelArena';
import { DATA, HIST_TABLE_ENTRIES, MOMENT_FIELDS, PATTERN_TABLE_BYTES, PATTERN_TABLES, RESULTS } from '../../src/runtime/kernelLayout';
import { computeTensorStats } from '../../src/runtime/stats';
import { useKernelBinary } from '../../src/runtime/wasmKernels';
import { FIXTURES, expected } from './fixtureFiles';
import { arange, float32Tensor, rawTensor, seededRandom } from './runtimeTestHelpers';
import { assembleKernels } from './wasmKernelBinary';

let wasm: KernelArena;
let ts: KernelArena;
beforeAll(async () => {
  useKernelBinary(await assembleKernels());
  wasm = await KernelArena.acquire('wasm');
  ts = await KernelArena.acquire('ts');
});
afterAll(() => {
  KernelArena.release(wasm);
  KernelArena.release(ts);
  useKernelBinary(undefined);
});

/** Normal(0, sigma) float32 values from a seeded generator (Box–Muller). */
function normal(n: number, sigma: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(rand() || 1e-300)) * Math.cos(2 * Math.PI * rand()) * sigma;
  return out;
}

/** Data sets that exercise every branch: blocks with NaN/inf, ±0, tails, huge and tiny values, shifts. */
function cases(): Array<[string, Float32Array]> {
  const withSpecials = normal(5000, 1, 3);
  withSpecials[17] = NaN;
  withSpecials[1030] = Infinity;
  withSpecials[4999] = -Infinity;
  withSpecials[2000] = -0;
  withSpecials[2001] = 0;
  const offset = normal(3001, 1e-3, 4).map((v) => 1e4 + v); // mean far from zero: the shifted path
  const extremes = Float32Array.of(3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, -1.401298464324817e-45, 0, -0, 1, -1, 2 ** -126);
  const allNaN = new Float32Array(2048).fill(NaN);
  const zeros = new Float32Array(1023);
  zeros[5] = -0;
  return [
    ['empty', new Float32Array(0)],
    ['one element', Float32Array.of(-2.5)],
    ['seven elements', Float32Array.of(1, 2, 3, 4, 5, 6, 7)],
    ['normal, 100k', normal(100_003, 0.02, 1)],
    ['NaN, ±inf, ±0 in several blocks', withSpecials],
    ['offset mean (shifted sums)', offset],
    ['float32 extremes and subnormals', extremes],
    ['all NaN', allNaN],
    ['zeros and a negative zero', zeros],
  ];
}

function put(arena: KernelArena, values: Float32Array): number {
  new Float32Array(arena.memory.buffer, DATA, values.length).set(values);
  return DATA;
}

function sameBits(a: Float64Array, b: Float64Array): void {
  expect(Array.from(a).map((v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(Array.from(b).map((v) => (Object.is(v, -0) ? '-0' : String(v))));
}

describe('WASM kernels and their TypeScript twins give identical results', () => {
  it.each(cases())('f32 moments: %s', (_, values) => {
    const out: Float64Array[] = [];
    for (const arena of [wasm, ts]) {
      arena.kernels.f32Moments(put(arena, values), values.length, RESULTS);
      out.push(Float64Array.from(arena.results()));
    }
    expect(out[0]!.length).toBe(MOMENT_FIELDS);
    sameBits(out[0]!, out[1]!);
  });

  it.each(cases())('f32 histogram, 256 and 47 bins, data range and a narrower one: %s', (_, values) => {
    const finite = Array.from(values).filter(Number.isFinite);
    const ranges: Array<[number, number]> = finite.length ? [[Math.min(...finite), Math.max(...finite)], [-0.01, 0.013]] : [[-1, 1]];
    for (const bins of [256, 47]) {
      for (const [lo, hi] of ranges) {
        const left = lo === hi ? lo - 1 : lo;
        const right = lo === hi ? hi + 1 : hi;
        const counts: number[][] = [];
        for (const arena of [wasm, ts]) {
          const totals = new Float64Array(bins);
          arena.kernels.f32Histc(put(arena, values), values.length, left, right, float32AtLeast(left), float32AtMost(right), bins);
          arena.flushHistogram(bins, totals);
          counts.push(Array.from(totals));
        }
        expect(counts[0]).toEqual(counts[1]);
      }
    }
  });

  it('f32 histogram: values on and beside bin edges (quantized grids) land where the exact quotient puts them', () => {
    // Dequantized tensors are grids (d · q), so many values sit on or one ulp from a bin edge, where
    // the kernels' reciprocal shortcut must give way to the division torch.histc does.
    for (const [left, right, bins] of [
      [-1, 1, 256],
      // A range where (x − left) · (bins / w) floors differently from torch's ((x − left) / w) · bins
      // for 8 of these values (e.g. x = -0.00649289321154356: bin 128, the reciprocal says 127).
      [-0.020422542467713356, 0.007436756044626236, 256],
      [-0.1, 0.3, 47],
      [-127 * 0.0123, 127 * 0.0123, 256],
      [0, 1e-30, 256],
      [1e4, 1e4 + 1, 4096],
    ] as const) {
      const values: number[] = [];
      for (let k = 0; k <= bins; k++) {
        const edge = Math.fround(left + ((right - left) * k) / bins);
        const up = new Float32Array(new Uint32Array([new Uint32Array(Float32Array.of(edge).buffer)[0]! + 1]).buffer)[0]!;
        const down = new Float32Array(new Uint32Array([new Uint32Array(Float32Array.of(edge).buffer)[0]! - 1]).buffer)[0]!;
        values.push(edge, up, down);
      }
      for (let q = -127; q <= 127; q++) values.push(Math.fround(Math.fround(0.0123) * q));
      const data = Float32Array.from(values);
      const counts: number[][] = [];
      for (const arena of [wasm, ts]) {
        const totals = new Float64Array(bins);
        arena.kernels.f32Histc(put(arena, data), data.length, left, right, float32AtLeast(left), float32AtMost(right), bins);
        arena.flushHistogram(bins, totals);
        counts.push(Array.from(totals));
      }
      expect(counts[0], `[${left}, ${right}] in ${bins} bins`).toEqual(counts[1]);
      // The same values, only those inside the range, through the kernel without the range test.
      const inside = data.filter((v) => v >= left && v <= right);
      const totals = new Float64Array(bins);
      wasm.kernels.f32HistcInRange(put(wasm, inside), inside.length, left, right, bins);
      wasm.flushHistogram(bins, totals);
      expect(Array.from(totals), `in range: [${left}, ${right}] in ${bins} bins`).toEqual(counts[1]);
    }
  });

  it('f32 histogram without the range test agrees when every value is in range', () => {
    const values = normal(10_001, 0.02, 9);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const counts: number[][] = [];
    for (const [arena, inRange] of [
      [wasm, true],
      [wasm, false],
      [ts, true],
    ] as const) {
      const totals = new Float64Array(256);
      if (inRange) arena.kernels.f32HistcInRange(put(arena, values), values.length, lo, hi, 256);
      else arena.kernels.f32Histc(put(arena, values), values.length, lo, hi, lo, hi, 256);
      arena.flushHistogram(256, totals);
      counts.push(Array.from(totals));
    }
    expect(counts[0]).toEqual(counts[2]);
    expect(counts[1]).toEqual(counts[2]);
    expect(counts[0]!.reduce((a, b) => a + b)).toBe(10_001);
  });

  it.each([
    ['16-bit patterns', 2, 40_001],
    ['8-bit patterns', 1, 40_003],
  ])('%s', (_, size, n) => {
    const rand = seededRandom(n);
    const bytes = Uint8Array.from({ length: n * size }, () => Math.floor(rand() * 256));
    const patterns = size === 1 ? 256 : 65536;
    const counts: number[][] = [];
    for (const arena of [wasm, ts]) {
      new Uint8Array(arena.memory.buffer, DATA, bytes.length).set(bytes);
      if (size === 1) arena.kernels.countU8(DATA, n);
      else arena.kernels.countU16(DATA, n);
      const totals = new Float64Array(patterns);
      arena.flushPatterns(patterns, totals);
      counts.push(Array.from(totals));
    }
    expect(counts[0]).toEqual(counts[1]);
    expect(counts[0]!.reduce((a, b) => a + b)).toBe(n);
  });

  it('leaves the tables clean after a flush', () => {
    for (const arena of [wasm, ts]) {
      expect(new Uint32Array(arena.memory.buffer, 0, 4 * HIST_TABLE_ENTRIES).every((v) => v === 0)).toBe(true);
      expect(new Uint32Array(arena.memory.buffer, PATTERN_TABLES, (4 * PATTERN_TABLE_BYTES) / 4).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('computeTensorStats: WASM and TypeScript paths agree bit for bit', () => {
  it.each([
    ['contiguous, default chunks', [300, 700], undefined, undefined],
    ['transposed view, chunks of 1000', [700, 300], [1, 700], 1000],
    ['x[:, ::3] (strided), chunks of 777', [300, 234], [700, 3], 777],
  ] as const)('%s', async (_, shape, strides, chunkElements) => {
    const values = normal(300 * 700, 0.05, 11);
    values[12345] = NaN;
    values[54321] = -Infinity;
    const { src, entry } = float32Tensor(Array.from(values), [...shape], strides ? { strides: [...strides] } : {});
    const a = await computeTensorStats(src, entry, { kernels: 'wasm', chunkElements });
    const b = await computeTensorStats(src, entry, { kernels: 'ts', chunkElements });
    expect(a).toEqual(b);
    expect(Object.is(a.mean, b.mean) && Object.is(a.std, b.std) && Object.is(a.l2, b.l2)).toBe(true);
    expect(a.histogram!.counts.reduce((x, y) => x + y)).toBe(a.count - a.nan - a.inf);
  });

  it('empty and one-element tensors', async () => {
    for (const values of [[], [7.5]]) {
      const { src, entry } = float32Tensor(values, [values.length]);
      expect(await computeTensorStats(src, entry, { kernels: 'wasm' })).toEqual(await computeTensorStats(src, entry, { kernels: 'ts' }));
    }
    const one = float32Tensor([7.5], [1]);
    const s = await computeTensorStats(one.src, one.entry, { kernels: 'wasm' });
    expect([s.count, s.min, s.max, s.mean, s.std, s.histogram?.counts[128]]).toEqual([1, 7.5, 7.5, 7.5, null, 1]); // [6.5, 8.5]: (1 / 2)·256 = bin 128
  });

  it('bfloat16 through both kernels', async () => {
    const f = normal(50_000, 0.02, 5);
    const bits = new Uint16Array(new Uint32Array(f.buffer).map((u) => u >>> 16));
    const { src, entry } = rawTensor('bfloat16', new Uint8Array(bits.buffer), [bits.length]);
    expect(await computeTensorStats(src, entry, { kernels: 'wasm' })).toEqual(await computeTensorStats(src, entry, { kernels: 'ts' }));
  });

  it('every torch fixture gives the same statistics with either kernel set', async () => {
    let checked = 0;
    for (const rel of Object.keys(expected.files)) {
      const withStats = expected.files[rel]!.tensors.filter((t) => t.stats);
      if (withStats.length === 0) continue;
      const index = await openModel(join(FIXTURES, rel));
      for (const t of withStats) {
        const entry = index.tensors.find((x) => x.name === t.name)!;
        const src = await FileByteSource.open(entry.location.file);
        try {
          const a = await computeTensorStats(src, entry, { kernels: 'wasm' });
          const b = await computeTensorStats(src, entry, { kernels: 'ts' });
          expect(a, `${rel} ${t.name}`).toEqual(b);
          expect(a.histogram?.counts ?? null).toEqual(t.stats!.histogram?.counts ?? null);
          checked++;
        } finally {
          await src.close();
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('splitting a tensor', () => {
  it('cuts ranges on chunk boundaries', () => {
    expect(splitRanges(10, 3, 2)).toEqual([
      [0, 6],
      [6, 4],
    ]);
    expect(splitRanges(10, 3, 8)).toEqual([
      [0, 3],
      [3, 3],
      [6, 3],
      [9, 1],
    ]);
    expect(splitRanges(0, 3, 2)).toEqual([]);
  });

  it.each([
    ['float32', 2, 5],
    ['bfloat16', 3, 4],
  ] as const)('%s: any split gives the same bits as one thread', async (dtype, parts1, parts2) => {
    const values = normal(200_000, 0.03, 21);
    values[150_000] = NaN;
    const bytes = dtype === 'float32' ? new Uint8Array(values.buffer) : new Uint8Array(new Uint16Array(new Uint32Array(values.buffer).map((u) => u >>> 16)).buffer);
    const n = dtype === 'float32' ? values.length : values.length;
    const { src, entry } = rawTensor(dtype, bytes, [n]);
    const run = (parts: number) =>
      computeFastStats(entry, localRunner(src, entry, { chunkElements: 7000, kernels: 'wasm' }), { parts, bins: 256, chunkElements: 7000 });
    const one = await run(1);
    expect(await run(parts1)).toEqual(one);
    expect(await run(parts2)).toEqual(one);
    expect(one).toEqual(await computeTensorStats(src, entry, { chunkElements: 7000, kernels: 'ts' }));
  });

  it('progress runs over both passes to the total', async () => {
    const { src, entry } = float32Tensor(arange(1000), [1000]);
    const seen: Array<[number, number]> = [];
    await computeFastStats(entry, localRunner(src, entry, { chunkElements: 100 }), { parts: 3, bins: 10, chunkElements: 100, onProgress: (d, t) => seen.push([d, t]) });
    expect(seen.every(([, t]) => t === 2000)).toBe(true);
    expect(seen.at(-1)).toEqual([2000, 2000]);
    expect(seen.map(([d]) => d)).toEqual([...seen.map(([d]) => d)].sort((a, b) => a - b));
  });
});

describe('small float32 tensors (smallF32Stats) give the bits of the chunked fast path', () => {
  it.each(cases().filter(([, v]) => v.length > 0))('%s', async (_, whole) => {
    for (const values of [whole.subarray(0, SMALL_F32_ELEMENTS), whole.subarray(0, 256)]) {
      const { src, entry } = rawTensor('float32', new Uint8Array(values.slice().buffer), [values.length]);
      for (const kernels of ['wasm', 'ts'] as const) {
        const small = await smallF32Stats(src, entry, 256, { kernels });
        expect(small).not.toBeNull();
        expect(small).toEqual(await computeFastStats(entry, localRunner(src, entry, { kernels }), { parts: 1, bins: 256 }));
        expect(await computeTensorStats(src, entry, { kernels })).toEqual(small);
      }
    }
  });

  it('leaves other tensors to the chunked path', async () => {
    const big = rawTensor('float32', new Uint8Array((SMALL_F32_ELEMENTS + 1) * 4), [SMALL_F32_ELEMENTS + 1]);
    expect(await smallF32Stats(big.src, big.entry, 256)).toBeNull();
    const everyOther = float32Tensor(arange(12), [6], { strides: [2] });
    expect(await smallF32Stats(everyOther.src, everyOther.entry, 256)).toBeNull();
    // A transposed view is contiguous in storage order, which statistics read in: taken, same bits.
    const transposed = float32Tensor(arange(12), [4, 3], { strides: [1, 4] });
    expect(await smallF32Stats(transposed.src, transposed.entry, 256)).toEqual(await computeFastStats(transposed.entry, localRunner(transposed.src, transposed.entry), { parts: 1, bins: 256 }));
    const bigEndian = float32Tensor(arange(12), [12], { byteOrder: 'big' });
    expect(await smallF32Stats(bigEndian.src, bigEndian.entry, 256)).toBeNull();
    const empty = float32Tensor([], [0]);
    expect(await smallF32Stats(empty.src, empty.entry, 256)).toBeNull();
    const chunked = float32Tensor(arange(300), [300]);
    expect(await smallF32Stats(chunked.src, chunked.entry, 256, { chunkElements: 100 })).toBeNull();
    // A view inside a larger storage still reads only its own elements.
    const window = float32Tensor(arange(20), [2, 5], { elementOffset: 10 });
    expect((await smallF32Stats(window.src, window.entry, 10))?.min).toBe(10);
  });
});
