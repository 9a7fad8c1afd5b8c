import { describe, expect, it } from 'vitest';
import { Rpc, RpcDisposedError, RpcRemoteError, RpcTimeoutError, type RpcEndpoint } from '../../src/protocol/rpc';

/** Two endpoints wired to each other, delivering asynchronously like postMessage. */
function pair(): [RpcEndpoint, RpcEndpoint] {
  const handlers: [Array<(m: unknown) => void>, Array<(m: unknown) => void>] = [[], []];
  const make = (me: 0 | 1): RpcEndpoint => ({
    post: (m) => queueMicrotask(() => handlers[1 - me]!.forEach((h) => h(structuredClone(m)))),
    listen: (h) => {
      handlers[me].push(h);
      return () => handlers[me].splice(handlers[me].indexOf(h), 1);
    },
  });
  return [make(0), make(1)];
}

type Req = { [m: string]: { params: unknown; result: unknown }; add: { params: { a: number; b: number }; result: number }; fail: { params: Record<string, never>; result: never }; slow: { params: Record<string, never>; result: string } };
type Note = { [m: string]: unknown; hello: { who: string } };

describe('Rpc', () => {
  it('correlates concurrent requests with their responses', async () => {
    const [a, b] = pair();
    const client = new Rpc<Req, Note>(a);
    const server = new Rpc<Req, Note>(b);
    server.handle('add', async ({ a: x, b: y }) => {
      await new Promise((r) => setTimeout(r, x));
      return x + y;
    });
    expect(await Promise.all([client.request('add', { a: 20, b: 1 }), client.request('add', { a: 1, b: 2 })])).toEqual([21, 3]);
  });

  it('rejects with the remote error message when the handler throws', async () => {
    const [a, b] = pair();
    const client = new Rpc<Req, Note>(a);
    new Rpc<Req, Note>(b).handle('fail', () => {
      throw new Error('storage 3 is missing');
    });
    await expect(client.request('fail', {})).rejects.toEqual(new RpcRemoteError('storage 3 is missing', 'Error'));
  });

  it('times out when nobody answers, and rejects pending requests on dispose', async () => {
    const [a] = pair();
    const client = new Rpc<Req, Note>(a, { timeoutMs: 20 });
    await expect(client.request('add', { a: 1, b: 1 })).rejects.toBeInstanceOf(RpcTimeoutError);
    const pending = client.request('add', { a: 1, b: 1 }, { timeoutMs: 0 });
    client.dispose();
    await expect(pending).rejects.toBeInstanceOf(RpcDisposedError);
  });

  it('cancels on both sides when the signal aborts', async () => {
    const [a, b] = pair();
    const client = new Rpc<Req, Note>(a);
    const server = new Rpc<Req, Note>(b);
    let serverSawAbort = false;
    server.handle('slow', (_p, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => ((serverSawAbort = true), reject(new Error('stopped'))))));
    const controller = new AbortController();
    const p = client.request('slow', {}, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await expect(p).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 5));
    expect(serverSawAbort).toBe(true);
  });

  it('cancelHandling aborts the requests being handled; the caller hears "cancelled", later requests run', async () => {
    const [a, b] = pair();
    const client = new Rpc<Req, Note>(a);
    const server = new Rpc<Req, Note>(b);
    server.handle('slow', (_p, ctx) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve('done'), 50);
      ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(ctx.signal.reason as Error)));
    }));
    const first = client.request('slow', {});
    await new Promise((r) => setTimeout(r, 5));
    server.cancelHandling();
    await expect(first).rejects.toEqual(new RpcRemoteError('cancelled', 'Error'));
    expect(await client.request('slow', {})).toBe('done');
  });

  it('delivers notifications', async () => {
    const [a, b] = pair();
    const got: string[] = [];
    new Rpc<Req, Note>(b).onNotify('hello', ({ who }) => got.push(who));
    new Rpc<Req, Note>(a).notify('hello', { who: 'webview' });
    await new Promise((r) => setTimeout(r, 1));
    expect(got).toEqual(['webview']);
  });
});
