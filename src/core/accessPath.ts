import type { PathStep } from './modelIndex';

// Python 3 keywords: they are not valid attribute names in `a.b` syntax.
// Source: CPython Lib/keyword.py (`kwlist`).
const PY_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or',
  'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

export function isPythonIdentifier(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) && !PY_KEYWORDS.has(s);
}

/** A Python string literal for `s` (single quotes, as repr() prefers). */
export function pyStringLiteral(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** `base.name`, or `getattr(base, 'block 0')` when `name` is not an identifier. */
export function attrAccess(base: string, name: string): string {
  return isPythonIdentifier(name) ? `${base}.${name}` : `getattr(${base}, ${pyStringLiteral(name)})`;
}

/** `base[3]` or `base['key']`. */
export function keyAccess(base: string, key: string | number): string {
  return typeof key === 'number' ? `${base}[${key}]` : `${base}[${pyStringLiteral(key)}]`;
}

/** Applies container steps (checkpoint dicts, lists, object attributes) to a root expression. */
export function renderSteps(root: string, steps: readonly PathStep[]): string {
  let p = root;
  for (const s of steps) p = s.kind === 'key' ? (s.literal !== undefined ? `${p}[${s.literal}]` : keyAccess(p, s.key)) : attrAccess(p, s.name);
  return p;
}

/**
 * Child access when the parent's type is unknown (trees derived from state_dict keys): numeric
 * names are indices (`Sequential`/`ModuleList` children), other names attributes.
 */
export function childAccessByName(base: string, name: string): string {
  return /^\d+$/.test(name) ? `${base}[${Number(name)}]` : attrAccess(base, name);
}

/** Module types whose children are reached by position (`net[2]`), and by key. */
export const INDEXED_CONTAINERS: ReadonlySet<string> = new Set(['Sequential', 'ModuleList']);
export const KEYED_CONTAINERS: ReadonlySet<string> = new Set(['ModuleDict']);

/** Child access when the parent's class is known from the pickle. */
export function childAccessByType(base: string, parentType: string | null, name: string, position: number): string {
  if (parentType && INDEXED_CONTAINERS.has(parentType)) return `${base}[${position}]`;
  if (parentType && KEYED_CONTAINERS.has(parentType)) return keyAccess(base, name);
  if (parentType === null) return childAccessByName(base, name);
  return attrAccess(base, name);
}

/** The variable name used for a file's root object: the file name up to its first dot. */
export function rootNameForFile(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const stem = base.split('.')[0] ?? '';
  let name = stem.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^\d/.test(name)) name = `_${name}`;
  return name && isPythonIdentifier(name) ? name : 'model';
}
