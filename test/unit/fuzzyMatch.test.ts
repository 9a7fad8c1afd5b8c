import { describe, expect, it } from 'vitest';
import { fuzzyScore, fuzzyScoreAll } from '../../src/model/fuzzyMatch';

describe('fuzzy matching for Find Parameter', () => {
  it('matches subsequences, case-insensitively, and nothing else', () => {
    expect(fuzzyScore('b1bias', '0.block 1.0.bias')).not.toBeNull();
    expect(fuzzyScore('QPROJ', 'model.layers.0.self_attn.q_proj.weight')).not.toBeNull();
    expect(fuzzyScore('biasx', '0.block 1.0.bias')).toBeNull();
    expect(fuzzyScore('saib', 'bias')).toBeNull();
    expect(fuzzyScore('', 'anything')).toBe(0);
  });

  it('ranks contiguous and word-start matches above scattered ones', () => {
    const names = ['layers.0.mlp.gate_proj.weight', 'layers.0.self_attn.q_proj.weight', 'layers.0.self_attn.k_proj.weight', 'layers.0.post_attention_layernorm.weight'];
    const ranked = [...names].sort((a, b) => fuzzyScore('q_proj', b)! - fuzzyScore('q_proj', a)!);
    expect(ranked[0]).toBe('layers.0.self_attn.q_proj.weight');
    // "bias" at a word start beats letters picked from the middle of words.
    expect(fuzzyScore('bias', 'rgnet[0][1][0].bias')!).toBeGreaterThan(fuzzyScore('bias', 'big_image_a_s')!);
    expect(fuzzyScore('net[2]', 'net[2].bias')!).toBeGreaterThan(fuzzyScore('net[2]', 'rgnet[0][2].bias')!);
  });

  it('needs every word of the query to match one of the texts', () => {
    expect(fuzzyScoreAll('bias rgnet.pt', ['rgnet[0][1][0].bias', '0.block 1.0.bias', 'rgnet.pt'])).not.toBeNull();
    expect(fuzzyScoreAll('bias mlp.pt', ['rgnet[0][1][0].bias', '0.block 1.0.bias', 'rgnet.pt'])).toBeNull();
    expect(fuzzyScoreAll('  ', ['x'])).toBe(0);
  });

  it('refuses texts longer than its limit instead of spending time on them', () => {
    expect(fuzzyScore('a', 'a'.repeat(10_000))).toBeNull();
  });
});
