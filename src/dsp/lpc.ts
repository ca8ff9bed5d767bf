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
 * Each lag is summed in increasing n, four lags per pass over the data (same rounding as one lag at a
 * time, fewer loads). Lags ≥ length are 0. Allocates nothing.
 */
export function autocorrelate(
  x: Float64Array,
  offset: number,
  length: number,
  order: number,
  r: Float64Array,
): void {
  let k = 0;
  for (; k + 3 <= order && k + 3 < length; k += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const common = length - k - 3; // n < common is valid for all four lags
    const base = offset + k;
    for (let n = 0; n < common; n++) {
      const xn = x[offset + n];
      s0 += xn * x[base + n];
      s1 += xn * x[base + n + 1];
      s2 += xn * x[base + n + 2];
      s3 += xn * x[base + n + 3];
    }
    // Tails in the same increasing-n order: lag k has 3 more terms, k+1 two, k+2 one.
    for (let n = common; n < length - k; n++) s0 += x[offset + n] * x[base + n];
    for (let n = common; n < length - k - 1; n++) s1 += x[offset + n] * x[base + n + 1];
    for (let n = common; n < length - k - 2; n++) s2 += x[offset + n] * x[base + n + 2];
    r[k] = s0;
    r[k + 1] = s1;
    r[k + 2] = s2;
    r[k + 3] = s3;
  }
  for (; k <= order; k++) {
    let s = 0;
    for (let n = 0; n < length - k; n++) s += x[offset + n] * x[offset + n + k];
    r[k] = s;
  }
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
  private readonly alphaPast: Float64Array; // α of the previous step (pysepm's `a_past`)

  constructor(order: number) {
    if (!Number.isInteger(order) || order < 1 || order > MAX_LPC_ORDER) {
      throw earshotError('ERR_INVALID_ARGUMENT', `LPC order must be an integer in 1..${MAX_LPC_ORDER}, got ${order}`);
    }
    this.order = order;
    this.alpha = new Float64Array(order);
    this.alphaPast = new Float64Array(order);
  }

  /**
   * Solve the normal equations for lags `r[0..P]`; writes `a = [1, −α₁, …, −α_P]` (length ≥ P + 1)
   * and returns the final prediction error E_P. Non-finite output when r[0] = 0 (see file comment).
   */
  solve(r: Float64Array, a: Float64Array): number {
    const p = this.order;
    const alpha = this.alpha;
    const past = this.alphaPast;
    let e = r[0];
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < i; j++) past[j] = alpha[j];
      // Makhoul eq. (38a): k_i = (r[i+1] − Σ_{j<i} α_j r[i−j]) / E_{i−1}, summed in increasing j.
      let acc = 0;
      for (let j = 0; j < i; j++) acc += past[j] * r[i - j];
      const k = e === 0 ? Infinity : (r[i + 1] - acc) / e;
      alpha[i] = k;
      // eq. (38c): α_j ← α_j − k·α_{i−1−j} for j < i.
      for (let j = 0; j < i; j++) alpha[j] = past[j] - k * past[i - 1 - j];
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
 * prediction residual of `a` applied to a signal with autocorrelation `r`. Computed as T(r)·aᵀ first,
 * then the dot product with a (the reference's evaluation order). Allocates nothing.
 */
export function toeplitzQuadraticForm(r: Float64Array, a: Float64Array, order: number): number {
  let total = 0;
  for (let i = 0; i <= order; i++) {
    let row = 0;
    for (let j = 0; j <= order; j++) row += r[i > j ? i - j : j - i] * a[j];
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
