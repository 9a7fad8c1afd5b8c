import { storageBytes } from '../core/dtypes';
import type { ModelIndex, TensorEntry } from '../core/modelIndex';
import { findStorageTies } from './ties';
import type { MomentStats } from '../core/results';
import { DEPTH_STATS, type BlockShare, type DepthStat, type DtypeShare, type Outlier, type OverviewStructure, type ParameterKind } from '../core/overview';

export { DEPTH_STATS, type DepthStat } from '../core/overview';

/**
 * The model overview's analysis, format-neutral: which tensors form repeated blocks
 * (`model.layers.0..79`, `h.0..11`, `blk.0..N`, `encoder.layer.N`), their parameter kinds (the name
 * with the layer number replaced by `*`), parameter and byte shares per block and per dtype, and the
 * layers whose statistics stand apart from their siblings of the same kind.
 */

/** Modified z-score above which a layer is flagged (Iglewicz and Hoaglin's recommended cut-off). */
export const OUTLIER_Z = 3.5;
/** Kinds with fewer layers than this are not judged: a median of three says little. */
export const MIN_LAYERS_FOR_OUTLIERS = 5;
/**
 * ...and a flagged layer is at least this many times (or at most 1/this of) the median: siblings
 * that agree to four digits (RMSNorm weights near 1) would otherwise flag a 1 % difference.
 */
export const MIN_OUTLIER_RATIO = 1.5;
/** 0.6745 = Φ⁻¹(0.75): makes the MAD a consistent estimate of σ for normal data (1 / 1.4826). */
const MAD_SCALE = 0.6745;
/** When the MAD is 0, the mean absolute deviation scaled by √(π/2) (IBM's variant of the rule). */
const MEAN_AD_SCALE = 1.253314;

/** Where a tensor sits in a repeated block: `model.layers` · 3 · `self_attn.q_proj.weight`. */
export interface LayerPosition {
  /** The stack: the name before the layer number (`model.layers`). */
  stack: string;
  layer: number;
  /** The kind: the stack and the name with the layer number replaced by `*` (`model.layers.*.self_attn.q_proj.weight`). */
  kind: string;
}

/**
 * Calls `f(start, end)` for each segment of a dotted name that is a number of at most 9 digits
 * (`a.3.b.12.c` → 3 and 12), until `f` returns true. Scans in place: no split, no joined prefixes
 * (100,000 MoE names).
 */
function forEachNumberSegment(name: string, f: (start: number, end: number) => boolean | void): void {
  let start = 0;
  while (start <= name.length) {
    let end = name.indexOf('.', start);
    if (end < 0) end = name.length;
    let digits = end > start && end - start < 10;
    for (let i = start; digits && i < end; i++) {
      const c = name.charCodeAt(i);
      digits = c >= 48 && c <= 57;
    }
    if (digits && f(start, end)) return;
    start = end + 1;
  }
}

/**
 * Each tensor's layer position, when its name has a number segment whose prefix holds at least
 * two distinct numbers in the model (the first such segment: `encoder.layer.3.attention…`'s 3,
 * not a later expert index). Names without one are not in a stack.
 */
export function layerPositions(names: readonly string[]): Map<string, LayerPosition> {
  const numbersByPrefix = new Map<string, Set<number>>();
  for (const name of names) {
    forEachNumberSegment(name, (start, end) => {
      const prefix = start > 0 ? name.slice(0, start - 1) : '';
      let set = numbersByPrefix.get(prefix);
      if (!set) numbersByPrefix.set(prefix, (set = new Set()));
      set.add(Number(name.slice(start, end)));
    });
  }
  const out = new Map<string, LayerPosition>();
  for (const name of names) {
    forEachNumberSegment(name, (start, end) => {
      const stack = start > 0 ? name.slice(0, start - 1) : '';
      if ((numbersByPrefix.get(stack)?.size ?? 0) < 2) return false;
      out.set(name, { stack, layer: Number(name.slice(start, end)), kind: `${name.slice(0, start)}*${name.slice(end)}` });
      return true;
    });
  }
  return out;
}

function bytesOf(t: TensorEntry): number {
  try {
    return storageBytes(t.dtype, t.count);
  } catch {
    return 0;
  }
}

/**
 * Shares and repeated blocks from the index alone (no tensor bytes read): instant, so the page shows
 * them before any statistic. Tied views count once; blocks sorted by parameters, largest first.
 */
export function overviewStructure(index: ModelIndex): OverviewStructure {
  // A tied view (the same bytes of one storage under a second name) counts once: under the name
  // the file lists first.
  const copies = new Set<string>();
  for (const g of findStorageTies(index).groups) for (const n of g.names.slice(1)) copies.add(n);
  const positions = layerPositions(index.tensors.map((t) => t.name));
  const blocks = new Map<string, BlockShare>();
  const dtypes = new Map<string, DtypeShare>();
  const stacks = new Map<string, { layers: Set<number>; parameters: number }>();
  const kinds = new Map<string, { stack: string; layers: { layer: number; name: string }[] }>();
  let totalParameters = 0;
  let totalBytes = 0;
  let tied = 0;
  for (const t of index.tensors) {
    if (copies.has(t.name)) {
      tied++;
      continue;
    }
    const bytes = bytesOf(t);
    totalParameters += t.count;
    totalBytes += bytes;
    const pos = positions.get(t.name);
    const blockName = pos ? `${pos.stack ? `${pos.stack}.` : ''}${pos.layer}` : t.name.includes('.') ? t.name.slice(0, t.name.lastIndexOf('.')) : '';
    let b = blocks.get(blockName);
    if (!b) blocks.set(blockName, (b = { block: blockName, ...(pos ? { stack: pos.stack } : {}), parameters: 0, bytes: 0, tensors: 0 }));
    b.parameters += t.count;
    b.bytes += bytes;
    b.tensors++;
    let d = dtypes.get(t.dtype);
    if (!d) dtypes.set(t.dtype, (d = { dtype: t.dtype, parameters: 0, bytes: 0, tensors: 0 }));
    d.parameters += t.count;
    d.bytes += bytes;
    d.tensors++;
    if (pos) {
      let s = stacks.get(pos.stack);
      if (!s) stacks.set(pos.stack, (s = { layers: new Set(), parameters: 0 }));
      s.layers.add(pos.layer);
      s.parameters += t.count;
      let k = kinds.get(pos.kind);
      if (!k) kinds.set(pos.kind, (k = { stack: pos.stack, layers: [] }));
      k.layers.push({ layer: pos.layer, name: t.name });
    }
  }
  for (const k of kinds.values()) k.layers.sort((a, b) => a.layer - b.layer);
  return {
    totalParameters,
    totalBytes,
    tied,
    blocks: [...blocks.values()].sort((a, b) => b.parameters - a.parameters || (a.block < b.block ? -1 : 1)),
    dtypes: [...dtypes.values()].sort((a, b) => b.bytes - a.bytes || (a.dtype < b.dtype ? -1 : 1)),
    stacks: [...stacks.entries()].map(([stack, s]) => ({ stack, layers: [...s.layers].sort((a, b) => a - b), parameters: s.parameters })),
    kinds: [...kinds.entries()].map(([kind, k]) => ({ kind, ...k })),
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Iglewicz and Hoaglin's modified z-scores, 0.6745·(x − median) / MAD: robust, because one wild
 * layer moves neither the median nor the MAD (a mean and standard deviation would be dragged toward
 * it and hide it). When more than half the values are equal (MAD 0) the mean absolute deviation
 * scaled by 1.2533 stands in; when every value is equal, all scores are 0.
 */
export function modifiedZScores(xs: readonly number[]): number[] {
  if (xs.length === 0) return [];
  const med = median(xs);
  const dev = xs.map((x) => Math.abs(x - med));
  const mad = median(dev);
  if (mad > 0) return xs.map((x) => (MAD_SCALE * (x - med)) / mad);
  const meanAd = dev.reduce((a, b) => a + b, 0) / xs.length;
  if (meanAd === 0) return xs.map(() => 0);
  return xs.map((x) => (x - med) / (MEAN_AD_SCALE * meanAd));
}

/** What the outlier rule reads of a tensor's statistics. */
export type JudgedStats = Pick<MomentStats, DepthStat | 'count' | 'zeros' | 'nan' | 'inf'>;

/**
 * Layers whose L2 norm, std or max |x| stands apart from their siblings of the same kind: the
 * modified z-score of log10 of the statistic above 3.5 in absolute value (`robust`). Logs, because
 * these statistics are scales (a layer twice as large is as odd as one half as large) and spread
 * multiplicatively over depth; and at least 1.5 times (or at most 1/1.5 of) the kind's median, so a
 * tight spread does not turn a 1 % difference into a flag. Kinds with fewer than 5 measured layers
 * are not judged this way.
 * Apart from that rule, and whatever the number of layers: a tensor that holds NaN or ±Inf
 * (`nonfinite`, once, on `absMax`), and an all-zero tensor among siblings that are not all zeros
 * (`zero`, once, on `l2`). Zero and non-finite values are left out of the robust judgement.
 * Sorted by kind, then layer.
 */
export function findOutliers(kinds: readonly ParameterKind[], statsOf: (name: string) => JudgedStats | undefined): Outlier[] {
  const out: Outlier[] = [];
  for (const k of kinds) {
    const measured = k.layers.map((l) => ({ ...l, s: statsOf(l.name) })).filter((r): r is typeof r & { s: JudgedStats } => r.s !== undefined);
    const allZero = (s: JudgedStats): boolean => s.count > 0 && s.zeros === s.count;
    const nonZeroL2 = measured.filter((r) => !allZero(r.s) && typeof r.s.l2 === 'number' && r.s.l2 > 0).map((r) => r.s.l2!);
    for (const r of measured) {
      if (r.s.nan + r.s.inf > 0) out.push({ kind: k.kind, name: r.name, layer: r.layer, stat: 'absMax', reason: 'nonfinite', value: r.s.nan + r.s.inf, median: 0, z: 0 });
      else if (allZero(r.s) && nonZeroL2.length > 0) out.push({ kind: k.kind, name: r.name, layer: r.layer, stat: 'l2', reason: 'zero', value: 0, median: median(nonZeroL2), z: 0 });
    }
    for (const stat of DEPTH_STATS) {
      const rows: { layer: number; name: string; value: number }[] = [];
      for (const r of measured) {
        const v = r.s[stat];
        if (typeof v === 'number' && v > 0 && Number.isFinite(v) && r.s.nan + r.s.inf === 0) rows.push({ layer: r.layer, name: r.name, value: v });
      }
      if (rows.length < MIN_LAYERS_FOR_OUTLIERS) continue;
      const z = modifiedZScores(rows.map((r) => Math.log10(r.value)));
      const med = median(rows.map((r) => r.value));
      rows.forEach((r, i) => {
        if (Math.abs(z[i]!) > OUTLIER_Z && Math.abs(Math.log10(r.value / med)) >= Math.log10(MIN_OUTLIER_RATIO)) out.push({ kind: k.kind, name: r.name, layer: r.layer, stat, reason: 'robust', value: r.value, median: med, z: z[i]! });
      });
    }
  }
  const order = new Map(kinds.map((k, i) => [k.kind, i]));
  return out.sort((a, b) => order.get(a.kind)! - order.get(b.kind)! || a.layer - b.layer || DEPTH_STATS.indexOf(a.stat) - DEPTH_STATS.indexOf(b.stat));
}

/**
 * Bit-reversed order of 0…n−1 (0, n/2, n/4, 3n/4, …): the depth lines are drawn coarse to fine, so
 * a cancelled or half-done pass still spans the whole depth.
 */
export function spreadOrder(n: number): number[] {
  const out: number[] = [];
  const seen = new Uint8Array(n);
  for (let step = 1 << Math.ceil(Math.log2(Math.max(1, n))); step >= 1; step >>= 1) {
    for (let i = 0; i < n; i += step) {
      if (!seen[i]) {
        seen[i] = 1;
        out.push(i);
      }
    }
  }
  return out;
}

/** The stack tensors of a structure, each layer index's tensors together, layers in spread order. */
export function stackTensors(index: ModelIndex, structure: OverviewStructure): TensorEntry[] {
  const byName = new Map(index.tensors.map((t) => [t.name, t]));
  const out: TensorEntry[] = [];
  for (const s of structure.stacks) {
    const kinds = structure.kinds.filter((k) => k.stack === s.stack);
    const at = kinds.map((k) => new Map(k.layers.map((l) => [l.layer, l.name])));
    for (const i of spreadOrder(s.layers.length)) {
      const layer = s.layers[i]!;
      for (const m of at) {
        const t = byName.get(m.get(layer) ?? '');
        if (t) out.push(t);
      }
    }
  }
  return out;
}
