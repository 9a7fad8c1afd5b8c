/**
 * Fuzzy matching for "Find Parameter": the query's characters must appear in order in the text
 * (`b1bias` finds `0.block 1.0.bias`), and alignments that keep characters together or start them
 * at word boundaries (after `.`, `[`, `_`, a space, …) score higher, as in editors' file pickers.
 * VS Code's own quick-pick filter only takes prefixes and contiguous substrings.
 */

/** Longer texts are not scored (access paths of real models stay far below this). */
const MAX_TEXT_LENGTH = 512;
/** Queries longer than this are cut: beyond it nobody types, and the table stays small. */
const MAX_QUERY_LENGTH = 64;

const SCORE_MATCH = 16;
const BONUS_BOUNDARY = 8;
const BONUS_CONSECUTIVE = 12;
const BONUS_FIRST_CHAR = 4;
const PENALTY_GAP_START = 3;
const PENALTY_GAP_EXTEND = 1;

const BOUNDARY_CHARS = new Set(" \t\n._-[](),'\"/:");
const isBoundary = (prev: string | undefined): boolean => prev === undefined || BOUNDARY_CHARS.has(prev);

/** Whether `q` is a subsequence of `t` (both lower-cased): a cheap test that rejects most texts before the table is filled. */
function isSubsequence(q: string, t: string): boolean {
  let j = 0;
  for (let i = 0; i < q.length; i++) {
    j = t.indexOf(q[i]!, j);
    if (j < 0) return false;
    j++;
  }
  return true;
}

/**
 * Best score of `query` as a subsequence of `text` (case-insensitive), or null when it is not one.
 * Dynamic programming over (query position, text position), keeping for each cell the best score
 * of an alignment that ends with a match there.
 */
export function fuzzyScore(query: string, text: string): number | null {
  const q = query.slice(0, MAX_QUERY_LENGTH).toLowerCase();
  const t = text.toLowerCase();
  if (q.length === 0) return 0;
  if (t.length === 0 || t.length > MAX_TEXT_LENGTH || q.length > t.length || !isSubsequence(q, t)) return null;
  const n = t.length;
  const NONE = -Infinity;
  // prev[j]: best score with q[0..i-1] matched and q[i-1] at t[j].
  let prev = new Float64Array(n).fill(NONE);
  for (let j = 0; j < n; j++) {
    if (t[j] !== q[0]) continue;
    prev[j] = SCORE_MATCH + (isBoundary(t[j - 1]) ? BONUS_BOUNDARY : 0) + (j === 0 ? BONUS_FIRST_CHAR : 0) - Math.min(j, 8);
  }
  for (let i = 1; i < q.length; i++) {
    const cur = new Float64Array(n).fill(NONE);
    // bestBefore: max over k < j of prev[k] − gap penalty for the characters between k and j.
    let bestBefore = NONE;
    for (let j = 1; j < n; j++) {
      bestBefore = Math.max(bestBefore - PENALTY_GAP_EXTEND, prev[j - 1]! - PENALTY_GAP_START);
      if (t[j] !== q[i]) continue;
      const consecutive = prev[j - 1]! + BONUS_CONSECUTIVE;
      const jump = bestBefore;
      const base = Math.max(consecutive, jump);
      if (base === NONE) continue;
      cur[j] = base + SCORE_MATCH + (isBoundary(t[j - 1]) ? BONUS_BOUNDARY : 0);
    }
    prev = cur;
  }
  let best = NONE;
  for (let j = 0; j < n; j++) if (prev[j]! > best) best = prev[j]!;
  return best === NONE ? null : best;
}

/**
 * Score of an item described by several texts (access path, state_dict name, file): every
 * space-separated word of the query must match one of them; the item scores the sum of each
 * word's best. Null when a word matches none.
 */
export function fuzzyScoreAll(query: string, texts: readonly string[]): number | null {
  const words = query.trim().split(/\s+/).filter(Boolean);
  let total = 0;
  for (const w of words) {
    let best: number | null = null;
    for (const t of texts) {
      const s = fuzzyScore(w, t);
      if (s !== null && (best === null || s > best)) best = s;
    }
    if (best === null) return null;
    total += best;
  }
  return total;
}
