import { JsonList } from './core/jsonList';

/**
 * `JSON.stringify(value, null, indent)` (indent ≥ 1) written out piece by piece: the same text, but a summary of
 * 100,000 tensors never sits in memory as one 70 MB string (nor its pieces as one big array).
 * For plain data (what the CLI prints): objects, arrays, strings, numbers, booleans and null;
 * `undefined` members are left out and `undefined` array items written as null, as JSON.stringify does; a `JsonList` is
 * written item by item, each made only when it is written.
 */
export function writeJson(value: unknown, indent: number, write: (text: string) => void): void {
  const FLUSH_AT = 1 << 16;
  let pending = '';
  const put = (s: string): void => {
    pending += s;
    if (pending.length >= FLUSH_AT) {
      write(pending);
      pending = '';
    }
  };
  const pad = (depth: number): string => `\n${' '.repeat(depth * indent)}`;
  const emit = (v: unknown, depth: number): void => {
    if (v instanceof JsonList) {
      const list = v as JsonList<unknown, unknown>;
      if (list.items.length === 0) return put('[]');
      put('[');
      list.items.forEach((item, i) => {
        put(`${i > 0 ? ',' : ''}${pad(depth + 1)}`);
        const made = list.map(item);
        if (made === undefined || typeof made === 'function' || typeof made === 'symbol') put('null');
        else emit(made, depth + 1);
      });
      return put(`${pad(depth)}]`);
    }
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON !== 'function') {
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
      const entries = Object.entries(v).filter(([, x]) => x !== undefined && typeof x !== 'function' && typeof x !== 'symbol');
      if (entries.length === 0) return put('{}');
      put('{');
      entries.forEach(([k, x], i) => {
        put(`${i > 0 ? ',' : ''}${pad(depth + 1)}${JSON.stringify(k)}: `);
        emit(x, depth + 1);
      });
      return put(`${pad(depth)}}`);
    }
    put(JSON.stringify(v, null, indent) ?? 'null');
  };
  emit(value, 0);
  if (pending) write(pending);
}
