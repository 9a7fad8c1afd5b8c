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
      const st = await stat(tensor.location.file);
      return JSON.stringify([tensor.location.file, st.size, st.mtimeMs, tensor.dtype, tensor.shape, tensor.location, bins ?? null]);
    } catch {
      return undefined;
    }
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
