import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WorkerNotifications, WorkerRequests } from '../../protocol/messages';
import { Rpc } from '../../protocol/rpc';

interface PooledWorker {
  worker: Worker;
  rpc: Rpc<WorkerRequests, WorkerNotifications>;
  busy: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * A few worker threads (one per core by default) that run tensor kernels, so the extension host's
 * main thread never loops over a big tensor. Workers start on first use and are reused.
 */
export class WorkerPool {
  private readonly workers: PooledWorker[] = [];
  private readonly progress = new Map<number, (done: number, total: number) => void>();
  private nextToken = 1;
  private disposed = false;

  constructor(
    private readonly workerScript: string,
    private readonly size = Math.max(1, Math.min(availableParallelism(), 4)),
  ) {}

  async run<M extends keyof WorkerRequests & string>(method: M, params: WorkerRequests[M]['params'], opts: RunOptions = {}): Promise<WorkerRequests[M]['result']> {
    if (this.disposed) throw new Error('worker pool is disposed');
    const w = this.pick();
    const token = opts.onProgress ? this.nextToken++ : undefined;
    if (token !== undefined) this.progress.set(token, opts.onProgress!);
    w.busy++;
    try {
      // Kernels over gigabytes take as long as they take: no timeout, cancellation instead.
      return await w.rpc.request(method, { ...(params as object), progressToken: token } as WorkerRequests[M]['params'], { signal: opts.signal, timeoutMs: 0 });
    } finally {
      w.busy--;
      if (token !== undefined) this.progress.delete(token);
    }
  }

  private pick(): PooledWorker {
    const idle = this.workers.find((w) => w.busy === 0);
    if (idle) return idle;
    if (this.workers.length < this.size) return this.spawn();
    return this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  private spawn(): PooledWorker {
    const worker = new Worker(this.workerScript);
    // A worker must not keep the process (the CLI, a test) alive on its own.
    worker.unref();
    const rpc = new Rpc<WorkerRequests, WorkerNotifications>({
      post: (m, transfer) => worker.postMessage(m, transfer ?? []),
      listen: (h) => {
        worker.on('message', h);
        return () => worker.off('message', h);
      },
    });
    rpc.onNotify('progress', (p) => this.progress.get(p.token)?.(p.done, p.total));
    const entry: PooledWorker = { worker, rpc, busy: 0 };
    const forget = (): void => {
      rpc.dispose();
      const i = this.workers.indexOf(entry);
      if (i >= 0) this.workers.splice(i, 1);
    };
    worker.on('error', forget);
    worker.on('exit', forget);
    this.workers.push(entry);
    return entry;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const all = this.workers.splice(0);
    for (const w of all) w.rpc.dispose();
    await Promise.all(all.map((w) => w.worker.terminate()));
  }
}
