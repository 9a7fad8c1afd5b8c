/** Plain-text wording of an init verdict, for the hover and the CLI (English; no Markdown). */

/** What describeInit reads: an InitDetection, or the InitView a worker sends (same fields). */
export interface InitVerdictLike {
  scheme: string;
  params: Record<string, number | string>;
  fit: { ks: number; p: number; n: number } | null;
  equivalent: ReadonlyArray<{ scheme: string; params: Record<string, number | string>; fit: { ks: number; p: number; n: number } | null; relation?: 'same_law' | 'indistinguishable' }>;
  alternatives: ReadonlyArray<{ scheme: string; params: Record<string, number | string>; fit: { ks: number; p: number; n: number } | null }>;
  moduleScheme?: { group: string; scheme: string; params: Record<string, number | string>; layers: number; strong: number; votes: number };
  decidedBy?: 'values' | 'module';
}

export interface InitDescription {
  /** The verdict with every parameter: `kaiming_normal(mode=fan_out, nonlinearity=relu, std=0.0417)`. */
  label: string;
  /** One sentence per scheme the values cannot tell from the verdict: `kaiming_normal(fan_out, relu) ≡ kaiming_normal(fan_in, linear) for this shape`. */
  equivalent: string[];
  /** The best scheme of another law, with its parameters and fit. */
  runnerUp?: string;
  /** What the verdict means when its name alone does not say (unknown, too_few). */
  meaning?: string;
  /** The scheme of the layer's module type, and whether it decided this layer. */
  module?: string;
}

const fmt = (v: number | string): string => (typeof v === 'number' ? String(Number(v.toPrecision(4))) : v);

/** `xavier_uniform(gain=1, nonlinearity=linear, bound=0.707)`; `unknown` and `too_few` without brackets. */
export function schemeLabel(s: { scheme: string; params: Record<string, number | string> }): string {
  if (s.scheme === 'unknown' || s.scheme === 'too_few') return s.scheme;
  const args = Object.entries(s.params).map(([k, v]) => `${k}=${fmt(v)}`);
  return args.length > 0 ? `${s.scheme}(${args.join(', ')})` : s.scheme;
}

/** The call as a person writes it: `kaiming_normal(fan_out, relu)`, `xavier_normal(gain=1)`, `normal(mean=0, std=0.01)`. */
export function schemeShort(s: { scheme: string; params: Record<string, number | string> }): string {
  const p = s.params;
  if (s.scheme.startsWith('kaiming_')) return `${s.scheme}(${String(p.mode)}, ${String(p.nonlinearity)})`;
  if (s.scheme.startsWith('xavier_')) return `${s.scheme}(gain=${fmt(p.gain ?? 1)})`;
  if (s.scheme === 'pytorch_default') return 'pytorch_default';
  return schemeLabel(s);
}

/** Formats an init verdict (InitDetection or InitView) as plain text for the hover and the CLI. */
export function describeInit(d: InitVerdictLike): InitDescription {
  const out: InitDescription = { label: schemeLabel(d), equivalent: [] };
  if (d.scheme === 'unknown') out.meaning = 'no scheme fits these values (trained weights?)';
  else if (d.scheme === 'too_few') out.meaning = d.params.n === 1 ? 'one value is too few to tell schemes apart' : `${fmt(d.params.n ?? 0)} values are too few to tell schemes apart`;
  const n = d.fit?.n;
  for (const e of d.equivalent) {
    out.equivalent.push(e.relation === 'indistinguishable' ? `${schemeShort(d)} ≈ ${schemeLabel(e)}: ${n ?? 'these'} values cannot tell them apart` : `${schemeShort(d)} ≡ ${schemeShort(e)} for this shape`);
  }
  const r = d.alternatives[0];
  if (r) out.runnerUp = `${schemeLabel(r)}${r.fit ? `, KS ${fmt(r.fit.ks)} (p ${fmt(r.fit.p)})` : ''}`;
  const m = d.moduleScheme;
  if (m) {
    const scheme = schemeShort(m);
    out.module = `${m.group} layers: ${scheme} (${m.votes} of ${m.strong} layers whose values single out one law${m.layers > m.strong ? `, ${m.layers} layers in all` : ''})${d.decidedBy === 'module' ? '; it decides here, where this layer’s own values cannot' : ''}`;
  }
  return out;
}
