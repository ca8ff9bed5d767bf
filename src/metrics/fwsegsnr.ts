/**
 * Frequency-weighted segmental SNR (fwSegSNR), dB, higher is better, as pysepm's `fwSNRseg`
 * (schmiph2/pysepm qualityMeasures.py; Y. Hu & P. C. Loizou, "Evaluation of objective quality measures
 * for speech enhancement", IEEE TASLP 16(1), 2008, eq. (2) with γ = 0.2; J. Tribolet et al., ICASSP 1978).
 *
 * Per 30 ms frame (hop 7.5 ms, MATLAB hanning window, both signals + eps): magnitude spectra |X|, |Y| of
 * bins 0..nfft/2 − 1, each normalised to unit sum; 25 critical-band values X_b, Y_b (Gaussian filters,
 * `criticalBandFilters`);
 *   fwSNR = Σ_b X_b^0.2 · 10·log10(X_b² / max((X_b − Y_b)², eps)) / Σ_b X_b^0.2,
 * clamped to [−10, 35] dB. The result is the plain mean over the first M = int(N/S − L/S) frames (no
 * trimming, no voice-activity detection): a segmental figure (mean of per-frame values), kept as a
 * running sum in constant memory.
 *
 * @example
 * const acc = new FwSegSnrAccumulator({ sampleRate: 16000 });
 * acc.update({ ref, deg });
 * acc.compute(); // { value: 8.10…, frames: 556 }
 */
import {
  applyCriticalBandsPair,
  criticalBandFilters,
  NUM_CRITICAL_BANDS,
  type CriticalBandFilters,
} from '../dsp/critical-bands.js';
import { nullValue, type MetricAccumulator, type SignalBlock } from './types.js';
import {
  PendingSum,
  pysepmFrameCount,
  SEPM_EPS,
  SEPM_TOO_SHORT,
  SepmSpectralDriver,
  sepmGeometry,
  type SepmFrameSink,
  type SepmFramesValue,
  type SepmGeometry,
  type SepmOptions,
} from './sepm-frames.js';

export type { SepmFramesValue, SepmOptions } from './sepm-frames.js';

/** Lower clamp of a frame value, dB. */
export const FWSEGSNR_MIN_DB = -10;
/** Upper clamp of a frame value, dB. */
export const FWSEGSNR_MAX_DB = 35;
/** Exponent of the band weights X_b^γ (Hu & Loizou's γ = 0.2). */
export const FWSEGSNR_GAMMA = 0.2;

/**
 * The per-frame part: frame values from the two power spectra, running mean over frames. Used by
 * `FwSegSnrAccumulator` and, sharing one FFT per frame with WSS, by `SepmSpectralAccumulator`.
 */
export class FwSegSnrFrames {
  private readonly bands: CriticalBandFilters;
  private readonly scratch: FwSegSnrScratch;
  private readonly sum = new PendingSum();

  constructor(readonly geometry: SepmGeometry) {
    this.bands = criticalBandFilters(geometry.sampleRate, geometry.nfft);
    this.scratch = new FwSegSnrScratch(geometry.nfft / 2);
  }

  /** Score one frame from |X|², |Y|² over bins 0..nfft/2 − 1 (inputs are not modified). */
  add(powerRef: Float64Array, powerDeg: Float64Array): void {
    this.sum.push(fwSegSnrFrame(this.bands, powerRef, powerDeg, this.scratch));
  }

  /** The mean over the frames pysepm counts in a signal of `samples` samples. */
  result(samples: number): SepmFramesValue {
    const { frameLength, hop } = this.geometry;
    const m = pysepmFrameCount(samples, frameLength, hop);
    if (m <= 0) return { ...nullValue(SEPM_TOO_SHORT), frames: 0 };
    const mean = this.sum.total(m) / m;
    if (!Number.isFinite(mean)) return { ...nullValue('a frame value is undefined (0/0)'), frames: m };
    return { value: mean, frames: m };
  }

  reset(): void {
    this.sum.reset();
  }
}

/** Working arrays of `fwSegSnrFrame` for nfft/2 bins (build once, reuse per frame). */
export class FwSegSnrScratch {
  readonly magRef: Float64Array;
  readonly magDeg: Float64Array;
  readonly bandRef = new Float64Array(NUM_CRITICAL_BANDS);
  readonly bandDeg = new Float64Array(NUM_CRITICAL_BANDS);
  constructor(numBins: number) {
    this.magRef = new Float64Array(numBins);
    this.magDeg = new Float64Array(numBins);
  }
}

/**
 * One frame's fwSNR, dB, clamped to [−10, 35] (NaN stays NaN), from the power spectra |X|², |Y|² of
 * bins 0..nfft/2 − 1. Allocates nothing.
 */
export function fwSegSnrFrame(f: CriticalBandFilters, powerRef: Float64Array, powerDeg: Float64Array, s: FwSegSnrScratch): number {
  const { magRef, magDeg, bandRef, bandDeg } = s;
  // |X|, |Y| and their sums over all bins (the reference normalises each frame by them).
  let totalRef = 0;
  let totalDeg = 0;
  for (let j = 0, nb = f.numBins; j < nb; j++) {
    const x = Math.sqrt(powerRef[j]);
    const y = Math.sqrt(powerDeg[j]);
    magRef[j] = x;
    magDeg[j] = y;
    totalRef += x;
    totalDeg += y;
  }
  applyCriticalBandsPair(f, magRef, magDeg, bandRef, bandDeg);
  // Module constants that a double may be set to, as number-typed locals (else V8 boxes the double).
  const eps = +SEPM_EPS;
  const gamma = +FWSEGSNR_GAMMA;
  const min = +FWSEGSNR_MIN_DB;
  const max = +FWSEGSNR_MAX_DB;
  let num = 0;
  let den = 0;
  for (let b = 0; b < NUM_CRITICAL_BANDS; b++) {
    // Band values of the unit-sum normalised spectra (normalising the 25 band sums instead of the
    // nfft/2 bins: the same up to rounding).
    const x = bandRef[b] / totalRef;
    const d = x - bandDeg[b] / totalDeg;
    let err = d * d;
    if (err < eps) err = eps;
    // x^γ as exp(γ·ln x): half the cost of Math.pow here, equal to it within 4e-16 relative.
    const w = Math.exp(gamma * Math.log(x));
    num += w * (10 * Math.log10((x * x) / err));
    den += w;
  }
  let v = num / den;
  // Comparisons leave NaN as it is (as numpy's masked assignment does); result() reports it.
  if (v < min) v = min;
  if (v > max) v = max;
  return v;
}

export class FwSegSnrAccumulator implements MetricAccumulator<SignalBlock, SepmFramesValue>, SepmFrameSink {
  private readonly frames: FwSegSnrFrames;
  private readonly driver: SepmSpectralDriver;

  /** `framer: false`: fed by a shared SepmFramer through `frame()` (see sepm-frames.ts). */
  constructor(options: SepmOptions) {
    this.frames = new FwSegSnrFrames(sepmGeometry(options.sampleRate));
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
  compute(samples?: number): SepmFramesValue {
    return this.frames.result(this.driver.input.samples(samples));
  }

  reset(): void {
    this.driver.reset();
  }
}
