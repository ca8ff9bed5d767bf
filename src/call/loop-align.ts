/**
 * Where a looped signal is in a recording of it. Chromium's fake capture device (and the page's
 * looping AudioBufferSourceNode) play the input over and over from an instant nobody knows, so the
 * recording r of length M is, up to processing and a codec, the periodic input x of period N read
 * from an unknown phase k: r[i] ≈ x[(i + k) mod N].
 *
 * `loopOffset` finds k by one circular cross-correlation with phase transform (GCC-PHAT, Knapp &
 * Carter 1976) between x tiled to N + L samples and the recording's first L = min(M, N) samples, both
 * zero-padded to one power-of-two FFT; `rotate` then builds the reference the recording should match.
 */
import { nextPowerOfTwo, realFftPlan } from '../dsp/fft.js';

/** A phase is trusted when its correlation peak stands this far above the correlation's RMS (analyze.ts uses 10 for delays). */
export const MIN_LOOP_PEAK_TO_RMS = 10;
/** Whitening floor, relative to the largest cross-spectrum magnitude: bins far below it are not amplified to full weight. */
const PHAT_FLOOR = 1e-6;

export interface LoopOffset {
  /** r[i] ≈ x[(i + offset) mod N], samples in [0, N). */
  offset: number;
  /** Peak of the whitened correlation, 0..1. */
  confidence: number;
  peakToRms: number;
}

/**
 * The phase of `recorded` in the periodic `periodic`, or null with a reason when no peak stands out
 * (the recording is silent, or not this signal).
 */
export function loopOffset(periodic: Float64Array, recorded: Float64Array): LoopOffset | { offset: null; reason: string } {
  const n = periodic.length;
  const l = Math.min(recorded.length, n);
  if (n === 0 || l === 0) return { offset: null, reason: 'nothing recorded' };
  const size = nextPowerOfTwo(n + l);
  const plan = realFftPlan(size);
  const a = new Float64Array(size);
  a.set(periodic, 0);
  a.set(periodic.subarray(0, l), n);
  const b = new Float64Array(size);
  b.set(recorded.subarray(0, l), 0);
  const sa = new Float64Array(size + 2);
  const sb = new Float64Array(size + 2);
  plan.forward(a, sa);
  plan.forward(b, sb);
  // X = A · conj(B), whitened: IFFT(X)[k] = Σ_i b[i] a[i + k] with every frequency weighted equally.
  let maxMag = 0;
  for (let k = 0; k <= size / 2; k++) {
    const ar = sa[2 * k], ai = sa[2 * k + 1], br = sb[2 * k], bi = sb[2 * k + 1];
    const re = ar * br + ai * bi;
    const im = ai * br - ar * bi;
    sa[2 * k] = re;
    sa[2 * k + 1] = im;
    const m = Math.hypot(re, im);
    sb[2 * k] = m;
    if (m > maxMag) maxMag = m;
  }
  if (maxMag === 0) return { offset: null, reason: 'the recording is silent' };
  const floor = PHAT_FLOOR * maxMag;
  for (let k = 0; k <= size / 2; k++) {
    const w = 1 / Math.max(sb[2 * k], floor);
    sa[2 * k] *= w;
    sa[2 * k + 1] *= w;
  }
  const corr = new Float64Array(size);
  plan.inverse(sa, corr);
  let best = 0;
  let sumSq = 0;
  for (let k = 0; k < n; k++) {
    sumSq += corr[k] * corr[k];
    if (corr[k] > corr[best]) best = k;
  }
  const rms = Math.sqrt(sumSq / n);
  const peakToRms = rms > 0 ? corr[best] / rms : 0;
  if (!(peakToRms >= MIN_LOOP_PEAK_TO_RMS)) {
    return { offset: null, reason: `the recording does not match the input (correlation peak ${peakToRms.toFixed(1)} × RMS, needs ${MIN_LOOP_PEAK_TO_RMS})` };
  }
  // For a pure circular shift every bin is coherent and the peak is (size/2+1)/size·2 ≈ 1.
  return { offset: best, confidence: Math.min(1, corr[best]), peakToRms };
}

/** out[i] = x[(i + offset) mod N], i < length: the periodic signal as a recording starting at phase `offset`. */
export function rotate(x: Float64Array, offset: number, length: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(length);
  let j = ((offset % n) + n) % n;
  for (let i = 0; i < length; i++) {
    out[i] = x[j];
    if (++j === n) j = 0;
  }
  return out;
}
