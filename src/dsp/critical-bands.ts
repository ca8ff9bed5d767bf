/**
 * The 25 Gaussian critical-band filters of Loizou's objective measures (frequency-weighted segmental
 * SNR and Klatt's weighted spectral slope), as pysepm's `fwSNRseg` / `wss` build them
 * (schmiph2/pysepm qualityMeasures.py; P. C. Loizou, "Speech Enhancement: Theory and Practice",
 * 2nd ed., 2013, Sec. 11.1; Y. Hu & P. C. Loizou, IEEE TASLP 16(1), 2008).
 *
 * Band b is centred at CRITICAL_BAND_CENTRES_HZ[b] with width CRITICAL_BAND_WIDTHS_HZ[b], both fixed in
 * Hz whatever the sample rate (at 48 kHz the bands still stop near 3.6 kHz). On the grid of the
 * nfft/2 lowest FFT bins j (the Nyquist bin is not used):
 *   f0 = floor(centre / (fs/2) · nfft/2),  bw = width / (fs/2) · nfft/2,
 *   H_b[j] = exp(−11·((j − f0)/bw)² + ln(70 Hz / width)),
 * and H_b[j] is set to 0 where it is not above exp(−30 / (2·2.303)) (the filter's −30 dB point).
 * The kept bins of a band are contiguous, so each band is stored sparsely as [start, end) + weights.
 */

/** Number of critical bands. */
export const NUM_CRITICAL_BANDS = 25;

/** Centre frequencies, Hz (Loizou's table). */
export const CRITICAL_BAND_CENTRES_HZ: readonly number[] = [
  50.0, 120.0, 190.0, 260.0, 330.0, 400.0, 470.0, 540.0, 617.372, 703.378, 798.717, 904.128, 1020.38,
  1148.3, 1288.72, 1442.54, 1610.7, 1794.16, 1993.93, 2211.08, 2446.71, 2701.97, 2978.04, 3276.17, 3597.63,
];

/** Bandwidths, Hz (Loizou's table). */
export const CRITICAL_BAND_WIDTHS_HZ: readonly number[] = [
  70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 77.3724, 86.0056, 95.3398, 105.411, 116.256, 127.914, 140.423,
  153.823, 168.154, 183.457, 199.776, 217.153, 235.631, 255.255, 276.072, 298.126, 321.465, 346.136,
];

/** Filter floor: the −30 dB point of the Gaussian, exp(−30/(2·2.303)) (Loizou's constant, ln 10 ≈ 2.303). */
const MIN_FACTOR = Math.exp(-30.0 / (2.0 * 2.303));

/** Sparse critical-band filter bank over FFT bins 0..numBins−1 (numBins = nfft/2). */
export interface CriticalBandFilters {
  readonly sampleRate: number;
  readonly nfft: number;
  readonly numBins: number;
  /** First kept bin of each band. */
  readonly start: Int32Array;
  /** One past the last kept bin (start = end for a band with no bin in range). */
  readonly end: Int32Array;
  /** Index into `weights` of band b's first weight. */
  readonly offset: Int32Array;
  /** Concatenated weights H_b[start_b .. end_b). */
  readonly weights: Float64Array;
}

const cache = new Map<string, CriticalBandFilters>();

/** The filter bank for `sampleRate` (Hz) and FFT size `nfft`; cached, so callers share one instance. */
export function criticalBandFilters(sampleRate: number, nfft: number): CriticalBandFilters {
  const key = `${sampleRate}/${nfft}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const numBins = nfft / 2;
  const maxFreq = sampleRate / 2;
  const bwMin = CRITICAL_BAND_WIDTHS_HZ[0];
  const start = new Int32Array(NUM_CRITICAL_BANDS);
  const end = new Int32Array(NUM_CRITICAL_BANDS);
  const offset = new Int32Array(NUM_CRITICAL_BANDS);
  const parts: number[] = [];
  for (let b = 0; b < NUM_CRITICAL_BANDS; b++) {
    const f0 = Math.floor((CRITICAL_BAND_CENTRES_HZ[b] / maxFreq) * numBins);
    const bw = (CRITICAL_BAND_WIDTHS_HZ[b] / maxFreq) * numBins;
    const norm = Math.log(bwMin) - Math.log(CRITICAL_BAND_WIDTHS_HZ[b]);
    let first = -1;
    let last = -1;
    const vals: number[] = [];
    for (let j = 0; j < numBins; j++) {
      const t = (j - f0) / bw;
      const h = Math.exp(-11 * (t * t) + norm);
      if (h > MIN_FACTOR) {
        if (first < 0) first = j;
        last = j;
      }
      vals.push(h > MIN_FACTOR ? h : 0);
    }
    offset[b] = parts.length;
    if (first < 0) {
      start[b] = 0;
      end[b] = 0;
      continue;
    }
    start[b] = first;
    end[b] = last + 1;
    for (let j = first; j <= last; j++) parts.push(vals[j]);
  }
  const filters: CriticalBandFilters = {
    sampleRate,
    nfft,
    numBins,
    start,
    end,
    offset,
    weights: Float64Array.from(parts),
  };
  cache.set(key, filters);
  return filters;
}

/**
 * Band values out[b] = Σⱼ H_b[j]·spectrum[j] (magnitude or power spectrum over bins 0..numBins−1),
 * summed in increasing j over the band's nonzero bins. Allocates nothing.
 */
export function applyCriticalBands(f: CriticalBandFilters, spectrum: Float64Array, out: Float64Array): void {
  applyCriticalBandsPair(f, spectrum, spectrum, out, out);
}

/**
 * `applyCriticalBands` of two spectra in one pass over the filters (the pair a frame of ref and deg
 * gives): outA[b] = Σⱼ H_b[j]·a[j], outB[b] = Σⱼ H_b[j]·b[j], each summed in increasing j. Allocates
 * nothing.
 */
export function applyCriticalBandsPair(
  f: CriticalBandFilters,
  a: Float64Array,
  b: Float64Array,
  outA: Float64Array,
  outB: Float64Array,
): void {
  const { start, end, offset, weights } = f;
  for (let band = 0; band < NUM_CRITICAL_BANDS; band++) {
    let sa = 0;
    let sb = 0;
    const o = offset[band] - start[band];
    for (let j = start[band], e = end[band]; j < e; j++) {
      const h = weights[o + j];
      sa += h * a[j];
      sb += h * b[j];
    }
    outA[band] = sa;
    outB[band] = sb;
  }
}
