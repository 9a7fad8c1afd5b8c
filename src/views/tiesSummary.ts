import type { ModelIndex, ModuleNode } from '../core/modelIndex';
import type { TieGroupRow, TieGroupView, TieMemberView, TieReportView, TiesPageData } from '../protocol/messages';
import { storageBytes } from '../core/dtypes';
import { findModule, findTensor, shapeText } from './treeNodes';

function tensorMember(index: ModelIndex, name: string): TieMemberView {
  const t = findTensor(index, name);
  if (!t) return { name, path: name, kind: 'missing', detail: 'not stored in this file', parameters: [] };
  return { name, path: t.path || name, kind: 'parameter', detail: shapeText(t), parameters: [{ name, label: t.path || name }] };
}

function moduleMember(index: ModelIndex, qualifiedName: string): TieMemberView {
  const m = findModule(index, qualifiedName);
  if (!m) return { name: qualifiedName, path: qualifiedName, kind: 'missing', detail: 'not in the module tree', parameters: [] };
  const prefix = m.qualifiedName ? `${m.qualifiedName}.` : '';
  return {
    name: qualifiedName,
    path: m.path || qualifiedName || index.rootName,
    kind: 'module',
    detail: m.type ?? 'module',
    parameters: m.parameters.map((p) => ({ name: p, label: p.startsWith(prefix) ? p.slice(prefix.length) : p })),
  };
}

function row(index: ModelIndex, g: TieGroupView): TieGroupRow {
  const members = g.names.map((n) => (g.evidence === 'module' ? moduleMember(index, n) : tensorMember(index, n)));
  return { evidence: g.evidence, members, bytes: g.bytes, saved: (g.names.length - 1) * g.bytes };
}

/**
 * Bytes saved by storing every tied tensor once. Groups overlap (the storage group `2.weight`/`4.weight`
 * and the module group `2`/`4` are one saving), so tensors are joined across groups first — a module
 * group joins its modules' parameters by local name — and each set of n tensors saves (n − 1) copies.
 */
export function bytesSavedByTies(index: ModelIndex, groups: readonly TieGroupView[]): number {
  const parent = new Map<string, string>();
  const bytes = new Map<string, number>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const join = (a: string, b: string, size: number): void => {
    for (const x of [a, b]) if (!parent.has(x)) parent.set(x, x);
    const [ra, rb] = [find(a), find(b)];
    const size0 = Math.max(size, bytes.get(ra) ?? 0, bytes.get(rb) ?? 0);
    if (ra !== rb) parent.set(rb, ra);
    bytes.set(ra, size0);
  };
  const tensorBytes = (name: string): number => {
    const t = findTensor(index, name);
    return t ? storageBytes(t.dtype, t.count) : 0;
  };
  for (const g of groups) {
    if (g.evidence === 'content') continue;
    const [first, ...others] = g.names;
    if (first === undefined) continue;
    if (g.evidence !== 'module') {
      for (const o of others) join(first, o, g.bytes);
      continue;
    }
    // The same module object at two paths: each parameter below it is one tensor at both paths.
    const firstModule = findModule(index, first);
    if (!firstModule) continue;
    const below: string[] = [];
    const walk = (m: ModuleNode): void => {
      for (const p of m.parameters) below.push(p); // a flat state_dict's root holds every tensor: no spread
      m.children.forEach(walk);
    };
    walk(firstModule);
    for (const p of below) {
      const local = first && p.startsWith(`${first}.`) ? p.slice(first.length + 1) : p;
      for (const o of others) join(p, o ? `${o}.${local}` : local, tensorBytes(p));
    }
  }
  const members = new Map<string, number>();
  for (const x of parent.keys()) members.set(find(x), (members.get(find(x)) ?? 0) + 1);
  let saved = 0;
  for (const [root, n] of members) saved += (n - 1) * (bytes.get(root) ?? 0);
  return saved;
}

/** What the tied-parameters page shows, as plain data for the webview. */
export function tiesPageData(index: ModelIndex, report: TieReportView, contentCompared = true): TiesPageData {
  return {
    file: index.file,
    fileName: index.file.split(/[\\/]/).pop() ?? index.file,
    ties: report.groups.filter((g) => g.evidence !== 'content').map((g) => row(index, g)),
    identical: report.groups.filter((g) => g.evidence === 'content').map((g) => row(index, g)),
    views: report.views.map((v) => ({ storageKey: v.storageKey, members: v.names.map((n) => tensorMember(index, n)) })),
    totalSaved: bytesSavedByTies(index, report.groups),
    contentCompared,
  };
}
