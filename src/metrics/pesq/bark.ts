/**
 * The Bark-band layout of the PESQ-like perceptual model: FFT bins grouped into bands of equal width on
 * the Bark (critical-band rate) scale, the absolute hearing threshold per band and Zwicker's loudness
 * exponent per band.
 *
 * Sources (psychoacoustics, not PESQ code):
 * - Bark scale: Zwicker & Terhardt (1980), z(f) = 13·atan(0.00076·f) + 3.5·atan((f/7500)²), f in Hz.
 * - Absolute threshold in quiet: Terhardt (1979),
 *   T(f) = 3.64·(f/kHz)^−0.8 − 6.5·exp(−0.6·(f/kHz − 3.3)²) + 10⁻³·(f/kHz)⁴ dB SPL.
 * - Band count follows P.862 §10.2.1: 42 bands at 8 kHz, 49 at 16 kHz (Beerends et al. 2002 use bands
 *   of about a third of a Bark); the exact band edges of the recommendation's tables are not published
 *   in its text, so ours are equal steps in Bark between LOWEST_BAND_EDGE_HZ and the band top.
 * - Loudness exponent: Zwicker's power law with γ = 0.23 (Beerends et al. 2002, §"Loudness"; P.862
 *   §10.2.5), raised slightly below 4 Bark as both describe; the size of that rise is not given in
 *   their text: it is the calibrated `lowBarkGammaSlope` (params.ts), applied in perceptual-model.ts.
 */

/** Lower edge of the first band, Hz: below it telephone speech carries no useful energy. */
export const LOWEST_BAND_EDGE_HZ = 100;
/** Bands at 8 kHz (up to 4 kHz) and at 16 kHz (up to 8 kHz), P.862 §10.2.1. */
export const BANDS_8K = 42;
export const BANDS_16K = 49;
/** Zwicker's loudness exponent above 4 Bark. */
export const ZWICKER_GAMMA = 0.23;
/** Bark below which the exponent rises. */
export const GAMMA_KNEE_BARK = 4;

export function hzToBark(f: number): number {
  return 13 * Math.atan(0.00076 * f) + 3.5 * Math.atan((f / 7500) * (f / 7500));
}

/** Inverse of `hzToBark` by bisection (monotone on 0..24 kHz). */
export function barkToHz(z: number): number {
  let lo = 0;
  let hi = 24000;
  for (let i = 0; i < 60; i++) {
    const mid = 0.5 * (lo + hi);
    if (hzToBark(mid) < z) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Terhardt's threshold in quiet, dB SPL. */
export function terhardtThresholdDb(f: number): number {
  const k = f / 1000;
  return 3.64 * Math.pow(k, -0.8) - 6.5 * Math.exp(-0.6 * (k - 3.3) * (k - 3.3)) + 1e-3 * k * k * k * k;
}

export interface BarkLayout {
  sampleRate: number;
  nfft: number;
  bands: number;
  /** Width of each band in Bark. */
  widthBark: Float64Array;
  centreHz: Float64Array;
  centreBark: Float64Array;
  /** Band j sums bins binLo[j]..binHi[j] (inclusive) with weights weights[wOff[j] + (k − binLo[j])]. */
  binLo: Int32Array;
  binHi: Int32Array;
  wOff: Int32Array;
  weights: Float64Array;
}

/**
 * Bands of equal Bark width from LOWEST_BAND_EDGE_HZ to fs/2. Each FFT bin k stands for the interval
 * [(k − ½)Δf, (k + ½)Δf]; it contributes to a band in proportion to the overlap, so narrow low bands
 * still receive power and the bands tile the bins exactly.
 */
export function barkLayout(sampleRate: number, nfft: number): BarkLayout {
  const bands = sampleRate <= 8000 ? BANDS_8K : BANDS_16K;
  const top = sampleRate / 2;
  const z0 = hzToBark(LOWEST_BAND_EDGE_HZ);
  const zEdges = new Float64Array(bands + 1);
  const z1 = hzToBark(top);
  for (let j = 0; j <= bands; j++) zEdges[j] = z0 + (j * (z1 - z0)) / bands;
  const edges = new Float64Array(bands + 1);
  for (let j = 0; j <= bands; j++) edges[j] = barkToHz(zEdges[j]);
  edges[bands] = top;
  const widthBark = new Float64Array(bands);
  const df = sampleRate / nfft;
  const centreHz = new Float64Array(bands);
  const centreBark = new Float64Array(bands);
  const binLo = new Int32Array(bands);
  const binHi = new Int32Array(bands);
  const wOff = new Int32Array(bands);
  const w: number[] = [];
  for (let j = 0; j < bands; j++) {
    const a = edges[j];
    const b = edges[j + 1];
    centreBark[j] = 0.5 * (zEdges[j] + zEdges[j + 1]);
    widthBark[j] = zEdges[j + 1] - zEdges[j];
    centreHz[j] = barkToHz(centreBark[j]);
    const lo = Math.max(0, Math.floor(a / df + 0.5));
    const hi = Math.min(nfft / 2, Math.ceil(b / df - 0.5));
    binLo[j] = lo;
    binHi[j] = hi;
    wOff[j] = w.length;
    for (let k = lo; k <= hi; k++) {
      const overlap = Math.min(b, (k + 0.5) * df) - Math.max(a, (k - 0.5) * df);
      w.push(Math.max(0, overlap) / df);
    }
  }
  return {
    sampleRate,
    nfft,
    bands,
    widthBark,
    centreHz,
    centreBark,
    binLo,
    binHi,
    wOff,
    weights: Float64Array.from(w),
  };
}

/** Sum a power spectrum (bins 0..N/2) into bands. Writes `out[0..bands)`. */
export function bandPowers(layout: BarkLayout, power: Float64Array, out: Float64Array): void {
  const { binLo, binHi, wOff, weights } = layout;
  for (let j = 0; j < layout.bands; j++) {
    let s = 0;
    const off = wOff[j] - binLo[j];
    for (let k = binLo[j]; k <= binHi[j]; k++) s += weights[off + k] * power[k];
    out[j] = s;
  }
}
