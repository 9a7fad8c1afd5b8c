import * as l10n from '@vscode/l10n';
import { PickleError } from './pickleError';

/** Literal decoding for the pickle opcodes that carry text or integer payloads. */

/**
 * Integer literals up to this many bytes (LONG1/LONG4 payloads, protocol-0 INT/LONG digits). Real
 * pickles hold 64-bit ints (sizes, seeds, step counts), and CPython refuses to print ints past
 * 4300 digits; 8 KiB keeps decoding and printing a hostile literal in microseconds (CWE-407).
 */
export const MAX_INT_LITERAL_BYTES = 8192;

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * Decodes a little-endian two's-complement integer (LONG1/LONG4) in linear time: the bytes become
 * one hex string (most significant first) parsed by a single `BigInt`, instead of a shift per byte.
 */
export function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  if (b.length > MAX_INT_LITERAL_BYTES) throw new PickleError(l10n.t('integer literal of {0} bytes exceeds the {1}-byte limit', b.length, MAX_INT_LITERAL_BYTES));
  const hex: string[] = new Array<string>(b.length);
  for (let i = 0; i < b.length; i++) hex[i] = HEX[b[b.length - 1 - i]!]!;
  let v = BigInt(`0x${hex.join('')}`);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(b.length * 8);
  return Number.isSafeInteger(Number(v)) ? Number(v) : v;
}

export function parseIntLiteral(s: string, at: number): number | bigint {
  if (s.length > MAX_INT_LITERAL_BYTES) throw new PickleError(l10n.t('integer literal of {0} bytes exceeds the {1}-byte limit', s.length, MAX_INT_LITERAL_BYTES));
  if (!/^[-+]?\d+$/.test(s)) throw new PickleError(l10n.t('bad integer literal at byte {0}', at));
  const v = BigInt(s);
  return Number.isSafeInteger(Number(v)) ? Number(v) : v;
}

export function parseIntStrict(s: string, at: number): number {
  const v = parseIntLiteral(s, at);
  if (typeof v !== 'number' || v < 0) throw new PickleError(l10n.t('bad memo index at byte {0}', at));
  return v;
}

export function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/** Protocol-0 STRING: a Python repr in quotes, with backslash escapes. */
export function unquotePy2String(s: string): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s[s.length - 1] !== q || s.length < 2) throw new PickleError(l10n.t('bad STRING literal'));
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[\\'"nrt0])/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', '0': '\0' } as Record<string, string>)[e] ?? e;
  });
}

export function decodeRawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string | undefined, b: string | undefined) =>
    String.fromCodePoint(Number.parseInt((a ?? b)!, 16)),
  );
}
