import * as vscode from 'vscode';
import { CommandIds } from '../commands/commandIds';
import type { ModelIndex, ModuleNode, TensorEntry } from '../core/modelIndex';
import type { InitView, StatsView } from '../protocol/messages';
import { markdownCode as codeSpan } from '../core/displayText';
import { describeInit, schemeLabel, schemeShort } from '../model/init/describeInit';
import { slotParameter } from '../model/trainingState';
import { commandUri, formatStat, histogramSvg, svgDataUri } from './hoverFormat';
import { formatCount } from './treeNodes';
import { BLOCK_LAYOUT, bitsPerElement, isBlockDType, storageBytes } from '../core/dtypes';

/** The only commands a hover's links may run (the markdown holds names read from model files). */
export const HOVER_COMMANDS = [CommandIds.showParameter, CommandIds.revealParameter, CommandIds.bindVariable];

function markdown(): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', true);
  md.isTrusted = { enabledCommands: HOVER_COMMANDS };
  return md;
}

/** Other files named in "same in …"; the rest are counted, so a hover stays a few lines high. */
const MAX_LISTED_FILES = 4;

const fileLabel = (uri: vscode.Uri): string => codeSpan(vscode.workspace.asRelativePath(uri, false));

function whereLine(file: vscode.Uri, sameIn: readonly vscode.Uri[], same: 'values' | 'structure' | null): string {
  if (sameIn.length === 0) return vscode.l10n.t('in {0}', fileLabel(file));
  const listed = sameIn.slice(0, MAX_LISTED_FILES).map(fileLabel).join(', ');
  const others = sameIn.length > MAX_LISTED_FILES ? vscode.l10n.t('{0} and {1} more', listed, sameIn.length - MAX_LISTED_FILES) : listed;
  return same === 'structure' ? vscode.l10n.t('in {0} (same layout in {1})', fileLabel(file), others) : vscode.l10n.t('in {0} (same in {1})', fileLabel(file), others);
}

/** What the hover knows of a tensor; statistics and init may still be on their way. */
export interface TensorHoverInfo {
  file: vscode.Uri;
  index: ModelIndex;
  tensor: TensorEntry;
  /** The expression asked for `.grad`. */
  grad: boolean;
  sameIn: readonly vscode.Uri[];
  /** Statistics, or `pending` while computed in the background, or an error message. */
  stats: StatsView | 'pending' | { error: string } | undefined;
  init: InitView | undefined;
  tiedWith: readonly string[];
}

const elements = (n: number): string => (n === 1 ? vscode.l10n.t('1 element') : vscode.l10n.t('{0} elements', formatCount(n)));

function kindLabel(t: TensorEntry): string {
  switch (t.kind) {
    case 'parameter':
      return vscode.l10n.t('parameter');
    case 'buffer':
      return vscode.l10n.t('buffer');
    case 'optimizer':
      return vscode.l10n.t('optimizer state');
    default:
      return vscode.l10n.t('tensor');
  }
}

/**
 * The init lines: the verdict with its parameters (`unknown` says what it means), each law the
 * values cannot tell from it, and the runner-up with its parameters (model/init/describeInit.ts).
 */
function initLines(md: vscode.MarkdownString, init: InitView): void {
  const d = describeInit(init);
  const meaning = init.scheme === 'unknown' ? ` — ${vscode.l10n.t('no scheme fits these values (trained weights?)')}` : '';
  md.appendMarkdown(`${vscode.l10n.t('init: {0}', codeSpan(d.label))}${meaning}  \n`);
  for (const e of init.equivalent) {
    const text =
      e.relation === 'indistinguishable'
        ? vscode.l10n.t('{0} ≈ {1}: {2} values cannot tell them apart', codeSpan(schemeShort(init)), codeSpan(schemeLabel(e)), formatCount(init.fit?.n ?? 0))
        : vscode.l10n.t('{0} ≡ {1} for this shape', codeSpan(schemeShort(init)), codeSpan(schemeShort(e)));
    md.appendMarkdown(`${text}  \n`);
  }
  if (d.runnerUp) md.appendMarkdown(`${vscode.l10n.t('runner-up: {0}', codeSpan(d.runnerUp))}  \n`);
  md.appendMarkdown('\n');
}

function statsLines(md: vscode.MarkdownString, s: TensorHoverInfo['stats']): void {
  if (s === undefined) return;
  if (s === 'pending') {
    md.appendMarkdown(`${vscode.l10n.t('statistics: computing…')}\n\n`);
    return;
  }
  if ('error' in s) {
    md.appendMarkdown(`${vscode.l10n.t('statistics unavailable: {0}', codeSpan(s.error))}\n\n`);
    return;
  }
  const v = (x: number | null): string => codeSpan(formatStat(x));
  md.appendMarkdown(`${vscode.l10n.t('min {0} · max {1} · mean {2} · std {3}', v(s.min), v(s.max), v(s.mean), v(s.std))}  \n`);
  const counts = [vscode.l10n.t('zeros {0}', formatCount(s.zeros)), vscode.l10n.t('NaN {0}', formatCount(s.nan))];
  if (s.inf > 0) counts.push(vscode.l10n.t('±inf {0}', formatCount(s.inf)));
  md.appendMarkdown(`${counts.join(' · ')}\n\n`);
}

/** The preview of one tensor: where it is, what it is, its values' summary, and links. */
export function tensorHover(info: TensorHoverInfo): vscode.MarkdownString {
  const { tensor: t } = info;
  const md = markdown();
  // Optimizer state says whose it is (Adam's state[i] is the i-th parameter: model/trainingState.ts).
  const owner = t.kind === 'optimizer' ? slotParameter(info.index, t.name) : undefined;
  md.appendMarkdown(`$(symbol-field) ${codeSpan(t.path || t.name)} · ${owner ? vscode.l10n.t('optimizer state of {0}', codeSpan(owner.path || owner.name)) : kindLabel(t)}\n\n`);
  md.appendMarkdown(`${vscode.l10n.t('name {0}', codeSpan(t.name))} · ${codeSpan(t.dtype)} · ${vscode.l10n.t('shape {0}', codeSpan(`[${t.shape.join(', ')}]`))} · ${elements(t.count)}  \n`);
  // Block-quantized storage (GGUF) and the Hugging Face name llama.cpp converted it from.
  if (isBlockDType(t.dtype)) md.appendMarkdown(`${vscode.l10n.t('{0} bits per weight · {1} blocks of {2} · {3} bytes', +bitsPerElement(t.dtype).toFixed(4), formatCount(t.count / BLOCK_LAYOUT[t.dtype].elements), BLOCK_LAYOUT[t.dtype].elements, formatCount(storageBytes(t.dtype, t.count)))}  \n`);
  if (typeof t.details?.hfName === 'string') md.appendMarkdown(`${vscode.l10n.t('Hugging Face name {0}', codeSpan(t.details.hfName))}  \n`);
  md.appendMarkdown(`${whereLine(info.file, info.sameIn, 'values')}  \n`);
  // The links lead: a hover taller than the screen is cut off at the bottom, and they must stay visible.
  const target = { uri: info.file.toString(), name: t.name };
  md.appendMarkdown(`[$(graph) ${vscode.l10n.t('Open panel')}](${commandUri(CommandIds.showParameter, target)}) · [$(list-tree) ${vscode.l10n.t('Reveal in tree')}](${commandUri(CommandIds.revealParameter, target)})\n\n`);
  if (info.grad) md.appendMarkdown(`$(info) ${vscode.l10n.t('{0}: model files hold values, not gradients; these are the parameter’s values.', codeSpan('.grad'))}\n\n`);
  md.appendMarkdown('---\n\n');
  statsLines(md, info.stats);
  if (info.init && info.init.scheme !== 'too_few') initLines(md, info.init);
  const stats = typeof info.stats === 'object' && !('error' in info.stats) ? info.stats : undefined;
  if (stats?.histogram && stats.histogram.counts.some((c) => c > 0)) {
    md.appendMarkdown(`![${vscode.l10n.t('histogram')}](${svgDataUri(histogramSvg(stats.histogram.counts))})  \n`);
    md.appendMarkdown(`${codeSpan(formatStat(stats.histogram.min))} … ${codeSpan(formatStat(stats.histogram.max))}\n\n`);
  }
  if (info.tiedWith.length > 0) md.appendMarkdown(`$(link) ${vscode.l10n.t('tied with {0}', info.tiedWith.map((p) => codeSpan(p)).join(', '))}\n\n`);
  return md;
}

/** A module: its class, where it is, how many parameters it holds. */
export function moduleHover(file: vscode.Uri, m: ModuleNode, type: string | null, sameIn: readonly vscode.Uri[]): vscode.MarkdownString {
  const md = markdown();
  md.appendMarkdown(`$(symbol-class) ${codeSpan(m.path || m.qualifiedName)}${type ? ` · ${codeSpan(type)}` : ''}\n\n`);
  const count = m.parameterCount === 1 ? vscode.l10n.t('1 parameter') : vscode.l10n.t('{0} parameters', formatCount(m.parameterCount));
  md.appendMarkdown(`${vscode.l10n.t('module {0}', (m.qualifiedName ? codeSpan(m.qualifiedName) : vscode.l10n.t('(the model itself)')))} · ${count}  \n`);
  md.appendMarkdown(`${whereLine(file, sameIn, 'structure')}\n\n---\n\n`);
  md.appendMarkdown(`[$(list-tree) ${vscode.l10n.t('Reveal in tree')}](${commandUri(CommandIds.revealParameter, { uri: file.toString(), module: m.qualifiedName })})`);
  return md;
}

/** Several models fit and may differ: no values, a way to say which one is meant. */
export function ambiguousHover(document: vscode.Uri, subject: { variable: string } | { key: string; variable?: string }, count: number): vscode.MarkdownString {
  const md = markdown();
  // The variable under the cursor (`sd` of `sd['wte.weight']`) goes with the link, so the command asks only for the model.
  const bind = `[${vscode.l10n.t('Bind Variable to Model…')}](${commandUri(CommandIds.bindVariable, { document: document.toString(), ...(subject.variable !== undefined ? { variable: subject.variable } : {}) })})`;
  const what = 'key' in subject ? vscode.l10n.t('{0} is in {1} models that differ', codeSpan(subject.key), count) : vscode.l10n.t('{0} matches {1} models', codeSpan(subject.variable), count);
  md.appendMarkdown(`$(question) ${what} — ${bind}`);
  return md;
}

/** Models are still being read: say so rather than guess or stay silent. */
export function loadingHover(): vscode.MarkdownString {
  const md = markdown();
  md.appendMarkdown(`$(loading~spin) ${vscode.l10n.t('ParamScope is reading the models; hover again in a moment.')}`);
  return md;
}

/** Several files hold a tensor of this name and shape; their values are being compared. */
export function comparingHover(count: number): vscode.MarkdownString {
  const md = markdown();
  md.appendMarkdown(`$(loading~spin) ${vscode.l10n.t('ParamScope is comparing this tensor in {0} files; hover again in a moment.', count)}`);
  return md;
}
