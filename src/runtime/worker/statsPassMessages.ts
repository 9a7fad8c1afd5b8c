import type { TensorSpec } from '../../protocol/messages';

/**
 * Worker requests for one range of a tensor split across the pool (see fastStats.ts): the pool
 * sends each worker its range, merges the results in chunk order, and answers the `stats`
 * request itself. Ranges are element ranges in storage order, starting on chunk boundaries.
 * Results carry their numbers as ArrayBuffers, which the worker transfers instead of copying.
 */
export interface StatsPassRequests {
  [method: string]: { params: unknown; result: unknown };
  /** float32 pass 1: one moments record per chunk (Float64Array of MOMENT_FIELDS each). */
  statsMoments: { params: RangeParams; result: { data: ArrayBuffer } };
  /** float32 pass 2: torch.histc counts on [left, right] (Float64Array of `bins`). */
  statsHistogram: { params: RangeParams & { left: number; right: number; bins: number; inRange: ArrayBuffer }; result: { data: ArrayBuffer } };
  /** 1- and 2-byte types: how often each bit pattern occurs (Float64Array of 256 or 65,536). */
  statsPatterns: { params: RangeParams; result: { data: ArrayBuffer } };
}

export interface RangeParams {
  tensor: TensorSpec;
  start: number;
  count: number;
  progressToken?: number;
}
