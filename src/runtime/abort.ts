import * as l10n from '@vscode/l10n';

/** Thrown when a caller's AbortSignal fires while a kernel is streaming. */
export class AbortError extends Error {
  constructor(reason?: unknown) {
    super(l10n.t('operation aborted'), reason === undefined ? undefined : { cause: reason });
    // The DOM name, so callers can test `e.name === 'AbortError'` as they do for fetch().
    this.name = 'AbortError';
  }
}

/** Kernels call this between chunks: cancellation is checked at chunk granularity, never mid-chunk. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(signal.reason);
}
