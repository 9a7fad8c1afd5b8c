// Issue 14's CLI targets: the cost of tensor count, not bytes. Each model is generated here, each
// measurement is a whole `paramscope` process (best of `runs`, peak RSS under /usr/bin/time), and
// each is printed with a baseline measured in the same run on the same file: a node process that
// reads the file whole and parses as little as any reader must (the safetensors headers' JSON), so
// the ratio says how far we are from "just reading it" whatever the machine.
/* global process -- Node globals (eslint.config.mjs gives scripts/ no environment) */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bestOf, run, writeSafetensors } from './common.mjs';

/** A mixture of experts' tensor names: 128 experts × 3 projections per layer, float32 [16, 16] each. */
function moeTensors(n) {
  const out = [];
  for (let l = 0; out.length < n; l++) for (let e = 0; e < 128 && out.length < n; e++) for (const k of ['gate_proj', 'up_proj', 'down_proj']) if (out.length < n) out.push([`model.layers.${l}.mlp.experts.${e}.${k}.weight`, [16, 16]]);
  return out;
}

/** Llama-2-70B's 723 tensors (names and shapes as in its Hugging Face checkpoint), bfloat16, in 28 sparse shards. */
function makeLlama70B(folder) {
  mkdirSync(folder, { recursive: true });
  const [hidden, kv, ff, vocab] = [8192, 1024, 28672, 32000];
  const tensors = [['model.embed_tokens.weight', [vocab, hidden]]];
  for (let l = 0; l < 80; l++) {
    const p = `model.layers.${l}`;
    tensors.push(
      [`${p}.self_attn.q_proj.weight`, [hidden, hidden]],
      [`${p}.self_attn.k_proj.weight`, [kv, hidden]],
      [`${p}.self_attn.v_proj.weight`, [kv, hidden]],
      [`${p}.self_attn.o_proj.weight`, [hidden, hidden]],
      [`${p}.mlp.gate_proj.weight`, [ff, hidden]],
      [`${p}.mlp.up_proj.weight`, [ff, hidden]],
      [`${p}.mlp.down_proj.weight`, [hidden, ff]],
      [`${p}.input_layernorm.weight`, [hidden]],
      [`${p}.post_attention_layernorm.weight`, [hidden]],
    );
  }
  tensors.push(['model.norm.weight', [hidden]], ['lm_head.weight', [vocab, hidden]]);
  const SHARDS = 28;
  const per = Math.ceil(tensors.length / SHARDS);
  const weightMap = {};
  let total = 0;
  for (let s = 0; s < SHARDS; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(SHARDS).padStart(5, '0')}.safetensors`;
    const list = tensors.slice(s * per, (s + 1) * per);
    for (const [name] of list) weightMap[name] = file;
    total += writeSafetensors(join(folder, file), list, { dtype: 'BF16', bytesPer: 2, sparse: true });
  }
  const index = join(folder, 'model.safetensors.index.json');
  writeFileSync(index, JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  return { index, tensors: tensors.length, shards: SHARDS, files: Object.values(weightMap).filter((f, i, a) => a.indexOf(f) === i).map((f) => join(folder, f)) };
}

/** A torch.save zip of a state_dict of `n` float32 tensors of 4,096 values (test/unit/builders.ts, bundled by esbuild). */
async function makeTorchStateDict(root, dir, path, n) {
  const { build } = await import('esbuild');
  const entry = join(dir, 'sd-builder.ts');
  writeFileSync(
    entry,
    `import { writeFileSync } from 'node:fs';
import { PickleBuilder, torchZip } from ${JSON.stringify(join(root, 'test', 'unit', 'builders.ts'))};
const [path, n] = [process.argv[2], Number(process.argv[3])];
const p = new PickleBuilder().emptyDict();
const storages = {};
for (let i = 0; i < n; i++) {
  p.str(\`blocks.\${Math.floor(i / 10)}.p\${i % 10}.weight\`).floatTensor(String(i), 4096).setitem();
  storages[String(i)] = 4096;
}
writeFileSync(path, torchZip(p.stop(), storages));
`,
  );
  const out = join(dir, 'sd-builder.cjs');
  await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'cjs', logLevel: 'silent' });
  const r = spawnSync(process.execPath, [out, path, String(n)], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not write the state_dict zip');
}

/** Reads every file whole and parses each safetensors header's JSON: the floor any reader stands on. */
const READ_AND_PARSE = `const fs=require('fs');for(const f of process.argv.slice(1)){const b=fs.readFileSync(f);if(f.endsWith('.safetensors')){const n=Number(b.readBigUInt64LE(0));JSON.parse(b.subarray(8,8+n).toString())}}`;
/** The same for sparse shards: only the headers (reading 138 GB of holes would be no baseline). */
const READ_HEADERS = `const fs=require('fs');for(const f of process.argv.slice(1)){const fd=fs.openSync(f,'r');const p=Buffer.alloc(8);fs.readSync(fd,p,0,8,0);const n=Number(p.readBigUInt64LE(0));const h=Buffer.alloc(n);fs.readSync(fd,h,0,n,8);JSON.parse(h.toString());fs.closeSync(fd)}`;

/**
 * Runs the measurements; returns rows `{ what, target, seconds, rssMB, baseline, maxSeconds, maxRssMB }`.
 * `tensors`: the mixture of experts' tensor count (100,000 by default).
 */
export async function benchScale({ root, cli, dir, runs, tensors = 100_000, log }) {
  const rows = [];
  const out = join(dir, 'scale-out.json');
  const moe = join(dir, `moe-${tensors}.safetensors`);
  if (!existsSync(moe)) writeSafetensors(moe, moeTensors(tensors), { fill: (i) => Math.sin(i) * 0.02 });
  const moeBase = bestOf(runs, () => run(process.execPath, ['-e', READ_AND_PARSE, moe], out));
  for (const [verb, maxSeconds] of [
    ['inspect', 2],
    ['stats', 10],
  ]) {
    const r = bestOf(runs, () => run(process.execPath, [cli, verb, moe, '--json'], out));
    rows.push({ what: `${verb} --json, ${tensors.toLocaleString('en-US')} tensors (MoE, float32[16,16]), safetensors`, ...r, baseline: moeBase.seconds, maxSeconds, maxRssMB: 300 });
    log(`  ${verb} ${tensors} tensors: ${r.seconds.toFixed(2)} s, ${r.rssMB.toFixed(0)} MB (read+parse ${moeBase.seconds.toFixed(2)} s)`);
  }
  const llama = makeLlama70B(join(dir, 'llama-2-70b-shaped'));
  const llamaBase = bestOf(Math.max(runs, 5), () => run(process.execPath, ['-e', READ_HEADERS, ...llama.files], out));
  const inspect = bestOf(Math.max(runs, 5), () => run(process.execPath, [cli, 'inspect', llama.index, '--json'], out));
  rows.push({ what: `inspect --json, Llama-2-70B-shaped: ${llama.tensors} tensors in ${llama.shards} shards + index`, ...inspect, baseline: llamaBase.seconds, maxSeconds: 0.5 });
  log(`  inspect 70B-shaped: ${inspect.seconds.toFixed(3)} s (headers read+parse ${llamaBase.seconds.toFixed(3)} s)`);
  const pt = join(dir, 'state_dict_2000.pt');
  if (!existsSync(pt)) await makeTorchStateDict(root, dir, pt, 2000);
  const ptBase = bestOf(runs, () => run(process.execPath, ['-e', READ_AND_PARSE, pt], out));
  const ptStats = bestOf(runs, () => run(process.execPath, [cli, 'stats', pt, '--json'], out));
  rows.push({ what: 'stats --json, a 2,000-tensor .pt state_dict (float32[4096] each)', ...ptStats, baseline: ptBase.seconds, maxSeconds: 5 });
  log(`  stats 2,000-tensor .pt: ${ptStats.seconds.toFixed(2)} s (read ${ptBase.seconds.toFixed(2)} s)`);
  rmSync(out, { force: true });
  return rows;
}

export function scaleTable(rows, fmt) {
  const lines = ['| issue 14 target | ParamScope CLI, whole process | peak RSS | baseline (node reads the file(s), parses the header JSON) | ÷ baseline | target | met |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const met = r.seconds < r.maxSeconds && (r.maxRssMB === undefined || r.rssMB < r.maxRssMB);
    lines.push(`| ${r.what} | ${fmt(r.seconds, 2)} s | ${fmt(r.rssMB, 0)} MB | ${fmt(r.baseline, 2)} s | ${fmt(r.seconds / r.baseline, 1)}× | < ${r.maxSeconds} s${r.maxRssMB ? `, < ${r.maxRssMB} MB` : ''} | ${met ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n');
}
