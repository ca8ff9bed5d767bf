/**
 * The resampling filter of pystoi 0.4.1 (`pystoi.utils._resample_window_oct`, a port of Octave's
 * `resample.m`): a Kaiser-windowed sinc low-pass for the rational factor up/down, normalised to unit sum
 * and multiplied by `up` as scipy's `resample_poly(x, up, down, window=h)` applies it.
 *
 * Design: cut-off f_c = 1/(2·max(up, down)) cycles per upsampled sample, transition width f_c/10, 60 dB
 * rejection → L = ⌈(60 − 8)/(28.714 · f_c/10)⌉ (Kaiser's length formula), Kaiser β = 0.1102·(60 − 8.7)
 * = 5.65326, ideal response 2·up·f_c·sinc(2·f_c·t); 2L + 1 taps centred on tap L.
 * For 16 kHz → 10 kHz: up = 5, down = 8, L = 290, 581 taps, ≈ 116 multiply-adds per output sample.
 *
 * The filters are applied by `resample-poly.ts` (direct polyphase) and `resample-fft.ts` (FFT polyphase).
 *
 * References: J. F. Kaiser, "Nonrecursive digital filter design using the I0-sinh window function",
 * ISCAS 1974 (window and β, length formulas); scipy.signal.resample_poly documentation.
 */
import { earshotError } from '../errors.js';

// Octave resample.m design constants, as in pystoi utils._resample_window_oct.
const LOG10_REJECTION = -3.0; // stop-band rejection 10^-3, i.e. 60 dB
const ROLL_OFF_FRACTION = 10; // transition width = cut-off / 10
const KAISER_LENGTH_OFFSET_DB = 8; // Kaiser: L = (A − 8) / (2.285 · 2π · Δf) = (A − 8) / (28.714 · Δf)
const KAISER_LENGTH_SLOPE = 28.714;

/** Power-series terms below this fraction of the running sum are negligible (< 1/4 ulp). */
const SERIES_TOLERANCE = 1e-17;
/** Above this argument the asymptotic expansion of I0 is used (its smallest term there is ~e^(−2x)). */
const I0_ASYMPTOTIC_FROM = 20;

/**
 * Modified Bessel function of the first kind, order 0: I0(x) = Σ_k (x²/4)^k / (k!)².
 * For |x| ≤ 20 the power series (all terms positive, so summation is stable, ≤ ~35 terms); above, the
 * asymptotic expansion e^x / √(2πx) · Σ_k ((2k − 1)!!)² / (k! · (8x)^k), truncated at its smallest term
 * (< 1e-17 relative for x ≥ 20). Even in x; +∞ beyond x ≈ 713 (overflow of e^x).
 */
export function besselI0(x: number): number {
  const ax = Math.abs(x);
  if (ax <= I0_ASYMPTOTIC_FROM) {
    const q = (ax * ax) / 4;
    let term = 1;
    let sum = 1;
    for (let k = 1; k < 500; k++) {
      term *= q / (k * k);
      sum += term;
      if (term < sum * SERIES_TOLERANCE) break;
    }
    return sum;
  }
  // Asymptotic series: a_k = a_{k−1} · (2k − 1)² / (8k·x); stop when terms stop shrinking or are negligible.
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 200; k++) {
    const next = (term * (2 * k - 1) * (2 * k - 1)) / (8 * k * ax);
    if (next >= term) break;
    term = next;
    sum += term;
    if (term < sum * SERIES_TOLERANCE) break;
  }
  // Split e^x to delay overflow: e^x/√(2πx) = e^(x/2) · (e^(x/2)/√(2πx)).
  const half = Math.exp(ax / 2);
  return half * ((half / Math.sqrt(2 * Math.PI * ax)) * sum);
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** NumPy's `np.sinc`: sin(πx)/(πx), 1 at 0. */
function sinc(x: number): number {
  if (x === 0) return 1;
  const y = Math.PI * x;
  return Math.sin(y) / y;
}

/** A rational resampler's filter, ready for polyphase use. */
export interface ResamplerDesign {
  /** Interpolation factor (after gcd reduction). */
  readonly up: number;
  /** Decimation factor (after gcd reduction). */
  readonly down: number;
  /** L: the filter has 2L + 1 taps, centred on tap L. */
  readonly halfLength: number;
  /** g = up · h / Σh, length 2L + 1 (the exact taps scipy's upfirdn applies). */
  readonly taps: Float64Array;
}

/** (up, down) = (outRate, inRate) / gcd. Both rates must be positive integers. */
export function rationalFactors(outRate: number, inRate: number): { up: number; down: number } {
  if (!Number.isInteger(outRate) || !Number.isInteger(inRate) || outRate < 1 || inRate < 1) {
    throw earshotError(
      'ERR_INVALID_ARGUMENT',
      `sample rates must be positive integers, got out ${outRate} Hz, in ${inRate} Hz`,
    );
  }
  const g = gcd(outRate, inRate);
  return { up: outRate / g, down: inRate / g };
}

/** Designs are pure functions of (up, down); the 44.1 kHz one has 31 947 taps, so build each once. */
const designCache = new Map<string, ResamplerDesign>();

/**
 * The filter of pystoi's `resample_oct(x, p = outRate, q = inRate)`: `_resample_window_oct(p, q)`
 * normalised to unit sum, then multiplied by `up` as scipy's `resample_poly` does.
 */
export function octaveResamplerDesign(outRate: number, inRate: number): ResamplerDesign {
  const { up, down } = rationalFactors(outRate, inRate);
  const key = `${up}/${down}`;
  const cached = designCache.get(key);
  if (cached) return cached;
  // Same float operations, in the same order, as pystoi (so that ⌈·⌉ lands on the same L).
  const stopbandCutoff = 1.0 / (2 * Math.max(up, down));
  const rollOffWidth = stopbandCutoff / ROLL_OFF_FRACTION;
  const rejectionDb = -20 * LOG10_REJECTION;
  const L = Math.ceil((rejectionDb - KAISER_LENGTH_OFFSET_DB) / (KAISER_LENGTH_SLOPE * rollOffWidth));
  let beta: number;
  if (rejectionDb >= 21 && rejectionDb <= 50) {
    beta = 0.5842 * (rejectionDb - 21) ** 0.4 + 0.07886 * (rejectionDb - 21);
  } else if (rejectionDb > 50) {
    beta = 0.1102 * (rejectionDb - 8.7);
  } else {
    beta = 0;
  }
  const n = 2 * L + 1;
  const taps = new Float64Array(n);
  // np.kaiser(M, β)[i] = I0(β·√(1 − ((i − α)/α)²)) / I0(β), α = (M − 1)/2 = L.
  const i0Beta = besselI0(beta);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = (i - L) / L;
    const kaiser = besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta;
    const ideal = 2 * up * stopbandCutoff * sinc(2 * stopbandCutoff * (i - L));
    taps[i] = kaiser * ideal;
    sum += taps[i];
  }
  for (let i = 0; i < n; i++) taps[i] = (taps[i] / sum) * up;
  const design: ResamplerDesign = { up, down, halfLength: L, taps };
  designCache.set(key, design);
  return design;
}

/** Output length of `resample_poly`: ⌈n·up/down⌉. */
export function resampledLength(inputLength: number, up: number, down: number): number {
  return Math.ceil((inputLength * up) / down);
}
