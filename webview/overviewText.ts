import './l10n';
import * as l10n from '@vscode/l10n';
import type { DepthStat } from '../src/protocol/overviewMessages';
import { fmtNumber } from './vscodeApi';

/** `512 B`, `3.4 KB`, `1.24 GB`: decimal units, as model cards and the Hub state file sizes. */
export function fmtBytes(n: number): string {
  const units: Array<[number, string]> = [
    [1e12, 'TB'],
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'KB'],
  ];
  const u = units.find(([d]) => n >= d);
  return u ? `${Number((n / u[0]).toPrecision(3))} ${u[1]}` : `${n} B`;
}

/** `12.3%`; shares below a tenth of a percent say so rather than read 0. */
export function fmtShare(part: number, whole: number): string {
  if (whole <= 0) return '—';
  const p = (100 * part) / whole;
  return p > 0 && p < 0.1 ? '<0.1%' : `${Number(p.toFixed(p >= 10 ? 1 : 2))}%`;
}

export const STAT_TITLES: Record<DepthStat, string> = { l2: l10n.t('L2 norm'), std: l10n.t('std'), absMax: l10n.t('max |x|') };

/** `self_attn.q_proj.weight` for `model.layers.*.self_attn.q_proj.weight` in the stack `model.layers`. */
export function kindLabel(kind: string, stack: string): string {
  const prefix = `${stack}.*.`;
  return kind.startsWith(prefix) ? kind.slice(prefix.length) : kind;
}

export const OUTLIER_RULE = l10n.t(
  'A layer is flagged when log10 of its L2 norm, std or max |x| has a modified z-score |0.6745·(x − median)/MAD| above 3.5 among the layers of its kind (at least 5 layers) and the value is at least 1.5 times (or at most 1/1.5 of) their median, or when it is all zeros or holds NaN/Inf.',
);

/** A scheme in a few characters, for one cell of the init strip: `N(0.02)`, `U`, `ones`, `zeros`. */
export function schemeCellText(s: { scheme: string; params: Record<string, number | string> }): string {
  const p = s.params;
  const num = (v: number | string | undefined): string => (typeof v === 'number' ? fmtNumber(Number(v.toPrecision(2))) : '');
  switch (s.scheme) {
    case 'normal':
      return p.mean === 0 || p.mean === undefined ? `N(${num(p.std)})` : `N(${num(p.mean)}, ${num(p.std)})`;
    case 'trunc_normal':
      return `TN(${num(p.std)})`;
    case 'uniform':
      return 'U';
    case 'kaiming_uniform':
      return 'KU';
    case 'kaiming_normal':
      return 'KN';
    case 'xavier_uniform':
      return 'XU';
    case 'xavier_normal':
      return 'XN';
    case 'pytorch_default':
      return 'PT';
    case 'orthogonal':
      return 'orth';
    case 'masked_uniform':
      return 'MU';
    case 'zeros':
      return 'zeros';
    case 'constant':
      return p.value === 1 ? 'ones' : `=${num(p.value)}`;
    case 'unknown':
      return '?';
    case 'too_few':
      return '·';
    default:
      return s.scheme.slice(0, 4);
  }
}

/**
 * Fills for data marks, readable on light and dark themes alike: Tableau 10 (mid-luminance hues
 * chosen to stay apart for common colour-vision deficiencies) and six more of its 20-colour set.
 */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac', '#1f77b4', '#8cd17d', '#d37295', '#499894', '#f1ce63', '#86bcb6'];

/** Fixed colours for the schemes, so one scheme reads the same in every stack and every file. */
const SCHEME_COLOURS: Record<string, string> = {
  normal: '#4e79a7',
  trunc_normal: '#76b7b2',
  uniform: '#f28e2b',
  kaiming_uniform: '#edc948',
  kaiming_normal: '#59a14f',
  xavier_uniform: '#ff9da7',
  xavier_normal: '#b07aa1',
  pytorch_default: '#9c755f',
  orthogonal: '#d37295',
  masked_uniform: '#f1ce63',
  zeros: '#bab0ac',
  constant: '#e8e8e8',
  unknown: '#e15759',
};

export function schemeColour(scheme: string): string | undefined {
  return SCHEME_COLOURS[scheme];
}

/** Black or white, whichever reads better on `hex` (WCAG relative luminance). */
export function textOn(hex: string): string {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  const lum = 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
  return lum > 0.179 ? '#000000' : '#ffffff';
}
