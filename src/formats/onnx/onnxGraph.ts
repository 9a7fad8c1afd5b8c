import * as l10n from '@vscode/l10n';
import { throwIfAborted } from '../../core/abort';
import { onnxTypeName } from './onnxTypes';
import { WIRE_I32, WIRE_LEN, WIRE_VARINT, type Field, type ProtoReader } from './protoWire';
import { addTyped, emptyTensorRef, MAX_NAME_BYTES, MAX_RANK, readSparseProto, readStringPair, readTensorProto, type Span, type TensorProtoRef } from './tensorProto';

/** Graphs nested inside graphs (If/Loop/Scan bodies): real models nest a few; a bomb nests 10^5. */
export const MAX_GRAPH_DEPTH = 64;
/** Nodes in all graphs: the largest exported LLM graphs hold about 10^5; each costs memory here. */
export const MAX_NODES = 2_000_000;
/** Tensors (initializers, constants, attribute tensors) in all graphs, for the same reason. */
export const MAX_TENSORS = 2_000_000;
/** Bytes of names and texts kept from the structure, in all: bounds memory whatever the file holds. */
export const MAX_TEXT_BYTES = 256 * 1024 * 1024;
/** Bytes of a doc string shown in the metadata. */
const MAX_DOC_BYTES = 4096;
/** Graph inputs and outputs listed in the metadata (the rest are counted). */
const MAX_IO_SHOWN = 1000;
/** Values of an unpacked `value_floats` / `value_ints` kept for the metadata (the rest are counted). */
export const MAX_LISTED_ATTR_VALUES = 1024;
/** Levels of a value's type (`sequence<map<…>>`) spelled out. */
const MAX_TYPE_DEPTH = 16;

/** A node as the naming and fan-in rules need it. */
export interface NodeRef {
  /** `name`, or `<op_type>_<index in its graph>` when the node has none. */
  label: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Gemm's `transB` (0 when absent). */
  transB: number;
}

/** Where a tensor sits in the file's structure. */
export type Origin = 'initializer' | 'sparse_initializer' | 'Constant' | 'attribute';

/** A tensor found in the structure, its data not yet checked. */
export interface FoundTensor {
  proto: TensorProtoRef;
  name: string;
  origin: Origin;
  /** The dotted path of the graph holding it: '' for the main graph, `If_3.then_branch` below. */
  graphPath: string;
  /** The node whose attribute holds it (Constant and attribute tensors). */
  node?: NodeRef;
  /** A part of a sparse tensor: which one, the dense shape, the sparse tensor's name. */
  sparse?: { part: 'values' | 'indices'; dims: bigint[]; of: string };
}

export interface GraphInfo {
  path: string;
  nodes: NodeRef[];
}

/** What the walk found: the model's own fields, every graph's nodes and every tensor. */
export interface OnnxModel {
  facts: Record<string, string | number>;
  opsets: Array<[string, number]>;
  metadataProps: Array<[string, string]>;
  inputs: Array<[string, string]>;
  outputs: Array<[string, string]>;
  /** Constants whose `value_floats` / `value_ints` are written one tag per value, decoded: name, values, count, type. */
  listed: Array<{ name: string; values: number[]; count: number; type: 'FLOAT' | 'INT64' }>;
  /** Inputs and outputs beyond MAX_IO_SHOWN. */
  ioLeftOut: number;
  graphs: GraphInfo[];
  tensors: FoundTensor[];
  warnings: string[];
  notes: string[];
}

/** Characters of a graph path a message spells out: a path 64 graphs deep is kilobytes. */
const MAX_PATH_SHOWN = 160;

/** A long graph path as its start and end. */
function shortPath(path: string): string {
  return path.length <= MAX_PATH_SHOWN ? path : `${path.slice(0, MAX_PATH_SHOWN / 2)}…${path.slice(-MAX_PATH_SHOWN / 2)}`;
}

/** A node name as dotted path parts (`/encoder/layer.0/MatMul` → `encoder.layer.0.MatMul`). */
export function labelPath(label: string): string {
  return label.replace(/^\/+/, '').replace(/\//g, '.');
}

/** The value fields of a Constant's attribute. */
interface ConstantFields {
  f32?: Field;
  i64?: Field;
  typed: Map<number, { span?: Span; runs: number; unpacked: number }>;
  strings: number;
  /** The first values of an unpacked list. */
  listed: number[];
}

/** Walks ModelProto → GraphProto → NodeProto → AttributeProto → GraphProto …, reading only structure. */
export class GraphWalker {
  private readonly m: OnnxModel = { facts: {}, opsets: [], metadataProps: [], inputs: [], outputs: [], listed: [], ioLeftOut: 0, graphs: [], tensors: [], warnings: [], notes: [] };
  private textBytes = 0;
  private nodes = 0;

  constructor(private readonly r: ProtoReader) {}

  private async text(f: Field, what: string, max = MAX_NAME_BYTES): Promise<string> {
    this.textBytes += Math.min(f.len, max);
    if (this.textBytes > MAX_TEXT_BYTES) throw this.r.fail(l10n.t('its names and texts take more than {0} bytes', MAX_TEXT_BYTES));
    return this.r.text(f, max, what);
  }

  /** A doc string, its first MAX_DOC_BYTES bytes. */
  private async doc(f: Field, what: string): Promise<string> {
    if (f.wire !== WIRE_LEN) throw this.r.wrongWire(f, what);
    const shown = await this.text({ ...f, len: Math.min(f.len, MAX_DOC_BYTES) }, what);
    return f.len > MAX_DOC_BYTES ? `${shown}…` : shown;
  }

  private addTensor(t: FoundTensor): void {
    if (this.m.tensors.length >= MAX_TENSORS) throw this.r.fail(l10n.t('it holds more than {0} tensors', MAX_TENSORS));
    this.m.tensors.push(t);
  }

  async model(): Promise<OnnxModel> {
    const r = this.r;
    const what = l10n.t('the model');
    let graph: Span | undefined;
    const facts = this.m.facts;
    for await (const f of r.fields(0, r.src.size, what)) {
      switch (f.no) {
        case 1:
          facts.irVersion = r.int(f, 'ir_version');
          break;
        case 2:
          facts.producerName = await this.text(f, 'producer_name');
          break;
        case 3:
          facts.producerVersion = await this.text(f, 'producer_version');
          break;
        case 4:
          facts.domain = await this.text(f, 'domain');
          break;
        case 5:
          facts.modelVersion = r.int(f, 'model_version');
          break;
        case 6:
          facts.docString = await this.doc(f, 'doc_string');
          break;
        case 7:
          if (f.wire !== WIRE_LEN) throw r.wrongWire(f, 'graph');
          graph = { at: f.at, len: f.len };
          break;
        case 8:
          this.m.opsets.push(await this.opset(f));
          break;
        case 14:
          this.m.metadataProps.push(await readStringPair(r, f, 'metadata_props'));
          break;
        case 20:
          this.m.notes.push(l10n.t('the model holds training information (training_info); its graphs are not read'));
          break;
        case 25:
          this.m.notes.push(l10n.t('the model defines local functions; tensors inside their bodies are not listed'));
          break;
      }
    }
    if (!graph) throw r.fail(l10n.t('the model has no graph'));
    await this.graph(graph, '', 0);
    return this.m;
  }

  private async opset(f: Field): Promise<[string, number]> {
    const what = 'opset_import';
    if (f.wire !== WIRE_LEN) throw this.r.wrongWire(f, what);
    let domain = '';
    let version = 0;
    for await (const g of this.r.fields(f.at, f.at + f.len, what)) {
      if (g.no === 1) domain = await this.text(g, what);
      else if (g.no === 2) version = this.r.int(g, what);
    }
    return [domain, version];
  }

  private async graph(span: Span, path: string, depth: number): Promise<void> {
    throwIfAborted(this.r.signal);
    const r = this.r;
    const what = path === '' ? l10n.t('the main graph') : l10n.t('the graph {0}', path);
    const info: GraphInfo = { path, nodes: [] };
    this.m.graphs.push(info);
    for await (const f of r.fields(span.at, span.at + span.len, what)) {
      if (f.wire !== WIRE_LEN && [1, 2, 5, 10, 11, 12, 15].includes(f.no)) throw r.wrongWire(f, what);
      if (f.no === 1) {
        if (++this.nodes > MAX_NODES) throw r.fail(l10n.t('it holds more than {0} nodes', MAX_NODES));
        await this.node(f, info, depth);
      } else if (f.no === 5) {
        const t = await readTensorProto(r, f, l10n.t('initializer at offset {0}', f.at));
        this.addTensor({ proto: t, name: t.name, origin: 'initializer', graphPath: path });
      } else if (f.no === 15) {
        const s = await readSparseProto(r, f, l10n.t('sparse initializer at offset {0}', f.at));
        this.addSparse(s.values, s.indices, s.dims, s.values?.name ?? '', 'sparse_initializer', path);
      } else if (path === '' && f.no === 2) this.m.facts.graphName = await this.text(f, 'graph name');
      else if (path === '' && f.no === 10) this.m.facts.graphDocString = await this.doc(f, 'graph doc_string');
      else if (path === '' && (f.no === 11 || f.no === 12)) {
        const list = f.no === 11 ? this.m.inputs : this.m.outputs;
        if (list.length < MAX_IO_SHOWN) list.push(await this.valueInfo(f));
        else this.m.ioLeftOut++;
      }
    }
  }

  private addSparse(values: TensorProtoRef | undefined, indices: TensorProtoRef | undefined, dims: bigint[], name: string, origin: Origin, graphPath: string, node?: NodeRef): void {
    for (const [part, t] of [['values', values], ['indices', indices]] as const) {
      if (t) this.addTensor({ proto: t, name: `${name}.${part}`, origin, graphPath, node, sparse: { part, dims, of: name } });
    }
  }

  private async node(span: Span, graph: GraphInfo, depth: number): Promise<void> {
    const r = this.r;
    const what = l10n.t('node at offset {0}', span.at);
    const node: NodeRef = { label: '', opType: '', domain: '', inputs: [], outputs: [], transB: 0 };
    const attributes: Span[] = [];
    for await (const f of r.fields(span.at, span.at + span.len, what)) {
      if (f.no === 1) node.inputs.push(await this.text(f, what));
      else if (f.no === 2) node.outputs.push(await this.text(f, what));
      else if (f.no === 3) node.label = await this.text(f, what);
      else if (f.no === 4) node.opType = await this.text(f, what);
      else if (f.no === 7) node.domain = await this.text(f, what);
      else if (f.no === 5) {
        if (f.wire !== WIRE_LEN) throw r.wrongWire(f, what);
        attributes.push({ at: f.at, len: f.len });
      }
    }
    if (node.label === '') node.label = `${node.opType || 'node'}_${graph.nodes.length}`;
    graph.nodes.push(node);
    for (const a of attributes) await this.attribute(a, node, graph.path, depth);
  }

  /** One attribute: tensors and subgraphs are what we look for; ints only for Gemm's transB. */
  private async attribute(span: Span, node: NodeRef, graphPath: string, depth: number): Promise<void> {
    const r = this.r;
    const what = l10n.t('an attribute of node {0}', node.label);
    let name = '';
    const tensors: Span[] = [];
    const graphs: Span[] = [];
    const sparse: Span[] = [];
    const typed = new Map<number, { span?: Span; runs: number; unpacked: number }>();
    let f32: Field | undefined;
    let i64: Field | undefined;
    let strings = 0;
    const listed: number[] = [];
    for await (const f of r.fields(span.at, span.at + span.len, what)) {
      if ((f.no === 7 && f.wire === WIRE_I32) || (f.no === 8 && f.wire === WIRE_VARINT)) {
        if (listed.length < MAX_LISTED_ATTR_VALUES) listed.push(f.no === 7 ? await r.float32(f) : r.int(f, what));
      }
      if (f.no === 1) name = await this.text(f, what);
      else if (f.no === 2) f32 = f.wire === WIRE_I32 ? f : undefined;
      else if (f.no === 3) i64 = f.wire === WIRE_VARINT ? f : undefined;
      else if (f.no === 4 || f.no === 9) strings++;
      else if (f.no === 5 || f.no === 10) tensors.push(f);
      else if (f.no === 6 || f.no === 11) graphs.push(f);
      else if (f.no === 22 || f.no === 23) sparse.push(f);
      else if (f.no === 7) addTyped(typed, 4, f, WIRE_I32, r, what);
      else if (f.no === 8) addTyped(typed, 7, f, WIRE_VARINT, r, what);
      if ([5, 6, 10, 11, 22, 23].includes(f.no) && f.wire !== WIRE_LEN) throw r.wrongWire(f, what);
    }
    const constant = node.opType === 'Constant' && node.domain === '';
    const own = (k: number, n: number): string => (constant ? (node.outputs[0] ?? node.label) : `${graphPath ? `${graphPath}.` : ''}${labelPath(node.label)}.${name}${n > 1 ? `.${k}` : ''}`);
    const origin: Origin = constant ? 'Constant' : 'attribute';
    if (name === 'transB' && i64) node.transB = r.int(i64, what);
    for (const [k, t] of tensors.entries()) {
      const proto = await readTensorProto(r, t, l10n.t('{0} of node {1}', name, node.label));
      this.addTensor({ proto, name: own(k, tensors.length), origin, graphPath, node });
    }
    for (const [k, s] of sparse.entries()) {
      const sp = await readSparseProto(r, s, l10n.t('{0} of node {1}', name, node.label));
      this.addSparse(sp.values, sp.indices, sp.dims, own(k, sparse.length), origin, graphPath, node);
    }
    if (constant) await this.constantValue(name, span.at, node, graphPath, { f32, i64, typed, strings, listed });
    for (const [k, g] of graphs.entries()) {
      const path = `${graphPath ? `${graphPath}.` : ''}${labelPath(node.label)}.${name}${graphs.length > 1 ? `.${k}` : ''}`;
      if (depth + 1 > MAX_GRAPH_DEPTH) {
        this.m.warnings.push(l10n.t('the graph {0} is nested more than {1} graphs deep; it and the graphs inside it are not read', shortPath(path), MAX_GRAPH_DEPTH));
        continue;
      }
      await this.graph(g, path, depth + 1);
    }
  }

  /** A Constant's `value_float(s)` / `value_int(s)` as a small tensor; its strings are noted. */
  private async constantValue(name: string, attrAt: number, node: NodeRef, graphPath: string, v: ConstantFields): Promise<void> {
    const { f32, i64, typed, strings } = v;
    const out = node.outputs[0] ?? node.label;
    const add = (proto: TensorProtoRef): void => this.addTensor({ proto, name: out, origin: 'Constant', graphPath, node });
    if (name === 'value_float' && f32) add({ ...emptyTensorRef(f32.at, out, 1, []), raw: { at: f32.at, len: 4 } });
    else if (name === 'value_int' && i64) add({ ...emptyTensorRef(i64.at, out, 7, []), typed: new Map([[7, { span: { at: i64.at, len: i64.len }, runs: 1, unpacked: 0 }]]) });
    else if (name === 'value_floats' || name === 'value_ints') {
      const field = name === 'value_floats' ? 4 : 7;
      const d = typed.get(field) ?? { runs: 0, unpacked: 0 };
      if (d.runs === 0 && d.unpacked > 0) {
        // As onnx writes these (AttributeProto's lists are not packed): a tag per value, no tensor bytes to point at.
        this.m.listed.push({ name: out, values: v.listed, count: d.unpacked, type: field === 4 ? 'FLOAT' : 'INT64' });
        return;
      }
      const at = d.span?.at ?? attrAt;
      const count = d.span === undefined ? 0 : field === 4 ? Math.floor(d.span.len / 4) : await this.r.countVarints(d.span.at, d.span.len);
      const proto = emptyTensorRef(at, out, field === 4 ? 1 : 7, [BigInt(Math.max(count, 0))]);
      proto.typed.set(field, d);
      if (count < 0) proto.problem = l10n.t('its values are not whole varints');
      add(proto);
    } else if (name === 'value_string' || name === 'value_strings') {
      this.m.notes.push(l10n.t('the Constant {0} holds {1} string(s), not listed as a tensor', out, strings));
    }
  }

  private async valueInfo(f: Field): Promise<[string, string]> {
    const what = 'value_info';
    let name = '';
    let type = '';
    for await (const g of this.r.fields(f.at, f.at + f.len, what)) {
      if (g.no === 1) name = await this.text(g, what);
      else if (g.no === 2 && g.wire === WIRE_LEN) type = await this.typeText(g, 0);
    }
    return [name, type];
  }

  /** A TypeProto spelled out: `FLOAT[batch, 3, 224, 224]`, `sequence<INT64[?]>`. */
  private async typeText(span: Span, depth: number): Promise<string> {
    if (depth > MAX_TYPE_DEPTH) return '…';
    const r = this.r;
    const what = 'type';
    let out = '';
    for await (const f of r.fields(span.at, span.at + span.len, what)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.no === 1 || f.no === 8) out = (f.no === 8 ? 'sparse ' : '') + (await this.tensorType(f));
      else if (f.no === 4 || f.no === 9) {
        let inner = '?';
        for await (const g of r.fields(f.at, f.at + f.len, what)) if (g.no === 1 && g.wire === WIRE_LEN) inner = await this.typeText(g, depth + 1);
        out = `${f.no === 4 ? 'sequence' : 'optional'}<${inner}>`;
      } else if (f.no === 5) {
        let [key, value] = ['?', '?'];
        for await (const g of r.fields(f.at, f.at + f.len, what)) {
          if (g.no === 1) key = onnxTypeName(r.int(g, what));
          else if (g.no === 2 && g.wire === WIRE_LEN) value = await this.typeText(g, depth + 1);
        }
        out = `map<${key}, ${value}>`;
      } else if (f.no === 7) out = 'opaque';
    }
    return out;
  }

  private async tensorType(span: Span): Promise<string> {
    const r = this.r;
    const what = 'type';
    let elem = '?';
    let dims: string[] | undefined;
    for await (const f of r.fields(span.at, span.at + span.len, what)) {
      if (f.no === 1) elem = onnxTypeName(r.int(f, what));
      else if (f.no === 2 && f.wire === WIRE_LEN) {
        dims = [];
        for await (const d of r.fields(f.at, f.at + f.len, what)) {
          if (d.no !== 1 || d.wire !== WIRE_LEN) continue;
          if (dims.length >= MAX_RANK) {
            dims.push('…');
            break;
          }
          let dim = '?';
          for await (const v of r.fields(d.at, d.at + d.len, what)) {
            if (v.no === 1) dim = String(r.int(v, what));
            else if (v.no === 2) dim = await this.text(v, what);
          }
          dims.push(dim);
        }
      }
    }
    return dims ? `${elem}[${dims.join(', ')}]` : elem;
  }
}
