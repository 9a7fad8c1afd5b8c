import * as l10n from '@vscode/l10n';
import type { PathStep, RawTensor, TensorKind, TensorLocation } from '../../core/modelIndex';
import { elementBytes } from '../../core/dtypes';
import type { Hdf5Dataset } from './hdf5File';
import { UNDEFINED_ADDRESS } from './hdf5Messages';
import { kerasFans } from './kerasModel';

/** Where an HDF5 file's bytes lie in the file a tensor's location names. */
export interface WeightsPlacement {
  /** The file a location names (the `.keras` or `.h5` itself). */
  file: string;
  /** Size of the HDF5 bytes (the inner file of a `.keras`). */
  size: number;
  /** Absolute offset of the HDF5 file's byte 0 in `file` (a stored zip record's data offset; 0 for an `.h5`). */
  offset: number;
  /** Set when the HDF5 file is a deflated zip record: tensors then decode it from its start. */
  deflated?: { offset: number; bytes: number };
  /** HDF5 base address (the superblock's), added to every dataset address. */
  base: number;
  /** Prefix of storage keys (`model.weights.h5:`), so two files' datasets never share a key. */
  keyPrefix: string;
}

/** What a dataset is to the model, as the Keras layout says. */
export interface TensorRole {
  name: string;
  kind: TensorKind;
  /** How Python reaches it from the model (`model.layers[0].kernel`), where the config says. */
  steps?: PathStep[];
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(shape[i]!, 1);
  }
  return strides;
}

/**
 * A dataset as a tensor whose bytes are read straight from the file (HDF5's contiguous and
 * compact layouts are row-major raw elements), or the warning that says why it is left out:
 * chunked or filtered storage, a type that is not a tensor element type, data never written,
 * dimensions whose size overflows, or bytes past the end of the file.
 */
export function datasetTensor(ds: Hdf5Dataset, role: TensorRole, at: WeightsPlacement): RawTensor | string {
  // The HDF5 path only when it says more than the name.
  const leftOut = (why: string): string => (role.name === ds.path ? l10n.t("'{0}' is left out: {1}", role.name, why) : l10n.t("'{0}' ({1}) is left out: {2}", role.name, ds.path, why));
  const t = ds.type;
  if (t.cls !== 'number') return leftOut(t.cls === 'other' ? l10n.t('its HDF5 type ({0}) is not a tensor element type', t.name) : l10n.t('it holds strings'));
  if (!ds.shape) return leftOut(l10n.t('its dataspace is null'));
  if (ds.layout.kind === 'chunked') return leftOut(ds.filtered ? l10n.t('it is stored in compressed chunks, which this reader does not decode') : l10n.t('it is stored in chunks, which this reader does not read'));
  if (ds.layout.kind === 'virtual') return leftOut(l10n.t('it is a virtual dataset (its data lives in other files)'));
  let count = 1;
  for (const d of ds.shape) count *= d;
  const bytes = count * elementBytes(t.dtype);
  if (!Number.isSafeInteger(bytes)) return leftOut(l10n.t('its dimensions {0} are too large', JSON.stringify(ds.shape)));
  const address = ds.layout.address ?? UNDEFINED_ADDRESS;
  if (address === UNDEFINED_ADDRESS && bytes > 0) return leftOut(l10n.t('its data was never written'));
  if (bytes > ds.layout.bytes) return leftOut(l10n.t('its shape needs {0} bytes but the file stores {1}', bytes, ds.layout.bytes));
  const start = bytes === 0 ? 0 : at.base + address;
  if (start + bytes > at.size) return leftOut(l10n.t('its {0} bytes at {1} lie past the end of the file ({2} bytes)', bytes, start, at.size));
  const location: TensorLocation = {
    file: at.file,
    storageOffset: at.deflated ? 0 : at.offset + start,
    storageBytes: bytes,
    storageKey: `${at.keyPrefix}${ds.path}`,
    elementOffset: 0,
    strides: rowMajorStrides(ds.shape),
    byteOrder: t.byteOrder,
  };
  if (at.deflated) location.encoding = { kind: 'deflate', offset: at.deflated.offset, bytes: at.deflated.bytes, skip: start };
  const tensor: RawTensor = { name: role.name, dtype: t.dtype, shape: [...ds.shape], location, kind: role.kind, details: { hdf5Path: ds.path } };
  if (role.steps) tensor.containerPath = role.steps;
  const fans = role.kind === 'optimizer' ? undefined : kerasFans(ds.shape);
  if (fans) tensor.fans = fans;
  return tensor;
}
