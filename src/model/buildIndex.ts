import { DTYPE_SIZE } from '../runtime/dtypes';
import { attrAccess, childAccessByName, childAccessByType, renderSteps, rootNameForFile } from './accessPath';
import type { ModelIndex, ModuleNode, PathStep, RawModule, RawTensor, ReaderResult, TensorEntry } from './modelIndex';

/** Identifies the memory a tensor covers, so tied and shared tensors are counted once. */
export function storageRegionKey(t: RawTensor): string {
  const l = t.location;
  return `${l.file}\u0000${l.storageKey}\u0000${l.elementOffset}\u0000${t.shape.join(',')}\u0000${l.strides.join(',')}\u0000${t.dtype}`;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Tensors that are parameters for counting: buffers and optimizer state are not. */
function countsAsParameter(t: RawTensor): boolean {
  return t.kind === 'parameter' || t.kind === 'tensor';
}

function uniqueCount(tensors: readonly RawTensor[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const t of tensors) {
    if (!countsAsParameter(t)) continue;
    const k = storageRegionKey(t);
    if (seen.has(k)) continue;
    seen.add(k);
    total += elementCount(t.shape);
  }
  return total;
}

/** Adds access paths, the module tree and counts to what a reader found. */
export function buildModelIndex(result: ReaderResult, file: string): ModelIndex {
  const rootName = rootNameForFile(file);
  const byName = new Map<string, RawTensor>();
  for (const t of result.tensors) if (!byName.has(t.name)) byName.set(t.name, t);
  const paths = new Map<string, string>();
  let modules: ModuleNode;

  if (result.moduleTree) {
    const firstPlace = new Map<number, string>();
    const convert = (raw: RawModule, name: string, qualifiedName: string, path: string): ModuleNode => {
      const sameAs = raw.id === null ? undefined : firstPlace.get(raw.id);
      if (raw.id !== null && sameAs === undefined) firstPlace.set(raw.id, qualifiedName);
      const own = [...raw.parameters, ...raw.buffers];
      // A container level's own tensors are reached by their containerPath (below).
      if (raw.id !== null) for (const [local, tensorName] of own) paths.set(tensorName, attrAccess(path, local));
      const children = raw.children.map(([childName, child], i) =>
        convert(
          child,
          childName,
          qualifiedName ? `${qualifiedName}.${childName}` : childName,
          child.step ? renderSteps(path, [child.step]) : childAccessByType(path, raw.type, childName, i),
        ),
      );
      const node: ModuleNode = { name, qualifiedName, type: raw.type, path, children, parameters: own.map(([, n]) => n), parameterCount: 0 };
      if (sameAs !== undefined) node.sameAs = sameAs;
      if (raw.step) node.step = raw.step;
      return node;
    };
    modules = convert(result.moduleTree, '', '', rootName);
  } else {
    modules = treeFromNames(result.tensors, rootName, paths);
  }
  for (const t of result.tensors) if (t.containerPath) paths.set(t.name, renderSteps(rootName, t.containerPath));

  const tensors: TensorEntry[] = result.tensors.map((t) => ({ ...t, path: paths.get(t.name) ?? '', count: elementCount(t.shape) }));
  fillCounts(modules, byName);
  return {
    file,
    format: result.format,
    rootName,
    tensors,
    modules,
    moduleTreeSource: result.moduleTree ? 'pickle' : 'names',
    totalParameters: uniqueCount(result.tensors),
    metadata: result.metadata,
    warnings: result.warnings,
  };
}

/**
 * Levels of the module tree: below this, a tensor name's remaining parts stay one leaf name. The
 * tree is walked recursively (counts, `printModuleTree`, exports); pickled trees are already
 * bounded by the reader (MAX_NESTING_DEPTH), dotted names are not (a key of a million dots).
 */
export const MAX_TREE_DEPTH = 1000;

/** Without pickled modules, dotted names give the nesting (`0.block 1.0.bias`). */
function treeFromNames(tensors: readonly RawTensor[], rootName: string, paths: Map<string, string>): ModuleNode {
  const root: ModuleNode = { name: '', qualifiedName: '', type: null, path: rootName, children: [], parameters: [], parameterCount: 0 };
  const index = new Map<string, ModuleNode>([['', root]]);
  for (const t of tensors) {
    let parts = t.name.split('.');
    if (parts.length > MAX_TREE_DEPTH) parts = [...parts.slice(0, MAX_TREE_DEPTH - 1), parts.slice(MAX_TREE_DEPTH - 1).join('.')];
    let node = root;
    let pathKnown = !t.containerPath;
    // In containers, a block is a real object only while its name part is one subscript step.
    let stepsMatched = 0;
    for (const part of parts.slice(0, -1)) {
      const q = node.qualifiedName ? `${node.qualifiedName}.${part}` : part;
      let child = index.get(q);
      let path = '';
      if (pathKnown) path = childAccessByName(node.path, part);
      else if (t.containerPath && stepsMatched >= 0 && stepName(t.containerPath[stepsMatched]) === part) {
        stepsMatched++;
        path = renderSteps(rootName, t.containerPath.slice(0, stepsMatched));
      } else stepsMatched = -1;
      if (!child) {
        child = { name: part, qualifiedName: q, type: null, path, children: [], parameters: [], parameterCount: 0 };
        index.set(q, child);
        node.children.push(child);
      }
      if (!child.path) pathKnown = false;
      node = child;
    }
    node.parameters.push(t.name);
    if (!t.containerPath && node.path) paths.set(t.name, attrAccess(node.path, parts[parts.length - 1]!));
  }
  return root;
}

function stepName(step: PathStep | undefined): string | undefined {
  if (!step) return undefined;
  return step.kind === 'key' ? String(step.key) : step.name;
}

/** Per-module parameter counts over the subtree, each storage region once. */
function fillCounts(node: ModuleNode, byName: ReadonlyMap<string, RawTensor>): RawTensor[] {
  const all: RawTensor[] = node.parameters.map((n) => byName.get(n)).filter((t): t is RawTensor => !!t);
  // One by one: spreading a child's 150,000 tensors into push() overflows the call stack.
  for (const c of node.children) for (const t of fillCounts(c, byName)) all.push(t);
  node.parameterCount = uniqueCount(all);
  return all;
}

/** Bytes a tensor's elements occupy (not its storage). */
export function tensorBytes(t: RawTensor): number {
  return elementCount(t.shape) * DTYPE_SIZE[t.dtype];
}
