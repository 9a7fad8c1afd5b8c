import { isBlockDType, isFloatingDType, storageBytes, type DType, type ElementDType } from '../../core/dtypes';
import type { ConvertOptions, ConvertSkipped } from '../../core/convert';
import type { ModelIndex, ModuleNode, PathStep, TensorEntry } from '../../core/modelIndex';
import { SAFETENSORS_DTYPES } from '../../formats/safetensors/safetensorsDtypes';
import { MAX_HEADER_LENGTH } from '../../formats/safetensors/safetensorsReader';
import { storageRegionKey } from '../buildIndex';
import { expressionsAt } from '../pythonExpression';
import { resolveSteps } from '../resolveExpression';

/**
 * What `paramscope convert` writes, decided from the index alone (pure: nothing is read here).
 * The tensors `load_state_dict` would take, named as it expects them:
 * - a state_dict: its keys; a pickled module (`torch.save(net)`): its `state_dict()` keys,
 *   parameters and buffers (the index holds exactly those);
 * - a checkpoint dict: the entry holding the model (`model`, `state_dict`, …) with that prefix
 *   dropped; `--key` picks one when several hold tensors; optimizer, scheduler and scaler state
 *   (tensors of kind `optimizer`) are never written;
 * - `--module`: the sub-module's state_dict, keys relative to it;
 * - other formats: their tensor names.
 * Names that view one storage region (tied weights) are written once, under the first name in
 * sorted order as safetensors' `save_model` keeps it, the others recorded as `removed → kept`.
 */

export class ConvertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvertError';
  }
}

/** torch dtype → safetensors code (the inverse of the reader's table). */
const SAFETENSORS_CODE: ReadonlyMap<DType, string> = new Map(Object.entries(SAFETENSORS_DTYPES).map(([code, d]) => [d, code]));

/** `__metadata__` keys of our own: an alias (a removed tensor name) may not take them. */
export const METADATA_FORMAT = 'format';
export const METADATA_SOURCE = 'source_file';
export const METADATA_TOOL = 'converted_by';

/** One tensor to write. */
export interface PlannedTensor {
  /** Its name in the output. */
  name: string;
  tensor: TensorEntry;
  /** Output dtype: the source's, `--dtype` for floating tensors, float32 (or `--dtype`) for block types. */
  dtype: ElementDType;
  /** The safetensors code of `dtype` (`F32`). */
  code: string;
  shape: number[];
  /** Bytes in the output: `storageBytes(dtype, count)`. */
  bytes: number;
}

export interface ConvertPlan {
  tensors: PlannedTensor[];
  /** `[removed name, kept name]`: names of a tensor written once, as save_model records them. */
  aliases: Array<[string, string]>;
  skipped: ConvertSkipped[];
  /** What the tensors came from: `state_dict`, `module`, a checkpoint key, `module rgnet[0][1]`, a format. */
  source: string;
}

/** A checkpoint entry: the first step from the file's root and the tensor-name prefix it stands for. */
interface Entry {
  key: string;
  /** Tensor names of this entry start with `prefix.` ('' for the top level). */
  prefix: string;
  tensors: TensorEntry[];
}

const stepName = (s: PathStep): string => (s.kind === 'attr' ? s.name : String(s.key));

/** The root's children that a checkpoint's container levels reach by subscript (`['model']`). */
function containerChildren(index: ModelIndex): ModuleNode[] {
  const root = index.modules;
  return root.type === null ? root.children.filter((c) => c.step !== undefined) : [];
}

/**
 * The file's model entries. A checkpoint dict (tensors reached through container steps, or pickled
 * modules under them) has one per top-level key holding model tensors; a state_dict, a pickled
 * module, a plain dict of tensors and every other format have one, the top level ('').
 */
function modelEntries(index: ModelIndex): Entry[] {
  const model = index.tensors.filter((t) => t.kind !== 'optimizer');
  const byKey = new Map<string, Entry>();
  const top: TensorEntry[] = [];
  // Pickled modules inside a checkpoint: their tensors have no container path, only a name under the child's.
  const children = containerChildren(index).map((c) => c.qualifiedName).sort((a, b) => b.length - a.length);
  const add = (key: string, t: TensorEntry): void => {
    let e = byKey.get(key);
    if (!e) byKey.set(key, (e = { key, prefix: key, tensors: [] }));
    e.tensors.push(t);
  };
  for (const t of model) {
    const cp = t.containerPath;
    // A checkpoint's dict entry; other formats' paths (Keras's `layers[0].kernel`) do not prefix the names.
    if (cp && cp.length >= 2 && cp[0]!.kind === 'key' && t.name.startsWith(`${stepName(cp[0]!)}.`)) add(stepName(cp[0]!), t);
    else if (!cp && children.length > 0) {
      const owner = children.find((q) => t.name.startsWith(`${q}.`));
      if (owner !== undefined) add(owner, t);
      else top.push(t);
    } else top.push(t);
  }
  // Loose tensors beside a checkpoint's entries (`{'model': sd, 'step': tensor(5)}`) are not a model.
  if (byKey.size === 0) return top.length > 0 ? [{ key: '', prefix: '', tensors: top }] : [];
  // Nor are entries of scalars only beside one that holds weights (Lightning's `callbacks` with a
  // ModelCheckpoint's `best_model_score`, a `metrics` dict of losses).
  const all = [...byKey.values()];
  const weights = all.filter((e) => e.tensors.some((t) => t.count > 1));
  return weights.length > 0 ? weights : all;
}

/** Every top-level key of a checkpoint (for the message when `--key` names none of them). */
function checkpointKeys(index: ModelIndex): string[] {
  const keys = new Set<string>();
  for (const c of containerChildren(index)) if (c.step) keys.add(stepName(c.step));
  for (const t of index.tensors) if (t.containerPath && t.containerPath.length >= 2 && t.containerPath[0]!.kind === 'key') keys.add(stepName(t.containerPath[0]!));
  return [...keys];
}

/** Whether `name` is under the module `prefix`: `0.1.weight` under `0.1`, and Keras's `block/inner_dense/kernel` under `block`. */
const under = (name: string, prefix: string): boolean => prefix === '' || name.startsWith(`${prefix}.`) || name.startsWith(`${prefix}/`);
const relative = (name: string, prefix: string): string => (prefix === '' ? name : name.slice(prefix.length + 1));

/** The module whose access path (as the tree shows it) is `path`. */
function findModuleByPath(m: ModuleNode, path: string): ModuleNode | undefined {
  if (m.path === path) return m;
  for (const c of m.children) {
    const found = findModuleByPath(c, path);
    if (found) return found;
  }
  return undefined;
}

/** The tensor names a module and its descendants hold. */
function subtreeTensorNames(m: ModuleNode): Set<string> {
  const out = new Set<string>();
  const walk = (n: ModuleNode): void => {
    for (const p of n.parameters) out.add(p);
    for (const c of n.children) walk(c);
  };
  walk(m);
  return out;
}

/** The longest prefix of every name that ends where a name continues with `.` or `/` (`block/inner_dense`), or ''. */
function sharedPrefix(names: ReadonlySet<string>): string {
  let common: string | undefined;
  for (const n of names) {
    if (common === undefined) common = n;
    else {
      let i = 0;
      while (i < common.length && i < n.length && common[i] === n[i]) i++;
      common = common.slice(0, i);
    }
  }
  if (common === undefined) return '';
  // Cut back to a separator that every name has right after the prefix.
  for (let end = common.length; end > 0; end--) {
    const p = common.slice(0, end);
    if ([...names].every((n) => n.length > end && (n[end] === '.' || n[end] === '/') && n.startsWith(p))) return p;
  }
  return '';
}

/** The tensor-name prefix a `--module` text stands for: an access path resolved on the tree, or a state_dict prefix. */
function modulePrefix(index: ModelIndex, text: string, entries: readonly Entry[], chosen: Entry | undefined): string {
  const all = index.tensors.filter((t) => t.kind !== 'optimizer');
  const holds = (prefix: string): boolean => all.some((t) => t.name !== prefix && under(t.name, prefix));
  // The root itself (`--module rgnet` for rgnet.pt): the whole model, as without --module.
  if (text === index.rootName && !holds(text)) return '';
  if (/[[\]().]/.test(text) || /^[A-Za-z_]\w*$/.test(text)) {
    const chain = expressionsAt(text, Math.max(0, text.length - 1)).find((e) => e.kind === 'chain');
    if (chain && chain.kind === 'chain' && chain.end === text.length && chain.start === 0) {
      // The tree's own access paths resolve even where Python's attribute rules do not reach (Keras's
      // config tree: `functional_nested.block[0]`).
      const shown = findModuleByPath(index.modules, text);
      const target = resolveSteps(index, chain.steps) ?? (shown ? { kind: 'module' as const, module: shown } : undefined);
      if (target?.kind === 'tensor') throw new ConvertError(`'${text}' is a tensor, not a module`);
      if (target?.kind === 'module' && target.module.qualifiedName !== '' && holds(target.module.qualifiedName)) return target.module.qualifiedName;
      // A tree from the file's config (Keras: `block/inner_dense/kernel` under `functional_nested.block[0]`,
      // whose dotted name the tensor names do not use): the prefix the subtree's own tensors share,
      // when no tensor outside the subtree shares it.
      if (target?.kind === 'module') {
        const own = subtreeTensorNames(target.module);
        const prefix = sharedPrefix(own);
        if (prefix !== '' && all.every((t) => !under(t.name, prefix) || own.has(t.name))) return prefix;
      }
    }
  }
  // A state_dict prefix: relative to the chosen (or only) entry first, then to the file's names.
  const base = chosen ?? (entries.length === 1 ? entries[0] : undefined);
  if (base && base.prefix !== '' && holds(`${base.prefix}.${text}`)) return `${base.prefix}.${text}`;
  if (holds(text)) return text;
  throw new ConvertError(`'${text}' is not a module of this model`);
}

/** The dtype a tensor is written as, or why it cannot be. */
function outputDType(d: DType, cast: ConvertOptions['dtype']): ElementDType | string {
  if (isBlockDType(d)) return cast ?? 'float32'; // dequantized, as every kernel reads them
  if (cast && isFloatingDType(d)) return cast;
  if (!SAFETENSORS_CODE.has(d)) return `safetensors has no ${d} dtype`;
  return d;
}

/** Decides what is written and under which names; throws ConvertError for a choice that cannot be made. */
export function planConversion(index: ModelIndex, options: ConvertOptions = {}): ConvertPlan {
  const entries = modelEntries(index);
  if (entries.length === 0) throw new ConvertError('no tensors to write: the file holds no model tensors');
  let chosen: Entry | undefined;
  if (options.key !== undefined) {
    chosen = entries.find((e) => e.key === options.key);
    if (!chosen) {
      const keys = checkpointKeys(index);
      if (keys.includes(options.key)) throw new ConvertError(`--key '${options.key}' holds no model tensors (optimizer, scheduler and scaler state are never written); model entries: ${entries.map((e) => e.key).join(', ')}`);
      throw new ConvertError(keys.length > 0 ? `--key '${options.key}' not found; the checkpoint holds: ${keys.join(', ')}` : `--key '${options.key}': this file is not a checkpoint dict`);
    }
  }
  let prefix: string;
  let source: string;
  if (options.module !== undefined && options.module !== '') {
    prefix = modulePrefix(index, options.module, entries, chosen);
    if (chosen && !under(prefix, chosen.prefix)) throw new ConvertError(`'${options.module}' is not inside --key '${chosen.key}'`);
    source = `module ${options.module}`;
  } else {
    if (!chosen) {
      if (entries.length > 1) throw new ConvertError(`the checkpoint holds several models: ${entries.map((e) => e.key).join(', ')}; choose one with --key`);
      chosen = entries[0]!;
    }
    prefix = chosen.prefix;
    source = chosen.key !== '' ? chosen.key : index.moduleTreeSource === 'pickle' ? 'module' : index.format.startsWith('pytorch') ? 'state_dict' : index.format;
  }
  const pool = chosen ? chosen.tensors : entries.flatMap((e) => e.tensors);
  const selected = pool.filter((t) => under(t.name, prefix) && t.name !== prefix);
  if (selected.length === 0) throw new ConvertError('no tensors to write');

  const skipped: ConvertSkipped[] = [];
  const byRegion = new Map<string, Array<{ name: string; tensor: TensorEntry }>>();
  for (const t of selected) {
    const name = relative(t.name, prefix);
    const region = storageRegionKey(t);
    const g = byRegion.get(region);
    if (g) g.push({ name, tensor: t });
    else byRegion.set(region, [{ name, tensor: t }]);
  }
  const tensors: PlannedTensor[] = [];
  const aliases: Array<[string, string]> = [];
  const names = new Set<string>();
  const position = new Map(selected.map((t, i) => [t, i]));
  for (const group of byRegion.values()) {
    const kept = [...group].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0]!;
    const t = kept.tensor;
    const dtype = outputDType(t.dtype, options.dtype);
    if (!(dtype in SAFETENSORS_DTYPES_BY_NAME)) {
      for (const m of group) skipped.push({ name: m.name, reason: dtype });
      continue;
    }
    const out = dtype as ElementDType;
    const bytes = storageBytes(out, t.count);
    if (!Number.isSafeInteger(bytes)) throw new ConvertError(`${kept.name}: ${t.count} elements are too many to write`);
    tensors.push({ name: kept.name, tensor: t, dtype: out, code: SAFETENSORS_CODE.get(out)!, shape: [...t.shape], bytes });
    for (const m of group) if (m !== kept) aliases.push([m.name, kept.name]);
    for (const m of group) {
      if (names.has(m.name)) throw new ConvertError(`two tensors would both be named '${m.name}'`);
      names.add(m.name);
    }
  }
  if (tensors.length === 0) throw new ConvertError(`no tensors to write: ${skipped[0]?.reason ?? 'none can be written'}`);
  // In state_dict order of the names kept (torch's order, without the removed names).
  tensors.sort((a, b) => position.get(a.tensor)! - position.get(b.tensor)!);
  for (const t of tensors) if (t.name === '__metadata__') throw new ConvertError("a tensor named '__metadata__' cannot be written to safetensors");
  for (const [removed] of aliases) {
    if (removed === METADATA_FORMAT || removed === METADATA_SOURCE || removed === METADATA_TOOL) throw new ConvertError(`the tied name '${removed}' is one of the metadata keys ParamScope writes`);
  }
  return { tensors, aliases, skipped, source };
}

/** Output dtypes that have a safetensors code (a Set keyed by name, for `in`). */
const SAFETENSORS_DTYPES_BY_NAME: Readonly<Record<string, true>> = Object.fromEntries([...SAFETENSORS_CODE.keys()].map((d) => [d, true]));

/** Bytes before the JSON header: its length, u64 little-endian. */
const LENGTH_PREFIX_BYTES = 8;
/** The JSON header is padded with spaces to a multiple of this (the format's own rule). */
const HEADER_ALIGNMENT = 8;

/**
 * The file's first bytes: the header length (u64 LE), then the JSON header — `__metadata__` first,
 * then each tensor's dtype, shape and `data_offsets` contiguous in this order — padded with spaces
 * to a multiple of 8. Throws ConvertError if the header would exceed what readers accept.
 */
export function safetensorsHeader(tensors: readonly PlannedTensor[], metadata: Readonly<Record<string, string>>): { bytes: Uint8Array; dataBytes: number } {
  const parts: string[] = [`${JSON.stringify('__metadata__')}:${JSON.stringify(metadata)}`];
  let offset = 0;
  for (const t of tensors) {
    const end = offset + t.bytes;
    if (!Number.isSafeInteger(end)) throw new ConvertError('the tensors add up to more bytes than a file can address');
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: t.code, shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  if (padded > MAX_HEADER_LENGTH) throw new ConvertError(`the header would take ${padded} bytes, more than the ${MAX_HEADER_LENGTH} readers accept`);
  const bytes = new Uint8Array(LENGTH_PREFIX_BYTES + padded).fill(0x20, LENGTH_PREFIX_BYTES);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, LENGTH_PREFIX_BYTES);
  return { bytes, dataBytes: offset };
}

/**
 * Shards as huggingface_hub's `split_state_dict_into_shards` fills them: tensors in order, a new
 * shard when the next tensor would take the current one past `maxBytes`, a tensor bigger than
 * `maxBytes` alone in its own shard. Sizes count tensor bytes only (headers excluded).
 */
export function splitShards(tensors: readonly PlannedTensor[], maxBytes: number): PlannedTensor[][] {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new ConvertError(`--max-shard-size must be a positive number of bytes, got ${maxBytes}`);
  const shards: PlannedTensor[][] = [];
  let current: PlannedTensor[] = [];
  let size = 0;
  for (const t of tensors) {
    if (t.bytes > maxBytes) {
      shards.push([t]);
      continue;
    }
    if (current.length > 0 && size + t.bytes > maxBytes) {
      shards.push(current);
      current = [];
      size = 0;
    }
    current.push(t);
    size += t.bytes;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

/** Units of `--max-shard-size`, as huggingface_hub's `parse_size_to_int`: decimal KB/MB/GB/TB, binary KiB/MiB/GiB/TiB. */
const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };

/** `5GB` → 5,000,000,000; `2GiB` → 2^31; `500MB`; plain bytes (`1048576`). */
export function parseShardSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[(m[2] || 'B').toUpperCase()] : undefined;
  const n = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new ConvertError(`--max-shard-size expects a size such as 500MB, 5GB, 2GiB or a number of bytes, got '${text}'`);
  return n;
}

/** The Hub's shard file names for `out` (`model.safetensors` → `model-00001-of-00003.safetensors`) and its index name. */
export function shardFileNames(outBase: string, count: number): { shards: string[]; index: string } {
  const stem = outBase.endsWith('.safetensors') ? outBase.slice(0, -'.safetensors'.length) : outBase;
  const pad = (n: number): string => String(n).padStart(5, '0');
  return { shards: Array.from({ length: count }, (_, i) => `${stem}-${pad(i + 1)}-of-${pad(count)}.safetensors`), index: `${stem}.safetensors.index.json` };
}
