import type { SchemeFit } from './detectInit';

/** Draws per simulation: enough for a smooth 256-bin histogram, cheap to make. */
export const MAX_SIMULATED_VALUES = 1 << 22;

/** mulberry32: a small, fast, seedable PRNG; reproducible draws for the same seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const num = (p: SchemeFit['params'], k: string): number => Number(p[k]);

/**
 * A fresh sample of n values from a scheme with these parameters, seeded: what `init_normal` or
 * `my_init` would have drawn for a tensor of this size (not torch's exact stream, but its law).
 */
export function sampleScheme(s: { scheme: string; params: SchemeFit['params'] }, n: number, seed: number): Float64Array | undefined {
  const rand = mulberry32(seed);
  const out = new Float64Array(Math.min(n, MAX_SIMULATED_VALUES));
  const p = s.params;
  const gauss = (): number => {
    // Box–Muller; 1 − u keeps the log finite.
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const fill = (f: () => number): Float64Array => {
    for (let i = 0; i < out.length; i++) out[i] = f();
    return out;
  };
  switch (s.scheme) {
    case 'zeros':
      return out;
    case 'constant':
      return out.fill(num(p, 'value'));
    case 'uniform':
      return fill(() => num(p, 'low') + (num(p, 'high') - num(p, 'low')) * rand());
    case 'pytorch_default':
    case 'xavier_uniform':
    case 'kaiming_uniform':
      return fill(() => (2 * rand() - 1) * num(p, 'bound'));
    case 'normal':
      return fill(() => num(p, 'mean') + num(p, 'std') * gauss());
    case 'xavier_normal':
    case 'kaiming_normal':
    case 'orthogonal':
      return fill(() => num(p, 'std') * gauss());
    case 'trunc_normal': {
      // Rejection, as torch.nn.init.trunc_normal_'s law (it uses inverse-CDF sampling).
      const [m, sd, a, b] = [num(p, 'mean'), num(p, 'std'), num(p, 'a'), num(p, 'b')];
      return fill(() => {
        for (let k = 0; k < 1000; k++) {
          const x = m + sd * gauss();
          if (x >= a && x <= b) return x;
        }
        return Math.min(b, Math.max(a, m));
      });
    }
    case 'masked_uniform': {
      const [a, t] = [num(p, 'a'), num(p, 'threshold')];
      return fill(() => {
        const x = (2 * rand() - 1) * a;
        return Math.abs(x) >= t ? x : 0;
      });
    }
    default:
      return undefined;
  }
}
