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
  view: TensorRef;
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
