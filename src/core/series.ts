/**
 * A training run: the checkpoints of one model in training order, and per tensor one point per
 * checkpoint (issue 16, docs/series.md). Plain data the model layer computes, the CLI prints and
 * the run page will show.
 */

/** What put the checkpoints in order: the step or epoch they record, the number in their names, or modification times. */
export type SeriesOrder = 'step' | 'epoch' | 'name' | 'mtime';

export interface SeriesCheckpoint {
  /** The checkpoint as given or found: a model file, or a Hugging Face `checkpoint-N/` folder. */
  file: string;
  /** The file read for it (the folder's `model.safetensors` or sharded index; else `file`). */
  modelFile: string;
  /** Position in the run, 0 first. */
  order: number;
  epoch?: number;
  step?: number;
  /** The last number in the file's (or folder's) name, when it has one. */
  nameNumber?: number;
  mtimeMs: number;
}

/** A checkpoint not taken into the run, and why. */
export interface SeriesLeftOut {
  file: string;
  reason: string;
}

/** One tensor at one checkpoint, in float64 over its finite values. */
export interface SeriesPoint {
  /** L2 norm, mean, std (n − 1, as torch.std) and max |x| over the finite values; null when undefined. */
  norm: number | null;
  mean: number | null;
  std: number | null;
  maxAbs: number | null;
  nan: number;
  inf: number;
  /** ‖b − a‖ / ‖a‖ against the previous checkpoint; null at the tensor's first point, after a gap, when shapes differ or ‖a‖ = 0 < ‖b − a‖. */
  relPrev: number | null;
  /** ‖b − a‖ / ‖a‖ against the tensor's first point (0 there); null when shapes differ or ‖a‖ = 0 < ‖b − a‖. */
  relFirst: number | null;
}

/**
 * A flag on a tensor (docs/series.md): `frozen` — identical to its first point at every later
 * point; `exploded` — its norm grew more than `EXPLODE_JUMP`× over the previous point or
 * `EXPLODE_TOTAL`× over the first (floating tensors only); `nonFinite` — NaN or ±inf appeared.
 * `at` is the checkpoint order where it first showed.
 */
export type SeriesFlag = { kind: 'frozen' } | { kind: 'exploded'; at: number; factor: number | null } | { kind: 'nonFinite'; at: number };

export interface SeriesTensor {
  /** The state_dict name as the run's first checkpoint holding it names it (wrapper prefixes as the diff drops them). */
  name: string;
  dtype: string;
  shape: number[];
  /** One per checkpoint, in run order; null where the checkpoint has no such tensor (or it could not be read). */
  points: Array<SeriesPoint | null>;
  /** Order of the checkpoint it first appears in, when that is not the first. */
  added?: number;
  /** Order of the first checkpoint without it after it was present. */
  removed?: number;
  flags: SeriesFlag[];
}

export interface SeriesResult {
  orderedBy: SeriesOrder;
  checkpoints: SeriesCheckpoint[];
  leftOut: SeriesLeftOut[];
  tensors: SeriesTensor[];
  /** Non-fatal problems (a tensor that could not be read at one checkpoint), already one line each. */
  warnings: string[];
}

/** Norm growth over the previous point that flags a tensor as exploded. */
export const EXPLODE_JUMP = 10;
/** Norm growth over the first point that flags a tensor as exploded. */
export const EXPLODE_TOTAL = 100;

/** Bins of the run page's ridge plot: every checkpoint's histogram of one tensor on one shared range. */
export const RIDGE_BINS = 128;

/**
 * One tensor's histograms over the run on shared bins (the run page's ridge plot, docs/series.md):
 * torch.histc(x.double(), bins, min, max) of each checkpoint's finite values, with [min, max] the
 * smallest finite min and largest finite max over the checkpoints (widened to [min − 1, max + 1]
 * when they are equal, as histc does).
 */
export interface SeriesRidge {
  name: string;
  bins: number;
  /** The range binned; null when no checkpoint holds a finite value of the tensor (then no counts). */
  min: number | null;
  max: number | null;
  /** Per checkpoint, in run order: the counts; null where it lacks the tensor, it could not be read or there is no range. */
  rows: Array<number[] | null>;
}
