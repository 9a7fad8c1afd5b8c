import type { ModuleScheme } from '../../core/initScheme';
import { ksCritical, ksDistance, ksPValue, normalCdf, truncNormalCdf, uniformCdf } from './distributions';
import { GAINS, fans } from './fans';
import { arrangeVerdict, conventionRank, SCHEMES, sameLaw, type SchemeName } from './verdict';
export { arrangeVerdict, conventionRank, isNamedScheme, sameLaw, schemeKey } from './verdict';

export { SCHEMES, type SchemeName } from './verdict';

export interface SchemeFit {
  /**
   * A SchemeName. Typed as a string so that the views a worker sends (`InitView`) are detections
   * too: the model-level pass runs on them in the host.
   */
  scheme: string;
  params: Record<string, number | string>;
  /** Kolmogorov–Smirnov distance and its p-value (for the values tested), where a test applies. */
  fit: { ks: number; p: number; n: number } | null;
  /**
   * Candidates only: whether the values pass every test of this scheme (KS, range and, for the
   * named schemes, the scale test): whether they are consistent with it.
   */
  pass?: boolean;
  /**
   * Candidates only, named schemes: passes every test at ALPHA_LOOSE instead of ALPHA.
   * Alone, a layer's values decide at ALPHA; the model-level pass lets a module type's scheme,
   * seen on its other layers, explain a layer whose scale is off by a 1-in-1000 draw.
   */
  passLoose?: boolean;
  /**
   * Equivalents only: `same_law` when the scheme gives this very distribution for this shape
   * (kaiming_normal(fan_out, relu) and kaiming_normal(fan_in, linear) when fan_out = 2·fan_in),
   * `indistinguishable` when it is another law that these values cannot tell from the verdict.
   */
  relation?: 'same_law' | 'indistinguishable';
}

export type { ModuleScheme } from '../../core/initScheme';

export interface InitDetection extends SchemeFit {
  /** Other schemes that fit (or came closest), best first; none gives the verdict's law. */
  alternatives: SchemeFit[];
  /** Every scheme tried, with the parameters this shape implies: the panel's overlay choices. */
  candidates: SchemeFit[];
  /**
   * Schemes the values cannot tell from the verdict: the same law for this shape (`same_law`), or
   * another law that fits as well at this sample size (`indistinguishable`).
   */
  equivalent: SchemeFit[];
  /** Set by the model-level pass (`attributeModelInit`): the scheme of this layer's module type. */
  moduleScheme?: ModuleScheme;
  /** `module`: the layer's own values could not tell its candidates apart and the module type's scheme decided. */
  decidedBy?: 'values' | 'module';
}

export interface InitInput {
  /** Values in any order (a sample of the tensor is fine: init schemes draw i.i.d.). */
  values: Float64Array;
  shape: readonly number[];
  /** The reader's fans where the layout is not torch's (see core `Fans`); else the shape's. */
  fans?: { fanIn: number; fanOut: number };
  /** fan_in of the layer for biases (from the weight beside it), as nn.Linear/Conv use it. */
  biasFanIn?: number;
  /** The values are a sample of a larger tensor: structure checks (orthogonality) are skipped. */
  sampled?: boolean;
  /**
   * Relative rounding of the stored dtype (`storedRounding`): a uniform's largest value may sit
   * this far beyond its bound, or this far inside it, from rounding alone (bfloat16: 2⁻⁸).
   */
  rounding?: number;
}

/** Half the relative spacing of a floating dtype's values (its unit roundoff); 0 for others. */
export function storedRounding(dtype: string): number {
  switch (dtype) {
    case 'float64':
      return 2 ** -53;
    case 'float32':
      return 2 ** -24;
    case 'float16':
      return 2 ** -11;
    case 'bfloat16':
      return 2 ** -8;
    case 'float8_e4m3fn':
    case 'float8_e4m3fnuz':
      return 2 ** -4;
    case 'float8_e5m2':
    case 'float8_e5m2fnuz':
      return 2 ** -3;
    default:
      return 0;
  }
}

/** Below this many values a distribution cannot be told from another. */
export const MIN_VALUES_TO_FIT = 16;
/**
 * Significance level of every test. Every tensor is tested against a few dozen candidates, so a
 * strict level keeps the true scheme from being rejected by an unlucky draw.
 */
const ALPHA = 0.001;
/**
 * A KS distance this small always passes: values stored in float16/bfloat16 are rounded to
 * ~3 significant digits, which alone moves the empirical CDF by up to ~0.4%.
 */
const KS_FLOOR = 0.006;
/** Two-sided normal quantile at ALPHA: the scale test of the named normal schemes. */
const Z_CRIT = 3.29;
/** n·ln(b / max|x|) of n draws from U(−b, b) is Exp(1): its upper ALPHA quantile. */
const UNIFORM_T_MAX = -Math.log(ALPHA);
/** The tests' level for `passLoose`, and the scale test's normal and Exp(1) quantiles there. */
const ALPHA_LOOSE = 1e-5;
const Z_CRIT_LOOSE = 4.42;
const UNIFORM_T_MAX_LOOSE = -Math.log(ALPHA_LOOSE);
/** float32 values may sit a few ulps (relative 6e-8) beyond a bound computed in float64. */
const UNIFORM_ROUNDING = 2e-7;
/** Named schemes ruled out by their scale alone whose KS distance is still computed (the closest by scale). */
const DEFERRED_KS = 4;
/** |W Wᵀ − g²I| tolerance, relative to g², for the orthogonality check (float32 rounding). */
const ORTHOGONAL_TOLERANCE = 1e-3;
/** Work cap for the orthogonality check: rows² × cols multiply-adds. */
const MAX_ORTHOGONAL_WORK = 2e8;

/**
 * How candidates compete: exact structure first, then the named schemes (their scale must match
 * too), then generic families with fitted parameters.
 */
type Family = 'exact' | 'named_uniform' | 'named_normal' | 'generic';

interface Candidate {
  scheme: SchemeName;
  params: Record<string, number | string>;
  cdf: (x: number) => number;
  family: Family;
  /** Bound (uniform) or std (normal) the scheme implies for this shape. */
  scale?: number;
}

type Judged = SchemeFit & { d: number; family: Family; scale?: number; score: number; pass: boolean; passLoose?: boolean };

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
  let sq = 0;
  for (const x of sorted) {
    sum += x;
    sq += x * x;
  }
  const mean = sum / n;
  let ss = 0;
  for (const x of sorted) ss += (x - mean) * (x - mean);
  const std = Math.sqrt(ss / (n - 1));
  // The named normals have mean 0: their scale estimate is the root mean square.
  const rms = Math.sqrt(sq / n);
  const min = sorted[0]!;
  const max = sorted[n - 1]!;
  const absMax = Math.max(-min, max);

  // Rounding to the stored dtype moves the largest |x| by up to this much, relative.
  const slack = Math.max(UNIFORM_ROUNDING, 1.01 * (input.rounding ?? 0));
  const judged: Judged[] = [];
  /** Named schemes whose scale fails even the loose test: their KS distance is only for ranking misses. */
  const deferred: Array<{ entry: Judged; cdf: (x: number) => number }> = [];
  const ks = (entry: Judged, cdf: (x: number) => number, sample: Float64Array): number => {
    const d = ksDistance(sample, cdf);
    entry.d = d;
    entry.fit = { ks: round(d), p: round(ksPValue(d, sample.length)), n: sample.length };
    return d;
  };
  const judge = (c: Candidate, sample: Float64Array = sorted): Judged => {
    const m = sample.length;
    const named = c.family === 'named_uniform' || c.family === 'named_normal';
    // The scale test first (O(1)): a named scheme whose scale fails it even at ALPHA_LOOSE cannot
    // pass, and its KS distance (a pass over every value) is wanted only for the closest misses.
    let score = 0;
    let scaleOk = true;
    let scaleLoose = true;
    if (c.family === 'named_uniform' && c.scale !== undefined) {
      // The largest |x| of m draws of U(−b, b): m·ln(b / max|x|) is Exp(1) (mean 1).
      const t = absMax > 0 ? m * Math.log(c.scale / absMax) : Infinity;
      scaleOk = t >= -slack * m && t <= UNIFORM_T_MAX + (slack > UNIFORM_ROUNDING ? slack * m : 0);
      scaleLoose = t >= -slack * m && t <= UNIFORM_T_MAX_LOOSE + (slack > UNIFORM_ROUNDING ? slack * m : 0);
      score = Math.abs(t - 1);
    } else if (c.family === 'named_normal' && c.scale !== undefined) {
      // ln of the root mean square has standard error 1/√(2m) under N(0, σ²).
      const z = Math.log(rms / c.scale) * Math.sqrt(2 * m);
      scaleOk = Math.abs(z) <= Z_CRIT;
      scaleLoose = Math.abs(z) <= Z_CRIT_LOOSE;
      score = Math.abs(z);
    }
    const entry: Judged = { scheme: c.scheme, params: c.params, fit: null, d: Infinity, family: c.family, scale: c.scale, score, pass: false, ...(named ? { passLoose: false } : {}) };
    judged.push(entry);
    if (named && !scaleLoose) {
      deferred.push({ entry, cdf: c.cdf });
      return entry;
    }
    const d = ks(entry, c.cdf, sample);
    if (!named) entry.score = d;
    // The critical distance belongs to the sample tested (masked_uniform tests the non-zeros only).
    entry.pass = scaleOk && d <= Math.max(ksCritical(m, ALPHA), KS_FLOOR) && rangeTestPasses(sample, c.cdf, ALPHA, slack);
    if (named) entry.passLoose = d <= Math.max(ksCritical(m, ALPHA_LOOSE), KS_FLOOR) && rangeTestPasses(sample, c.cdf, ALPHA_LOOSE, slack);
    return entry;
  };

  const f = input.fans ?? fans(input.shape);
  const fanIn = f?.fanIn ?? input.biasFanIn;
  const rank = input.shape.length === 1 ? 2 : input.shape.length;

  // Orthogonal: exact structure of the (rows × rest) matrix, as orthogonal_ flattens it.
  const total = input.shape.reduce((a, b) => a * b, 1);
  if (f && v.length === total && !input.sampled) {
    const rows = input.shape[0]!;
    const gain = orthogonalGain(v, rows, total / rows);
    // Elements of an orthogonal matrix scatter like N(0, g²/len): the std drives the overlay.
    if (gain !== undefined) judged.push({ scheme: 'orthogonal', params: { gain: round(gain), std: round(gain / Math.sqrt(rows <= total / rows ? total / rows : rows)) }, fit: null, d: 0, family: 'exact', score: 0, pass: true });
  }

  // masked_uniform: uniform(−a, a) with |w| < t zeroed (the seed's my_init). A visible mask is
  // structure, like orthogonality: it outranks the families.
  const masked = maskedUniform(sorted);
  if (masked) judge(masked.candidate, masked.nonZero);

  if (fanIn !== undefined && fanIn > 0) {
    const b = 1 / Math.sqrt(fanIn);
    judge({ scheme: 'pytorch_default', params: { bound: round(b), fan_in: fanIn }, cdf: (x) => uniformCdf(x, -b, b), family: 'named_uniform', scale: b });
  }
  if (f) {
    // Every known gain is a candidate: the scale test, not a nearest-gain guess, decides.
    for (const g of GAINS) {
      const xb = g.gain * Math.sqrt(6 / (f.fanIn + f.fanOut));
      judge({ scheme: 'xavier_uniform', params: { gain: round(g.gain), nonlinearity: g.nonlinearity, bound: round(xb) }, cdf: (x) => uniformCdf(x, -xb, xb), family: 'named_uniform', scale: xb });
      const xs = g.gain * Math.sqrt(2 / (f.fanIn + f.fanOut));
      judge({ scheme: 'xavier_normal', params: { gain: round(g.gain), nonlinearity: g.nonlinearity, std: round(xs) }, cdf: (x) => normalCdf(x, 0, xs), family: 'named_normal', scale: xs });
      for (const mode of ['fan_in', 'fan_out'] as const) {
        const fan = mode === 'fan_in' ? f.fanIn : f.fanOut;
        const kb = g.gain * Math.sqrt(3 / fan);
        judge({ scheme: 'kaiming_uniform', params: { mode, nonlinearity: g.nonlinearity, gain: round(g.gain), bound: round(kb) }, cdf: (x) => uniformCdf(x, -kb, kb), family: 'named_uniform', scale: kb });
        const ks = g.gain / Math.sqrt(fan);
        judge({ scheme: 'kaiming_normal', params: { mode, nonlinearity: g.nonlinearity, std: round(ks) }, cdf: (x) => normalCdf(x, 0, ks), family: 'named_normal', scale: ks });
      }
    }
  }

  // Generic families with fitted parameters: uniform widened by one spacing (its unbiased range).
  const pad = (max - min) / (n - 1);
  const lo = min - pad;
  const hi = max + pad;
  judge({ scheme: 'uniform', params: { low: round(lo), high: round(hi) }, cdf: (x) => uniformCdf(x, lo, hi), family: 'generic' });
  const normal = judge({ scheme: 'normal', params: { mean: round(mean), std: round(std) }, cdf: (x) => normalCdf(x, mean, std), family: 'generic' });
  const tn = truncNormalFit(mean, std, lo, hi);
  // A truncated normal (4 parameters) always fits at least as well as the normal it cuts; it is
  // named only when the plain normal is rejected (the range test sees the missing tails).
  if (tn) judge({ scheme: 'trunc_normal', params: { mean: round(mean), std: round(tn.std), a: round(lo), b: round(hi) }, cdf: (x) => truncNormalCdf(x, mean, tn.std, lo, hi), family: 'generic' }).pass &&= !normal.pass;

  // KS distances of the closest deferred misses (by scale), so the runners-up show a fit.
  for (const { entry, cdf } of deferred.sort((x, y) => x.entry.score - y.entry.score).slice(0, DEFERRED_KS)) ks(entry, cdf, sorted);

  const schemeRank = (s: string): number => (SCHEMES as readonly string[]).indexOf(s);
  const candidates: SchemeFit[] = judged.map(({ scheme, params, fit, pass, passLoose }) => ({ scheme, params, fit, pass, ...(passLoose !== undefined ? { passLoose } : {}) }));
  const asCandidate = (j: Judged): SchemeFit => candidates[judged.indexOf(j)]!;
  const orderOf = (a: SchemeFit, b: SchemeFit): number => lawOrder(judged[candidates.indexOf(a)]!, judged[candidates.indexOf(b)]!);
  const detection = (best: Judged): InitDetection => ({ ...arrangeVerdict(asCandidate(best), candidates, rank, orderOf), candidates });

  const exact = judged.filter((j) => j.pass && j.family === 'exact').sort((a, b) => schemeRank(a.scheme) - schemeRank(b.scheme));
  if (exact[0]) return detection(exact[0]);
  // Named schemes: the best law, and within it the ecosystem's usual spelling of that law.
  const named = judged.filter((j) => j.pass && (j.family === 'named_uniform' || j.family === 'named_normal')).sort(lawOrder);
  if (named[0]) {
    const best = named.filter((j) => sameLaw(j, named[0]!)).sort((a, b) => conventionRank(a, rank) - conventionRank(b, rank))[0]!;
    return { ...detection(best), decidedBy: 'values' };
  }
  const generic = judged.filter((j) => j.pass && j.family === 'generic').sort((a, b) => a.d - b.d);
  if (generic[0]) return detection(generic[0]);
  const closest = [...judged].sort((a, b) => a.d - b.d);
  return { scheme: 'unknown', params: {}, fit: closest[0]?.fit ?? null, alternatives: closest.slice(0, 3).map(({ scheme, params, fit }) => ({ scheme, params, fit })), equivalent: [], candidates };
}

/**
 * Order of two named laws that both fit: every nn.Linear and nn.Conv* starts as pytorch_default,
 * so it comes first; within a family (uniform or normal) the scale nearer the data's; across
 * families (small layers fit both a uniform and a normal) the smaller KS distance.
 */
function lawOrder(a: Judged, b: Judged): number {
  const da = Number(a.scheme !== 'pytorch_default');
  const db = Number(b.scheme !== 'pytorch_default');
  if (da !== db) return da - db;
  if (a.family === b.family) return a.score - b.score;
  return a.d - b.d;
}

/**
 * Range test, two-sided: the probability mass u = F(max) − F(min) between the extremes of n
 * draws follows Beta(n − 1, 2), whose CDF is n·u^(n−1) − (n−1)·u^n. Too small a u means the
 * values stop short of where the candidate puts its tails (a truncated normal is not a normal;
 * U(±0.5) draws are not xavier's U(±0.71)); u = 1 means values outside a bounded support.
 */
function rangeTestPasses(sorted: ArrayLike<number>, cdf: (x: number) => number, alpha: number, eps: number): boolean {
  const n = sorted.length;
  const lo = sorted[0]!;
  const hi = sorted[n - 1]!;
  // Bounds are computed in float64, data rounded to the stored dtype: each extreme may sit eps
  // (relative) off where it was drawn. u is then known only within [uIn, uOut]; the test rejects
  // only what every u in there would. Values at the support's edge count as inside (uIn < 1).
  const mass = (a: number, b: number): number => Math.min(1, Math.max(0, cdf(b) - cdf(a)));
  const uIn = mass(lo + eps * Math.abs(lo), hi - eps * Math.abs(hi));
  const uOut = mass(lo - eps * Math.abs(lo), hi + eps * Math.abs(hi));
  if (uIn >= 1) return false;
  const below = (u: number): number => n * u ** (n - 1) - (n - 1) * u ** n;
  return below(uOut) >= alpha / 2 && 1 - below(uIn) >= alpha / 2;
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
