import * as l10n from '@vscode/l10n';
import { PickleError } from './pickleError';

/**
 * The Python values our unpickler builds. Nothing here can run code: classes we do not know
 * become `PyObject`s that merely record what the pickle asked for.
 */

/**
 * Nesting of pickled values that anything recursing over them (dict keys, the torch object walk,
 * metadata, the module tree) accepts. CPython's pickler recurses per level and stops at
 * `sys.getrecursionlimit()` (1000), so torch.save cannot write deeper; our own recursion stays
 * far from the JS stack's limit (CWE-674).
 */
export const MAX_NESTING_DEPTH = 1000;

/** A structure nested deeper than MAX_NESTING_DEPTH. */
export class NestingTooDeepError extends PickleError {
  constructor() {
    super(l10n.t('the pickle nests values more than {0} levels deep', MAX_NESTING_DEPTH));
    this.name = 'NestingTooDeepError';
  }
}

/** A Python tuple (kept apart from lists: REDUCE arguments and persistent ids are tuples). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A Python float, kept apart from ints so `3.0` prints as a float in metadata. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A dict (also OrderedDict/defaultdict). Keeps insertion order; `attrs` holds BUILD state. */
export class PyDict {
  /** Made on the first item: most dicts a pickle builds stay empty, and a bomb builds millions. */
  private entries: Map<unknown, [unknown, unknown]> | undefined;
  attrs: unknown = undefined;
  constructor(readonly className = 'dict') {}

  /** As Python: a key equal to one already there (`1`, `1.0`, `True`) keeps that key and its place, and takes the new value. */
  set(key: unknown, value: unknown): void {
    const k = dictKey(key);
    this.entries ??= new Map();
    const old = this.entries.get(k);
    this.entries.set(k, [old ? old[0] : key, value]);
  }
  get(key: unknown): unknown {
    return this.entries?.get(dictKey(key))?.[1];
  }
  has(key: unknown): boolean {
    return this.entries?.has(dictKey(key)) ?? false;
  }
  *items(): IterableIterator<[unknown, unknown]> {
    if (this.entries) yield* this.entries.values();
  }
  get size(): number {
    return this.entries?.size ?? 0;
  }
}

/** Map key for Python hashables: primitives by value, tuples by their printed form. */
function dictKey(key: unknown, depth = 0): unknown {
  if (key instanceof PyTuple) {
    if (depth >= MAX_NESTING_DEPTH) throw new NestingTooDeepError();
    return `tuple:${key.items.map((k) => String(dictKey(k, depth + 1))).join(',')}`;
  }
  if (key instanceof PyFloat) return Number.isInteger(key.value) ? key.value : `float:${key.value}`;
  if (typeof key === 'bigint') return Number.isSafeInteger(Number(key)) ? Number(key) : `int:${key}`;
  if (typeof key === 'boolean') return key ? 1 : 0; // True == 1 in Python
  return key;
}

export class PySet {
  readonly items: unknown[] = [];
  constructor(readonly frozen = false) {}
}

/** A reference to `module.name` as GLOBAL/STACK_GLOBAL/INST named it. */
export interface GlobalName {
  readonly module: string;
  readonly name: string;
}

export function qualifiedName(g: GlobalName): string {
  return `${g.module}.${g.name}`;
}

/** A class the pickle names that we do not execute: calling it makes a `PyObject`. */
export class PyClass implements GlobalName {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}

/** A global we refused to resolve (a function, or anything in a dangerous module). */
export class RefusedGlobal implements GlobalName {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}

/** What calling a refused global would have produced: nothing was called. */
export class RefusedCall {
  constructor(
    readonly callee: GlobalName,
    readonly args: unknown,
  ) {}
}

/** An allow-listed function or class that we implement ourselves without side effects. */
export class PyCallable implements GlobalName {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly call: (args: unknown[], kwargs?: PyDict) => unknown,
  ) {}
}

/** An instance of a class we do not implement (nn.Module subclasses, argparse.Namespace, …). */
export class PyObject {
  /** Set by BUILD: usually the instance `__dict__`. */
  state: unknown = undefined;
  readonly listItems: unknown[] = [];
  readonly dictItems = new PyDict();
  constructor(
    readonly cls: PyClass,
    readonly args: unknown[],
  ) {}

  /** The instance `__dict__` when the state is a dict (or a (dict, slots) pair). */
  get dict(): PyDict | undefined {
    const s = this.state;
    if (s instanceof PyDict) return s;
    if (s instanceof PyTuple && s.items[0] instanceof PyDict) return s.items[0];
    return undefined;
  }
}
