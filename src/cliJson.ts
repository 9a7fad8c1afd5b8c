import { JsonList } from './core/jsonList';

/** Items of a JsonList stringified together (about 20–200 KB of text). */
const RUN_ITEMS = 256;
/** Text held before it is handed to `write`. */
const FLUSH_AT = 1 << 16;

/**
 * `JSON.stringify(value, null, indent)` written out piece by piece (`indent` 0: compact, as
 * `JSON.stringify(value)`): the same text, but a summary of 100,000 tensors never sits in memory as
 * one string of tens of MB (nor its pieces as one big array).
 * For plain data (what the CLI prints): objects, arrays, strings, numbers, booleans and null;
 * `undefined` members are left out and `undefined` array items written as null, as JSON.stringify does; a `JsonList` is
 * written item by item, each made only when it is written.
 */
export function writeJson(value: unknown, indent: number, write: (text: string) => void): void {
  const { put, flush } = gathered(write);
  const pad = (depth: number): string => (indent > 0 ? `\n${' '.repeat(depth * indent)}` : '');
  const colon = indent > 0 ? ': ' : ':';
  // Plain data with no JsonList inside goes to the engine's JSON.stringify whole: its newlines are
  // all indentation (strings escape theirs), so re-indenting them to the depth gives the nested text.
  const stringified = (v: unknown, depth: number): string => {
    const text = indent > 0 ? JSON.stringify(v, null, indent) : JSON.stringify(v);
    if (text === undefined) return 'null';
    return indent > 0 && depth > 0 ? text.replaceAll('\n', pad(depth)) : text;
  };
  const emit = (v: unknown, depth: number): void => {
    if (v instanceof JsonList) {
      const list = v as JsonList<unknown, unknown>;
      if (list.items.length === 0) return put('[]');
      // Runs of items without a JsonList inside are written by one JSON.stringify of the run: the
      // engine's serializer called per item cost ~3 µs each in call overhead.
      const close = pad(depth);
      let run: unknown[] = [];
      let first = true;
      const flushRun = (): void => {
        if (run.length === 0) return;
        const text = stringified(run, depth);
        put((first ? '[' : ',') + text.slice(1, text.length - close.length - 1));
        first = false;
        run = [];
      };
      for (const item of list.items) {
        const made = list.map(item);
        if (!holdsJsonList(made)) {
          run.push(made);
          if (run.length >= RUN_ITEMS) flushRun();
          continue;
        }
        flushRun();
        put(`${first ? '[' : ','}${pad(depth + 1)}`);
        first = false;
        emit(made, depth + 1);
      }
      flushRun();
      return put(`${close}]`);
    }
    if (!holdsJsonList(v)) return put(stringified(v, depth));
    if (Array.isArray(v)) {
      if (v.length === 0) return put('[]');
      put('[');
      v.forEach((item, i) => {
        put(`${i > 0 ? ',' : ''}${pad(depth + 1)}`);
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') put('null');
        else emit(item, depth + 1);
      });
      return put(`${pad(depth)}]`);
    }
    const entries = Object.entries(v as object).filter(([, x]) => x !== undefined && typeof x !== 'function' && typeof x !== 'symbol');
    if (entries.length === 0) return put('{}');
    put('{');
    entries.forEach(([k, x], i) => {
      put(`${i > 0 ? ',' : ''}${pad(depth + 1)}${JSON.stringify(k)}${colon}`);
      emit(x, depth + 1);
    });
    return put(`${pad(depth)}}`);
  };
  emit(value, 0);
  flush();
}

/**
 * Text gathered into writes of about 64 KB: the CLI's streamed output (a write per tensor was
 * 100,000 system calls). `flush` writes what is left.
 */
export function gathered(write: (text: string) => void): { put: (text: string) => void; flush: () => void } {
  let pending = '';
  return {
    put: (text) => {
      pending += text;
      if (pending.length >= FLUSH_AT) {
        write(pending);
        pending = '';
      }
    },
    flush: () => {
      if (pending) write(pending);
      pending = '';
    },
  };
}

/** Whether a JsonList sits anywhere inside `v` (values with their own toJSON other than JsonList are leaves). */
function holdsJsonList(v: unknown): boolean {
  if (v instanceof JsonList) return true;
  if (v === null || typeof v !== 'object' || typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(v)) {
    for (const x of v) if (x !== null && typeof x === 'object' && holdsJsonList(x)) return true;
    return false;
  }
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    const x = (v as Record<string, unknown>)[k];
    if (x !== null && typeof x === 'object' && holdsJsonList(x)) return true;
  }
  return false;
}
