import { isPythonIdentifier } from '../core/accessPath';
import { isStringToken, tokenizePython, type PyStringToken, type PyToken } from './pythonTokens';

/**
 * Finds the parameter expression under the cursor in Python source (`net[2].bias`,
 * `getattr(rgnet[0], 'block 1')`, `net.state_dict()['2.bias']`, `"0.weight"`) and turns it into
 * a root variable and steps a model index can follow. Pure: no Python is run.
 */

/** Tensor attributes and methods that give the same values (or, for `grad`, the same shape). */
export const VIEW_ATTRIBUTES = ['data', 'grad'] as const;
export const VIEW_METHODS = ['detach', 'cpu', 'clone', 'contiguous', 'cuda', 'requires_grad_', 'detach_'] as const;
export type ViewName = (typeof VIEW_ATTRIBUTES)[number] | (typeof VIEW_METHODS)[number];

/** Where a dotted key is looked up: a module's state_dict, its parameters, buffers, or submodules. */
export type MemberTable = 'state_dict' | 'parameters' | 'buffers' | 'modules';

/** One step from a variable toward a tensor, in evaluation order. */
export type ExprStep =
  /** `.bias`, `getattr(x, 'block 0')` */
  | { kind: 'attr'; name: string }
  /** `[2]`, `[-1]` */
  | { kind: 'index'; index: number }
  /** `['block 0']`: a ModuleDict child, a dict entry of a checkpoint, a state_dict key */
  | { kind: 'item'; key: string }
  /** `.state_dict()['0.weight']`, `dict(x.named_parameters())['0.weight']`, `x.get_submodule('0.block 1')` */
  | { kind: 'member'; table: MemberTable; key: string }
  /** `.data`, `.grad`, `.detach()`, …: the tensor itself */
  | { kind: 'view'; name: ViewName };

export interface ChainExpression {
  kind: 'chain';
  /** The variable the chain starts from. */
  root: string;
  /** Steps up to (and including) the one under the cursor; never empty. */
  steps: ExprStep[];
  /** Source range of the expression up to the cursor's step. */
  start: number;
  end: number;
}

export interface KeyExpression {
  kind: 'key';
  /** A state_dict key: `0.weight`, `0.block 1.0.bias`. */
  key: string;
  start: number;
  end: number;
}

export type ParameterExpression = ChainExpression | KeyExpression;

/** Tokens looked at before the cursor to find where a chain starts: chains are short. */
const MAX_CHAIN_TOKENS = 200;
/** Documents longer than this are tokenized from a window before the cursor, not from the top. */
const MAX_TOKENIZE_CHARS = 1_000_000;
/** Text before the cursor tokenized in long documents (a triple-quoted string may be misread there). */
const LONG_DOCUMENT_WINDOW = 20_000;
/** Comments and strings are searched for expressions inside them, and strings inside those, this deep. */
const MAX_PROSE_DEPTH = 3;
/** Longer strings are not state_dict keys (real keys are a few dozen characters). */
const MAX_KEY_LENGTH = 512;

/** Dotted names whose parts may contain spaces (`0.block 1.0.bias`), as state_dict keys do. */
const QUOTED_KEY = /^[\p{L}\p{N}_]([\p{L}\p{N}_ ]*[\p{L}\p{N}_])?(\.[\p{L}\p{N}_]([\p{L}\p{N}_ ]*[\p{L}\p{N}_])?)+$/u;
const BARE_KEY_CHAR = /[\p{L}\p{N}_.]/u;
const BARE_KEY = /^[\p{L}\p{N}_]+(\.[\p{L}\p{N}_]+)+$/u;

/** Whether a string could be a state_dict key: dotted parts, no leading, trailing or doubled dots. */
export function looksLikeKey(s: string): boolean {
  return s.length <= MAX_KEY_LENGTH && QUOTED_KEY.test(s);
}

/**
 * The interpretations of the text at `offset`, best first: a chain of steps from a variable,
 * and/or a state_dict key. Empty when the cursor is on nothing that can name a parameter
 * (a plain variable, a call, a keyword, whitespace).
 */
export function expressionsAt(text: string, offset: number): ParameterExpression[] {
  if (offset < 0 || offset > text.length) return [];
  let from = 0;
  if (text.length > MAX_TOKENIZE_CHARS && offset > LONG_DOCUMENT_WINDOW) from = text.lastIndexOf('\n', offset - LONG_DOCUMENT_WINDOW) + 1;
  return inText(text, from, text.length, offset, 0, false);
}

/** Interpretations within text[from, to) (the whole document, or a comment's or string's inside). */
function inText(text: string, from: number, to: number, offset: number, depth: number, prose: boolean): ParameterExpression[] {
  const region = to < text.length ? text.slice(0, to) : text;
  const tokens = tokenizePython(region, { from, stopAfter: offset });
  const at = tokens.findIndex((t) => t.start <= offset && offset < t.end);
  if (at < 0) return [];
  const tok = tokens[at]!;
  if (tok.kind === 'comment') return depth < MAX_PROSE_DEPTH ? inText(text, tok.start + 1, tok.end, offset, depth + 1, true) : [];
  const found: ParameterExpression[] = [];
  const chain = chainAt(tokens, at, offset);
  if (chain) found.push(chain);
  if (isStringToken(tok)) {
    if (tok.plain && looksLikeKey(tok.value)) found.push({ kind: 'key', key: tok.value, start: tok.start, end: tok.end });
    else if (!chain && tok.plain && depth < MAX_PROSE_DEPTH && offset >= tok.contentStart && offset < tok.contentEnd) {
      // A docstring or printed text: look for expressions and keys inside it.
      for (const f of inText(text, tok.contentStart, tok.contentEnd, offset, depth + 1, true)) found.push(f); // a docstring can hold more chains than a call takes arguments
    }
    return found;
  }
  // `0.weight`, `layers.0.self_attn.q_proj.weight`: named_parameters() output pasted into a comment or docstring.
  // In prose `conv1.weight` may be either, so both are offered (the chain first).
  if (prose) {
    const key = bareKeyAt(region, from, offset);
    if (key) found.push(key);
  }
  return found;
}

/** The dotted name around `offset` (no spaces), if it has at least one dot. */
function bareKeyAt(text: string, from: number, offset: number): KeyExpression | undefined {
  if (!BARE_KEY_CHAR.test(text[offset] ?? '')) return undefined;
  let s = offset;
  while (s > from && BARE_KEY_CHAR.test(text[s - 1]!)) s--;
  let e = offset;
  while (e < text.length && BARE_KEY_CHAR.test(text[e]!)) e++;
  // A sentence's full stop is not part of the name.
  while (e > s && text[e - 1] === '.') e--;
  while (s < e && text[s] === '.') s++;
  const key = text.slice(s, e);
  if (offset >= e || key.length > MAX_KEY_LENGTH || !BARE_KEY.test(key)) return undefined;
  return { kind: 'key', key, start: s, end: e };
}

// ---- chains ---------------------------------------------------------------------------------

/** A parsed chain: steps with the source span each covers, and spans that add no step. */
interface Parsed {
  root: string;
  start: number;
  end: number;
  /** End token index (exclusive). */
  next: number;
  /** Each step with its source span and where the (possibly inner) chain it extends starts. */
  steps: Array<{ step: ExprStep; start: number; end: number; from: number }>;
  /** Spans that stand for the chain so far without a step (`.state_dict()`, the root name). */
  marks: Array<{ steps: number; start: number; end: number }>;
  /** A pending `.state_dict()` / `dict(x.named_parameters())` whose `[key]` comes next. */
  table?: { table: MemberTable; viaDict: boolean };
}

/** The chain covering the token at `at`, resolved up to the step under `offset`. */
function chainAt(tokens: readonly PyToken[], at: number, offset: number): ChainExpression | undefined {
  const first = Math.max(0, at - MAX_CHAIN_TOKENS);
  for (let i = first; i <= at; i++) {
    if (!canStartChain(tokens, i)) continue;
    const p = parseChain(tokens, i);
    if (!p || p.next <= at) continue;
    // The innermost span under the cursor says how much of the chain is meant.
    let best: { steps: number; size: number; end: number } | undefined;
    const consider = (steps: number, start: number, end: number): void => {
      if (start <= offset && offset < end && (!best || end - start < best.size)) best = { steps, size: end - start, end };
    };
    p.steps.forEach((s, k) => consider(k + 1, s.start, s.end));
    for (const m of p.marks) consider(m.steps, m.start, m.end);
    if (!best || best.steps === 0) return undefined;
    const steps = p.steps.slice(0, best.steps);
    const last = steps[steps.length - 1]!;
    return { kind: 'chain', root: p.root, steps: steps.map((s) => s.step), start: last.from, end: last.end };
  }
  return undefined;
}

function canStartChain(tokens: readonly PyToken[], i: number): boolean {
  const t = tokens[i]!;
  if (t.kind !== 'name') return false;
  const prev = tokens[i - 1];
  // `x.net[2]` is an attribute of x, not the variable net.
  return !(prev?.kind === 'op' && prev.text === '.');
}

const isOp = (t: PyToken | undefined, op: string): boolean => t?.kind === 'op' && t.text === op;
const plainString = (t: PyToken | undefined): t is PyStringToken => isStringToken(t) && t.plain && t.terminated;

/** `getattr(chain, 'name')`, `dict(chain.named_parameters())`, or a variable; then trailers. */
function parseChain(tokens: readonly PyToken[], i: number, nested = 0): Parsed | undefined {
  if (nested > 8) return undefined;
  const t = tokens[i];
  if (!t || t.kind !== 'name') return undefined;
  let p: Parsed | undefined;
  if (t.text === 'getattr' && isOp(tokens[i + 1], '(')) {
    const inner = parseChain(tokens, i + 2, nested + 1);
    const name = inner && tokens[inner.next + 1];
    if (!inner || inner.table || !isOp(tokens[inner.next], ',') || !plainString(name) || !isOp(tokens[inner.next + 2], ')')) return undefined;
    const close = tokens[inner.next + 2]!;
    p = { ...inner, start: t.start, end: close.end, next: inner.next + 3, steps: [...inner.steps, { step: { kind: 'attr', name: name.value }, start: t.start, end: close.end, from: t.start }] };
  } else if (t.text === 'dict' && isOp(tokens[i + 1], '(')) {
    const inner = parseChain(tokens, i + 2, nested + 1);
    if (!inner?.table || inner.table.table === 'state_dict' || !isOp(tokens[inner.next], ')')) return undefined;
    const close = tokens[inner.next]!;
    p = { ...inner, start: t.start, end: close.end, next: inner.next + 1, table: { table: inner.table.table, viaDict: true } };
  } else if (isPythonIdentifier(t.text)) {
    p = { root: t.text, start: t.start, end: t.end, next: i + 1, steps: [], marks: [{ steps: 0, start: t.start, end: t.end }] };
  }
  return p && trailers(tokens, p);
}

const TABLE_METHODS: Record<string, MemberTable> = { named_parameters: 'parameters', named_buffers: 'buffers', named_modules: 'modules' };
const GETTERS: Record<string, MemberTable> = { get_parameter: 'parameters', get_buffer: 'buffers', get_submodule: 'modules' };

function trailers(tokens: readonly PyToken[], p: Parsed): Parsed {
  const add = (step: ExprStep, start: number, endTok: number): void => {
    p.steps.push({ step, start, end: tokens[endTok]!.end, from: p.start });
    p.end = tokens[endTok]!.end;
    p.next = endTok + 1;
  };
  for (;;) {
    const t = tokens[p.next];
    const a = tokens[p.next + 1];
    if (isOp(t, '.') && a?.kind === 'name') {
      if (p.table) return p;
      const call = isOp(tokens[p.next + 2], '(');
      const emptyCall = call && isOp(tokens[p.next + 3], ')');
      if ((VIEW_ATTRIBUTES as readonly string[]).includes(a.text) && !call) add({ kind: 'view', name: a.text as ViewName }, t!.start, p.next + 1);
      else if ((VIEW_METHODS as readonly string[]).includes(a.text) && emptyCall) add({ kind: 'view', name: a.text as ViewName }, t!.start, p.next + 3);
      else if (a.text === 'state_dict' && emptyCall) markTable(tokens, p, 'state_dict', p.next + 3);
      else if (TABLE_METHODS[a.text] && emptyCall) markTable(tokens, p, TABLE_METHODS[a.text]!, p.next + 3);
      else if (GETTERS[a.text] && call && plainString(tokens[p.next + 3]) && isOp(tokens[p.next + 4], ')')) {
        add({ kind: 'member', table: GETTERS[a.text]!, key: (tokens[p.next + 3] as PyStringToken).value }, t!.start, p.next + 4);
      } else if (call) return p;
      else add({ kind: 'attr', name: a.text }, t!.start, p.next + 1);
      continue;
    }
    if (isOp(t, '[')) {
      const [k, close] = subscript(tokens, p.next + 1);
      if (k === undefined || close === undefined) return p;
      if (p.table) {
        // named_parameters() is a generator: only dict(...) of it, or state_dict(), takes a key.
        if (typeof k !== 'string' || (p.table.table !== 'state_dict' && !p.table.viaDict)) return p;
        const table = p.table.table;
        p.table = undefined;
        add({ kind: 'member', table, key: k }, t!.start, close);
      } else add(typeof k === 'number' ? { kind: 'index', index: k } : { kind: 'item', key: k }, t!.start, close);
      continue;
    }
    return p;
  }
}

function markTable(tokens: readonly PyToken[], p: Parsed, table: MemberTable, closeTok: number): void {
  const start = tokens[p.next]!.start;
  p.marks.push({ steps: p.steps.length, start, end: tokens[closeTok]!.end });
  p.table = { table, viaDict: false };
  p.end = tokens[closeTok]!.end;
  p.next = closeTok + 1;
}

/** `[2]`, `[-1]`, `['block 0']`: the key and the index of the closing bracket. */
function subscript(tokens: readonly PyToken[], i: number): [number | string | undefined, number | undefined] {
  const t = tokens[i];
  if (plainString(t) && isOp(tokens[i + 1], ']')) return [t.value, i + 1];
  const negative = isOp(t, '-');
  const num = tokens[negative ? i + 1 : i];
  const close = negative ? i + 2 : i + 1;
  if (num?.kind === 'number' && /^[0-9]+$/.test(num.text) && isOp(tokens[close], ']')) {
    const v = Number(num.text);
    return [negative ? -v : v, close];
  }
  return [undefined, undefined];
}
