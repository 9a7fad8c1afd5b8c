import type { RunOptions } from './workerPool';
import { abortReason } from '../core/abort';

/** A computation several views may wait on at once (a panel, a hover, an export). */
interface Shared<T> {
  readonly controller: AbortController;
  readonly result: Promise<T>;
  readonly listeners: Set<NonNullable<RunOptions['onProgress']>>;
  waiters: number;
  last?: [number, number];
}

/**
 * A cache of computations owned by the cache, not by the first caller. Every caller gets its own
 * promise and may cancel it with its own signal; the work itself is aborted only when its last
 * waiter has left, so closing a panel never fails a hover or an export waiting on the same
 * statistics. Results are kept (up to `capacity`, oldest first out); failures are not.
 */
export class SharedComputations<T> {
  private readonly entries = new Map<string, Shared<T>>();
  private readonly done = new Map<string, Promise<T>>();

  constructor(private readonly capacity: number) {}

  /** The finished or running computation for `key`, without joining it. */
  peek(key: string): Promise<T> | undefined {
    return this.done.get(key) ?? this.entries.get(key)?.result;
  }

  /** Joins the computation for `key`, starting it with `start` if there is none. */
  get(key: string, start: (opts: RunOptions) => Promise<T>, opts: RunOptions = {}): Promise<T> {
    const have = this.done.get(key);
    if (have) return have;
    if (opts.signal?.aborted) return Promise.reject(abortReason(opts.signal));
    let entry = this.entries.get(key);
    if (!entry) {
      const controller = new AbortController();
      const listeners = new Set<NonNullable<RunOptions['onProgress']>>();
      const created: Shared<T> = {
        controller,
        listeners,
        waiters: 0,
        result: start({
          signal: controller.signal,
          onProgress: (d, t) => {
            created.last = [d, t];
            for (const l of listeners) l(d, t);
          },
        }),
      };
      entry = created;
      this.entries.set(key, entry);
      entry.result.then(
        (v) => {
          if (this.entries.get(key) === created) this.entries.delete(key);
          this.done.set(key, Promise.resolve(v));
          if (this.done.size > this.capacity) this.done.delete(this.done.keys().next().value!);
        },
        () => {
          if (this.entries.get(key) === created) this.entries.delete(key);
        },
      );
    }
    return this.join(key, entry, opts);
  }

  private join(key: string, entry: Shared<T>, opts: RunOptions): Promise<T> {
    entry.waiters++;
    const progress = opts.onProgress;
    if (progress) {
      entry.listeners.add(progress);
      if (entry.last) progress(...entry.last);
    }
    return new Promise<T>((resolve, reject) => {
      let left = false;
      const leave = (): void => {
        if (left) return;
        left = true;
        if (progress) entry.listeners.delete(progress);
        opts.signal?.removeEventListener('abort', onAbort);
        entry.waiters--;
      };
      const onAbort = (): void => {
        leave();
        reject(abortReason(opts.signal!));
        if (entry.waiters === 0) {
          // Nobody waits any more: stop the work, and let the next caller start afresh.
          if (this.entries.get(key) === entry) this.entries.delete(key);
          entry.controller.abort(abortReason(opts.signal!));
        }
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      entry.result.then(
        (v) => {
          leave();
          resolve(v);
        },
        (e: unknown) => {
          leave();
          reject(e);
        },
      );
    });
  }
}
