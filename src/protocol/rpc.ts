/**
 * A small request/response channel over `postMessage`-style endpoints: the webview API, a
 * WebviewPanel, or a worker's MessagePort. It correlates ids, rejects when the other side throws,
 * times out, supports cancellation, and rejects everything pending on dispose.
 */

export interface RpcEndpoint {
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  /** Subscribes to incoming messages; returns an unsubscribe function. */
  listen(handler: (message: unknown) => void): () => void;
}

type Envelope =
  | { rpc: 'request'; id: number; method: string; params: unknown }
  | { rpc: 'response'; id: number; result: unknown }
  | { rpc: 'error'; id: number; message: string; name?: string }
  | { rpc: 'cancel'; id: number }
  | { rpc: 'notify'; method: string; params: unknown };

/** The other side threw; `message` is its error message, `remoteName` its error's class name. */
export class RpcRemoteError extends Error {
  constructor(
    message: string,
    readonly remoteName?: string,
  ) {
    super(message);
    this.name = 'RpcRemoteError';
  }
}

export class RpcTimeoutError extends Error {
  constructor(method: string, ms: number) {
    super(`${method} did not answer within ${ms} ms`);
    this.name = 'RpcTimeoutError';
  }
}

export class RpcDisposedError extends Error {
  constructor() {
    super('the channel was closed');
    this.name = 'RpcDisposedError';
  }
}

/** Handler context: the request's cancellation signal, and a way to attach transferables. */
export interface RequestContext {
  signal: AbortSignal;
}

type Handler = (params: unknown, ctx: RequestContext) => unknown | Promise<unknown>;

/** Default request timeout: long enough for a slow disk, short enough to notice a dead peer. */
export const DEFAULT_RPC_TIMEOUT_MS = 60_000;

function isEnvelope(m: unknown): m is Envelope {
  return typeof m === 'object' && m !== null && typeof (m as { rpc?: unknown }).rpc === 'string';
}

/** Collects ArrayBuffers at the top level of a result so they are transferred, not copied. */
function transferablesOf(value: unknown): ArrayBuffer[] {
  if (typeof value !== 'object' || value === null) return [];
  const out: ArrayBuffer[] = [];
  for (const v of Object.values(value)) if (v instanceof ArrayBuffer) out.push(v);
  return out;
}

export class Rpc<Requests extends Record<string, { params: unknown; result: unknown }>, Notifications extends Record<string, unknown>> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: ReturnType<typeof setTimeout>; cancelled?: Error }>();
  private readonly handlers = new Map<string, Handler>();
  private readonly notificationHandlers = new Map<string, (params: unknown) => void>();
  private readonly running = new Map<number, AbortController>();
  private readonly unlisten: () => void;
  private disposed = false;

  constructor(
    private readonly endpoint: RpcEndpoint,
    private readonly options: { timeoutMs?: number; transferResults?: boolean } = {},
  ) {
    this.unlisten = endpoint.listen((m) => void this.receive(m));
  }

  /**
   * Sends a request; `signal` cancels it on both sides. `timeoutMs: 0` waits forever. With
   * `waitForCancelled`, a cancelled request settles only when the other side has answered (its
   * handler stopped and cleaned up: a conversion's temporary file is gone), with the abort reason,
   * or with the result if the work had already finished.
   */
  request<M extends keyof Requests & string>(method: M, params: Requests[M]['params'], opts: { signal?: AbortSignal; timeoutMs?: number; waitForCancelled?: boolean } = {}): Promise<Requests[M]['result']> {
    if (this.disposed) return Promise.reject(new RpcDisposedError());
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason instanceof Error ? opts.signal.reason : new Error('cancelled'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const ms = opts.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
      const entry: { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: ReturnType<typeof setTimeout>; cancelled?: Error } = {
        resolve: (v) => resolve(v as Requests[M]['result']),
        reject,
      };
      if (ms > 0) entry.timer = setTimeout(() => this.settle(id, new RpcTimeoutError(method, ms)), ms);
      this.pending.set(id, entry);
      opts.signal?.addEventListener(
        'abort',
        () => {
          this.endpoint.post({ rpc: 'cancel', id } satisfies Envelope);
          const reason = opts.signal!.reason instanceof Error ? opts.signal!.reason : new Error('cancelled');
          if (opts.waitForCancelled) entry.cancelled = reason;
          else this.settle(id, reason);
        },
        { once: true },
      );
      this.endpoint.post({ rpc: 'request', id, method, params } satisfies Envelope);
    });
  }

  notify<M extends keyof Notifications & string>(method: M, params: Notifications[M]): void {
    if (!this.disposed) this.endpoint.post({ rpc: 'notify', method, params } satisfies Envelope);
  }

  handle<M extends keyof Requests & string>(method: M, handler: (params: Requests[M]['params'], ctx: RequestContext) => Requests[M]['result'] | Promise<Requests[M]['result']>): void {
    this.handlers.set(method, handler as Handler);
  }

  onNotify<M extends keyof Notifications & string>(method: M, handler: (params: Notifications[M]) => void): void {
    this.notificationHandlers.set(method, handler as (p: unknown) => void);
  }

  /**
   * Cancels every request this side is handling now (their handlers' signals abort; the other side
   * hears an error): the work is for something the channel no longer shows.
   */
  cancelHandling(): void {
    for (const c of this.running.values()) c.abort(new Error('cancelled'));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unlisten();
    for (const id of [...this.pending.keys()]) this.settle(id, new RpcDisposedError());
    for (const c of this.running.values()) c.abort(new RpcDisposedError());
    this.running.clear();
  }

  private settle(id: number, error: Error | undefined, result?: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    // A request cancelled with waitForCancelled: the other side's error is the cancellation's.
    if (error) p.reject(p.cancelled && error instanceof RpcRemoteError ? p.cancelled : error);
    else p.resolve(result);
  }

  private async receive(m: unknown): Promise<void> {
    if (!isEnvelope(m) || this.disposed) return;
    switch (m.rpc) {
      case 'response':
        this.settle(m.id, undefined, m.result);
        return;
      case 'error':
        this.settle(m.id, new RpcRemoteError(m.message, typeof m.name === 'string' ? m.name : undefined));
        return;
      case 'cancel':
        this.running.get(m.id)?.abort(new Error('cancelled'));
        return;
      case 'notify':
        this.notificationHandlers.get(m.method)?.(m.params);
        return;
      case 'request': {
        const handler = this.handlers.get(m.method);
        if (!handler) {
          this.endpoint.post({ rpc: 'error', id: m.id, message: `no handler for ${m.method}` } satisfies Envelope);
          return;
        }
        const controller = new AbortController();
        this.running.set(m.id, controller);
        try {
          const result = await handler(m.params, { signal: controller.signal });
          if (!this.disposed) this.endpoint.post({ rpc: 'response', id: m.id, result } satisfies Envelope, this.options.transferResults ? transferablesOf(result) : undefined);
        } catch (e) {
          if (!this.disposed) this.endpoint.post({ rpc: 'error', id: m.id, message: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : undefined } satisfies Envelope);
        } finally {
          this.running.delete(m.id);
        }
      }
    }
  }
}
