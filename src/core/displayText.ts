// The one way a string read from a model file reaches a person's screen as text: a tensor name, a
// class name, a key, a warning quoting the file. Markdown (hovers, tooltips, the Markdown export)
// and terminals (the CLI's text output) each have one escaping function here; webview pages insert
// text as text (`textContent`), never as HTML. See docs/security.md.

/**
 * Characters that a renderer or a terminal may act on instead of showing: C0 controls (line
 * feeds, carriage returns, ESC, …), DEL, C1 controls (the 8-bit CSI is U+009B), Unicode line and
 * paragraph separators, and the bidirectional controls that reorder what is shown (CVE-2021-42574,
 * "Trojan Source").
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

const hex = (c: string, width: number): string => c.charCodeAt(0).toString(16).padStart(width, '0');

/** The length of the longest run of backticks in `s` (a loop: names can be megabytes long). */
function longestBacktickRun(s: string): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    run = s.charCodeAt(i) === 0x60 ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/** `\n` → `\x0a`, ESC → `\x1b`, U+2028 → `\u2028`: the character named, never acted on. */
function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`;
}

/**
 * A string from a file as one line of plain text: every control, line-breaking and bidi character
 * written as an escape (`\x1b`, `\x0a`, `\u202e`). This is the CLI's terminal escaping function,
 * and what every other escaping function here starts from, so a name is shown the same everywhere.
 */
export function terminalText(s: string): string {
  return s.replace(UNSAFE_CHARS, visible);
}

/**
 * A Markdown code span showing `s` literally, for hovers, tooltips and exports: one line (see
 * `terminalText`), fenced by more backticks than the longest run inside, padded when it starts or
 * ends with a backtick or a space (CommonMark strips one space from each side). Inside a code span
 * Markdown interprets nothing — no links, images, HTML, emphasis or entities — so this is all a
 * name needs. `inTable`: also escape `|`, which GFM tables split cells on even inside code spans.
 */
export function markdownCode(s: string, opts: { inTable?: boolean } = {}): string {
  let text = terminalText(s);
  if (opts.inTable) text = text.replace(/\|/g, '\\|');
  if (text === '') return '` `'; // an empty code span cannot be written; one space shows as nothing
  const fence = '`'.repeat(longestBacktickRun(text) + 1);
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Every ASCII punctuation character: CommonMark lets each be escaped with a backslash. */
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/g;

/**
 * A string from a file as Markdown prose that renders as exactly that text: one line (see
 * `terminalText`), every ASCII punctuation character backslash-escaped, so no link, image, HTML
 * tag, entity, emphasis, autolink (`http\://`), table cell break or block marker (`#`, `-`, `1.`)
 * can form. Use it where a code span would read badly (warnings, headings).
 */
export function markdownText(s: string): string {
  return terminalText(s).replace(ASCII_PUNCTUATION, (c) => `\\${c}`);
}

/**
 * A fenced Markdown code block holding `text` (lines of our own output, in which every string from
 * a file already went through `terminalText`): the fence is longer than any backtick run in it, so
 * no line can close it early.
 */
export function markdownCodeBlock(text: string, language = ''): string {
  const safe = text
    .split('\n')
    .map(terminalText)
    .join('\n');
  const fence = '`'.repeat(Math.max(2, longestBacktickRun(safe)) + 1);
  return `${fence}${language}\n${safe}\n${fence}`;
}
