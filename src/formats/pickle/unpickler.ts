import * as l10n from '@vscode/l10n';
import { decodeLong, decodeRawUnicodeEscape, latin1, parseIntLiteral, parseIntStrict, unquotePy2String } from './literals';
import { Op as OPCODES } from './opcodes';
import { PickleCursor } from './pickleCursor';
import { PickleError, PickleTruncatedError } from './pickleError';
import { appendTo, describe, pushAll, setItems, tupleItems } from './containerOps';
import { MAX_NESTING_DEPTH, NestingTooDeepError, PyClass, PyCallable, PyDict, PyFloat, PyObject, PySet, PyTuple, RefusedCall, RefusedGlobal } from './values';

export { PickleError, PickleTruncatedError };

/**
 * The opcode table as a local constant: `case Op.X` then reads a constant object, not an import
 * binding (which unbundled loaders such as vitest's resolve through a getter, per case, per op).
 */
const Op = OPCODES;

/**
 * Memo entries allowed (each costs at least one pickle byte, so never more than the pickle's
 * length either). torch.save writes ~6 per tensor, so 2^22 is ~700k tensors; a V8 Map holds at
 * most 2^24, and filling 2^22 takes well under a second (CWE-770).
 */
export const MAX_MEMO_ENTRIES = 1 << 22;
/**
 * Memo entries at indices other than the next one. CPython's picklers number the memo densely
 * (those entries live in an array); only hand-made pickles skip, and a Map of them is slower.
 */
export const MAX_SPARSE_MEMO_ENTRIES = 1 << 20;
/**
 * Values on the stack at once (each push costs a pickle byte too). CPython batches APPENDS and
 * SETITEMS by 1000, so real stacks stay tiny; only a tuple of millions would come near (CWE-770).
 */
export const MAX_STACK_ITEMS = 1 << 22;

export interface UnpicklerHooks {
  /** Resolves GLOBAL/STACK_GLOBAL/INST names; must never import or run anything. */
  resolveGlobal(module: string, name: string): unknown;
  /** Resolves a persistent id (PyTorch storages); the pid is usually a PyTuple. */
  persistentLoad(pid: unknown): unknown;
  warn(message: string): void;
}

export interface UnpickleResult {
  value: unknown;
  /** Offset just past the STOP opcode. */
  end: number;
}


/**
 * A pickle virtual machine that builds plain data. Only `PyCallable`s from the allow-list are
 * ever invoked; classes become `PyObject`s, refused globals become `RefusedCall` placeholders.
 */
export function unpickle(data: Uint8Array, start: number, hooks: UnpicklerHooks): UnpickleResult {
  const cursor = new PickleCursor(data, start);
  const { u8, u16, u32, i32, u64, f64be, bytes, line, text } = cursor;
  const stack: unknown[] = [];
  const marks: number[] = [];
  // Dense memo indices (what CPython writes) go to an array, any others to a small Map.
  const memo: unknown[] = [];
  const sparseMemo = new Map<number, unknown>();
  const maxMemo = Math.min(MAX_MEMO_ENTRIES, data.length);
  const maxStack = Math.min(MAX_STACK_ITEMS, data.length);

  const push = (v: unknown): void => {
    if (stack.length >= maxStack) throw new PickleError(l10n.t('the pickle keeps more than {0} values on its stack', maxStack));
    stack.push(v);
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) {
      throw new PickleError(l10n.t('stack underflow at byte {0}', cursor.pos - 1));
    }
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw new PickleError(l10n.t('stack underflow at byte {0}', cursor.pos - 1));
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw new PickleError(l10n.t('no mark at byte {0}', cursor.pos - 1));
    return stack.splice(m);
  };
  const memoPut = (idx: number, v: unknown): void => {
    if (idx < memo.length) memo[idx] = v;
    else if (idx === memo.length && !sparseMemo.has(idx)) {
      if (memo.length + sparseMemo.size >= maxMemo) throw new PickleError(l10n.t('the pickle memo needs more than {0} entries', maxMemo));
      memo.push(v);
    } else {
      if (!sparseMemo.has(idx) && (sparseMemo.size >= MAX_SPARSE_MEMO_ENTRIES || memo.length + sparseMemo.size >= maxMemo)) {
        if (sparseMemo.size >= MAX_SPARSE_MEMO_ENTRIES) throw new PickleError(l10n.t('the pickle memo skips indices more than {0} times', MAX_SPARSE_MEMO_ENTRIES));
        throw new PickleError(l10n.t('the pickle memo needs more than {0} entries', maxMemo));
      }
      sparseMemo.set(idx, v);
    }
  };
  const memoGet = (idx: number): unknown => {
    if (idx < memo.length) return memo[idx];
    if (!sparseMemo.has(idx)) throw new PickleError(l10n.t('memo key {0} missing at byte {1}', idx, cursor.pos - 1));
    return sparseMemo.get(idx);
  };
  const resolveGlobal = (module: string, name: string): unknown => hooks.resolveGlobal(module, name);

  // Nesting as containers are filled: a million nested lists or dicts is refused at its 1000th
  // level, before the rest are filled. Only a first check (a shared list can still be appended to
  // after it was put into another): everything that recurses over the values bounds depth itself.
  // A Map, not a WeakMap: V8's ephemeron tables made garbage collection the largest cost of a
  // 150,000-tensor pickle. It keeps popped containers alive until the end, at most one per opcode
  // read, so memory stays bounded by the pickle's length as before.
  const depths = new Map<object, number>();
  const depthOf = (v: unknown): number => (typeof v === 'object' && v !== null ? (depths.get(v) ?? 1) : 0);
  const nest = <T>(container: T, items: readonly unknown[]): T => {
    if (typeof container !== 'object' || container === null) return container;
    let d = depthOf(container);
    for (const item of items) d = Math.max(d, depthOf(item) + 1);
    if (d > MAX_NESTING_DEPTH) throw new NestingTooDeepError();
    if (d > 1) depths.set(container, d);
    return container;
  };

  for (;;) {
    const opAt = cursor.pos;
    const op = u8();
    switch (op) {
      case Op.PROTO: {
        const v = u8();
        if (v > 5) throw new PickleError(l10n.t('unsupported pickle protocol {0}', v));
        break;
      }
      case Op.FRAME:
        u64();
        break;
      case Op.STOP:
        if (stack.length !== 1) throw new PickleError(l10n.t('pickle stopped with {0} values on the stack', stack.length));
        return { value: stack[0], end: cursor.pos };
      case Op.MARK:
        // Marks nest as the containers they build do: CPython's pickler cannot go deeper.
        if (marks.length >= MAX_NESTING_DEPTH) throw new PickleError(l10n.t('the pickle nests more than {0} levels deep at byte {1}', MAX_NESTING_DEPTH, opAt));
        marks.push(stack.length);
        break;
      case Op.POP:
        if (marks.length > 0 && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case Op.POP_MARK:
        popMark();
        break;
      case Op.DUP:
        push(top());
        break;
      // --- constants
      case Op.NONE:
        push(null);
        break;
      case Op.NEWTRUE:
        push(true);
        break;
      case Op.NEWFALSE:
        push(false);
        break;
      case Op.INT: {
        const s = line();
        if (s === '00') push(false);
        else if (s === '01') push(true);
        else push(parseIntLiteral(s, opAt));
        break;
      }
      case Op.LONG:
        push(parseIntLiteral(line().replace(/L$/, ''), opAt));
        break;
      case Op.BININT:
        push(i32());
        break;
      case Op.BININT1:
        push(u8());
        break;
      case Op.BININT2:
        push(u16());
        break;
      case Op.LONG1:
        push(decodeLong(bytes(u8())));
        break;
      case Op.LONG4: {
        const n = i32();
        if (n < 0) throw new PickleError(l10n.t('negative LONG4 length'));
        push(decodeLong(bytes(n)));
        break;
      }
      case Op.FLOAT:
        push(new PyFloat(Number.parseFloat(line())));
        break;
      case Op.BINFLOAT:
        push(new PyFloat(f64be()));
        break;
      // --- strings and bytes
      case Op.STRING:
        push(unquotePy2String(line()));
        break;
      case Op.BINSTRING: {
        const n = i32();
        if (n < 0) throw new PickleError(l10n.t('negative BINSTRING length'));
        push(latin1(bytes(n)));
        break;
      }
      case Op.SHORT_BINSTRING:
        push(latin1(bytes(u8())));
        break;
      case Op.UNICODE:
        push(decodeRawUnicodeEscape(line()));
        break;
      case Op.BINUNICODE:
        push(text(bytes(u32())));
        break;
      case Op.SHORT_BINUNICODE:
        push(text(bytes(u8())));
        break;
      case Op.BINUNICODE8:
        push(text(bytes(u64())));
        break;
      case Op.BINBYTES:
        push(bytes(u32()));
        break;
      case Op.SHORT_BINBYTES:
        push(bytes(u8()));
        break;
      case Op.BINBYTES8:
      case Op.BYTEARRAY8:
        push(bytes(u64()));
        break;
      case Op.NEXT_BUFFER:
        throw new PickleError(l10n.t('out-of-band pickle buffers are not supported'));
      case Op.READONLY_BUFFER:
        break;
      // --- containers
      case Op.EMPTY_TUPLE:
        push(new PyTuple([]));
        break;
      case Op.TUPLE1: {
        const a = pop();
        push(nest(new PyTuple([a]), [a]));
        break;
      }
      case Op.TUPLE2: {
        const b = pop();
        const a = pop();
        push(nest(new PyTuple([a, b]), [a, b]));
        break;
      }
      case Op.TUPLE3: {
        const c = pop();
        const b = pop();
        const a = pop();
        push(nest(new PyTuple([a, b, c]), [a, b, c]));
        break;
      }
      case Op.TUPLE: {
        const items = popMark();
        push(nest(new PyTuple(items), items));
        break;
      }
      case Op.EMPTY_LIST:
        push([]);
        break;
      case Op.LIST: {
        const items = popMark();
        push(nest(items, items));
        break;
      }
      case Op.APPEND: {
        const v = pop();
        appendTo(nest(top(), [v]), [v], opAt);
        break;
      }
      case Op.APPENDS: {
        const items = popMark();
        appendTo(nest(top(), items), items, opAt);
        break;
      }
      case Op.EMPTY_DICT:
        push(new PyDict());
        break;
      case Op.DICT: {
        const items = popMark();
        const d = new PyDict();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        nest(d, items);
        push(d);
        break;
      }
      case Op.SETITEM: {
        const v = pop();
        const k = pop();
        setItems(nest(top(), [k, v]), [k, v], opAt);
        break;
      }
      case Op.SETITEMS: {
        const items = popMark();
        setItems(nest(top(), items), items, opAt);
        break;
      }
      case Op.EMPTY_SET:
        push(new PySet());
        break;
      case Op.ADDITEMS: {
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet)) throw new PickleError(l10n.t('ADDITEMS on a non-set at byte {0}', opAt));
        pushAll(s.items, items);
        break;
      }
      case Op.FROZENSET: {
        const s = new PySet(true);
        pushAll(s.items, popMark());
        push(s);
        break;
      }
      // --- memo
      case Op.PUT:
        memoPut(parseIntStrict(line(), opAt), top());
        break;
      case Op.BINPUT:
        memoPut(u8(), top());
        break;
      case Op.LONG_BINPUT:
        memoPut(u32(), top());
        break;
      case Op.MEMOIZE:
        memoPut(memo.length + sparseMemo.size, top());
        break;
      case Op.GET:
        push(memoGet(parseIntStrict(line(), opAt)));
        break;
      case Op.BINGET:
        push(memoGet(u8()));
        break;
      case Op.LONG_BINGET:
        push(memoGet(u32()));
        break;
      // --- globals, calls, objects
      case Op.GLOBAL: {
        const module = line();
        const name = line();
        push(resolveGlobal(module, name));
        break;
      }
      case Op.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError(l10n.t('STACK_GLOBAL needs two strings at byte {0}', opAt));
        push(resolveGlobal(module, name));
        break;
      }
      case Op.INST: {
        const module = line();
        const name = line();
        const args = popMark();
        push(call(resolveGlobal(module, name), args, undefined, opAt));
        break;
      }
      case Op.OBJ: {
        const items = popMark();
        if (items.length === 0) throw new PickleError(l10n.t('OBJ without a class at byte {0}', opAt));
        push(call(items[0], items.slice(1), undefined, opAt));
        break;
      }
      case Op.REDUCE: {
        const args = pop();
        const fn = pop();
        push(call(fn, tupleItems(args, opAt), undefined, opAt));
        break;
      }
      case Op.NEWOBJ: {
        const args = pop();
        const cls = pop();
        push(call(cls, tupleItems(args, opAt), undefined, opAt));
        break;
      }
      case Op.NEWOBJ_EX: {
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        push(call(cls, tupleItems(args, opAt), kwargs instanceof PyDict ? kwargs : undefined, opAt));
        break;
      }
      case Op.BUILD: {
        const state = pop();
        build(top(), state);
        break;
      }
      case Op.PERSID:
        push(hooks.persistentLoad(line()));
        break;
      case Op.BINPERSID:
        push(hooks.persistentLoad(pop()));
        break;
      case Op.EXT1:
      case Op.EXT2:
      case Op.EXT4:
        throw new PickleError(l10n.t('pickle extension registry codes are not supported (byte {0})', opAt));
      default:
        throw new PickleError(l10n.t('unknown pickle opcode 0x{0} at byte {1}', op.toString(16).padStart(2, '0'), opAt));
    }
  }

  function call(fn: unknown, args: unknown[], kwargs: PyDict | undefined, at: number): unknown {
    if (fn instanceof PyCallable) return fn.call(args, kwargs);
    if (fn instanceof PyClass) return new PyObject(fn, args);
    if (fn instanceof RefusedGlobal) return new RefusedCall(fn, args);
    if (fn instanceof RefusedCall) return new RefusedCall(fn.callee, args);
    // Calling something that is not a global (a stub instance, a string): record, never run.
    hooks.warn(l10n.t('pickle asked to call a non-callable value at byte {0}; ignored', at));
    return new RefusedCall({ module: '?', name: describe(fn) }, args);
  }

  function build(target: unknown, state: unknown): void {
    if (target instanceof PyObject) {
      target.state = state;
    } else if (target instanceof PyDict) {
      // BUILD on an (Ordered)Dict sets attributes such as state_dict's `_metadata`, not items.
      target.attrs = state;
    }
    // Tensors, refused calls and others: their Python-side state is irrelevant to us.
  }
}
