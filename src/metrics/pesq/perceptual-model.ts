/**
 * The perceptual model of P.862 §10.2 (Beerends et al. 2002): per 32 ms frame (Hann window, 50 %
 * overlap), the power spectrum is grouped into Bark bands ("pitch power density"), the reference is
 * equalised towards the degraded signal's long-term transfer function, the degraded signal's
 * short-term gain is equalised towards the reference, and both are mapped to loudness density with
 * Zwicker's law.
 *
 * Calibration (P.862 §10.2.1.3/4): a 1 kHz sine of amplitude 29.54 (40 dB SPL on the level-aligned
 * 16-bit scale) gives a peak pitch power density of 10⁴ (the power scaling factor Sp) and a total loudness of
 * 1 sone (the loudness scaling factor Sl). The hearing threshold P0 per band is Terhardt's threshold
 * expressed on that scale.
 */
import { type RealFftPlan, realFftPlan } from '../../dsp/fft.js';
import { hannPeriodic } from '../../dsp/window.js';
import { type BarkLayout, bandPowers, barkLayout, terhardtThresholdDb } from './bark.js';
import { type PesqMode, receiveFilterPowerGains } from './input-filter.js';
import { BandLevelMeter } from './level-align.js';

/** Analysis frame: 32 ms (256 samples at 8 kHz, 512 at 16 kHz), hop half a frame (P.862 §10.2.1.1). */
export const FRAME_SECONDS = 0.032;
/** Calibration tone: amplitude 29.54 at 1 kHz is 40 dB SPL (P.862 §10.2.1.3). */
export const CAL_TONE_AMPLITUDE = 29.54;
export const CAL_TONE_HZ = 1000;
export const CAL_TONE_DB_SPL = 40;
/** Peak pitch power density of the calibration tone, i.e. its largest band (P.862 §10.2.1.3). */
export const CAL_PITCH_POWER = 1e4;
/** Total loudness of the calibration tone, sone (P.862 §10.2.1.4). */
export const CAL_LOUDNESS_SONE = 1;
/** Loudness law: P0·(…)/0.5 form of Zwicker's law, Beerends et al. 2002 eq. for the loudness density. */
export const ZWICKER_HALF = 0.5;

/** Frequency equalisation (P.862 §10.2.3): reference frames counted as speech, on the pitch power scale. */
export const FREQ_EQ_ACTIVE_POWER = 1e7;
/** Constant added to both average spectra before their ratio (keeps near-empty bands at ratio ≈ 1). */
export const FREQ_EQ_OFFSET = 1000;
/** The transfer-function compensation is limited to ±20 dB. */
export const FREQ_EQ_MAX_RATIO = 100;

/** Gain equalisation (P.862 §10.2.4): offset added to both audible powers, bounds and smoothing. */
export const GAIN_EQ_OFFSET = 5000;
export const GAIN_EQ_MIN = 3e-4;
export const GAIN_EQ_MAX = 5;
/** First-order smoothing over frames: s_n = 0.2·s_(n−1) + 0.8·r_n. */
export const GAIN_EQ_MEMORY = 0.2;

/**
 * Active speech interval (P.862 §10.2.3): it starts (ends) at the first (last) position where the sum
 * of 5 successive absolute sample values of the reference exceeds 500 (16-bit scale; we apply it to
 * the level-aligned reference, which is what the perceptual model sees).
 */
export const ACTIVE_RUN = 5;
export const ACTIVE_RUN_SUM = 500;

export interface PerceptualFrames {
  frames: number;
  bands: number;
  layout: BarkLayout;
  /** Pitch power densities after both compensations, frame-major (frames × bands). */
  pRef: Float64Array;
  pDeg: Float64Array;
  /** Loudness densities (sone/Bark), frame-major. */
  lRef: Float64Array;
  lDeg: Float64Array;
  /** Mean-square of each level-aligned reference frame (16-bit scale). */
  refFramePower: Float64Array;
  /** First and last (exclusive) frame of the reference's active interval. */
  firstActive: number;
  endActive: number;
}

interface Calibration {
  sp: number;
  sl: number;
  p0: Float64Array;
  /** Sl·(P0/0.5)^γ per band. */
  lScale: Float64Array;
}

/** Per (rate, FFT size): tables built once. */
export class PesqPerceptualModel {
  readonly sampleRate: number;
  readonly mode: PesqMode;
  readonly nfft: number;
  readonly hop: number;
  readonly layout: BarkLayout;
  private readonly fft: RealFftPlan;
  private readonly window: Float64Array;
  /** The layout with the receive filter's power gain folded into the bin weights. */
  private readonly filteredLayout: BarkLayout;
  private readonly cal: Calibration;
  private readonly frame: Float64Array;
  private readonly spec: Float64Array;
  private readonly pow: Float64Array;

  constructor(sampleRate: number, mode: PesqMode) {
    this.sampleRate = sampleRate;
    this.mode = mode;
    this.nfft = Math.round(FRAME_SECONDS * sampleRate);
    this.hop = this.nfft / 2;
    this.layout = barkLayout(sampleRate, this.nfft);
    this.fft = realFftPlan(this.nfft);
    this.window = hannPeriodic(this.nfft);
    const filter = receiveFilterPowerGains(mode, sampleRate, this.nfft);
    const weights = this.layout.weights.slice();
    for (let j = 0; j < this.layout.bands; j++) {
      const off = this.layout.wOff[j] - this.layout.binLo[j];
      for (let k = this.layout.binLo[j]; k <= this.layout.binHi[j]; k++) weights[off + k] *= filter[k];
    }
    this.filteredLayout = { ...this.layout, weights };
    this.frame = new Float64Array(this.nfft);
    this.spec = new Float64Array(this.nfft + 2);
    this.pow = new Float64Array(this.nfft / 2 + 1);
    this.cal = this.calibrate();
  }

  /** Analysis frames covering a reference of `length` samples. */
  frameCount(length: number): number {
    return length >= this.nfft ? Math.floor((length - this.nfft) / this.hop) + 1 : 0;
  }

  /** |FFT(w·x[start..start+N))|² into this.pow; samples outside [0, x.length) are zero. */
  private powerSpectrum(x: Float64Array, start: number): void {
    const n = this.nfft;
    const f = this.frame;
    const w = this.window;
    for (let i = 0; i < n; i++) {
      const t = start + i;
      f[i] = t >= 0 && t < x.length ? x[t] * w[i] : 0;
    }
    this.fft.forward(f, this.spec);
    const s = this.spec;
    const p = this.pow;
    for (let k = 0; k <= n / 2; k++) p[k] = s[2 * k] * s[2 * k] + s[2 * k + 1] * s[2 * k + 1];
  }

  private calibrate(): Calibration {
    const n = this.nfft;
    const tone = new Float64Array(n);
    for (let i = 0; i < n; i++) tone[i] = CAL_TONE_AMPLITUDE * Math.sin((2 * Math.PI * CAL_TONE_HZ * i) / this.sampleRate);
    this.powerSpectrum(tone, 0);
    const bands = this.layout.bands;
    const bp = new Float64Array(bands);
    bandPowers(this.layout, this.pow, bp);
    // P.862 §10.2.1.3: the PEAK of the tone's pitch power density (its largest band) is set to 10⁴, so
    // that a tone at the hearing threshold reaches P0 in its band (P0 below is put on the same scale).
    let peak = 0;
    for (let j = 0; j < bands; j++) peak = Math.max(peak, bp[j]);
    const sp = CAL_PITCH_POWER / peak;
    const p0 = new Float64Array(bands);
    for (let j = 0; j < bands; j++) {
      p0[j] = CAL_PITCH_POWER * Math.pow(10, (terhardtThresholdDb(this.layout.centreHz[j]) - CAL_TONE_DB_SPL) / 10);
    }
    const loud = new Float64Array(bands);
    for (let j = 0; j < bands; j++) bp[j] *= sp;
    loudness(bp, p0, this.layout.gamma, loudnessScale(p0, this.layout.gamma, 1), loud);
    let sone = 0;
    for (let j = 0; j < bands; j++) sone += loud[j] * this.layout.widthBark;
    const sl = CAL_LOUDNESS_SONE / sone;
    return { sp, sl, p0, lScale: loudnessScale(p0, this.layout.gamma, sl) };
  }

  /**
   * Run the model over the whole files. `delay`: deg[n] ≈ ref[n − delay], one value for the file or
   * one per analysis frame. Returns null when either signal has no energy in the level band.
   */
  analyse(ref: Float64Array, deg: Float64Array, delay: number | Int32Array): PerceptualFrames | null {
    const { nfft, hop, layout } = this;
    const bands = layout.bands;
    const frames = this.frameCount(ref.length);
    if (frames < 1) return null;
    const pRef = new Float64Array(frames * bands);
    const pDeg = new Float64Array(frames * bands);
    const refFramePower = new Float64Array(frames);
    const meterRef = new BandLevelMeter(this.sampleRate, nfft);
    const meterDeg = new BandLevelMeter(this.sampleRate, nfft);
    const bp = new Float64Array(bands);
    for (let m = 0; m < frames; m++) {
      const start = m * hop;
      let e = 0;
      for (let i = start; i < start + nfft; i++) e += ref[i] * ref[i];
      refFramePower[m] = e / nfft;
      for (let pass = 0; pass < 2; pass++) {
        const x = pass === 0 ? ref : deg;
        this.powerSpectrum(x, pass === 0 ? start : start + (typeof delay === 'number' ? delay : delay[m]));
        (pass === 0 ? meterRef : meterDeg).add(this.pow);
        bandPowers(this.filteredLayout, this.pow, bp);
        const dst = pass === 0 ? pRef : pDeg;
        const off = m * bands;
        for (let j = 0; j < bands; j++) dst[off + j] = bp[j];
      }
    }
    const covered = (frames - 1) * hop + nfft;
    const gRef = meterRef.powerGain(covered);
    const gDeg = meterDeg.powerGain(covered);
    if (gRef === null || gDeg === null) return null;
    const sp = this.cal.sp;
    for (let i = 0; i < pRef.length; i++) {
      pRef[i] *= gRef * sp;
      pDeg[i] *= gDeg * sp;
    }
    for (let m = 0; m < frames; m++) refFramePower[m] *= gRef;
    // Active interval (P.862 §10.2.3), on the level-aligned reference: from the first frame that
    // contains its first active sample to the last frame that starts at or before its last one.
    const span = activeSampleSpan(ref, Math.sqrt(gRef));
    if (!span) return null;
    const firstActive = Math.max(0, Math.ceil((span[0] - nfft + 1) / hop));
    const endActive = Math.min(frames, Math.floor(span[1] / hop) + 1);
    if (endActive <= firstActive) return null;
    this.equaliseFrequency(pRef, pDeg, frames, firstActive, endActive);
    this.equaliseGain(pRef, pDeg, frames);
    const lRef = new Float64Array(frames * bands);
    const lDeg = new Float64Array(frames * bands);
    const { p0, lScale } = this.cal;
    for (let m = 0; m < frames; m++) {
      const off = m * bands;
      loudness(pRef.subarray(off, off + bands), p0, layout.gamma, lScale, lRef.subarray(off, off + bands));
      loudness(pDeg.subarray(off, off + bands), p0, layout.gamma, lScale, lDeg.subarray(off, off + bands));
    }
    return { frames, bands, layout, pRef, pDeg, lRef, lDeg, refFramePower, firstActive, endActive };
  }

  /**
   * Partial compensation of the reference (P.862 §10.2.3; Beerends et al. 2002 "frequency response
   * equalisation"): linear filtering by the system is only mildly annoying, so the reference is
   * multiplied per band by the ratio of the average degraded to average reference pitch power over
   * the speech frames, limited to ±20 dB.
   */
  private equaliseFrequency(pRef: Float64Array, pDeg: Float64Array, frames: number, first: number, end: number): void {
    const bands = this.layout.bands;
    const sumRef = new Float64Array(bands);
    const sumDeg = new Float64Array(bands);
    let count = 0;
    for (let m = first; m < end; m++) {
      const off = m * bands;
      let total = 0;
      for (let j = 0; j < bands; j++) total += pRef[off + j];
      if (total < FREQ_EQ_ACTIVE_POWER) continue;
      count++;
      for (let j = 0; j < bands; j++) {
        sumRef[j] += pRef[off + j];
        sumDeg[j] += pDeg[off + j];
      }
    }
    if (count === 0) return;
    const ratio = new Float64Array(bands);
    for (let j = 0; j < bands; j++) {
      const r = (sumDeg[j] / count + FREQ_EQ_OFFSET) / (sumRef[j] / count + FREQ_EQ_OFFSET);
      ratio[j] = Math.min(FREQ_EQ_MAX_RATIO, Math.max(1 / FREQ_EQ_MAX_RATIO, r));
    }
    for (let m = 0; m < frames; m++) {
      const off = m * bands;
      for (let j = 0; j < bands; j++) pRef[off + j] *= ratio[j];
    }
  }

  /**
   * Partial compensation of the degraded signal (P.862 §10.2.4): short-term gain changes are
   * compensated by scaling each degraded frame with the ratio of the reference's to the degraded
   * signal's audible power (bands above the hearing threshold), bounded and smoothed over time.
   */
  private equaliseGain(pRef: Float64Array, pDeg: Float64Array, frames: number): void {
    const bands = this.layout.bands;
    const p0 = this.cal.p0;
    let s = 1;
    for (let m = 0; m < frames; m++) {
      const off = m * bands;
      let aRef = 0;
      let aDeg = 0;
      for (let j = 0; j < bands; j++) {
        if (pRef[off + j] > p0[j]) aRef += pRef[off + j];
        if (pDeg[off + j] > p0[j]) aDeg += pDeg[off + j];
      }
      let r = (aRef + GAIN_EQ_OFFSET) / (aDeg + GAIN_EQ_OFFSET);
      r = Math.min(GAIN_EQ_MAX, Math.max(GAIN_EQ_MIN, r));
      s = m === 0 ? r : GAIN_EQ_MEMORY * s + (1 - GAIN_EQ_MEMORY) * r;
      for (let j = 0; j < bands; j++) pDeg[off + j] *= s;
    }
  }
}

/**
 * Zwicker's loudness law in the form of Beerends et al. 2002 / P.862 §10.2.5:
 * L(f) = Sl·(P0(f)/0.5)^γ·[(0.5 + 0.5·P(f)/P0(f))^γ − 1], negative values (below threshold) set to 0.
 * `scale[j]` = Sl·(P0_j/0.5)^γ_j is precomputed (`loudnessScale`); the bracket is positive only
 * when P > P0, so sub-threshold bands skip the power.
 */
export function loudness(p: Float64Array, p0: Float64Array, gamma: Float64Array, scale: Float64Array, out: Float64Array): void {
  for (let j = 0; j < p.length; j++) {
    const x = p[j];
    out[j] = x > p0[j] ? scale[j] * (Math.pow(ZWICKER_HALF + (ZWICKER_HALF * x) / p0[j], gamma[j]) - 1) : 0;
  }
}

/** Sl·(P0/0.5)^γ per band. */
export function loudnessScale(p0: Float64Array, gamma: Float64Array, sl: number): Float64Array {
  const s = new Float64Array(p0.length);
  for (let j = 0; j < p0.length; j++) s[j] = sl * Math.pow(p0[j] / ZWICKER_HALF, gamma[j]);
  return s;
}

/**
 * Active speech interval of the reference (P.862 §10.2.3): the first and the last position where
 * the sum of ACTIVE_RUN successive absolute sample values of the level-aligned reference exceeds
 * ACTIVE_RUN_SUM. Returns [first sample, last sample] or null.
 */
export function activeSampleSpan(x: Float64Array, gain: number): [number, number] | null {
  const limit = ACTIVE_RUN_SUM / gain;
  let first = -1;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s += Math.abs(x[i]);
    if (i >= ACTIVE_RUN) s -= Math.abs(x[i - ACTIVE_RUN]);
    if (i >= ACTIVE_RUN - 1 && s > limit) {
      first = i - ACTIVE_RUN + 1;
      break;
    }
  }
  if (first < 0) return null;
  s = 0;
  for (let i = x.length - 1; i >= 0; i--) {
    s += Math.abs(x[i]);
    if (i + ACTIVE_RUN < x.length) s -= Math.abs(x[i + ACTIVE_RUN]);
    if (i + ACTIVE_RUN <= x.length && s > limit) return [first, i + ACTIVE_RUN - 1];
  }
  return null;
}
