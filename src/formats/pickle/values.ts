/**
 * The Python values our unpickler builds. Nothing here can run code: classes we do not know
 * become `PyObject`s that merely record what the pickle asked for.
 */

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
  readonly entries = new Map<unknown, [unknown, unknown]>();
  attrs: unknown = undefined;
  constructor(readonly className = 'dict') {}

  set(key: unknown, value: unknown): void {
    this.entries.set(dictKey(key), [key, value]);
  }
  get(key: unknown): unknown {
    return this.entries.get(dictKey(key))?.[1];
  }
  has(key: unknown): boolean {
    return this.entries.has(dictKey(key));
  }
  *items(): IterableIterator<[unknown, unknown]> {
    yield* this.entries.values();
  }
  get size(): number {
    return this.entries.size;
  }
}

/** Map key for Python hashables: primitives by value, tuples by their printed form. */
function dictKey(key: unknown): unknown {
  if (key instanceof PyTuple) return `tuple:${key.items.map((k) => String(dictKey(k))).join(',')}`;
  if (key instanceof PyFloat) return Number.isInteger(key.value) ? key.value : `float:${key.value}`;
  if (typeof key === 'bigint') return Number.isSafeInteger(Number(key)) ? Number(key) : `int:${key}`;
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
