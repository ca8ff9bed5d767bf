/**
 * Fractional-delay interpolation with a Kaiser-windowed sinc (Laakso et al. 1996, "Splitting the unit
 * delay", §3.2): the value of a band-limited signal between its samples,
 *   x(i + f) ≈ Σ_{k=−K+1..K} x[i + k] · h(k − f),  h(t) = sinc(t) · kaiser(t / K),  0 ≤ f < 1.
 * The taps come from a table of `PHASES` fractions, linearly interpolated between neighbours, so an
 * output sample costs 2·(2K) multiply-adds and no transcendental function.
 *
 * Accuracy (test/dsp/fractional-delay.test.ts; error power against an exact FFT fractional delay):
 * white noise band-limited to 0.8 × Nyquist, −90 dB or less at every fraction tried (0.1 … 0.9), to
 * 0.9 × Nyquist −72 dB; the corpus's synthetic speech, which keeps energy up to Nyquist, −51 dB at
 * half a sample (−61 dB at 0.1). f = 0 gives the samples exactly (the table's phase 0 is a unit
 * impulse).
 */

/** Half-length K of the kernel: 2K = 48 taps. */
export const FD_HALF = 24;
/** Kaiser β (≈ 85 dB side lobes). */
const BETA = 8.5;
/** Fractions tabulated in [0, 1]. */
const PHASES = 512;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 60; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** taps[(phase) * 2K + (k + K − 1)] = h(k − phase / PHASES), phases 0..PHASES (the last is f = 1). */
let table: Float64Array | null = null;
function taps(): Float64Array {
  if (table) return table;
  const K = FD_HALF;
  const t = new Float64Array((PHASES + 1) * 2 * K);
  const i0b = besselI0(BETA);
  for (let p = 0; p <= PHASES; p++) {
    const f = p / PHASES;
    for (let k = -K + 1; k <= K; k++) {
      const x = k - f;
      let v: number;
      if (p === 0 || p === PHASES) v = x === 0 ? 1 : 0; // exact at whole samples
      else {
        const u = x / K;
        const w = Math.abs(u) >= 1 ? 0 : besselI0(BETA * Math.sqrt(1 - u * u)) / i0b;
        v = (Math.sin(Math.PI * x) / (Math.PI * x)) * w;
      }
      t[p * 2 * K + (k + K - 1)] = v;
    }
  }
  table = t;
  return t;
}

/**
 * x at position `i + f` (0 ≤ f < 1) from `x`, whose element 0 holds signal sample `x0`; samples
 * outside `[lo, hi)` (signal indices) count as zero. The caller keeps x[i − K + 1 − x0 .. i + K − x0]
 * in the array where they exist. The taps of f are interpolated from the table's two nearest
 * fractions inside the multiply-add loop (nothing is stored, nothing allocated).
 */
export function interpolateAt(x: Float64Array, x0: number, lo: number, hi: number, i: number, f: number): number {
  const K = FD_HALF;
  if (f === 0) return i >= lo && i < hi ? x[i - x0] : 0;
  const t = table ?? taps();
  const pos = f * PHASES;
  const p = Math.min(PHASES - 1, Math.floor(pos));
  const a = pos - p;
  const r0 = p * 2 * K;
  const r1 = r0 + 2 * K;
  const first = i - K + 1;
  const from = Math.max(first, lo);
  const to = Math.min(i + K, hi - 1);
  let acc = 0;
  for (let j = from; j <= to; j++) {
    const k = j - first;
    const t0 = t[r0 + k];
    acc += x[j - x0] * (t0 + a * (t[r1 + k] - t0));
  }
  return acc;
}
