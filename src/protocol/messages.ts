/**
 * Every message between the extension host, the webviews and the workers. Both sides import this
 * file (`import type` in the webview). Types here are plain data: no Node or DOM types.
 */
import type { ModuleScheme } from '../core/initScheme';

export type { DType as DTypeName } from '../core/dtypes';
export type { TensorLocation as TensorLocationView, TensorSpec } from '../core/modelIndex';
import type { ModuleTreeSource } from '../core/modelIndex';
export type { DiffSummaryView, StatsView, TensorDiffView } from '../core/results';
import type { DType as DTypeName } from '../core/dtypes';
import type { DiffSummaryView, StatsView, TensorDiffView } from '../core/results';

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
  /** Block-quantized storage (GGUF's Q4_K…): bytes, blocks and stored bits per element. */
  storage?: { bytes: number; blocks: number; blockElements: number; bitsPerElement: number };
  /** The Hugging Face name a GGUF tensor was converted from (`model.layers.0.self_attn.q_proj.weight`). */
  hfName?: string;
}

/** Half-open rows `[row0, row1)` and columns `[col0, col1)` of the heatmap's matrix. */
export interface HeatmapWindow {
  row0: number;
  row1: number;
  col0: number;
  col1: number;
}

/**
 * How a tensor becomes the heatmap's matrix: the 2-D slice `t[i, j, …, :, :]` picked by `slice`,
 * or for a 4-D conv weight `[out, in, kh, kw]` a grid of filters (`[out·kh, in·kw]`, filter (o, i)
 * a kh × kw tile) or `[out, in·kh·kw]`.
 */
export type HeatmapLayout = 'slice' | 'filters' | 'flat';

/** What the page asks to be pooled: a layout, optionally a window of it, into at most maxWidth × maxHeight cells. */
export interface HeatmapRequest {
  slice: SliceIndex;
  layout?: HeatmapLayout;
  window?: HeatmapWindow;
  maxWidth: number;
  maxHeight: number;
}

/**
 * A window of a 2-D matrix (a slice, or a conv weight's layout) pooled into at most width × height
 * cells. `mean`, `std` (population), `min`, `max`, `maxAbs` are Float32Array buffers of
 * `width * height` cells, row-major, NaN where a cell holds no finite value.
 */
export interface HeatmapView {
  /** The whole matrix. */
  rows: number;
  cols: number;
  /** The part pooled (the whole matrix unless zoomed). */
  window: HeatmapWindow;
  width: number;
  height: number;
  mean: ArrayBuffer;
  std: ArrayBuffer;
  min: ArrayBuffer;
  max: ArrayBuffer;
  maxAbs: ArrayBuffer;
  /** Largest |value| in the window. */
  absMax: number;
  /** For the filter grid: each filter's tile, kh × kw matrix cells. */
  tile?: [number, number];
}

/** One initialisation scheme with the parameters it has for a tensor (see model/init/detectInit). */
export interface SchemeView {
  scheme: string;
  params: Record<string, number | string>;
  fit: { ks: number; p: number; n: number } | null;
  /** Candidates: the values pass every test of this scheme (`passLoose`: with the scale test at 10⁻⁵). */
  pass?: boolean;
  passLoose?: boolean;
  /** Equivalents: the same law for this shape, or another law these values cannot tell apart. */
  relation?: 'same_law' | 'indistinguishable';
}

/** The scheme a module type's layers share, as the model-level pass found it (model/init/attributeModelInit). */
export type ModuleSchemeView = ModuleScheme;

/** What init detection says of a tensor: the verdict, its runner-ups and every scheme tried. */
export interface InitView extends SchemeView {
  alternatives: SchemeView[];
  equivalent: SchemeView[];
  candidates: SchemeView[];
  /** Set when the whole model was judged: the scheme of the tensor's module type. */
  moduleScheme?: ModuleSchemeView;
  /** `module`: this tensor's values could not tell its candidates apart and its module type's scheme decided. */
  decidedBy?: 'values' | 'module';
}

/** A histogram to compare with the tensor's: same range and bins. */
export interface HistogramBins {
  min: number;
  max: number;
  bins: number;
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
  /** Pooled heatmap of a 2-D slice or a conv weight's layout, or of a window of it (zoom), read from the file. */
  heatmap: { params: HeatmapRequest; result: HeatmapView };
  /** A window of values of a 2-D slice, for the virtualized table. */
  values: { params: { slice: SliceIndex; rowStart: number; rowCount: number }; result: ValuesView };
  /** Which init scheme the tensor follows. */
  init: { params: Record<string, never>; result: InitView };
  /** Expected counts per bin of a scheme (for the overlay), and a seeded fresh sample's histogram. */
  overlay: { params: { scheme: SchemeView; bins: HistogramBins; simulateSeed?: number }; result: { expected: number[] | null; simulated: number[] | null } };
}

/** Notifications in either direction between panel and host. */
export interface PanelNotifications {
  [method: string]: unknown;
  /** webview → host: the page is listening; the host answers with `init`. */
  ready: Record<string, never>;
  /**
   * host → webview: what to show (sent on ready, when the file changes, and when a click re-targets
   * the preview panel to another parameter). `preview`: the panel is the one a click in the Models
   * tree re-targets; working in it (or "Keep open") pins it. `stats`: the statistics when the host
   * has them already, so the page need not ask.
   */
  init: { parameter: ParameterInfo; generation: number; preview: boolean; stats?: StatsView };
  /** webview → host: the person works in the panel (zoom, slice, scroll, overlay, "Keep open"): pin it. */
  keepOpen: Record<string, never>;
  /** host → webview: the panel is pinned now (a double click in the tree): hide the preview mark. */
  pinned: Record<string, never>;
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
  /** For an optimizer's `state[i]`: the parameter it belongs to (model/trainingState.ts). */
  slotOf?: string;
  children: SummaryModule[];
  parameters: Array<{ name: string; local: string; dtype: DTypeName; shape: number[]; count: number; kind: string }>;
}

export interface ModelSummary {
  file: string;
  fileName: string;
  format: string;
  totalParameters: number;
  tensorCount: number;
  /** Elements and bytes per dtype (a GGUF's quantization mix), with each dtype's stored bits per element. */
  byDtype: Array<{ dtype: DTypeName; tensors: number; elements: number; bytes: number; bitsPerElement: number }>;
  modules: SummaryModule;
  moduleTreeSource: ModuleTreeSource;
  /** What the container says of itself (GGUF: version, architecture, file type, alignment…), in the reader's order. */
  container: Array<[string, string | number]>;
  /** The file's metadata, one row per key in file order. */
  metadata: MetadataRow[];
  warnings: string[];
  /** Information that is no problem (classes shown as stubs). */
  notes: string[];
  /** The variable name access paths start from (`rgnet`): the tree's root is named by it. */
  rootName: string;
  /** How far training got, where a checkpoint records it. */
  training: { epoch?: number; step?: number; lr?: number[] };
}

/** A metadata entry as the summary shows it: scalars as text; arrays by length and first items. */
export interface MetadataRow {
  key: string;
  /** The format's type name (`uint32`, `string`, `array[string]`), where the format types values. */
  type: string | null;
  /** A scalar or string, as text (a chat template keeps its line breaks). */
  text?: string;
  /** An array: its full length, item type and first items as text (nested arrays as `[n × type]`). */
  array?: { length: number; itemType: string; items: string[] };
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
  /** webview → host: open this file's model overview. */
  showOverview: Record<string, never>;
}

// ---- Tied parameters (worker request and panel) -------------------------------------------

/** Why parameters are one thing (mirrors model/ties TieEvidence without importing it). */
export type TieEvidenceName = 'storage' | 'module' | 'metadata' | 'content';

/** One group of `findTies`: tensor names (module qualified names for `module`), bytes of one copy. */
export interface TieGroupView {
  names: string[];
  evidence: TieEvidenceName;
  bytes: number;
}

/** Tensors that overlap in one storage without being the same view. */
export interface StorageViewsView {
  storageKey: string;
  names: string[];
}

/** What `findTies` found in a model. */
export interface TieReportView {
  groups: TieGroupView[];
  views: StorageViewsView[];
}

/** A member of a tie group as the panel shows it: its Python path and the parameters it opens. */
export interface TieMemberView {
  /** Tensor name, or module qualified name for `module` groups, as the file has it. */
  name: string;
  /** Access path (`shared[4].weight`, `shared[4]`); the name when there is none. */
  path: string;
  /** `missing`: named by metadata but not stored in the file (safetensors drops duplicates). */
  kind: 'parameter' | 'module' | 'missing';
  /** dtype and shape (`float32 [8, 8]`), or the module's type. */
  detail: string;
  /** What a link opens: the tensor itself, or a module's own parameters by local name. */
  parameters: Array<{ name: string; label: string }>;
}

export interface TieGroupRow {
  evidence: TieEvidenceName;
  members: TieMemberView[];
  /** Bytes of one copy. */
  bytes: number;
  /** What storing the group once saves: (members − 1) × bytes. */
  saved: number;
}

/** Everything the tied-parameters page shows. */
export interface TiesPageData {
  file: string;
  fileName: string;
  /** storage, module and metadata groups: the same thing at several names. */
  ties: TieGroupRow[];
  /** content groups: equal bytes, not necessarily tied. */
  identical: TieGroupRow[];
  /** Overlapping views of one storage. */
  views: Array<{ storageKey: string; members: TieMemberView[] }>;
  /** Bytes saved by storing every tied tensor once (each tensor counted once across groups). */
  totalSaved: number;
  /** False when the person cancelled comparing contents (big models): `identical` is then empty. */
  contentCompared: boolean;
}

export interface TiesRequests {
  [method: string]: { params: unknown; result: unknown };
}

export interface TiesNotifications {
  [method: string]: unknown;
  /** webview → host */
  ready: Record<string, never>;
  /** host → webview: the search started (it may read tensors to compare contents). */
  searching: { fileName: string };
  /** host → webview */
  ties: TiesPageData;
  /** host → webview: the file cannot be read. */
  failed: { message: string; fileName: string };
  /** webview → host: open the parameter panel. */
  openParameter: { name: string };
}

// ---- Init report ---------------------------------------------------------------------------

/** A floating parameter of the report, before its scheme is known. */
export interface InitReportParameter {
  name: string;
  path: string;
  dtype: DTypeName;
  shape: number[];
  count: number;
}

/** What the report shows of one detection. */
export interface InitReportResult {
  scheme: string;
  params: Record<string, number | string>;
  fit: { ks: number; p: number; n: number } | null;
  runnerUp: SchemeView | null;
  /** Schemes the values cannot tell from the verdict (see InitView). */
  equivalent?: SchemeView[];
  moduleScheme?: ModuleSchemeView;
  decidedBy?: 'values' | 'module';
}

export interface InitReportNotifications {
  [method: string]: unknown;
  /** webview → host */
  ready: Record<string, never>;
  /** host → webview: the rows to fill (sent on ready and when the file changes). */
  report: { file: string; fileName: string; generation: number; parameters: InitReportParameter[] };
  /** host → webview: one row's detection, or why it failed. */
  row: { generation: number; name: string; result?: InitReportResult; error?: string };
  /** host → webview: rows done so far. */
  progress: { generation: number; done: number; total: number; cancelled?: boolean };
  /** host → webview: the file cannot be read. */
  failed: { message: string; fileName: string };
  /** webview → host: open the parameter panel. */
  openParameter: { name: string };
}

export interface InitReportRequests {
  [method: string]: { params: unknown; result: unknown };
}

// ---- Model diff ----------------------------------------------------------------------------


/** What one name holds in the two files (mirrors model/diff/matchTensors DiffStatus). */
export type DiffStatusName = 'same' | 'dtype-changed' | 'reshaped' | 'added' | 'removed';

/** A row of the diff page before its values are compared. */
export interface DiffRowView {
  /** The second file's name (the first file's for `removed`); opens the second file's parameter. */
  name: string;
  nameA: string | null;
  nameB: string | null;
  status: DiffStatusName;
  dtypeA: DTypeName | null;
  dtypeB: DTypeName | null;
  shapeA: number[] | null;
  shapeB: number[] | null;
  /** Rows compared in the Hugging Face order: llama.cpp's q/k row permutation over this many heads undone. */
  unpermutedHeads?: number;
}

/** Everything the diff page shows before values arrive. */
export interface DiffPageData {
  fileA: string;
  fileB: string;
  fileNameA: string;
  fileNameB: string;
  generation: number;
  rows: DiffRowView[];
  /** Wrapper prefix dropped from one side's names before matching ('' for none). */
  prefix: { a: string; b: string };
  /** The side whose llama.cpp names were matched by their Hugging Face names (a GGUF against its source). */
  hfNames?: 'a' | 'b';
  /** Tensors left out on each side: optimizer state (and buffers without a parameter twin when `buffers` is false). */
  ignored: { a: number; b: number };
  /** Whether buffers (BatchNorm running statistics) were compared, as they are by default. */
  buffers: boolean;
  summary: DiffSummaryView;
}

export interface DiffNotifications {
  [method: string]: unknown;
  /** webview → host */
  ready: Record<string, never>;
  /** host → webview: the rows (sent on ready and when either file changes). */
  diff: DiffPageData;
  /** host → webview: one pair's values, or why they could not be compared. */
  result: { generation: number; name: string; metrics?: TensorDiffView; error?: string; summary: DiffSummaryView };
  /** host → webview: elements compared so far, of all matched pairs. */
  progress: { generation: number; done: number; total: number; cancelled?: boolean };
  /** host → webview: a file cannot be read. */
  failed: { message: string; fileNameA: string; fileNameB: string };
  /** webview → host: open a parameter of the second file. */
  openParameter: { name: string };
}

export interface DiffRequests {
  [method: string]: { params: unknown; result: unknown };
}
