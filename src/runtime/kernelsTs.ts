import { HIST_TABLE_ENTRIES, HIST_TABLES, PATTERN_TABLES } from './kernelLayout';

/**
 * TypeScript twins of wasm/kernels.wat, for when the WASM binary is not there (tests run from
 * source, a bundle shipped without it). Each performs the same IEEE double operations in the same
 * order as its WASM original (four accumulators standing for the two f64x2 lanes pairs, the same
 * block size, the same shift rule), so results are bit-identical, not just close. Keep them in
 * step with the .wat: test/unit/runtimeKernels.test.ts compares the two on random data.
 */

/** Elements per block of the moment kernel (`$BLOCK` in the .wat). */
export const MOMENT_BLOCK = 1024;

/** One block's results, as the .wat's `$b_*` globals. */
interface Block {
  n: number;
  s: number;
  q: number;
  r: number;
  min: number;
  max: number;
  zeros: number;
  nan: number;
  inf: number;
}

function blockChecked(x: Float32Array, from: number, len: number, k: number, out: Block): void {
  let n = 0;
  let s = 0;
  let q = 0;
  let r = 0;
  let min = Infinity;
  let max = -Infinity;
  let zeros = 0;
  let nan = 0;
  let inf = 0;
  for (let i = from; i < from + len; i++) {
    const v = x[i];
    if (v - v === 0) {
      const d = v - k;
      n += 1;
      s += d;
      q += d * d;
      r += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
      if (v === 0) zeros += 1;
    } else if (v !== v) nan += 1;
    else inf += 1;
  }
  out.n = n;
  out.s = s;
  out.q = q;
  out.r = r;
  out.min = min;
  out.max = max;
  out.zeros = zeros;
  out.nan = nan;
  out.inf = inf;
}

/**
 * `$f32_block`: value j of each step of 8 goes to accumulator j mod 4 (the .wat's A lane 0, A lane
 * 1, B lane 0, B lane 1); min/max lanes j mod 4 by compare-and-select (`pmin`: keep the lane unless
 * the value is smaller); the block sum is ((a0 + a2) + (a1 + a3)) + tail.
 */
function block(x: Float32Array, from: number, len: number, k: number, out: Block): void {
  const end8 = from + (len & ~7);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let q0 = 0;
  let q1 = 0;
  let q2 = 0;
  let q3 = 0;
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  let r3 = 0;
  let mn0 = Infinity;
  let mn1 = Infinity;
  let mn2 = Infinity;
  let mn3 = Infinity;
  let mx0 = -Infinity;
  let mx1 = -Infinity;
  let mx2 = -Infinity;
  let mx3 = -Infinity;
  let zeros = 0;
  let i = from;
  for (; i < end8; i += 4) {
    const v0 = x[i];
    const v1 = x[i + 1];
    const v2 = x[i + 2];
    const v3 = x[i + 3];
    mn0 = v0 < mn0 ? v0 : mn0;
    mn1 = v1 < mn1 ? v1 : mn1;
    mn2 = v2 < mn2 ? v2 : mn2;
    mn3 = v3 < mn3 ? v3 : mn3;
    mx0 = v0 > mx0 ? v0 : mx0;
    mx1 = v1 > mx1 ? v1 : mx1;
    mx2 = v2 > mx2 ? v2 : mx2;
    mx3 = v3 > mx3 ? v3 : mx3;
    zeros += (v0 === 0 ? 1 : 0) + (v1 === 0 ? 1 : 0) + (v2 === 0 ? 1 : 0) + (v3 === 0 ? 1 : 0);
    const d0 = v0 - k;
    const d1 = v1 - k;
    const d2 = v2 - k;
    const d3 = v3 - k;
    s0 += d0;
    s1 += d1;
    s2 += d2;
    s3 += d3;
    q0 += d0 * d0;
    q1 += d1 * d1;
    q2 += d2 * d2;
    q3 += d3 * d3;
    r0 += v0 * v0;
    r1 += v1 * v1;
    r2 += v2 * v2;
    r3 += v3 * v3;
  }
  let min = Infinity;
  let max = -Infinity;
  for (const m of [mn0, mn1, mn2, mn3]) if (m < min) min = m;
  for (const m of [mx0, mx1, mx2, mx3]) if (m > max) max = m;
  let ts = 0;
  let tq = 0;
  let tr = 0;
  for (; i < from + len; i++) {
    const v = x[i];
    const d = v - k;
    ts += d;
    tq += d * d;
    tr += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (v === 0) zeros += 1;
  }
  const r = r0 + r2 + (r1 + r3) + tr;
  if (r - r !== 0) {
    blockChecked(x, from, len, k, out);
    return;
  }
  out.n = len;
  out.s = s0 + s2 + (s1 + s3) + ts;
  out.q = q0 + q2 + (q1 + q3) + tq;
  out.r = r;
  out.min = min;
  out.max = max;
  out.zeros = zeros;
  out.nan = 0;
  out.inf = 0;
}

/** `f32_moments`: the chunk record at `out` (see kernelLayout.MOMENT_FIELDS). */
export function f32MomentsTs(buffer: ArrayBuffer, ptr: number, n: number, out: number): void {
  const x = new Float32Array(buffer, ptr, n);
  const b: Block = { n: 0, s: 0, q: 0, r: 0, min: 0, max: 0, zeros: 0, nan: 0, inf: 0 };
  let k = 0;
  if (n > 0) {
    block(x, 0, Math.min(n, MOMENT_BLOCK), 0, b);
    if (2 * b.s * b.s > b.q * b.n) k = b.s / b.n;
  }
  let fn = 0;
  let s = 0;
  let q = 0;
  let r = 0;
  let min = Infinity;
  let max = -Infinity;
  let zeros = 0;
  let nan = 0;
  let inf = 0;
  for (let at = 0; at < n; at += MOMENT_BLOCK) {
    block(x, at, Math.min(MOMENT_BLOCK, n - at), k, b);
    fn += b.n;
    s += b.s;
    q += b.q;
    r += b.r;
    if (b.min < min) min = b.min;
    if (b.max > max) max = b.max;
    zeros += b.zeros;
    nan += b.nan;
    inf += b.inf;
  }
  const o = new Float64Array(buffer, out, 10);
  o[0] = fn;
  o[1] = s;
  o[2] = q;
  o[3] = r;
  o[4] = min;
  o[5] = max;
  o[6] = zeros;
  o[7] = nan;
  o[8] = inf;
  o[9] = k;
}

/** `f32_histc` and `f32_histc_in_range` (the range test is the same when every value passes it). */
export function f32HistcTs(buffer: ArrayBuffer, ptr: number, n: number, left: number, right: number, bins: number): void {
  const x = new Float32Array(buffer, ptr, n);
  const t = new Uint32Array(buffer, HIST_TABLES, HIST_TABLE_ENTRIES);
  const width = right - left;
  const last = bins - 1;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v >= left && v <= right) {
      const pos = ((v - left) / width) * bins;
      t[pos >= bins ? last : pos | 0]++;
    } else t[bins]++;
  }
}

/** `count_u16`, into table 0. */
export function countU16Ts(buffer: ArrayBuffer, ptr: number, n: number): void {
  const bits = new Uint16Array(buffer, ptr, n);
  const t = new Uint32Array(buffer, PATTERN_TABLES, 65536);
  for (let i = 0; i < n; i++) t[bits[i]]++;
}

/** `count_u8`, into table 0. */
export function countU8Ts(buffer: ArrayBuffer, ptr: number, n: number): void {
  const bytes = new Uint8Array(buffer, ptr, n);
  const t = new Uint32Array(buffer, PATTERN_TABLES, 256);
  for (let i = 0; i < n; i++) t[bytes[i]]++;
}
