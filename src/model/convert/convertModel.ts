import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ConvertOptions, ConvertResult } from '../../core/convert';
import type { ModelIndex } from '../../core/modelIndex';
import { PARAMSCOPE_VERSION } from '../../core/version';
import { OutputExistsError, writeSafetensorsFiles, type WriteFile, type WriteTensor } from '../../runtime/safetensorsWriter';
import { openModel } from '../openModel';
import { ConvertError, METADATA_FORMAT, METADATA_SOURCE, METADATA_TOOL, planConversion, safetensorsHeader, shardFileNames, splitShards, type ConvertPlan, type PlannedTensor } from './plan';

/**
 * `paramscope convert` and the worker's `convert` request: reads the source's index, plans the
 * output (plan.ts), checks the outputs (never an input file, an existing one only with `force`),
 * and streams the tensors into the files (runtime/safetensorsWriter.ts). Errors a person can act
 * on are ConvertError (or the readers' FormatError) with a one-line message.
 */

export interface ConvertRunOptions {
  signal?: AbortSignal;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** See WriteOptions.tileBytes (tests only). */
  tileBytes?: number;
}

/** The real path `p` has or would have (its folder's real path and its name), or an error for a missing folder. */
async function realOrFuture(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    try {
      return join(await realpath(dirname(p)), basename(p));
    } catch {
      throw new ConvertError(`${dirname(p)}: no such folder`);
    }
  }
}

/** The real paths of every file the source's tensors are read from, and the source itself. */
async function inputFiles(file: string, index: ModelIndex): Promise<Set<string>> {
  const files = new Set([file, index.file, ...index.tensors.map((t) => t.location.file)]);
  const real = new Set<string>();
  for (const f of files) real.add(await realpath(f).catch(() => resolve(f)));
  return real;
}

function writeTensors(tensors: readonly PlannedTensor[]): WriteTensor[] {
  return tensors.map((t) => ({ spec: { dtype: t.tensor.dtype, shape: t.tensor.shape, location: t.tensor.location }, dtype: t.dtype, bytes: t.bytes }));
}

/** The files to write: one safetensors file, or shards and their index when `maxShardBytes` splits the tensors. */
export function outputFiles(plan: ConvertPlan, out: string, sourceName: string, maxShardBytes: number | undefined): WriteFile[] {
  const base: Record<string, string> = { [METADATA_FORMAT]: 'pt', [METADATA_SOURCE]: sourceName, [METADATA_TOOL]: `paramscope ${PARAMSCOPE_VERSION}` };
  const shards = maxShardBytes === undefined ? [plan.tensors] : splitShards(plan.tensors, maxShardBytes);
  if (shards.length === 1) {
    const metadata = { ...base, ...Object.fromEntries(plan.aliases) };
    return [{ path: out, header: safetensorsHeader(plan.tensors, metadata).bytes, tensors: writeTensors(plan.tensors) }];
  }
  const names = shardFileNames(basename(out), shards.length);
  const weightMap: Record<string, string> = {};
  const files: WriteFile[] = shards.map((shard, i) => {
    const inShard = new Set(shard.map((t) => t.name));
    for (const t of shard) weightMap[t.name] = names.shards[i]!;
    // Each shard records the ties of its own tensors, so the shard alone says them too.
    const metadata = { ...base, ...Object.fromEntries(plan.aliases.filter(([, kept]) => inShard.has(kept))) };
    return { path: join(dirname(out), names.shards[i]!), header: safetensorsHeader(shard, metadata).bytes, tensors: writeTensors(shard) };
  });
  const totalSize = plan.tensors.reduce((n, t) => n + t.bytes, 0);
  // The Hub's index: {"metadata": {"total_size": N}, "weight_map": {name: shard}}; the ties go in its
  // metadata too (readers of the index, ours included, take them from there).
  const index = { metadata: { total_size: totalSize, ...Object.fromEntries(plan.aliases) }, weight_map: weightMap };
  files.push({ path: join(dirname(out), names.index), text: `${JSON.stringify(index, null, 2)}\n` });
  return files;
}

/** Converts `file` to safetensors at `out` (see docs/convert.md). */
export async function convertModel(file: string, out: string, options: ConvertOptions = {}, run: ConvertRunOptions = {}): Promise<ConvertResult> {
  const source = resolve(file);
  const target = resolve(out);
  const index = await openModel(source, { signal: run.signal });
  const plan = planConversion(index, options);
  const files = outputFiles(plan, target, basename(source), options.maxShardBytes);
  const inputs = await inputFiles(source, index);
  for (const f of files) {
    const real = await realOrFuture(f.path);
    if (inputs.has(real)) throw new ConvertError(`${f.path} is the input (or one of its files); it is never overwritten, choose another output`);
    const existing = await stat(f.path).catch(() => undefined);
    if (existing?.isDirectory()) throw new ConvertError(`${f.path} is a folder; name the output file`);
    if (existing && !options.force) throw new ConvertError(`${f.path} exists; use --force to replace it`);
  }
  try {
    await writeSafetensorsFiles(files, { force: options.force, signal: run.signal, onProgress: run.onProgress, tileBytes: run.tileBytes });
  } catch (e) {
    if (e instanceof OutputExistsError) throw new ConvertError(e.message);
    throw e;
  }
  return {
    files: files.map((f) => f.path),
    tensors: plan.tensors.length,
    aliases: plan.aliases.length,
    bytes: plan.tensors.reduce((n, t) => n + t.bytes, 0),
    source: plan.source,
    skipped: plan.skipped,
    ...(index.warnings.length > 0 ? { warnings: index.warnings } : {}),
  };
}
