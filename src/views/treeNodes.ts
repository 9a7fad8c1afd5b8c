import type { ModelIndex, ModuleNode, TensorEntry } from '../core/modelIndex';
import { findStorageTies, tiedWith } from '../model/ties';

/** Light tree elements: ids into the registry, never copies of big objects. */
export type TreeNode =
  /** A folder of the workspace that holds model files (`uri` is the folder's; `path` its workspace-relative path). */
  | { readonly kind: 'folder'; readonly id: string; readonly uri: string; readonly path: string }
  | { readonly kind: 'file'; readonly id: string; readonly uri: string }
  | { readonly kind: 'module'; readonly id: string; readonly uri: string; readonly qualifiedName: string }
  | { readonly kind: 'param'; readonly id: string; readonly uri: string; readonly name: string; readonly parent: string };

/** One object per id, so `reveal` and `getParent` see the same elements the tree was given. */
export class TreeNodeCache {
  private readonly nodes = new Map<string, TreeNode>();

  folder(uri: string, path: string): TreeNode {
    return this.intern({ kind: 'folder', id: `d:${uri}`, uri, path });
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
