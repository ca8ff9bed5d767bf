/**
 * Linear prediction kernels as Loizou's speech-quality measures use them (and pysepm ports them):
 * autocorrelation lags of a windowed frame, Levinson-Durbin recursion, the quadratic form a·R·aᵀ with
 * the Toeplitz autocorrelation matrix (the LLR's numerator and denominator), and the LPC → cepstrum
 * recursion (cepstral distance).
 *
 * Conventions (pysepm `lpcoeff`, `lpc2cep`, schmiph2/pysepm qualityMeasures.py):
 * - lags r[k] = Σₙ x[n]·x[n+k], k = 0..P, summed in increasing n (as the numba-compiled reference
 *   does: the values of ill-conditioned frames depend on the summation order);
 * - the polynomial is A(z) = 1 − Σₖ αₖ z⁻ᵏ, stored as `a = [1, −α₁, …, −α_P]`;
 * - a zero prediction error E before step i gives the reflection coefficient +∞ (pysepm's guard
 *   against the division by zero), so an all-zero frame yields non-finite coefficients: the caller
 *   decides what that means (the cepstral distance maps it to its ceiling of 10).
 * Reference: J. Makhoul, "Linear prediction: a tutorial review", Proc. IEEE 63(4), 1975, eqs. (37)–(38)
 * (autocorrelation method), (40) (recursion); the cepstrum recursion is eq. (56) of B. S. Atal,
 * "Effectiveness of linear prediction characteristics of the speech wave", JASA 55(6), 1974.
 */
import { earshotError } from '../errors.js';

/** Largest LPC order accepted (speech uses 10–16; this only bounds scratch sizes). */
export const MAX_LPC_ORDER = 64;

/**
 * Autocorrelation lags 0..order of x[offset .. offset+length) into `r` (length ≥ order + 1).
 * Each lag is summed in increasing n, so the result is bit for bit the one-lag-at-a-time sum. The
 * lags go in passes of six (order 16: 6 + 6 + 5, order 10: 6 + 5, a last pass of five discarding its
 * sixth sum): in a pass the samples x[n+k .. n+k+5] slide through local variables, so it loads two
 * samples per n for its six products. Lags ≥ length are 0. Allocates nothing.
 */
export function autocorrelate(
  x: Float64Array,
  offset: number,
  length: number,
  order: number,
  r: Float64Array,
): void {
  autocorrelateFrom(x, offset, length, order, r, 0);
}

/**
 * Window a frame and take its autocorrelation in one pass: out[n] = window[n]·(x[offset+n] + bias)
 * for n < length, then lags 0..order of `out` into `r`, bit for bit what
 * `autocorrelate(out, 0, length, order, r)` gives (lags 0..5 are summed as the windowed samples are
 * made: lag j adds out[n]·out[n−j] at step n, the same products in the same order). Returns whether
 * any x[offset+n] is non-zero (the measures treat all-zero frames apart). Allocates nothing.
 */
export function windowedAutocorrelate(
  x: Float64Array,
  offset: number,
  length: number,
  window: Float64Array,
  bias: number,
  order: number,
  out: Float64Array,
  r: Float64Array,
): boolean {
  let any = false;
  if (order < 5 || length < 6) {
    for (let n = 0; n < length; n++) {
      const v = x[offset + n];
      if (v !== 0) any = true;
      out[n] = window[n] * (v + bias);
    }
    autocorrelate(out, 0, length, order, r);
    return any;
  }
  // Steps n < 5: lag j ≤ n gets its first terms, accumulated in r.
  for (let j = 0; j <= 5; j++) r[j] = 0;
  for (let n = 0; n < 5; n++) {
    const v = x[offset + n];
    if (v !== 0) any = true;
    const xn = window[n] * (v + bias);
    out[n] = xn;
    for (let j = 0; j <= n; j++) r[j] += xn * out[n - j];
  }
  let s0 = r[0];
  let s1 = r[1];
  let s2 = r[2];
  let s3 = r[3];
  let s4 = r[4];
  let s5 = 0;
  // p_j = out[n − j]
  let p1 = out[4];
  let p2 = out[3];
  let p3 = out[2];
  let p4 = out[1];
  let p5 = out[0];
  for (let n = 5; n < length; n++) {
    const v = x[offset + n];
    if (v !== 0) any = true;
    const xn = window[n] * (v + bias);
    out[n] = xn;
    s0 += xn * xn;
    s1 += xn * p1;
    s2 += xn * p2;
    s3 += xn * p3;
    s4 += xn * p4;
    s5 += xn * p5;
    p5 = p4;
    p4 = p3;
    p3 = p2;
    p2 = p1;
    p1 = xn;
  }
  r[0] = s0;
  r[1] = s1;
  r[2] = s2;
  r[3] = s3;
  r[4] = s4;
  r[5] = s5;
  autocorrelateFrom(out, 0, length, order, r, 6);
  return any;
}

/** Lags k..order (see `autocorrelate`). */
function autocorrelateFrom(x: Float64Array, offset: number, length: number, order: number, r: Float64Array, k: number): void {
  // A pass sums six lags and keeps up to six; it needs k + 5 < length (its samples lie in the frame).
  while (order - k >= 4 && k + 5 < length) {
    const count = order - k >= 5 ? 6 : 5;
    lags6(x, offset, length, k, count, r);
    k += count;
  }
  for (; k <= order; k++) {
    let s = 0;
    for (let n = 0; n < length - k; n++) s += x[offset + n] * x[offset + n + k];
    r[k] = s;
  }
}

/**
 * Lags k..k+5 summed, the first `count` (5 or 6) written to r[k..); needs k + 5 < length. With
 * count 5 the sixth sum is wasted work, cheaper than a second, five-lag kernel would save.
 */
function lags6(x: Float64Array, offset: number, length: number, k: number, count: number, r: Float64Array): void {
  const b = offset + k;
  const common = length - k - 5; // n < common is valid for all six lags
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let s5 = 0;
  let v0 = x[b];
  let v1 = x[b + 1];
  let v2 = x[b + 2];
  let v3 = x[b + 3];
  let v4 = x[b + 4];
  for (let n = 0; n < common; n++) {
    const xn = x[offset + n];
    const v5 = x[b + n + 5];
    s0 += xn * v0;
    s1 += xn * v1;
    s2 += xn * v2;
    s3 += xn * v3;
    s4 += xn * v4;
    s5 += xn * v5;
    v0 = v1;
    v1 = v2;
    v2 = v3;
    v3 = v4;
    v4 = v5;
  }
  // Tails in the same increasing-n order: lag k + j has 5 − j more terms.
  for (let n = common; n < length - k; n++) s0 += x[offset + n] * x[b + n];
  for (let n = common; n < length - k - 1; n++) s1 += x[offset + n] * x[b + n + 1];
  for (let n = common; n < length - k - 2; n++) s2 += x[offset + n] * x[b + n + 2];
  for (let n = common; n < length - k - 3; n++) s3 += x[offset + n] * x[b + n + 3];
  for (let n = common; n < length - k - 4; n++) s4 += x[offset + n] * x[b + n + 4];
  r[k] = s0;
  r[k + 1] = s1;
  r[k + 2] = s2;
  r[k + 3] = s3;
  r[k + 4] = s4;
  if (count === 6) r[k + 5] = s5;
}

/**
 * Levinson-Durbin solver of order P with its scratch buffers (build once, reuse per frame).
 *
 * @example
 * const lpc = new LevinsonPlan(16);
 * autocorrelate(frame, 0, frame.length, 16, r);
 * const err = lpc.solve(r, a); // a = [1, −α₁, …, −α₁₆]
 */
export class LevinsonPlan {
  readonly order: number;
  private readonly alpha: Float64Array; // α₁..α_P of the current step (pysepm's `a`)

  constructor(order: number) {
    if (!Number.isInteger(order) || order < 1 || order > MAX_LPC_ORDER) {
      throw earshotError('ERR_INVALID_ARGUMENT', `LPC order must be an integer in 1..${MAX_LPC_ORDER}, got ${order}`);
    }
    this.order = order;
    this.alpha = new Float64Array(order);
  }

  /**
   * Solve the normal equations for lags `r[0..P]`; writes `a = [1, −α₁, …, −α_P]` (length ≥ P + 1)
   * and returns the final prediction error E_P. Non-finite output when r[0] = 0 (see file comment).
   */
  solve(r: Float64Array, a: Float64Array): number {
    const p = this.order;
    const alpha = this.alpha;
    let e = r[0];
    for (let i = 0; i < p; i++) {
      // Makhoul eq. (38a): k_i = (r[i+1] − Σ_{j<i} α_j r[i−j]) / E_{i−1}, summed in increasing j.
      let acc = 0;
      for (let j = 0; j < i; j++) acc += alpha[j] * r[i - j];
      // (Number.POSITIVE_INFINITY, not the global Infinity: V8 then keeps k an unboxed double.)
      const k = e === 0 ? Number.POSITIVE_INFINITY : (r[i + 1] - acc) / e;
      // eq. (38c): α_j ← α_j − k·α_{i−1−j} for j < i, in place: j and i−1−j swap their old values.
      let j = 0;
      let h = i - 1;
      for (; j < h; j++, h--) {
        const aj = alpha[j];
        const ah = alpha[h];
        alpha[j] = aj - k * ah;
        alpha[h] = ah - k * aj;
      }
      if (j === h) alpha[j] -= k * alpha[j];
      alpha[i] = k;
      // eq. (38d)
      e = (1 - k * k) * e;
    }
    a[0] = 1;
    for (let j = 0; j < p; j++) a[j + 1] = -alpha[j];
    return e;
  }
}

/**
 * a·T(r)·aᵀ for the symmetric Toeplitz matrix T(r)ᵢⱼ = r[|i − j|], i, j = 0..order: the energy of the
 * prediction residual of `a` applied to a signal with autocorrelation `r`. Computed as T(r)·aᵀ first
 * (each row summed in increasing j), then the dot product with a (the reference's evaluation order).
 * Allocates nothing.
 */
export function toeplitzQuadraticForm(r: Float64Array, a: Float64Array, order: number): number {
  let total = 0;
  for (let i = 0; i <= order; i++) {
    let row = 0;
    for (let j = 0; j < i; j++) row += r[i - j] * a[j];
    for (let j = i; j <= order; j++) row += r[j - i] * a[j];
    total += a[i] * row;
  }
  return total;
}

/**
 * LPC polynomial `a = [1, a₁, …, a_P]` → cepstral coefficients c₁..c_P (into `cep`, length ≥ P):
 * c₁ = −a₁, c_k = −(a_k + (1/k)·Σ_{i=1}^{k−1} i·c_i·a_{k−i}) (Atal 1974 eq. 56 with the sign of
 * A(z) = 1 + Σ aₖ z⁻ᵏ), as pysepm's `lpc2cep`. Allocates nothing.
 */
export function lpcToCepstrum(a: Float64Array, order: number, cep: Float64Array): void {
  cep[0] = -a[1];
  for (let k = 2; k <= order; k++) {
    let acc = 0;
    for (let i = 1; i < k; i++) acc += cep[i - 1] * a[k - i] * i;
    cep[k - 1] = -(a[k] + acc / k);
  }
}
