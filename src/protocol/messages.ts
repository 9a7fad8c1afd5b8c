/**
 * Every message between the extension host, the webviews and the workers. Both sides import this
 * file (`import type` in the webview). Types here are plain data: no Node or DOM types.
 */

import type { ModelIndex } from '../model/modelIndex';

/** Element types as torch spells them (mirrors runtime/dtypes without importing it). */
export type DTypeName = string;

/** Exact statistics of one tensor (float64; finite values only; null where undefined). */
export interface StatsView {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  zeros: number;
  nan: number;
  inf: number;
  l2: number | null;
  absMax: number | null;
  histogram: { min: number; max: number; counts: number[] } | null;
}

/** Plain-data location of a tensor's bytes (mirrors model/modelIndex TensorLocation). */
export interface TensorLocationView {
  file: string;
  storageOffset: number;
  storageBytes: number;
  storageKey: string;
  elementOffset: number;
  strides: number[];
  byteOrder: 'little' | 'big';
}

/** What a kernel needs to find a tensor's elements. */
export interface TensorSpec {
  dtype: DTypeName;
  shape: number[];
  location: TensorLocationView;
}

/** The parameter a panel shows. */
export interface ParameterInfo {
  file: string;
  fileName: string;
  format: string;
  name: string;
  path: string;
  dtype: DTypeName;
  shape: number[];
  count: number;
  kind: string;
  /** Other names sharing this tensor's storage region (tied parameters). */
  tiedWith: string[];
}

/**
 * A 2-D matrix (or a 2-D slice of an N-D tensor) pooled into at most width × height cells.
 * `mean`, `min`, `max` are Float32Array buffers of `width * height` cells, row-major.
 */
export interface HeatmapView {
  rows: number;
  cols: number;
  width: number;
  height: number;
  mean: ArrayBuffer;
  min: ArrayBuffer;
  max: ArrayBuffer;
  /** Largest |value| over the slice, for a colour scale centred at zero. */
  absMax: number;
}

/** A window of rows of a 2-D slice; `values` is a Float64Array buffer of rowCount × cols. */
export interface ValuesView {
  rows: number;
  cols: number;
  rowStart: number;
  rowCount: number;
  values: ArrayBuffer;
}

/** Leading indices that pick a 2-D slice of an N-D tensor (empty for 0-D, 1-D and 2-D). */
export type SliceIndex = number[];

// ---- Parameter panel ---------------------------------------------------------------------

/** Requests the panel webview sends to the host. */
export interface PanelRequests {
  [method: string]: { params: unknown; result: unknown };
  /** Exact statistics and the 256-bin histogram. Progress arrives as `progress` notifications. */
  stats: { params: Record<string, never>; result: StatsView };
  /** Pooled heatmap of a 2-D slice. */
  heatmap: { params: { slice: SliceIndex; maxWidth: number; maxHeight: number }; result: HeatmapView };
  /** A window of values of a 2-D slice, for the virtualized table. */
  values: { params: { slice: SliceIndex; rowStart: number; rowCount: number }; result: ValuesView };
}

/** Notifications in either direction between panel and host. */
export interface PanelNotifications {
  [method: string]: unknown;
  /** webview → host: the page is listening; the host answers with `init`. */
  ready: Record<string, never>;
  /** host → webview: what to show (sent on ready and when the file changes). */
  init: { parameter: ParameterInfo; generation: number };
  /** host → webview: long work's progress, in elements. */
  progress: { done: number; total: number };
  /** host → webview: the parameter cannot be shown (file gone, tensor removed, unreadable). */
  failed: { message: string };
}

// ---- Model summary editor ----------------------------------------------------------------

export interface SummaryModule {
  name: string;
  type: string | null;
  path: string;
  parameterCount: number;
  sameAs?: string;
  children: SummaryModule[];
  parameters: Array<{ name: string; local: string; dtype: DTypeName; shape: number[]; count: number; kind: string }>;
}

export interface ModelSummary {
  file: string;
  fileName: string;
  format: string;
  totalParameters: number;
  tensorCount: number;
  /** Elements and bytes per dtype. */
  byDtype: Array<{ dtype: DTypeName; tensors: number; elements: number; bytes: number }>;
  modules: SummaryModule;
  moduleTreeSource: 'pickle' | 'names';
  metadata: Record<string, unknown>;
  warnings: string[];
}

export interface SummaryRequests {
  [method: string]: { params: unknown; result: unknown };
}

export interface SummaryNotifications {
  [method: string]: unknown;
  /** webview → host */
  ready: Record<string, never>;
  /** host → webview */
  summary: ModelSummary;
  /** host → webview: the file cannot be read; `message` says why, without the file's path. */
  failed: { message: string; fileName: string };
  /** webview → host: open the parameter panel for a tensor name. */
  openParameter: { name: string };
}

// ---- Workers -----------------------------------------------------------------------------

export interface WorkerRequests {
  [method: string]: { params: unknown; result: unknown };
  /** Parses a model file into its index (pickles can be megabytes: not on the host's thread). */
  index: { params: { file: string }; result: ModelIndex };
  stats: { params: { tensor: TensorSpec; bins?: number; progressToken?: number }; result: StatsView };
  heatmap: { params: { tensor: TensorSpec; slice: SliceIndex; maxWidth: number; maxHeight: number; progressToken?: number }; result: HeatmapView };
  values: { params: { tensor: TensorSpec; slice: SliceIndex; rowStart: number; rowCount: number }; result: ValuesView };
}

export interface WorkerNotifications {
  [method: string]: unknown;
  progress: { token: number; done: number; total: number };
}
