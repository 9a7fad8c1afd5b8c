import * as l10n from '@vscode/l10n';
import { PickleError } from './pickleError';
import { PyDict, PyObject, PySet, PyTuple, RefusedCall, qualifiedName } from './values';

// What APPEND, SETITEM and the call opcodes do to the values on the stack.

export function describe(v: unknown): string {
  if (v instanceof PyObject) return qualifiedName(v.cls);
  return typeof v;
}

export function tupleItems(args: unknown, at: number): unknown[] {
  if (args instanceof PyTuple) return args.items;
  if (Array.isArray(args)) return args;
  if (args === null) return [];
  throw new PickleError(l10n.t('call arguments are not a tuple at byte {0}', at));
}

/**
 * Appends one by one: a spread (`push(...items)`) passes every item as an argument, and a batch
 * of a million (one APPENDS) overflows the call stack.
 */
export function pushAll(target: unknown[], items: readonly unknown[]): void {
  for (const v of items) target.push(v);
}

export function appendTo(target: unknown, items: unknown[], at: number): void {
  if (Array.isArray(target)) pushAll(target, items);
  else if (target instanceof PyObject) pushAll(target.listItems, items);
  else if (target instanceof PySet) pushAll(target.items, items);
  else if (!(target instanceof RefusedCall)) throw new PickleError(l10n.t('APPEND to a non-list at byte {0}', at));
}

export function setItems(target: unknown, kv: unknown[], at: number): void {
  let d: PyDict;
  if (target instanceof PyDict) d = target;
  else if (target instanceof PyObject) d = target.dictItems;
  else if (target instanceof RefusedCall) return;
  else throw new PickleError(l10n.t('SETITEM on a non-dict at byte {0}', at));
  for (let i = 0; i + 1 < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
}
