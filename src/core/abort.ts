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

/** What a waiter rejects with when its own signal fires: the signal's reason, else an AbortError. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new AbortError(signal.reason);
}
