/**
 * Conversion to safetensors (issue 15): the options a caller gives and the result it gets back.
 * The CLI (`paramscope convert`), the worker's `convert` request and the editor's "Convert to
 * safetensors…" command share these types. Plain data only.
 */

/** The dtypes `--dtype` casts floating tensors to (as torch's `.to()`: round to nearest even). */
export const CONVERT_DTYPES = ['float16', 'bfloat16', 'float32'] as const;
export type ConvertDtype = (typeof CONVERT_DTYPES)[number];

export interface ConvertOptions {
  /** Cast floating tensors to this dtype; integer and bool tensors are written unchanged. */
  dtype?: ConvertDtype;
  /** A sub-module: an access path (`rgnet[0][1]`) or a state_dict prefix (`0.1`); keys relative to it. */
  module?: string;
  /** Which entry of a checkpoint dict holds the model when there are several (`model`, `ema`). */
  key?: string;
  /** Replace an existing output (never the input). */
  force?: boolean;
  /** Above this many bytes per file, write `model-0000i-of-0000n.safetensors` and `model.safetensors.index.json`. */
  maxShardBytes?: number;
}

/** A tensor of the source that was not written, and why (optimizer state is not listed). */
export interface ConvertSkipped {
  name: string;
  reason: string;
}

export interface ConvertResult {
  /** Every file written (shards and their index), absolute paths. */
  files: string[];
  /** Tensors written (each shared storage once). */
  tensors: number;
  /** Names kept only in `__metadata__` as ties (`removed name → kept name`). */
  aliases: number;
  /** Bytes of tensor data written (headers excluded). */
  bytes: number;
  /** The source entry the tensors came from (`state_dict`, `model`, a module path), for the message. */
  source: string;
  skipped: ConvertSkipped[];
  /**
   * The source reader's warnings (a tensor whose storage is missing, a refused global): what the
   * file held that the index, and so the output, may lack. Absent when there are none.
   */
  warnings?: string[];
}
