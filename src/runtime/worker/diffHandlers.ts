import type { TensorSpec } from '../../protocol/messages';
import type { WorkerNotifications, WorkerRequests } from '../../protocol/workerMessages';
import type { Rpc } from '../../protocol/rpc';
import { FileByteSource } from '../byteSource';
import type { DType } from '../dtypes';
import type { TensorRef } from '../elementStream';
import { diffTensors } from '../tensorDiff';

type Progress = (done: number, total: number) => void;

const ref = (t: TensorSpec): TensorRef => ({ dtype: t.dtype as DType, shape: t.shape, location: t.location });

/** Opens the files of both tensors (once when they are one file) and closes them after. */
async function withFiles<T>(fileA: string, fileB: string, fn: (a: FileByteSource, b: FileByteSource) => Promise<T>): Promise<T> {
  const a = await FileByteSource.open(fileA);
  try {
    if (fileB === fileA) return await fn(a, a);
    const b = await FileByteSource.open(fileB);
    try {
      return await fn(a, b);
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
}

/** Worker handler for the model diff: streams two tensors side by side (see runtime/tensorDiff). */
export function registerDiffHandlers(rpc: Rpc<WorkerRequests, WorkerNotifications>, progressFor: (token: number | undefined) => Progress | undefined): void {
  rpc.handle('diff', (p, ctx) =>
    withFiles(p.a.location.file, p.b.location.file, (srcA, srcB) => diffTensors(srcA, ref(p.a), srcB, ref(p.b), { chunkElements: p.chunkElements, signal: ctx.signal, onProgress: progressFor(p.progressToken) })),
  );
}
