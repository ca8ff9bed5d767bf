/**
 * Weighted spectral slope distance (WSS), lower is better, as pysepm's `wss` (schmiph2/pysepm
 * qualityMeasures.py; D. H. Klatt, "Prediction of perceived phonetic distance from critical-band
 * spectra", ICASSP 1982; Y. Hu & P. C. Loizou, IEEE TASLP 16(1), 2008, eqs. (4)–(5)).
 *
 * Per 30 ms frame (hop 7.5 ms, MATLAB hanning window, both signals + eps): power spectra of bins
 * 0..nfft/2 − 1, 25 critical-band energies in dB (10·log10, floored at −100 dB), the 24 slopes between
 * adjacent bands, and Klatt's weights per signal
 *   W_b = K_max/(K_max + E_max − E_b) · K_locmax/(K_locmax + E_peak(b) − E_b),  K_max = 20, K_locmax = 1,
 * with E_max the frame's largest band energy and E_peak(b) the "nearest local peak" exactly as pysepm's
 * `find_loc_peaks` picks it; W = (W_ref + W_deg)/2 and the frame value is
 * Σ_b W_b (slope_ref,b − slope_deg,b)² / Σ_b W_b. The result is the mean of the lowest round(0.95·M)
 * frame values (M = int(N/S − L/S) frames, ties of the rounding to even).
 *
 * Memory: the 95 % trim needs every frame value, so this keeps one float64 per 7.5 ms frame
 * (`FrameValues`: 3.8 MB per hour), never the signal.
 *
 * @example
 * const acc = new WssAccumulator({ sampleRate: 16000 });
 * acc.update({ ref, deg });
 * acc.compute(); // { value: 17.2…, frames: 556, framesKept: 528 }
 */
import { applyCriticalBands, criticalBandFilters, NUM_CRITICAL_BANDS, type CriticalBandFilters } from '../dsp/critical-bands.js';
import { nullValue, type MetricAccumulator, type SignalBlock } from './types.js';
import {
  FrameValues,
  pysepmFrameCount,
  SEPM_TOO_SHORT,
  SepmSpectralDriver,
  sepmGeometry,
  type SepmGeometry,
  type SepmOptions,
  type SepmTrimmedValue,
} from './sepm-frames.js';

export type { SepmOptions, SepmTrimmedValue } from './sepm-frames.js';

/** Klatt's global-maximum weight constant, dB (Klatt 1982, p. 1280). */
export const WSS_KMAX_DB = 20;
/** Klatt's local-maximum weight constant, dB. */
export const WSS_KLOCMAX_DB = 1;
/** Floor of a band energy, dB. */
export const WSS_FLOOR_DB = -100;

const NUM_SLOPES = NUM_CRITICAL_BANDS - 1;

/**
 * The per-frame part: frame values from the two power spectra, kept for the trimmed mean. Used by
 * `WssAccumulator` and, sharing one FFT per frame with fwSegSNR, by `SepmSpectralAccumulator`.
 */
export class WssFrames {
  private readonly bands: CriticalBandFilters;
  private readonly dbRef = new Float64Array(NUM_CRITICAL_BANDS);
  private readonly dbDeg = new Float64Array(NUM_CRITICAL_BANDS);
  private readonly slopeRef = new Float64Array(NUM_SLOPES);
  private readonly slopeDeg = new Float64Array(NUM_SLOPES);
  private readonly weightRef = new Float64Array(NUM_SLOPES);
  private readonly weightDeg = new Float64Array(NUM_SLOPES);
  private readonly values = new FrameValues();

  constructor(readonly geometry: SepmGeometry) {
    this.bands = criticalBandFilters(geometry.sampleRate, geometry.nfft);
  }

  /** Score one frame from |X|², |Y|² over bins 0..nfft/2 − 1 (inputs are not modified). */
  add(powerRef: Float64Array, powerDeg: Float64Array): void {
    this.bandSlopes(powerRef, this.dbRef, this.slopeRef, this.weightRef);
    this.bandSlopes(powerDeg, this.dbDeg, this.slopeDeg, this.weightDeg);
    let num = 0;
    let den = 0;
    for (let b = 0; b < NUM_SLOPES; b++) {
      const w = (this.weightRef[b] + this.weightDeg[b]) / 2.0;
      const d = this.slopeRef[b] - this.slopeDeg[b];
      num += w * (d * d);
      den += w;
    }
    this.values.push(num / den);
  }

  /** The trimmed mean over the frames pysepm counts in a signal of `samples` samples. */
  result(samples: number): SepmTrimmedValue {
    const { frameLength, hop } = this.geometry;
    const m = pysepmFrameCount(samples, frameLength, hop);
    if (m <= 0) return { ...nullValue(SEPM_TOO_SHORT), frames: 0, framesKept: 0 };
    const { mean, kept } = this.values.trimmedMean(m);
    if (!Number.isFinite(mean)) {
      return { ...nullValue('a kept frame value is undefined (0/0)'), frames: m, framesKept: kept };
    }
    return { value: mean, frames: m, framesKept: kept };
  }

  reset(): void {
    this.values.reset();
  }

  /** Band energies (dB), their slopes and Klatt's weights of one signal's frame. */
  private bandSlopes(power: Float64Array, db: Float64Array, slope: Float64Array, weight: Float64Array): void {
    applyCriticalBands(this.bands, power, db);
    let max = -Infinity;
    for (let b = 0; b < NUM_CRITICAL_BANDS; b++) {
      let e = 10 * Math.log10(db[b]);
      if (e < WSS_FLOOR_DB) e = WSS_FLOOR_DB;
      db[b] = e;
      if (e > max) max = e;
    }
    for (let b = 0; b < NUM_SLOPES; b++) slope[b] = db[b + 1] - db[b];
    for (let b = 0; b < NUM_SLOPES; b++) {
      // Nearest local peak, as pysepm's find_loc_peaks: on a rising slope walk up while the slope is
      // positive and take the energy one band below where the walk stops; otherwise walk down while
      // the slope is ≤ 0 and take the energy one band above where it stops.
      let n = b;
      let peak: number;
      if (slope[b] > 0) {
        while (n < NUM_CRITICAL_BANDS - 1 && slope[n] > 0) n++;
        peak = db[n - 1];
      } else {
        while (n >= 0 && slope[n] <= 0) n--;
        peak = db[n + 1];
      }
      const e = db[b];
      weight[b] = (WSS_KMAX_DB / (WSS_KMAX_DB + max - e)) * (WSS_KLOCMAX_DB / (WSS_KLOCMAX_DB + peak - e));
    }
  }
}

export class WssAccumulator implements MetricAccumulator<SignalBlock, SepmTrimmedValue> {
  private readonly frames: WssFrames;
  private readonly driver: SepmSpectralDriver;

  constructor(options: SepmOptions) {
    this.frames = new WssFrames(sepmGeometry(options.sampleRate));
    this.driver = new SepmSpectralDriver(options, [this.frames]);
  }

  get geometry(): SepmGeometry {
    return this.driver.geometry;
  }

  update(block: SignalBlock): void {
    this.driver.update(block);
  }

  compute(): SepmTrimmedValue {
    return this.frames.result(this.driver.samples);
  }

  reset(): void {
    this.driver.reset();
  }
}
