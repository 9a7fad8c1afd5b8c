import type { DType } from '../core/dtypes';
import { isFloatingDType } from '../core/dtypes';
import { printPlan, pyExponent, pyFixed, type PrintOptions, type PrintValues } from './torchPrint';

/**
 * An array as NumPy's `repr` shows it (`array([0.1  , 0.123], dtype=float32)`), what a notebook
 * prints for `np.load('x.npy')`: numpy/_core/arrayprint.py with its default print options
 * (precision 8, `floatmode='maxprec'`, threshold 1000, edgeitems 3, linewidth 75, no legacy mode).
 * Floats print the shortest digits that give back the same value in their own type (float16,
 * float32 or float64), at most `precision` after the point, aligned on the point; scientific
 * notation when the non-zero magnitudes span more than 1000× or reach 1e8 or go below 1e-4.
 * Our own code, written from NumPy's documented rules and checked against NumPy's own `repr`
 * (test/fixtures/numpy/print).
 */

export const NUMPY_PRINT_DEFAULTS: PrintOptions = { precision: 8, threshold: 1000, edgeitems: 3, linewidth: 75 };

/** dtypes `repr` leaves unnamed (`_typelessdata`: int_, float_, complex_, bool_ on 64-bit Linux). */
const TYPELESS = new Set<DType>(['int64', 'float64', 'complex128', 'bool']);

// ---- shortest round-trip digits ----------------------------------------------------------------

/** `x` rounded to float16 (ties to even), as a double. */
function f16round(x: number): number {
  const a = Math.abs(x);
  if (!Number.isFinite(a) || a === 0) return x;
  if (a >= 65520) return x > 0 ? Infinity : -Infinity; // past the largest half, 65504, by half an ulp
  const e = Math.max(Math.floor(Math.log2(a)), -14);
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  let n = Math.floor(q);
  const d = q - n;
  if (d > 0.5 || (d === 0.5 && n % 2 === 1)) n++;
  return Math.sign(x) * n * ulp;
}

function rounderOf(dtype: DType): (x: number) => number {
  if (dtype === 'float16') return f16round;
  if (dtype === 'float32' || dtype === 'complex64') return Math.fround;
  return (x) => x;
}

/** The fewest significant digits that read back as `x` in its type: `{ digits, exp }` meaning 0.d₁d₂… × 10^(exp+1). */
function shortest(x: number, round: (x: number) => number): { digits: string; exp: number } {
  const a = Math.abs(x);
  for (let p = 1; p <= 17; p++) {
    const s = a.toExponential(p - 1);
    if (round(Number(s)) === a || p === 17) {
      const [m, e] = s.split('e') as [string, string];
      return { digits: m.replace('.', '').replace(/0+$/, '') || '0', exp: Number(e) };
    }
  }
  throw new Error('unreachable');
}

/** Dragon4's positional output with `unique`, `precision` and `trim='.'`: `1.`, `0.125`, `-3.14159265`. */
function positional(x: number, precision: number, round: (x: number) => number): string {
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.`;
  const { digits, exp } = shortest(x, round);
  const fracDigits = Math.max(0, digits.length - exp - 1);
  if (fracDigits > precision) {
    // Rounded at the cutoff from the exact value, then trailing zeros dropped (trim '.').
    const s = pyFixed(Math.abs(x), precision).replace(/0+$/, '');
    return `${sign}${s}`;
  }
  if (exp >= 0) {
    const int = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, '0');
    return `${sign}${int}.${digits.slice(exp + 1)}`;
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** Dragon4's scientific output with `unique` and `precision`: mantissa digits and the exponent. */
function scientific(x: number, precision: number, round: (x: number) => number): { sign: string; int: string; frac: string; exp: number } {
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return { sign, int: '0', frac: '', exp: 0 };
  const { digits, exp } = shortest(x, round);
  if (digits.length - 1 > precision) {
    const [m, e] = pyExponent(Math.abs(x), precision).split('e') as [string, string];
    const [int, frac = ''] = m.split('.') as [string, string?];
    return { sign, int, frac: frac.replace(/0+$/, ''), exp: Number(e) };
  }
  return { sign, int: digits[0]!, frac: digits.slice(1), exp };
}

// ---- NumPy's FloatingFormat, IntegerFormat, BoolFormat, ComplexFloatingFormat ------------------

type Format = (v: number | bigint) => string;

/** FloatingFormat(data, precision, floatmode='maxprec', suppress_small=False, sign). */
function floatingFormat(data: readonly number[], dtype: DType, precision: number, plus: boolean): Format {
  const round = rounderOf(dtype);
  const finite = data.filter(Number.isFinite);
  const nonZero = finite.filter((x) => x !== 0).map(Math.abs);
  let exp = false;
  if (nonZero.length) {
    const max = Math.max(...nonZero);
    const min = Math.min(...nonZero);
    exp = max >= 1e8 || min < 0.0001 || max / min > 1000;
  }
  const withSign = (s: string): string => (plus && !s.startsWith('-') ? `+${s}` : s);
  let padLeft = 0;
  let padRight = 0;
  let fmt: (x: number) => string;
  if (finite.length === 0) {
    fmt = (x) => withSign(positional(x, precision, round));
  } else if (exp) {
    const parts = finite.map((x) => scientific(x, precision, round));
    const digits = Math.max(...parts.map((p) => p.frac.length));
    const expSize = Math.max(...parts.map((p) => String(Math.abs(p.exp)).padStart(2, '0').length));
    padLeft = Math.max(...parts.map((p) => (plus ? 1 : p.sign.length) + p.int.length));
    padRight = expSize + 2 + digits;
    fmt = (x) => {
      // min_digits = precision: every mantissa gets `digits` digits, past the shortest ones the
      // exact value's own digits, rounded (Dragon4's min_digits; 0.1 in float16 is 9.998e-02).
      const sign = x < 0 || Object.is(x, -0) ? '-' : plus ? '+' : '';
      const [m, e] = pyExponent(Math.abs(x), digits).split('e') as [string, string];
      const ex = Number(e);
      const s = `${sign}${digits === 0 ? `${m}.` : m}e${ex < 0 ? '-' : '+'}${String(Math.abs(ex)).padStart(expSize, '0')}`;
      return s.padStart(padLeft + 1 + digits + 2 + expSize);
    };
  } else {
    const strs = finite.map((x) => withSign(positional(x, precision, round)));
    padLeft = Math.max(...strs.map((s) => s.indexOf('.')));
    padRight = Math.max(...strs.map((s) => s.length - s.indexOf('.') - 1));
    fmt = (x) => {
      const s = withSign(positional(x, precision, round));
      const dot = s.indexOf('.');
      return ' '.repeat(padLeft - dot) + s + ' '.repeat(padRight - (s.length - dot - 1));
    };
  }
  // Non-finite values widen the integer part so that `nan` and `-inf` fit.
  if (finite.length !== data.length) {
    const negInf = plus || data.some((x) => x === -Infinity);
    padLeft = Math.max(padLeft, 3 - (padRight + 1), 3 + (negInf ? 1 : 0) - (padRight + 1));
  }
  return (v) => {
    const x = Number(v);
    if (!Number.isFinite(x)) {
      const s = Number.isNaN(x) ? `${plus ? '+' : ''}nan` : `${x < 0 ? '-' : plus ? '+' : ''}inf`;
      return s.padStart(padLeft + padRight + 1);
    }
    const s = fmt(x);
    return exp || finite.length === 0 ? s : s.padStart(padLeft + 1 + padRight);
  };
}

function formatFor(dtype: DType, values: PrintValues, precision: number, zeroDim: boolean): Format {
  if (dtype === 'bool') return (v) => (Number(v) !== 0 ? (zeroDim ? 'True' : ' True') : 'False');
  if (!isFloatingDType(dtype)) {
    const strs = Array.from(values as ArrayLike<number | bigint>, (v) => String(v));
    const width = Math.max(...strs.map((s) => s.length));
    return (v) => String(v).padStart(width);
  }
  return floatingFormat(Array.from(values as ArrayLike<number | bigint>, Number), dtype, precision, false);
}

/**
 * `repr(a)` of an array whose planned elements (`printPlan(shape, NUMPY_PRINT_DEFAULTS)`) are
 * `values`; complex arrays give interleaved (real, imaginary) pairs, two values per element.
 */
export function formatNumpyArray(dtype: DType, shape: readonly number[], values: PrintValues, opts: PrintOptions = NUMPY_PRINT_DEFAULTS): string {
  const numel = shape.reduce((a, b) => a * b, 1);
  const complex = dtype === 'complex64' || dtype === 'complex128';
  const dtypeStr = `dtype=${dtype}`;
  if (numel === 0) {
    const lst = shape.length === 1 ? '[]' : `[], shape=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
    return `array(${lst}, ${dtypeStr})`;
  }
  const skipDType = TYPELESS.has(dtype);
  const linewidth = opts.linewidth - 1; // the suffix `)` or `,` (array2string's `linewidth -= len(suffix)`)
  const plan = printPlan(shape, opts);
  const dims = plan.indices.map((ix) => ix.length);
  let format: Format;
  if (complex) {
    const all = Array.from(values as ArrayLike<number>, Number);
    const re = floatingFormat(all.filter((_, i) => i % 2 === 0), dtype, opts.precision, false);
    const im = floatingFormat(all.filter((_, i) => i % 2 === 1), dtype, opts.precision, true);
    format = (at) => {
      const i = im(all[Number(at) * 2 + 1]!);
      const sp = i.trimEnd().length;
      return `${re(all[Number(at) * 2]!)}${i.slice(0, sp)}j${i.slice(sp)}`;
    };
  } else {
    const f = formatFor(dtype, values, opts.precision, shape.length === 0);
    format = (at) => f(values[Number(at)]!);
  }
  const strides = dims.map((_, d) => dims.slice(d + 1).reduce((a, b) => a * b, 1));
  // numpy's _formatArray: `hanging` is the indent of continuation lines, `width` the room left.
  const recurse = (d: number, at: number, hanging: string, width: number): string => {
    if (d === shape.length) return format(at);
    const nextHanging = `${hanging} `;
    const nextWidth = width - 1;
    const n = dims[d]!;
    const half = plan.gap[d] ? n / 2 : n;
    const words: string[] = [];
    for (let i = 0; i < n; i++) {
      if (plan.gap[d] && i === half) words.push('...');
      words.push(recurse(d + 1, at + i * strides[d]!, nextHanging, nextWidth));
    }
    let s = '';
    if (d === shape.length - 1) {
      const elemWidth = width - 1;
      let line = hanging;
      words.forEach((word, i) => {
        if (line.length + word.length > elemWidth && line.length > hanging.length) {
          s += `${line.trimEnd()}\n`;
          line = hanging;
        }
        line += word;
        if (i < words.length - 1) line += ', ';
      });
      s += line;
    } else {
      const sep = `,${'\n'.repeat(shape.length - d - 1)}`;
      s = words.map((w) => hanging + w).join(sep);
    }
    return `[${s.slice(hanging.length)}]`;
  };
  const body = shape.length === 0 ? format(0) : recurse(0, 0, ' '.repeat('array('.length + 1), linewidth);
  const arr = `array(${body}${skipDType ? ')' : ','}`;
  if (skipDType) return arr;
  const lastLine = arr.length - (arr.lastIndexOf('\n') + 1);
  const spacer = lastLine + dtypeStr.length + 2 > opts.linewidth ? `\n${' '.repeat('array('.length)}` : ' ';
  return `${arr}${spacer}${dtypeStr})`;
}
