import type { WorkerNotifications, WorkerRequests } from '../protocol/workerMessages';
import type { Rpc } from '../protocol/rpc';
import { findTies } from '../model/ties';
import { withFileSource } from '../runtime/byteSource';
import { tensorFingerprint } from '../runtime/tensorFingerprint';
import { initKernel, overlayKernel } from './initHandlers';

const withFile = withFileSource;

/** Worker handlers for the model analyses (init detection and its overlays, ties, content fingerprints). */
export function registerModelHandlers(rpc: Rpc<WorkerRequests, WorkerNotifications>): void {
  rpc.handle('init', (p, ctx) => withFile(p.tensor.location.file, (src) => initKernel(src, p.tensor, p.biasFanIn, ctx.signal)));
  rpc.handle('overlay', (p) => overlayKernel(p.scheme, p.bins, p.count, p.simulateSeed));
  rpc.handle('ties', (p, ctx) => findTies(p.index, { content: p.content, signal: ctx.signal }));
  rpc.handle('fingerprint', (p, ctx) => withFile(p.tensor.location.file, (src) => tensorFingerprint(src, { ...p.tensor, dtype: p.tensor.dtype }, ctx.signal)));
}
