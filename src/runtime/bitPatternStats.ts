import type { RealDType } from './decode';
import type { RawChunk } from './elementStream';
import { FLOAT8_E4M3FN_VALUES, FLOAT8_E4M3FNUZ_VALUES, FLOAT8_E5M2_VALUES, FLOAT8_E5M2FNUZ_VALUES, bfloat16Table, float16Table } from './floatTables';
import { HistcCounter, histcEdges } from './histc';
import type { MomentStats } from './runningStats';

/**
 * Statistics of 1- and 2-byte tensors from a count of each bit pattern. One pass over the bytes
 * yields at most 65,536 counts, and every statistic (the histogram too, with no second pass) then
 * follows from those few distinct values: several times faster than decoding every element.
 */

function tableOf(size: number, valueOf: (bits: number) => number): Float64Array {
  return Float64Array.from({ length: size }, (_, bits) => valueOf(bits));
}

const byteTables: Partial<Record<RealDType, Float64Array>> = {};

/** The value of every bit pattern of `dtype`, or null for types wider than 2 bytes. */
export function patternValues(dtype: RealDType): Float64Array | null {
  switch (dtype) {
    case 'float16':
      return float16Table();
    case 'bfloat16':
      return bfloat16Table();
    case 'float8_e4m3fn':
      return FLOAT8_E4M3FN_VALUES;
    case 'float8_e5m2':
      return FLOAT8_E5M2_VALUES;
    case 'float8_e4m3fnuz':
      return FLOAT8_E4M3FNUZ_VALUES;
    case 'float8_e5m2fnuz':
      return FLOAT8_E5M2FNUZ_VALUES;
    case 'int8':
      return (byteTables.int8 ??= tableOf(256, (b) => (b << 24) >> 24));
    case 'uint8':
      return (byteTables.uint8 ??= tableOf(256, (b) => b));
    case 'bool':
      return (byteTables.bool ??= tableOf(256, (b) => (b === 0 ? 0 : 1)));
    case 'int16':
      return (byteTables.int16 ??= tableOf(65536, (b) => (b << 16) >> 16));
    case 'uint16':
      return (byteTables.uint16 ??= tableOf(65536, (b) => b));
    default:
      return null;
  }
}

/** Counts the bit patterns in a stream of raw chunks of a 1- or 2-byte dtype. */
export async function countPatterns(chunks: AsyncIterable<RawChunk>, patterns: number): Promise<Float64Array> {
  const counts = new Float64Array(patterns);
  for await (const { bytes, count } of chunks) {
    const bits = patterns === 256 ? bytes : new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    for (let i = 0; i < count; i++) counts[bits[i]] += 1;
  }
  return counts;
}

type PatternStats = MomentStats & { histogram: { min: number; max: number; counts: number[] } | null };

/** Statistics and histc histogram of the multiset {values[p] × counts[p]}. */
export function statsFromPatternCounts(counts: Float64Array, values: Float64Array, bins: number): PatternStats {
  let n = 0;
  for (let p = 0; p < counts.length; p++) if (counts[p] !== 0) n++;
  const patterns = new Uint32Array(n);
  const weights = new Float64Array(n);
  for (let p = 0, i = 0; p < counts.length; p++) {
    if (counts[p] === 0) continue;
    patterns[i] = p;
    weights[i++] = counts[p];
  }
  return statsFromPatternList(patterns, weights, values, bins);
}

/**
 * The same from the patterns that occur, in ascending order, with their counts: a small tensor's
 * few distinct patterns cost their number, not 65,536. The sums run in the same order as over
 * dense counts, so both give the same bits.
 */
export function statsFromPatternList(patterns: ArrayLike<number>, weights: ArrayLike<number>, values: Float64Array, bins: number): PatternStats {
  let count = 0;
  let finite = 0;
  let zeros = 0;
  let nan = 0;
  let inf = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < patterns.length; i++) {
    const c = weights[i]!;
    if (c === 0) continue;
    const v = values[patterns[i]!]!;
    count += c;
    if (v !== v) nan += c;
    else if (v === Infinity || v === -Infinity) inf += c;
    else {
      finite += c;
      if (v === 0) zeros += c;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += c * v;
      squares += c * v * v; // |v| <= 3.4e38 (bfloat16), so v² and the sum stay finite
    }
  }
  if (finite === 0) {
    return { count, min: null, max: null, mean: null, std: null, zeros, nan, inf, l2: null, absMax: null, histogram: null };
  }

  const mean = sum / finite;
  let m2 = 0;
  const edges = histcEdges(min, max, bins);
  const histogram = new HistcCounter(edges, bins);
  for (let i = 0; i < patterns.length; i++) {
    const c = weights[i]!;
    const v = values[patterns[i]!]!;
    if (c === 0 || !Number.isFinite(v)) continue;
    m2 += c * (v - mean) * (v - mean);
    histogram.addWeighted(v, c);
  }
  return {
    count,
    min: min + 0, // report +0 for a zero minimum, whichever zero the patterns hold
    max: max + 0,
    mean,
    std: finite >= 2 ? Math.sqrt(m2 / (finite - 1)) : null,
    zeros,
    nan,
    inf,
    l2: Math.sqrt(squares),
    absMax: Math.max(-min, max),
    histogram: { min: edges.min, max: edges.max, counts: histogram.counts() },
  };
}

/**
 * The distinct patterns of a few 1- or 2-byte elements, ascending, with their counts: a sort
 * instead of a 65,536-entry table, for tensors much smaller than the table.
 */
export function patternList(bits: Uint8Array | Uint16Array): { patterns: Uint32Array; weights: Float64Array } {
  const sorted = bits.slice().sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) n++;
  const patterns = new Uint32Array(n);
  const weights = new Float64Array(n);
  let at = -1;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) patterns[++at] = sorted[i]!;
    weights[at]! += 1;
  }
  return { patterns, weights };
}
