import { storageBytes } from '../core/dtypes';
import { attrAccess, childAccessByName, childAccessByType, renderSteps, rootNameForFile } from '../core/accessPath';
import type { ModelIndex, ModuleNode, PathStep, RawModule, RawTensor, ReaderResult, TensorEntry } from '../core/modelIndex';

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

/**
 * Numbers the storage regions of the tensors that count as parameters, one key string per tensor
 * (`regionOf[i]` is -1 for buffers and optimizer state); `regionCount[r]` is region r's elements.
 */
function numberRegions(tensors: readonly RawTensor[]): { regionOf: Int32Array; regionCount: number[] } {
  // By storage first: a storage held by one tensor (every safetensors tensor) is its own region
  // without a key string; the full region key is built only for storages that several tensors view.
  const byStorage = new Map<string, Map<string, { first: number; full?: Map<string, number> }>>();
  const regionOf = new Int32Array(tensors.length).fill(-1);
  const regionCount: number[] = [];
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    if (!countsAsParameter(t)) continue;
    let inFile = byStorage.get(t.location.file);
    if (!inFile) byStorage.set(t.location.file, (inFile = new Map()));
    const seen = inFile.get(t.location.storageKey);
    if (!seen) {
      inFile.set(t.location.storageKey, { first: i });
      regionOf[i] = regionCount.length;
      regionCount.push(elementCount(t.shape));
      continue;
    }
    seen.full ??= new Map([[storageRegionKey(tensors[seen.first]!), regionOf[seen.first]!]]);
    const k = storageRegionKey(t);
    let r = seen.full.get(k);
    if (r === undefined) {
      seen.full.set(k, (r = regionCount.length));
      regionCount.push(elementCount(t.shape));
    }
    regionOf[i] = r;
  }
  return { regionOf, regionCount };
}

/** Adds access paths, the module tree and counts to what a reader found. */
export function buildModelIndex(result: ReaderResult, file: string, opts: { tree?: boolean } = {}): ModelIndex {
  const rootName = rootNameForFile(file);
  // A name met twice stands for its first tensor (as everywhere a name is looked up).
  const byName = new Map<string, number>();
  result.tensors.forEach((t, i) => {
    if (!byName.has(t.name)) byName.set(t.name, i);
  });
  const regions = numberRegions(result.tensors);
  const paths = new Map<string, string>();
  let modules: ModuleNode;

  if (opts.tree === false) {
    modules = { name: '', qualifiedName: '', type: null, path: rootName, children: [], parameters: [], parameterCount: 0 };
  } else if (result.moduleTree) {
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
  if (opts.tree !== false) for (const t of result.tensors) if (t.containerPath) paths.set(t.name, renderSteps(rootName, t.containerPath));

  // The reader's tensors become the index's entries in place (the result is the reader's gift to
  // this function alone): a copy of 100,000 of them was 35 MB more at the peak of opening a file.
  // One object listed twice by a reader gets a copy the second time.
  const tensors: TensorEntry[] = result.tensors.map((t) => Object.assign('path' in t ? { ...t } : t, { path: paths.get(t.name) ?? '', count: elementCount(t.shape) }));
  const totalParameters = regions.regionCount.reduce((a, b) => a + b, 0);
  if (opts.tree === false) modules.parameterCount = totalParameters;
  else fillCounts(modules, byName, regions);
  return {
    file,
    format: result.format,
    rootName,
    tensors,
    modules,
    moduleTreeSource: result.moduleTree ? (result.moduleTreeSource ?? 'pickle') : 'names',
    totalParameters,
    metadata: result.metadata,
    ...(result.metadataTypes ? { metadataTypes: result.metadataTypes } : {}),
    ...(result.container ? { container: result.container } : {}),
    warnings: result.warnings,
    notes: result.notes ?? [],
  };
}

/**
 * Levels of the module tree: below this, a tensor name's remaining parts stay one leaf name. The
 * tree is walked recursively (counts, `printModuleTree`, exports); pickled trees are already
 * bounded by the reader (MAX_NESTING_DEPTH), dotted names are not (a key of a million dots).
 */
export const MAX_TREE_DEPTH = 1000;

/** Without pickled modules, dotted names give the nesting (`0.block 1.0.bias`). */
/** Modules with more children than this look them up in a Map; fewer are scanned. */
const SCAN_CHILDREN = 8;

function treeFromNames(tensors: readonly RawTensor[], rootName: string, paths: Map<string, string>): ModuleNode {
  const root: ModuleNode = { name: '', qualifiedName: '', type: null, path: rootName, children: [], parameters: [], parameterCount: 0 };
  // Children by name part, per module: no qualified-name string is built for a module that exists.
  // A few children are scanned; a Map per module (135,000 of them in a big mixture of experts)
  // would cost more memory than the tree itself.
  const childrenOf = new Map<ModuleNode, Map<string, ModuleNode>>();
  // The child named by `name`'s characters [from, end): a few children are compared in place, so
  // no string is cut from the name for a module that exists (names of 100,000 tensors, 8 parts each).
  const childAt = (node: ModuleNode, name: string, from: number, end: number): ModuleNode | undefined => {
    const byName = childrenOf.get(node);
    if (byName) return byName.get(name.slice(from, end));
    for (const c of node.children) if (c.name.length === end - from && name.startsWith(c.name, from)) return c;
    return undefined;
  };
  for (const t of tensors) {
    const name = t.name;
    let node = root;
    let pathKnown = !t.containerPath;
    // In containers, a block is a real object only while its name part is one subscript step.
    let stepsMatched = 0;
    // Module parts end at each dot, at most MAX_TREE_DEPTH - 1 of them; the rest is the leaf's name.
    let from = 0;
    for (let depth = 0; depth < MAX_TREE_DEPTH - 1; depth++) {
      const dot = name.indexOf('.', from);
      if (dot < 0) break;
      const parentPath = node.path;
      const byType = pathKnown;
      if (!pathKnown) {
        if (t.containerPath && stepsMatched >= 0 && stepName(t.containerPath[stepsMatched]) === name.slice(from, dot)) stepsMatched++;
        else stepsMatched = -1;
      }
      // An empty first part (`.w`) names the root itself: its qualified name is the root's ''.
      let child = node === root && dot === from ? root : childAt(node, name, from, dot);
      if (!child) {
        const part = name.slice(from, dot);
        const q = node.qualifiedName ? `${node.qualifiedName}.${part}` : part;
        const path = byType ? childAccessByName(parentPath, part) : stepsMatched > 0 ? renderSteps(rootName, t.containerPath!.slice(0, stepsMatched)) : '';
        child = { name: part, qualifiedName: q, type: null, path, children: [], parameters: [], parameterCount: 0 };
        node.children.push(child);
        const siblings = childrenOf.get(node);
        if (siblings) siblings.set(part, child);
        else if (node.children.length > SCAN_CHILDREN) childrenOf.set(node, new Map(node.children.map((c) => [c.name, c])));
      }
      if (!child.path) pathKnown = false;
      node = child;
      from = dot + 1;
    }
    node.parameters.push(name);
    if (!t.containerPath && node.path) paths.set(name, attrAccess(node.path, name.slice(from)));
  }
  return root;
}

function stepName(step: PathStep | undefined): string | undefined {
  if (!step) return undefined;
  return step.kind === 'key' ? String(step.key) : step.name;
}

/**
 * Per-module parameter counts over the subtree, each storage region once. Linear: every tensor
 * adds its region's elements to the modules above it, climbing until a module already counted
 * that region (a region's tensors are taken one after another, so the mark is still its own).
 */
function fillCounts(root: ModuleNode, byName: ReadonlyMap<string, number>, regions: { regionOf: Int32Array; regionCount: number[] }): void {
  // Modules breadth first with their parents' positions; no recursion (a tree of 1,000 levels).
  const nodes: ModuleNode[] = [root];
  const parent: number[] = [-1];
  for (let i = 0; i < nodes.length; i++) {
    for (const c of nodes[i]!.children) {
      nodes.push(c);
      parent.push(i);
    }
  }
  // Each region listed by one module only (no ties: every safetensors file, most checkpoints): a
  // module's count is its own regions' plus its children's, summed bottom-up in one pass.
  const counts = new Float64Array(nodes.length);
  const listed = new Uint8Array(regions.regionCount.length);
  let once = true;
  for (let i = 0; i < nodes.length && once; i++) {
    for (const name of nodes[i]!.parameters) {
      const t = byName.get(name);
      const r = t === undefined ? -1 : regions.regionOf[t]!;
      if (r < 0) continue;
      if (listed[r]) {
        once = false;
        break;
      }
      listed[r] = 1;
      counts[i] += regions.regionCount[r]!;
    }
  }
  if (once) {
    for (let i = nodes.length - 1; i > 0; i--) counts[parent[i]!] += counts[i]!;
    setCounts(nodes, counts);
    return;
  }
  counts.fill(0);
  // The modules listing each region's tensors, as linked lists in flat arrays (no array per region).
  const first = new Int32Array(regions.regionCount.length).fill(-1);
  const occNode: number[] = [];
  const occNext: number[] = [];
  nodes.forEach((node, i) => {
    for (const name of node.parameters) {
      const t = byName.get(name);
      const r = t === undefined ? -1 : regions.regionOf[t]!;
      if (r < 0) continue;
      occNode.push(i);
      occNext.push(first[r]!);
      first[r] = occNode.length - 1;
    }
  });
  const mark = new Int32Array(nodes.length).fill(-1);
  for (let r = 0; r < first.length; r++) {
    const n = regions.regionCount[r]!;
    for (let o = first[r]!; o >= 0; o = occNext[o]!) {
      for (let i = occNode[o]!; i >= 0 && mark[i] !== r; i = parent[i]!) {
        mark[i] = r;
        counts[i] += n;
      }
    }
  }
  setCounts(nodes, counts);
}

/**
 * Copies the counts into the modules. A count that fits a small integer is stored as one: a double
 * read from a Float64Array stored as-is into a field that held 0 made V8 move each of 133,000 module
 * objects to a new layout (210 ms; 3 ms this way).
 */
function setCounts(nodes: readonly ModuleNode[], counts: Float64Array): void {
  for (let i = 0; i < nodes.length; i++) {
    const v = counts[i]!;
    nodes[i]!.parameterCount = v < 0x40000000 ? v | 0 : v;
  }
}

/** Bytes a tensor's elements occupy (not its storage). */
export function tensorBytes(t: RawTensor): number {
  return storageBytes(t.dtype, elementCount(t.shape));
}
