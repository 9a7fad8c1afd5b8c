import * as l10n from '@vscode/l10n';
import { ELEMENT_SIZE, type ElementDType } from '../../core/dtypes';
import type { StorageEncoding, TensorLocation } from '../../core/modelIndex';
import type { ByteSource } from '../../runtime/byteSource';
import type { ReaderContext } from '../formatReader';
import { NEWER_TYPE_NAMES, ONNX_STRING, ONNX_TYPES, type OnnxType } from './onnxTypes';
import type { ProtoReader } from './protoWire';
import type { TensorProtoRef } from './tensorProto';

/** Field names of TensorProto's data fields, for details and messages. */
const FIELD_NAMES: Readonly<Record<number, string>> = { 4: 'float_data', 5: 'int32_data', 7: 'int64_data', 10: 'double_data', 11: 'uint64_data' };

/** A tensor's data located: what the index needs beyond its name and kind. */
export interface Located {
  dtype: ElementDType;
  shape: number[];
  location: TensorLocation;
  details: Record<string, string | number>;
}

/** A STRING tensor: no numbers, listed in the metadata. */
export interface StringTensor {
  strings: string[];
  count: number;
  shape: number[];
}

/** External data files opened once each, by their `location`; an open that failed is remembered. */
export class ExternalFiles {
  private readonly open = new Map<string, Promise<ByteSource>>();
  constructor(private readonly ctx: ReaderContext) {}
  get(location: string): Promise<ByteSource> {
    let p = this.open.get(location);
    if (!p) {
      p = this.ctx.openSibling(location);
      p.catch(() => undefined);
      this.open.set(location, p);
    }
    return p;
  }
}

const contiguous = (shape: readonly number[]): number[] => {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(shape[i]!, 1);
  }
  return strides;
};

/** A decimal integer as onnx's external-data helper writes it, or undefined. */
const decimal = (s: string | undefined): number | undefined => (s !== undefined && /^\d{1,16}$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : undefined);

/**
 * Where a TensorProto's elements are: `raw_data` or a typed field inside the model, or bytes of an
 * external file beside it. Returns the reason when it cannot be read (that tensor is left out).
 */
export async function locateTensor(t: TensorProtoRef, src: ByteSource, r: ProtoReader, ext: ExternalFiles): Promise<Located | StringTensor | { problem: string }> {
  if (t.problem !== undefined) return { problem: t.problem };
  if (t.segment) return { problem: l10n.t('it is stored in segments (TensorProto.segment), which this reader does not read') };
  const shape: number[] = [];
  let count = 1n;
  for (const d of t.dims) {
    if (d < 0n) return { problem: l10n.t('its dimension {0} is negative', d.toString()) };
    count *= d;
    shape.push(Number(d));
  }
  // No tensor has more elements than the file has bits: that bounds every count below by 2^53.
  if (count > BigInt(Math.max(src.size, 1)) * 8n && !t.external.length) return { problem: l10n.t('its shape [{0}] holds {1} elements, more than the file could store', shape.join(', '), count.toString()) };
  if (count > BigInt(Number.MAX_SAFE_INTEGER)) return { problem: l10n.t('its shape [{0}] holds {1} elements, past 2^53', shape.join(', '), count.toString()) };
  const n = Number(count);
  if (t.dataType === ONNX_STRING) return { strings: t.stringSamples, count: t.strings, shape };
  const type = ONNX_TYPES[t.dataType];
  if (!type) {
    if (t.dataType === 0) return { problem: l10n.t('it has no data_type') };
    const known = NEWER_TYPE_NAMES[t.dataType];
    return { problem: known ? l10n.t('unsupported type {0} ({1})', t.dataType, known) : l10n.t('unsupported type {0}', t.dataType) };
  }
  const details: Record<string, string | number> = { onnxType: type.name, onnxTypeId: t.dataType };
  const storage = type.nibbles ? Math.ceil(n / 2) : n * ELEMENT_SIZE[type.dtype];
  const at = (file: string, offset: number, key: string): Located => ({ dtype: type.dtype, shape, details, location: placed(type, n, file, offset, key, shape) });

  if (t.dataLocation === 1) {
    const entries = new Map(t.external);
    const location = entries.get('location');
    if (!location) return { problem: l10n.t('its data is EXTERNAL but external_data names no location') };
    const offset = entries.has('offset') ? decimal(entries.get('offset')) : 0;
    if (offset === undefined) return { problem: l10n.t('its external_data offset {0} is not a byte offset', JSON.stringify(entries.get('offset'))) };
    let file: ByteSource;
    try {
      file = await ext.get(location);
    } catch (e) {
      return { problem: l10n.t('its external data file {0} cannot be read: {1}', JSON.stringify(location), (e as Error).message) };
    }
    if (offset > file.size) return { problem: l10n.t('its external data offset {0} is past the end of {1} ({2} bytes)', offset, location, file.size) };
    const length = entries.has('length') ? decimal(entries.get('length')) : file.size - offset;
    if (length === undefined) return { problem: l10n.t('its external_data length {0} is not a byte count', JSON.stringify(entries.get('length'))) };
    if (offset + length > file.size) return { problem: l10n.t('its external data (offset {0}, length {1}) runs past the end of {2} ({3} bytes)', offset, length, location, file.size) };
    if (length !== storage) return { problem: l10n.t('its external data holds {0} bytes, but {1} elements of {2} take {3}', length, n, type.name, storage) };
    details.storage = 'external';
    details.externalLocation = location;
    return at(file.name, offset, `${t.at}`);
  }
  details.storage = 'raw_data';
  if (t.raw) {
    if (t.raw.len !== storage) return { problem: l10n.t('its raw_data holds {0} bytes, but {1} elements of {2} take {3}', t.raw.len, n, type.name, storage) };
    return at(src.name, t.raw.at, `${t.at}`);
  }
  const fields = [...t.typed.entries()].filter(([, d]) => d.runs + d.unpacked > 0);
  if (fields.length === 0) {
    if (n === 0) return at(src.name, 0, `${t.at}`);
    return { problem: l10n.t('it holds no data for its {0} elements', n) };
  }
  const [field, data] = fields[0]!;
  const fieldName = FIELD_NAMES[field]!;
  details.storage = fieldName;
  if (fields.length > 1 || !type.typed || type.typed.field !== field) return { problem: l10n.t('its values are in {0}, which does not hold {1} values', fields.map(([f]) => FIELD_NAMES[f]).join(', '), type.name) };
  if (data.unpacked > 0 || data.runs > 1 || !data.span) return { problem: l10n.t('its {0} is written unpacked or in pieces, which this reader does not read', fieldName) };
  const span = data.span;
  if (type.typed.kind === 'fixed') {
    if (span.len !== storage) return { problem: l10n.t('its {0} holds {1} bytes, but {2} elements of {3} take {4}', fieldName, span.len, n, type.name, storage) };
    return at(src.name, span.at, `${t.at}`);
  }
  const values = await r.countVarints(span.at, span.len);
  if (values < 0) return { problem: l10n.t('its {0} ends inside a value or holds an overlong varint', fieldName) };
  if (values !== n) return { problem: l10n.t('its {0} holds {1} values for its {2} elements', fieldName, values, n) };
  const encoding: StorageEncoding = { kind: 'varint', offset: span.at, bytes: span.len, skip: 0, width: type.typed.width };
  return { dtype: type.dtype, shape, details, location: { file: src.name, storageOffset: 0, storageBytes: n * type.typed.width, storageKey: `${t.at}`, elementOffset: 0, strides: contiguous(shape), byteOrder: 'little', encoding } };
}

/** A location of `n` elements stored at `offset` of `file`: as they lie, or as nibbles to decode. */
function placed(type: OnnxType, n: number, file: string, offset: number, key: string, shape: number[]): TensorLocation {
  const base = { file, storageKey: key, elementOffset: 0, strides: contiguous(shape), byteOrder: 'little' as const };
  if (!type.nibbles) return { ...base, storageOffset: offset, storageBytes: n * ELEMENT_SIZE[type.dtype] };
  const encoding: StorageEncoding = { kind: 'nibbles', as: type.nibbles, offset, bytes: Math.ceil(n / 2), skip: 0 };
  return { ...base, storageOffset: 0, storageBytes: n * ELEMENT_SIZE[type.dtype], encoding };
}
