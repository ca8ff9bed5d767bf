/**
 * AssemblyScript (SIMD, f64x2) build of `windowedAutocorrelate` (src/dsp/lpc.ts). Compiled by
 * tools/build-wasm.mjs into src/dsp/generated/ (gitignored) and driven by src/dsp/lpc-wasm.ts, which
 * owns the memory layout and the copies in and out.
 *
 * Bit-identity with the JS function: the lags are vectorised across lags, not across n. An f64x2
 * accumulator holds lags (k, k + 1); at step n both lanes add out[n]·out[n + k] and out[n]·out[n + k + 1],
 * so each lane performs exactly the JS sequence of IEEE products and sums, in increasing n, starting at
 * +0. No FMA, no relaxed SIMD; Binaryen does no fast-math rewriting (no reassociation). The windowing is
 * elementwise (out[n] = w[n]·(x[n] + bias), the same two operations per sample), so two samples per
 * f64x2 change nothing.
 *
 * Lag lengths: lag k has length − k terms. A pass over n serves a group of lags k .. k + 2P − 1; its main
 * loop runs while every lag of the group has a term (n < length − (k + 2P − 1)), then its lanes are
 * stored and each lag finishes its own remaining terms scalar, still in increasing n. Lags ≥ length get
 * no term and stay +0, as in JS. A group may run past `order` (the last pair's second lane, or more):
 * those lanes are computed into the spare room of r and never read by the JS side.
 *
 * Memory: byte offsets into linear memory, allocated by the JS side. Nothing here allocates.
 */

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + ((<usize>i) << 3));
}
@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + ((<usize>i) << 3), v);
}
/** Doubles i, i + 1 of p (unaligned loads are fine in wasm). */
@inline function vld(p: usize, i: i32): v128 {
  return v128.load(p + ((<usize>i) << 3));
}
@inline function vst(p: usize, i: i32, v: v128): void {
  v128.store(p + ((<usize>i) << 3), v);
}

/**
 * In place: x[n] ← w[n]·(x[n] + bias) for n < length, two samples per f64x2. Returns 1 if some input
 * x[n] !== 0 (NaN counts, as in JS), else 0.
 */
@inline function windowInPlace(x: usize, w: usize, length: i32, bias: f64): i32 {
  const b = f64x2.splat(bias);
  const zero = f64x2.splat(0);
  let nz = i64x2.splat(0); // lanes all-ones where some x !== 0
  let n = 0;
  for (; n + 1 < length; n += 2) {
    const v = vld(x, n);
    nz = v128.or(nz, f64x2.ne(v, zero));
    vst(x, n, f64x2.mul(vld(w, n), f64x2.add(v, b)));
  }
  let any: i32 = v128.any_true(nz) ? 1 : 0;
  if (n < length) {
    const v = ld(x, n);
    if (v != 0) any = 1;
    st(x, n, ld(w, n) * (v + bias));
  }
  return any;
}

/** Lag j of the group starting at k: its terms n in [from, length − k − j), added to r[k + j]. */
@inline function finishLags(out: usize, length: i32, k: i32, lags: i32, from: i32, r: usize): void {
  for (let j = 0; j < lags; j++) {
    const kk = k + j;
    let s = ld(r, kk);
    for (let n = from; n < length - kk; n++) s += ld(out, n) * ld(out, n + kk);
    st(r, kk, s);
  }
}

/** Lags k .. k + 11 (six pairs): 12 independent lane chains per n, so the adds' latency overlaps. */
function pass6(out: usize, length: i32, k: i32, r: usize): void {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let a2 = f64x2.splat(0);
  let a3 = f64x2.splat(0);
  let a4 = f64x2.splat(0);
  let a5 = f64x2.splat(0);
  const common = length - (k + 11); // n < common: every lag of the group has its term
  const q = out + ((<usize>k) << 3);
  for (let n = 0; n < common; n++) {
    const xn = f64x2.splat(ld(out, n));
    a0 = f64x2.add(a0, f64x2.mul(xn, vld(q, n)));
    a1 = f64x2.add(a1, f64x2.mul(xn, vld(q, n + 2)));
    a2 = f64x2.add(a2, f64x2.mul(xn, vld(q, n + 4)));
    a3 = f64x2.add(a3, f64x2.mul(xn, vld(q, n + 6)));
    a4 = f64x2.add(a4, f64x2.mul(xn, vld(q, n + 8)));
    a5 = f64x2.add(a5, f64x2.mul(xn, vld(q, n + 10)));
  }
  vst(r, k, a0);
  vst(r, k + 2, a1);
  vst(r, k + 4, a2);
  vst(r, k + 6, a3);
  vst(r, k + 8, a4);
  vst(r, k + 10, a5);
  finishLags(out, length, k, 12, common > 0 ? common : 0, r);
}

/** Lags k .. k + 3 (two pairs). */
function pass2(out: usize, length: i32, k: i32, r: usize): void {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  const common = length - (k + 3);
  const q = out + ((<usize>k) << 3);
  for (let n = 0; n < common; n++) {
    const xn = f64x2.splat(ld(out, n));
    a0 = f64x2.add(a0, f64x2.mul(xn, vld(q, n)));
    a1 = f64x2.add(a1, f64x2.mul(xn, vld(q, n + 2)));
  }
  vst(r, k, a0);
  vst(r, k + 2, a1);
  finishLags(out, length, k, 4, common > 0 ? common : 0, r);
}

/** Lags k, k + 1 (one pair). */
function pass1(out: usize, length: i32, k: i32, r: usize): void {
  let a0 = f64x2.splat(0);
  const common = length - (k + 1);
  const q = out + ((<usize>k) << 3);
  for (let n = 0; n < common; n++) a0 = f64x2.add(a0, f64x2.mul(f64x2.splat(ld(out, n)), vld(q, n)));
  vst(r, k, a0);
  finishLags(out, length, k, 2, common > 0 ? common : 0, r);
}

/**
 * `windowedAutocorrelate` on the frame at x (length raw samples, overwritten by the windowed frame
 * out[n] = w[n]·(x[n] + bias)), lags 0..order into r. r must have room for order + 12 doubles (a group
 * may compute up to 11 lags past order). Returns 1 if some raw x[n] !== 0, else 0.
 */
export function windowedAutocorrelate(x: usize, w: usize, length: i32, bias: f64, order: i32, r: usize): i32 {
  const any = windowInPlace(x, w, length, bias);
  let k = 0;
  // Groups of 12 lags while at least 9 remain (order 10: one group); then 4, then 2.
  for (; order + 1 - k >= 9; k += 12) pass6(x, length, k, r);
  for (; order + 1 - k >= 3; k += 4) pass2(x, length, k, r);
  for (; k <= order; k += 2) pass1(x, length, k, r);
  return any;
}
