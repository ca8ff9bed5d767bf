/**
 * Window functions, float64. Conventions matter when matching references:
 * - `hanningMatlab(N)`: MATLAB's `hanning(N)`, symmetric without zero end points,
 *   w[n] = 0.5·(1 − cos(2π(n+1)/(N+1))), n = 0..N−1 (= NumPy `hanning(N+2)[1:-1]`). pystoi, pysepm.
 * - `hannPeriodic(N)`: w[n] = 0.5·(1 − cos(2πn/N)) (= NumPy `hanning(N+1)[:-1]`, scipy `hann(N, sym=False)`).
 * - `hannSymmetric(N)`: NumPy `hanning(N)`, w[n] = 0.5·(1 − cos(2πn/(N−1))), zero at both ends.
 */

export function hanningMatlab(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 * (1 - Math.cos((2 * Math.PI * (i + 1)) / (n + 1)));
  return w;
}

export function hannPeriodic(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 * (1 - Math.cos((2 * Math.PI * i) / n));
  return w;
}

export function hannSymmetric(n: number): Float64Array {
  const w = new Float64Array(n);
  if (n === 1) {
    w[0] = 1;
    return w;
  }
  for (let i = 0; i < n; i++) w[i] = 0.5 * (1 - Math.cos((2 * Math.PI * i) / (n - 1)));
  return w;
}

/** Square root of the periodic Hann window (asteroid's `sqrt_hann`, PMSQE front end). */
export function sqrtHannPeriodic(n: number): Float64Array {
  const w = hannPeriodic(n);
  for (let i = 0; i < n; i++) w[i] = Math.sqrt(w[i]);
  return w;
}
