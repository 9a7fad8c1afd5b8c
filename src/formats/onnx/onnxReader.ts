import * as l10n from '@vscode/l10n';
import { throwIfAborted } from '../../core/abort';
import { isComplexDType, isFloatingDType } from '../../core/dtypes';
import type { RawTensor, ReaderResult } from '../../core/modelIndex';
import type { ByteSource } from '../../runtime/byteSource';
import type { FormatReader, ReaderContext } from '../formatReader';
import { GraphWalker, type OnnxModel } from './onnxGraph';
import { fansOf, firstUses, readableName } from './onnxNames';
import { ExternalFiles, locateTensor } from './onnxTensors';
import { ProtoReader } from './protoWire';

/** Leading bytes the sniff looks at: a tag, a varint ir_version and the next tag fit in far fewer. */
const SNIFF_BYTES = 32;
/** ir_version values the sniff accepts: ONNX is at 13 (2025); room for decades of versions. */
const MAX_SNIFF_IR_VERSION = 127;
/** ModelProto's fields (onnx.proto) and their wire types: the field after ir_version must be one. */
const MODEL_FIELDS: Readonly<Record<number, number>> = { 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2 };
/** Names of left-out tensors spelled out in one warning; the rest are counted. */
const MAX_NAMED_PROBLEMS = 50;

/**
 * `ir_version` first (tag 0x08, as every writer orders fields by number), a small version, then
 * another ModelProto field of the right wire type. safetensors' length prefix, zip, pickle and
 * GGUF magic all fail at the first or third byte.
 */
async function sniff(src: ByteSource): Promise<boolean> {
  if (src.size < 4) return false;
  const b = await src.read(0, Math.min(SNIFF_BYTES, src.size));
  if (b[0] !== 0x08 || b[1]! === 0 || b[1]! > MAX_SNIFF_IR_VERSION) return false;
  const tag = b[2]!;
  return tag < 0x80 && MODEL_FIELDS[tag >> 3] === (tag & 7);
}

/** Unique names: a repeated name gets its graph's path, then `#2`, `#3`. */
class Names {
  private readonly taken = new Set<string>();
  claim(name: string, graphPath: string): string {
    let n = name;
    if (this.taken.has(n) && graphPath !== '' && !n.startsWith(`${graphPath}.`)) n = `${graphPath}.${name}`;
    for (let k = 2; this.taken.has(n); k++) n = `${name}#${k}`;
    this.taken.add(n);
    return n;
  }
}

/** Metadata as the summary shows it: the model's fields, opsets, metadata_props, inputs and outputs. */
function metadataOf(m: OnnxModel): { metadata: Record<string, unknown>; types: Record<string, string> } {
  const metadata: Record<string, unknown> = {};
  const types: Record<string, string> = {};
  const put = (key: string, value: unknown, type: string): void => {
    metadata[key] = value;
    types[key] = type;
  };
  const f = m.facts;
  const fields: Array<[string, keyof typeof f, string]> = [
    ['ir_version', 'irVersion', 'int64'],
    ['producer_name', 'producerName', 'string'],
    ['producer_version', 'producerVersion', 'string'],
    ['domain', 'domain', 'string'],
    ['model_version', 'modelVersion', 'int64'],
    ['doc_string', 'docString', 'string'],
    ['graph.name', 'graphName', 'string'],
    ['graph.doc_string', 'graphDocString', 'string'],
  ];
  for (const [key, from, type] of fields) if (f[from] !== undefined) put(key, f[from], type);
  for (const [domain, version] of m.opsets) put(`opset_import.${domain || 'ai.onnx'}`, version, 'int64');
  for (const [k, v] of m.metadataProps) put(`metadata_props.${k}`, v, 'string');
  for (const c of m.listed) put(`constant.${c.name}`, c.count > c.values.length ? [...c.values, '…'] : c.values, `${c.type}[${c.count}]`);
  for (const [name, type] of m.inputs) put(`graph.input.${name}`, type, 'ValueInfo');
  for (const [name, type] of m.outputs) put(`graph.output.${name}`, type, 'ValueInfo');
  return { metadata, types };
}

/** What the container says of itself, for the summary's facts. */
function containerOf(m: OnnxModel, tensors: number, external: Set<string>): Record<string, string | number> {
  const c: Record<string, string | number> = {};
  if (m.facts.irVersion !== undefined) c.irVersion = m.facts.irVersion;
  if (m.facts.producerName !== undefined) c.producer = `${m.facts.producerName}${m.facts.producerVersion ? ` ${m.facts.producerVersion}` : ''}`;
  if (m.opsets.length) c.opsets = m.opsets.map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ');
  c.graphs = m.graphs.length;
  c.nodes = m.graphs.reduce((a, g) => a + g.nodes.length, 0);
  c.tensors = tensors;
  if (external.size) c.externalData = [...external].join(', ');
  return c;
}

/** Tensors left out, in one warning per reason kind: the first MAX_NAMED_PROBLEMS, then a count. */
function problemWarnings(problems: Array<[string, string]>): string[] {
  const out = problems.slice(0, MAX_NAMED_PROBLEMS).map(([name, why]) => l10n.t('tensor {0} is left out: {1}', name, why));
  if (problems.length > MAX_NAMED_PROBLEMS) out.push(l10n.t('{0} more tensors are left out', problems.length - MAX_NAMED_PROBLEMS));
  return out;
}

async function openOnnx(src: ByteSource, ctx: ReaderContext): Promise<ReaderResult> {
  const r = new ProtoReader(src, ctx.signal);
  const model = await new GraphWalker(r).model();
  const ext = new ExternalFiles(ctx);
  const uses = firstUses(model.graphs);
  const names = new Names();
  const tensors: RawTensor[] = [];
  const problems: Array<[string, string]> = [];
  const warnings = [...model.warnings];
  const notes = [...model.notes];
  const { metadata, types } = metadataOf(model);
  const external = new Set<string>();
  // One initializer per name and graph: a second with the same name would shadow the first.
  const seen = new Set<string>();
  for (const [i, found] of model.tensors.entries()) {
    if (i % 256 === 0) throwIfAborted(ctx.signal);
    const key = `${found.graphPath}\u0000${found.name}`;
    if (found.origin === 'initializer' && found.name !== '') {
      if (seen.has(key)) {
        warnings.push(l10n.t('the initializer {0} appears twice; the first is shown', found.name));
        continue;
      }
      seen.add(key);
    }
    const shown = readableName(found, uses, i);
    const got = await locateTensor(found.proto, src, r, ext);
    if ('problem' in got) {
      problems.push([shown, got.problem]);
      continue;
    }
    const name = names.claim(shown, found.graphPath);
    if ('strings' in got) {
      metadata[`string_tensor.${name}`] = got.strings;
      types[`string_tensor.${name}`] = `STRING[${got.shape.join(', ')}]`;
      notes.push(l10n.t('the STRING tensor {0} ({1} strings) is listed in the metadata: strings have no statistics', name, got.count));
      continue;
    }
    const details: Record<string, string | number | readonly number[]> = { ...got.details, origin: found.origin };
    if (name !== found.name) details.onnxName = found.name;
    if (found.graphPath) details.graph = found.graphPath;
    if (found.node) details.node = `${found.node.opType} ${found.node.label}`;
    if (found.sparse) details.sparseShape = found.sparse.dims.map(Number);
    if (typeof got.details.externalLocation === 'string') external.add(got.details.externalLocation);
    const use = uses.get(found.graphPath)?.get(found.name);
    if (use) details.usedBy = `${use.node.opType} ${use.node.label}`;
    const floating = isFloatingDType(got.dtype) || isComplexDType(got.dtype);
    const t: RawTensor = { name, dtype: got.dtype, shape: got.shape, location: got.location, kind: floating && found.sparse?.part !== 'indices' ? 'parameter' : 'buffer', details };
    const fans = fansOf(use, got.shape);
    if (fans) t.fans = fans;
    tensors.push(t);
  }
  const sparse = new Set(model.tensors.filter((t) => t.sparse).map((t) => t.sparse!.of));
  for (const s of sparse) notes.push(l10n.t('the sparse tensor {0} is listed as its values ({0}.values) and their indices ({0}.indices)', s));
  if (model.ioLeftOut > 0) notes.push(l10n.t('{0} more graph inputs and outputs are not listed in the metadata', model.ioLeftOut));
  return { format: 'onnx', tensors, metadata, metadataTypes: types, container: containerOf(model, tensors.length, external), warnings: [...warnings, ...problemWarnings(problems)], notes };
}

/** `.onnx`: an ONNX ModelProto, walked lazily (see protoWire.ts); tensor bytes are only located. */
export const onnxReader: FormatReader = {
  id: 'onnx',
  label: 'ONNX',
  extensions: ['.onnx'],
  match: (src) => sniff(src).catch(() => false),
  open: openOnnx,
};
