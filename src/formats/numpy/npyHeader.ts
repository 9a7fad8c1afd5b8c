import * as l10n from '@vscode/l10n';
import type { ElementDType } from '../../core/dtypes';

/**
 * The `.npy` header, as NumPy writes and reads it (numpy/lib/format.py, "Format Version 1.0"–"3.0"):
 * the magic `\x93NUMPY`, a major and minor version byte, a little-endian header length (2 bytes in
 * 1.0, 4 bytes in 2.0 and 3.0), then that many bytes of a Python dict literal with the keys
 * `descr`, `fortran_order` and `shape`, padded with spaces and a newline so the data starts aligned.
 * Version 3.0 only allows the header to be UTF-8 (1.0 and 2.0 are latin-1).
 */

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Bytes before the header text of a version 1.0 file (magic, version, u16 length). */
export const NPY_PREFIX_V1 = 10;
/** Bytes before the header text of a version 2.0/3.0 file (magic, version, u32 length). */
export const NPY_PREFIX_V2 = 12;
/**
 * Header text cap. NumPy refuses headers over 10,000 bytes unless told `max_header_size` (its
 * guard against literal_eval bombs since 1.24); 1 MiB also admits big structured dtypes, which we
 * name and refuse, and bounds what a lying length makes us read (CWE-770).
 */
export const MAX_NPY_HEADER_BYTES = 1 << 20;
/** Dimensions: NumPy's own limit (NPY_MAXDIMS is 64 since NumPy 2.0, 32 before). */
export const MAX_NPY_RANK = 64;

/** A header NumPy would refuse, or an array this reader cannot show (object, strings, records). */
export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

/** The parsed header; `headerBytes` is where the data starts (prefix + header text). */
export interface NpyHeader {
  version: string;
  /** The `descr` string (`<f4`). */
  descr: string;
  dtype: ElementDType;
  byteOrder: 'little' | 'big';
  itemsize: number;
  fortranOrder: boolean;
  shape: number[];
  headerBytes: number;
}

/**
 * NumPy's type codes (`numpy.dtype.str`: byte order, kind, item size; numpy/_core/_dtype.py) to
 * ours. Kinds b (bool), i, u, f, c only: O (Python objects, pickled), U/S (strings), V (void,
 * records), M/m (datetimes) and f16/c32 (long double) are refused by name.
 */
const NPY_TYPES: Readonly<Record<string, ElementDType>> = {
  b1: 'bool',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  c8: 'complex64',
  c16: 'complex128',
};

/** What a refused kind is, for the message. */
function refusedKind(kind: string): string | undefined {
  switch (kind) {
    case 'O':
      return l10n.t('Python objects (stored as a pickle, which is never run)');
    case 'U':
      return l10n.t('unicode strings');
    case 'S':
    case 'a':
      return l10n.t('byte strings');
    case 'V':
      return l10n.t('raw or structured records');
    case 'M':
      return l10n.t('datetimes');
    case 'm':
      return l10n.t('timedeltas');
    default:
      return undefined;
  }
}

/** Length of the prefix and of the header text, from the first 12 bytes; null when not `.npy`. */
export function npyPrefix(head: Uint8Array): { version: string; prefix: number; textBytes: number } | null {
  if (head.length < NPY_PREFIX_V1 || !NPY_MAGIC.every((b, i) => head[i] === b)) return null;
  const major = head[6]!;
  const minor = head[7]!;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (major === 1) return { version: `${major}.${minor}`, prefix: NPY_PREFIX_V1, textBytes: dv.getUint16(8, true) };
  if ((major === 2 || major === 3) && head.length >= NPY_PREFIX_V2) return { version: `${major}.${minor}`, prefix: NPY_PREFIX_V2, textBytes: dv.getUint32(8, true) };
  throw new NpyError(l10n.t('.npy format version {0}.{1} is not one NumPy defines (1.0, 2.0, 3.0)', major, minor));
}

/** Parses the header text (the dict literal) of a file whose prefix `npyPrefix` read. */
export function parseNpyHeader(version: string, prefix: number, text: Uint8Array): NpyHeader {
  let s: string;
  try {
    s = new TextDecoder(version.startsWith('3.') ? 'utf-8' : 'latin1', { fatal: true }).decode(text);
  } catch {
    throw new NpyError(l10n.t('the .npy header is not valid UTF-8'));
  }
  const dict = parseDictLiteral(s);
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (dict.size !== 3 || descr === undefined || fortran === undefined || shape === undefined) {
    throw new NpyError(l10n.t("the .npy header must hold exactly the keys 'descr', 'fortran_order' and 'shape' (it has {0})", [...dict.keys()].join(', ')));
  }
  if (Array.isArray(descr) && descr.length > 0 && descr[0] === STRUCTURED) throw new NpyError(l10n.t('a structured dtype (record fields): only plain numeric arrays are shown'));
  if (typeof descr !== 'string') throw new NpyError(l10n.t("the .npy header's 'descr' is not a type string"));
  if (typeof fortran !== 'boolean') throw new NpyError(l10n.t("the .npy header's 'fortran_order' is not True or False"));
  if (!Array.isArray(shape) || shape[0] !== TUPLE || shape.length - 1 > MAX_NPY_RANK) throw new NpyError(l10n.t("the .npy header's 'shape' is not a tuple of at most {0} sizes", MAX_NPY_RANK));
  const dims = shape.slice(1);
  if (!dims.every((d): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) throw new NpyError(l10n.t("the .npy header's 'shape' holds something other than sizes"));
  const { dtype, byteOrder, itemsize } = npyDType(descr);
  return { version, descr, dtype, byteOrder, itemsize, fortranOrder: fortran, shape: dims, headerBytes: prefix + text.length };
}

function npyDType(descr: string): { dtype: ElementDType; byteOrder: 'little' | 'big'; itemsize: number } {
  const m = /^([<>|=]?)([A-Za-z])(\d*)(\[.*\])?$/.exec(descr);
  if (!m) throw new NpyError(l10n.t('unknown NumPy type {0}', JSON.stringify(descr)));
  const [, order, kind, size] = m as unknown as [string, string, string, string];
  const refused = refusedKind(kind);
  if (refused) throw new NpyError(l10n.t('the array holds {0} (NumPy type {1}): only numeric arrays are shown', refused, descr));
  const dtype = NPY_TYPES[`${kind}${size}`];
  if (!dtype) throw new NpyError(l10n.t('NumPy type {0} is not supported (extended precision and other platform types are not)', descr));
  return { dtype, byteOrder: order === '>' ? 'big' : 'little', itemsize: Number(size) };
}

// ---- the dict literal -------------------------------------------------------------------------

/** Tuples and lists parse to arrays tagged by their first element. */
const TUPLE = Symbol('tuple');
const STRUCTURED = Symbol('list');
type Literal = string | number | boolean | null | Array<Literal | typeof TUPLE | typeof STRUCTURED>;

/** Nesting of tuples and lists (a structured dtype's fields nest a few levels; NumPy's headers, one). */
const MAX_LITERAL_DEPTH = 32;

/**
 * The Python literals NumPy's headers use (`ast.literal_eval` of a dict of str keys; values are
 * str, bool, int, tuples and lists): a small recursive-descent parser, nothing evaluated.
 */
function parseDictLiteral(s: string): Map<string, Literal> {
  let i = 0;
  const fail = (): NpyError => new NpyError(l10n.t('the .npy header is not a Python dict literal (at character {0})', i));
  const ws = (): void => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const str = (): string => {
    const q = s[i];
    if (q !== "'" && q !== '"') throw fail();
    let out = '';
    for (i++; i < s.length && s[i] !== q; i++) {
      if (s[i] === '\\') {
        i++;
        const e = s[i];
        out += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
      } else out += s[i];
    }
    if (s[i] !== q) throw fail();
    i++;
    return out;
  };
  const value = (depth: number): Literal => {
    if (depth > MAX_LITERAL_DEPTH) throw fail();
    ws();
    const c = s[i];
    if (c === "'" || c === '"') return str();
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      const items: Array<Literal | typeof TUPLE | typeof STRUCTURED> = [c === '(' ? TUPLE : STRUCTURED];
      i++;
      for (;;) {
        ws();
        if (s[i] === close) break;
        items.push(value(depth + 1));
        ws();
        if (s[i] === ',') i++;
        else if (s[i] !== close) throw fail();
      }
      i++;
      return items;
    }
    const word = /^(True|False|None|[+-]?\d+L?)/.exec(s.slice(i, i + 32));
    if (!word) throw fail();
    i += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    const n = Number(word[0].replace(/L$/, ''));
    if (!Number.isSafeInteger(n)) throw new NpyError(l10n.t('a size in the .npy header is too large: {0}', word[0]));
    return n;
  };
  const out = new Map<string, Literal>();
  ws();
  if (s[i] !== '{') throw fail();
  i++;
  for (;;) {
    ws();
    if (s[i] === '}') break;
    const k = str();
    ws();
    if (s[i] !== ':') throw fail();
    i++;
    if (out.has(k)) throw new NpyError(l10n.t("the .npy header names '{0}' twice", k));
    out.set(k, value(0));
    ws();
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw fail();
  }
  i++;
  ws();
  if (i !== s.length) throw fail();
  return out;
}
