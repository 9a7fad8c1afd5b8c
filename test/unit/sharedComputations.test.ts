import { describe, expect, it } from 'vitest';
import { SharedComputations } from '../../src/runtime/sharedComputations';
import type { ModelIndex, TensorEntry } from '../../src/core/modelIndex';
import type { StatsView } from '../../src/protocol/messages';
import { RpcRemoteError } from '../../src/protocol/rpc';
import type { RunOptions, WorkerPool } from '../../src/runtime/workerPool';
import { TensorService } from '../../src/views/tensorService';

/** A computation the test finishes by hand, recording the signal and progress callback it got. */
function controllable(): { start: (o: RunOptions) => Promise<number>; runs: Array<{ opts: RunOptions; resolve: (v: number) => void; reject: (e: Error) => void }> } {
  const runs: Array<{ opts: RunOptions; resolve: (v: number) => void; reject: (e: Error) => void }> = [];
  const start = (opts: RunOptions): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      runs.push({ opts, resolve, reject });
      opts.signal?.addEventListener('abort', () => reject(new Error('work aborted')));
    });
  return { start, runs };
}

describe('SharedComputations: the cache owns the work, each waiter only its wait', () => {
  it('a waiter that leaves (a closed panel) does not fail another waiting on the same result', async () => {
    const c = new SharedComputations<number>(10);
    const { start, runs } = controllable();
    const panel = new AbortController();
    const fromPanel = c.get('k', start, { signal: panel.signal });
    const fromHover = c.get('k', start, {});
    expect(runs).toHaveLength(1);
    panel.abort(new Error('panel closed'));
    await expect(fromPanel).rejects.toThrow('panel closed');
    expect(runs[0]!.opts.signal!.aborted).toBe(false);
    runs[0]!.resolve(42);
    await expect(fromHover).resolves.toBe(42);
    // Kept: the next caller gets it without new work.
    await expect(c.get('k', start)).resolves.toBe(42);
    expect(runs).toHaveLength(1);
    await expect(c.peek('k')).resolves.toBe(42);
  });

  it('the work is aborted when its last waiter leaves, and the next caller starts afresh', async () => {
    const c = new SharedComputations<number>(10);
    const { start, runs } = controllable();
    const a = new AbortController();
    const b = new AbortController();
    const pa = c.get('k', start, { signal: a.signal });
    const pb = c.get('k', start, { signal: b.signal });
    a.abort();
    await expect(pa).rejects.toThrow();
    expect(runs[0]!.opts.signal!.aborted).toBe(false);
    b.abort();
    await expect(pb).rejects.toThrow();
    expect(runs[0]!.opts.signal!.aborted).toBe(true);
    expect(c.peek('k')).toBeUndefined();
    const again = c.get('k', start);
    expect(runs).toHaveLength(2);
    runs[1]!.resolve(7);
    await expect(again).resolves.toBe(7);
  });

  it('a failure reaches every waiter and is not kept', async () => {
    const c = new SharedComputations<number>(10);
    const { start, runs } = controllable();
    const p1 = c.get('k', start);
    const p2 = c.get('k', start);
    runs[0]!.reject(new Error('the file changed while it was read'));
    await expect(p1).rejects.toThrow('changed');
    await expect(p2).rejects.toThrow('changed');
    expect(c.peek('k')).toBeUndefined();
    const p3 = c.get('k', start);
    expect(runs).toHaveLength(2);
    runs[1]!.resolve(1);
    await expect(p3).resolves.toBe(1);
  });

  it('progress goes to every waiter, and a late joiner gets the latest at once', () => {
    const c = new SharedComputations<number>(10);
    const { start, runs } = controllable();
    const seenA: number[] = [];
    const seenB: number[] = [];
    void c.get('k', start, { onProgress: (d) => seenA.push(d) });
    runs[0]!.opts.onProgress!(1, 4);
    void c.get('k', start, { onProgress: (d) => seenB.push(d) });
    runs[0]!.opts.onProgress!(2, 4);
    expect(seenA).toEqual([1, 2]);
    expect(seenB).toEqual([1, 2]);
  });

  it('keeps at most `capacity` results, oldest out first', async () => {
    const c = new SharedComputations<number>(2);
    for (const k of ['a', 'b', 'c']) await c.get(k, async () => k.charCodeAt(0));
    expect(c.peek('a')).toBeUndefined();
    await expect(c.peek('c')).resolves.toBe(99);
  });

  it('an already aborted signal is refused without starting work', async () => {
    const c = new SharedComputations<number>(2);
    const { start, runs } = controllable();
    await expect(c.get('k', start, { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone');
    expect(runs).toHaveLength(0);
  });
});

describe('TensorService: statistics of a file rewritten while it was read are recomputed on the new version', () => {
  const entry = (file: string, offset: number): TensorEntry => ({ name: 'w', dtype: 'float32', shape: [2], count: 2, kind: 'parameter', path: 'net.w', location: { file, storageOffset: offset, storageBytes: 8, storageKey: 'w', elementOffset: 0, strides: [1], byteOrder: 'little' } }) as unknown as TensorEntry;
  const index = (offset: number): ModelIndex => ({ file: '/m/net.safetensors', tensors: [entry('/m/net.safetensors', offset)] }) as unknown as ModelIndex;

  it('reads the index again and computes on it, across the worker boundary', async () => {
    const seen: number[] = [];
    const pool = {
      run: async (_m: string, p: { tensor: { location: { storageOffset: number } } }) => {
        seen.push(p.tensor.location.storageOffset);
        if (seen.length === 1) throw new RpcRemoteError('/m/net.safetensors: the file changed while it was read', 'FileChangedError');
        return { count: 2 } as unknown as StatsView;
      },
    } as unknown as WorkerPool;
    const reloaded = index(64);
    const service = new TensorService(pool, async () => reloaded);
    const first = index(8);
    await expect(service.stats(first, first.tensors[0]!)).resolves.toEqual({ count: 2 });
    expect(seen).toEqual([8, 64]);
    // The new version's result is the one kept.
    await expect(service.peekStats(reloaded, reloaded.tensors[0]!)).resolves.toEqual({ count: 2 });
  });

  it('other errors, and a file that keeps changing, still reach the caller', async () => {
    const failing = (e: Error) => ({ run: async () => Promise.reject(e) }) as unknown as WorkerPool;
    const ix = index(8);
    await expect(new TensorService(failing(new RpcRemoteError('storage 3 is missing', 'FormatError')), async () => index(64)).stats(ix, ix.tensors[0]!)).rejects.toThrow('storage 3 is missing');
    let reloads = 0;
    const changing = new TensorService(failing(new RpcRemoteError('x: the file changed while it was read', 'FileChangedError')), async () => (reloads++, index(64 + reloads)));
    await expect(changing.stats(ix, ix.tensors[0]!)).rejects.toThrow('changed while it was read');
    expect(reloads).toBe(3);
  });
});
