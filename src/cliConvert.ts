import { terminalText as show } from './core/displayText';
import { CONVERT_DTYPES, type ConvertDtype, type ConvertOptions, type ConvertResult } from './core/convert';
import { convertModel } from './model/convert/convertModel';
import { ConvertError, parseShardSize } from './model/convert/plan';

/** A bad `convert` option (exit code 2, with the usage). */
export class ConvertUsageError extends Error {}

export interface ConvertArgs {
  dtype?: string;
  module?: string;
  key?: string;
  force?: boolean;
  json?: boolean;
  maxShardSize?: string;
}

/** `1.2 MB`: decimal units, as the Hub states shard sizes. */
function sizeText(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${bytes} bytes` : `${v.toFixed(1)} ${units[u]}`;
}

/** The one line a person reads: `wrote out.safetensors: 8 tensors, 1 tie kept in metadata, 1.2 MB (from state_dict)`. */
export function convertSummary(r: ConvertResult): string {
  const shards = r.files.filter((f) => f.endsWith('.safetensors'));
  const where = shards.length > 1 ? `${shards.length} shards and ${r.files.find((f) => f.endsWith('.index.json')) ?? 'an index'}` : (r.files[0] ?? '');
  const ties = r.aliases > 0 ? `, ${r.aliases} tie${r.aliases === 1 ? '' : 's'} kept in metadata` : '';
  return `wrote ${show(where)}: ${r.tensors} tensor${r.tensors === 1 ? '' : 's'}${ties}, ${sizeText(r.bytes)} (from ${show(r.source)})`;
}

/**
 * `paramscope convert IN OUT`: runs in this thread (see docs/convert.md: the conversion is one
 * sequential stream of reads and writes, which a worker would only relay). Ctrl-C cancels it and
 * removes the temporary file before the process exits.
 */
export async function runConvert(file: string, out: string, args: ConvertArgs): Promise<number> {
  if (args.dtype !== undefined && !(CONVERT_DTYPES as readonly string[]).includes(args.dtype)) throw new ConvertUsageError(`--dtype expects one of ${CONVERT_DTYPES.join(', ')}, got '${args.dtype}'`);
  let maxShardBytes: number | undefined;
  try {
    maxShardBytes = args.maxShardSize === undefined ? undefined : parseShardSize(args.maxShardSize);
  } catch (e) {
    throw new ConvertUsageError((e as Error).message);
  }
  const options: ConvertOptions = {
    ...(args.dtype !== undefined ? { dtype: args.dtype as ConvertDtype } : {}),
    ...(args.module !== undefined ? { module: args.module } : {}),
    ...(args.key !== undefined ? { key: args.key } : {}),
    ...(args.force ? { force: true } : {}),
    ...(maxShardBytes !== undefined ? { maxShardBytes } : {}),
  };
  const controller = new AbortController();
  const interrupt = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const result = await convertModel(file, out, options, { signal: controller.signal }).catch((e: unknown) => {
      throw controller.signal.aborted ? new ConvertError('interrupted; nothing was written') : e;
    });
    for (const w of result.warnings ?? []) process.stderr.write(`warning: ${show(w)}\n`);
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(`${convertSummary(result)}\n`);
      for (const s of result.skipped) process.stderr.write(`skipped: ${show(s.name)}: ${show(s.reason)}\n`);
    }
    return 0;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}
