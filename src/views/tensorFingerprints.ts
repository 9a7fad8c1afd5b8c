import type { ModelIndex, TensorEntry } from '../core/modelIndex';
import { MAX_FINGERPRINT_BYTES } from '../model/resolveExpression';
import { storageBytes } from '../core/dtypes';
import type { WorkerPool } from '../runtime/workerPool';

/** Fingerprints kept; each is 64 hex characters plus its key. */
const MAX_CACHED = 5000;

/**
 * Content fingerprints of tensors (hashed in the worker pool), cached per file version like
 * `TensorService` caches statistics: a changed file gets a new index object and new entries.
 */
export class TensorFingerprints {
  private readonly cache = new Map<string, Promise<string>>();
  private readonly known = new Map<string, string>();
  private readonly versions = new WeakMap<ModelIndex, number>();
  private nextVersion = 1;

  constructor(private readonly pool: WorkerPool) {}

  private key(index: ModelIndex, t: TensorEntry): string {
    let v = this.versions.get(index);
    if (v === undefined) this.versions.set(index, (v = this.nextVersion++));
    return `${v}\u0000${t.name}`;
  }

  /** The fingerprint if already computed. */
  peek(index: ModelIndex, t: TensorEntry): string | undefined {
    return this.known.get(this.key(index, t));
  }

  /** Computes (once) the fingerprint of a tensor no bigger than `MAX_FINGERPRINT_BYTES`. */
  get(index: ModelIndex, t: TensorEntry): Promise<string> {
    if (storageBytes(t.dtype, t.count) > MAX_FINGERPRINT_BYTES) return Promise.reject(new Error(`${t.name} is too big to fingerprint for a hover`));
    const k = this.key(index, t);
    const have = this.cache.get(k);
    if (have) return have;
    const p = this.pool.run('fingerprint', { tensor: { dtype: t.dtype, shape: t.shape, location: t.location } });
    this.cache.set(k, p);
    p.then(
      (f) => this.known.set(k, f),
      () => this.cache.delete(k),
    );
    if (this.cache.size > MAX_CACHED) {
      const oldest = this.cache.keys().next().value!;
      this.cache.delete(oldest);
      this.known.delete(oldest);
    }
    return p;
  }
}
