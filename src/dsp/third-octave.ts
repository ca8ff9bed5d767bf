/**
 * One-third octave band matrix of STOI, as pystoi 0.4.1 `utils.thirdoct(fs, nfft, num_bands, min_freq)`
 * builds it (after Taal's `thirdoct.m`): band k has centre min_freq · 2^(k/3) and nominal edges
 * min_freq · 2^((2k ∓ 1)/6); each edge snaps to the nearest FFT bin frequency (the first such bin on a tie,
 * like `np.argmin`) and the band sums bins [low, high), high exclusive. With STOI's fs = 10 kHz,
 * NFFT = 512, 15 bands from 150 Hz, the bands run from bin 7 (136.7 Hz) to bin 218 (4.26 kHz).
 *
 * The matrix is 0/1 with contiguous rows, so it is stored as bin ranges and applied as sums.
 *
 * Reference: C. H. Taal et al., "An Algorithm for Intelligibility Prediction of Time-Frequency Weighted
 * Noisy Speech", IEEE TASLP 19(7), 2011, eq. (1) (one-third octave band energies).
 */

export interface ThirdOctaveBands {
  readonly sampleRate: number;
  readonly nfft: number;
  readonly numBands: number;
  /** Nominal centre frequencies in Hz (pystoi's `cf`). */
  readonly centers: Float64Array;
  /** First FFT bin of each band. */
  readonly lowBin: Int32Array;
  /** One past the last FFT bin of each band (exclusive, as in pystoi `obm[i, fl:fh] = 1`). */
  readonly highBin: Int32Array;
}

const cache = new Map<string, ThirdOctaveBands>();

/** Index of the FFT bin frequency nearest to `freq` (first one on a tie, like np.argmin). */
function nearestBin(binHz: Float64Array, freq: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < binHz.length; i++) {
    const d = (binHz[i] - freq) * (binHz[i] - freq);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/**
 * The band ranges of pystoi's `thirdoct(sampleRate, nfft, numBands, minFreq)`. Cached per arguments;
 * the returned arrays are shared, do not modify them.
 */
export function thirdOctaveBands(sampleRate: number, nfft: number, numBands: number, minFreq: number): ThirdOctaveBands {
  const key = `${sampleRate}/${nfft}/${numBands}/${minFreq}`;
  const hit = cache.get(key);
  if (hit) return hit;
  // np.linspace(0, fs, nfft + 1)[: nfft/2 + 1]: k · (fs / nfft).
  const nBins = Math.floor(nfft / 2) + 1;
  const step = sampleRate / nfft;
  const binHz = new Float64Array(nBins);
  for (let i = 0; i < nBins; i++) binHz[i] = i * step;
  const centers = new Float64Array(numBands);
  const lowBin = new Int32Array(numBands);
  const highBin = new Int32Array(numBands);
  for (let k = 0; k < numBands; k++) {
    centers[k] = Math.pow(2.0 ** (1.0 / 3), k) * minFreq;
    lowBin[k] = nearestBin(binHz, minFreq * Math.pow(2.0, (2 * k - 1) / 6));
    highBin[k] = nearestBin(binHz, minFreq * Math.pow(2.0, (2 * k + 1) / 6));
  }
  const bands: ThirdOctaveBands = { sampleRate, nfft, numBands, centers, lowBin, highBin };
  cache.set(key, bands);
  return bands;
}

/** The dense band matrix (numBands × (nfft/2 + 1), row-major), pystoi's `OBM`, for inspection and tests. */
export function thirdOctaveMatrix(bands: ThirdOctaveBands): Float64Array {
  const nBins = Math.floor(bands.nfft / 2) + 1;
  const m = new Float64Array(bands.numBands * nBins);
  for (let k = 0; k < bands.numBands; k++) {
    for (let i = bands.lowBin[k]; i < bands.highBin[k]; i++) m[k * nBins + i] = 1;
  }
  return m;
}

/**
 * Band amplitudes √(Σ_{bins in band} |X|²) of one spectrum in the FFT plan layout (interleaved
 * re/im of bins 0..N/2), written to `out[outOffset + k]`. This is pystoi's `sqrt(OBM @ |X|²)` for one frame.
 */
export function bandAmplitudes(
  bands: ThirdOctaveBands,
  spectrum: Float64Array,
  out: Float64Array,
  outOffset = 0,
): void {
  const { lowBin, highBin, numBands } = bands;
  for (let k = 0; k < numBands; k++) {
    let e = 0;
    for (let i = lowBin[k]; i < highBin[k]; i++) {
      const re = spectrum[2 * i];
      const im = spectrum[2 * i + 1];
      e += re * re + im * im;
    }
    out[outOffset + k] = Math.sqrt(e);
  }
}

