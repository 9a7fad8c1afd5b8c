/**
 * llama.cpp's tensor names and the Hugging Face (transformers) names they were converted from, for
 * the architectures whose mapping is known here. Source: llama.cpp's gguf-py
 * (gguf/constants.py `TENSOR_NAMES`, gguf/tensor_mapping.py) and convert_hf_to_gguf.py, whose
 * `LlamaModel.modify_tensors` permutes the rows of q_proj and k_proj so that rotary embeddings
 * apply to interleaved pairs: `w.reshape(n_head, 2, rows / n_head / 2, cols).swapaxes(1, 2)`
 * (k_proj with the key/value head count).
 */

/** Block-level GGUF names (`blk.N.<name>`) and their Hugging Face names under `model.layers.N.`. */
const BLOCK_NAMES: Readonly<Record<string, string>> = {
  attn_norm: 'input_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  attn_q_norm: 'self_attn.q_norm',
  attn_k_norm: 'self_attn.k_norm',
  ffn_norm: 'post_attention_layernorm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};

/** Model-level names. */
const TOP_NAMES: Readonly<Record<string, string>> = {
  token_embd: 'model.embed_tokens',
  output_norm: 'model.norm',
  output: 'lm_head',
};

/**
 * Architectures (`general.architecture`) laid out as transformers' LlamaForCausalLM, and whether
 * the converter permuted q/k rows. Mistral converts as `llama`; Qwen2/3 keep q/k as they are.
 */
const ARCHITECTURES: Readonly<Record<string, { permutesQK: boolean }>> = {
  llama: { permutesQK: true },
  qwen2: { permutesQK: false },
  qwen3: { permutesQK: false },
};

/** How a GGUF tensor's rows relate to its Hugging Face twin's. */
export interface QKPermutation {
  /** Heads the rows were grouped by (the key/value head count for k). */
  heads: number;
}

export interface HfName {
  name: string;
  /** Set when the converter permuted this tensor's rows (llama q/k weights and biases). */
  permutation?: QKPermutation;
}

/** Architectures whose names are mapped. */
export function mapsArchitecture(architecture: unknown): boolean {
  return typeof architecture === 'string' && Object.prototype.hasOwnProperty.call(ARCHITECTURES, architecture);
}

/**
 * The Hugging Face name of a llama.cpp tensor name (`blk.0.attn_q.weight` ≙
 * `model.layers.0.self_attn.q_proj.weight`), or null where the mapping is not known.
 * `heads`/`kvHeads` are the model's `<arch>.attention.head_count` and `head_count_kv`.
 */
export function hfNameOf(ggufName: string, architecture: string, heads?: number, kvHeads?: number): HfName | null {
  const arch = ARCHITECTURES[architecture];
  if (!arch) return null;
  const dot = ggufName.lastIndexOf('.');
  const [base, suffix] = dot < 0 ? [ggufName, ''] : [ggufName.slice(0, dot), ggufName.slice(dot)];
  if (suffix !== '.weight' && suffix !== '.bias') return null;
  const top = TOP_NAMES[base];
  if (top) return { name: top + suffix };
  const m = /^blk\.(\d+)\.(\w+)$/.exec(base);
  const mapped = m && BLOCK_NAMES[m[2]!];
  if (!m || !mapped) return null;
  const name = `model.layers.${m[1]}.${mapped}${suffix}`;
  const groups = m[2] === 'attn_q' ? heads : m[2] === 'attn_k' ? (kvHeads ?? heads) : undefined;
  return arch.permutesQK && groups !== undefined && groups > 0 ? { name, permutation: { heads: groups } } : { name };
}
