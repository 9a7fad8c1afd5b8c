import * as l10n from '@vscode/l10n';
import type { TensorRef } from './elementStream';

/** A slice index that does not fit the tensor. */
export class SliceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SliceError';
  }
}

/** A 2-D view of a tensor as `rows × cols` (1-D is one row, 0-D one cell). */
export interface Matrix2D {
  rows: number;
  cols: number;
  /** A view whose logical order is the matrix's row-major order. */
  view: TensorRef;
  /** For a conv filter grid: the 4-D weight itself, which pools faster read in its own order. */
  grid?: TensorRef;
}

/**
 * The 2-D slice `t[i0, i1, …, :, :]` picked by `lead` (one index per leading dimension), as a
 * view on the same storage: no bytes are read here.
 */
export function slice2d(t: TensorRef, lead: readonly number[]): Matrix2D {
  const rank = t.shape.length;
  const nLead = Math.max(0, rank - 2);
  if (lead.length !== nLead) throw new SliceError(l10n.t('a {0}-D tensor needs {1} leading indices, got {2}', rank, nLead, lead.length));
  let offset = t.location.elementOffset;
  for (let i = 0; i < nLead; i++) {
    const idx = lead[i]!;
    if (!Number.isSafeInteger(idx) || idx < 0 || idx >= t.shape[i]!) throw new SliceError(l10n.t('index {0} is out of range for dimension {1} of size {2}', idx, i, t.shape[i]!));
    offset += idx * t.location.strides[i]!;
  }
  const rows = rank >= 2 ? t.shape[rank - 2]! : 1;
  const cols = rank >= 1 ? t.shape[rank - 1]! : 1;
  const rowStride = rank >= 2 ? t.location.strides[rank - 2]! : 0;
  const colStride = rank >= 1 ? t.location.strides[rank - 1]! : 1;
  return {
    rows,
    cols,
    view: { dtype: t.dtype, shape: [rows, cols], location: { ...t.location, elementOffset: offset, strides: [rowStride, colStride] } },
  };
}

/** Half-open rows `[row0, row1)` and columns `[col0, col1)` of a matrix. */
export interface MatrixWindow {
  row0: number;
  row1: number;
  col0: number;
  col1: number;
}

/** How a 4-D conv weight `[out, in, kh, kw]` is laid out as a matrix. */
export type ConvLayout = 'filters' | 'flat';

/**
 * A 4-D conv weight as one matrix, as a view on the same storage (no bytes read): `filters` puts
 * filter (o, i) as a kh × kw tile at tile row o, tile column i (`[out·kh, in·kw]`, torch's
 * `w.permute(0, 2, 1, 3).reshape(out*kh, in*kw)`); `flat` is `w.reshape(out, in*kh*kw)`.
 */
export function convMatrix(t: TensorRef, layout: ConvLayout): Matrix2D {
  if (t.shape.length !== 4) throw new SliceError(l10n.t('a filter layout needs a 4-D tensor, got {0}-D', t.shape.length));
  const [o, i, kh, kw] = t.shape as [number, number, number, number];
  const [s0, s1, s2, s3] = t.location.strides as [number, number, number, number];
  if (layout === 'flat') return { rows: o, cols: i * kh * kw, view: t };
  return { rows: o * kh, cols: i * kw, view: { dtype: t.dtype, shape: [o, kh, i, kw], location: { ...t.location, strides: [s0, s2, s1, s3] } }, grid: t };
}

/** What to stream for a window of a matrix: see `windowOf`. */
export interface WindowPlan {
  /** The window, clamped to the matrix (the whole matrix when none was asked for). */
  window: MatrixWindow;
  /** The view to stream, whole rows of `matrix.cols` columns from element `start`. */
  matrix: Matrix2D;
  start: number;
  /** Columns of `matrix` inside the window; the others are streamed and skipped. */
  skip: { col0: number; col1: number };
}

/**
 * Narrows a matrix to a window. A 2-D view becomes a sub-view (only the window's bytes are read:
 * one contiguous range for a row window of a row-major tensor); a view of more dimensions (a conv
 * filter grid) streams the window's rows and skips the columns outside it.
 */
export function windowOf(m: Matrix2D, asked?: MatrixWindow): WindowPlan {
  const clamp = (v: number, lo: number, hi: number): number => {
    if (!Number.isFinite(v)) throw new SliceError(l10n.t('window bounds must be numbers'));
    return Math.max(lo, Math.min(hi, Math.floor(v)));
  };
  const row0 = asked ? clamp(asked.row0, 0, Math.max(0, m.rows - 1)) : 0;
  const row1 = asked ? clamp(asked.row1, Math.min(row0 + 1, m.rows), m.rows) : m.rows;
  const col0 = asked ? clamp(asked.col0, 0, Math.max(0, m.cols - 1)) : 0;
  const col1 = asked ? clamp(asked.col1, Math.min(col0 + 1, m.cols), m.cols) : m.cols;
  const window = { row0, row1, col0, col1 };
  if (m.view.shape.length !== 2) return { window, matrix: m, start: row0 * m.cols, skip: { col0, col1 } };
  const [rs, cs] = m.view.location.strides as [number, number];
  const rows = row1 - row0;
  const cols = col1 - col0;
  const view: TensorRef = { dtype: m.view.dtype, shape: [rows, cols], location: { ...m.view.location, elementOffset: m.view.location.elementOffset + row0 * rs + col0 * cs } };
  return { window, matrix: { rows, cols, view }, start: 0, skip: { col0: 0, col1: cols } };
}
