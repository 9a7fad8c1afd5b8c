// `npm run bench`: throughput of full statistics + 256-bin histogram on synthetic 1 GiB safetensors
// files (float32 and bfloat16, normal(0, 0.02) with some exact zeros), measured in one run on the
// page-cached file against raw reads and NumPy, plus `inspect` of a 7B-shaped sharded model and of
// files holding 150,000 small tensors (safetensors and a PyTorch zip) against a plain read.
// Then GGUF: dequantization + statistics of a big Q4_K and a big Q8_0 tensor against NumPy with
// llama.cpp's gguf-py (scripts/bench/gguf.mjs). Then issue 14's targets on tensor count: a 100,000-tensor
// safetensors, a Llama-2-70B-shaped sharded model, a 2,000-tensor .pt (scripts/bench/scale.mjs).
// Then issue 16's: `series` over a run of GPT-2-small-shaped checkpoints (scripts/bench/series.mjs).
// Not a test: it prints a table (see docs/performance.md). Needs `npm run build` first.
//
//   node scripts/bench.mjs [--gib N] [--runs N] [--keep] [--dir DIR] [--gguf-mib N] [--only gguf|safetensors|scale|series] [--tensors N] [--series-n N]
/* global console, process, Buffer, performance, WebAssembly -- Node globals (eslint.config.mjs gives scripts/ no environment) */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchGguf, ggufTable } from './bench/gguf.mjs';
import { benchScale, scaleTable } from './bench/scale.mjs';
import { benchSeries, seriesTable } from './bench/series.mjs';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli.js');
const { values: args } = parseArgs({ options: { gib: { type: 'string', default: '1' }, runs: { type: 'string', default: '3' }, keep: { type: 'boolean' }, dir: { type: 'string' }, 'gguf-mib': { type: 'string', default: '64' }, only: { type: 'string' }, tensors: { type: 'string', default: '100000' }, 'series-n': { type: 'string', default: '10' } } });
const GIB = Number(args.gib);
const RUNS = Number(args.runs);
if (!existsSync(cli) || !existsSync(join(root, 'dist', 'kernels.wasm'))) {
  console.error('bench: run `npm run build` first (dist/cli.js and dist/kernels.wasm are needed)');
  process.exit(2);
}
const dir = args.dir ? (mkdirSync(args.dir, { recursive: true }), args.dir) : mkdtempSync(join(tmpdir(), 'paramscope-bench-'));

// ---- synthetic data ------------------------------------------------------------------------

/** Acklam's rational approximation of the normal quantile (relative error < 1.2e-9). */
function normalQuantile(p) {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const tail = (q) => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * normal(0, sigma) samples, fast: xorshift32 picks a point of a 2^16-entry quantile table and a
 * linear interpolation inside its cell (about 3 ns a value, against ~25 ns for Box–Muller with
 * Math.random). One value in 1024 is an exact zero, as pruned or padded weights have.
 */
function makeNormalSource(sigma, seed) {
  const SIZE = 1 << 16;
  const table = new Float64Array(SIZE + 1);
  for (let i = 0; i <= SIZE; i++) table[i] = sigma * normalQuantile(Math.min(1 - 1e-12, Math.max(1e-12, i / SIZE)));
  let s = seed >>> 0 || 1;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const u = s >>> 0;
      if ((u & 1023) === 0) {
        out[i] = 0;
        continue;
      }
      const hi = u >>> 16;
      const frac = (u & 0xffff) / 65536;
      out[i] = table[hi] + (table[hi + 1] - table[hi]) * frac;
    }
  };
}

/** Writes a one-tensor safetensors file of `bytes` bytes of `dtype`, filled by `fill`. */
function writeSafetensors(path, dtype, shape, bytes, fillChunk) {
  let header = JSON.stringify({ w: { dtype, shape, data_offsets: [0, bytes] } });
  header += ' '.repeat((8 - (header.length % 8)) % 8); // data 8-byte aligned, as safetensors writes it
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, prefix);
    writeSync(fd, header);
    const CHUNK = 16 << 20;
    const buf = Buffer.alloc(CHUNK);
    for (let done = 0; done < bytes; done += CHUNK) {
      const n = Math.min(CHUNK, bytes - done);
      fillChunk(buf.subarray(0, n));
      writeSync(fd, buf, 0, n);
    }
  } finally {
    closeSync(fd);
  }
}

function makeFloat32File(path, bytes) {
  const next = makeNormalSource(0.02, 12345);
  writeSafetensors(path, 'F32', [bytes / 4 / 4096, 4096], bytes, (buf) => next(new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4)));
}

function makeBfloat16File(path, bytes) {
  const next = makeNormalSource(0.02, 54321);
  const f = new Float32Array(1 << 22);
  const u = new Uint32Array(f.buffer);
  writeSafetensors(path, 'BF16', [bytes / 2 / 4096, 4096], bytes, (buf) => {
    const out = new Uint16Array(buf.buffer, buf.byteOffset, buf.length / 2);
    next(f.subarray(0, out.length));
    // Round to nearest even, as torch's float32 → bfloat16 conversion does.
    for (let i = 0; i < out.length; i++) out[i] = (u[i] + 0x7fff + ((u[i] >>> 16) & 1)) >>> 16;
  });
}

// ---- measurements --------------------------------------------------------------------------

/** Reads the whole file with positioned reads into one reused 4 MiB buffer; best of `runs`. */
async function rawRead(path, aligned) {
  const CHUNK = 4 << 20;
  // WebAssembly memory is page-aligned; a plain Uint8Array of this size is malloc'd (16-byte aligned).
  const buf = aligned ? new Uint8Array(new WebAssembly.Memory({ initial: CHUNK / 65536 }).buffer) : new Uint8Array(CHUNK);
  const h = await open(path, 'r');
  try {
    const size = (await h.stat()).size;
    let best = Infinity;
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      for (let off = 0; off < size; ) off += (await h.read(buf, 0, Math.min(CHUNK, size - off), off)).bytesRead;
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    return best;
  } finally {
    await h.close();
  }
}

/** Runs a command under /usr/bin/time -v when present: wall seconds, peak RSS (MB), stdout. */
function timed(cmd, argv, env = {}) {
  const haveTime = existsSync('/usr/bin/time');
  const t = performance.now();
  const r = spawnSync(haveTime ? '/usr/bin/time' : cmd, haveTime ? ['-v', cmd, ...argv] : argv, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  // CPU time (all threads) shows the work done, which other load on the machine changes less than wall time.
  const cpu = user && sys ? Number(user[1]) + Number(sys[1]) : NaN;
  return { seconds, cpu, rssMB: m ? Number(m[1]) / 1024 : NaN, stdout: r.stdout };
}

function best(runs, fn) {
  let out;
  for (let i = 0; i < runs; i++) {
    const r = fn();
    if (!out || r.seconds < out.seconds) out = { ...r, rssMB: Math.max(r.rssMB, out?.rssMB ?? 0), cpu: Math.min(r.cpu, out?.cpu ?? Infinity) };
    else [out.rssMB, out.cpu] = [Math.max(out.rssMB, r.rssMB), Math.min(out.cpu, r.cpu)];
  }
  return out;
}

const NUMPY_JOB = `
import json, sys, time
import numpy as np
path, kind = sys.argv[1], sys.argv[2]
with open(path, 'rb') as f:
    n = int.from_bytes(f.read(8), 'little')
    header = json.loads(f.read(n))
t = time.perf_counter()
raw = np.memmap(path, dtype=np.float32 if kind == 'F32' else np.uint16, mode='r', offset=8 + n)
x = raw if kind == 'F32' else (raw.astype(np.uint32) << 16).view(np.float32)
lo, hi = x.min(), x.max()
mean = x.mean(dtype=np.float64)
std = x.std(dtype=np.float64, ddof=1)
zeros = int(np.count_nonzero(x == 0))
counts, _ = np.histogram(x, bins=256, range=(float(lo), float(hi)))
print(json.dumps({'seconds': time.perf_counter() - t, 'count': int(x.size), 'zeros': zeros, 'mean': float(mean), 'std': float(std)}))
`;

function numpy(path, kind) {
  const py = '/usr/bin/python3';
  if (!existsSync(py) || spawnSync(py, ['-c', 'import numpy'], { encoding: 'utf8' }).status !== 0) return undefined;
  return best(Math.min(RUNS, 2), () => {
    const r = timed(py, ['-c', NUMPY_JOB, path, kind]);
    return { ...r, seconds: r.seconds, job: JSON.parse(r.stdout) };
  });
}

// ---- a 7B-shaped sharded model, headers only -------------------------------------------------

/** Llama-2-7B's 291 tensors (names and shapes as in its Hugging Face checkpoint), float16, in 2 shards. */
function makeSharded7B(folder) {
  mkdirSync(folder, { recursive: true });
  const tensors = [['model.embed_tokens.weight', [32000, 4096]]];
  for (let l = 0; l < 32; l++) {
    const p = `model.layers.${l}`;
    tensors.push(
      [`${p}.self_attn.q_proj.weight`, [4096, 4096]],
      [`${p}.self_attn.k_proj.weight`, [4096, 4096]],
      [`${p}.self_attn.v_proj.weight`, [4096, 4096]],
      [`${p}.self_attn.o_proj.weight`, [4096, 4096]],
      [`${p}.mlp.gate_proj.weight`, [11008, 4096]],
      [`${p}.mlp.up_proj.weight`, [11008, 4096]],
      [`${p}.mlp.down_proj.weight`, [4096, 11008]],
      [`${p}.input_layernorm.weight`, [4096]],
      [`${p}.post_attention_layernorm.weight`, [4096]],
    );
  }
  tensors.push(['model.norm.weight', [4096]], ['lm_head.weight', [32000, 4096]]);
  const half = tensors.findIndex(([n]) => n.startsWith('model.layers.24.'));
  const shards = [tensors.slice(0, half), tensors.slice(half)];
  const weightMap = {};
  let total = 0;
  shards.forEach((list, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    const header = { __metadata__: { format: 'pt' } };
    let offset = 0;
    for (const [name, shape] of list) {
      const bytes = shape.reduce((a, b) => a * b, 1) * 2;
      header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
      weightMap[name] = file;
    }
    total += offset;
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    const path = join(folder, file);
    const fd = openSync(path, 'w');
    writeSync(fd, prefix);
    writeSync(fd, json);
    ftruncateSync(fd, 8 + json.length + offset); // sparse: only the header is ever read
    closeSync(fd);
  });
  const index = join(folder, 'model.safetensors.index.json');
  writeFileSync(index, JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  return { index, tensors: tensors.length, parameters: total / 2 };
}

// ---- many small tensors -----------------------------------------------------------------------

/** Tensor names of a deep model: 15,000 blocks of 10 tensors (`layers.1234.p7.weight`). */
const manyName = (i) => `layers.${Math.floor(i / 10)}.p${i % 10}.weight`;

/** A safetensors file of `n` float32 tensors of 4 values each. */
function makeManySafetensors(path, n) {
  const header = {};
  for (let i = 0; i < n; i++) header[manyName(i)] = { dtype: 'F32', shape: [4], data_offsets: [16 * i, 16 * i + 16] };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([prefix, Buffer.from(json), Buffer.alloc(16 * n)]));
}

/**
 * A torch.save-style zip of a state_dict of `n` float32 tensors, one storage record each, written
 * by the test suite's byte builders (bundled here by esbuild, so no torch is needed).
 */
async function makeManyTorchZip(path, n) {
  const { build } = await import('esbuild');
  const entry = join(dir, 'many-builder.ts');
  writeFileSync(
    entry,
    `import { writeFileSync } from 'node:fs';
import { PickleBuilder, torchZip } from ${JSON.stringify(join(root, 'test', 'unit', 'builders.ts'))};
const [path, n] = [process.argv[2], Number(process.argv[3])];
const p = new PickleBuilder().emptyDict();
const storages = {};
for (let i = 0; i < n; i++) {
  p.str(\`layers.\${Math.floor(i / 10)}.p\${i % 10}.weight\`).floatTensor(String(i), 4).setitem();
  storages[String(i)] = 4;
}
writeFileSync(path, torchZip(p.stop(), storages));
`,
  );
  const out = join(dir, 'many-builder.cjs');
  await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'cjs', logLevel: 'silent' });
  const r = spawnSync(process.execPath, [out, path, String(n)], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not write the many-tensor zip');
}

// ---- run -------------------------------------------------------------------------------------

const fmt = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '—');
const bytes = Math.round(GIB * 2 ** 30);
const rows = [];
console.log(`bench: ${GIB} GiB files in ${dir}, best of ${RUNS}; ${availableParallelism()} cores, ${process.version}`);
let ggufRows = [];
const seriesBench = () => {
  console.log(`series (issue 16): ${args['series-n']} checkpoints`);
  const seriesRows = benchSeries({ cli, dir, runs: RUNS, n: Number(args['series-n']), normal: makeNormalSource(0.02, 16), log: (m) => console.log(m) });
  return seriesTable(seriesRows, fmt);
};
if (args.only === 'series') {
  console.log(`\n${seriesBench()}`);
  if (!args.keep && !args.dir) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
if (args.only === 'scale') {
  console.log(`scale: ${args.tensors} tensors`);
  const scaleRows = await benchScale({ root, cli, dir, runs: RUNS, tensors: Number(args.tensors), log: (m) => console.log(m) });
  console.log(`\n${scaleTable(scaleRows, fmt)}`);
  if (!args.keep && !args.dir) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
if (args.only !== 'safetensors') {
  console.log(`GGUF: ${args['gguf-mib']} MiB of blocks per tensor`);
  ggufRows = benchGguf({ root, cli, dir, runs: RUNS, targetBytes: Number(args['gguf-mib']) * 2 ** 20, timed, best, fmt, log: (m) => console.log(m) });
}
if (args.only === 'gguf') {
  console.log(`\n${ggufTable(ggufRows, fmt)}`);
  if (!args.keep && !args.dir) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
for (const [dtype, make] of [
  ['F32', makeFloat32File],
  ['BF16', makeBfloat16File],
]) {
  const file = join(dir, `normal_${dtype.toLowerCase()}_${GIB}gib.safetensors`);
  if (!existsSync(file) || statSync(file).size < bytes) {
    const t = performance.now();
    make(file, bytes);
    console.log(`  wrote ${file} in ${fmt((performance.now() - t) / 1000, 1)} s`);
  }
  const size = statSync(file).size;
  const readAligned = await rawRead(file, true);
  const readPlain = await rawRead(file, false);
  const ours = best(RUNS, () => timed(process.execPath, [cli, 'stats', file, '--json']));
  const stats = JSON.parse(ours.stdout).parameters[0];
  const inline = best(1, () => timed(process.execPath, [cli, 'stats', file, '--json'], { PARAMSCOPE_KERNELS: 'ts' }));
  const np = numpy(file, dtype);
  const gbps = (s) => size / s / 1e9;
  rows.push({ dtype, size, readAligned, readPlain, ours, inline, np, stats });
  console.log(
    `  ${dtype}: raw read ${fmt(gbps(readAligned))} GB/s (aligned buffer), ${fmt(gbps(readPlain))} GB/s (malloc'd); ` +
      `paramscope ${fmt(ours.seconds, 3)} s = ${fmt(gbps(ours.seconds))} GB/s, peak RSS ${fmt(ours.rssMB, 0)} MB; ` +
      `TS kernels ${fmt(gbps(inline.seconds))} GB/s; numpy ${np ? `${fmt(np.seconds, 2)} s = ${fmt(gbps(np.seconds))} GB/s` : 'n/a'}`,
  );
  if (np && (np.job.count !== stats.count || np.job.zeros !== stats.zeros)) console.log(`  warning: numpy counted ${np.job.count}/${np.job.zeros} zeros, we ${stats.count}/${stats.zeros}`);
}

const model = makeSharded7B(join(dir, 'llama-2-7b-shaped'));
const inspect = best(Math.max(RUNS, 5), () => timed(process.execPath, [cli, 'inspect', model.index, '--json']));
const inspected = JSON.parse(inspect.stdout);
if (inspected.parameters.length !== model.tensors) throw new Error(`inspect found ${inspected.parameters.length} tensors, expected ${model.tensors}`);

// Opening many tiny tensors: the cost should follow the file's bytes, not the tensor count. The
// baseline is a node process that reads the same file whole and parses it as little as any reader
// must (the safetensors header's JSON; for the zip, its bytes only), in this run on this machine.
// The zip has one record per storage, and the test builders write no ZIP64 directory (torch does
// past 65,535 records): 60,000 tensors there.
const many = [];
for (const [label, file, count, make, baselineCode] of [
  ['safetensors', join(dir, 'many.safetensors'), 150_000, makeManySafetensors, `const b=require('fs').readFileSync(process.argv[1]);const n=Number(b.readBigUInt64LE(0));JSON.parse(b.subarray(8,8+n).toString())`],
  ['PyTorch zip', join(dir, 'many.pt'), 60_000, makeManyTorchZip, `require('fs').readFileSync(process.argv[1])`],
]) {
  if (!existsSync(file)) await make(file, count);
  const ours = best(RUNS, () => timed(process.execPath, [cli, 'inspect', file, '--json']));
  if (JSON.parse(ours.stdout).parameters.length !== count) throw new Error(`inspect of ${file} did not list ${count} tensors`);
  const baseline = best(RUNS, () => timed(process.execPath, ['-e', baselineCode, file]));
  many.push({ label, count, size: statSync(file).size, ours, baseline });
  console.log(`  ${count.toLocaleString('en-US')} tensors, ${label}: inspect ${fmt(ours.seconds, 2)} s, baseline read+parse ${fmt(baseline.seconds, 2)} s`);
}

console.log('\n| file | raw read (aligned / malloc\'d buffer) | ParamScope CLI, whole process | CPU time (all threads) | NumPy | ParamScope ÷ NumPy | peak RSS |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const g = (s) => r.size / s / 1e9;
  console.log(
    `| ${fmt(r.size / 2 ** 30, 1)} GiB ${r.dtype === 'F32' ? 'float32' : 'bfloat16'} | ${fmt(g(r.readAligned))} / ${fmt(g(r.readPlain))} GB/s | ` +
      `${fmt(r.ours.seconds, 3)} s, **${fmt(g(r.ours.seconds))} GB/s** (TS kernels: ${fmt(g(r.inline.seconds))} GB/s) | ${fmt(r.ours.cpu, 2)} s | ` +
      `${r.np ? `${fmt(r.np.seconds, 2)} s, ${fmt(g(r.np.seconds))} GB/s` : 'n/a'} | ${r.np ? `${fmt(r.np.seconds / r.ours.seconds, 1)}×` : 'n/a'} | ${fmt(r.ours.rssMB, 0)} MB |`,
  );
}
console.log(`| inspect, ${model.tensors} tensors in 2 shards + index (${(model.parameters / 1e9).toFixed(2)}B params) | | ${fmt(inspect.seconds * 1000, 0)} ms to the full index | ${fmt(inspect.cpu, 2)} s | | | ${fmt(inspect.rssMB, 0)} MB |`);
console.log('\n| many tensors | file | `inspect --json`, whole process | baseline: node reads the file (and parses the safetensors header) | ÷ baseline | peak RSS |');
console.log('|---|---|---|---|---|---|');
for (const m of many) {
  console.log(`| ${m.count.toLocaleString('en-US')} × float32[4], ${m.label} | ${fmt(m.size / 2 ** 20, 1)} MiB | ${fmt(m.ours.seconds, 2)} s | ${fmt(m.baseline.seconds, 2)} s | ${fmt(m.ours.seconds / m.baseline.seconds, 1)}× | ${fmt(m.ours.rssMB, 0)} MB |`);
}
console.log('scale (issue 14):');
const scaleRows = await benchScale({ root, cli, dir, runs: RUNS, tensors: Number(args.tensors), log: (m) => console.log(m) });
console.log(`\n${scaleTable(scaleRows, fmt)}`);
console.log(`\n${seriesBench()}`);
if (ggufRows.length) console.log(`\n${ggufTable(ggufRows, fmt)}`);
if (!args.keep && !args.dir) rmSync(dir, { recursive: true, force: true });
