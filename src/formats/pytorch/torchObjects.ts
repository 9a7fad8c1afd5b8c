import * as l10n from '@vscode/l10n';
import type { FormatId, PathStep, RawModule, RawTensor, ReaderResult, TensorKind, TensorLocation } from '../../model/modelIndex';
import { kindFromName } from '../../model/tensorKinds';
import { DTYPE_SIZE } from '../../runtime/dtypes';
import { PyDict, PyFloat, PyObject, PySet, PyTuple, RefusedCall, qualifiedName } from '../pickle/values';
import { StorageRef, TensorRef, UnsupportedTensor } from './torchValues';

/** Where a storage's bytes are, resolved by the container reader (zip record or legacy offset). */
export interface StorageBytes {
  file: string;
  offset: number;
  bytes: number;
  byteOrder: 'little' | 'big';
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

  const addTensor = (t: TensorRef, name: string, kind: TensorKind, containerPath: PathStep[] | undefined): void => {
    const loc = locate(t, name);
    if (loc) tensors.push({ name, dtype: t.storage.dtype, shape: t.shape, location: loc, kind, containerPath });
  };

  const locate = (t: TensorRef, name: string): TensorLocation | undefined => {
    const s = storages.get(t.storage);
    if (!s) {
      warnings.push(l10n.t('{0}: its storage {1} is missing from the file; skipped', name, t.storage.key));
      return undefined;
    }
    const itemsize = DTYPE_SIZE[t.storage.dtype];
    const numel = Math.floor(s.bytes / itemsize);
    if (t.shape.length !== t.strides.length || t.shape.some((d) => d < 0) || t.strides.some((d) => d < 0) || t.storageOffset < 0) {
      warnings.push(l10n.t('{0}: inconsistent shape {1} / strides {2}; skipped', name, JSON.stringify(t.shape), JSON.stringify(t.strides)));
      return undefined;
    }
    const empty = t.shape.some((d) => d === 0);
    const last = empty ? -1 : t.storageOffset + t.shape.reduce((acc, d, i) => acc + (d - 1) * t.strides[i]!, 0);
    if (last >= numel) {
      warnings.push(l10n.t('{0}: view reaches element {1} of a storage with {2} elements; skipped', name, last, numel));
      return undefined;
    }
    return {
      file: s.file,
      storageOffset: s.offset,
      storageBytes: s.bytes,
      storageKey: t.storage.key,
      elementOffset: t.storageOffset,
      strides: t.strides,
      byteOrder: s.byteOrder,
    };
  };

  const moduleId = (o: PyObject): number => {
    let id = moduleIds.get(o);
    if (id === undefined) moduleIds.set(o, (id = moduleIds.size));
    return id;
  };

  // A module's tensors get no container path, wherever it sits: the tree reaches them by the
  // classes' rules (`ck['model'][0].weight`: Sequential children by position).
  const walkModule = (o: PyObject, prefix: string, ancestors: Set<PyObject>): RawModule => {
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
          addTensor(v, name, kind, undefined);
          into.push([local, name]);
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
        node.children.push([local, walkModule(child, `${prefix}${local}.`, ancestors)]);
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
    if (!holdsTensorOrModule(v, new Set())) {
      if (name.length > 0) metadata[dotted] = toJson(v);
      return undefined;
    }
    if (ancestors.has(v)) return undefined;
    if (isModule(v)) {
      metModule = true;
      return walkModule(v, dotted ? `${dotted}.` : '', new Set([v]));
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
      for (const [k, val] of v.items()) item(val, keyName(k), { kind: 'key', key: keyValue(k) });
    } else if (Array.isArray(v) || v instanceof PyTuple) {
      const items = Array.isArray(v) ? v : v.items;
      items.forEach((val, i) => item(val, String(i), { kind: 'key', key: i }));
    } else if (v instanceof PyObject) {
      const d = v.dict;
      if (d) for (const [k, val] of d.items()) item(val, keyName(k), { kind: 'attr', name: keyName(k) });
      for (const [k, val] of v.dictItems.items()) item(val, keyName(k), { kind: 'key', key: keyValue(k) });
      v.listItems.forEach((val, i) => item(val, String(i), { kind: 'key', key: i }));
    }
    ancestors.delete(v);
    return node;
  };

  if (isModule(root)) {
    moduleTree = walkModule(root, '', new Set([root]));
  } else if (root instanceof PyDict && isFlatStateDict(root)) {
    // Only `Module.state_dict()` output (an OrderedDict carrying `_metadata`) is named as module
    // paths (`net[0].weight`); any other dict of tensors is reached by subscript (`d['w']`).
    const fromStateDict = root.attrs instanceof PyDict && root.attrs.has('_metadata');
    for (const [k, v] of root.items()) {
      const name = keyName(k);
      const steps: PathStep[] | undefined = fromStateDict ? undefined : [{ kind: 'key', key: keyValue(k) }];
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

function keyName(k: unknown): string {
  if (k instanceof PyTuple) return `(${k.items.map(keyName).join(', ')})`;
  if (k instanceof PyFloat) return String(k.value);
  return String(k);
}

function keyValue(k: unknown): string | number {
  if (typeof k === 'number') return k;
  if (typeof k === 'bigint') return Number(k);
  return keyName(k);
}

/** Whether a value is or holds a tensor or a module (a parameterless `nn.ReLU()` is still part of the model). */
function holdsTensorOrModule(v: unknown, seen: Set<unknown>): boolean {
  if (v instanceof TensorRef || v instanceof UnsupportedTensor || isModule(v)) return true;
  if (v === null || typeof v !== 'object' || seen.has(v)) return false;
  seen.add(v);
  if (v instanceof PyDict) {
    for (const [, val] of v.items()) if (holdsTensorOrModule(val, seen)) return true;
  } else if (Array.isArray(v)) {
    return v.some((x) => holdsTensorOrModule(x, seen));
  } else if (v instanceof PyTuple) {
    return v.items.some((x) => holdsTensorOrModule(x, seen));
  } else if (v instanceof PyObject) {
    return holdsTensorOrModule(v.dict ?? null, seen) || holdsTensorOrModule(v.dictItems, seen) || v.listItems.some((x) => holdsTensorOrModule(x, seen));
  }
  return false;
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
