import { storageBytes } from '../core/dtypes';
import { INDEXED_CONTAINERS, KEYED_CONTAINERS } from '../core/accessPath';
import type { ModelIndex, ModuleNode, PathStep, TensorEntry } from '../core/modelIndex';
import type { ExprStep, MemberTable, ParameterExpression } from './pythonExpression';

/**
 * Maps a parameter expression onto model indexes, step by step (so `net[2].bias`,
 * `net.state_dict()['2.bias']` and `getattr(net, '2').bias` agree), and decides which model a
 * variable means. Pure: the caller supplies loaded indexes and, where asked, content fingerprints.
 */

/** What an expression reaches in one model. */
export type Target =
  /** `grad`: the expression asked for `.grad`, which a file does not hold (the values are shown). */
  | { kind: 'tensor'; tensor: TensorEntry; grad: boolean }
  | { kind: 'module'; module: ModuleNode };

/** A loaded model: `id` is how the caller names it (a URI string). */
export interface ModelRef {
  id: string;
  index: ModelIndex;
}

export interface Match {
  model: ModelRef;
  target: Target;
}

/** Why these models: the variable's binding, its name equal to the file's, or the key found in them. */
export type MatchBasis = 'binding' | 'rootName' | 'content' | 'key';

export interface Candidates {
  basis: MatchBasis;
  matches: Match[];
}

/**
 * Tensors above this many bytes are not hashed to prove two files hold the same values; such
 * candidates count as different, so the hover asks for a binding instead. Below it the hash runs
 * in the worker pool while the hover says so (a GPT-2 embedding, 154 MB, takes a fraction of a
 * second): "same in …" is decided per tensor, whatever else the files hold.
 */
export const MAX_FINGERPRINT_BYTES = 1024 * 1024 * 1024;

// ---- one model ------------------------------------------------------------------------------

const tensorMaps = new WeakMap<ModelIndex, Map<string, TensorEntry>>();
const moduleMaps = new WeakMap<ModelIndex, Map<string, ModuleNode>>();
const containerMaps = new WeakMap<ModelIndex, Map<string, TensorEntry>>();

function tensorByName(index: ModelIndex, name: string): TensorEntry | undefined {
  let m = tensorMaps.get(index);
  if (!m) {
    m = new Map();
    for (const t of index.tensors) if (!m.has(t.name)) m.set(t.name, t);
    tensorMaps.set(index, m);
  }
  return m.get(name);
}

function moduleByName(index: ModelIndex, qualifiedName: string): ModuleNode | undefined {
  let m = moduleMaps.get(index);
  if (!m) {
    const map = new Map<string, ModuleNode>();
    const walk = (n: ModuleNode): void => {
      if (!map.has(n.qualifiedName)) map.set(n.qualifiedName, n);
      n.children.forEach(walk);
    };
    walk(index.modules);
    moduleMaps.set(index, (m = map));
  }
  return m.get(qualifiedName);
}

const stepsKey = (steps: readonly PathStep[]): string => JSON.stringify(steps.map((s) => (s.kind === 'key' ? [typeof s.key === 'number' ? 'i' : 's', s.key] : ['a', s.name])));

/** Tensors inside checkpoint containers, by their steps from the root object. */
function containerTensor(index: ModelIndex, steps: readonly PathStep[]): TensorEntry | undefined {
  let m = containerMaps.get(index);
  if (!m) {
    m = new Map();
    for (const t of index.tensors) if (t.containerPath) m.set(stepsKey(t.containerPath), t);
    containerMaps.set(index, m);
  }
  return m.get(stepsKey(steps));
}

/** A module's own tensor by its local name (module and parameter names never contain dots). */
function ownTensor(index: ModelIndex, node: ModuleNode, local: string): TensorEntry | undefined {
  const name = node.parameters.find((n) => n.slice(n.lastIndexOf('.') + 1) === local);
  return name === undefined ? undefined : tensorByName(index, name);
}

const childNamed = (node: ModuleNode, name: string): ModuleNode | undefined => node.children.find((c) => c.name === name);

/**
 * Whether `s` is how Python reaches `child`: a checkpoint's dict keys and list indices only by
 * their own subscript (`ck['model']`, `ck['nets'][1]`, never `ck.model`); modules' children as
 * their parent's class allows (checked by the callers).
 */
function reachedBy(child: ModuleNode, s: ExprStep): boolean {
  const step = child.step;
  if (!step) return true;
  if (step.kind === 'attr') return s.kind === 'attr' && s.name === step.name;
  if (s.kind === 'index') return typeof step.key === 'number' && step.key === s.index;
  if (s.kind === 'item') return typeof step.key === 'string' && step.key === s.key;
  return false;
}

type Step = { module: ModuleNode } | { tensor: TensorEntry };

/** `node[i]`: by position where the pickle says the class indexes by position, else by name. */
function indexed(index: ModelIndex, node: ModuleNode, i: number): Step | undefined {
  if (index.moduleTreeSource === 'pickle' && node.type !== null) {
    if (INDEXED_CONTAINERS.has(node.type)) {
      const child = node.children[i < 0 ? node.children.length + i : i];
      return child && { module: child };
    }
    if (node.type === 'ParameterList') {
      const t = ownTensor(index, node, String(i < 0 ? node.parameters.length + i : i));
      return t && { tensor: t };
    }
    // Any other class (Linear, a custom block) does not index its children.
    return undefined;
  }
  // Trees derived from state_dict keys lack parameterless children (ReLU), so positions are
  // unknown; only a child literally named `i` (Sequential and ModuleList name them so) is certain.
  if (i < 0) return undefined;
  const child = childNamed(node, String(i));
  if (child) return reachedBy(child, { kind: 'index', index: i }) ? { module: child } : undefined;
  const t = ownTensor(index, node, String(i));
  return t && { tensor: t };
}

function inTable(t: TensorEntry, table: MemberTable): boolean {
  if (table === 'parameters') return t.kind === 'parameter' || t.kind === 'tensor';
  if (table === 'buffers') return t.kind === 'buffer' || t.kind === 'tensor';
  return t.kind !== 'optimizer';
}

function walk(index: ModelIndex, node: ModuleNode, s: ExprStep): Step | undefined {
  switch (s.kind) {
    case 'attr': {
      const child = childNamed(node, s.name);
      if (child) return reachedBy(child, s) ? { module: child } : undefined;
      const t = ownTensor(index, node, s.name);
      return t && { tensor: t };
    }
    case 'index':
      return indexed(index, node, s.index);
    case 'item': {
      // The root of a state_dict or safetensors file is a dict of keys.
      if (node === index.modules && index.moduleTreeSource === 'names') {
        const t = tensorByName(index, s.key);
        if (t) return { tensor: t };
      }
      if (node.type !== null && !KEYED_CONTAINERS.has(node.type) && node.type !== 'ParameterDict') return undefined;
      const child = childNamed(node, s.key);
      if (child) return reachedBy(child, s) ? { module: child } : undefined;
      const t = ownTensor(index, node, s.key);
      return t && { tensor: t };
    }
    case 'member': {
      const full = node.qualifiedName && s.key ? `${node.qualifiedName}.${s.key}` : node.qualifiedName || s.key;
      if (s.table === 'modules') {
        const m = moduleByName(index, full);
        return m && { module: m };
      }
      const t = tensorByName(index, full);
      return t && inTable(t, s.table) ? { tensor: t } : undefined;
    }
    case 'view':
      return undefined;
  }
}

/** What `steps` reach in one model, or undefined when they do not fit it. */
export function resolveSteps(index: ModelIndex, steps: readonly ExprStep[]): Target | undefined {
  let views = steps.length;
  while (views > 0 && steps[views - 1]!.kind === 'view') views--;
  const grad = steps.slice(views).some((s) => s.kind === 'view' && s.name === 'grad');
  const hasContainers = index.tensors.some((t) => t.containerPath);
  if (hasContainers) {
    const path = toPathSteps(steps.slice(0, views));
    const t = path && containerTensor(index, path);
    if (t) return { kind: 'tensor', tensor: t, grad };
    // A names tree over checkpoint dicts is not a module tree: `checkpoint.model` means nothing.
    if (index.moduleTreeSource !== 'pickle') return undefined;
  }
  let node = index.modules;
  for (let k = 0; k < views; k++) {
    const next = walk(index, node, steps[k]!);
    if (!next) return undefined;
    if ('tensor' in next) return k === views - 1 ? { kind: 'tensor', tensor: next.tensor, grad } : undefined;
    node = next.module;
  }
  return views === steps.length ? { kind: 'module', module: node } : undefined;
}

function toPathSteps(steps: readonly ExprStep[]): PathStep[] | undefined {
  const out: PathStep[] = [];
  for (const s of steps) {
    if (s.kind === 'attr') out.push({ kind: 'attr', name: s.name });
    else if (s.kind === 'index') out.push({ kind: 'key', key: s.index });
    else if (s.kind === 'item') out.push({ kind: 'key', key: s.key });
    else return undefined;
  }
  return out;
}

/** A state_dict key in one model. */
export function resolveKey(index: ModelIndex, key: string): Target | undefined {
  const t = tensorByName(index, key);
  return t && { kind: 'tensor', tensor: t, grad: false };
}

// ---- which model ----------------------------------------------------------------------------

function matchAll(models: readonly ModelRef[], f: (index: ModelIndex) => Target | undefined): Match[] {
  const out: Match[] = [];
  for (const model of models) {
    const target = f(model.index);
    if (target) out.push({ model, target });
  }
  return out;
}

/**
 * The models an expression may mean. A chain's variable: (a) its binding, (b) else the models
 * named like it (`rgnet.pt` for `rgnet`), (c) else every model the steps fit. A key: the bound
 * models that have it, else every model that has it. `bindings` maps variables to model ids.
 */
export function findCandidates(expr: ParameterExpression, models: readonly ModelRef[], bindings: ReadonlyMap<string, string>): Candidates {
  if (expr.kind === 'chain') {
    const resolve = (index: ModelIndex): Target | undefined => resolveSteps(index, expr.steps);
    const bound = bindings.get(expr.root);
    if (bound !== undefined) return { basis: 'binding', matches: matchAll(models.filter((m) => m.id === bound), resolve) };
    const named = models.filter((m) => m.index.rootName === expr.root);
    if (named.length > 0) return { basis: 'rootName', matches: matchAll(named, resolve) };
    return { basis: 'content', matches: matchAll(models, resolve) };
  }
  const resolve = (index: ModelIndex): Target | undefined => resolveKey(index, expr.key);
  const boundIds = new Set(bindings.values());
  const inBound = matchAll(models.filter((m) => boundIds.has(m.id)), resolve);
  if (inBound.length > 0) return { basis: 'binding', matches: inBound };
  return { basis: 'key', matches: matchAll(models, resolve) };
}

/** What a hover may show. */
export type Decision =
  | { kind: 'none' }
  /** One answer. `sameIn`: other models proven to hold the same (`values`: byte-identical tensor; `structure`: same module layout). */
  | { kind: 'one'; match: Match; sameIn: ModelRef[]; same: 'values' | 'structure' | null }
  /** Several models that may differ: the caller asks for a binding and shows no values. */
  | { kind: 'ambiguous'; matches: Match[] }
  /** Several same-looking small tensors whose fingerprints are not known yet. */
  | { kind: 'needsFingerprints'; matches: Match[] };

const tensorBytes = (t: TensorEntry): number => storageBytes(t.dtype, t.count);

/** Plain `rgnet.pt` before `rgnet.state_dict.legacy.pt`: the file most like the variable leads. */
function preferred(a: Match, b: Match): number {
  const dots = (m: Match): number => (m.model.id.split(/[\\/]/).pop() ?? '').split('.').length;
  return dots(a) - dots(b) || (a.model.id < b.model.id ? -1 : a.model.id > b.model.id ? 1 : 0);
}

/**
 * One answer only when it is provably the same in every candidate: tensors with equal dtype,
 * shape and content fingerprint (`fingerprint` returns undefined while unknown), or modules with
 * the same layout. Never a guess between models that may differ.
 */
export function decide(matches: readonly Match[], fingerprint: (m: Match) => string | undefined): Decision {
  if (matches.length === 0) return { kind: 'none' };
  const sorted = [...matches].sort(preferred);
  const [first, ...rest] = sorted as [Match, ...Match[]];
  if (rest.length === 0) return { kind: 'one', match: first, sameIn: [], same: null };
  const sameIn = rest.map((m) => m.model);
  if (sorted.every((m) => m.target.kind === 'tensor')) {
    const ts = sorted.map((m) => (m.target as Extract<Target, { kind: 'tensor' }>).tensor);
    const t0 = ts[0]!;
    const alike = ts.every((t) => t.dtype === t0.dtype && t.shape.length === t0.shape.length && t.shape.every((d, i) => d === t0.shape[i]));
    if (!alike || tensorBytes(t0) > MAX_FINGERPRINT_BYTES) return { kind: 'ambiguous', matches: sorted };
    const prints = sorted.map(fingerprint);
    if (prints.some((p) => p === undefined)) return { kind: 'needsFingerprints', matches: sorted };
    return prints.every((p) => p === prints[0]) ? { kind: 'one', match: first, sameIn, same: 'values' } : { kind: 'ambiguous', matches: sorted };
  }
  if (sorted.every((m) => m.target.kind === 'module')) {
    const layouts = sorted.map((m) => moduleLayout(m.model.index, (m.target as Extract<Target, { kind: 'module' }>).module));
    if (layouts.every((l) => l === layouts[0]) && moduleType(sorted) !== undefined) return { kind: 'one', match: first, sameIn, same: 'structure' };
  }
  return { kind: 'ambiguous', matches: sorted };
}

/** Names, dtypes and shapes under a module, its count and class where known. */
function moduleLayout(index: ModelIndex, m: ModuleNode): string {
  const prefix = m.qualifiedName ? `${m.qualifiedName}.` : '';
  const tensors = index.tensors
    .filter((t) => t.name.startsWith(prefix))
    .map((t) => `${t.name.slice(prefix.length)}:${t.dtype}:${t.shape.join('x')}`)
    .sort();
  return `${m.parameterCount}|${tensors.join(',')}`;
}

/** Classes agree unless two files name different ones; the known class, if any. */
export function moduleType(matches: readonly Match[]): string | null | undefined {
  const types = new Set(matches.map((m) => (m.target.kind === 'module' ? m.target.module.type : null)).filter((t): t is string => t !== null));
  return types.size > 1 ? undefined : ([...types][0] ?? null);
}
