/**
 * The model overview's results (model/overview.ts computes them, the protocol carries them, the
 * page draws them): shares of parameters and bytes by block and by dtype, the repeated blocks'
 * parameter kinds over depth, and the layers flagged as standing apart. Plain data only.
 */

/** The statistics drawn over depth and judged for outliers. */
export const DEPTH_STATS = ['l2', 'std', 'absMax'] as const;
export type DepthStat = (typeof DEPTH_STATS)[number];

/** One block's share: a layer of a stack (`model.layers.3`) or the parent module of a lone tensor. */
export interface BlockShare {
  /** `model.layers.3`, `model.embed_tokens`, or '' for tensors at the top level. */
  block: string;
  /** The stack it belongs to (`model.layers`), if it is a layer. */
  stack?: string;
  parameters: number;
  bytes: number;
  tensors: number;
}

/** Parameters and bytes of one dtype (block-quantized types count their stored bytes). */
export interface DtypeShare {
  dtype: string;
  parameters: number;
  bytes: number;
  tensors: number;
}

/** A stack of repeated blocks: `model.layers` with layers 0…79. */
export interface StackShare {
  stack: string;
  layers: number[];
  parameters: number;
}

/** A parameter kind of a stack (`model.layers.*.self_attn.q_proj.weight`) and its tensor in each layer. */
export interface ParameterKind {
  kind: string;
  stack: string;
  layers: { layer: number; name: string }[];
}

export interface OverviewStructure {
  totalParameters: number;
  totalBytes: number;
  /** Tensors left out of the shares as tied views of another tensor (the same bytes of one storage). */
  tied: number;
  /** Largest first. */
  blocks: BlockShare[];
  /** Most bytes first. */
  dtypes: DtypeShare[];
  stacks: StackShare[];
  /** In the order the file first lists them. */
  kinds: ParameterKind[];
}

/**
 * Why a layer is flagged: `robust`, its statistic's modified z-score among its kind's layers is
 * beyond the cut-off; `zero`, it is all zeros while its siblings are not; `nonfinite`, it holds
 * NaN or ±Inf.
 */
export type OutlierReason = 'robust' | 'zero' | 'nonfinite';

/** A layer flagged for one statistic. */
export interface Outlier {
  kind: string;
  name: string;
  layer: number;
  stat: DepthStat;
  reason: OutlierReason;
  /** The layer's statistic (0 for `zero`; the count of NaN and ±Inf values for `nonfinite`). */
  value: number;
  /** The median of the statistic over the kind's layers. */
  median: number;
  /** The modified z-score of log10(value) among the kind's layers (`robust` only; 0 otherwise). */
  z: number;
}
