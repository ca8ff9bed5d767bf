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
import { applyCriticalBands, criticalBandFilters, NUM_CRITICAL_BANDS, type CriticalBandFilters } from '../dsp/critical-bands.js';
import { nullValue, type MetricAccumulator, type SignalBlock } from './types.js';
import {
  PendingSum,
  pysepmFrameCount,
  SEPM_EPS,
  SEPM_TOO_SHORT,
  SepmSpectralDriver,
  sepmGeometry,
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
  private readonly magRef: Float64Array;
  private readonly magDeg: Float64Array;
  private readonly bandRef = new Float64Array(NUM_CRITICAL_BANDS);
  private readonly bandDeg = new Float64Array(NUM_CRITICAL_BANDS);
  private readonly sum = new PendingSum();

  constructor(readonly geometry: SepmGeometry) {
    this.bands = criticalBandFilters(geometry.sampleRate, geometry.nfft);
    this.magRef = new Float64Array(geometry.nfft / 2);
    this.magDeg = new Float64Array(geometry.nfft / 2);
  }

  /** Score one frame from |X|², |Y|² over bins 0..nfft/2 − 1 (inputs are not modified). */
  add(powerRef: Float64Array, powerDeg: Float64Array): void {
    const totalRef = magnitude(powerRef, this.magRef);
    const totalDeg = magnitude(powerDeg, this.magDeg);
    applyCriticalBands(this.bands, this.magRef, this.bandRef);
    applyCriticalBands(this.bands, this.magDeg, this.bandDeg);
    let num = 0;
    let den = 0;
    for (let b = 0; b < NUM_CRITICAL_BANDS; b++) {
      // Band values of the unit-sum normalised spectra (normalising the 25 band sums instead of the
      // nfft/2 bins: the same up to rounding).
      const x = this.bandRef[b] / totalRef;
      const d = x - this.bandDeg[b] / totalDeg;
      let err = d * d;
      if (err < SEPM_EPS) err = SEPM_EPS;
      const w = Math.pow(x, FWSEGSNR_GAMMA);
      num += w * (10 * Math.log10((x * x) / err));
      den += w;
    }
    let v = num / den;
    // Comparisons leave NaN as it is (as numpy's masked assignment does); result() reports it.
    if (v < FWSEGSNR_MIN_DB) v = FWSEGSNR_MIN_DB;
    if (v > FWSEGSNR_MAX_DB) v = FWSEGSNR_MAX_DB;
    this.sum.push(v);
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

/** |X| from |X|² into `out`; returns Σ|X| (the reference normalises each frame by it). */
function magnitude(power: Float64Array, out: Float64Array): number {
  let total = 0;
  for (let j = 0; j < out.length; j++) {
    const m = Math.sqrt(power[j]);
    out[j] = m;
    total += m;
  }
  return total;
}

export class FwSegSnrAccumulator implements MetricAccumulator<SignalBlock, SepmFramesValue> {
  private readonly frames: FwSegSnrFrames;
  private readonly driver: SepmSpectralDriver;

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

  compute(): SepmFramesValue {
    return this.frames.result(this.driver.samples);
  }

  reset(): void {
    this.driver.reset();
  }
}
