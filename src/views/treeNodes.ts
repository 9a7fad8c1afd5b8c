import type { ModelIndex, ModuleNode, TensorEntry } from '../core/modelIndex';
import { findStorageTies, tiedWith } from '../model/ties';

/** Light tree elements: ids into the registry, never copies of big objects. */
export type TreeNode =
  /** A folder of the workspace that holds model files (`uri` is the folder's; `path` its workspace-relative path). */
  | { readonly kind: 'folder'; readonly id: string; readonly uri: string; readonly path: string }
  /** The "Training run" row of a folder holding two or more checkpoints (`uri` and `path` are the folder's). */
  | { readonly kind: 'run'; readonly id: string; readonly uri: string; readonly path: string }
  | { readonly kind: 'file'; readonly id: string; readonly uri: string }
  | { readonly kind: 'module'; readonly id: string; readonly uri: string; readonly qualifiedName: string }
  | { readonly kind: 'param'; readonly id: string; readonly uri: string; readonly name: string; readonly parent: string }
  /**
   * Children `start..end-1` of a module with too many to list at once (modules first, then its
   * parameters), as VS Code's debugger splits a long array: `experts[0…99]`, `experts[100…127]`.
   */
  | { readonly kind: 'range'; readonly id: string; readonly uri: string; readonly qualifiedName: string; readonly start: number; readonly end: number };

/** The model file a row stands for (its `uri`); none for a folder's rows (the folder, its training run). */
export const modelOfNode = (node: TreeNode): string | undefined => (node.kind === 'folder' || node.kind === 'run' ? undefined : node.uri);

/** One object per id, so `reveal` and `getParent` see the same elements the tree was given. */
export class TreeNodeCache {
  private readonly nodes = new Map<string, TreeNode>();

  folder(uri: string, path: string): TreeNode {
    return this.intern({ kind: 'folder', id: `d:${uri}`, uri, path });
  }
  run(uri: string, path: string): TreeNode {
    return this.intern({ kind: 'run', id: `t:${uri}`, uri, path });
  }
  file(uri: string): TreeNode {
    return this.intern({ kind: 'file', id: `f:${uri}`, uri });
  }
  module(uri: string, qualifiedName: string): TreeNode {
    return this.intern({ kind: 'module', id: `m:${uri}#${qualifiedName}`, uri, qualifiedName });
  }
  param(uri: string, name: string, parent: string): TreeNode {
    return this.intern({ kind: 'param', id: `p:${uri}#${name}@${parent}`, uri, name, parent });
  }
  range(uri: string, qualifiedName: string, start: number, end: number): TreeNode {
    return this.intern({ kind: 'range', id: `r:${uri}#${qualifiedName}@${start}-${end}`, uri, qualifiedName, start, end });
  }
  /** Forgets the nodes of files and folders no longer listed. */
  retain(uris: ReadonlySet<string>): void {
    for (const [k, n] of this.nodes) if (!uris.has(n.uri)) this.nodes.delete(k);
  }
  clear(uri?: string): void {
    if (!uri) this.nodes.clear();
    else for (const [k, n] of this.nodes) if (n.uri === uri) this.nodes.delete(k);
  }
  private intern(n: TreeNode): TreeNode {
    const have = this.nodes.get(n.id);
    if (have) return have;
    this.nodes.set(n.id, n);
    return n;
  }
}

const moduleMaps = new WeakMap<ModelIndex, Map<string, ModuleNode>>();
const tensorMaps = new WeakMap<ModelIndex, Map<string, TensorEntry>>();

/** Module by qualified name ('' is the root), indexed once per ModelIndex. */
export function findModule(index: ModelIndex, qualifiedName: string): ModuleNode | undefined {
  let m = moduleMaps.get(index);
  if (!m) {
    const map = new Map<string, ModuleNode>();
    const walk = (n: ModuleNode): void => {
      map.set(n.qualifiedName, n);
      n.children.forEach(walk);
    };
    walk(index.modules);
    moduleMaps.set(index, (m = map));
  }
  return m.get(qualifiedName);
}

export function findTensor(index: ModelIndex, name: string): TensorEntry | undefined {
  let m = tensorMaps.get(index);
  if (!m) tensorMaps.set(index, (m = new Map(index.tensors.map((t) => [t.name, t]))));
  return m.get(name);
}

/** The last part of a tensor name relative to its module (`0.block 1.0.bias` → `bias`; Keras's `block/dense/kernel` → `kernel`). */
export function localName(module: ModuleNode, tensorName: string): string {
  const q = module.qualifiedName;
  if (!q) return tensorName;
  if (tensorName.startsWith(`${q}.`)) return tensorName.slice(q.length + 1);
  // Keras names weights by their layers joined with `/` (kerasModel.ts); the tree joins them with `.`.
  const slashed = q.replace(/\./g, '/');
  return tensorName.startsWith(`${slashed}/`) ? tensorName.slice(slashed.length + 1) : tensorName;
}

const ownerMaps = new WeakMap<ModelIndex, Map<string, string>>();

/** Qualified name of the module that holds a tensor ('' for the root), i.e. its tree node's parent. */
export function ownerModule(index: ModelIndex, tensorName: string): string {
  let m = ownerMaps.get(index);
  if (!m) {
    const map = new Map<string, string>();
    const walk = (n: ModuleNode): void => {
      for (const p of n.parameters) if (!map.has(p)) map.set(p, n.qualifiedName);
      n.children.forEach(walk);
    };
    walk(index.modules);
    ownerMaps.set(index, (m = map));
  }
  return m.get(tensorName) ?? '';
}

const tieNameMaps = new WeakMap<ModelIndex, Map<string, string[]>>();
const tieMaps = new WeakMap<ModelIndex, Map<string, string[]>>();

/** For each parameter, the names of the others sharing its storage (its tied twins). */
export function tiedNames(index: ModelIndex): Map<string, string[]> {
  let m = tieNameMaps.get(index);
  if (!m) tieNameMaps.set(index, (m = tiedWith({ groups: findStorageTies(index).groups, views: [] })));
  return m;
}

/** For each parameter, the access paths of the others sharing its storage (tied layers). */
export function tiedPaths(index: ModelIndex): Map<string, string[]> {
  let m = tieMaps.get(index);
  if (!m) {
    const byName = new Map(index.tensors.map((t) => [t.name, t]));
    m = new Map([...tiedNames(index)].map(([n, others]) => [n, others.map((o) => byName.get(o)?.path || o)]));
    tieMaps.set(index, m);
  }
  return m;
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');

const shortFormats = new Map<string, Intl.NumberFormat>();

/**
 * A count as a narrow side bar can show it: exact below 1,000, else `124.4M`, `7B` (`1.2万` in
 * Chinese): Intl's compact notation in the display language, one decimal at most. Tooltips keep
 * the exact number.
 */
export function formatShortCount(n: number, locale = 'en-US'): string {
  if (Math.abs(n) < 1000) return formatCount(n);
  let f = shortFormats.get(locale);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 });
    } catch {
      f = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
    }
    shortFormats.set(locale, f);
  }
  return f.format(n);
}

export function shapeText(t: { dtype: string; shape: readonly number[] }): string {
  return `${t.dtype} [${t.shape.join(', ')}]`;
}

/**
 * Most rows one tree node lists: more children are split into ranges of at most this many (and
 * ranges of ranges), as VS Code's debugger groups large arrays, so expanding a module of 100,000
 * tensors builds at most this many tree items.
 */
export const MAX_ROWS_PER_NODE = 100;

/** Children of a module, modules first (as the tree lists them). */
export function childCount(module: ModuleNode): number {
  return module.children.length + module.parameters.length;
}

/**
 * The ranges [start, end) a node covering children `start..end-1` lists when they are more than
 * MAX_ROWS_PER_NODE: equal spans of MAX_ROWS_PER_NODE^k (the smallest k that makes them at most
 * MAX_ROWS_PER_NODE), the last one shorter. Empty when the children fit in one list.
 */
export function childRanges(start: number, end: number, maxRows = MAX_ROWS_PER_NODE): Array<[number, number]> {
  const n = end - start;
  if (n <= maxRows) return [];
  let span = maxRows;
  while (Math.ceil(n / span) > maxRows) span *= maxRows;
  const out: Array<[number, number]> = [];
  for (let s = start; s < end; s += span) out.push([s, Math.min(end, s + span)]);
  return out;
}

/** The innermost range (of a module of `count` children) holding child `position`; undefined when the children fit in one list. */
export function rangeOf(position: number, count: number, maxRows = MAX_ROWS_PER_NODE): [number, number] | undefined {
  let found: [number, number] | undefined;
  let [start, end] = [0, count];
  for (;;) {
    const r = childRanges(start, end, maxRows).find(([s, e]) => position >= s && position < e);
    if (!r) return found;
    found = r;
    [start, end] = r;
  }
}

/** The range enclosing range [start, end) of a module of `count` children; undefined when it is a top-level range. */
export function parentRange(start: number, end: number, count: number, maxRows = MAX_ROWS_PER_NODE): [number, number] | undefined {
  let parent: [number, number] | undefined;
  let [s0, e0] = [0, count];
  for (;;) {
    const r = childRanges(s0, e0, maxRows).find(([s, e]) => start >= s && end <= e);
    if (!r) return undefined;
    if (r[0] === start && r[1] === end) return parent;
    parent = r;
    [s0, e0] = r;
  }
}

const positionMaps = new WeakMap<ModuleNode, Map<string, number>>();

/** Position of a child (a module's qualified name or a parameter's name) among its module's children. */
export function childPosition(module: ModuleNode, child: string): number | undefined {
  let m = positionMaps.get(module);
  if (!m) {
    m = new Map();
    module.children.forEach((c, i) => m!.set(c.qualifiedName, i));
    module.parameters.forEach((p, i) => m!.set(`\u0000${p}`, module.children.length + i));
    positionMaps.set(module, m);
  }
  return m.get(child) ?? m.get(`\u0000${child}`);
}

/** What a module of repeated blocks shows: `layers [0…79]`, `80 × LlamaDecoderLayer`. */
export interface RepeatedChildren {
  /** Names of the first and last child (`0`, `79`). */
  first: string;
  last: string;
  count: number;
  /** The children's class when the file names it. */
  type: string | null;
}

const repeatedCache = new WeakMap<ModuleNode, RepeatedChildren | null>();
const INTEGER = /^(0|[1-9][0-9]*)$/;

/** A module's own layout: its type, its parameters' local names and its children's names. */
function layoutKey(m: ModuleNode, index: ModelIndex): string {
  const params = m.parameters.map((p) => {
    const t = findTensor(index, p);
    return `${localName(m, p)}:${t ? `${t.dtype}[${t.shape.join(',')}]` : ''}`;
  });
  return `${m.type ?? ''}|${params.join(';')}|${m.children.map((c) => `${c.name}:${c.type ?? ''}:${c.parameterCount}`).join(';')}`;
}

/**
 * Whether a module's children are a stack of alike blocks (`layers.0..79`, `experts.0..127`,
 * `h.0..11`): at least two, named 0, 1, 2, … in order, with the same type, the same parameters
 * (local names, dtypes, shapes) and the same children. A Sequential of different layers is not.
 * Computed once per module.
 */
export function repeatedChildren(module: ModuleNode, index: ModelIndex): RepeatedChildren | undefined {
  const have = repeatedCache.get(module);
  if (have !== undefined) return have ?? undefined;
  const kids = module.children;
  let result: RepeatedChildren | null = null;
  if (kids.length >= 2 && module.parameters.length === 0 && kids.every((c, i) => INTEGER.test(c.name) && Number(c.name) === i)) {
    const key = layoutKey(kids[0]!, index);
    if (kids.every((c) => c.sameAs === undefined && layoutKey(c, index) === key)) {
      result = { first: kids[0]!.name, last: kids[kids.length - 1]!.name, count: kids.length, type: kids[0]!.type };
    }
  }
  repeatedCache.set(module, result);
  return result ?? undefined;
}
