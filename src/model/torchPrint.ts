import type { DType } from '../core/dtypes';
import { isFloatingDType } from '../core/dtypes';

/**
 * A tensor as `print(t)` shows it in PyTorch (torch/_tensor_str.py, default print options):
 * 4 decimals or scientific notation chosen from the values, `1.` for integer-valued floats,
 * right-aligned columns, lines wrapped at 80 characters, and tensors of more than 1000 elements
 * summarised to their first and last 3 items per dimension with `...`. Our own code, written from
 * torch's documented behaviour and checked against torch's output (test/fixtures/values).
 */

/** torch's print options (`torch.set_printoptions`); the defaults are torch's. */
export interface PrintOptions {
  precision: number;
  /** More elements than this are summarised. */
  threshold: number;
  edgeitems: number;
  linewidth: number;
}

export const TORCH_PRINT_DEFAULTS: PrintOptions = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 };

/** The elements `print` shows: the whole tensor, or per dimension its first and last `edgeitems`. */
export interface PrintPlan {
  summarize: boolean;
  /** Per dimension, the indices shown, in order; a summarised dimension has a gap after its first half. */
  indices: number[][];
  /** Per dimension, whether a `...` stands between the halves. */
  gap: boolean[];
}

/** Which elements printing `shape` reads. */
export function printPlan(shape: readonly number[], opts: PrintOptions = TORCH_PRINT_DEFAULTS): PrintPlan {
  const numel = shape.reduce((a, b) => a * b, 1);
  const summarize = numel > opts.threshold;
  const indices: number[][] = [];
  const gap: boolean[] = [];
  for (const n of shape) {
    const cut = summarize && n > 2 * opts.edgeitems;
    gap.push(cut);
    if (cut) indices.push([...range(0, opts.edgeitems), ...range(n - opts.edgeitems, n)]);
    else indices.push(range(0, n));
  }
  return { summarize, indices, gap };
}

const range = (a: number, b: number): number[] => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);

/** Values of the planned elements in row-major order: doubles, exact 64-bit integers, or booleans. */
export type PrintValues = Float64Array | BigInt64Array | BigUint64Array | readonly number[] | readonly bigint[];

/** `torch.float16` as torch names dtypes. */
export function torchDTypeName(d: DType): string {
  return `torch.${d}`;
}

// ---- Python's float formatting, exactly -------------------------------------------------------

/** |x| as M · 2^Q with M an integer (x finite). */
function binary(x: number): { m: bigint; q: number } {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, Math.abs(x));
  const hi = v.getUint32(0);
  const lo = v.getUint32(4);
  const e = (hi >>> 20) & 0x7ff;
  const f = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return e === 0 ? { m: f, q: -1074 } : { m: f | (1n << 52n), q: e - 1075 };
}

/** round(|x| · 10^s), ties to even, computed exactly (as Python's correctly rounded formatting does). */
function roundScaled(x: number, s: number): bigint {
  const { m, q } = binary(x);
  let num = m;
  let den = 1n;
  if (q > 0) num <<= BigInt(q);
  else den <<= BigInt(-q);
  if (s > 0) num *= 10n ** BigInt(s);
  else if (s < 0) den *= 10n ** BigInt(-s);
  const n = num / den;
  const r2 = (num - n * den) * 2n;
  return r2 > den || (r2 === den && n % 2n === 1n) ? n + 1n : n;
}

const signOf = (x: number): string => (x < 0 || Object.is(x, -0) ? '-' : '');

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return undefined;
}

/** Python's `'{:.{p}f}'.format(x)`. */
export function pyFixed(x: number, p: number): string {
  const special = nonFinite(x);
  if (special) return special;
  const digits = roundScaled(x, p).toString().padStart(p + 1, '0');
  const int = digits.slice(0, digits.length - p);
  return `${signOf(x)}${int}${p > 0 ? `.${digits.slice(digits.length - p)}` : ''}`;
}

/** Python's `'{:.{p}e}'.format(x)`: a mantissa of p decimals and an exponent of at least two digits. */
export function pyExponent(x: number, p: number): string {
  const special = nonFinite(x);
  if (special) return special;
  let e = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
  let n = x === 0 ? 0n : roundScaled(x, p - e);
  // log10 may be off by one near powers of ten, and rounding may carry into a new digit.
  if (n >= 10n ** BigInt(p + 1)) n = roundScaled(x, p - ++e);
  else if (x !== 0 && n < 10n ** BigInt(p)) n = roundScaled(x, p - --e);
  if (n >= 10n ** BigInt(p + 1)) n = roundScaled(x, p - ++e);
  const digits = n.toString().padStart(p + 1, '0');
  const exp = `${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return `${signOf(x)}${digits[0]}${p > 0 ? `.${digits.slice(1)}` : ''}e${exp}`;
}

// ---- torch's _Formatter ------------------------------------------------------------------------

interface Formatter {
  width: number;
  format(v: number | bigint): string;
}

function formatterFor(dtype: DType, values: PrintValues, opts: PrintOptions): Formatter {
  const pad = (s: string, w: number): string => ' '.repeat(Math.max(0, w - s.length)) + s;
  if (!isFloatingDType(dtype)) {
    const text = (v: number | bigint): string => (dtype === 'bool' ? (Number(v) !== 0 ? 'True' : 'False') : String(v));
    let width = 1;
    for (const v of values) width = Math.max(width, text(v).length);
    return { width, format: (v) => pad(text(v), width) };
  }
  const finite: number[] = [];
  for (const v of values) {
    const x = Number(v);
    if (Number.isFinite(x) && x !== 0) finite.push(x);
  }
  let intMode = true;
  let sci = false;
  let width = 1;
  if (finite.length > 0) {
    let min = Infinity;
    let max = 0;
    for (const x of finite) {
      const a = Math.abs(x);
      if (a < min) min = a;
      if (a > max) max = a;
      if (x !== Math.ceil(x)) intMode = false;
    }
    const p = opts.precision;
    if (intMode) {
      if (max / min > 1000 || max > 1e8) {
        sci = true;
        for (const x of finite) width = Math.max(width, pyExponent(x, p).length);
      } else for (const x of finite) width = Math.max(width, pyFixed(x, 0).length + 1);
    } else if (max / min > 1000 || max > 1e8 || min < 1e-4) {
      sci = true;
      for (const x of finite) width = Math.max(width, pyExponent(x, p).length);
    } else for (const x of finite) width = Math.max(width, pyFixed(x, p).length);
  }
  const format = (v: number | bigint): string => {
    const x = Number(v);
    let s: string;
    if (sci) s = pyExponent(x, opts.precision);
    else if (intMode) s = Number.isFinite(x) ? `${pyFixed(x, 0)}.` : pyFixed(x, 0);
    else s = pyFixed(x, opts.precision);
    return pad(s, width);
  };
  return { width, format };
}

// ---- layout ---------------------------------------------------------------------------------------

/**
 * `str(t)` of a tensor whose planned elements (`printPlan(shape)`) are `values`, as `print` shows a
 * plain tensor (`t.data`, no `requires_grad`): `tensor([...], dtype=torch.int32)`.
 */
export function formatTorchTensor(dtype: DType, shape: readonly number[], values: PrintValues, opts: PrintOptions = TORCH_PRINT_DEFAULTS): string {
  const prefix = 'tensor(';
  const indent = prefix.length;
  const numel = shape.reduce((a, b) => a * b, 1);
  const defaultDType = dtype === 'float32' || dtype === 'int64' || dtype === 'bool';
  const suffixes: string[] = [];
  let body: string;
  if (numel === 0) {
    if (shape.length !== 1) suffixes.push(`size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
    // No values to tell an integer tensor from a float one: torch names every dtype but float32.
    if (dtype !== 'float32') suffixes.push(`dtype=${torchDTypeName(dtype)}`);
    body = '[]';
  } else {
    if (!defaultDType) suffixes.push(`dtype=${torchDTypeName(dtype)}`);
    const plan = printPlan(shape, opts);
    const expected = plan.indices.reduce((a, ix) => a * ix.length, 1);
    if (values.length !== expected) throw new RangeError(`expected ${expected} values for the print plan, got ${values.length}`);
    const f = formatterFor(dtype, values, opts);
    // Strides of the planned block, row-major.
    const dims = plan.indices.map((ix) => ix.length);
    const strides = dims.map((_, d) => dims.slice(d + 1).reduce((a, b) => a * b, 1));
    const render = (d: number, at: number, ind: number): string => {
      if (d === shape.length) return f.format(values[at]!);
      const n = dims[d]!;
      const half = plan.gap[d] ? n / 2 : n;
      const parts: string[] = [];
      for (let i = 0; i < n; i++) {
        if (plan.gap[d] && i === half) parts.push(d === shape.length - 1 ? ' ...' : '...');
        parts.push(render(d + 1, at + i * strides[d]!, ind + 1));
      }
      if (d === shape.length - 1) {
        const perLine = Math.max(1, Math.floor((opts.linewidth - ind) / (f.width + 2)));
        const lines: string[] = [];
        for (let i = 0; i < parts.length; i += perLine) lines.push(parts.slice(i, i + perLine).join(', '));
        return `[${lines.join(`,\n${' '.repeat(ind + 1)}`)}]`;
      }
      const rank = shape.length - d;
      return `[${parts.join(`,${'\n'.repeat(rank - 1)}${' '.repeat(ind + 1)}`)}]`;
    };
    body = shape.length === 0 ? f.format(values[0]!) : render(0, 0, indent);
  }
  // torch's _add_suffixes: a suffix that would pass the line width goes on a line of its own.
  let out = prefix + body;
  let lastLine = out.length - out.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (lastLine + s.length + 2 > opts.linewidth) {
      out += `,\n${' '.repeat(indent)}${s}`;
      lastLine = indent + s.length;
    } else {
      out += `, ${s}`;
      lastLine += s.length + 2;
    }
  }
  return `${out})`;
}
