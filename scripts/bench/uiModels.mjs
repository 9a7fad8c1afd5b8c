// The workspace `npm run bench:ui` opens: realistic checkpoints written by this script (names and
// shapes of real models, values drawn from their usual inits), about 1 GB in all, generated once
// into a temporary folder and reused while its version matches. Nothing here is committed.
/* global Buffer */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Bump when the files change, so an old generated workspace is rebuilt. */
const MODELS_VERSION = 1;
/** Pre-drawn standard normal values every tensor's data is scaled from (16 MiB). */
const NORMALS = 1 << 22;
/** Bytes written per write call. */
const CHUNK = 8 << 20;
const GGUF_ALIGNMENT = 32; // GGUF's default general.alignment

/** xorshift32 + Box-Muller: reproducible normal values without a dependency. */
function drawNormals(n, seed = 0x9e3779b9) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next()));
    const a = 2 * Math.PI * next();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

const normals = drawNormals(NORMALS);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** float32 → IEEE half (round to nearest even), enough for values of |x| < 65504. */
function toHalf(x) {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = ((b >>> 23) & 0xff) - 127 + 15;
  const mant = b & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - exp);
    return sign | ((m + 0x1000) >>> 13);
  }
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | ((mant + 0x1000) >>> 13);
}

/** Element values: `normal` (std, mean 0), `ones`, `zeros`. */
function fillChunk(buf, dtype, init, start, count, salt) {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < count; i++) {
    const x = init.kind === 'ones' ? 1 : init.kind === 'zeros' ? 0 : init.std * normals[(start + i + salt * 7919) % NORMALS];
    if (dtype === 'F32') view.setFloat32(i * 4, x, true);
    else if (dtype === 'F16') view.setUint16(i * 2, toHalf(x), true);
    else {
      f32[0] = x;
      view.setUint16(i * 2, u32[0] >>> 16, true); // BF16: the top half of the float32
    }
  }
}

const BYTES = { F32: 4, F16: 2, BF16: 2 };
const elements = (shape) => shape.reduce((a, b) => a * b, 1);

function writeData(fd, tensors) {
  const buf = Buffer.alloc(CHUNK);
  tensors.forEach((t, salt) => {
    const n = elements(t.shape);
    const per = BYTES[t.dtype];
    const perChunk = Math.floor(CHUNK / per);
    for (let done = 0; done < n; done += perChunk) {
      const k = Math.min(perChunk, n - done);
      fillChunk(buf, t.dtype, t.init, done, k, salt);
      writeSync(fd, buf, 0, k * per);
    }
  });
}

/** A .safetensors file: 8-byte header length, JSON header, tensors in order. */
export function writeSafetensors(file, tensors, metadata) {
  const header = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const bytes = elements(t.shape) * BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, len);
    writeSync(fd, Buffer.from(json));
    writeData(fd, tensors);
  } finally {
    closeSync(fd);
  }
  return offset;
}

const normal = (std) => ({ kind: 'normal', std });
const ones = { kind: 'ones' };
const zeros = { kind: 'zeros' };

/** GPT-2 small as Hugging Face's GPT2Model saves it (124,439,808 parameters; Conv1D weights are [in, out]). */
export function gpt2Tensors() {
  const d = 768;
  const layers = 12;
  const proj = normal(0.02 / Math.sqrt(2 * layers)); // GPT-2's scaled init of residual projections
  const t = [
    { name: 'wte.weight', shape: [50257, d], init: normal(0.02) },
    { name: 'wpe.weight', shape: [1024, d], init: normal(0.01) },
  ];
  for (let i = 0; i < layers; i++) {
    const h = `h.${i}`;
    t.push(
      { name: `${h}.ln_1.weight`, shape: [d], init: ones },
      { name: `${h}.ln_1.bias`, shape: [d], init: zeros },
      { name: `${h}.attn.c_attn.weight`, shape: [d, 3 * d], init: normal(0.02) },
      { name: `${h}.attn.c_attn.bias`, shape: [3 * d], init: zeros },
      { name: `${h}.attn.c_proj.weight`, shape: [d, d], init: proj },
      { name: `${h}.attn.c_proj.bias`, shape: [d], init: zeros },
      { name: `${h}.ln_2.weight`, shape: [d], init: ones },
      { name: `${h}.ln_2.bias`, shape: [d], init: zeros },
      { name: `${h}.mlp.c_fc.weight`, shape: [d, 4 * d], init: normal(0.02) },
      { name: `${h}.mlp.c_fc.bias`, shape: [4 * d], init: zeros },
      { name: `${h}.mlp.c_proj.weight`, shape: [4 * d, d], init: proj },
      { name: `${h}.mlp.c_proj.bias`, shape: [d], init: zeros },
    );
  }
  t.push({ name: 'ln_f.weight', shape: [d], init: ones }, { name: 'ln_f.bias', shape: [d], init: zeros });
  return t.map((x) => ({ dtype: 'F32', ...x }));
}

/** A Llama-architecture model (Hugging Face names) of `layers` blocks. */
function llamaTensors({ vocab, d, ffn, layers, kvHeads, heads, dtype }) {
  const kv = (d / heads) * kvHeads;
  const w = normal(0.02);
  const t = [{ name: 'model.embed_tokens.weight', shape: [vocab, d], init: w }];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    t.push(
      { name: `${p}.input_layernorm.weight`, shape: [d], init: ones },
      { name: `${p}.self_attn.q_proj.weight`, shape: [d, d], init: w },
      { name: `${p}.self_attn.k_proj.weight`, shape: [kv, d], init: w },
      { name: `${p}.self_attn.v_proj.weight`, shape: [kv, d], init: w },
      { name: `${p}.self_attn.o_proj.weight`, shape: [d, d], init: w },
      { name: `${p}.post_attention_layernorm.weight`, shape: [d], init: ones },
      { name: `${p}.mlp.gate_proj.weight`, shape: [ffn, d], init: w },
      { name: `${p}.mlp.up_proj.weight`, shape: [ffn, d], init: w },
      { name: `${p}.mlp.down_proj.weight`, shape: [d, ffn], init: w },
    );
  }
  t.push({ name: 'model.norm.weight', shape: [d], init: ones }, { name: 'lm_head.weight', shape: [vocab, d], init: w });
  return t.map((x) => ({ dtype, ...x }));
}

/** A sharded checkpoint as `save_pretrained` writes it: shards + model.safetensors.index.json. */
function writeSharded(dir, tensors, shards) {
  mkdirSync(dir, { recursive: true });
  const per = Math.ceil(tensors.length / shards);
  const weightMap = {};
  let total = 0;
  for (let s = 0; s < shards; s++) {
    const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = tensors.slice(s * per, (s + 1) * per);
    total += writeSafetensors(path.join(dir, name), part, { format: 'pt' });
    for (const t of part) weightMap[t.name] = name;
  }
  writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
}

function ggufString(s) {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(b.length));
  return Buffer.concat([len, b]);
}

/** A GGUF v3 file of F16/F32 tensors with llama.cpp's names (ggml's ne is the shape reversed). */
function writeGguf(file, tensors) {
  const u32b = (v) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return b;
  };
  const u64b = (v) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    return b;
  };
  const parts = [Buffer.from('GGUF'), u32b(3), u64b(tensors.length), u64b(2)];
  parts.push(ggufString('general.architecture'), u32b(8), ggufString('llama'));
  parts.push(ggufString('general.alignment'), u32b(4), u32b(GGUF_ALIGNMENT));
  let offset = 0;
  const padded = (n) => Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  for (const t of tensors) {
    parts.push(ggufString(t.name), u32b(t.shape.length), ...[...t.shape].reverse().map(u64b), u32b(t.dtype === 'F32' ? 0 : 1), u64b(offset));
    offset = padded(offset + elements(t.shape) * BYTES[t.dtype]);
  }
  const head = Buffer.concat(parts);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, head);
    writeSync(fd, Buffer.alloc(padded(head.length) - head.length));
    let at = 0;
    for (const t of tensors) {
      writeData(fd, [t]);
      at += elements(t.shape) * BYTES[t.dtype];
      const pad = padded(at) - at;
      if (pad) writeSync(fd, Buffer.alloc(pad));
      at += pad;
    }
  } finally {
    closeSync(fd);
  }
}

function ggufLlama({ vocab, d, ffn, layers }) {
  const t = [{ name: 'token_embd.weight', shape: [vocab, d], init: normal(0.02), dtype: 'F16' }];
  for (let i = 0; i < layers; i++) {
    const b = `blk.${i}`;
    t.push(
      { name: `${b}.attn_norm.weight`, shape: [d], init: ones, dtype: 'F32' },
      { name: `${b}.attn_q.weight`, shape: [d, d], init: normal(0.02), dtype: 'F16' },
      { name: `${b}.attn_k.weight`, shape: [d, d], init: normal(0.02), dtype: 'F16' },
      { name: `${b}.attn_v.weight`, shape: [d, d], init: normal(0.02), dtype: 'F16' },
      { name: `${b}.attn_output.weight`, shape: [d, d], init: normal(0.02), dtype: 'F16' },
      { name: `${b}.ffn_norm.weight`, shape: [d], init: ones, dtype: 'F32' },
      { name: `${b}.ffn_gate.weight`, shape: [ffn, d], init: normal(0.02), dtype: 'F16' },
      { name: `${b}.ffn_up.weight`, shape: [ffn, d], init: normal(0.02), dtype: 'F16' },
      { name: `${b}.ffn_down.weight`, shape: [d, ffn], init: normal(0.02), dtype: 'F16' },
    );
  }
  t.push({ name: 'output_norm.weight', shape: [d], init: ones, dtype: 'F32' }, { name: 'output.weight', shape: [vocab, d], init: normal(0.02), dtype: 'F16' });
  return t;
}

/** A small MLP: the tensors the bench clicks on (a few hundred values each). */
function smallMlp() {
  return [
    { name: 'fc1.weight', shape: [64, 32], init: normal(0.1) },
    { name: 'fc1.bias', shape: [64], init: normal(0.05) },
    { name: 'fc2.weight', shape: [10, 64], init: normal(0.1) },
    { name: 'fc2.bias', shape: [10], init: normal(0.05) },
  ].map((x) => ({ dtype: 'F32', ...x }));
}

/** What the workspace holds; the bench waits for this many model rows with counts. */
export const BENCH_MODELS = ['gpt2.safetensors', 'llama-sharded', 'tinyllama.gguf', 'vit-b16.safetensors', 'small-mlp.safetensors', 'bert-mini.safetensors'];

/**
 * Generates (or reuses) the bench's models under `root`/models. Returns that folder; a workspace
 * made of hard links to its files is cheap to make per run (the workbench keys state by folder).
 */
export function ensureBenchModels(root, log = () => {}) {
  const dir = path.join(root, 'models');
  const marker = path.join(dir, '.version');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === String(MODELS_VERSION)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  writeSafetensors(path.join(dir, 'gpt2.safetensors'), gpt2Tensors(), { format: 'pt' });
  writeSharded(path.join(dir, 'llama-sharded'), llamaTensors({ vocab: 32000, d: 1024, ffn: 2816, layers: 8, heads: 16, kvHeads: 4, dtype: 'BF16' }), 3);
  writeGguf(path.join(dir, 'tinyllama.gguf'), ggufLlama({ vocab: 32000, d: 512, ffn: 1408, layers: 6 }));
  writeSafetensors(path.join(dir, 'vit-b16.safetensors'), vitTensors(), { format: 'pt' });
  writeSafetensors(path.join(dir, 'small-mlp.safetensors'), smallMlp());
  writeSafetensors(path.join(dir, 'bert-mini.safetensors'), bertTensors());
  writeFileSync(marker, String(MODELS_VERSION));
  log(`generated the bench models in ${((Date.now() - started) / 1000).toFixed(1)} s (${dir})`);
  return dir;
}

/** ViT-B/16 (timm names, 86M parameters) in F16. */
function vitTensors() {
  const d = 768;
  const t = [
    { name: 'cls_token', shape: [1, 1, d], init: normal(1e-6) },
    { name: 'pos_embed', shape: [1, 197, d], init: normal(0.02) },
    { name: 'patch_embed.proj.weight', shape: [d, 3, 16, 16], init: normal(0.02) },
    { name: 'patch_embed.proj.bias', shape: [d], init: zeros },
  ];
  for (let i = 0; i < 12; i++) {
    const b = `blocks.${i}`;
    t.push(
      { name: `${b}.norm1.weight`, shape: [d], init: ones },
      { name: `${b}.norm1.bias`, shape: [d], init: zeros },
      { name: `${b}.attn.qkv.weight`, shape: [3 * d, d], init: normal(0.02) },
      { name: `${b}.attn.qkv.bias`, shape: [3 * d], init: zeros },
      { name: `${b}.attn.proj.weight`, shape: [d, d], init: normal(0.02) },
      { name: `${b}.attn.proj.bias`, shape: [d], init: zeros },
      { name: `${b}.norm2.weight`, shape: [d], init: ones },
      { name: `${b}.norm2.bias`, shape: [d], init: zeros },
      { name: `${b}.mlp.fc1.weight`, shape: [4 * d, d], init: normal(0.02) },
      { name: `${b}.mlp.fc1.bias`, shape: [4 * d], init: zeros },
      { name: `${b}.mlp.fc2.weight`, shape: [d, 4 * d], init: normal(0.02) },
      { name: `${b}.mlp.fc2.bias`, shape: [d], init: zeros },
    );
  }
  t.push({ name: 'norm.weight', shape: [d], init: ones }, { name: 'norm.bias', shape: [d], init: zeros }, { name: 'head.weight', shape: [1000, d], init: normal(0.02) }, { name: 'head.bias', shape: [1000], init: zeros });
  return t.map((x) => ({ dtype: 'F16', ...x }));
}

/** BERT-mini (4 layers, 256 wide; Hugging Face names), F32. */
function bertTensors() {
  const d = 256;
  const t = [
    { name: 'bert.embeddings.word_embeddings.weight', shape: [30522, d], init: normal(0.02) },
    { name: 'bert.embeddings.position_embeddings.weight', shape: [512, d], init: normal(0.02) },
    { name: 'bert.embeddings.token_type_embeddings.weight', shape: [2, d], init: normal(0.02) },
    { name: 'bert.embeddings.LayerNorm.weight', shape: [d], init: ones },
    { name: 'bert.embeddings.LayerNorm.bias', shape: [d], init: zeros },
  ];
  for (let i = 0; i < 4; i++) {
    const l = `bert.encoder.layer.${i}`;
    for (const m of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      t.push({ name: `${l}.${m}.weight`, shape: [d, d], init: normal(0.02) }, { name: `${l}.${m}.bias`, shape: [d], init: zeros });
    }
    t.push(
      { name: `${l}.attention.output.LayerNorm.weight`, shape: [d], init: ones },
      { name: `${l}.attention.output.LayerNorm.bias`, shape: [d], init: zeros },
      { name: `${l}.intermediate.dense.weight`, shape: [4 * d, d], init: normal(0.02) },
      { name: `${l}.intermediate.dense.bias`, shape: [4 * d], init: zeros },
      { name: `${l}.output.dense.weight`, shape: [d, 4 * d], init: normal(0.02) },
      { name: `${l}.output.dense.bias`, shape: [d], init: zeros },
      { name: `${l}.output.LayerNorm.weight`, shape: [d], init: ones },
      { name: `${l}.output.LayerNorm.bias`, shape: [d], init: zeros },
    );
  }
  return t.map((x) => ({ dtype: 'F32', ...x }));
}
