/**
 * Symmetric positive definite Toeplitz systems T x = b, T[i][j] = r[|i − j|], float64.
 *
 * - `ToeplitzSolver.levinson`: Levinson's recursion for a general right-hand side (Golub & Van Loan,
 *   Matrix Computations, 4th ed., Alg. 4.7.2: Durbin's recursion for the predictor plus the
 *   solution update), O(n²) flops, O(n) memory.
 * - `ToeplitzSolver.cholesky` / `choleskySolve`: dense Cholesky (G&VL Alg. 4.2.1), O(n³/3) flops,
 *   the backward-stable yardstick and the fallback.
 * - `toeplitzMultiply`: T·x in O(n²), for residuals and quadratic forms.
 *
 * Levinson is only weakly stable (Cybenko 1980): for an SPD matrix its residual can exceed
 * Cholesky's by a factor that grows with how close the reflection coefficients come to ±1
 * (strongly predictable, band-limited signals). `solve` therefore follows every Levinson solve with
 * one step of iterative refinement in working precision (residual by `toeplitzMultiply`, correction
 * by a second Levinson pass), which restores a Cholesky-sized residual on the corpus, checks the
 * resulting backward error (LEVINSON_MAX_BACKWARD_ERROR), and falls back
 * to Cholesky when the recursion breaks down (a prediction error that is not clearly positive: a
 * singular or numerically indefinite matrix), then to a minimally loaded Cholesky (T + δI) when T
 * is singular in float64 (e.g. a short click whose spectrum has a high-order zero).
 */
import { earshotError } from '../errors.js';

/**
 * Levinson gives up when the normalised prediction error β_k = E_k / r[0] falls to this level:
 * below it, β_k carries fewer than ~4 significant digits (its rounding error is ~n·ε) and the
 * dense factorisation is the safer path.
 */
export const LEVINSON_MIN_PREDICTION_ERROR = 1e-12;

/**
 * Largest normwise backward error ‖b − T x‖∞ / (‖T‖∞‖x‖∞ + ‖b‖∞) accepted from the refined
 * Levinson solution: about 10·n·ε at n = 512, the size of dense Cholesky's a-priori bound (measured
 * on the 45 corpus systems: ≤ 6.1e-17 after refinement, up to 1.3e-13 without it).
 */
export const LEVINSON_MAX_BACKWARD_ERROR = 1e-12;

/**
 * Diagonal loading tried, as δ = r[0]·10^j, when even Cholesky fails (T numerically singular): from
 * 1e-14 (a few ulps of r[0], the size of the rounding already in T) up to 1e-8.
 */
export const REGULARISATION_MIN_EXPONENT = -14;
export const REGULARISATION_MAX_EXPONENT = -8;

/** How a `solve` went. */
export type ToeplitzSolveStatus =
  | 'levinson' // Levinson (+ one refinement step) succeeded
  | 'cholesky' // Levinson broke down, dense Cholesky succeeded
  | 'regularised' // T numerically singular: solved T + δI with the smallest δ that works
  | 'singular'; // nothing worked (r[0] ≤ 0 or δ up to 1e-8·r[0] not enough); x is not written

/** Work buffers for one size n, built once and reused by every solve. */
export class ToeplitzSolver {
  readonly size: number;
  private readonly y: Float64Array;
  private readonly t: Float64Array;
  private readonly res: Float64Array;
  private readonly dx: Float64Array;
  /** Dense n×n matrix for the Cholesky path, allocated on first use only (2 MB at n = 512). */
  private dense: Float64Array | undefined;
  /**
   * Normalised prediction error β = E / r[0] reached by the last `levinson` call (1 = white,
   * → 0 = perfectly predictable, i.e. T close to singular). Diagnostics only.
   */
  lastPredictionError = 1;
  /** Normwise backward error of the last Levinson solution in `solve` (Infinity if none). */
  lastBackwardError = Infinity;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw earshotError('ERR_INVALID_ARGUMENT', `Toeplitz size must be an integer ≥ 1, got ${size}`);
    }
    this.size = size;
    this.y = new Float64Array(size);
    this.t = new Float64Array(size);
    this.res = new Float64Array(size);
    this.dx = new Float64Array(size);
  }

  /**
   * Solve T x = b with T = toeplitz(r[0..n−1]): Levinson plus one refinement step; dense Cholesky if
   * Levinson breaks down; Cholesky of T + δI with the smallest δ = r[0]·10^j (j = −14..−8) that
   * works if T is numerically singular. Writes x (length ≥ n) unless the status is 'singular'.
   */
  solve(r: Float64Array, b: Float64Array, x: Float64Array): ToeplitzSolveStatus {
    const n = this.size;
    this.lastBackwardError = Infinity;
    if (this.levinson(r, b, x)) {
      // One step of iterative refinement: x += T⁻¹(b − T x), the correction again by Levinson.
      toeplitzMultiply(r, x, this.res, n);
      for (let i = 0; i < n; i++) this.res[i] = b[i] - this.res[i];
      if (this.levinson(r, this.res, this.dx)) {
        for (let i = 0; i < n; i++) x[i] += this.dx[i];
      }
      this.lastBackwardError = backwardError(r, b, x, this.res, n);
      if (this.lastBackwardError <= LEVINSON_MAX_BACKWARD_ERROR) return 'levinson';
    }
    if (this.cholesky(r, b, x)) return 'cholesky';
    if (!(r[0] > 0)) return 'singular';
    for (let j = REGULARISATION_MIN_EXPONENT; j <= REGULARISATION_MAX_EXPONENT; j++) {
      if (this.cholesky(r, b, x, r[0] * 10 ** j)) return 'regularised';
    }
    return 'singular';
  }

  /**
   * Levinson's recursion (G&VL Alg. 4.7.2) on the normalised system (r / r[0]) x = b / r[0].
   * Returns false (x partly written) when r[0] ≤ 0, a reflection coefficient reaches |α| ≥ 1 or the
   * normalised prediction error drops to LEVINSON_MIN_PREDICTION_ERROR: T is then not numerically
   * positive definite for this recursion.
   */
  levinson(r: Float64Array, b: Float64Array, x: Float64Array): boolean {
    const n = this.size;
    const r0 = r[0];
    if (!(r0 > 0)) return false;
    const t = this.t; // t[k] = r[k] / r0
    for (let k = 0; k < n; k++) t[k] = r[k] / r0;
    const y = this.y; // Durbin's predictor: toeplitz(t)[0..k) y = −t[1..k]
    x[0] = b[0] / r0;
    this.lastPredictionError = 1;
    if (n === 1) return true;
    let alpha = -t[1];
    y[0] = alpha;
    let beta = 1;
    for (let k = 1; k < n; k++) {
      beta *= (1 - alpha) * (1 + alpha); // (1 − α²), factored to keep relative accuracy near |α| = 1
      this.lastPredictionError = beta;
      if (!(beta > LEVINSON_MIN_PREDICTION_ERROR)) return false;
      // μ = (b_k − t[1..k]·reverse(x[0..k))) / β
      let dot = 0;
      for (let j = 0; j < k; j++) dot += t[j + 1] * x[k - 1 - j];
      const mu = (b[k] / r0 - dot) / beta;
      for (let j = 0; j < k; j++) x[j] += mu * y[k - 1 - j];
      x[k] = mu;
      if (k < n - 1) {
        let dy = 0;
        for (let j = 0; j < k; j++) dy += t[j + 1] * y[k - 1 - j];
        alpha = (-t[k + 1] - dy) / beta;
        if (!(Math.abs(alpha) < 1)) return false;
        // y ← y + α·reverse(y), in place over symmetric pairs.
        for (let i = 0, j = k - 1; i <= j; i++, j--) {
          const yi = y[i];
          const yj = y[j];
          y[i] = yi + alpha * yj;
          if (i !== j) y[j] = yj + alpha * yi;
        }
        y[k] = alpha;
      }
    }
    return true;
  }

  /**
   * Dense Cholesky solve of (toeplitz(r) + loading·I) x = b. Returns false (x not written) if a
   * pivot is ≤ 0.
   */
  cholesky(r: Float64Array, b: Float64Array, x: Float64Array, loading = 0): boolean {
    const n = this.size;
    const a = (this.dense ??= new Float64Array(n * n));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) a[i * n + j] = r[i > j ? i - j : j - i];
      a[i * n + i] += loading;
    }
    return choleskySolve(a, n, b, x);
  }
}

/**
 * Solve A x = b for a symmetric positive definite A (n×n, row-major, only the lower triangle is
 * read; it is overwritten by the Cholesky factor G, A = G·Gᵀ). Returns false, with x not written,
 * when a pivot is not positive (A singular or indefinite in floating point). O(n³/3) flops.
 */
export function choleskySolve(a: Float64Array, n: number, b: Float64Array, x: Float64Array): boolean {
  // Row-oriented (Cholesky–Crout): row i of G from rows 0..i−1; inner loops run over contiguous memory.
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      if (j === i) {
        if (!(s > 0)) return false;
        a[ri + i] = Math.sqrt(s);
      } else {
        a[ri + j] = s / a[rj + j];
      }
    }
  }
  // G z = b, then Gᵀ x = z (x doubles as z).
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= a[ri + k] * x[k];
    x[i] = s / a[ri + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= a[k * n + i] * x[k];
    x[i] = s / a[i * n + i];
  }
  return true;
}

/** out = toeplitz(r)·x for the symmetric n×n Toeplitz matrix with first column r. O(n²). */
export function toeplitzMultiply(r: Float64Array, x: Float64Array, out: Float64Array, n = r.length): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < i; j++) s += r[i - j] * x[j];
    for (let j = i; j < n; j++) s += r[j - i] * x[j];
    out[i] = s;
  }
}

/**
 * Normwise backward error of x for toeplitz(r) x = b (Rigal & Gaches 1967), ∞-norms, with
 * ‖T‖∞ bounded by |r0| + 2·Σ|r_k|. `work` (length ≥ n) receives the residual b − T x.
 */
export function backwardError(r: Float64Array, b: Float64Array, x: Float64Array, work: Float64Array, n = r.length): number {
  toeplitzMultiply(r, x, work, n);
  let res = 0;
  let bn = 0;
  let xn = 0;
  let tn = Math.abs(r[0]);
  for (let i = 0; i < n; i++) {
    res = Math.max(res, Math.abs(b[i] - work[i]));
    bn = Math.max(bn, Math.abs(b[i]));
    xn = Math.max(xn, Math.abs(x[i]));
    if (i > 0) tn += 2 * Math.abs(r[i]);
  }
  const den = tn * xn + bn;
  return den > 0 ? res / den : res > 0 ? Infinity : 0;
}

/** xᵀ·toeplitz(r)·x in O(n²). */
export function toeplitzQuadraticForm(r: Float64Array, x: Float64Array, n = r.length): number {
  // xᵀTx = r0·Σx_i² + 2·Σ_{k≥1} r_k·Σ_i x_i x_{i+k}
  let s = 0;
  for (let k = 0; k < n; k++) {
    let p = 0;
    for (let i = 0; i + k < n; i++) p += x[i] * x[i + k];
    s += (k === 0 ? 1 : 2) * r[k] * p;
  }
  return s;
}
