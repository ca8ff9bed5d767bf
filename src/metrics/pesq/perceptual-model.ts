/**
 * The perceptual model of P.862 §10.2 (Beerends et al. 2002), in two halves:
 *
 * - the **front end** (`PesqPerceptualModel.analyse`): per 32 ms frame (Hann window, 50 % overlap) the
 *   power spectrum of each signal, through the listening device's receive filter, grouped into Bark
 *   bands ("pitch power density") on the level-aligned, calibrated scale; the reference frames' power;
 *   the reference's active interval. It has no free parameter, so the calibration computes it once per
 *   pair.
 * - the **tables** (`PerceptualTables`) a parameter set fixes: the hearing threshold P0 per band, the
 *   loudness exponent per band and the loudness scaling factor Sl. The compensations, loudness and
 *   disturbances that use them are in disturbance.ts.
 *
 * Calibration (P.862 §10.2.1.3/4): a 1 kHz sine of amplitude 29.54 (40 dB SPL on the level-aligned
 * 16-bit scale) gives a peak pitch power density of 10⁴ (the power scaling factor Sp) and a total
 * loudness of 1 sone (the loudness scaling factor Sl). The hearing threshold P0 per band is Terhardt's
 * threshold expressed on that scale, moved by the calibrated `thresholdOffsetDb`.
 */
import { type RealFftPlan, realFftPlan } from '../../dsp/fft.js';
import { hannPeriodic } from '../../dsp/window.js';
import { WindowedPowerPlan } from '../../dsp/windowed-power.js';
import { type BarkLayout, GAMMA_KNEE_BARK, ZWICKER_GAMMA, bandPowers, barkLayout, terhardtThresholdDb } from './bark.js';
import { type PesqMode, receiveFilterPowerGains } from './input-filter.js';
import { BandLevelMeter } from './level-align.js';
import type { PesqModelParams } from './params.js';

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

/**
 * Active speech interval (P.862 §10.2.3): it starts (ends) at the first (last) position where the sum
 * of 5 successive absolute sample values of the reference exceeds 500 (16-bit scale; we apply it to
 * the level-aligned reference, which is what the perceptual model sees).
 */
export const ACTIVE_RUN = 5;
export const ACTIVE_RUN_SUM = 500;

/** What the front end hands to the parameterised half of the model. */
export interface PesqFrames {
  frames: number;
  bands: number;
  layout: BarkLayout;
  /**
   * Pitch power densities of the level-aligned signals through the receive filter, on the Sp scale,
   * frame-major (frames × bands); deg frame m is taken at the frame's delay.
   */
  pRef: Float64Array;
  pDeg: Float64Array;
  /** Mean-square of each level-aligned reference frame (16-bit scale). */
  refFramePower: Float64Array;
  /** First and last (exclusive) frame of the reference's active interval. */
  firstActive: number;
  endActive: number;
}

/** Per-band tables fixed by a parameter set (P0, γ, Sl·(P0/0.5)^γ). */
export interface PerceptualTables {
  bands: number;
  /** Band widths in Bark. */
  widthBark: Float64Array;
  /** Absolute hearing threshold per band, on the Sp scale. */
  p0: Float64Array;
  /** Zwicker exponent per band. */
  gamma: Float64Array;
  /** Sl·(P0/0.5)^γ per band. */
  lScale: Float64Array;
}

/** Per (rate, mode): FFT plan, window, band layout with the receive filter folded in, scratch buffers. */
export class PesqPerceptualModel {
  readonly sampleRate: number;
  readonly mode: PesqMode;
  readonly nfft: number;
  readonly hop: number;
  readonly layout: BarkLayout;
  /** Sp: pitch power scale that puts the calibration tone's peak band at CAL_PITCH_POWER. */
  readonly sp: number;
  /** The calibration tone's band powers on the Sp scale (for Sl, which depends on P0 and γ). */
  readonly toneBands: Float64Array;
  private readonly fft: RealFftPlan;
  private readonly window: Float64Array;
  /** Window, FFT and |X|² of a frame inside the signal in one call (the edge frames use the loops below). */
  private readonly powerPlan: WindowedPowerPlan;
  /** The layout with the receive filter's power gain folded into the bin weights. */
  private readonly filteredLayout: BarkLayout;
  private readonly frame: Float64Array;
  private readonly spec: Float64Array;
  private readonly pow: Float64Array;
  private readonly tableCache = new WeakMap<PesqModelParams, PerceptualTables>();

  constructor(sampleRate: number, mode: PesqMode) {
    this.sampleRate = sampleRate;
    this.mode = mode;
    this.nfft = Math.round(FRAME_SECONDS * sampleRate);
    this.hop = this.nfft / 2;
    this.layout = barkLayout(sampleRate, this.nfft);
    this.fft = realFftPlan(this.nfft);
    this.window = hannPeriodic(this.nfft);
    this.powerPlan = new WindowedPowerPlan(this.nfft, this.window);
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
    // P.862 §10.2.1.3: the PEAK of the tone's pitch power density (its largest band) is set to 10⁴, so
    // that a tone at the hearing threshold reaches P0 in its band (P0 is put on the same scale).
    const n = this.nfft;
    const tone = new Float64Array(n);
    for (let i = 0; i < n; i++) tone[i] = CAL_TONE_AMPLITUDE * Math.sin((2 * Math.PI * CAL_TONE_HZ * i) / sampleRate);
    this.powerSpectrum(tone, 0);
    const bp = new Float64Array(this.layout.bands);
    bandPowers(this.layout, this.pow, bp);
    let peak = 0;
    for (let j = 0; j < bp.length; j++) peak = Math.max(peak, bp[j]);
    this.sp = CAL_PITCH_POWER / peak;
    for (let j = 0; j < bp.length; j++) bp[j] *= this.sp;
    this.toneBands = bp;
  }

  /** Analysis frames covering a reference of `length` samples. */
  frameCount(length: number): number {
    return length >= this.nfft ? Math.floor((length - this.nfft) / this.hop) + 1 : 0;
  }

  /** |FFT(w·x[start..start+N))|² into this.pow; samples outside [0, x.length) are zero. */
  private powerSpectrum(x: Float64Array, start: number): void {
    const n = this.nfft;
    if (start >= 0 && start + n <= x.length) {
      this.powerPlan.power(x, start, this.pow);
      return;
    }
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

  /**
   * Tables for one parameter set: P0 (Terhardt + offset, on the Sp scale), γ per band and Sl from the
   * calibration tone (P.862 §10.2.1.4: its loudness integrated over Bark is 1 sone). Cached per
   * parameter object.
   */
  tables(params: PesqModelParams): PerceptualTables {
    const hit = this.tableCache.get(params);
    if (hit) return hit;
    const { bands, centreHz, centreBark, widthBark } = this.layout;
    const p0 = new Float64Array(bands);
    const gamma = new Float64Array(bands);
    for (let j = 0; j < bands; j++) {
      p0[j] = CAL_PITCH_POWER * Math.pow(10, (terhardtThresholdDb(centreHz[j]) + params.thresholdOffsetDb - CAL_TONE_DB_SPL) / 10);
      gamma[j] = ZWICKER_GAMMA + params.lowBarkGammaSlope * Math.max(0, GAMMA_KNEE_BARK - centreBark[j]);
    }
    const loud = new Float64Array(bands);
    loudness(this.toneBands, 0, p0, gamma, loudnessScale(p0, gamma, 1), loud);
    let sone = 0;
    for (let j = 0; j < bands; j++) sone += loud[j] * widthBark[j];
    const t: PerceptualTables = { bands, widthBark, p0, gamma, lScale: loudnessScale(p0, gamma, CAL_LOUDNESS_SONE / sone) };
    this.tableCache.set(params, t);
    return t;
  }

  /**
   * The front end over the whole files. `delay`: deg[n] ≈ ref[n − delay], one value for the file or
   * one per analysis frame. The model is invariant to the input scale (level alignment), so any
   * consistent scale works. Returns null when either signal has no energy in the level band or the
   * reference has no active interval.
   */
  analyse(ref: Float64Array, deg: Float64Array, delay: number | Int32Array): PesqFrames | null {
    const { nfft, hop, layout } = this;
    const bands = layout.bands;
    const frames = this.frameCount(ref.length);
    if (frames < 1) return null;
    const pRef = new Float64Array(frames * bands);
    const pDeg = new Float64Array(frames * bands);
    const refFramePower = new Float64Array(frames);
    const meterRef = new BandLevelMeter(this.sampleRate, nfft);
    const meterDeg = new BandLevelMeter(this.sampleRate, nfft);
    const fl = this.filteredLayout;
    // Frame energies from hop energies: frame m covers hops m and m + 1.
    let prevHop = 0;
    for (let i = 0; i < hop; i++) prevHop += ref[i] * ref[i];
    for (let m = 0; m < frames; m++) {
      const start = m * hop;
      let nextHop = 0;
      for (let i = start + hop; i < start + nfft; i++) nextHop += ref[i] * ref[i];
      refFramePower[m] = (prevHop + nextHop) / nfft;
      prevHop = nextHop;
      this.powerSpectrum(ref, start);
      meterRef.add(this.pow);
      bandPowersAt(fl, this.pow, pRef, m * bands);
      this.powerSpectrum(deg, start + (typeof delay === 'number' ? delay : delay[m]));
      meterDeg.add(this.pow);
      bandPowersAt(fl, this.pow, pDeg, m * bands);
    }
    const covered = (frames - 1) * hop + nfft;
    const gRef = meterRef.powerGain(covered);
    const gDeg = meterDeg.powerGain(covered);
    if (gRef === null || gDeg === null) return null;
    const sRef = gRef * this.sp;
    const sDeg = gDeg * this.sp;
    for (let i = 0; i < pRef.length; i++) {
      pRef[i] *= sRef;
      pDeg[i] *= sDeg;
    }
    for (let m = 0; m < frames; m++) refFramePower[m] *= gRef;
    // Active interval (P.862 §10.2.3), on the level-aligned reference: from the first frame that
    // contains its first active sample to the last frame that starts at or before its last one.
    const span = activeSampleSpan(ref, Math.sqrt(gRef));
    if (!span) return null;
    const firstActive = Math.max(0, Math.ceil((span[0] - nfft + 1) / hop));
    const endActive = Math.min(frames, Math.floor(span[1] / hop) + 1);
    if (endActive <= firstActive) return null;
    return { frames, bands, layout, pRef, pDeg, refFramePower, firstActive, endActive };
  }
}

/** `bandPowers` writing straight into `out[off..off+bands)`. */
function bandPowersAt(layout: BarkLayout, power: Float64Array, out: Float64Array, off: number): void {
  const { binLo, binHi, wOff, weights } = layout;
  for (let j = 0; j < layout.bands; j++) {
    let s = 0;
    const o = wOff[j] - binLo[j];
    for (let k = binLo[j]; k <= binHi[j]; k++) s += weights[o + k] * power[k];
    out[off + j] = s;
  }
}

/**
 * Zwicker's loudness law in the form of Beerends et al. 2002 / P.862 §10.2.5:
 * L(f) = Sl·(P0(f)/0.5)^γ·[(0.5 + 0.5·P(f)/P0(f))^γ − 1], negative values (below threshold) set to 0.
 * Reads p[off..off+bands), writes out[0..bands). `scale[j]` = Sl·(P0_j/0.5)^γ_j (`loudnessScale`);
 * the bracket is positive only when P > P0, so sub-threshold bands skip the power.
 */
export function loudness(p: Float64Array, off: number, p0: Float64Array, gamma: Float64Array, scale: Float64Array, out: Float64Array): void {
  for (let j = 0; j < p0.length; j++) {
    const x = p[off + j];
    out[j] = x > p0[j] ? scale[j] * (Math.exp(gamma[j] * Math.log(ZWICKER_HALF + (ZWICKER_HALF * x) / p0[j])) - 1) : 0;
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
