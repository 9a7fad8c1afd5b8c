import type { WorkerNotifications, WorkerRequests } from '../protocol/workerMessages';
import type { Rpc } from '../protocol/rpc';
import { type FileByteSource, withFileSource } from '../runtime/byteSource';
import { diffTensors } from '../runtime/tensorDiff';
import { convertModel } from '../model/convert/convertModel';

type Progress = (done: number, total: number) => void;

/** Opens the files of both tensors (once when they are one file), checks neither changed while read, and closes them. */
function withFiles<T>(fileA: string, fileB: string, fn: (a: FileByteSource, b: FileByteSource) => Promise<T>): Promise<T> {
  return withFileSource(fileA, (a) => (fileB === fileA ? fn(a, a) : withFileSource(fileB, (b) => fn(a, b))));
}

/** Worker handlers for the model diff (streams two tensors side by side, see runtime/tensorDiff) and the conversion to safetensors. */
export function registerDiffHandlers(rpc: Rpc<WorkerRequests, WorkerNotifications>, progressFor: (token: number | undefined) => Progress | undefined): void {
  rpc.handle('diff', (p, ctx) =>
    withFiles(p.a.location.file, p.b.location.file, (srcA, srcB) => diffTensors(srcA, p.a, srcB, p.b, { chunkElements: p.chunkElements, signal: ctx.signal, onProgress: progressFor(p.progressToken) })),
  );
  rpc.handle('convert', (p, ctx) => convertModel(p.file, p.out, p.options, { signal: ctx.signal, onProgress: progressFor(p.progressToken) }));
}
