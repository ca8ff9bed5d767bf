/**
 * AssemblyScript port of src/dsp/fft-radix4.ts (`Radix4FftPlan`) with 128-bit SIMD: one f64x2 holds one
 * complex value (re, im). Compiled by tools/build-wasm.mjs into src/dsp/generated/ (gitignored) and
 * driven by src/dsp/fft-wasm.ts, which owns the memory layout, the tables and the copies in and out.
 *
 * Bit-identity with the JS plan: every output lane is computed by the same IEEE operations, in the same
 * order, on the same operands as the JS expression it replaces. Shuffles and sign flips (xor of the sign
 * bit, i.e. exactly JS unary minus) only move operands between lanes; a − b is written as a + (−b) only
 * where IEEE defines them as equal (always, signed zeros included), never −(a − b) for b − a (their
 * zeros differ). Products and sums are commutative in IEEE, so (c, −s)·x in lanes equals c·x, −s·x.
 * No FMA, no relaxed SIMD; Binaryen does no fast-math rewriting. Twiddles and the three constants come
 * from the JS plan (same Math.cos/Math.sin), never from AssemblyScript's own Math.
 *
 * Memory: all pointers are byte offsets into linear memory, 16-byte aligned, allocated by the JS side.
 * Nothing here allocates (stub runtime, no objects): the kernels only load and store.
 *
 * Twiddle table layout (expanded for SIMD): JS entry i of `twiddles` becomes the f64x2 at doubles 2i,
 * 2i + 1: (c, c) for a cosine (even i), (s, −s) for a sine (odd i). So lane 0 at double 2i is exactly the
 * JS value, which the scalar code reads.
 */

const CACHE_BLOCK: i32 = 1024;

// W_16 = (C, −S), √½: set once from JS (`setConstants`) so that they are V8's Math.cos/Math.sin results.
let C: f64 = 0;
let S: f64 = 0;
let H: f64 = 0;

export function setConstants(cosPi8: f64, sinPi8: f64, sqrt1_2: f64): void {
  C = cosPi8;
  S = sinPi8;
  H = sqrt1_2;
}

// ---- helpers (all inlined) ----

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + ((<usize>i) << 3));
}
@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + ((<usize>i) << 3), v);
}
/** The complex value at doubles i, i + 1 of p. */
@inline function vld(p: usize, i: i32): v128 {
  return v128.load(p + ((<usize>i) << 3));
}
@inline function vst(p: usize, i: i32, v: v128): void {
  v128.store(p + ((<usize>i) << 3), v);
}
/** (im, re). */
@inline function swap(a: v128): v128 {
  return f64x2.shuffle(a, a, 1, 0);
}
/** Flip the sign of lane 1 (exactly JS unary minus). */
@inline function neg1(a: v128): v128 {
  return v128.xor(a, f64x2(0.0, -0.0));
}
/** Flip the sign of lane 0. */
@inline function neg0(a: v128): v128 {
  return v128.xor(a, f64x2(-0.0, 0.0));
}
/** −i·t = (t_i, −t_r): JS `tr + ti'`, `ti − tr'` pairs become t ± this. */
@inline function mulNegI(t: v128): v128 {
  return neg1(swap(t));
}
/** (c·xr + s·xi, c·xi − s·xr) with cc = (c, c), sm = (s, −s): lane 1 is c·xi + (−s)·xr, equal in IEEE. */
@inline function cmul(x: v128, cc: v128, sm: v128): v128 {
  return f64x2.add(f64x2.mul(cc, x), f64x2.mul(sm, swap(x)));
}
/** (xr + xi, xi − xr): JS `H * (xr + xi)`, `H * (xi − xr)` is hh · this. */
@inline function sumDiff(x: v128): v128 {
  return f64x2.add(x, neg1(swap(x)));
}
/** (xi − xr, xr + xi): lane 1 is xr − (−xi), equal in IEEE to xr + xi. */
@inline function diffSum(x: v128): v128 {
  return f64x2.sub(swap(x), neg1(x));
}

/** DFT_4 of (a, b, c, e), written to doubles o, o + step, o + 2·step, o + 3·step of dst (JS `dft4`). */
@inline function dft4v(dst: usize, o: i32, step: i32, a: v128, b: v128, c: v128, e: v128): void {
  const t0 = f64x2.add(a, c);
  const t1 = f64x2.sub(a, c);
  const t2 = f64x2.add(b, e);
  const t3 = mulNegI(f64x2.sub(b, e));
  vst(dst, o, f64x2.add(t0, t2));
  vst(dst, o + step, f64x2.add(t1, t3)); // (t1r + t3i, t1i − t3r)
  vst(dst, o + 2 * step, f64x2.sub(t0, t2));
  vst(dst, o + 3 * step, f64x2.sub(t1, t3)); // (t1r − t3i, t1i + t3r)
}

// ---- entry points ----

export function forward(
  src: usize,
  dst: usize,
  from: usize,
  tw: usize,
  split: usize,
  m: i32,
  r: i32,
  lastLen: i32,
  lastOffset: i32,
): void {
  complexDftButLast(src, dst, from, tw, m, r, lastLen);
  if (lastLen > 0) lastStageAndSplit(dst, tw, lastOffset, lastLen, split, m);
  else splitSmall(dst, split, m);
}

/** `spec` and `out` may be the same buffer (`unsplit` has read all of it before the DFT writes). */
export function inverse(
  spec: usize,
  work: usize,
  out: usize,
  from: usize,
  tw: usize,
  split: usize,
  m: i32,
  r: i32,
  lastLen: i32,
  lastOffset: i32,
): void {
  unsplit(spec, work, split, m, 2 * m);
  complexDftButLast(work, out, from, tw, m, r, lastLen);
  if (lastLen > 0) radix4Stage(out, tw, lastOffset, lastLen, 0, m);
}

function complexDftButLast(src: usize, dst: usize, from: usize, tw: usize, m: i32, r: i32, lastLen: i32): void {
  if (r <= 4) {
    if (r == 4) dft4v(dst, 0, 2, vld(src, 0), vld(src, 2), vld(src, 4), vld(src, 6));
    else {
      const a = vld(src, 0);
      const b = vld(src, 2);
      vst(dst, 0, f64x2.add(a, b));
      vst(dst, 2, f64x2.sub(a, b));
    }
    return;
  }
  const chunk = m < CACHE_BLOCK ? m : CACHE_BLOCK;
  let len = r;
  let t = 0;
  for (let c0 = 0; c0 < m; c0 += chunk) {
    if (r == 16) firstStage16(src, dst, from, m, c0 / 16, (c0 + chunk) / 16);
    else firstStage8(src, dst, from, m, c0 / 8, (c0 + chunk) / 8);
    len = r;
    t = 0;
    for (; len < lastLen && 4 * len <= chunk; t += 6 * len, len *= 4) radix4Stage(dst, tw, t, len, c0, c0 + chunk);
  }
  for (; len < lastLen; t += 6 * len, len *= 4) radix4Stage(dst, tw, t, len, 0, m);
}

/** JS `unsplit`, scalar (it is a small share of the inverse). */
function unsplit(spectrum: usize, w: usize, tw: usize, m: i32, n: i32): void {
  const scale = 1 / <f64>n;
  const x0 = ld(spectrum, 0);
  const xm = ld(spectrum, 2 * m);
  const w0 = scale * (x0 + xm);
  const w1 = scale * (x0 - xm);
  st(w, 0, w0);
  st(w, 1, w1);
  for (let k = 1, j = m - 1; k <= j; k++, j--) {
    const ar = ld(spectrum, 2 * k);
    const ai = ld(spectrum, 2 * k + 1);
    const br = ld(spectrum, 2 * j);
    const bi = ld(spectrum, 2 * j + 1);
    const er = ar + br;
    const ei = ai - bi;
    const dr = ar - br;
    const di = ai + bi;
    const c = ld(tw, 2 * k);
    const s = ld(tw, 2 * k + 1);
    const or = c * dr - s * di;
    const oi = c * di + s * dr;
    st(w, 2 * j, scale * (er - oi));
    st(w, 2 * j + 1, scale * (ei + or));
    st(w, 2 * k, scale * (er + oi));
    st(w, 2 * k + 1, scale * (or - ei));
  }
}

/** JS `firstStage16`: length-16 DFTs of bit-reversed input, one complex per f64x2. */
function firstStage16(src: usize, dst: usize, from: usize, m: i32, pBegin: i32, pEnd: i32): void {
  const s = m / 8;
  const cc = f64x2.splat(C);
  const ss = f64x2.splat(S);
  const smS = f64x2(S, -S);
  const cmC = f64x2(C, -C);
  const hh = f64x2.splat(H);
  const hmH = f64x2(H, -H);
  const cS = f64x2(C, S);
  const sMc = f64x2(S, -C);
  for (let p = pBegin, d = 32 * pBegin; p < pEnd; p++, d += 32) {
    const q = load<i32>(from + ((<usize>p) << 2));
    // Column 0: y0, y4, y8, y12.
    let a = vld(src, q);
    let b = vld(src, q + 4 * s);
    let c = vld(src, q + 8 * s);
    let e = vld(src, q + 12 * s);
    let t0 = f64x2.add(a, c);
    let t1 = f64x2.sub(a, c);
    let t2 = f64x2.add(b, e);
    let t3 = mulNegI(f64x2.sub(b, e));
    const u00 = f64x2.add(t0, t2);
    const u01 = f64x2.add(t1, t3);
    const u02 = f64x2.sub(t0, t2);
    const u03 = f64x2.sub(t1, t3);
    // Column 1: twiddles W^1, W^2, W^3.
    a = vld(src, q + s);
    b = vld(src, q + 5 * s);
    c = vld(src, q + 9 * s);
    e = vld(src, q + 13 * s);
    t0 = f64x2.add(a, c);
    t1 = f64x2.sub(a, c);
    t2 = f64x2.add(b, e);
    t3 = mulNegI(f64x2.sub(b, e));
    const u10 = f64x2.add(t0, t2);
    const u11 = cmul(f64x2.add(t1, t3), cc, smS); // ·(C, −S)
    const u12 = f64x2.mul(hh, sumDiff(f64x2.sub(t0, t2))); // ·(H, −H)
    const u13 = cmul(f64x2.sub(t1, t3), ss, cmC); // ·(S, −C)
    // Column 2: twiddles W^2, W^4 = −i, W^6.
    a = vld(src, q + 2 * s);
    b = vld(src, q + 6 * s);
    c = vld(src, q + 10 * s);
    e = vld(src, q + 14 * s);
    t0 = f64x2.add(a, c);
    t1 = f64x2.sub(a, c);
    t2 = f64x2.add(b, e);
    t3 = mulNegI(f64x2.sub(b, e));
    const u20 = f64x2.add(t0, t2);
    const u21 = f64x2.mul(hh, sumDiff(f64x2.add(t1, t3)));
    // (t0i − t2i, t2r − t0r): JS computes both as differences (not a negated one: zeros would differ).
    const u22 = f64x2.sub(f64x2.shuffle(t0, t2, 1, 2), f64x2.shuffle(t2, t0, 1, 2));
    const u23 = f64x2.mul(hmH, diffSum(f64x2.sub(t1, t3))); // (H·(xi − xr), −H·(xr + xi))
    // Column 3: twiddles W^3, W^6, W^9.
    a = vld(src, q + 3 * s);
    b = vld(src, q + 7 * s);
    c = vld(src, q + 11 * s);
    e = vld(src, q + 15 * s);
    t0 = f64x2.add(a, c);
    t1 = f64x2.sub(a, c);
    t2 = f64x2.add(b, e);
    t3 = mulNegI(f64x2.sub(b, e));
    const u30 = f64x2.add(t0, t2);
    const u31 = cmul(f64x2.add(t1, t3), ss, cmC);
    const u32 = f64x2.mul(hmH, diffSum(f64x2.sub(t0, t2)));
    // (−(C·xr + S·xi), S·xr − C·xi) = neg0((C, S)·xr + (S, −C)·xi).
    const x = f64x2.sub(t1, t3);
    const u33 = neg0(
      f64x2.add(f64x2.mul(cS, f64x2.shuffle(x, x, 0, 0)), f64x2.mul(sMc, f64x2.shuffle(x, x, 1, 1))),
    );
    dft4v(dst, d, 8, u00, u10, u20, u30);
    dft4v(dst, d + 2, 8, u01, u11, u21, u31);
    dft4v(dst, d + 4, 8, u02, u12, u22, u32);
    dft4v(dst, d + 6, 8, u03, u13, u23, u33);
  }
}

/** JS `firstStage8`. */
function firstStage8(src: usize, dst: usize, from: usize, m: i32, pBegin: i32, pEnd: i32): void {
  const s = m / 4;
  const hh = f64x2.splat(H);
  const hmH = f64x2(H, -H);
  for (let p = pBegin, d = 16 * pBegin; p < pEnd; p++, d += 16) {
    const q = load<i32>(from + ((<usize>p) << 2));
    const x0 = vld(src, q);
    const x2 = vld(src, q + 2 * s);
    const x4 = vld(src, q + 4 * s);
    const x6 = vld(src, q + 6 * s);
    const a0 = f64x2.add(x0, x4);
    const a1 = f64x2.sub(x0, x4);
    const a2 = f64x2.add(x2, x6);
    const a3 = mulNegI(f64x2.sub(x2, x6));
    const e0 = f64x2.add(a0, a2);
    const e2 = f64x2.sub(a0, a2);
    const e1 = f64x2.add(a1, a3);
    const e3 = f64x2.sub(a1, a3);
    const x1 = vld(src, q + s);
    const x3 = vld(src, q + 3 * s);
    const x5 = vld(src, q + 5 * s);
    const x7 = vld(src, q + 7 * s);
    const b0 = f64x2.add(x1, x5);
    const b1 = f64x2.sub(x1, x5);
    const b2 = f64x2.add(x3, x7);
    const b3 = mulNegI(f64x2.sub(x3, x7));
    const o0 = f64x2.add(b0, b2);
    const o2 = f64x2.sub(b0, b2);
    const o1 = f64x2.add(b1, b3);
    const o3 = f64x2.sub(b1, b3);
    const w1 = f64x2.mul(hh, sumDiff(o1));
    const w2 = mulNegI(o2); // (o2i, −o2r)
    const w3 = f64x2.mul(hmH, diffSum(o3));
    vst(dst, d, f64x2.add(e0, o0));
    vst(dst, d + 2, f64x2.add(e1, w1));
    vst(dst, d + 4, f64x2.add(e2, w2));
    vst(dst, d + 6, f64x2.add(e3, w3));
    vst(dst, d + 8, f64x2.sub(e0, o0));
    vst(dst, d + 10, f64x2.sub(e1, w1));
    vst(dst, d + 12, f64x2.sub(e2, w2));
    vst(dst, d + 14, f64x2.sub(e3, w3));
  }
}

/** JS `splitPair`, scalar. */
@inline function splitPair(out: usize, ja: i32, jb: i32, split: usize): void {
  const c = ld(split, ja);
  const s = ld(split, ja + 1);
  const ar = ld(out, ja);
  const ai = ld(out, ja + 1);
  const br = ld(out, jb);
  const bi = ld(out, jb + 1);
  const er = ar + br;
  const ei = ai - bi;
  const or = ai + bi;
  const oi = br - ar;
  const wr = c * or + s * oi;
  const wi = c * oi - s * or;
  st(out, ja, 0.5 * (er + wr));
  st(out, ja + 1, 0.5 * (ei + wi));
  st(out, jb, 0.5 * (er - wr));
  st(out, jb + 1, -0.5 * (ei - wi));
}

function splitSmall(out: usize, split: usize, m: i32): void {
  const z0r = ld(out, 0);
  const z0i = ld(out, 1);
  st(out, 0, z0r + z0i);
  st(out, 1, 0);
  st(out, 2 * m, z0r - z0i);
  st(out, 2 * m + 1, 0);
  for (let a = 1; a <= m / 2; a++) splitPair(out, 2 * a, 2 * (m - a), split);
}

/** JS `lastStageAndSplit`: k = 0 scalar, the pairs of butterflies k, k' in f64x2 with `splitPairV`. */
function lastStageAndSplit(d: usize, tw: usize, t0: i32, len: i32, split: usize, m: i32): void {
  const l2 = 2 * len;
  {
    const ar = ld(d, 0);
    const ai = ld(d, 1);
    const br = ld(d, 2 * l2);
    const bi = ld(d, 2 * l2 + 1);
    const cr = ld(d, l2);
    const ci = ld(d, l2 + 1);
    const er = ld(d, 3 * l2);
    const ei = ld(d, 3 * l2 + 1);
    const t0r = ar + cr;
    const t0i = ai + ci;
    const t1r = ar - cr;
    const t1i = ai - ci;
    const t2r = br + er;
    const t2i = bi + ei;
    const t3r = br - er;
    const t3i = bi - ei;
    const z0r = t0r + t2r;
    const z0i = t0i + t2i;
    st(d, 0, z0r + z0i);
    st(d, 1, 0);
    st(d, 2 * m, z0r - z0i);
    st(d, 2 * m + 1, 0);
    st(d, 2 * l2, t0r - t2r);
    st(d, 2 * l2 + 1, -(t0i - t2i));
    st(d, l2, t1r + t3i);
    st(d, l2 + 1, t1i - t3r);
    st(d, 3 * l2, t1r - t3i);
    st(d, 3 * l2 + 1, t1i + t3r);
    splitPair(d, l2, 3 * l2, split);
  }
  for (let k = 1; 2 * k <= len; k++) {
    const kk = len - k;
    const t = 2 * (t0 + 6 * k);
    const c1 = vld(tw, t); // (c1, c1)
    const s1 = vld(tw, t + 2); // (s1, −s1)
    const c2 = vld(tw, t + 4);
    const s2 = vld(tw, t + 6);
    const c3 = vld(tw, t + 8);
    const s3 = vld(tw, t + 10);
    // Butterfly k: as radix4Stage; outputs P_q = Z[k + qL].
    let i = 2 * k;
    let b0 = vld(d, i);
    let b1 = cmul(vld(d, i + 2 * l2), c1, s1);
    let b2 = cmul(vld(d, i + l2), c2, s2);
    let b3 = cmul(vld(d, i + 3 * l2), c3, s3);
    let t0v = f64x2.add(b0, b2);
    let t1v = f64x2.sub(b0, b2);
    let t2v = f64x2.add(b1, b3);
    let t3v = mulNegI(f64x2.sub(b1, b3));
    const p0 = f64x2.add(t0v, t2v);
    const p1 = f64x2.add(t1v, t3v);
    const p2 = f64x2.sub(t0v, t2v);
    const p3 = f64x2.sub(t1v, t3v);
    // Butterfly k' with the derived twiddles, lane by lane as JS writes them:
    // b1 = (s1·xr + c1·xi, s1·xi − c1·xr) = cmul(x, (s1, s1), (c1, −c1));
    // b2 = (s2·xi − c2·xr, −c2·xi − s2·xr) = (s2, −c2)·xi − (c2, s2)·xr;
    // b3 = (−s3·xr − c3·xi, c3·xr − s3·xi) = (−s3, c3)·xr − (c3, s3)·xi.
    i = 2 * kk;
    b0 = vld(d, i);
    b1 = cmul(vld(d, i + 2 * l2), f64x2.shuffle(s1, s1, 0, 0), neg1(c1));
    let x = vld(d, i + l2);
    b2 = f64x2.sub(
      f64x2.mul(f64x2.shuffle(s2, neg1(c2), 0, 3), f64x2.shuffle(x, x, 1, 1)),
      f64x2.mul(f64x2.shuffle(c2, s2, 0, 2), f64x2.shuffle(x, x, 0, 0)),
    );
    x = vld(d, i + 3 * l2);
    b3 = f64x2.sub(
      f64x2.mul(f64x2.shuffle(s3, c3, 1, 2), f64x2.shuffle(x, x, 0, 0)),
      f64x2.mul(f64x2.shuffle(c3, s3, 0, 2), f64x2.shuffle(x, x, 1, 1)),
    );
    t0v = f64x2.add(b0, b2);
    t1v = f64x2.sub(b0, b2);
    t2v = f64x2.add(b1, b3);
    t3v = mulNegI(f64x2.sub(b1, b3));
    // Pairs (a, M − a): (k, k' + 3L), (k + L, k' + 2L), (k' + L, k + 2L), (k', k + 3L).
    let ja = 2 * k;
    splitPairV(d, ja, 2 * m - ja, p0, f64x2.sub(t1v, t3v), split);
    ja = 2 * k + l2;
    splitPairV(d, ja, 2 * m - ja, p1, f64x2.sub(t0v, t2v), split);
    ja = 2 * kk + l2;
    splitPairV(d, ja, 2 * m - ja, f64x2.add(t1v, t3v), p2, split);
    ja = 2 * kk;
    splitPairV(d, ja, 2 * m - ja, f64x2.add(t0v, t2v), p3, split);
  }
}

/**
 * JS `splitPair` on Z[a] = za, Z[M−a] = zb held in registers, lane by lane:
 * (er, ei) = za + (br, −bi); (or, oi) = (ai, br) + (bi, −ar); (wr, wi) = cmul(o, (c, c), (s, −s));
 * X[a] = 0.5·(e + w); X[M−a] = (0.5, −0.5)·(e − w).
 */
@inline function splitPairV(out: usize, ja: i32, jb: i32, za: v128, zb: v128, split: usize): void {
  const cs = vld(split, ja);
  const e = f64x2.add(za, neg1(zb));
  const o = f64x2.add(f64x2.shuffle(za, zb, 1, 2), neg1(f64x2.shuffle(zb, za, 1, 2)));
  const w = cmul(o, f64x2.shuffle(cs, cs, 0, 0), neg1(f64x2.shuffle(cs, cs, 1, 1)));
  vst(out, ja, f64x2.mul(f64x2.splat(0.5), f64x2.add(e, w)));
  vst(out, jb, f64x2.mul(f64x2(0.5, -0.5), f64x2.sub(e, w)));
}

/** JS `radix4Stage`, one complex per f64x2; k outside, blocks inside (twiddles loaded once per k). */
function radix4Stage(d: usize, tw: usize, t0: i32, len: i32, begin: i32, stop: i32): void {
  const l2 = 2 * len;
  const block = 4 * l2;
  const start = 2 * begin;
  const end = 2 * stop;
  for (let k = 0, t = 2 * t0; k < len; k++, t += 12) {
    const c1 = vld(tw, t);
    const s1 = vld(tw, t + 2);
    const c2 = vld(tw, t + 4);
    const s2 = vld(tw, t + 6);
    const c3 = vld(tw, t + 8);
    const s3 = vld(tw, t + 10);
    for (let i0 = start + 2 * k; i0 < end; i0 += block) {
      const i1 = i0 + l2;
      const i2 = i1 + l2;
      const i3 = i2 + l2;
      const b0 = vld(d, i0);
      const b1 = cmul(vld(d, i2), c1, s1);
      const b2 = cmul(vld(d, i1), c2, s2);
      const b3 = cmul(vld(d, i3), c3, s3);
      const t0v = f64x2.add(b0, b2);
      const t1v = f64x2.sub(b0, b2);
      const t2v = f64x2.add(b1, b3);
      const t3v = mulNegI(f64x2.sub(b1, b3));
      vst(d, i0, f64x2.add(t0v, t2v));
      vst(d, i1, f64x2.add(t1v, t3v));
      vst(d, i2, f64x2.sub(t0v, t2v));
      vst(d, i3, f64x2.sub(t1v, t3v));
    }
  }
}

/**
 * Windowed power spectrum of one frame (the front ends' window → FFT → |X|² in one call, so the
 * per-sample loops run here with SIMD instead of in JS): `src` holds the frame's raw samples in
 * doubles 0..len−1; they become w·(x + bias) (or x·w with useBias 0: IEEE products commute, and
 * without the + 0 a −0 sample stays −0, as in the JS loops), doubles len..2m−1 are zeroed, the
 * forward transform goes into `dst`, and pow[j] = re² + im² for j < bins (the JS expression, lane by
 * lane: two bins per step, squares first, then one add per bin).
 */
export function windowedPower(
  src: usize,
  win: usize,
  len: i32,
  useBias: i32,
  bias: f64,
  dst: usize,
  from: usize,
  tw: usize,
  split: usize,
  m: i32,
  r: i32,
  lastLen: i32,
  lastOffset: i32,
  pow: usize,
  bins: i32,
): void {
  const n = 2 * m;
  let i = 0;
  if (useBias != 0) {
    const b = f64x2.splat(bias);
    for (; i + 1 < len; i += 2) vst(src, i, f64x2.mul(vld(win, i), f64x2.add(vld(src, i), b)));
    if (i < len) st(src, i, ld(win, i) * (ld(src, i) + bias));
  } else {
    for (; i + 1 < len; i += 2) vst(src, i, f64x2.mul(vld(src, i), vld(win, i)));
    if (i < len) st(src, i, ld(src, i) * ld(win, i));
  }
  for (i = len; i < n; i++) st(src, i, 0.0);
  forward(src, dst, from, tw, split, m, r, lastLen, lastOffset);
  let j = 0;
  for (; j + 1 < bins; j += 2) {
    const a = vld(dst, 2 * j);
    const c = vld(dst, 2 * j + 2);
    const a2 = f64x2.mul(a, a);
    const c2 = f64x2.mul(c, c);
    vst(pow, j, f64x2.add(f64x2.shuffle(a2, c2, 0, 2), f64x2.shuffle(a2, c2, 1, 3)));
  }
  if (j < bins) {
    const re = ld(dst, 2 * j);
    const im = ld(dst, 2 * j + 1);
    st(pow, j, re * re + im * im);
  }
}
