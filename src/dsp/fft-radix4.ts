/**
 * Float64 real FFT for power-of-two sizes N ≥ 4, written for V8. The default `RealFftPlan` is its
 * WebAssembly SIMD build (./fft-wasm.ts, bit-identical); this JS plan is the fallback where that cannot load.
 *
 * Method (textbook: the half-length complex FFT of a real sequence, e.g. Sorensen, Jones, Heideman &
 * Burrus, "Real-valued fast Fourier transform algorithms", IEEE Trans. ASSP 35(6), 1987; the
 * decimation-in-time butterflies of Oppenheim & Schafer, *Discrete-Time Signal Processing*, ch. 9):
 * 1. Pack the N real samples as M = N/2 complex ones, z[n] = x[2n] + i·x[2n+1]. A Float64Array of real
 *    samples already *is* that interleaved complex array, so packing costs nothing.
 * 2. Complex DFT Z = DFT_M(z) by iterative decimation in time: the first stage reads z in bit-reversed
 *    order straight from the input (a radix-16 codelet when log2 M is even, radix-8 when odd, with
 *    constant twiddles only), then radix-4 stages with per-stage twiddle tables laid out in the order
 *    the loops read them; the last stage is fused with step 3.
 * 3. Split: with E = DFT_M(x[2n]) and O = DFT_M(x[2n+1]),
 *      E[k] = (Z[k] + conj Z[M−k]) / 2,   O[k] = (Z[k] − conj Z[M−k]) / (2i),
 *      X[k] = E[k] + W_N^k·O[k],          X[M−k] = conj(E[k] − W_N^k·O[k]),   W_N = e^{−2πi/N},
 *    done in place on the output buffer for the pairs (k, M−k).
 * The inverse runs the same three steps backwards: it forms Z from X (E + i·O), writing each Z[k] at
 * position M−k, so that the *forward* complex DFT of that array is M·IDFT_M(Z) (DFT of a reversed
 * sequence is the inverse DFT); the 1/N scale is folded into the split, and the result lands in `out`
 * already in sample order. No second twiddle table, no conjugation pass.
 *
 * Tables (bit reversal, twiddles) are built in the constructor; twiddles come from `Math.cos`/`Math.sin`
 * of angles reduced to the first octant (so cos(π/2) is exactly 0 and no argument exceeds π/4).
 * `forward` and `inverse` allocate nothing and never throw. Safe on the audio thread.
 *
 * Accuracy: measured max bin error ≤ 1.3·u·log2(N)·‖x‖₂ (u = 2^−53), as fft.js; see
 * test/dsp/fft-radix4.test.ts. Speed (bench/fft.ts, Node 20, shared 2-core VM), forward: ≈ 1.9–2.0×
 * fft.js at N = 512, ≈ 1.8× at 2048, ≈ 1.5× at 256, 1024 and 4096 (odd log2 M, radix-8 first stage),
 * 1.2–1.35× at 16384–65536; inverse 2.3–3.6× (fft.js inverts with a full-length complex transform).
 */
import { earshotError } from '../errors.js';
import type { RealFftPlan } from './fft.js';

const MIN_SIZE = 4;
/**
 * Complex values per cache block (16 KiB of doubles): the first stage and every radix-4 stage whose
 * blocks fit run one block of the output at a time, so large transforms stay in L1 for those stages.
 */
const CACHE_BLOCK = 1024;
/** Exported (with COS_PI_8, SIN_PI_8) for the WebAssembly port (./fft-wasm.ts), which must use the same values. */
export const SQRT1_2 = Math.SQRT1_2;
export const COS_PI_8 = Math.cos(Math.PI / 8); // W_16 = e^{−iπ/8} = (COS_PI_8, −SIN_PI_8)
export const SIN_PI_8 = Math.sin(Math.PI / 8);

/** Throws `ERR_INVALID_ARGUMENT` unless `size` is a power of two ≥ 4. */
export function assertFftSize(size: number): void {
  if (!Number.isInteger(size) || size < MIN_SIZE || (size & (size - 1)) !== 0) {
    throw earshotError('ERR_INVALID_ARGUMENT', `FFT size must be a power of two ≥ 4, got ${size}`);
  }
}

/** @internal See `Radix4FftPlan.tables`. */
export interface Radix4Tables {
  readonly firstRadix: number;
  readonly firstSrc: Int32Array;
  readonly twiddles: Float64Array;
  readonly split: Float64Array;
  readonly lastLen: number;
  readonly lastOffset: number;
}

/**
 * Real FFT plan of size N (see the module comment for the method).
 *
 * ```ts
 * const plan = new Radix4FftPlan(512);
 * const spec = new Float64Array(514);
 * plan.forward(frame, spec); // spec[2k], spec[2k+1] = Re, Im X[k], k = 0..256
 * ```
 * `input` and `out` must be different arrays (no aliasing); the plan keeps one scratch buffer for
 * `inverse`, so a plan must not be used re-entrantly.
 */
export class Radix4FftPlan implements RealFftPlan {
  readonly size: number;
  /** M = N/2, the size of the complex transform. */
  private readonly half: number;
  /** First-stage radix: 16 when log2 M is even (M ≥ 16), 8 when odd (M ≥ 8); 4 or 2 for M = 4, 2. */
  private readonly firstRadix: number;
  /** Bit-reversed source offsets (in doubles, i.e. 2·rev(p)) for each first-stage butterfly p. */
  private readonly firstSrc: Int32Array;
  /** Radix-4 twiddles, all stages back to back: per k, (cos, sin) of θ, 2θ, 3θ, θ = 2πk/(4L). */
  private readonly twiddles: Float64Array;
  /** Split twiddles: (cos, sin) of 2πk/N for k = 0..N/4. */
  private readonly split: Float64Array;
  /** L of the last radix-4 stage (M/4), 0 when the first stage already finishes the DFT (M ≤ 8). */
  private readonly lastLen: number;
  /** Offset of the last stage's twiddles in `twiddles`. */
  private readonly lastOffset: number;
  /** Complex scratch for `inverse` (length N). */
  private readonly work: Float64Array;

  constructor(size: number) {
    assertFftSize(size);
    this.size = size;
    const m = size / 2;
    this.half = m;
    const bits = Math.log2(m);
    this.firstRadix = m <= 4 ? m : bits % 2 === 1 ? 8 : 16;

    // First stage: butterfly p covers outputs r·p .. r·p + r − 1 and reads z[rev(r·p) + j·M/r]
    // (the low log2 r bits of the output index become the high bits of the input index).
    const r = this.firstRadix;
    this.firstSrc = new Int32Array(m / r);
    for (let p = 0; p < m / r; p++) this.firstSrc[p] = 2 * reverseBits(p * r, bits);

    // Radix-4 stages combine four length-L DFTs into one of length 4L, L = r, 4r, 16r, ... , M/4.
    let total = 0;
    for (let len = r; len < m; len *= 4) total += 6 * len;
    this.lastLen = m > r ? m / 4 : 0;
    this.lastOffset = m > r ? total - 6 * this.lastLen : 0;
    this.twiddles = new Float64Array(total);
    let o = 0;
    for (let len = r; len < m; len *= 4) {
      for (let k = 0; k < len; k++) {
        for (let j = 1; j <= 3; j++) {
          this.twiddles[o++] = cosTurn(j * k, 4 * len);
          this.twiddles[o++] = cosTurn(j * k - len, 4 * len); // sin θ = cos(θ − π/2)
        }
      }
    }

    this.split = new Float64Array(2 * (size / 4 + 1));
    for (let k = 0; k <= size / 4; k++) {
      this.split[2 * k] = cosTurn(k, size);
      this.split[2 * k + 1] = cosTurn(k - size / 4, size);
    }
    this.work = new Float64Array(size);
  }

  /**
   * @internal The plan's tables, for the WebAssembly port (./fft-wasm.ts), which copies them into its
   * memory so that its constants are bit-for-bit these. Read-only by contract.
   */
  tables(): Radix4Tables {
    return {
      firstRadix: this.firstRadix,
      firstSrc: this.firstSrc,
      twiddles: this.twiddles,
      split: this.split,
      lastLen: this.lastLen,
      lastOffset: this.lastOffset,
    };
  }

  forward(input: Float64Array, out: Float64Array): void {
    const m = this.half;
    this.complexDftButLast(input, out);
    if (this.lastLen > 0) lastStageAndSplit(out, this.twiddles, this.lastOffset, this.lastLen, this.split, m);
    else splitSmall(out, this.split, m);
  }

  inverse(spectrum: Float64Array, out: Float64Array): void {
    const m = this.half;
    const w = this.work;
    unsplit(spectrum, w, this.split, m, this.size);
    this.complexDftButLast(w, out);
    if (this.lastLen > 0) radix4Stage(out, this.twiddles, this.lastOffset, this.lastLen, 0, m);
  }

  /**
   * All of the complex DFT of `src` into `dst` except the last radix-4 stage (if there is one). The
   * first stage and the stages whose 4L-blocks fit in CACHE_BLOCK run block by block of the output.
   */
  private complexDftButLast(src: Float64Array, dst: Float64Array): void {
    const m = this.half;
    const r = this.firstRadix;
    const tw = this.twiddles;
    if (r <= 4) {
      if (r === 4) firstStage4(src, dst);
      else firstStage2(src, dst);
      return; // M ≤ 4: nothing else to do
    }
    const chunk = Math.min(m, CACHE_BLOCK);
    let len = r;
    let t = 0;
    for (let c0 = 0; c0 < m; c0 += chunk) {
      if (r === 16) firstStage16(src, dst, this.firstSrc, m, c0 / 16, (c0 + chunk) / 16);
      else firstStage8(src, dst, this.firstSrc, m, c0 / 8, (c0 + chunk) / 8);
      len = r;
      t = 0;
      for (; len < this.lastLen && 4 * len <= chunk; t += 6 * len, len *= 4) radix4Stage(dst, tw, t, len, c0, c0 + chunk);
    }
    for (; len < this.lastLen; t += 6 * len, len *= 4) radix4Stage(dst, tw, t, len, 0, m);
  }
}

/**
 * The inverse's first step: Z (length M, complex) into `w` from the bins X[0..M] of `spectrum`, each
 * Z[k] at position M − k and scaled by 1/N (see the module comment; N is passed, not 1/N: a double
 * argument to a call V8 does not inline is boxed, i.e. allocated). A function of its own,
 * not inline in `inverse`: V8 compiles a long-running loop on stack (OSR) before the code after it
 * has run once, and that code then lacked type feedback for `this.complexDftButLast`; the OSR code was
 * entered and deoptimised again and again (426 bailouts and ~120 ms of profiled time in one
 * `earshot analyze --metrics stoi,estoi` of a 60 s pair, Node 20; now none).
 */
function unsplit(spectrum: Float64Array, w: Float64Array, tw: Float64Array, m: number, n: number): void {
  const scale = 1 / n;
  // Z[0] = E + iO with E = (X0 + XM)/2, O = (X0 − XM)/2 (imaginary parts of X0, XM are ignored),
  // then ×2/N for the inverse scale.
  const x0 = spectrum[0];
  const xm = spectrum[2 * m];
  w[0] = scale * (x0 + xm);
  w[1] = scale * (x0 - xm);
  for (let k = 1, j = m - 1; k <= j; k++, j--) {
    const ar = spectrum[2 * k];
    const ai = spectrum[2 * k + 1];
    const br = spectrum[2 * j];
    const bi = spectrum[2 * j + 1];
    // 2E = X[k] + conj X[M−k]; 2O = (X[k] − conj X[M−k])·W^−k, W^−k = (c, s).
    const er = ar + br;
    const ei = ai - bi;
    const dr = ar - br;
    const di = ai + bi;
    const c = tw[2 * k];
    const s = tw[2 * k + 1];
    const or = c * dr - s * di;
    const oi = c * di + s * dr;
    // Z[k] = E + iO goes to position M − k; Z[M−k] = conj E + i·conj O goes to position k.
    w[2 * j] = scale * (er - oi);
    w[2 * j + 1] = scale * (ei + or);
    w[2 * k] = scale * (er + oi);
    w[2 * k + 1] = scale * (or - ei);
  }
}

/** cos(2πk/n) for integers k and n (n divisible by 4), evaluated through an angle in [0, π/4]. */
function cosTurn(k: number, n: number): number {
  k = ((k % n) + n) % n;
  if (2 * k > n) k = n - k; // cos is even: now 0 ≤ k ≤ n/2
  if (4 * k > n) return -cosTurn(n / 2 - k, n); // cos(π − a) = −cos a
  if (8 * k > n) return Math.sin((2 * Math.PI * (n / 4 - k)) / n); // cos a = sin(π/2 − a)
  return Math.cos((2 * Math.PI * k) / n);
}

function reverseBits(v: number, bits: number): number {
  let r = 0;
  for (let b = 0; b < bits; b++) {
    r = (r << 1) | (v & 1);
    v >>= 1;
  }
  return r;
}

/** M = 2: one butterfly. */
function firstStage2(src: Float64Array, dst: Float64Array): void {
  const ar = src[0];
  const ai = src[1];
  const br = src[2];
  const bi = src[3];
  dst[0] = ar + br;
  dst[1] = ai + bi;
  dst[2] = ar - br;
  dst[3] = ai - bi;
}

/** M = 4: one length-4 DFT (its input needs no reordering: z0..z3 in natural order). */
function firstStage4(src: Float64Array, dst: Float64Array): void {
  dft4(dst, 0, 2, src[0], src[1], src[2], src[3], src[4], src[5], src[6], src[7]);
}

/**
 * Length-16 DFTs of bit-reversed input, butterflies p = pBegin..pEnd−1: butterfly p reads
 * y[j] = z[q + j·M/16], j = 0..15 (q = from[p]), and writes Y[0..15] to dst[16p..16p+15].
 * Four-by-four Cooley–Tukey (the general N = N1·N2 factorization): with j = c + 4r,
 * U_c[k] = W_16^{ck}·DFT_4(y[c], y[c+4], y[c+8], y[c+12])[k], then Y[k + 4h] = DFT_4(U_0[k], …, U_3[k])[h].
 * Written out so that all 32 doubles stay in registers (a loop over columns through memory is slower
 * than the radix-4 stages it replaces).
 */
function firstStage16(
  src: Float64Array,
  dst: Float64Array,
  from: Int32Array,
  m: number,
  pBegin: number,
  pEnd: number,
): void {
  const s = m / 8; // M/16 complex in doubles
  const C = COS_PI_8;
  const S = SIN_PI_8;
  const H = SQRT1_2;
  for (let p = pBegin, d = 32 * pBegin; p < pEnd; p++, d += 32) {
    const q = from[p];
    // Column 0: y0, y4, y8, y12; no twiddles.
    let ar = src[q];
    let ai = src[q + 1];
    let br = src[q + 4 * s];
    let bi = src[q + 4 * s + 1];
    let cr = src[q + 8 * s];
    let ci = src[q + 8 * s + 1];
    let er = src[q + 12 * s];
    let ei = src[q + 12 * s + 1];
    let t0r = ar + cr;
    let t0i = ai + ci;
    let t1r = ar - cr;
    let t1i = ai - ci;
    let t2r = br + er;
    let t2i = bi + ei;
    let t3r = br - er;
    let t3i = bi - ei;
    const u00r = t0r + t2r;
    const u00i = t0i + t2i;
    const u01r = t1r + t3i;
    const u01i = t1i - t3r;
    const u02r = t0r - t2r;
    const u02i = t0i - t2i;
    const u03r = t1r - t3i;
    const u03i = t1i + t3r;
    // Column 1: y1, y5, y9, y13; twiddles W^1, W^2, W^3.
    ar = src[q + s];
    ai = src[q + s + 1];
    br = src[q + 5 * s];
    bi = src[q + 5 * s + 1];
    cr = src[q + 9 * s];
    ci = src[q + 9 * s + 1];
    er = src[q + 13 * s];
    ei = src[q + 13 * s + 1];
    t0r = ar + cr;
    t0i = ai + ci;
    t1r = ar - cr;
    t1i = ai - ci;
    t2r = br + er;
    t2i = bi + ei;
    t3r = br - er;
    t3i = bi - ei;
    let xr = t1r + t3i;
    let xi = t1i - t3r;
    const u10r = t0r + t2r;
    const u10i = t0i + t2i;
    const u11r = C * xr + S * xi; // ·W^1 = (C, −S)
    const u11i = C * xi - S * xr;
    xr = t0r - t2r;
    xi = t0i - t2i;
    const u12r = H * (xr + xi); // ·W^2 = (H, −H)
    const u12i = H * (xi - xr);
    xr = t1r - t3i;
    xi = t1i + t3r;
    const u13r = S * xr + C * xi; // ·W^3 = (S, −C)
    const u13i = S * xi - C * xr;
    // Column 2: y2, y6, y10, y14; twiddles W^2, W^4 = −i, W^6.
    ar = src[q + 2 * s];
    ai = src[q + 2 * s + 1];
    br = src[q + 6 * s];
    bi = src[q + 6 * s + 1];
    cr = src[q + 10 * s];
    ci = src[q + 10 * s + 1];
    er = src[q + 14 * s];
    ei = src[q + 14 * s + 1];
    t0r = ar + cr;
    t0i = ai + ci;
    t1r = ar - cr;
    t1i = ai - ci;
    t2r = br + er;
    t2i = bi + ei;
    t3r = br - er;
    t3i = bi - ei;
    xr = t1r + t3i;
    xi = t1i - t3r;
    const u20r = t0r + t2r;
    const u20i = t0i + t2i;
    const u21r = H * (xr + xi); // ·W^2
    const u21i = H * (xi - xr);
    const u22r = t0i - t2i; // ·W^4 = −i
    const u22i = t2r - t0r;
    xr = t1r - t3i;
    xi = t1i + t3r;
    const u23r = H * (xi - xr); // ·W^6 = (−H, −H)
    const u23i = -H * (xr + xi);
    // Column 3: y3, y7, y11, y15; twiddles W^3, W^6, W^9.
    ar = src[q + 3 * s];
    ai = src[q + 3 * s + 1];
    br = src[q + 7 * s];
    bi = src[q + 7 * s + 1];
    cr = src[q + 11 * s];
    ci = src[q + 11 * s + 1];
    er = src[q + 15 * s];
    ei = src[q + 15 * s + 1];
    t0r = ar + cr;
    t0i = ai + ci;
    t1r = ar - cr;
    t1i = ai - ci;
    t2r = br + er;
    t2i = bi + ei;
    t3r = br - er;
    t3i = bi - ei;
    xr = t1r + t3i;
    xi = t1i - t3r;
    const u30r = t0r + t2r;
    const u30i = t0i + t2i;
    const u31r = S * xr + C * xi; // ·W^3
    const u31i = S * xi - C * xr;
    xr = t0r - t2r;
    xi = t0i - t2i;
    const u32r = H * (xi - xr); // ·W^6
    const u32i = -H * (xr + xi);
    xr = t1r - t3i;
    xi = t1i + t3r;
    const u33r = -(C * xr + S * xi); // ·W^9 = (−C, S)
    const u33i = S * xr - C * xi;
    // Rows: Y[k + 4h] = DFT_4(U_0[k], U_1[k], U_2[k], U_3[k])[h].
    dft4(dst, d, 8, u00r, u00i, u10r, u10i, u20r, u20i, u30r, u30i);
    dft4(dst, d + 2, 8, u01r, u01i, u11r, u11i, u21r, u21i, u31r, u31i);
    dft4(dst, d + 4, 8, u02r, u02i, u12r, u12i, u22r, u22i, u32r, u32i);
    dft4(dst, d + 6, 8, u03r, u03i, u13r, u13i, u23r, u23i, u33r, u33i);
  }
}

/** DFT_4 of (a, b, c, e) written to dst[o], dst[o + step], dst[o + 2·step], dst[o + 3·step]. */
function dft4(
  dst: Float64Array,
  o: number,
  step: number,
  ar: number,
  ai: number,
  br: number,
  bi: number,
  cr: number,
  ci: number,
  er: number,
  ei: number,
): void {
  const t0r = ar + cr;
  const t0i = ai + ci;
  const t1r = ar - cr;
  const t1i = ai - ci;
  const t2r = br + er;
  const t2i = bi + ei;
  const t3r = br - er;
  const t3i = bi - ei;
  const o1 = o + step;
  const o2 = o1 + step;
  const o3 = o2 + step;
  dst[o] = t0r + t2r;
  dst[o + 1] = t0i + t2i;
  dst[o1] = t1r + t3i; // t1 − i·t3
  dst[o1 + 1] = t1i - t3r;
  dst[o2] = t0r - t2r;
  dst[o2 + 1] = t0i - t2i;
  dst[o3] = t1r - t3i; // t1 + i·t3
  dst[o3 + 1] = t1i + t3r;
}

/**
 * Length-8 DFTs of bit-reversed input, butterflies p = pBegin..pEnd−1: butterfly p reads z[q + j·M/8],
 * j = 0..7 (q = from[p]), and writes X[0..7] to dst[8p..8p+7]. Split into the even-j and odd-j
 * length-4 DFTs, joined with W_8^k.
 */
function firstStage8(src: Float64Array, dst: Float64Array, from: Int32Array, m: number, pBegin: number, pEnd: number): void {
  const s = m / 4; // M/8 complex in doubles
  for (let p = pBegin, d = 16 * pBegin; p < pEnd; p++, d += 16) {
    const q = from[p];
    // Even j: z0, z2, z4, z6.
    const x0r = src[q];
    const x0i = src[q + 1];
    const x2r = src[q + 2 * s];
    const x2i = src[q + 2 * s + 1];
    const x4r = src[q + 4 * s];
    const x4i = src[q + 4 * s + 1];
    const x6r = src[q + 6 * s];
    const x6i = src[q + 6 * s + 1];
    const a0r = x0r + x4r;
    const a0i = x0i + x4i;
    const a1r = x0r - x4r;
    const a1i = x0i - x4i;
    const a2r = x2r + x6r;
    const a2i = x2i + x6i;
    const a3r = x2r - x6r;
    const a3i = x2i - x6i;
    const e0r = a0r + a2r;
    const e0i = a0i + a2i;
    const e2r = a0r - a2r;
    const e2i = a0i - a2i;
    const e1r = a1r + a3i; // a1 − i·a3
    const e1i = a1i - a3r;
    const e3r = a1r - a3i; // a1 + i·a3
    const e3i = a1i + a3r;
    // Odd j: z1, z3, z5, z7.
    const x1r = src[q + s];
    const x1i = src[q + s + 1];
    const x3r = src[q + 3 * s];
    const x3i = src[q + 3 * s + 1];
    const x5r = src[q + 5 * s];
    const x5i = src[q + 5 * s + 1];
    const x7r = src[q + 7 * s];
    const x7i = src[q + 7 * s + 1];
    const b0r = x1r + x5r;
    const b0i = x1i + x5i;
    const b1r = x1r - x5r;
    const b1i = x1i - x5i;
    const b2r = x3r + x7r;
    const b2i = x3i + x7i;
    const b3r = x3r - x7r;
    const b3i = x3i - x7i;
    const o0r = b0r + b2r;
    const o0i = b0i + b2i;
    const o2r = b0r - b2r;
    const o2i = b0i - b2i;
    const o1r = b1r + b3i;
    const o1i = b1i - b3r;
    const o3r = b1r - b3i;
    const o3i = b1i + b3r;
    // W_8^1 = (1 − i)/√2, W_8^2 = −i, W_8^3 = −(1 + i)/√2.
    const w1r = SQRT1_2 * (o1r + o1i);
    const w1i = SQRT1_2 * (o1i - o1r);
    const w2r = o2i;
    const w2i = -o2r;
    const w3r = SQRT1_2 * (o3i - o3r);
    const w3i = -SQRT1_2 * (o3r + o3i);
    dst[d] = e0r + o0r;
    dst[d + 1] = e0i + o0i;
    dst[d + 2] = e1r + w1r;
    dst[d + 3] = e1i + w1i;
    dst[d + 4] = e2r + w2r;
    dst[d + 5] = e2i + w2i;
    dst[d + 6] = e3r + w3r;
    dst[d + 7] = e3i + w3i;
    dst[d + 8] = e0r - o0r;
    dst[d + 9] = e0i - o0i;
    dst[d + 10] = e1r - w1r;
    dst[d + 11] = e1i - w1i;
    dst[d + 12] = e2r - w2r;
    dst[d + 13] = e2i - w2i;
    dst[d + 14] = e3r - w3r;
    dst[d + 15] = e3i - w3i;
  }
}

/**
 * Split for one pair of bins (a, M − a), in place: from Z[a] = (ar, ai) at out[ja] and
 * Z[M−a] = (br, bi) at out[jb], writes X[a] = E + W_N^a·O at out[ja] and X[M−a] = conj(E − W_N^a·O)
 * at out[jb], where 2E = Z[a] + conj Z[M−a], 2O = (Z[a] − conj Z[M−a])/i and W_N^a = (c, −s) =
 * (split[ja], split[ja + 1]). Its arguments are arrays and indices only: V8 boxes (allocates) every
 * double argument of a call it does not inline, and inside `SepmPowerSpectrum.power` it inlined
 * `lastStageAndSplit` but not this (33 MB of heap numbers per 60 s pair in sepm-spectral); callers
 * store Z[a], Z[M−a] into `out` first (a store and a load instead of an allocation: +3 % instructions
 * for a 1024-point forward where the old call was inlined, by callgrind; writing the split out at each
 * of the five call sites instead measured the same as the old code, but five copies of it).
 */
function splitPair(out: Float64Array, ja: number, jb: number, split: Float64Array): void {
  const c = split[ja];
  const s = split[ja + 1];
  const ar = out[ja];
  const ai = out[ja + 1];
  const br = out[jb];
  const bi = out[jb + 1];
  const er = ar + br;
  const ei = ai - bi;
  const or = ai + bi;
  const oi = br - ar;
  const wr = c * or + s * oi; // Re(W^a · 2O)
  const wi = c * oi - s * or; // Im(W^a · 2O)
  out[ja] = 0.5 * (er + wr);
  out[ja + 1] = 0.5 * (ei + wi);
  out[jb] = 0.5 * (er - wr);
  out[jb + 1] = -0.5 * (ei - wi);
}

/** The split on its own, in place, for M ≤ 16 (N ≤ 32), where there is no radix-4 stage to fuse it into. */
function splitSmall(out: Float64Array, split: Float64Array, m: number): void {
  const z0r = out[0];
  const z0i = out[1];
  out[0] = z0r + z0i;
  out[1] = 0;
  out[2 * m] = z0r - z0i;
  out[2 * m + 1] = 0;
  for (let a = 1; a <= m / 2; a++) {
    const ja = 2 * a;
    const jb = 2 * (m - a);
    splitPair(out, ja, jb, split);
  }
}

/**
 * The last radix-4 stage (L = M/4, a single block) fused with the split, in place on `d`. Butterflies
 * k and k' = L − k run together: their outputs Z[k + qL] and Z[k' + (3 − q)L] are exactly the pairs
 * (a, M − a) the split needs, so the eight Z values go from registers straight into X, and the
 * twiddles of k' follow from those of k (W^{k'} = −i·conj W^k, W^{2k'} = −conj W^{2k},
 * W^{3k'} = i·conj W^{3k}, W = W_{4L}), so they are loaded once for both. The eight bins written are the
 * eight Z positions read, so working in place is safe. (The two butterflies are written out rather
 * than shared with `radix4Stage` through a helper: a JS helper cannot return eight doubles without
 * allocating.)
 */
function lastStageAndSplit(
  d: Float64Array,
  tw: Float64Array,
  t0: number,
  len: number,
  split: Float64Array,
  m: number,
): void {
  const l2 = 2 * len;
  {
    // k = 0: twiddles are 1. Z[0] gives X[0] and X[M]; (Z[L], Z[3L]) a pair; Z[2L] = Z[M/2] pairs
    // with itself, X[M/2] = conj Z[M/2].
    const ar = d[0];
    const ai = d[1];
    const br = d[2 * l2];
    const bi = d[2 * l2 + 1];
    const cr = d[l2];
    const ci = d[l2 + 1];
    const er = d[3 * l2];
    const ei = d[3 * l2 + 1];
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
    d[0] = z0r + z0i;
    d[1] = 0;
    d[2 * m] = z0r - z0i;
    d[2 * m + 1] = 0;
    d[2 * l2] = t0r - t2r;
    d[2 * l2 + 1] = -(t0i - t2i);
    d[l2] = t1r + t3i;
    d[l2 + 1] = t1i - t3r;
    d[3 * l2] = t1r - t3i;
    d[3 * l2 + 1] = t1i + t3r;
    splitPair(d, l2, 3 * l2, split);
  }
  for (let k = 1; 2 * k <= len; k++) {
    const kk = len - k;
    const t = t0 + 6 * k;
    const c1 = tw[t];
    const s1 = tw[t + 1];
    const c2 = tw[t + 2];
    const s2 = tw[t + 3];
    const c3 = tw[t + 4];
    const s3 = tw[t + 5];
    // Butterfly k: inputs at i, i + l2 (A2), i + 2·l2 (A1), i + 3·l2; outputs P_q = Z[k + qL].
    let i = 2 * k;
    let b0r = d[i];
    let b0i = d[i + 1];
    let xr = d[i + 2 * l2];
    let xi = d[i + 2 * l2 + 1];
    let b1r = c1 * xr + s1 * xi;
    let b1i = c1 * xi - s1 * xr;
    xr = d[i + l2];
    xi = d[i + l2 + 1];
    let b2r = c2 * xr + s2 * xi;
    let b2i = c2 * xi - s2 * xr;
    xr = d[i + 3 * l2];
    xi = d[i + 3 * l2 + 1];
    let b3r = c3 * xr + s3 * xi;
    let b3i = c3 * xi - s3 * xr;
    let t0r = b0r + b2r;
    let t0i = b0i + b2i;
    let t1r = b0r - b2r;
    let t1i = b0i - b2i;
    let t2r = b1r + b3r;
    let t2i = b1i + b3i;
    let t3r = b1r - b3r;
    let t3i = b1i - b3i;
    const p0r = t0r + t2r;
    const p0i = t0i + t2i;
    const p1r = t1r + t3i;
    const p1i = t1i - t3r;
    const p2r = t0r - t2r;
    const p2i = t0i - t2i;
    const p3r = t1r - t3i;
    const p3i = t1i + t3r;
    // Butterfly k' with the derived twiddles (c, s) → (s1, c1), (−c2, s2), (−s3, −c3); outputs R_q.
    i = 2 * kk;
    b0r = d[i];
    b0i = d[i + 1];
    xr = d[i + 2 * l2];
    xi = d[i + 2 * l2 + 1];
    b1r = s1 * xr + c1 * xi;
    b1i = s1 * xi - c1 * xr;
    xr = d[i + l2];
    xi = d[i + l2 + 1];
    b2r = s2 * xi - c2 * xr;
    b2i = -c2 * xi - s2 * xr;
    xr = d[i + 3 * l2];
    xi = d[i + 3 * l2 + 1];
    b3r = -s3 * xr - c3 * xi;
    b3i = c3 * xr - s3 * xi;
    t0r = b0r + b2r;
    t0i = b0i + b2i;
    t1r = b0r - b2r;
    t1i = b0i - b2i;
    t2r = b1r + b3r;
    t2i = b1i + b3i;
    t3r = b1r - b3r;
    t3i = b1i - b3i;
    // Pairs (a, M − a): (k, k' + 3L), (k + L, k' + 2L), (k' + L, k + 2L), (k', k + 3L).
    let ja = 2 * k;
    let jb = 2 * m - ja;
    d[ja] = p0r;
    d[ja + 1] = p0i;
    d[jb] = t1r - t3i;
    d[jb + 1] = t1i + t3r;
    splitPair(d, ja, jb, split);
    ja = 2 * k + l2;
    jb = 2 * m - ja;
    d[ja] = p1r;
    d[ja + 1] = p1i;
    d[jb] = t0r - t2r;
    d[jb + 1] = t0i - t2i;
    splitPair(d, ja, jb, split);
    ja = 2 * kk + l2;
    jb = 2 * m - ja;
    d[ja] = t1r + t3i;
    d[ja + 1] = t1i - t3r;
    d[jb] = p2r;
    d[jb + 1] = p2i;
    splitPair(d, ja, jb, split);
    ja = 2 * kk;
    jb = 2 * m - ja;
    d[ja] = t0r + t2r;
    d[ja + 1] = t0i + t2i;
    d[jb] = p3r;
    d[jb + 1] = p3i;
    splitPair(d, ja, jb, split);
  }
}

/**
 * One radix-4 decimation-in-time stage in place on the complex values [begin, stop) of `d` (whole
 * blocks): every block of 4L complex values holds four length-L DFTs in bit-reversed sub-sequence
 * order (offsets 0, L, 2L, 3L hold the residues 0, 2, 1, 3 mod 4) and becomes one length-4L DFT:
 * with B_r = W_{4L}^{rk}·A_r[k], X[k + qL] = Σ_r B_r·(−i)^{rq}. k runs outside and blocks inside, so
 * each k's twiddles are loaded once (≈ 20% faster in V8 than blocks outside).
 *
 * The butterfly is written out here and in `lastStageAndSplit` rather than shared through a helper:
 * V8 boxes the double arguments of any call it does not inline, and whether it inlines depends on
 * size budgets of the caller. `splitPair` takes no double arguments (see there); `dft4` sits in
 * callers that are too large to be inlined themselves; the allocation test in
 * test/dsp/fft-radix4.test.ts guards that.
 */
function radix4Stage(d: Float64Array, tw: Float64Array, t0: number, len: number, begin: number, stop: number): void {
  const l2 = 2 * len; // L complex in doubles
  const block = 4 * l2;
  const start = 2 * begin;
  const end = 2 * stop;
  for (let k = 0, t = t0; k < len; k++, t += 6) {
    // W^{rk} = (c_r, −s_r).
    const c1 = tw[t];
    const s1 = tw[t + 1];
    const c2 = tw[t + 2];
    const s2 = tw[t + 3];
    const c3 = tw[t + 4];
    const s3 = tw[t + 5];
    for (let i0 = start + 2 * k; i0 < end; i0 += block) {
      const i1 = i0 + l2;
      const i2 = i1 + l2;
      const i3 = i2 + l2;
      // B0 = A0, B1 = W^k·A1 (at i2), B2 = W^2k·A2 (at i1), B3 = W^3k·A3 (at i3).
      const b0r = d[i0];
      const b0i = d[i0 + 1];
      const xr1 = d[i2];
      const xi1 = d[i2 + 1];
      const b1r = c1 * xr1 + s1 * xi1;
      const b1i = c1 * xi1 - s1 * xr1;
      const xr2 = d[i1];
      const xi2 = d[i1 + 1];
      const b2r = c2 * xr2 + s2 * xi2;
      const b2i = c2 * xi2 - s2 * xr2;
      const xr3 = d[i3];
      const xi3 = d[i3 + 1];
      const b3r = c3 * xr3 + s3 * xi3;
      const b3i = c3 * xi3 - s3 * xr3;
      const t0r = b0r + b2r;
      const t0i = b0i + b2i;
      const t1r = b0r - b2r;
      const t1i = b0i - b2i;
      const t2r = b1r + b3r;
      const t2i = b1i + b3i;
      const t3r = b1r - b3r;
      const t3i = b1i - b3i;
      d[i0] = t0r + t2r;
      d[i0 + 1] = t0i + t2i;
      d[i1] = t1r + t3i; // t1 − i·t3
      d[i1 + 1] = t1i - t3r;
      d[i2] = t0r - t2r;
      d[i2 + 1] = t0i - t2i;
      d[i3] = t1r - t3i; // t1 + i·t3
      d[i3 + 1] = t1i + t3r;
    }
  }
}
