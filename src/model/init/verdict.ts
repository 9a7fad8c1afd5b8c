import { GAINS } from './fans';
import type { InitDetection, SchemeFit } from './detectInit';

/**
 * How a verdict is named and ordered among schemes that give the same law for a shape (the
 * ecosystem's habits), shared by the per-tensor detector (detectInit) and the model-level pass
 * (attributeModelInit).
 */

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

/** Implied scales this close (relative) are one law: the same formula reached by two schemes. */
const SAME_LAW = 1e-6;

/**
 * The ecosystem's habits, most common first, for breaking ties between schemes that give the same
 * law for a shape: torchvision initialises convolutions with kaiming_normal(fan_out, relu) (resnet,
 * vgg, mobilenet, efficientnet, mnasnet) or kaiming_normal/uniform(fan_in) (densenet, squeezenet);
 * layers without init code keep PyTorch's default; Linear layers otherwise mostly use xavier.
 */
const CONV_CONVENTION = ['pytorch_default', 'kaiming_normal(fan_out, relu)', 'kaiming_normal(fan_in, relu)', 'kaiming_uniform(fan_in, relu)', 'kaiming_uniform(fan_out, relu)', 'xavier_uniform(gain=1)', 'xavier_normal(gain=1)'];
const LINEAR_CONVENTION = ['pytorch_default', 'xavier_uniform(gain=1)', 'xavier_normal(gain=1)', 'kaiming_normal(fan_in, relu)', 'kaiming_uniform(fan_in, relu)', 'kaiming_normal(fan_out, relu)', 'kaiming_uniform(fan_out, relu)'];

/**
 * A scheme with its identity arguments only (`kaiming_normal(fan_out, relu)`, `xavier_uniform(gain=1)`):
 * what an init call says, not the bound or std it implies for one shape.
 */
export function schemeKey(s: { scheme: string; params: Record<string, number | string> }): string {
  const p = s.params;
  if (s.scheme === 'kaiming_uniform' || s.scheme === 'kaiming_normal') return `${s.scheme}(${String(p.mode)}, ${String(p.nonlinearity)})`;
  if (s.scheme === 'xavier_uniform' || s.scheme === 'xavier_normal') return `${s.scheme}(gain=${p.nonlinearity === 'linear' ? '1' : `calculate_gain('${String(p.nonlinearity)}')`})`;
  return s.scheme;
}

/** Whether a scheme is one of the named ones whose law follows from the shape (pytorch_default, xavier, kaiming). */
export function isNamedScheme(scheme: string): boolean {
  return scheme === 'pytorch_default' || scheme.startsWith('xavier_') || scheme.startsWith('kaiming_');
}

/** The law a named scheme gives for its shape: family and scale (uniform bound or normal std). */
function lawOf(s: SchemeFit): { family: 'u' | 'n'; scale: number } | undefined {
  if (!isNamedScheme(s.scheme)) return undefined;
  return s.params.bound !== undefined ? { family: 'u', scale: Number(s.params.bound) } : { family: 'n', scale: Number(s.params.std) };
}

/** Whether two named schemes give the same distribution for this shape. */
export function sameLaw(a: SchemeFit, b: SchemeFit): boolean {
  const la = lawOf(a);
  const lb = lawOf(b);
  return !!la && !!lb && la.family === lb.family && Math.abs(Math.log(la.scale / lb.scale)) < SAME_LAW;
}

/** Rank of a named scheme in the ecosystem's habits for a weight of this rank (lower: more usual). */
export function conventionRank(s: SchemeFit, rank: number): number {
  const order = rank >= 3 ? CONV_CONVENTION : LINEAR_CONVENTION;
  const i = order.indexOf(schemeKey(s));
  if (i >= 0) return i;
  const g = GAINS.findIndex((x) => x.nonlinearity === s.params.nonlinearity);
  return order.length + 10 * (SCHEMES as readonly string[]).indexOf(s.scheme) + (s.params.mode === 'fan_out' ? 5 : 0) + Math.max(0, g);
}

/**
 * Arranges a verdict from judged candidates: `best` first, then every other passing named scheme
 * as an equivalent (same law, or another law that fits as well), and the runners-up, none of
 * them the verdict's law: passing named schemes, then named misses, then the rest, each by KS
 * distance. Used by detectInit and by the model-level pass when a module type's scheme decides.
 */
export function arrangeVerdict(best: SchemeFit, candidates: readonly SchemeFit[], rank: number, order?: (a: SchemeFit, b: SchemeFit) => number): Pick<InitDetection, 'scheme' | 'params' | 'fit' | 'equivalent' | 'alternatives'> {
  const byKs = (a: SchemeFit, b: SchemeFit): number => (a.fit?.ks ?? 1) - (b.fit?.ks ?? 1);
  const others = candidates.filter((c) => c !== best && !(c.scheme === best.scheme && schemeKey(c) === schemeKey(best) && sameLaw(c, best)));
  const named = isNamedScheme(best.scheme);
  // A fitted normal or uniform that some named scheme matches as well: the named ones are listed.
  const fitted = best.scheme === 'normal' || best.scheme === 'uniform';
  const same = named ? others.filter((c) => c.pass && sameLaw(c, best)).sort((a, b) => conventionRank(a, rank) - conventionRank(b, rank)) : [];
  const close = named || fitted ? others.filter((c) => c.pass && isNamedScheme(c.scheme) && !sameLaw(c, best)).sort(order ?? byKs) : [];
  const tier = (c: SchemeFit): number => (c.pass && isNamedScheme(c.scheme) ? 0 : c.pass && !named ? 1 : isNamedScheme(c.scheme) ? 2 : 3);
  const rest = others.filter((c) => !(named && sameLaw(c, best))).sort((a, b) => tier(a) - tier(b) || (tier(a) === 0 && order ? order(a, b) : byKs(a, b)));
  const strip = ({ scheme, params, fit }: SchemeFit): SchemeFit => ({ scheme, params, fit });
  return {
    ...strip(best),
    equivalent: [...same.map((c) => ({ ...strip(c), relation: 'same_law' as const })), ...close.map((c) => ({ ...strip(c), relation: 'indistinguishable' as const }))],
    alternatives: rest.slice(0, 3).map(strip),
  };
}

