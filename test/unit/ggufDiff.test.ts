// Quantization error: a GGUF against the safetensors it was made from, paired through llama.cpp's
// naming with the q/k row permutation undone, against numpy's numbers on gguf-py's dequantized
// tensors (test/fixtures/gguf/expected.json, tinyLlama.pairs; made by gen/make_gguf_py.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffModels } from '../../src/cliDiff';
import { openModel } from '../../src/model/openModel';

const DIR = join(__dirname, '../fixtures/gguf');
interface PairExpect {
  gguf: string;
  safetensors: string;
  tensors: Array<{ hf: string; gguf: string; ggmlType: string; relL2: number; maxAbsDiff: number }>;
}
const { tinyLlama } = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { tinyLlama: { pairs: PairExpect[]; permuted: Record<string, { nHead: number }> } };

describe('diff of a GGUF against its source checkpoint', () => {
  for (const pair of tinyLlama.pairs) {
    it(`${pair.safetensors} → ${pair.gguf}: every tensor paired by its Hugging Face name, errors as numpy measures them`, async () => {
      const [a, b] = await Promise.all([openModel(join(DIR, pair.safetensors)), openModel(join(DIR, pair.gguf))]);
      const { match, results } = await diffModels(a, b);
      expect(match.hfNames).toBe('b');
      expect(match.pairs.filter((p) => !p.a || !p.b)).toEqual([]);
      for (const want of pair.tensors) {
        const p = match.pairs.find((x) => x.b?.name === want.gguf)!;
        expect(p.a?.name, want.gguf).toBe(want.hf);
        expect(p.compared?.unpermutedHeads, want.gguf).toBe(tinyLlama.permuted[want.gguf]?.nHead);
        const m = results.get(p.name)!.metrics!;
        // numpy summed in float64 in another order: agreement to ~1e-12 relative.
        expect(m.relL2!, want.gguf).toBeCloseTo(want.relL2, 12);
        expect(m.maxAbsDiff!, want.gguf).toBe(want.maxAbsDiff);
      }
    });
  }

  it('the permuted q/k weights do not pair row for row without undoing the permutation', async () => {
    const [a, b] = await Promise.all([openModel(join(DIR, 'tiny-llama.safetensors')), openModel(join(DIR, 'tiny-llama.gguf'))]);
    const { match, results } = await diffModels(a, b);
    const q = match.pairs.find((p) => p.b?.name === 'blk.1.attn_q.weight')!;
    expect(q.compared).toBeDefined();
    // Same tensor stored as float16: undone, the error is float16 rounding only.
    expect(results.get(q.name)!.metrics!.relL2!).toBeLessThan(1e-3);
  });
});
