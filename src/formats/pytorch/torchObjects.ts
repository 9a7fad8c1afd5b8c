import * as l10n from '@vscode/l10n';
import type { FormatId, PathStep, RawModule, RawTensor, ReaderResult, TensorKind, TensorLocation } from '../../core/modelIndex';
import { pyStringLiteral } from '../../core/accessPath';
import { kindFromName } from '../../core/tensorKinds';
import { elementBytes } from '../../core/dtypes';
import { MAX_NESTING_DEPTH, NestingTooDeepError, PyDict, PyFloat, PyObject, PySet, PyTuple, RefusedCall, qualifiedName } from '../pickle/values';
import { StorageRef, TensorRef, UnsupportedTensor } from './torchValues';

/** Where a storage's bytes are, resolved by the container reader (zip record or legacy offset). */
export interface StorageBytes {
  file: string;
  offset: number;
  bytes: number;
  byteOrder: 'little' | 'big';
  /** The record's CRC-32, when the container keeps one (zip). */
  crc32?: number;
}

/** Checkpoint keys under which tensors are training state, not model parameters. */
const TRAINING_STATE_KEY = /^(optim|optimizer|optimizers|optimizer_state|optimizer_state_dict|optimizer_states|opt|scaler|grad_scaler|lr_scheduler|lr_schedulers|scheduler|schedulers)$/i;
/** Metadata values are summaries, not dumps: a config list of a million ints is cut here. */
const MAX_METADATA_ITEMS = 200;
const MAX_METADATA_DEPTH = 8;
/** Values summarised per metadata entry: shared references make a DAG that can fan out forever. */
const MAX_METADATA_NODES = 2_000;
/**
 * Objects visited while naming tensors. Memo references let a small pickle describe a graph with
 * exponentially many paths ("billion laughs"); real checkpoints stay far below this.
 */
export const MAX_WALK_NODES = 2_000_000;
/**
 * Second visits of one container or module through another path. Real files share a few (tied
 * modules); a "billion laughs" graph needs millions, and is stopped here long before that.
 */
export const MAX_SHARED_REVISITS = 10_000;

/**
 * Elements a file's tensors may total: counts are doubles, exact up to 2^53 − 1. Only broadcast
 * views (stride 0, torch's `expand`) get there, since stored elements are bounded by the file.
 */
const MAX_SAFE_ELEMENTS = BigInt(Number.MAX_SAFE_INTEGER);

/** The object graph is too large to name: almost certainly a pickle bomb. */
export class ObjectGraphTooLargeError extends Error {
  constructor() {
    super(l10n.t('the pickle reaches the same objects through too many shared references (a pickle bomb?)'));
    this.name = 'ObjectGraphTooLargeError';
  }
}

/** Turns the object graph of a PyTorch pickle into tensors, a module tree and metadata. */
export function interpretTorchObject(
  root: unknown,
  format: FormatId,
  storages: ReadonlyMap<StorageRef, StorageBytes>,
  warnings: string[],
): ReaderResult {
  const tensors: RawTensor[] = [];
  const metadata: Record<string, unknown> = {};
  let moduleTree: RawModule | undefined;
  /** Tensor names given so far: a name met again (keys `1` and `'1'`, `'a.b'` beside `a` → `b`) gets `#2`, `#3`… */
  const usedNames = new Set<string>();
  const holds = new HoldsCache();
  /** Elements of the tensors kept so far, exact: every count (and sum of counts) later stays a safe integer. */
  let totalElements = 0n;
  const metadataSummaries = new Map<object, unknown>();
  /** Whether the walk through containers met a module: only then is its tree of containers kept. */
  let metModule = false;
  const moduleIds = new Map<PyObject, number>();
  let visits = 0;
  let revisits = 0;
  const visited = new Set<unknown>();
  const visit = (container?: unknown): void => {
    if (++visits > MAX_WALK_NODES) throw new ObjectGraphTooLargeError();
    if (container === undefined) return;
    if (visited.has(container)) {
      if (++revisits > MAX_SHARED_REVISITS) throw new ObjectGraphTooLargeError();
    } else visited.add(container);
  };

  /** Adds a tensor under a name no other tensor has; returns that name, or undefined if skipped. */
  const addTensor = (t: TensorRef, wanted: string, kind: TensorKind, containerPath: PathStep[] | undefined): string | undefined => {
    let name = wanted;
    for (let n = 2; usedNames.has(name); n++) name = `${wanted}#${n}`;
    const loc = locate(t, name);
    if (!loc) return undefined;
    usedNames.add(name);
    tensors.push({ name, dtype: t.storage.dtype, shape: t.shape, location: loc, kind, containerPath });
    return name;
  };
  /** Metadata summaries, one per shared object: a list referenced 10,000 times is summarised once. */
  const summary = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return toJson(v);
    let out = metadataSummaries.get(v);
    if (out === undefined) metadataSummaries.set(v, (out = toJson(v)));
    return out;
  };

  const locate = (t: TensorRef, name: string): TensorLocation | undefined => {
    const s = storages.get(t.storage);
    if (!s) {
      warnings.push(l10n.t('{0}: its storage {1} is missing from the file; skipped', name, t.storage.key));
      return undefined;
    }
    const itemsize = elementBytes(t.storage.dtype);
    const numel = Math.floor(s.bytes / itemsize);
    if (t.shape.length !== t.strides.length || t.shape.some((d) => d < 0) || t.strides.some((d) => d < 0) || t.storageOffset < 0) {
      warnings.push(l10n.t('{0}: inconsistent shape {1} / strides {2}; skipped', name, JSON.stringify(t.shape), JSON.stringify(t.strides)));
      return undefined;
    }
    const numelExact = t.shape.reduce((a, d) => a * BigInt(d), 1n);
    if (numelExact > MAX_SAFE_ELEMENTS || totalElements + numelExact > MAX_SAFE_ELEMENTS) {
      warnings.push(l10n.t('{0}: {1} elements (a broadcast view) would take the file past 2^53 - 1 elements, the most ParamScope counts exactly; skipped', name, numelExact.toString()));
      return undefined;
    }
    const empty = t.shape.some((d) => d === 0);
    const last = empty ? -1 : t.storageOffset + t.shape.reduce((acc, d, i) => acc + (d - 1) * t.strides[i]!, 0);
    if (last >= numel) {
      warnings.push(l10n.t('{0}: view reaches element {1} of a storage with {2} elements; skipped', name, last, numel));
      return undefined;
    }
    totalElements += numelExact;
    return {
      file: s.file,
      storageOffset: s.offset,
      storageBytes: s.bytes,
      storageKey: t.storage.key,
      elementOffset: t.storageOffset,
      strides: t.strides,
      byteOrder: s.byteOrder,
      ...(s.crc32 === undefined ? {} : { crc32: s.crc32 }),
    };
  };

  const moduleId = (o: PyObject): number => {
    let id = moduleIds.get(o);
    if (id === undefined) moduleIds.set(o, (id = moduleIds.size));
    return id;
  };

  // A module's tensors get no container path, wherever it sits: the tree reaches them by the
  // classes' rules (`ck['model'][0].weight`: Sequential children by position).
  const walkModule = (o: PyObject, prefix: string, ancestors: Set<PyObject>, depth: number): RawModule => {
    if (depth > MAX_NESTING_DEPTH) throw new NestingTooDeepError();
    visit(o);
    const d = o.dict!;
    const node: RawModule = { id: moduleId(o), type: o.cls.name, typeModule: o.cls.module, children: [], parameters: [], buffers: [] };
    const own = (table: unknown, kind: 'parameter' | 'buffer', into: Array<[string, string]>, skip?: Set<unknown>): void => {
      if (!(table instanceof PyDict)) return;
      for (const [k, v] of table.items()) {
        const local = String(k);
        if (v === null || skip?.has(local)) continue;
        const name = prefix + local;
        if (v instanceof TensorRef) {
          const added = addTensor(v, name, kind, undefined);
          if (added !== undefined) into.push([local, added]);
        } else if (v instanceof UnsupportedTensor) {
          warnings.push(notShown(name, v));
        }
      }
    };
    own(d.get('_parameters'), 'parameter', node.parameters);
    const nonPersistent = d.get('_non_persistent_buffers_set');
    own(d.get('_buffers'), 'buffer', node.buffers, nonPersistent instanceof PySet ? new Set(nonPersistent.items) : undefined);
    const modules = d.get('_modules');
    if (modules instanceof PyDict) {
      for (const [k, child] of modules.items()) {
        const local = String(k);
        if (!isModule(child)) continue;
        if (ancestors.has(child)) {
          warnings.push(l10n.t('{0}: module contains itself; the cycle is cut here', `${prefix}${local}`));
          continue;
        }
        ancestors.add(child);
        node.children.push([local, walkModule(child, `${prefix}${local}.`, ancestors, depth + 1)]);
        ancestors.delete(child);
      }
    }
    return node;
  };

  /**
   * Names every tensor below a container value and returns its node: the module's tree for a
   * module, a container level (no id, no type) for a dict, list, tuple or plain object holding
   * tensors or modules, undefined for a tensor (added to `tensors`) or a value that holds neither
   * (kept as metadata).
   */
  const walk = (v: unknown, name: string[], steps: PathStep[], ancestors: Set<unknown>): RawModule | undefined => {
    if (steps.length > MAX_NESTING_DEPTH) throw new NestingTooDeepError();
    visit(typeof v === 'object' && v !== null ? v : undefined);
    const dotted = name.join('.');
    if (v instanceof TensorRef) {
      const training = steps.some((st) => st.kind === 'key' && typeof st.key === 'string' && TRAINING_STATE_KEY.test(st.key));
      addTensor(v, dotted, training ? 'optimizer' : v.isParameter ? 'parameter' : guessKind(dotted), steps);
      return undefined;
    }
    if (v instanceof UnsupportedTensor) {
      warnings.push(notShown(dotted, v));
      return undefined;
    }
    if (!holds.get(v)) {
      if (name.length > 0) metadata[dotted] = summary(v);
      return undefined;
    }
    if (ancestors.has(v)) return undefined;
    if (isModule(v)) {
      metModule = true;
      return walkModule(v, dotted ? `${dotted}.` : '', new Set([v]), steps.length);
    }
    ancestors.add(v);
    const node: RawModule = { id: null, type: null, typeModule: null, children: [], parameters: [], buffers: [] };
    const item = (val: unknown, key: string, step: PathStep): void => {
      const before = tensors.length;
      const child = walk(val, [...name, key], [...steps, step], ancestors);
      if (child) node.children.push([key, { ...child, step }]);
      // A tensor the walk skipped (storage missing, bad view) has a warning and no place here.
      else if (val instanceof TensorRef && tensors.length > before) node.parameters.push([key, tensors[tensors.length - 1]!.name]);
    };
    if (v instanceof PyDict) {
      for (const [k, val] of v.items()) item(val, keyName(k), keyStep(k));
    } else if (Array.isArray(v) || v instanceof PyTuple) {
      const items = Array.isArray(v) ? v : v.items;
      for (let i = 0; i < items.length; i++) item(items[i], String(i), { kind: 'key', key: i });
    } else if (v instanceof PyObject) {
      const d = v.dict;
      if (d) for (const [k, val] of d.items()) item(val, keyName(k), { kind: 'attr', name: keyName(k) });
      for (const [k, val] of v.dictItems.items()) item(val, keyName(k), keyStep(k));
      for (let i = 0; i < v.listItems.length; i++) item(v.listItems[i], String(i), { kind: 'key', key: i });
    }
    ancestors.delete(v);
    return node;
  };

  if (isModule(root)) {
    moduleTree = walkModule(root, '', new Set([root]), 0);
  } else if (root instanceof PyDict && isFlatStateDict(root)) {
    // Only `Module.state_dict()` output (an OrderedDict carrying `_metadata`) is named as module
    // paths (`net[0].weight`); any other dict of tensors is reached by subscript (`d['w']`).
    const fromStateDict = root.attrs instanceof PyDict && root.attrs.has('_metadata');
    for (const [k, v] of root.items()) {
      const name = keyName(k);
      const steps: PathStep[] | undefined = fromStateDict ? undefined : [keyStep(k)];
      if (v instanceof TensorRef) addTensor(v, name, v.isParameter ? 'parameter' : guessKind(name), steps);
      else if (v instanceof UnsupportedTensor) warnings.push(notShown(name, v));
    }
  } else if (root instanceof TensorRef) {
    addTensor(root, 'tensor', 'tensor', []);
  } else {
    // Containers without modules keep the tree the model layer derives from the dotted names.
    const tree = walk(root, [], [], new Set());
    if (metModule) moduleTree = tree;
  }
  if (tensors.length === 0 && warnings.length === 0) warnings.push(l10n.t('no tensors found in this file'));
  return { format, tensors, moduleTree, metadata, warnings };
}

export function isModule(v: unknown): v is PyObject {
  const d = v instanceof PyObject ? v.dict : undefined;
  return !!d && d.get('_modules') instanceof PyDict && d.get('_parameters') instanceof PyDict;
}

/** A dict whose every value is a tensor: a state_dict, named by its keys alone. */
function isFlatStateDict(d: PyDict): boolean {
  if (d.size === 0) return false;
  for (const [k, v] of d.items()) {
    if (typeof k !== 'string' || !(v instanceof TensorRef || v instanceof UnsupportedTensor)) return false;
  }
  return true;
}

const guessKind = kindFromName;

/** The warning for a tensor kind we recognise but cannot show (its reason is already translated). */
function notShown(name: string, t: UnsupportedTensor): string {
  return l10n.t('{0}: {1}, not shown', name, t.reason);
}

/**
 * The name part of a dict key: a str as it is (ordinary state_dict names), an int by its digits,
 * other keys as Python prints them (`True`, `None`, `1.5`, `(1, 2)`). Keys that print alike (`1`
 * and `'1'`) are told apart by `addTensor`'s `#2`; their access paths show the real key.
 */
function keyName(k: unknown): string {
  if (k instanceof PyTuple) return k.items.length === 1 ? `(${keyName(k.items[0])},)` : `(${k.items.map(keyName).join(', ')})`;
  if (k instanceof PyFloat) return pyFloatRepr(k.value);
  if (k === true) return 'True';
  if (k === false) return 'False';
  if (k === null || k === undefined) return 'None';
  return String(k);
}

/** Python's repr of a float, for the cases keys use (`1.0`, `0.5`, `inf`, `nan`, `1e+20`). */
function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  return String(x).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** A key as a Python literal (`True`, `('a', 1)`), for subscripts. */
function pyLiteral(k: unknown): string {
  if (typeof k === 'string') return pyStringLiteral(k);
  if (k instanceof PyTuple) return k.items.length === 1 ? `(${pyLiteral(k.items[0])},)` : `(${k.items.map(pyLiteral).join(', ')})`;
  return keyName(k);
}

/** The subscript step that reaches a dict key: str and small int keys by value, others by their Python literal. */
function keyStep(k: unknown): PathStep {
  if (typeof k === 'string') return { kind: 'key', key: k };
  if (typeof k === 'number' && Number.isSafeInteger(k)) return { kind: 'key', key: k };
  return { kind: 'key', key: keyName(k), literal: pyLiteral(k) };
}

/**
 * Whether a value is or holds a tensor or a module (a parameterless `nn.ReLU()` is still part of
 * the model), answered once per object: a million-item list met through 10,000 references is
 * scanned once, not 10,000 times. A "no" found while a cycle was cut (an ancestor still being
 * scanned) may be wrong from another starting point, so only those are not kept.
 */
class HoldsCache {
  private readonly known = new Map<object, boolean>();
  private readonly inProgress = new Set<object>();

  get(v: unknown): boolean {
    return this.scan(v, 0).holds;
  }

  private scan(v: unknown, depth: number): { holds: boolean; cut: boolean } {
    if (v instanceof TensorRef || v instanceof UnsupportedTensor || isModule(v)) return { holds: true, cut: false };
    if (v === null || typeof v !== 'object') return { holds: false, cut: false };
    const cached = this.known.get(v);
    if (cached !== undefined) return { holds: cached, cut: false };
    if (this.inProgress.has(v)) return { holds: false, cut: true };
    if (depth > MAX_NESTING_DEPTH) throw new NestingTooDeepError();
    this.inProgress.add(v);
    let cut = false;
    let holds = false;
    const each = (items: Iterable<unknown>): boolean => {
      for (const x of items) {
        const r = this.scan(x, depth + 1);
        cut ||= r.cut;
        if (r.holds) return true;
      }
      return false;
    };
    if (v instanceof PyDict) holds = each(dictValues(v));
    else if (Array.isArray(v)) holds = each(v);
    else if (v instanceof PyTuple) holds = each(v.items);
    else if (v instanceof PyObject) holds = each([v.dict ?? null, v.dictItems]) || each(v.listItems);
    this.inProgress.delete(v);
    if (holds || !cut) this.known.set(v, holds);
    return { holds, cut: !holds && cut };
  }
}

function* dictValues(d: PyDict): IterableIterator<unknown> {
  for (const [, v] of d.items()) yield v;
}

/** A JSON-friendly summary of a pickled value, for metadata (bounded in size, cycles cut). */
export function toJson(root: unknown): unknown {
  let budget = MAX_METADATA_NODES;
  const ancestors = new Set<unknown>();
  const rec = (v: unknown, depth: number): unknown => {
    if (--budget < 0) return '…';
    if (typeof v === 'object' && v !== null && ancestors.has(v)) return '<cycle>';
    if (typeof v === 'object' && v !== null) ancestors.add(v);
    try {
      return summarise(v, depth, rec);
    } finally {
      ancestors.delete(v);
    }
  };
  return rec(root, 0);
}

function summarise(v: unknown, depth: number, toJson: (v: unknown, depth: number) => unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof PyFloat) return Number.isFinite(v.value) ? v.value : String(v.value);
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (v instanceof RefusedCall) return `<refused ${qualifiedName(v.callee)}>`;
  if (depth >= MAX_METADATA_DEPTH) return '…';
  const list = (items: unknown[]): unknown[] => {
    const out = items.slice(0, MAX_METADATA_ITEMS).map((x) => toJson(x, depth + 1));
    if (items.length > MAX_METADATA_ITEMS) out.push(`… ${items.length - MAX_METADATA_ITEMS} more`);
    return out;
  };
  if (Array.isArray(v)) return list(v);
  if (v instanceof PyTuple) return list(v.items);
  if (v instanceof PySet) return list(v.items);
  if (v instanceof PyDict) {
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const [k, val] of v.items()) {
      if (n++ >= MAX_METADATA_ITEMS) break;
      out[keyName(k)] = toJson(val, depth + 1);
    }
    return out;
  }
  if (v instanceof PyObject && qualifiedName(v.cls) === 'numpy.ndarray') {
    // BUILD state: (version, shape, dtype, is_fortran, raw bytes)
    const st = v.state instanceof PyTuple ? v.state.items : [];
    const shape = st[1] instanceof PyTuple ? st[1].items.map(String).join(', ') : '?';
    const dt = st[2] instanceof PyObject ? String(st[2].args[0] ?? '?') : '?';
    return `<numpy array ${dt} (${shape})>`;
  }
  if (v instanceof PyObject) {
    const d = v.dict;
    return d ? { __class__: qualifiedName(v.cls), ...(toJson(d, depth + 1) as object) } : `<${qualifiedName(v.cls)}>`;
  }
  if (typeof v === 'object' && v !== null && 'name' in v) return `<${String((v as { name: unknown }).name)}>`;
  return String(v);
}
