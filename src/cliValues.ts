import { terminalText as show } from './core/displayText';
import type { ModelIndex, TensorEntry } from './core/modelIndex';
import { expressionsAt } from './model/pythonExpression';
import { resolveSteps } from './model/resolveExpression';
import { formatNumpyArray, NUMPY_PRINT_DEFAULTS } from './model/numpyPrint';
import { formatTorchTensor, printPlan, TORCH_PRINT_DEFAULTS } from './model/torchPrint';
import { FileByteSource } from './runtime/byteSource';
import type { TensorRef } from './runtime/elementStream';
import { MAX_READ_VALUES } from './runtime/readValues';
import { applySlice, complexAsPairs, IndexError, readIndexed, type ReadNumbers } from './runtime/tensorIndexing';
import { UnknownParameterError } from './cliStats';
import { viewDType } from './runtime/dequantizedView';

/** `--json` values: the most one call returns unless `--limit` says more (a 16M cap in all). */
export const DEFAULT_JSON_LIMIT = 1_000_000;

/** A slice or limit that does not fit: bad usage (exit 2), said in one line. */
export class ValuesUsageError extends Error {}

/** One `values --json` entry: the selection's shape and its values in logical row-major order. */
export interface ParameterValuesJson {
  name: string;
  /** Its access path (`net[2].bias`), or '' where the file gives none. */
  path: string;
  dtype: string;
  /** The slice as asked (`0,:,2:5`), or null for the whole tensor. */
  slice: string | null;
  /** Shape of the selection (the tensor's, or the slice's). */
  shape: number[];
  /**
   * Nested lists as `t.tolist()` gives them (a 0-d selection is one value). NaN and ±inf are the
   * strings `NaN`, `Infinity`, `-Infinity` (JSON has no such numbers); 64-bit integers beyond
   * 2^53 are decimal strings, so no digit is lost; -0 is written 0 (JSON.stringify keeps no sign of zero).
   */
  values: JsonValue;
}

type JsonScalar = number | string | boolean;
type JsonValue = JsonScalar | JsonValue[];

/**
 * The tensor a `--param` names: its state_dict name, its access path, or a Python expression as
 * the code writes it (`net[2].bias.data`, `rgnet[0][1][0].bias`, `sd['0.weight']`).
 */
export function findParameter(index: ModelIndex, wanted: string): TensorEntry {
  const byName = index.tensors.find((t) => t.name === wanted) ?? index.tensors.find((t) => t.path === wanted);
  if (byName) return byName;
  const text = wanted.trim();
  for (const e of expressionsAt(text, Math.max(0, text.length - 1))) {
    if (e.kind !== 'chain' || e.start !== 0) continue;
    const target = resolveSteps(index, e.steps);
    if (target?.kind === 'tensor') return target.tensor;
  }
  throw new UnknownParameterError(`no parameter '${wanted}' in ${index.file} (try: ${index.tensors.slice(0, 3).map((x) => x.path || x.name).join(', ')}…)`);
}

function selection(t: TensorEntry, slice: string | undefined): TensorRef {
  const ref: TensorRef = { dtype: t.dtype, shape: t.shape, location: t.location };
  if (slice === undefined) return ref;
  try {
    return applySlice(ref, slice);
  } catch (e) {
    if (e instanceof IndexError) throw new ValuesUsageError(`${t.name}[${slice}]: ${e.message}`);
    throw e;
  }
}

function jsonScalar(dtype: string, v: number | bigint): JsonScalar {
  if (typeof v === 'bigint') return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v.toString();
  if (dtype === 'bool') return v !== 0;
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

/** Row-major values nested by `shape`, as `tolist()` nests them. */
function nest(dtype: string, shape: readonly number[], values: ReadNumbers): JsonValue {
  let at = 0;
  const build = (d: number): JsonValue => {
    if (d === shape.length) return jsonScalar(dtype, values[at++]!);
    return Array.from({ length: shape[d]! }, () => build(d + 1));
  };
  return build(0);
}

export interface ValuesOptions {
  params: readonly string[];
  slice?: string;
  /** Text: elements printed in full before summarising (torch's `threshold`); JSON: most values returned. */
  limit?: number;
  json: boolean;
}

/**
 * Formats whose Python library hands back NumPy arrays (`np.load`, `onnx.numpy_helper.to_array`,
 * Keras's `get_weights()`): their tensors print as NumPy's `repr`, the others as torch's `print`.
 * (GGUF stays torch's: gguf-py gives NumPy arrays too, but of the raw blocks, not the values.)
 */
const NUMPY_STYLE_FORMATS = new Set(['npy', 'npz', 'onnx', 'keras']);

/** `paramscope values`: a tensor as `print(t)` shows it (or NumPy's repr, for NumPy's formats), or its values as JSON. */
export async function runValues(index: ModelIndex, opts: ValuesOptions): Promise<number> {
  if (opts.params.length === 0) throw new ValuesUsageError('values needs --param NAME (a state_dict name, an access path or an expression)');
  const limit = opts.limit ?? (opts.json ? DEFAULT_JSON_LIMIT : (NUMPY_STYLE_FORMATS.has(index.format) ? NUMPY_PRINT_DEFAULTS : TORCH_PRINT_DEFAULTS).threshold);
  if (!Number.isSafeInteger(limit) || limit < 0 || (opts.json && limit > MAX_READ_VALUES)) throw new ValuesUsageError(`--limit must be an integer in 0..${MAX_READ_VALUES}`);
  const tensors = opts.params.map((p) => findParameter(index, p));
  const sources = new Map<string, FileByteSource>();
  try {
    const source = async (file: string): Promise<FileByteSource> => {
      let s = sources.get(file);
      if (!s) sources.set(file, (s = await FileByteSource.open(file)));
      return s;
    };
    const json: ParameterValuesJson[] = [];
    const text: string[] = [];
    for (const t of tensors) {
      const view = selection(t, opts.slice);
      const src = await source(view.location.file);
      if (opts.json) {
        const count = view.shape.reduce((a, b) => a * b, 1);
        if (count > limit) throw new ValuesUsageError(`${t.name}${opts.slice ? `[${opts.slice}]` : ''} has ${count.toLocaleString('en-US')} values, more than --limit ${limit.toLocaleString('en-US')}; narrow it with --slice or raise --limit`);
        const values = await readIndexed(src, view, view.shape.map((n) => Array.from({ length: n }, (_, i) => i)));
        json.push({ name: t.name, path: t.path, dtype: t.dtype, slice: opts.slice ?? null, shape: [...view.shape], values: nest(t.dtype, view.shape, values) });
      } else {
        const numpy = NUMPY_STYLE_FORMATS.has(index.format);
        const printOpts = { ...(numpy ? NUMPY_PRINT_DEFAULTS : TORCH_PRINT_DEFAULTS), threshold: limit };
        const plan = printPlan(view.shape, printOpts);
        const complex = numpy && view.dtype.startsWith('complex');
        // NumPy prints complex arrays: read them as (real, imaginary) pairs.
        const values = await readIndexed(src, complex ? complexAsPairs(view) : view, complex ? [...plan.indices, [0, 1]] : plan.indices);
        const printed = numpy ? formatNumpyArray(viewDType(view.dtype), view.shape, values, printOpts) : formatTorchTensor(viewDType(view.dtype), view.shape, values, printOpts);
        // Several tensors: each under its name, as `for k, v in sd.items(): print(k); print(v)` would.
        text.push(tensors.length > 1 ? `${show(t.path || t.name)}${opts.slice ? `[${show(opts.slice)}]` : ''}\n${printed}` : printed);
      }
    }
    process.stdout.write(opts.json ? `${JSON.stringify({ file: index.file, parameters: json })}\n` : `${text.join('\n\n')}\n`);
    return 0;
  } finally {
    await Promise.all([...sources.values()].map((s) => s.close()));
  }
}
