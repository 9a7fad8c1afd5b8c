import { stat } from 'node:fs/promises';
import type { StatsView, TensorSpec } from '../protocol/messages';

/** Results kept; each is ~3 KB with its 256-bin histogram, so ~6 MB at most. */
export const MAX_CACHED_STATS = 2000;

/**
 * Finished statistics, keyed by the file's path, size and modification time and by the tensor's
 * view and bin count, so reopening a tensor is instant and a rewritten file is never answered
 * from stale numbers. Least recently used entries go first. Failed or cancelled computations are
 * never stored.
 */
export class StatsCache {
  private readonly entries = new Map<string, StatsView>();

  constructor(private readonly capacity = MAX_CACHED_STATS) {}

  /** The key for `tensor` as the file is now, or undefined when the file cannot be stat'ed. */
  async keyFor(tensor: TensorSpec, bins: number | undefined): Promise<string | undefined> {
    try {
      return this.keyAt(tensor.location.file, await stat(tensor.location.file), tensor, bins);
    } catch {
      return undefined;
    }
  }

  /** The key for `tensor` in `file` as it was when stat'ed (one stat for a batch of tensors). */
  keyAt(file: string, st: { size: number; mtimeMs: number }, tensor: TensorSpec, bins: number | undefined): string {
    return JSON.stringify([file, st.size, st.mtimeMs, tensor.dtype, tensor.shape, tensor.location, bins ?? null]);
  }

  get(key: string): StatsView | undefined {
    const v = this.entries.get(key);
    if (v) {
      // Refresh its place in the LRU order.
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v && structuredClone(v); // callers own what they get
  }

  set(key: string, value: StatsView): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
