// Issue 16's cost claim: `paramscope series` over a run of GPT-2-small-shaped checkpoints (148
// tensors, 124.4 M float32 parameters, 498 MB each) grows with the run's bytes, in bounded memory.
// The run is generated here as safetensors (one base of normal(0, 0.02) values, every checkpoint
// moved a little on a stripe of each tensor, so every relative change is a real one), and measured
// as whole processes (best of `runs`, peak RSS under /usr/bin/time): the first half of the run and
// the whole run, each against a baseline in the same run on the same files — a node process that
// reads every file whole. `series` reads about five times the run's bytes (docs/series.md, Cost),
// so the ratio to one plain read says how close the kernels are to the disk and page cache.
//   node scripts/bench.mjs --only series [--series-n 10]   (--series-n 50 is the 25 GB run)
/* global process, performance -- Node globals (eslint.config.mjs gives scripts/ no environment) */
import { existsSync, mkdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { bestOf, run, writeSafetensors } from './common.mjs';

/** GPT-2 small's state_dict names and shapes (transformers' GPT2Model, without the attention masks). */
export function gpt2SmallTensors() {
  const [d, vocab, ctx] = [768, 50257, 1024];
  const out = [
    ['wte.weight', [vocab, d]],
    ['wpe.weight', [ctx, d]],
  ];
  for (let l = 0; l < 12; l++) {
    const p = `h.${l}`;
    out.push(
      [`${p}.ln_1.weight`, [d]],
      [`${p}.ln_1.bias`, [d]],
      [`${p}.attn.c_attn.weight`, [d, 3 * d]],
      [`${p}.attn.c_attn.bias`, [3 * d]],
      [`${p}.attn.c_proj.weight`, [d, d]],
      [`${p}.attn.c_proj.bias`, [d]],
      [`${p}.ln_2.weight`, [d]],
      [`${p}.ln_2.bias`, [d]],
      [`${p}.mlp.c_fc.weight`, [d, 4 * d]],
      [`${p}.mlp.c_fc.bias`, [4 * d]],
      [`${p}.mlp.c_proj.weight`, [4 * d, d]],
      [`${p}.mlp.c_proj.bias`, [d]],
    );
  }
  out.push(['ln_f.weight', [d]], ['ln_f.bias', [d]]);
  return out;
}

/**
 * Writes checkpoint `k` of the run: the base values (`base`, float32, the whole data section),
 * every 64th value scaled by (1 + 0.01 k), so each tensor moves a little at every step.
 */
function writeCheckpoint(path, tensors, base, k) {
  writeSafetensors(path, tensors, {
    data: (fd) => {
      const CHUNK = 1 << 22; // values
      const out = new Float32Array(CHUNK);
      for (let at = 0; at < base.length; at += CHUNK) {
        const n = Math.min(CHUNK, base.length - at);
        out.set(base.subarray(at, at + n));
        for (let i = (64 - (at % 64)) % 64; i < n; i += 64) out[i] *= 1 + 0.01 * k;
        writeSync(fd, new Uint8Array(out.buffer, 0, n * 4));
      }
    },
  });
}

/** Reads every file whole, 16 MiB at a time: the floor under any pass over the run's bytes. */
const READ_ALL = `const fs=require('fs');const b=Buffer.alloc(1<<24);for(const f of process.argv.slice(1)){const fd=fs.openSync(f,'r');while(fs.readSync(fd,b,0,b.length,null)>0);fs.closeSync(fd)}`;

/**
 * Generates the run (`n` checkpoints, kept between runs of the bench in `dir`) and measures
 * `series --json` over its first half and over all of it. Returns rows `{ what, n, gb, seconds, rssMB, baseline }`.
 * `normal(out)` fills a Float32Array with normal(0, 0.02) values (bench.mjs's fast source).
 */
export function benchSeries({ cli, dir, runs, n, normal, log }) {
  const tensors = gpt2SmallTensors();
  const values = tensors.reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
  const folder = join(dir, `gpt2-small-run-${n}`);
  mkdirSync(folder, { recursive: true });
  const files = Array.from({ length: n }, (_, k) => join(folder, `step_${1000 * (k + 1)}.safetensors`));
  if (!files.every((f) => existsSync(f) && statSync(f).size > values * 4)) {
    const t = performance.now();
    const base = new Float32Array(values);
    normal(base);
    files.forEach((f, k) => writeCheckpoint(f, tensors, base, k));
    log(`  wrote ${n} GPT-2-small-shaped checkpoints (${((n * values * 4) / 1e9).toFixed(1)} GB) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const out = join(dir, 'series-out.json');
  const rows = [];
  for (const m of [Math.max(2, Math.floor(n / 2)), n]) {
    const some = files.slice(0, m);
    const baseline = bestOf(runs, () => run(process.execPath, ['-e', READ_ALL, ...some], out));
    const ours = bestOf(runs, () => run(process.execPath, [cli, 'series', ...some, '--json'], out));
    rows.push({ what: `series --json, ${m} GPT-2-small-shaped checkpoints (${tensors.length} tensors, ${(values / 1e6).toFixed(1)} M float32 each)`, n: m, gb: (m * values * 4) / 1e9, ...ours, baseline: baseline.seconds });
    log(`  series ${m} checkpoints: ${ours.seconds.toFixed(1)} s, peak RSS ${ours.rssMB.toFixed(0)} MB (read once ${baseline.seconds.toFixed(1)} s)`);
  }
  rmSync(out, { force: true });
  return rows;
}

/**
 * File passes `series` makes over a run of `n` checkpoints: one for each checkpoint's statistics,
 * two for each relative change (both sides read), relPrev and relFirst being one diff at the second
 * checkpoint: n + 2 (1 + 2 (n − 2)) = 5n − 6.
 */
const passes = (n) => 5 * n - 6;

export function seriesTable(rows, fmt) {
  const lines = [
    '| issue 16: a training run | GB | ParamScope CLI, whole process | peak RSS | baseline (node reads every file once) | ÷ baseline | file passes (5n − 6) | ÷ (baseline × passes / n) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) lines.push(`| ${r.what} | ${fmt(r.gb, 1)} | ${fmt(r.seconds, 1)} s | ${fmt(r.rssMB, 0)} MB | ${fmt(r.baseline, 1)} s | ${fmt(r.seconds / r.baseline, 1)}× | ${passes(r.n)} | ${fmt(r.seconds / ((r.baseline * passes(r.n)) / r.n), 2)}× |`);
  if (rows.length === 2) {
    const [a, b] = rows;
    lines.push('', `Twice the run: ${fmt(b.seconds / a.seconds, 2)}× the time for ${fmt(passes(b.n) / passes(a.n), 2)}× the file passes, ${fmt(b.rssMB / a.rssMB, 2)}× the peak RSS.`);
  }
  return lines.join('\n');
}
