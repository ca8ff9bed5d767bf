import { describe, expect, it } from 'vitest';
import { StreamingCorrelator } from '../../src/dsp/correlation.js';
import {
  LEVINSON_MAX_BACKWARD_ERROR,
  ToeplitzSolver,
  backwardError,
  choleskySolve,
  toeplitzMultiply,
  toeplitzQuadraticForm,
} from '../../src/dsp/toeplitz.js';
import { caseAudio, corpusAvailable, goldenCase, seededRandom } from '../helpers/corpus.js';

function dense(r: Float64Array): Float64Array {
  const n = r.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = r[Math.abs(i - j)];
  return a;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('Toeplitz kernels', () => {
  it('toeplitzMultiply and toeplitzQuadraticForm equal the dense products', () => {
    const rnd = seededRandom(5);
    const n = 37;
    const r = Float64Array.from({ length: n }, () => rnd() - 0.5);
    const x = Float64Array.from({ length: n }, () => rnd() - 0.5);
    const a = dense(r);
    const want = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) want[i] += a[i * n + j] * x[j];
    const got = new Float64Array(n);
    toeplitzMultiply(r, x, got);
    // 1e-13: sums of 37 products of size ≤ 0.25, rounding ~37·ε.
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-13);
    expect(toeplitzQuadraticForm(r, x)).toBeCloseTo(dot(x, want), 13);
  });

  it('solves a 3×3 system exactly known by Cramer’s rule, by Levinson and by Cholesky', () => {
    // [[4,2,1],[2,4,2],[1,2,4]] x = [1,2,3] → x = [0, 1/6, 2/3]
    const r = Float64Array.of(4, 2, 1);
    const b = Float64Array.of(1, 2, 3);
    const s = new ToeplitzSolver(3);
    const x = new Float64Array(3);
    expect(s.levinson(r, b, x)).toBe(true);
    // 1e-15: three steps of the recursion on O(1) numbers.
    expect(maxAbsDiff(x, [0, 1 / 6, 2 / 3])).toBeLessThan(1e-15);
    expect(s.cholesky(r, b, x)).toBe(true);
    expect(maxAbsDiff(x, [0, 1 / 6, 2 / 3])).toBeLessThan(1e-15);
    expect(s.solve(r, b, x)).toBe('levinson');
    expect(maxAbsDiff(x, [0, 1 / 6, 2 / 3])).toBeLessThan(1e-15);
  });

  it('handles n = 1', () => {
    const s = new ToeplitzSolver(1);
    const x = new Float64Array(1);
    expect(s.solve(Float64Array.of(4), Float64Array.of(2), x)).toBe('levinson');
    expect(x[0]).toBe(0.5);
  });

  it('recovers a known solution of a 512×512 AR(1) system (ρ = 0.95) with every method', () => {
    const n = 512;
    const r = Float64Array.from({ length: n }, (_, k) => 0.95 ** k);
    const rnd = seededRandom(9);
    const xTrue = Float64Array.from({ length: n }, () => rnd() - 0.5);
    const b = new Float64Array(n);
    toeplitzMultiply(r, xTrue, b);
    const s = new ToeplitzSolver(n);
    const x = new Float64Array(n);
    // 1e-12: cond(T) ≤ (1+ρ)/(1−ρ) = 39, so the forward error is ≲ 39·n·ε ≈ 4e-12 at worst, far less in practice.
    expect(s.levinson(r, b, x)).toBe(true);
    expect(maxAbsDiff(x, xTrue)).toBeLessThan(1e-12);
    expect(s.solve(r, b, x)).toBe('levinson');
    expect(maxAbsDiff(x, xTrue)).toBeLessThan(1e-12);
    expect(s.lastBackwardError).toBeLessThan(LEVINSON_MAX_BACKWARD_ERROR);
    expect(s.cholesky(r, b, x)).toBe(true);
    expect(maxAbsDiff(x, xTrue)).toBeLessThan(1e-12);
  });

  it('falls back to Cholesky when Levinson’s prediction error collapses but the matrix is still positive definite', () => {
    // [[1, a], [a, 1]] with 1 − a² ≈ 2e-14: β drops below LEVINSON_MIN_PREDICTION_ERROR, yet the
    // Cholesky pivot 1 − a² is positive.
    const a = 1 - 1e-14;
    const r = Float64Array.of(1, a);
    const s = new ToeplitzSolver(2);
    const x = new Float64Array(2);
    expect(s.levinson(r, Float64Array.of(1, 1), x)).toBe(false);
    expect(s.solve(r, Float64Array.of(1, 1), x)).toBe('cholesky');
    // exact solution x = [1, 1]/(1 + a); 1e-6: cond = (1+a)/(1−a) ≈ 2e14, so only ~2 digits survive
    // in the difference direction, but b = [1, 1] lies along the well-conditioned eigenvector.
    expect(maxAbsDiff(x, [1 / (1 + a), 1 / (1 + a)])).toBeLessThan(1e-6);
  });

  it('regularises a singular matrix minimally, and reports an indefinite one as singular', () => {
    const s = new ToeplitzSolver(3);
    const x = new Float64Array(3);
    // all-ones matrix (rank 1): Levinson hits |α| = 1, Cholesky a zero pivot; T + δI works.
    expect(s.solve(Float64Array.of(1, 1, 1), Float64Array.of(1, 1, 1), x)).toBe('regularised');
    const tx = new Float64Array(3);
    toeplitzMultiply(Float64Array.of(1, 1, 1), x, tx);
    // 1e-8: δ ≤ 1e-8·r0 and b is in the range of T, so T x = b up to δ·‖x‖ (here δ = 1e-14 suffices).
    expect(maxAbsDiff(tx, [1, 1, 1])).toBeLessThan(1e-8);
    // [[1, 2], [2, 1]] has eigenvalue −1: no small loading helps.
    expect(s.solve(Float64Array.of(1, 2, 0), Float64Array.of(1, 1, 1), x)).toBe('singular');
    expect(s.solve(Float64Array.of(0, 0, 0), Float64Array.of(1, 1, 1), x)).toBe('singular');
  });

  it('choleskySolve reports a non-positive pivot instead of producing NaN', () => {
    const a = Float64Array.of(1, 2, 2, 1);
    const x = Float64Array.of(7, 7);
    expect(choleskySolve(a, 2, Float64Array.of(1, 1), x)).toBe(false);
    expect(Array.from(x)).toEqual([7, 7]);
  });

  it('computes the normwise backward error', () => {
    const r = Float64Array.of(4, 2, 1);
    const w = new Float64Array(3);
    expect(backwardError(r, Float64Array.of(1, 2, 3), Float64Array.of(0, 1 / 6, 2 / 3), w)).toBeLessThan(1e-16);
    // x = 0: residual ‖b‖∞ = 3 over ‖b‖∞ = 3 → 1
    expect(backwardError(r, Float64Array.of(1, 2, 3), new Float64Array(3), w)).toBe(1);
  });

  it('rejects a bad size', () => {
    expect(() => new ToeplitzSolver(0)).toThrow('Toeplitz size must be an integer ≥ 1, got 0');
  });
});

describe.runIf(corpusAvailable)('Levinson vs dense Cholesky on corpus normal equations (L = 512)', () => {
  // The CI-SDR normal equations of band-limited references: cond(R) = 2e9 (p17), 7.5e9 (p31),
  // 3.3e9 (p34, 48 kHz speech far below Nyquist), computed offline with numpy.linalg.eigvalsh.
  it.each(['p15_telephone', 'p17_opus16k_cmn', 'p31_8k_telephone_mulaw_cmn', 'p34_48k_pink5db', 'p36_48k_delay10ms'])(
    '%s: both backward stable, same projection energy hᵀc',
    (name) => {
      const c = goldenCase(name);
      const ref = caseAudio(c, 'ref');
      const deg = caseAudio(c, 'deg');
      const corr = new StreamingCorrelator(512);
      corr.push(ref, deg);
      const r = new Float64Array(512);
      const p = new Float64Array(512);
      corr.correlations(r, p);
      const s = new ToeplitzSolver(512);
      const hl = new Float64Array(512);
      const hc = new Float64Array(512);
      expect(s.solve(r, p, hl)).toBe('levinson');
      expect(s.cholesky(r, p, hc)).toBe(true);
      const w = new Float64Array(512);
      expect(backwardError(r, p, hl, w)).toBeLessThan(LEVINSON_MAX_BACKWARD_ERROR);
      expect(backwardError(r, p, hc, w)).toBeLessThan(LEVINSON_MAX_BACKWARD_ERROR);
      // The filters themselves differ by up to cond·ε ≈ 1e-7 relative (measured 2e-9..1e-7), but
      // hᵀc is stationary at the solution (c − Rh ≈ 0), so it agrees to second order: measured
      // ≤ 6.3e-13 relative (p15), the rounding of the dot product of an oscillating h. 1e-11 leaves
      // 15× margin and is still 4 orders below what moves CI-SDR by 1e-6 dB.
      const eL = dot(hl, p);
      const eC = dot(hc, p);
      expect(Math.abs(eL - eC) / eC).toBeLessThan(1e-11);
    },
  );
});
