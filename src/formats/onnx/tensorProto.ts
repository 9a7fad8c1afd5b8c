import * as l10n from '@vscode/l10n';
import { WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT, type Field, type ProtoReader } from './protoWire';

/** Dimensions per tensor: far above any real model (ONNX ops stop near 8), and bounds shape work. */
export const MAX_RANK = 64;
/** Bytes of a name (tensor, node, graph, op type) kept: longer ones are refused as corrupt or hostile. */
export const MAX_NAME_BYTES = 65_536;
/** Strings of a STRING tensor shown in the metadata (the rest are counted): they have no statistics. */
export const MAX_STRINGS_SHOWN = 8;
/** Bytes of each string shown in the metadata. */
const MAX_STRING_SHOWN_BYTES = 256;
/** `external_data` entries per tensor read (ONNX defines four keys; the rest are unknown). */
const MAX_EXTERNAL_ENTRIES = 64;

/** A byte range of the file. */
export interface Span {
  at: number;
  len: number;
}

/** A typed data field (`float_data`, `int32_data`, …) as it lies in one TensorProto. */
export interface TypedData {
  /** The first packed run (LEN field). */
  span?: Span;
  /** Packed runs: protobuf lets a writer split one repeated field into several. */
  runs: number;
  /** Values written one tag each (unpacked). */
  unpacked: number;
}

/** A TensorProto located in the file: its header fields read, its data only located. */
export interface TensorProtoRef {
  /** File offset of the message (identifies its storage). */
  at: number;
  name: string;
  dims: bigint[];
  /** TensorProto.DataType; 0 when absent. */
  dataType: number;
  raw?: Span;
  /** Typed data fields by field number (4, 5, 7, 10, 11). */
  typed: Map<number, TypedData>;
  /** STRING tensors: how many strings, and the first few. */
  strings: number;
  stringSamples: string[];
  external: Array<[string, string]>;
  /** 1 = EXTERNAL. */
  dataLocation: number;
  segment: boolean;
  /** Set when a field was out of bounds for this tensor alone (rank past MAX_RANK). */
  problem?: string;
}

export const emptyTensorRef = (at: number, name: string, dataType: number, dims: bigint[]): TensorProtoRef => ({ at, name, dims, dataType, typed: new Map(), strings: 0, stringSamples: [], external: [], dataLocation: 0, segment: false });

/** Typed data field numbers of TensorProto and the wire type of one unpacked value. */
const TYPED_FIELDS: Readonly<Record<number, number>> = { 4: WIRE_I32, 5: WIRE_VARINT, 7: WIRE_VARINT, 10: WIRE_I64, 11: WIRE_VARINT };

/** Records a typed data field; shared with attribute lists (`floats`, `ints`). */
export function addTyped(typed: Map<number, TypedData>, no: number, f: Field, unpackedWire: number, r: ProtoReader, what: string): void {
  let d = typed.get(no);
  if (!d) typed.set(no, (d = { runs: 0, unpacked: 0 }));
  if (f.wire === WIRE_LEN) {
    if (d.runs++ === 0) d.span = { at: f.at, len: f.len };
  } else if (f.wire === unpackedWire) d.unpacked++;
  else throw r.wrongWire(f, what);
}

/** Reads the header fields of the TensorProto in `span`; its data fields are only located. */
export async function readTensorProto(r: ProtoReader, span: Span, what: string): Promise<TensorProtoRef> {
  const t = emptyTensorRef(span.at, '', 0, []);
  const w = l10n.t('the tensor {0}', what);
  for await (const f of r.fields(span.at, span.at + span.len, w)) {
    switch (f.no) {
      case 1: // dims
        if (t.problem !== undefined) break;
        if (f.wire === WIRE_LEN) t.dims.push(...(await r.packedInts(f, MAX_RANK + 1, w)));
        else t.dims.push(BigInt(r.int(f, w)));
        if (t.dims.length > MAX_RANK) {
          t.problem = l10n.t('it has more than {0} dimensions', MAX_RANK);
          t.dims.length = 0;
        }
        break;
      case 2:
        t.dataType = r.int(f, w);
        break;
      case 3:
        t.segment = true;
        break;
      case 6:
        if (f.wire !== WIRE_LEN) throw r.wrongWire(f, w);
        if (t.stringSamples.length < MAX_STRINGS_SHOWN) t.stringSamples.push(await r.text({ ...f, len: Math.min(f.len, MAX_STRING_SHOWN_BYTES) }, MAX_STRING_SHOWN_BYTES, w));
        t.strings++;
        break;
      case 8:
        t.name = await r.text(f, MAX_NAME_BYTES, l10n.t('the name of {0}', w));
        break;
      case 9:
        if (f.wire !== WIRE_LEN) throw r.wrongWire(f, w);
        t.raw = { at: f.at, len: f.len };
        break;
      case 13:
        if (t.external.length < MAX_EXTERNAL_ENTRIES) t.external.push(await readStringPair(r, f, w));
        break;
      case 14:
        t.dataLocation = r.int(f, w);
        break;
      default:
        if (f.no in TYPED_FIELDS) addTyped(t.typed, f.no, f, TYPED_FIELDS[f.no]!, r, w);
      // doc_string (12), metadata_props (16) and unknown fields are skipped.
    }
  }
  return t;
}

/** A StringStringEntryProto (key 1, value 2). */
export async function readStringPair(r: ProtoReader, f: Field, what: string): Promise<[string, string]> {
  if (f.wire !== WIRE_LEN) throw r.wrongWire(f, what);
  let key = '';
  let value = '';
  for await (const g of r.fields(f.at, f.at + f.len, what)) {
    if (g.no === 1) key = await r.text(g, MAX_NAME_BYTES, what);
    else if (g.no === 2) value = await r.text(g, MAX_NAME_BYTES, what);
  }
  return [key, value];
}

/** A SparseTensorProto: values (1), indices (2), dense dims (3). */
export interface SparseRef {
  values?: TensorProtoRef;
  indices?: TensorProtoRef;
  dims: bigint[];
}

export async function readSparseProto(r: ProtoReader, span: Span, what: string): Promise<SparseRef> {
  const s: SparseRef = { dims: [] };
  const w = l10n.t('the sparse tensor {0}', what);
  for await (const f of r.fields(span.at, span.at + span.len, w)) {
    if (f.no === 1 || f.no === 2) {
      if (f.wire !== WIRE_LEN) throw r.wrongWire(f, w);
      const t = await readTensorProto(r, { at: f.at, len: f.len }, what);
      if (f.no === 1) s.values = t;
      else s.indices = t;
    } else if (f.no === 3) {
      if (f.wire === WIRE_LEN) s.dims.push(...(await r.packedInts(f, MAX_RANK + 1, w)));
      else s.dims.push(BigInt(r.int(f, w)));
      if (s.dims.length > MAX_RANK) throw r.fail(l10n.t('{0} has more than {1} dimensions', w, MAX_RANK));
    }
  }
  return s;
}
