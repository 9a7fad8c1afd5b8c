// Messages between the extension host (WorkerPool) and the tensor workers (tensorWorker.ts).
// The host↔webview messages are in messages.ts; the views the workers answer with are defined
// there too, so a page and a worker speak of the same StatsView.
import type { ConvertOptions, ConvertResult } from '../core/convert';
import type { ModelIndex } from '../core/modelIndex';
import type { HeatmapRequest, HeatmapView, HistogramBins, InitView, SchemeView, SliceIndex, StatsView, TensorDiffView, TensorSpec, TieReportView, ValuesView } from './messages';

export interface WorkerRequests {
  [method: string]: { params: unknown; result: unknown };
  /** Parses a model file into its index (pickles can be megabytes: not on the host's thread). */
  index: { params: { file: string }; result: ModelIndex };
  stats: { params: { tensor: TensorSpec; bins?: number; progressToken?: number }; result: StatsView };
  /**
   * Statistics of many small tensors of one file (runtime/batchStats.ts), in request order; a
   * tensor that fails gets its message. Progress counts tensors. The statistics come packed in
   * one transferred Float64Array (batchStats.ts `packBatchResults`), `errors[i]` null for a success.
   */
  statsBatch: { params: { tensors: TensorSpec[]; bins?: number; progressToken?: number }; result: { packed: ArrayBuffer; errors: Array<string | null> } };
  heatmap: { params: HeatmapRequest & { tensor: TensorSpec; progressToken?: number }; result: HeatmapView };
  values: { params: { tensor: TensorSpec; slice: SliceIndex; rowStart: number; rowCount: number }; result: ValuesView };
  /** Init detection on a sample of the tensor. */
  init: { params: { tensor: TensorSpec; biasFanIn?: number }; result: InitView };
  /** Expected counts of a scheme for `count` values in these bins, and a seeded simulated sample's counts. */
  overlay: { params: { scheme: SchemeView; bins: HistogramBins; count: number; simulateSeed?: number }; result: { expected: number[] | null; simulated: number[] | null } };
  /** Tie groups of a model (content hashing reads tensor bytes: not on the host's thread). */
  ties: { params: { index: ModelIndex; content?: boolean }; result: TieReportView };
  /**
   * torch.histc(x.double(), bins, min, max) of the whole tensor on the range given (the run page's
   * ridge plot: every checkpoint on shared bins); counts in a transferred Float64Array of `bins`.
   */
  histogramOnRange: { params: { tensor: TensorSpec; min: number; max: number; bins: number }; result: { data: ArrayBuffer } };
  /** SHA-256 of a tensor's dtype, shape and values: equal in two files means the same tensor (hover previews). */
  fingerprint: { params: { tensor: TensorSpec }; result: string };
  /** How the values of two same-shape tensors differ (streams both; any files, formats and dtypes). */
  diff: { params: { a: TensorSpec; b: TensorSpec; chunkElements?: number; progressToken?: number }; result: TensorDiffView };
  /**
   * Converts a model file to safetensors at `out` (model/convert/convertModel.ts): streamed to a
   * temporary file renamed when complete; cancelled, it leaves nothing. Progress counts tensor bytes written.
   */
  convert: { params: { file: string; out: string; options: ConvertOptions; progressToken?: number }; result: ConvertResult };
}

/** One tensor's statistics in a batch, or why they could not be computed. */
export type BatchStatsResult = { stats: StatsView } | { error: string };

export interface WorkerNotifications {
  [method: string]: unknown;
  progress: { token: number; done: number; total: number };
}


// ---- A tensor split across the pool ----------------------------------------------------------

/**
 * Worker requests for one range of a tensor split across the pool (see fastStats.ts): the pool
 * sends each worker its range, merges the results in chunk order, and answers the `stats`
 * request itself. Ranges are element ranges in storage order, starting on chunk boundaries.
 * Results carry their numbers as ArrayBuffers, which the worker transfers instead of copying.
 */
export interface StatsPassRequests {
  [method: string]: { params: unknown; result: unknown };
  /** float32 pass 1: one moments record per chunk (Float64Array of MOMENT_FIELDS each); with `crc`, the CRC-32 of the range's bytes. */
  statsMoments: { params: RangeParams & { crc?: boolean }; result: { data: ArrayBuffer; crc32?: number } };
  /** float32 pass 2: torch.histc counts on [left, right] (Float64Array of `bins`). */
  statsHistogram: { params: RangeParams & { left: number; right: number; bins: number; inRange: ArrayBuffer }; result: { data: ArrayBuffer } };
  /** 1- and 2-byte types: how often each bit pattern occurs (Float64Array of 256 or 65,536); with `crc`, as statsMoments. */
  statsPatterns: { params: RangeParams & { crc?: boolean }; result: { data: ArrayBuffer; crc32?: number } };
}

export interface RangeParams {
  tensor: TensorSpec;
  start: number;
  count: number;
  progressToken?: number;
}
