import type { SchemeFit } from './detectInit';
import { normalCdf, truncNormalCdf, uniformCdf } from './distributions';

const num = (p: SchemeFit['params'], k: string): number => Number(p[k]);

/**
 * The CDF a scheme with these parameters implies (params as `detectInit` reports them, which
 * always include the implied bound or std), or a point mass for zeros and constants.
 */
export function schemeCdf(s: { scheme: string; params: SchemeFit['params'] }): ((x: number) => number) | undefined {
  const p = s.params;
  switch (s.scheme) {
    case 'zeros':
      return (x) => (x < 0 ? 0 : 1);
    case 'constant':
      return (x) => (x < num(p, 'value') ? 0 : 1);
    case 'uniform':
      return (x) => uniformCdf(x, num(p, 'low'), num(p, 'high'));
    case 'pytorch_default':
    case 'xavier_uniform':
    case 'kaiming_uniform':
      return (x) => uniformCdf(x, -num(p, 'bound'), num(p, 'bound'));
    case 'normal':
      return (x) => normalCdf(x, num(p, 'mean'), num(p, 'std'));
    case 'xavier_normal':
    case 'kaiming_normal':
    case 'orthogonal':
      return (x) => normalCdf(x, 0, num(p, 'std'));
    case 'trunc_normal':
      return (x) => truncNormalCdf(x, num(p, 'mean'), num(p, 'std'), num(p, 'a'), num(p, 'b'));
    case 'masked_uniform': {
      const a = num(p, 'a');
      const t = num(p, 'threshold');
      // Mass t/a at zero, the rest uniform on [−a, −t] ∪ [t, a].
      const zero = t / a;
      const side = (1 - zero) / 2;
      return (x) => (x < -a ? 0 : x < -t ? (side * (x + a)) / (a - t) : x < 0 ? side : x < t ? side + zero : x < a ? side + zero + (side * (x - t)) / (a - t) : 1);
    }
    default:
      return undefined;
  }
}

/** Expected count per histogram bin for n values drawn from the scheme: n·(F(right) − F(left)). */
export function expectedBinCounts(s: { scheme: string; params: SchemeFit['params'] }, hist: { min: number; max: number; bins: number }, n: number): number[] | undefined {
  if (s.scheme === 'zeros' || s.scheme === 'constant') {
    // A point mass lands in one bin, chosen as torch.histc chooses it.
    const v = s.scheme === 'zeros' ? 0 : num(s.params, 'value');
    const out = new Array<number>(hist.bins).fill(0);
    if (v >= hist.min && v <= hist.max && hist.max > hist.min) out[Math.min(hist.bins - 1, Math.floor(((v - hist.min) / (hist.max - hist.min)) * hist.bins))] = n;
    return out;
  }
  const cdf = schemeCdf(s);
  if (!cdf) return undefined;
  const out = new Array<number>(hist.bins);
  const w = (hist.max - hist.min) / hist.bins;
  let prev = cdf(hist.min - 1e-300);
  for (let i = 0; i < hist.bins; i++) {
    // The last bin is closed on the right, as torch.histc's.
    const edge = i === hist.bins - 1 ? hist.max : hist.min + (i + 1) * w;
    const f = i === hist.bins - 1 ? cdf(edge) : cdf(edge - 1e-300);
    out[i] = n * Math.max(0, f - prev);
    prev = f;
  }
  return out;
}
