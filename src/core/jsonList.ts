/**
 * A JSON array whose items are made one at a time when written: `JSON.stringify` sees the array
 * (through `toJSON`), a streaming writer (the CLI's writeJson) maps and writes one item after
 * another, so a listing of 100,000 tensors never exists as 100,000 row objects at once.
 */
export class JsonList<S, T> {
  constructor(
    readonly items: readonly S[],
    readonly map: (item: S) => T,
  ) {}

  toJSON(): T[] {
    return this.items.map((x) => this.map(x));
  }
}
