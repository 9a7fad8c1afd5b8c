import { parentPort, workerData } from 'node:worker_threads';
import * as l10n from '@vscode/l10n';
import type { WorkerNotifications, WorkerRequests } from '../protocol/workerMessages';
import { Rpc } from '../protocol/rpc';
import { openModel } from '../model/openModel';
import { withFileSource } from '../runtime/byteSource';
import { computeBatchStats, packBatchResults } from '../runtime/batchStats';
import { histogramOnRange } from '../runtime/rangeHistogram';
import { f32HistogramOfRange, f32MomentsOfRange, patternCountsOfRange } from '../runtime/fastStats';
import type { StatsPassRequests } from '../protocol/workerMessages';
import { registerDiffHandlers } from './diffHandlers';
import { registerModelHandlers } from './modelHandlers';
import { heatmapKernel, statsKernel, valuesKernel } from './tensorKernels';
import type { TensorWorkerData } from '../runtime/workerPool';

/**
 * Worker thread entry: runs tensor kernels off the extension host's main thread. Each request
 * opens the file it needs and closes it after, so a changed or deleted file is never read stale.
 */
if (!parentPort) throw new Error('tensorWorker must run in a worker thread');
const port = parentPort;

// The display language's translations, before any request: every message the core builds here
// (reader errors, warnings, refusals) is looked up when it is thrown or pushed. No bundle: English.
const l10nBundle = (workerData as TensorWorkerData | null)?.l10nBundle;
if (l10nBundle) l10n.config({ contents: l10nBundle });

const rpc = new Rpc<WorkerRequests & StatsPassRequests, WorkerNotifications>(
  {
    post: (m, transfer) => port.postMessage(m, transfer ?? []),
    listen: (h) => {
      port.on('message', h);
      return () => port.off('message', h);
    },
  },
  { transferResults: true },
);

// Every handler that reads tensor bytes checks that the file did not change while it read them.
const withFile = withFileSource;

/** Progress at most every 100 ms: a message per chunk would flood the host on fast disks. */
const PROGRESS_INTERVAL_MS = 100;
function progressFor(token: number | undefined): ((done: number, total: number) => void) | undefined {
  if (token === undefined) return undefined;
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS && done < total) return;
    last = now;
    rpc.notify('progress', { token, done, total });
  };
}

rpc.handle('index', (p, ctx) => openModel(p.file, { signal: ctx.signal }));
rpc.handle('stats', (p, ctx) => withFile(p.tensor.location.file, (src) => statsKernel(src, p.tensor, p.bins, ctx.signal, progressFor(p.progressToken))));
rpc.handle('statsBatch', (p, ctx) =>
  withFile(p.tensors[0]?.location.file ?? '', async (src) => {
    if (p.tensors.some((t) => t.location.file !== src.name)) throw new Error('a statistics batch must read one file');
    const report = progressFor(p.progressToken);
    let done = 0;
    return packBatchResults(await computeBatchStats(src, p.tensors, { bins: p.bins, signal: ctx.signal, onEach: report && (() => report(++done, p.tensors.length)) }));
  }),
);
rpc.handle('heatmap', (p, ctx) => withFile(p.tensor.location.file, (src) => heatmapKernel(src, p.tensor, p, ctx.signal, progressFor(p.progressToken))));
// One range of a tensor the pool split across its workers.
const rangeProgress = (token: number | undefined, count: number) => {
  const report = progressFor(token);
  return report && ((done: number) => report(done, count));
};
rpc.handle('statsMoments', (p, ctx) =>
  withFile(p.tensor.location.file, async (src) => {
    const crc = p.crc ? { value: 0 } : undefined;
    const data = (await f32MomentsOfRange(src, p.tensor, { start: p.start, count: p.count, signal: ctx.signal, onProgress: rangeProgress(p.progressToken, p.count), crc })).buffer as ArrayBuffer;
    return crc ? { data, crc32: crc.value } : { data };
  }),
);
rpc.handle('statsHistogram', (p, ctx) =>
  withFile(p.tensor.location.file, async (src) => ({
    data: (await f32HistogramOfRange(src, p.tensor, p.left, p.right, p.bins, new Uint8Array(p.inRange), { start: p.start, count: p.count, signal: ctx.signal, onProgress: rangeProgress(p.progressToken, p.count) })).buffer as ArrayBuffer,
  })),
);
rpc.handle('statsPatterns', (p, ctx) =>
  withFile(p.tensor.location.file, async (src) => {
    const crc = p.crc ? { value: 0 } : undefined;
    const data = (await patternCountsOfRange(src, p.tensor, { start: p.start, count: p.count, signal: ctx.signal, onProgress: rangeProgress(p.progressToken, p.count), crc })).buffer as ArrayBuffer;
    return crc ? { data, crc32: crc.value } : { data };
  }),
);
rpc.handle('histogramOnRange', (p, ctx) => withFile(p.tensor.location.file, async (src) => ({ data: (await histogramOnRange(src, p.tensor, p.min, p.max, p.bins, { signal: ctx.signal })).buffer as ArrayBuffer })));
rpc.handle('values', (p, ctx) => withFile(p.tensor.location.file, (src) => valuesKernel(src, p.tensor, p.slice, p.rowStart, p.rowCount, ctx.signal)));
// Model analyses (init detection, overlays) live beside the kernels.
registerModelHandlers(rpc as unknown as Parameters<typeof registerModelHandlers>[0]);
// The model diff streams two tensors at once and reports progress like the kernels above.
registerDiffHandlers(rpc as unknown as Parameters<typeof registerDiffHandlers>[0], progressFor);
