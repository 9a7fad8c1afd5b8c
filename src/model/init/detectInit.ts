import { ksCritical, ksDistance, ksPValue, normalCdf, truncNormalCdf, uniformCdf } from './distributions';
import { GAINS, fans } from './fans';

/** Schemes we can name, most specific first: the first that fits is reported. */
export const SCHEMES = [
  'zeros',
  'constant',
  'orthogonal',
  'masked_uniform',
  'pytorch_default',
  'xavier_uniform',
  'kaiming_uniform',
  'xavier_normal',
  'kaiming_normal',
  'trunc_normal',
  'uniform',
  'normal',
] as const;
export type SchemeName = (typeof SCHEMES)[number] | 'unknown' | 'too_few';

export interface SchemeFit {
  scheme: SchemeName;
  params: Record<string, number | string>;
  /** Kolmogorov–Smirnov distance and its p-value (for the values tested), where a test applies. */
  fit: { ks: number; p: number; n: number } | null;
}

export interface InitDetection extends SchemeFit {
  /** Other schemes that fit (or came closest), best first. */
  alternatives: SchemeFit[];
  /** Every scheme tried, with the parameters this shape implies: the panel's overlay choices. */
  candidates: SchemeFit[];
  /**
   * Schemes that give this very distribution for this shape (e.g. kaiming_uniform(relu) and
   * xavier_uniform(gain=√2) on a square layer): the values cannot tell them apart.
   */
  equivalent: SchemeFit[];
}

export interface InitInput {
  /** Values in any order (a sample of the tensor is fine: init schemes draw i.i.d.). */
  values: Float64Array;
  shape: readonly number[];
  /** fan_in of the layer for biases (from the weight beside it), as nn.Linear/Conv use it. */
  biasFanIn?: number;
  /** The values are a sample of a larger tensor: structure checks (orthogonality) are skipped. */
  sampled?: boolean;
}

/** Below this many values a distribution cannot be told from another. */
export const MIN_VALUES_TO_FIT = 16;
/**
 * Significance level of the KS test and of the range test. Every tensor is tested against a dozen
 * candidates, so a strict level keeps the true scheme from being rejected by an unlucky draw.
 */
const ALPHA = 0.001;
/**
 * A KS distance this small always passes: values stored in float16/bfloat16 are rounded to
 * ~3 significant digits, which alone moves the empirical CDF by up to ~0.4%.
 */
const KS_FLOOR = 0.006;
/** |W Wᵀ − g²I| tolerance, relative to g², for the orthogonality check (float32 rounding). */
const ORTHOGONAL_TOLERANCE = 1e-3;
/** Work cap for the orthogonality check: rows² × cols multiply-adds. */
const MAX_ORTHOGONAL_WORK = 2e8;

/**
 * How candidates compete: within a named family the one whose implied scale (uniform bound or
 * normal std) is nearest the observed one wins; across families the better KS fit; named families
 * before generic ones.
 */
type Family = 'exact' | 'named_uniform' | 'named_normal' | 'generic';

interface Candidate {
  scheme: SchemeName;
  params: Record<string, number | string>;
  cdf: (x: number) => number;
  family: Family;
  /** Bound (uniform) or std (normal) the scheme implies for this shape, compared with the data's. */
  scale?: number;
  /**
   * Whether these are the scheme's default arguments (xavier gain 1; kaiming fan_in, relu). When two
   * named schemes imply nearly the same scale, the default-argument one is the likelier call.
   */
  usual?: boolean;
}

const round = (x: number): number => Number(x.toPrecision(6));

/** Decides which initialisation scheme a tensor's values follow (see docs/init-detection.md). */
export function detectInit(input: InitInput): InitDetection {
  const v = input.values;
  const n = v.length;
  const finite = v.every(Number.isFinite);
  if (n >= 2 && finite && v.every((x) => x === v[0])) {
    const c = v[0]!;
    return { scheme: c === 0 ? 'zeros' : 'constant', params: c === 0 ? {} : { value: c }, fit: null, alternatives: [], equivalent: [], candidates: [] };
  }
  if (n < MIN_VALUES_TO_FIT || !finite) return { scheme: n < MIN_VALUES_TO_FIT ? 'too_few' : 'unknown', params: { n }, fit: null, alternatives: [], equivalent: [], candidates: [] };

  const sorted: Float64Array = Float64Array.from(v).sort();
  let sum = 0;
  for (const x of sorted) sum += x;
  const mean = sum / n;
  let ss = 0;
  for (const x of sorted) ss += (x - mean) * (x - mean);
  const std = Math.sqrt(ss / (n - 1));
  const min = sorted[0]!;
  const max = sorted[n - 1]!;
  const absMax = Math.max(-min, max);

  type Judged = SchemeFit & { d: number; family: Family; scaleError: number; usual?: boolean };
  const fits: Judged[] = [];
  const misses: Judged[] = [];
  const judge = (c: Candidate, sample: Float64Array = sorted, observedScale = NaN): void => {
    const d = ksDistance(sample, c.cdf);
    const p = ksPValue(d, sample.length);
    // Relative standard error of the scale estimate: ~1/n for a uniform's bound, 1/√(2n) for a std.
    const se = c.family === 'named_normal' ? 1 / Math.sqrt(2 * sample.length) : 1 / sample.length;
    const scaleError = c.scale !== undefined && observedScale > 0 ? Math.abs(Math.log(c.scale / observedScale)) + (c.usual ? 0 : 2 * se) : 0;
    const entry: Judged = { scheme: c.scheme, params: c.params, fit: { ks: round(d), p: round(p), n: sample.length }, d, family: c.family, scaleError, usual: c.usual };
    // The critical distance belongs to the sample tested (masked_uniform tests the non-zeros only).
    const ok = d <= Math.max(ksCritical(sample.length, ALPHA), KS_FLOOR) && rangeTestPasses(sample, c.cdf);
    (ok ? fits : misses).push(entry);
  };
  // Scale estimates: unbiased bound of a symmetric uniform, and the sample std.
  const boundHat = (absMax * (n + 1)) / n;

  const f = fans(input.shape);
  const fanIn = f?.fanIn ?? input.biasFanIn;

  // Orthogonal: exact structure of the (rows × rest) matrix, as orthogonal_ flattens it.
  const total = input.shape.reduce((a, b) => a * b, 1);
  if (f && v.length === total && !input.sampled) {
    const rows = input.shape[0]!;
    const gain = orthogonalGain(v, rows, total / rows);
    // Elements of an orthogonal matrix scatter like N(0, g²/len): the std drives the overlay.
    if (gain !== undefined) fits.push({ scheme: 'orthogonal', params: { gain: round(gain), std: round(gain / Math.sqrt(rows <= total / rows ? total / rows : rows)) }, fit: null, d: 0, family: 'exact', scaleError: 0 });
  }

  // masked_uniform: uniform(−a, a) with |w| < t zeroed (the seed's my_init).
  const masked = maskedUniform(sorted);
  if (masked) {
    const before = fits.length;
    judge(masked.candidate, masked.nonZero);
    // A visible mask is structure, like orthogonality: it outranks the families.
    if (fits.length > before) fits[fits.length - 1]!.family = 'exact';
  }

  if (fanIn !== undefined && fanIn > 0) {
    const b = 1 / Math.sqrt(fanIn);
    judge({ scheme: 'pytorch_default', params: { bound: round(b), fan_in: fanIn }, cdf: (x) => uniformCdf(x, -b, b), family: 'named_uniform', scale: b, usual: true }, sorted, boundHat);
  }
  if (f) {
    const xb = (g: number): number => g * Math.sqrt(6 / (f.fanIn + f.fanOut));
    const xg = closestGain((g) => xb(g), absMax);
    judge({ scheme: 'xavier_uniform', params: { gain: round(xg.gain), nonlinearity: xg.nonlinearity, bound: round(xb(xg.gain)) }, cdf: (x) => uniformCdf(x, -xb(xg.gain), xb(xg.gain)), family: 'named_uniform', scale: xb(xg.gain), usual: xg.gain === 1 }, sorted, boundHat);
    for (const mode of ['fan_in', 'fan_out'] as const) {
      const fan = mode === 'fan_in' ? f.fanIn : f.fanOut;
      const kb = (g: number): number => g * Math.sqrt(3 / fan);
      const kg = closestGain(kb, absMax);
      judge({ scheme: 'kaiming_uniform', params: { mode, nonlinearity: kg.nonlinearity, gain: round(kg.gain), bound: round(kb(kg.gain)) }, cdf: (x) => uniformCdf(x, -kb(kg.gain), kb(kg.gain)), family: 'named_uniform', scale: kb(kg.gain), usual: mode === 'fan_in' && kg.nonlinearity === 'relu' }, sorted, boundHat);
      const ks = (g: number): number => g / Math.sqrt(fan);
      const kn = closestGain(ks, std);
      judge({ scheme: 'kaiming_normal', params: { mode, nonlinearity: kn.nonlinearity, std: round(ks(kn.gain)) }, cdf: (x) => normalCdf(x, 0, ks(kn.gain)), family: 'named_normal', scale: ks(kn.gain), usual: mode === 'fan_in' && kn.nonlinearity === 'relu' }, sorted, std);
    }
    const xs = (g: number): number => g * Math.sqrt(2 / (f.fanIn + f.fanOut));
    const xn = closestGain(xs, std);
    judge({ scheme: 'xavier_normal', params: { gain: round(xn.gain), nonlinearity: xn.nonlinearity, std: round(xs(xn.gain)) }, cdf: (x) => normalCdf(x, 0, xs(xn.gain)), family: 'named_normal', scale: xs(xn.gain), usual: xn.gain === 1 }, sorted, std);
  }

  // Generic families with fitted parameters: uniform widened by one spacing (its unbiased range).
  const pad = (max - min) / (n - 1);
  const lo = min - pad;
  const hi = max + pad;
  judge({ scheme: 'uniform', params: { low: round(lo), high: round(hi) }, cdf: (x) => uniformCdf(x, lo, hi), family: 'generic' });
  judge({ scheme: 'normal', params: { mean: round(mean), std: round(std) }, cdf: (x) => normalCdf(x, mean, std), family: 'generic' });
  const tn = truncNormalFit(mean, std, lo, hi);
  if (tn) judge({ scheme: 'trunc_normal', params: { mean: round(mean), std: round(tn.std), a: round(lo), b: round(hi) }, cdf: (x) => truncNormalCdf(x, mean, tn.std, lo, hi), family: 'generic' });

  const rank = (s: SchemeName): number => SCHEMES.indexOf(s as (typeof SCHEMES)[number]);
  const tier = (fam: Family): number => (fam === 'exact' ? 0 : fam === 'generic' ? 2 : 1);
  /** Scale errors this close count as a tie (identical schemes, e.g. xavier vs kaiming on square layers). */
  const SAME_SCALE = 0.005;
  // A truncated normal (4 parameters) always fits at least as well as the normal it cuts; it is
  // named only when the plain normal is rejected (the range test sees the missing tails).
  const normalFits = fits.some((x) => x.scheme === 'normal');
  const accepted = fits.filter((x) => !(x.scheme === 'trunc_normal' && normalFits)).sort((a, b) => {
    if (tier(a.family) !== tier(b.family)) return tier(a.family) - tier(b.family);
    if (a.family === 'exact') return rank(a.scheme) - rank(b.scheme);
    if (a.family === b.family && a.family !== 'generic' && Math.abs(a.scaleError - b.scaleError) > SAME_SCALE) return a.scaleError - b.scaleError;
    if (a.family === b.family && a.family !== 'generic') return Number(!a.usual) - Number(!b.usual) || rank(a.scheme) - rank(b.scheme);
    // Across named families (small layers fit both a uniform and a normal): default arguments first
    // (every nn.Linear starts as pytorch_default), then the better fit.
    if (a.family !== 'generic' && b.family !== 'generic') return Number(!a.usual) - Number(!b.usual) || a.d - b.d;
    return a.d - b.d;
  });
  const strip = ({ scheme, params, fit }: SchemeFit): SchemeFit => ({ scheme, params, fit });
  if (accepted.length > 0) {
    const [best, ...rest] = accepted;
    const same = best!.family !== 'generic' && best!.family !== 'exact' ? rest.filter((x) => x.family === best!.family && Math.abs(x.scaleError - best!.scaleError) <= SAME_SCALE + 2 / n) : [];
    return { ...strip(best!), alternatives: [...rest, ...misses.sort((a, b) => a.d - b.d)].slice(0, 3).map(strip), equivalent: same.map(strip), candidates: [...accepted, ...misses].map(strip) };
  }
  const closest = misses.sort((a, b) => a.d - b.d);
  return { scheme: 'unknown', params: {}, fit: closest[0]?.fit ?? null, alternatives: closest.slice(0, 3).map(strip), equivalent: [], candidates: closest.map(strip) };
}

/**
 * Range test, two-sided: the probability mass u = F(max) − F(min) between the extremes of n
 * draws follows Beta(n − 1, 2), whose CDF is n·u^(n−1) − (n−1)·u^n. Too small a u means the
 * values stop short of where the candidate puts its tails (a truncated normal is not a normal;
 * U(±0.5) draws are not xavier's U(±0.71)); u = 1 means values outside a bounded support.
 */
function rangeTestPasses(sorted: ArrayLike<number>, cdf: (x: number) => number): boolean {
  const n = sorted.length;
  // Values at the support's edge count as inside: bounds are computed in float64, data in float32.
  const eps = 1e-7;
  const u = Math.min(1, Math.max(0, cdf(sorted[n - 1]! * (1 - eps)) - cdf(sorted[0]! * (1 - eps))));
  if (u >= 1) return false;
  const below = n * u ** (n - 1) - (n - 1) * u ** n;
  return below >= ALPHA / 2 && 1 - below >= ALPHA / 2;
}

/** The known gain whose implied scale is nearest (in ratio) to the observed one. */
function closestGain(scaleFor: (gain: number) => number, observed: number): { gain: number; nonlinearity: string } {
  let best = GAINS[0]!;
  let bestErr = Infinity;
  for (const g of GAINS) {
    const err = Math.abs(Math.log(scaleFor(g.gain) / observed));
    if (err < bestErr) {
      bestErr = err;
      best = g;
    }
  }
  return best;
}

/** σ of the untruncated normal whose truncation to [a, b] has standard deviation `std`. */
function truncNormalFit(mean: number, std: number, a: number, b: number): { std: number } | undefined {
  const variance = (s: number): number => {
    const al = (a - mean) / s;
    const be = (b - mean) / s;
    const phi = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    const z = normalCdf(be) - normalCdf(al);
    if (z <= 0) return 0;
    const t1 = (al * phi(al) - be * phi(be)) / z;
    const t2 = (phi(al) - phi(be)) / z;
    return s * s * (1 + t1 - t2 * t2);
  };
  // Truncation shrinks the variance; find s ≥ std with variance(s) = std².
  let lo = std;
  let hi = std * 20;
  if (variance(hi) < std * std) return undefined;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (variance(mid) < std * std) lo = mid;
    else hi = mid;
  }
  const s = (lo + hi) / 2;
  // Only a truncated *bell* is worth naming: the cut within 3σ on some side (else it is a normal),
  // and the interval at least 2σ wide (else the bell is flat: a uniform).
  return Math.min(mean - a, b - mean) / s < 3 && (b - a) / s >= 2 ? { std: s } : undefined;
}

/** Exact zeros and a gap around zero, uniform outside it: uniform(−a, a) then |w| < t set to 0. */
function maskedUniform(sorted: Float64Array): { candidate: Candidate; nonZero: Float64Array } | undefined {
  const nonZero = sorted.filter((x) => x !== 0);
  const zeros = sorted.length - nonZero.length;
  if (zeros === 0 || nonZero.length < MIN_VALUES_TO_FIT) return undefined;
  let t = Infinity;
  let a = 0;
  for (const x of nonZero) {
    t = Math.min(t, Math.abs(x));
    a = Math.max(a, Math.abs(x));
  }
  if (!(t > 0.05 * a)) return undefined; // no visible gap: zeros are incidental
  // Zero fraction must match the masked share t/a (binomial, 4σ).
  const share = t / a;
  const n = sorted.length;
  if (Math.abs(zeros / n - share) > 4 * Math.sqrt((share * (1 - share)) / n) + 1 / n) return undefined;
  const width = a - t;
  const cdf = (x: number): number => (x <= -a ? 0 : x < -t ? (x + a) / (2 * width) : x <= t ? 0.5 : x < a ? 0.5 + (x - t) / (2 * width) : 1);
  return { candidate: { scheme: 'masked_uniform', params: { a: round(a), threshold: round(t) }, cdf, family: 'exact' }, nonZero };
}

/** g when the rows (or columns) of W are orthogonal with norm g, as torch.nn.init.orthogonal_ makes them. */
function orthogonalGain(v: Float64Array, rows: number, cols: number): number | undefined {
  const byRows = rows <= cols;
  const k = byRows ? rows : cols;
  const len = byRows ? cols : rows;
  if (k < 2 || k * k * len > MAX_ORTHOGONAL_WORK) return undefined;
  const at = (i: number, j: number): number => (byRows ? v[i * cols + j]! : v[j * cols + i]!);
  let g2 = 0;
  for (let j = 0; j < len; j++) g2 += at(0, j) * at(0, j);
  if (g2 === 0) return undefined;
  for (let i = 0; i < k; i++) {
    for (let m = i; m < k; m++) {
      let dot = 0;
      for (let j = 0; j < len; j++) dot += at(i, j) * at(m, j);
      if (Math.abs(dot - (i === m ? g2 : 0)) > ORTHOGONAL_TOLERANCE * g2) return undefined;
    }
  }
  return Math.sqrt(g2);
}
