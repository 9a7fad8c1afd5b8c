// The float32 values that bound a double range: the histogram kernels test float32 lanes against
// them, so a value passes exactly when its double lies inside [left, right].

/** The smallest float32 >= d (d finite or ±infinity). */
export function float32AtLeast(d: number): number {
  const f = Math.fround(d);
  return f >= d || Number.isNaN(d) ? f : nextFloat32(f, 1);
}

/** The largest float32 <= d. */
export function float32AtMost(d: number): number {
  const f = Math.fround(d);
  return f <= d || Number.isNaN(d) ? f : nextFloat32(f, -1);
}

const f32Box = new Float32Array(1);
const u32Box = new Uint32Array(f32Box.buffer);
function nextFloat32(f: number, direction: 1 | -1): number {
  if (f === 0) return direction * 2 ** -149;
  f32Box[0] = f;
  u32Box[0] += f > 0 === direction > 0 ? 1 : -1;
  return f32Box[0];
}
