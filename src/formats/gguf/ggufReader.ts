import * as l10n from '@vscode/l10n';
import { throwIfAborted } from '../../core/abort';
import { isBlockDType, storageBytes, type DType } from '../../core/dtypes';
import type { RawTensor, ReaderResult } from '../../core/modelIndex';
import type { ByteSource } from '../../runtime/byteSource';
import type { FormatReader, ReaderContext } from '../formatReader';
import { readGgufHeader, GGUF_MAGIC, type GgufHeader, type GgufKeyValue, type GgufValue } from './ggufHeader';
import { findGgmlType } from '../../runtime/ggml/blockTypes';
import { fileTypeName } from './fileTypes';
import { hfNameOf, mapsArchitecture } from './llamaNames';

/** ggml's plain types in torch's spelling; block types keep ggml's name (`Q4_K`). */
const PLAIN_DTYPES: Readonly<Record<string, DType>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64', I8: 'int8', I16: 'int16', I32: 'int32', I64: 'int64' };

/** `model-00001-of-00003.gguf`: llama.cpp's gguf-split naming. */
const SPLIT_NAME = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;

/** What a split file's name says: its prefix, its 1-based number and the number of parts. */
export function splitPart(fileName: string): { prefix: string; part: number; of: number } | null {
  const m = SPLIT_NAME.exec(fileName.slice(fileName.lastIndexOf('/') + 1));
  if (!m) return null;
  const [part, of] = [Number(m[2]), Number(m[3])];
  return part >= 1 && part <= of ? { prefix: m[1]!, part, of } : null;
}

/** The name of part `part` of `of` (5 digits each, as gguf-split writes them). */
export function splitName(prefix: string, part: number, of: number): string {
  return `${prefix}-${String(part).padStart(5, '0')}-of-${String(of).padStart(5, '0')}.gguf`;
}

/** The tensor's storage type as our dtype, or why it has none. */
function dtypeOf(typeId: number): { dtype: DType } | { problem: string } {
  const t = findGgmlType(typeId);
  if (!t) return { problem: l10n.t('ggml type {0} is not one this version of ParamScope knows', typeId) };
  const plain = PLAIN_DTYPES[t.name];
  if (plain) return { dtype: plain };
  if (isBlockDType(t.name as DType)) return { dtype: t.name as DType };
  return { problem: l10n.t('ggml type {0} ({1}) cannot be read yet', typeId, t.name) };
}

interface PartTensors {
  tensors: RawTensor[];
  warnings: string[];
}

/** The tensors of one GGUF file whose bytes are inside it; the others become warnings. */
function tensorsOf(src: ByteSource, h: GgufHeader): PartTensors {
  const tensors: RawTensor[] = [];
  const warnings: string[] = [];
  const missing: string[] = [];
  const names = new Set<string>();
  for (const info of h.tensors) {
    const type = dtypeOf(info.typeId);
    const shape = [...info.ne].reverse();
    const count = info.ne.reduce((a, b) => a * b, 1);
    if (names.has(info.name)) {
      warnings.push(l10n.t('tensor {0} appears twice; the first is shown', info.name));
      continue;
    }
    names.add(info.name);
    if (info.problem !== undefined) {
      warnings.push(l10n.t('tensor {0} is left out: {1}', info.name, info.problem));
      continue;
    }
    const ggml = findGgmlType(info.typeId);
    if ('problem' in type || !ggml) {
      warnings.push(l10n.t('tensor {0} ({1}) is left out: {2}', info.name, `[${shape.join(', ')}]`, 'problem' in type ? type.problem : ''));
      continue;
    }
    const dtype = type.dtype;
    if ((info.ne[0] ?? 1) % ggml.blockSize !== 0) {
      warnings.push(l10n.t('tensor {0} is left out: its rows of {1} are not whole {2} blocks of {3}', info.name, info.ne[0] ?? 1, ggml.name, ggml.blockSize));
      continue;
    }
    const bytes = storageBytes(dtype, count);
    const start = h.dataStart + info.offset;
    if (info.offset % h.alignment !== 0) warnings.push(l10n.t('tensor {0} starts at data offset {1}, not a multiple of the alignment {2}', info.name, info.offset, h.alignment));
    if (!Number.isSafeInteger(start) || start + bytes > src.size) {
      missing.push(info.name);
      continue;
    }
    const strides = new Array<number>(shape.length);
    let s = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      strides[i] = s;
      s *= Math.max(shape[i]!, 1);
    }
    tensors.push({
      name: info.name,
      dtype,
      shape,
      kind: 'parameter',
      location: { file: src.name, storageOffset: start, storageBytes: bytes, storageKey: info.name, elementOffset: 0, strides, byteOrder: h.littleEndian ? 'little' : 'big' },
      details: { ggmlType: ggml.name, ggmlTypeId: ggml.id, ne: info.ne, dataOffset: info.offset },
    });
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', …' : '');
    warnings.push(missing.length === 1 ? l10n.t('file is cut short: 1 tensor missing: {0}', shown) : l10n.t('file is cut short: {0} tensors missing: {1}', missing.length, shown));
  }
  return { tensors, warnings };
}

/**
 * Adds each tensor's Hugging Face name (`details.hfName`) where llama.cpp's naming of the model's
 * architecture is known, and `details.hfPermutedHeads` where the converter permuted its rows.
 */
function withHfNames(tensors: RawTensor[], h: GgufHeader): void {
  const arch = valueOf(h, 'general.architecture');
  if (!mapsArchitecture(arch)) return;
  const num = (key: string): number | undefined => {
    const v = valueOf(h, `${arch as string}.${key}`);
    return typeof v === 'number' ? v : undefined;
  };
  const [heads, kvHeads] = [num('attention.head_count'), num('attention.head_count_kv')];
  for (const t of tensors) {
    const hf = hfNameOf(t.name, arch as string, heads, kvHeads);
    if (hf) t.details = { ...t.details, hfName: hf.name, ...(hf.permutation ? { hfPermutedHeads: hf.permutation.heads } : {}) };
  }
}

const valueOf = (h: GgufHeader, key: string): GgufValue | undefined => h.metadata.find((m) => m.key === key)?.value;

/** Metadata as the index keeps it: key → value, and key → GGUF type (`uint32`, `array[string]`). */
function metadataOf(h: GgufHeader): { metadata: Record<string, unknown>; types: Record<string, string> } {
  const metadata: Record<string, unknown> = {};
  const types: Record<string, string> = {};
  const typeName = (kv: GgufKeyValue): string => {
    let v: GgufValue = kv.value;
    let t: string = kv.type;
    while (typeof v === 'object' && v.type === 'array') {
      t = `${t}[${v.itemType}]`.replace(/^array\[/, 'array[');
      v = v.items[0] as GgufValue;
      if (v === undefined) break;
    }
    return t;
  };
  for (const kv of h.metadata) {
    metadata[kv.key] = kv.value;
    types[kv.key] = typeName(kv);
  }
  return { metadata, types };
}

/** `.gguf`: llama.cpp's format (see ggufHeader.ts); split models open whole from their first part. */
export const ggufReader: FormatReader = {
  id: 'gguf',
  label: 'GGUF',
  extensions: ['.gguf'],

  async match(src: ByteSource): Promise<boolean> {
    if (src.size < 8) return false;
    const head = await src.read(0, 4);
    return new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true) === GGUF_MAGIC;
  },

  gathersSiblings(fileName: string): boolean {
    const p = splitPart(fileName);
    return p !== null && p.part === 1 && p.of > 1;
  },

  async open(src: ByteSource, ctx: ReaderContext): Promise<ReaderResult> {
    const header = await readGgufHeader(src, ctx.signal);
    const { metadata, types } = metadataOf(header);
    const own = tensorsOf(src, header);
    const tensors = [...own.tensors];
    const warnings = [...header.warnings, ...own.warnings];
    const notes: string[] = [];
    const facts: Record<string, string | number> = { version: header.version, byteOrder: header.littleEndian ? 'little' : 'big', alignment: header.alignment, dataOffset: header.dataStart };
    // What llama.cpp users look for first: the architecture, the model's name and its quantization recipe.
    const [arch, modelName, fileType] = [valueOf(header, 'general.architecture'), valueOf(header, 'general.name'), valueOf(header, 'general.file_type')];
    if (typeof arch === 'string') facts.architecture = arch;
    if (typeof modelName === 'string') facts.name = modelName;
    if (typeof fileType === 'number') facts.fileType = fileTypeName(fileType);
    const count = valueOf(header, 'split.count');
    const part = splitPart(src.name);
    if (typeof count === 'number' && count > 1) {
      const no = valueOf(header, 'split.no');
      facts.splitCount = count;
      if (no !== 0 || !part || part.part !== 1) {
        notes.push(l10n.t('part {0} of a model split in {1}: open its first part for the whole model', typeof no === 'number' ? no + 1 : '?', count));
      } else {
        const names = new Set(tensors.map((t) => t.name));
        for (let k = 2; k <= count; k++) {
          throwIfAborted(ctx.signal);
          const name = splitName(part.prefix, k, count);
          try {
            const sibling = await ctx.openSibling(name);
            const h = await readGgufHeader(sibling, ctx.signal);
            if (valueOf(h, 'split.no') !== k - 1) warnings.push(l10n.t('{0} says it is not part {1}', name, k));
            const got = tensorsOf(sibling, h);
            for (const t of got.tensors) {
              if (names.has(t.name)) warnings.push(l10n.t('tensor {0} appears twice; the first is shown', t.name));
              else {
                names.add(t.name);
                tensors.push(t);
              }
            }
            warnings.push(...got.warnings.map((w) => `${name}: ${w}`));
          } catch (e) {
            if (!(e instanceof Error) || e.name === 'AbortError') throw e;
            warnings.push(l10n.t('part {0} of {1} ({2}) cannot be read, its tensors are missing: {3}', k, count, name, (e as Error).message));
          }
        }
        const expected = valueOf(header, 'split.tensors.count');
        if (typeof expected === 'number' && expected !== tensors.length) warnings.push(l10n.t('the split model lists {0} tensors; {1} could be read', expected, tensors.length));
      }
    }
    withHfNames(tensors, header);
    return { format: 'gguf', tensors, metadata, metadataTypes: types, container: facts, warnings, notes };
  },
};
