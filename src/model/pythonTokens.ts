/**
 * A small Python tokenizer for finding parameter expressions under the cursor. It knows what an
 * expression finder needs (names, numbers, strings with both quotes and all prefixes, comments,
 * brackets, logical line ends) and nothing else: no Python is ever run or fully parsed.
 */

export type PyTokenKind = 'name' | 'number' | 'string' | 'comment' | 'op' | 'newline';

export interface PyToken {
  kind: PyTokenKind;
  /** Offsets into the tokenized text: [start, end). */
  start: number;
  end: number;
  /** Source text of the token (for strings: with prefix and quotes). */
  text: string;
}

export interface PyStringToken extends PyToken {
  kind: 'string';
  /** Decoded value (escapes resolved unless raw). */
  value: string;
  /** Offsets of the raw content between the quotes. */
  contentStart: number;
  contentEnd: number;
  /** A plain text string: not an f-string (values unknown) nor bytes. */
  plain: boolean;
  terminated: boolean;
}

export function isStringToken(t: PyToken | undefined): t is PyStringToken {
  return t?.kind === 'string';
}

const STRING_PREFIX = /^(?:[rRuUbBfF]|[rR][bBfF]|[bBfF][rR])$/;
const NAME_START = /[\p{L}_]/u;
const NAME_PART = /[\p{L}\p{N}_]/u;
const OPEN = '([{';
const CLOSE = ')]}';

/** Simple escapes of Python string literals (https://docs.python.org/3/reference/lexical_analysis.html). */
const ESCAPES: Record<string, string> = {
  '\\': '\\', // backslash
  "'": "'", // single quote
  '"': '"', // double quote
  a: '\x07', // bell
  b: '\b', // backspace
  f: '\f', // form feed
  n: '\n', // line feed
  r: '\r', // carriage return
  t: '\t', // tab
  v: '\v', // vertical tab
};

function decodeEscapes(raw: string): string {
  return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|\r?\n|.)/gs, (all, e: string) => {
    if (e === '\n' || e === '\r\n') return ''; // line continuation inside the literal
    if (ESCAPES[e] !== undefined) return ESCAPES[e]!;
    if (/^[xuU]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCodePoint(parseInt(e, 8));
    return all; // unknown escapes stay as written, as Python keeps them
  });
}

export interface TokenizeOptions {
  /** Where to start (a line start, so strings and comments are seen from their beginning). */
  from?: number;
  /** Stop at the first logical line end after this offset: the rest cannot belong to an expression there. */
  stopAfter?: number;
}

/**
 * Tokens of `text`. Newlines inside brackets and after a backslash are not logical line ends and
 * give no token. Unterminated strings end at the line end (or the text end for triple quotes).
 */
export function tokenizePython(text: string, opts: TokenizeOptions = {}): PyToken[] {
  const out: PyToken[] = [];
  const stopAfter = opts.stopAfter ?? Infinity;
  let depth = 0;
  let i = opts.from ?? 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      if (depth === 0) {
        if (out.length > 0 && out[out.length - 1]!.kind !== 'newline') out.push({ kind: 'newline', start: i, end: i + 1, text: '\n' });
        if (i >= stopAfter) break;
      }
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\n' ? 2 : 3;
      continue;
    }
    if (c === '#') {
      let j = text.indexOf('\n', i);
      if (j < 0) j = n;
      out.push({ kind: 'comment', start: i, end: j, text: text.slice(i, j) });
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      const t = readString(text, i, '');
      out.push(t);
      i = t.end;
      continue;
    }
    if (NAME_START.test(c)) {
      let j = i + 1;
      while (j < n && NAME_PART.test(text[j]!)) j++;
      const word = text.slice(i, j);
      if ((text[j] === '"' || text[j] === "'") && STRING_PREFIX.test(word)) {
        const t = readString(text, j, word);
        t.start = i;
        t.text = text.slice(i, t.end);
        out.push(t);
        i = t.end;
        continue;
      }
      out.push({ kind: 'name', start: i, end: j, text: word });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(?:0[xXoObB][0-9a-fA-F_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?[jJ]?)/.exec(text.slice(i, i + 64));
      const len = Math.max(1, m?.[0].length ?? 1);
      out.push({ kind: 'number', start: i, end: i + len, text: text.slice(i, i + len) });
      i += len;
      continue;
    }
    if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c)) depth = Math.max(0, depth - 1);
    out.push({ kind: 'op', start: i, end: i + 1, text: c });
    i++;
  }
  return out;
}

/** A string literal starting at the quote at `q`, with `prefix` (already read) before it. */
function readString(text: string, q: number, prefix: string): PyStringToken {
  const quote = text[q]!;
  const triple = text.startsWith(quote.repeat(3), q);
  const delim = triple ? quote.repeat(3) : quote;
  const raw = /[rR]/.test(prefix);
  const contentStart = q + delim.length;
  let j = contentStart;
  let terminated = false;
  while (j < text.length) {
    const c = text[j]!;
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (!triple && c === '\n') break;
    if (text.startsWith(delim, j)) {
      terminated = true;
      break;
    }
    j++;
  }
  const contentEnd = Math.min(j, text.length);
  const end = terminated ? contentEnd + delim.length : contentEnd;
  const body = text.slice(contentStart, contentEnd);
  return {
    kind: 'string',
    start: q,
    end,
    text: text.slice(q, end),
    value: raw ? body : decodeEscapes(body),
    contentStart,
    contentEnd,
    plain: !/[bBfF]/.test(prefix),
    terminated,
  };
}
