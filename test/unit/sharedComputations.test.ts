import { describe, expect, it } from 'vitest';
import { SharedComputations } from '../../src/runtime/sharedComputations';
import type { RunOptions } from '../../src/runtime/worker/workerPool';

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
