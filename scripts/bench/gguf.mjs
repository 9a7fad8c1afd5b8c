// GGUF rows of `npm run bench`: dequantization + full statistics (moments and a 256-bin histogram,
// what `paramscope stats` computes) of one big Q4_K and one big Q8_0 tensor, as a whole CLI process,
// against NumPy doing the same job with llama.cpp's gguf-py (`gguf.quants.dequantize`) in the same
// run. See docs/performance.md ("GGUF").
/* global process, Buffer, performance -- Node globals (eslint.config.mjs gives scripts/ no environment) */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Where gguf-py comes from when GGUF_PY is not set: the llama.cpp mirror (never copied into the repo). */
const LLAMA_GIT = process.env.LLAMA_GIT ?? '/work/.mirror/ggerganov+llama.cpp/repo';
const PYTHON = '/usr/bin/python3';

/** The two benchmarked types: ggml type id, block layout, where the fp16 scales sit in a block. */
export const GGUF_BENCH_TYPES = [
  { label: 'Q4_K', id: 12, blockValues: 256, blockBytes: 144, scaleOffsets: [0, 2] }, // d, dmin
  { label: 'Q8_0', id: 8, blockValues: 32, blockBytes: 34, scaleOffsets: [0] }, // d
];

const ALIGNMENT = 32; // GGUF's default general.alignment
const COLUMNS = 4096;

/** The fixture's blocks of `type` (every tensor of test/fixtures/gguf/types/<label>.gguf, made by ggml). */
function fixtureBlocks(root, type) {
  const folder = join(root, 'test', 'fixtures', 'gguf', 'types');
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
  const entry = manifest.types.find((t) => t.label === type.label);
  const file = readFileSync(join(folder, entry.file));
  const parts = entry.tensors.map((t) => file.subarray(t.fileOffset, t.fileOffset + t.nbytes));
  return Buffer.concat(parts);
}

function ggufString(s) {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(b.length));
  return Buffer.concat([len, b]);
}

/**
 * A GGUF v3 file of one tensor `name` [rows, 4096] (ggml's ne = [4096, rows]) whose data are the
 * fixture's ggml-made blocks tiled. Copy k of the tiling gets the low 6 mantissa bits of every fp16
 * scale replaced by k mod 64 (sign and exponent kept, so finite scales stay finite and within ~6% of
 * the original), so the tensor's values are not one short pattern repeated. Metadata: just
 * general.architecture and general.alignment.
 */
export function writeBigGguf(root, path, type, targetBytes) {
  const rowBytes = (COLUMNS / type.blockValues) * type.blockBytes;
  const rows = Math.ceil(targetBytes / rowBytes);
  const dataBytes = rows * rowBytes;
  const u32 = (v) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return b;
  };
  const u64 = (v) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    return b;
  };
  const header = Buffer.concat([
    Buffer.from('GGUF'),
    u32(3),
    u64(1), // tensor count
    u64(2), // metadata count
    ggufString('general.architecture'),
    u32(8), // string
    ggufString('llama'),
    ggufString('general.alignment'),
    u32(4), // uint32
    u32(ALIGNMENT),
    ggufString('w'),
    u32(2), // n_dims
    u64(COLUMNS),
    u64(rows),
    u32(type.id),
    u64(0), // offset in the data section
  ]);
  const padded = Buffer.alloc(Math.ceil(header.length / ALIGNMENT) * ALIGNMENT);
  header.copy(padded);

  const blocks = fixtureBlocks(root, type);
  const perTile = blocks.length / type.blockBytes;
  const CHUNK_BLOCKS = Math.floor((8 << 20) / type.blockBytes);
  const buf = Buffer.alloc(CHUNK_BLOCKS * type.blockBytes);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, padded);
    const totalBlocks = dataBytes / type.blockBytes;
    for (let done = 0; done < totalBlocks; ) {
      const n = Math.min(CHUNK_BLOCKS, totalBlocks - done);
      for (let i = 0; i < n; i++) {
        const b = done + i;
        const at = i * type.blockBytes;
        blocks.copy(buf, at, (b % perTile) * type.blockBytes, ((b % perTile) + 1) * type.blockBytes);
        const k = Math.floor(b / perTile) & 63;
        for (const s of type.scaleOffsets) buf[at + s] = (buf[at + s] & 0xc0) | k;
      }
      writeSync(fd, buf, 0, n * type.blockBytes);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return { rows, elements: rows * COLUMNS, dataBytes };
}

// NumPy's job: gguf-py's reader (a memmap) and dequantize, then the statistics `paramscope stats`
// gives (min, max, mean, ddof=1 std in float64, zeros, a 256-bin histogram on [min, max]).
const NUMPY_GGUF_JOB = `
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize
path = sys.argv[1]
t = time.perf_counter()
tensor = GGUFReader(path).tensors[0]
x = dequantize(tensor.data, tensor.tensor_type)
t_deq = time.perf_counter()
lo, hi = x.min(), x.max()
mean = x.mean(dtype=np.float64)
std = x.std(dtype=np.float64, ddof=1)
zeros = int(np.count_nonzero(x == 0))
counts, _ = np.histogram(x, bins=256, range=(float(lo), float(hi)))
print(json.dumps({'seconds': time.perf_counter() - t, 'dequantize': t_deq - t, 'count': int(x.size), 'zeros': zeros, 'min': float(lo), 'max': float(hi), 'mean': float(mean), 'std': float(std), 'counts': [int(c) for c in counts]}))
`;

/**
 * gguf-py on a PYTHONPATH, or why not: GGUF_PY (a gguf-py folder) when set, else extracted from
 * the llama.cpp mirror's HEAD into `dir`. gguf.vocab imports sentencepiece, which may be missing:
 * a stub stands in (as test/fixtures/gguf/gen/build.sh does; the vocabulary code is not used).
 */
export function ggufPyPath(dir) {
  if (!existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status !== 0) return { skipped: `${PYTHON} with NumPy not found` };
  let gguf = process.env.GGUF_PY;
  let commit = 'GGUF_PY';
  if (!gguf) {
    if (!existsSync(LLAMA_GIT)) return { skipped: `no gguf-py (set GGUF_PY to a gguf-py folder, or LLAMA_GIT to a llama.cpp git dir; ${LLAMA_GIT} not found)` };
    const out = join(dir, 'llama-src');
    mkdirSync(out, { recursive: true });
    const r = spawnSync('sh', ['-c', `git -C "$1" archive HEAD gguf-py | tar -x -C "$2"`, 'sh', LLAMA_GIT, out], { encoding: 'utf8' });
    if (r.status !== 0) return { skipped: `could not extract gguf-py from ${LLAMA_GIT}: ${r.stderr.trim()}` };
    gguf = join(out, 'gguf-py');
    commit = spawnSync('git', ['-C', LLAMA_GIT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  }
  const shim = join(dir, 'pyshim');
  mkdirSync(shim, { recursive: true });
  writeFileSync(join(shim, 'sentencepiece.py'), 'class SentencePieceProcessor:\n    def __init__(self, *a, **k):\n        raise RuntimeError("sentencepiece stub")\n');
  const pythonPath = [gguf, shim, process.env.PYTHONPATH].filter(Boolean).join(':');
  const check = spawnSync(PYTHON, ['-c', 'import gguf.quants'], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: pythonPath } });
  if (check.status !== 0) return { skipped: `gguf-py does not import: ${check.stderr.trim().split('\n').pop()}` };
  return { pythonPath, source: commit };
}

/**
 * Measures each type: writes the file (unless present), reads it once (page cache), then runs the
 * CLI (best of `runs`) and NumPy (best of min(runs, 2)) on it. `timed`/`best` are bench.mjs's.
 */
export function benchGguf({ root, cli, dir, runs, targetBytes, timed, best, fmt, log }) {
  const py = ggufPyPath(dir);
  if (py.skipped) log(`  NumPy baseline skipped: ${py.skipped}`);
  else log(`  NumPy baseline: gguf-py of llama.cpp ${py.source} (gguf.quants.dequantize), ${PYTHON}`);
  const rows = [];
  for (const type of GGUF_BENCH_TYPES) {
    const file = join(dir, `big_${type.label.toLowerCase()}.gguf`);
    const rowBytes = (COLUMNS / type.blockValues) * type.blockBytes;
    const rowsWanted = Math.ceil(targetBytes / rowBytes);
    if (!existsSync(file) || statSync(file).size < rowsWanted * rowBytes) {
      const t = performance.now();
      writeBigGguf(root, file, type, targetBytes);
      log(`  wrote ${file} in ${fmt((performance.now() - t) / 1000, 1)} s`);
    }
    readFileSync(file); // page-cache it
    const ours = best(runs, () => timed(process.execPath, [cli, 'stats', file, '--param', 'w', '--json']));
    const stats = JSON.parse(ours.stdout).parameters[0];
    if (stats.error) throw new Error(`paramscope stats failed on ${file}: ${stats.error}`);
    const tsKernels = best(1, () => timed(process.execPath, [cli, 'stats', file, '--param', 'w', '--json'], { PARAMSCOPE_KERNELS: 'ts' }));
    let np;
    if (!py.skipped) {
      np = best(Math.min(runs, 2), () => {
        const r = timed(PYTHON, ['-c', NUMPY_GGUF_JOB, file], { PYTHONPATH: py.pythonPath });
        return { ...r, job: JSON.parse(r.stdout) };
      });
      const j = np.job;
      const agree = j.count === stats.count && j.zeros === stats.zeros && j.min === stats.min && j.max === stats.max && Math.abs(j.mean - stats.mean) <= 1e-9 * Math.abs(j.std);
      if (!agree) log(`  warning: NumPy and paramscope disagree on ${type.label}: numpy ${JSON.stringify({ count: j.count, zeros: j.zeros, min: j.min, max: j.max, mean: j.mean })}, ours ${JSON.stringify({ count: stats.count, zeros: stats.zeros, min: stats.min, max: stats.max, mean: stats.mean })}`);
      const binsDiffer = stats.histogram ? j.counts.reduce((a, c, i) => a + (c !== stats.histogram.counts[i] ? 1 : 0), 0) : -1;
      if (binsDiffer !== 0) log(`  note: ${binsDiffer} of 256 histogram bins differ from numpy's (np.histogram's bin edges round differently from torch.histc's at bin boundaries)`);
    }
    const size = statSync(file).size;
    rows.push({ type, file, size, elements: stats.count, ours, tsKernels, np });
    log(
      `  ${type.label}: ${fmt(size / 2 ** 20, 1)} MiB, ${(stats.count / 1e6).toFixed(1)} M values; paramscope ${fmt(ours.seconds, 3)} s (CPU ${fmt(ours.cpu, 2)} s), peak RSS ${fmt(ours.rssMB, 0)} MB; ` +
        `TS kernels ${fmt(tsKernels.seconds, 2)} s; numpy ${np ? `${fmt(np.seconds, 2)} s (dequantize ${fmt(np.job.dequantize, 2)} s), peak RSS ${fmt(np.rssMB, 0)} MB` : 'skipped'}`,
    );
  }
  return rows;
}

/** The GGUF table, markdown. */
export function ggufTable(rows, fmt) {
  const lines = [
    '| tensor (GGUF, page-cached) | ParamScope CLI `stats`, whole process | CPU time (all threads) | TS kernels only | NumPy (gguf-py dequantize + stats), whole process | ParamScope ÷ NumPy | peak RSS ParamScope / NumPy |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const mvals = r.elements / 1e6;
    lines.push(
      `| ${r.type.label} [${r.elements / COLUMNS}, ${COLUMNS}], ${fmt(r.size / 2 ** 20, 1)} MiB, ${fmt(mvals, 1)} M values | ${fmt(r.ours.seconds, 3)} s, **${fmt(mvals / r.ours.seconds, 0)} M values/s** | ${fmt(r.ours.cpu, 2)} s | ${fmt(r.tsKernels.seconds, 2)} s | ` +
        `${r.np ? `${fmt(r.np.seconds, 2)} s (dequantize ${fmt(r.np.job.dequantize, 2)} s)` : 'skipped'} | ${r.np ? `**${fmt(r.np.seconds / r.ours.seconds, 1)}×**` : 'n/a'} | ${fmt(r.ours.rssMB, 0)} MB / ${r.np ? `${fmt(r.np.rssMB, 0)} MB` : 'n/a'} |`,
    );
  }
  return lines.join('\n');
}
