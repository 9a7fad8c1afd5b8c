import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { terminalText as show } from './core/displayText';
import { FormatError } from './formats/formatReader';
import { openModel } from './model/openModel';
import { printModuleTree } from './model/printTree';
import { findTies } from './model/ties';
import { describeInit } from './model/init/describeInit';
import { detectModelInit } from './model/init/detectModelInit';
import type { ModelIndex } from './core/modelIndex';
import { progressText, summaryJsonStreamed } from './model/summaryExport';
import { trainingProgress } from './model/trainingState';
import { UnknownParameterError, openWorkerPool, runStats } from './cliStats';
import type { WorkerPool } from './runtime/workerPool';
import { runDiff } from './cliDiff';
import { runOverview } from './cliOverview';
import { writeJson } from './cliJson';
import { runValues, ValuesUsageError } from './cliValues';
import { ConvertUsageError, runConvert } from './cliConvert';
import { runSeries } from './cliSeries';
import { RunError } from './model/series/run';
import { ConvertError } from './model/convert/plan';
import { bitsPerElement, isBlockDType, storageBytes, type DType } from './core/dtypes';

const USAGE = `usage: paramscope <command> <file> [options]
       paramscope diff <a> <b> [--json] [--no-buffers]
       paramscope convert <in> <out.safetensors> [--dtype D] [--module PATH] [--key NAME] [--force]
                          [--max-shard-size SIZE] [--json]
       paramscope series <folder> | <checkpoint>... [--json]

commands:
  inspect <file> [--json]                 module tree, parameters, dtypes, shapes, counts
  stats <file> [--param NAME]... [--json] exact statistics and 256-bin histograms
  values <file> --param NAME... [--slice S] [--limit N] [--json]
                                          a tensor as print(net[2].bias.data) shows it; NAME is a
                                          state_dict name, an access path or an expression
                                          (net[2].bias, rgnet[0][1][0].bias); --slice '0,:,2:5'
                                          indexes as Python does (--slice=-1,: when it starts
                                          with a minus); --limit: elements printed in full
                                          before summarising (default 1000, as torch), or the most
                                          --json values (default 1,000,000); --json gives
                                          {"parameters":[{"name","dtype","shape","values"}]} with
                                          nested lists in row-major order
  overview <file> [--json]                parameter share by block and dtype, each repeated block's
                                          L2 norm, std and max |x| over depth, and the layers that
                                          stand apart (docs/overview.md)
  init <file> [--json]                    which initialisation each floating tensor follows
                                          (scheme, fitted parameters, KS fit, runner-up)
  ties <file> [--json] [--no-content]     tied parameters (shared storage, shared modules, declared
                                          ties) and byte-identical tensors (skip with --no-content)
  diff <a> <b> [--json] [--no-buffers]   parameters added, removed, reshaped, dtype-changed; for the
                                          others relative L2 change ‖b−a‖/‖a‖, max |b−a|, cosine;
                                          buffers (BatchNorm running statistics) are compared too
                                          unless --no-buffers; optimizer state is left out
  convert <in> <out> [options]            write the tensors load_state_dict takes as safetensors,
                                          read without running any pickle: a state_dict's keys, a
                                          pickled module's state_dict (buffers too), a checkpoint's
                                          model entry (--key NAME when several; optimizer state is
                                          never written), or a format's tensor names; tied tensors
                                          once, the other names in __metadata__ as save_model does.
                                          --dtype float16|bfloat16|float32 casts floating tensors as
                                          torch's .to() (GGUF blocks dequantize to float32 unless
                                          --dtype); --module rgnet[0][1] or 0.1: that sub-module's
                                          state_dict, keys relative to it; --max-shard-size 5GB
                                          (500MB, 2GiB, bytes): model-0000i-of-0000n.safetensors
                                          and model.safetensors.index.json as the Hub lays them
                                          out; --force replaces an existing output (never the input);
                                          --json prints {files,tensors,aliases,bytes,source,skipped}
  series <folder> | <ckpt>... [--json]    a training run: the checkpoints of one model (a folder's
                                          model files and checkpoint-N/ folders, others left out
                                          with a reason) ordered by the step or epoch they record
                                          (trainer_state.json too), else the number in their names,
                                          else mtime; per tensor per checkpoint L2 norm, mean, std,
                                          max |x| and relative L2 change against the previous and
                                          the first checkpoint; frozen, exploded and NaN/inf flags
                                          (docs/series.md); optimizer state left out; --json gives
                                          {"orderedBy","checkpoints":[{"file","epoch"|"step","order"}],
                                          "tensors":[{"name","points":[{"norm","mean","std","maxAbs",
                                          "relPrev","relFirst"}],"flags"}]}

Files: .safetensors, *.safetensors.index.json (sharded), PyTorch .pt/.pth/.bin/.ckpt (zip or legacy),\n.gguf (llama.cpp; split models open from their first part).
Exit codes: 0 ok, 1 the file cannot be read, 2 bad usage.`;

class UsageError extends Error {}

/** `Q8_0 14 tensors 87.5% of bytes (8.5 bits) · float32 7 tensors …`: the quantization mix, biggest first. */
function dtypeMixText(index: ModelIndex): string {
  const by = new Map<DType, { tensors: number; bytes: number }>();
  for (const t of index.tensors) {
    const d = by.get(t.dtype) ?? { tensors: 0, bytes: 0 };
    d.tensors++;
    d.bytes += storageBytes(t.dtype, t.count);
    by.set(t.dtype, d);
  }
  const total = [...by.values()].reduce((n, d) => n + d.bytes, 0);
  return [...by.entries()]
    .sort((x, y) => y[1].bytes - x[1].bytes)
    .map(([dtype, d]) => `${dtype} ${d.tensors} tensor${d.tensors === 1 ? '' : 's'} ${total ? ((100 * d.bytes) / total).toFixed(1) : '0'}% of bytes (${+bitsPerElement(dtype).toFixed(4)} bits)`)
    .join(' · ');
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { dtype: { type: 'string' }, module: { type: 'string' }, key: { type: 'string' }, force: { type: 'boolean' }, 'max-shard-size': { type: 'string' }, json: { type: 'boolean' }, param: { type: 'string', multiple: true }, slice: { type: 'string' }, limit: { type: 'string' }, 'no-content': { type: 'boolean' }, 'no-buffers': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [verb, file, ...rest] = positionals;
  if (verb === 'series') {
    if (rest.length === 0 && !file) throw new UsageError('series expects a folder or two or more checkpoint files');
    const seriesOnly = (['dtype', 'module', 'key', 'force', 'max-shard-size', 'param', 'slice', 'limit', 'no-content', 'no-buffers'] as const).filter((o) => values[o] !== undefined);
    if (seriesOnly.length > 0) throw new UsageError(`--${seriesOnly[0]} does not go with series`);
    return runSeries([file!, ...rest], values.json === true);
  }
  // diff and convert take two files, every other verb one.
  if (verb === 'diff' && (!file || rest.length !== 1)) throw new UsageError('diff expects two files');
  if (verb === 'convert' && (!file || rest.length !== 1)) throw new UsageError('convert expects an input file and an output file');
  if (!verb || !file || (verb !== 'diff' && verb !== 'convert' && rest.length > 0)) throw new UsageError('expected a command and one file');
  if (!['inspect', 'stats', 'overview', 'ties', 'init', 'diff', 'values', 'convert'].includes(verb)) throw new UsageError(`unknown command '${verb}'`);
  const convertOnly = (['dtype', 'module', 'key', 'force', 'max-shard-size'] as const).filter((o) => values[o] !== undefined);
  if (verb !== 'convert' && convertOnly.length > 0) throw new UsageError(`--${convertOnly[0]} goes with convert`);
  if (verb !== 'stats' && verb !== 'values' && values.param) throw new UsageError('--param goes with stats and values');
  if (verb !== 'values' && (values.slice !== undefined || values.limit !== undefined)) throw new UsageError('--slice and --limit go with values');
  const limit = values.limit === undefined ? undefined : /^\d+$/.test(values.limit) ? Number(values.limit) : NaN;
  if (Number.isNaN(limit)) throw new UsageError(`--limit expects a count, got '${values.limit}'`);
  if (verb !== 'ties' && values['no-content']) throw new UsageError('--no-content goes with ties');
  if (verb !== 'diff' && values['no-buffers']) throw new UsageError('--no-buffers goes with diff');
  if (verb === 'convert') return runConvert(file, rest[0]!, { dtype: values.dtype, module: values.module, key: values.key, force: values.force, json: values.json, maxShardSize: values['max-shard-size'] });
  if (verb === 'diff') return runDiff(file, rest[0]!, values.json === true, values['no-buffers'] !== true);

  const pool: { current?: WorkerPool } = {};
  try {
    return await runVerb(verb, file, values, limit, pool);
  } finally {
    await pool.current?.dispose();
  }
}

async function runVerb(verb: string, file: string, values: { json?: boolean; param?: string[]; slice?: string; 'no-content'?: boolean }, limit: number | undefined, pools: { current?: WorkerPool }): Promise<number> {
  // stats of every tensor shows no tree and no access paths: an index without them is half the memory.
  const index = await openModel(file, { tree: !(verb === 'stats' && (values.param ?? []).length === 0) });
  // stats and overview compute on the workers. They boot (an isolate and the worker bundle, ~60 ms)
  // only now: booted during the open, their heaps add to the open's peak (the parsed header of
  // 100,000 tensors is garbage by now), which decided the process's peak RSS.
  const pool = verb === 'stats' || verb === 'overview' ? (pools.current = await openWorkerPool()) : undefined;
  for (const w of index.warnings) process.stderr.write(`warning: ${show(w)}\n`);
  for (const n of index.notes) process.stderr.write(`note: ${show(n)}\n`);
  if (verb === 'inspect') {
    if (values.json) {
      writeJson(summaryJsonStreamed(index), 0, (text) => process.stdout.write(text));
      process.stdout.write('\n');
    }
    else {
      const progress = progressText(trainingProgress(index));
      process.stdout.write(`${show(index.file)} · ${index.format} · ${index.totalParameters.toLocaleString('en-US')} parameters${progress ? ` · ${progress}` : ''}\n`);
      // The container's own facts (GGUF: architecture, file type, version) and, for quantized files, the mix of types.
      const facts = Object.entries(index.container ?? {}).map(([k, v]) => `${k} ${show(String(v))}`);
      if (facts.length > 0) process.stdout.write(`${facts.join(' · ')}\n`);
      if (index.tensors.some((t) => isBlockDType(t.dtype))) process.stdout.write(`${dtypeMixText(index)}\n`);
      process.stdout.write(`${printModuleTree(index)}\n`);
    }
    return 0;
  }
  if (verb === 'ties') return runTies(index, values['no-content'] !== true, values.json === true);
  if (verb === 'init') return runInit(index, values.json === true);
  if (verb === 'overview') return runOverview(index, values.json === true, pool);
  if (verb === 'values') return runValues(index, { params: values.param ?? [], slice: values.slice, limit, json: values.json === true });
  return runStats(index, values.param ?? [], values.json === true, pool);
}

async function runInit(index: ModelIndex, json: boolean): Promise<number> {
  const results = await detectModelInit(index);
  if (json) {
    // `candidates` (every scheme tried) feeds the panel's overlay menu; the CLI keeps to the verdict.
    process.stdout.write(`${JSON.stringify({ file: index.file, parameters: results.map(({ candidates: _c, ...r }) => r) })}\n`);
    return 0;
  }
  // One line per tensor (verdict with its parameters, what it means, the fit, the runner-up with its
  // parameters), then an indented line per law the values cannot tell from it and the module type's scheme.
  const lines = results.flatMap((r) => {
    const d = describeInit(r);
    const fit = r.fit ? `  KS ${r.fit.ks} (p ${r.fit.p}, n ${r.fit.n})` : '';
    const alt = d.runnerUp ? `  runner-up ${d.runnerUp}` : '';
    const head = `${show(r.name).padEnd(28)} ${d.label}${d.meaning ? `: ${d.meaning}` : ''}${fit}${alt}`;
    const more = [...d.equivalent.map((e) => `    equivalent: ${e}`), ...(d.module && r.decidedBy === 'module' ? [`    module type: ${show(d.module)}`] : [])];
    return [head, ...more];
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function runTies(index: ModelIndex, content: boolean, json: boolean): Promise<number> {
  const report = await findTies(index, { content });
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const lines = report.groups.map((g) => `${g.evidence.padEnd(8)} ${g.names.map(show).join(' = ')}  (${g.bytes.toLocaleString('en-US')} bytes each)`);
  for (const v of report.views) lines.push(`views    ${v.names.map(show).join(', ')} share storage ${show(v.storageKey)} (overlapping views, not ties)`);
  process.stdout.write(`${lines.length > 0 ? lines.join('\n') : 'no tied or identical parameters'}\n`);
  return 0;
}

// `paramscope inspect big.pt | head -1`: the reader went away, which is not an error of ours. Stop
// quietly (as `git log | head` does) instead of letting Node print an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// A run of this CLI is one batch job whose heap is mostly short-lived garbage (the parsed header of
// 100,000 tensors, a few KB of objects per result). V8 sizes old space by a dynamic factor of up
// to 4x the live heap after each full collection, tuned for long-lived servers: on 100,000
// tensors that let `stats` reach 410 MB and `inspect` 310 MB for ~50-100 MB live. A fixed 1.3x
// (a full collection once the heap grew by 30%) keeps them near 260 and 235 MB for ~10% more CPU
// (docs/performance.md). This process only: the extension host is never given V8 flags.
setFlagsFromString('--heap-growing-percent=30');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError || e instanceof UnknownParameterError || e instanceof ValuesUsageError || e instanceof ConvertUsageError) {
      process.stderr.write(`paramscope: ${show(e.message)}\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      // A person reads this: one line saying what is wrong, never a stack trace.
      const msg = e instanceof FormatError || e instanceof ConvertError || e instanceof RunError ? e.message : `error: ${(e as Error)?.message ?? String(e)}`;
      process.stderr.write(`paramscope: ${show(msg)}\n`);
      process.exitCode = 1;
    }
  },
);
