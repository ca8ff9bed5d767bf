/**
 * Mel filterbank and DCT-II for log-mel and MFCC features. Mel scale of O'Shaughnessy / HTK:
 * m = 2595·log10(1 + f/700). Triangular filters with peak 1, evenly spaced on the mel scale between
 * `fMin` and `fMax`, over bins 0..N/2 of an N-point FFT.
 */
export const melOf = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
export const hzOf = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

export interface MelFilterbank {
  bands: number;
  /** Per band: first bin, and weights for bins first..first+weights.length−1. */
  first: Int32Array;
  weights: Float64Array[];
}

export function melFilterbank(sampleRate: number, fftSize: number, bands: number, fMin = 0, fMax = sampleRate / 2): MelFilterbank {
  const lo = melOf(fMin);
  const hi = melOf(Math.min(fMax, sampleRate / 2));
  const edges = Array.from({ length: bands + 2 }, (_, i) => hzOf(lo + ((hi - lo) * i) / (bands + 1)));
  const binHz = sampleRate / fftSize;
  const first = new Int32Array(bands);
  const weights: Float64Array[] = [];
  for (let b = 0; b < bands; b++) {
    const [l, c, r] = [edges[b], edges[b + 1], edges[b + 2]];
    const k0 = Math.max(0, Math.ceil(l / binHz));
    const k1 = Math.min(fftSize / 2, Math.floor(r / binHz));
    const w: number[] = [];
    for (let k = k0; k <= k1; k++) {
      const f = k * binHz;
      w.push(f <= c ? (f - l) / (c - l) : (r - f) / (r - c));
    }
    first[b] = k0;
    weights.push(Float64Array.from(w, (v) => Math.max(0, v)));
  }
  return { bands, first, weights };
}

/** Band energies of a power spectrum (bins 0..N/2) into `out` (length `bands`). */
export function applyMel(fb: MelFilterbank, power: Float64Array, out: Float64Array): void {
  for (let b = 0; b < fb.bands; b++) {
    const w = fb.weights[b];
    const k0 = fb.first[b];
    let acc = 0;
    for (let i = 0; i < w.length; i++) acc += w[i] * power[k0 + i];
    out[b] = acc;
  }
}

/** Orthonormal DCT-II matrix rows 0..coeffs−1 for inputs of length n (as scipy's dct(norm='ortho')). */
export function dctMatrix(n: number, coeffs: number): Float64Array[] {
  return Array.from({ length: coeffs }, (_, k) =>
    Float64Array.from({ length: n }, (_, i) => Math.sqrt((k === 0 ? 1 : 2) / n) * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n))),
  );
}
