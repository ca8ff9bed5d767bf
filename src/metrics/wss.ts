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
import {
  applyCriticalBandsPair,
  criticalBandFilters,
  NUM_CRITICAL_BANDS,
  type CriticalBandFilters,
} from '../dsp/critical-bands.js';
import { nullValue, type MetricAccumulator, type SignalBlock } from './types.js';
import {
  FrameValues,
  pysepmFrameCount,
  SEPM_TOO_SHORT,
  SepmSpectralDriver,
  sepmGeometry,
  type SepmFrameSink,
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
  private readonly scratch = new WssScratch();
  private readonly values = new FrameValues();

  constructor(readonly geometry: SepmGeometry) {
    this.bands = criticalBandFilters(geometry.sampleRate, geometry.nfft);
  }

  /** Score one frame from |X|², |Y|² over bins 0..nfft/2 − 1 (inputs are not modified). */
  add(powerRef: Float64Array, powerDeg: Float64Array): void {
    this.values.push(wssFrame(this.bands, powerRef, powerDeg, this.scratch));
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
}

/** Per-band working arrays of `wssFrame` (build once, reuse per frame). */
export class WssScratch {
  readonly dbRef = new Float64Array(NUM_CRITICAL_BANDS);
  readonly dbDeg = new Float64Array(NUM_CRITICAL_BANDS);
  readonly slopeRef = new Float64Array(NUM_SLOPES);
  readonly slopeDeg = new Float64Array(NUM_SLOPES);
  readonly weightRef = new Float64Array(NUM_SLOPES);
  readonly weightDeg = new Float64Array(NUM_SLOPES);
  /** Per band: where the upward walk of find_loc_peaks stops, and where the downward walk stops. */
  readonly upStop = new Int32Array(NUM_SLOPES);
  readonly downStop = new Int32Array(NUM_SLOPES);
}

/**
 * One frame's WSS value Σ_b W_b (slope_ref,b − slope_deg,b)² / Σ_b W_b from the power spectra |X|²,
 * |Y|² of bins 0..nfft/2 − 1 (NaN for 0/0). Allocates nothing.
 */
export function wssFrame(f: CriticalBandFilters, powerRef: Float64Array, powerDeg: Float64Array, s: WssScratch): number {
  const dbRef = s.dbRef;
  const dbDeg = s.dbDeg;
  applyCriticalBandsPair(f, powerRef, powerDeg, dbRef, dbDeg);
  // Band energies in dB, floored. (Module constants that a double may be set to are copied into
  // number-typed locals first: otherwise V8 boxes that double on every iteration.)
  const floor = +WSS_FLOOR_DB;
  let maxRef = Number.NEGATIVE_INFINITY;
  let maxDeg = Number.NEGATIVE_INFINITY;
  for (let b = 0; b < NUM_CRITICAL_BANDS; b++) {
    let er = 10 * Math.log10(dbRef[b]);
    let ed = 10 * Math.log10(dbDeg[b]);
    if (er < floor) er = floor;
    if (ed < floor) ed = floor;
    dbRef[b] = er;
    dbDeg[b] = ed;
    if (er > maxRef) maxRef = er;
    if (ed > maxDeg) maxDeg = ed;
  }
  klattWeights(dbRef, maxRef, s.slopeRef, s.weightRef, s.upStop, s.downStop);
  klattWeights(dbDeg, maxDeg, s.slopeDeg, s.weightDeg, s.upStop, s.downStop);
  const slopeRef = s.slopeRef;
  const slopeDeg = s.slopeDeg;
  const weightRef = s.weightRef;
  const weightDeg = s.weightDeg;
  let num = 0;
  let den = 0;
  for (let b = 0; b < NUM_SLOPES; b++) {
    const w = (weightRef[b] + weightDeg[b]) / 2.0;
    const d = slopeRef[b] - slopeDeg[b];
    num += w * (d * d);
    den += w;
  }
  return num / den;
}

/**
 * Slopes db[b+1] − db[b] and Klatt's weights of one signal's band energies (dB, largest `max`).
 * The "nearest local peak" is pysepm's find_loc_peaks: on a rising slope walk up while the slope is
 * positive and take the energy one band below where the walk stops; otherwise walk down while the
 * slope is ≤ 0 and take the energy one band above where it stops. Both walks' stopping bands are
 * found for all bands in one sweep each (`upStop`, `downStop` are scratch).
 */
function klattWeights(
  db: Float64Array,
  max: number,
  slope: Float64Array,
  weight: Float64Array,
  upStop: Int32Array,
  downStop: Int32Array,
): void {
  for (let b = 0; b < NUM_SLOPES; b++) slope[b] = db[b + 1] - db[b];
  // upStop[b]: the first n ≥ b with !(slope[n] > 0), or NUM_SLOPES (the walk's bound).
  let stop = NUM_SLOPES;
  for (let b = NUM_SLOPES - 1; b >= 0; b--) {
    if (!(slope[b] > 0)) stop = b;
    upStop[b] = stop;
  }
  // downStop[b]: the last n ≤ b with !(slope[n] <= 0), or −1.
  stop = -1;
  for (let b = 0; b < NUM_SLOPES; b++) {
    if (!(slope[b] <= 0)) stop = b;
    downStop[b] = stop;
  }
  const kMax = +WSS_KMAX_DB;
  const kLocMax = +WSS_KLOCMAX_DB;
  for (let b = 0; b < NUM_SLOPES; b++) {
    const peak = slope[b] > 0 ? db[upStop[b] - 1] : db[downStop[b] + 1];
    const e = db[b];
    weight[b] = (kMax / (kMax + max - e)) * (kLocMax / (kLocMax + peak - e));
  }
}

export class WssAccumulator implements MetricAccumulator<SignalBlock, SepmTrimmedValue>, SepmFrameSink {
  private readonly frames: WssFrames;
  private readonly driver: SepmSpectralDriver;

  /** `framer: false`: fed by a shared SepmFramer through `frame()` (see sepm-frames.ts). */
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

  /** One frame from a shared framer: samples [offset, offset + L) of ref and deg. */
  frame(ref: Float64Array, deg: Float64Array, offset: number): void {
    this.driver.frame(ref, deg, offset);
  }

  /** The value over a stream of `samples` samples (default: what `update` saw; required with `framer: false`). */
  compute(samples?: number): SepmTrimmedValue {
    return this.frames.result(this.driver.input.samples(samples));
  }

  reset(): void {
    this.driver.reset();
  }
}
