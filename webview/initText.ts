import './l10n';
import * as l10n from '@vscode/l10n';
import type { ModuleSchemeView, SchemeView } from '../src/protocol/messages';
import { fmtNumber } from './vscodeApi';

/** The verdict fields both init pages word: an InitView, or an init report row's result. */
export interface VerdictView extends SchemeView {
  equivalent?: SchemeView[];
  moduleScheme?: ModuleSchemeView;
  decidedBy?: 'values' | 'module';
}

/** `a=9.67246, threshold=5.0519` */
export function paramsText(params: Record<string, number | string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? fmtNumber(v) : v}`)
    .join(', ');
}

/** `xavier_uniform(gain=1, bound=0.707)`; `unknown`, `too_few` and argument-free schemes without brackets. */
export function schemeLabel(s: { scheme: string; params: Record<string, number | string> }): string {
  if (s.scheme === 'unknown' || s.scheme === 'too_few') return s.scheme;
  const args = paramsText(s.params);
  return args ? `${s.scheme}(${args})` : s.scheme;
}

/** `kaiming_normal(fan_out, relu)`, `xavier_normal(gain=1)`: a scheme as an init call names it. */
export function schemeShort(s: { scheme: string; params: Record<string, number | string> }): string {
  const p = s.params;
  if (s.scheme.startsWith('kaiming_')) return `${s.scheme}(${String(p.mode)}, ${String(p.nonlinearity)})`;
  if (s.scheme.startsWith('xavier_')) return `${s.scheme}(gain=${typeof p.gain === 'number' ? fmtNumber(p.gain) : '1'})`;
  return s.scheme === 'pytorch_default' ? s.scheme : schemeLabel(s);
}

/** `≡ kaiming_normal(fan_in, linear)` (same law for this shape) or `≈ xavier_normal(gain=1)` (not told apart). */
export const equivalentMark = (e: SchemeView): string => `${e.relation === 'indistinguishable' ? '≈' : '≡'} ${schemeShort(e)}`;

/** One sentence per scheme the values cannot tell from the verdict. */
export function equivalentLines(v: VerdictView): string[] {
  return (v.equivalent ?? []).map((e) =>
    e.relation === 'indistinguishable' ? l10n.t('{0} ≈ {1}: {2} values cannot tell them apart', schemeShort(v), schemeLabel(e), v.fit?.n ?? 0) : l10n.t('{0} ≡ {1} for this shape', schemeShort(v), schemeShort(e)),
  );
}

/** The module type's scheme, and whether it decided this layer. */
export function moduleLines(v: VerdictView): string[] {
  const m = v.moduleScheme;
  if (!m) return [];
  const line = l10n.t('{0} layers: {1} ({2} of {3} layers whose values single out one law)', m.group, schemeShort(m), m.votes, m.strong);
  return v.decidedBy === 'module' ? [line, l10n.t('This layer’s own values cannot tell its candidates apart: its module type’s scheme decides.')] : [line];
}

/** What the verdict means when its name alone does not say; otherwise its parameters. */
export function verdictMeaning(v: SchemeView): string {
  if (v.scheme === 'unknown') return l10n.t('no scheme fits these values (trained weights?)');
  if (v.scheme === 'too_few') return l10n.t('{0} values are too few to tell schemes apart', v.params.n ?? 0);
  return paramsText(v.params);
}
