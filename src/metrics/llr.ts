/**
 * Log-likelihood ratio (LLR, Itakura's distance), lower is better, as pysepm's `llr` (schmiph2/pysepm
 * qualityMeasures.py; Y. Hu & P. C. Loizou, IEEE TASLP 16(1), 2008, eq. (3); S. R. Quackenbush et al.,
 * "Objective Measures of Speech Quality", 1988).
 *
 * Per 30 ms frame (hop 7.5 ms, MATLAB hanning window, both signals + eps = 2.22e-16 per sample):
 * LPC of order P (10 below 10 kHz, else 16) by autocorrelation and Levinson-Durbin; with R_ref the
 * (P+1)×(P+1) Toeplitz autocorrelation matrix of the reference frame,
 *   d = ln( a_deg R_ref a_degᵀ / a_ref R_ref a_refᵀ ),
 * where a ratio that is NaN counts as +∞ and a ratio ≤ 0 as 1000 (pysepm's rules). The frames are
 * m = 0..M−1 with M = floor((N − L)/S) (the last complete frame is dropped).
 * - `llr` (pysepm's default and Loizou's MATLAB llr.m): each d is clamped to 2, then the mean of the
 *   lowest round(0.95·M) values (ties to even).
 * - `llrForComposite` (pysepm's `used_for_composite=True`, fed to Csig/Covl): the same without the
 *   clamp. A reference frame of digital silence is eps·window, whose order-16 LPC is ill-conditioned:
 *   where deg is not silent there, d is huge (≈ 14–21) and depends on float rounding, so this variant
 *   matches pysepm only to a few 0.01 on such files (golden tolerance_guidance); frames where both
 *   are silent give exactly 0.
 *
 * Memory: the trim needs every frame value, so this keeps one float64 per 7.5 ms frame (the unclamped
 * d; the clamp commutes with sorting), never the signal.
 *
 * Standalone it frames the blocks given to `update`; with `{ framer: false }` a SepmFramer shared with
 * the other pysepm measures calls `frame()`, and `compute(samples)` / `computeBoth(samples)` are told
 * the stream's length (see sepm-frames.ts).
 *
 * @example
 * const acc = new LlrAccumulator({ sampleRate: 16000 });
 * acc.update({ ref, deg });
 * acc.compute();     // { value: 1.35…, frames: 556, framesKept: 528, … }
 * acc.computeBoth(); // { llr: {…}, llrForComposite: {…} }
 */
import { LevinsonPlan, toeplitzQuadraticForm } from '../dsp/lpc.js';
import { WindowedAutocorrelationPlan } from '../dsp/lpc-wasm.js';
import { hanningMatlab } from '../dsp/window.js';
import { nullValue, type MetricAccumulator, type SignalBlock } from './types.js';
import {
  FrameValues,
  PendingSum,
  SEPM_EPS,
  SEPM_TOO_SHORT,
  SepmFrameInput,
  sepmGeometry,
  completeFrames,
  meanOfLowest,
  trimmedCount,
  type SepmFrameSink,
  type SepmGeometry,
  type SepmOptions,
  type SepmTrimmedValue,
} from './sepm-frames.js';

/** Per-frame clamp of the default LLR (Loizou's llr.m). */
export const LLR_FRAME_MAX = 2;
/** Ratio that replaces a non-positive likelihood ratio (pysepm). */
export const LLR_NONPOSITIVE_RATIO = 1000;

export interface LlrOptions extends SepmOptions {
  /** What `compute()` returns: pysepm's default clamped LLR (false, default) or the composite's variant (true). */
  usedForComposite?: boolean;
}

export interface LlrValue extends SepmTrimmedValue {
  /** Frames (among the M) whose reference samples are all zero. */
  framesRefAllZero: number;
  /** Frames (among the M) whose degraded samples are all zero. */
  framesDegAllZero: number;
}

const clampFrame = (d: number): number => (d > LLR_FRAME_MAX ? LLR_FRAME_MAX : d);

export class LlrAccumulator implements MetricAccumulator<SignalBlock, LlrValue>, SepmFrameSink {
  readonly geometry: SepmGeometry;
  readonly usedForComposite: boolean;
  private readonly input: SepmFrameInput;
  private readonly lags: WindowedAutocorrelationPlan; // Hanning window, order p (wasm when available)
  private readonly levinson: LevinsonPlan;
  private readonly rRef: Float64Array;
  private readonly rDeg: Float64Array;
  private readonly aRef: Float64Array;
  private readonly aDeg: Float64Array;
  private readonly values = new FrameValues();
  private readonly refZero = new PendingSum();
  private readonly degZero = new PendingSum();

  /** `framer: false`: fed by a shared SepmFramer through `frame()` (see sepm-frames.ts). */
  constructor(options: LlrOptions) {
    this.geometry = sepmGeometry(options.sampleRate);
    this.usedForComposite = options.usedForComposite ?? false;
    const { frameLength, hop, lpcOrder } = this.geometry;
    this.input = new SepmFrameInput(frameLength, hop, options.framer ?? true);
    this.lags = new WindowedAutocorrelationPlan(hanningMatlab(frameLength), lpcOrder);
    this.levinson = new LevinsonPlan(lpcOrder);
    this.rRef = new Float64Array(lpcOrder + 1);
    this.rDeg = new Float64Array(lpcOrder + 1);
    this.aRef = new Float64Array(lpcOrder + 1);
    this.aDeg = new Float64Array(lpcOrder + 1);
  }

  update(block: SignalBlock): void {
    this.input.push(block, this);
  }

  /** One frame (from the own or a shared framer): samples [offset, offset + L) of ref and deg. */
  frame(ref: Float64Array, deg: Float64Array, offset: number): void {
    this.input.frames++;
    const p = this.geometry.lpcOrder;
    const rRef = this.rRef;
    const rDeg = this.rDeg;
    const refAny = this.lags.run(ref, offset, SEPM_EPS, rRef);
    const degAny = this.lags.run(deg, offset, SEPM_EPS, rDeg);
    this.refZero.push(refAny ? 0 : 1);
    this.degZero.push(degAny ? 0 : 1);
    this.levinson.solve(rRef, this.aRef);
    this.levinson.solve(rDeg, this.aDeg);
    const num = toeplitzQuadraticForm(rRef, this.aDeg, p);
    const den = toeplitzQuadraticForm(rRef, this.aRef, p);
    let ratio = num / den;
    // (Number-typed values only, so that V8 keeps ratio an unboxed double.)
    if (Number.isNaN(ratio)) ratio = Number.POSITIVE_INFINITY;
    if (ratio <= 0) ratio = +LLR_NONPOSITIVE_RATIO;
    this.values.push(Math.log(ratio));
  }

  /**
   * The variant chosen by `usedForComposite`, over a stream of `samples` samples (default: what
   * `update` saw; required with `framer: false`).
   */
  compute(samples?: number): LlrValue {
    const both = this.computeBoth(samples);
    return this.usedForComposite ? both.llrForComposite : both.llr;
  }

  /** Both variants from the same frames: `llr` (clamped at 2) and `llrForComposite` (unclamped). */
  computeBoth(samples?: number): { llr: LlrValue; llrForComposite: LlrValue } {
    const { frameLength, hop } = this.geometry;
    // The reference frames the signal with numpy strides and drops the last complete frame.
    const m = completeFrames(this.input.samples(samples), frameLength, hop) - 1;
    if (m <= 0) {
      const none: LlrValue = {
        ...nullValue(SEPM_TOO_SHORT),
        frames: 0,
        framesKept: 0,
        framesRefAllZero: 0,
        framesDegAllZero: 0,
      };
      return { llr: none, llrForComposite: { ...none } };
    }
    const counts = {
      frames: m,
      framesRefAllZero: this.refZero.total(m),
      framesDegAllZero: this.degZero.total(m),
    };
    const kept = trimmedCount(m);
    const sorted = this.values.sorted(m);
    const clamped = meanOfLowest(sorted, kept, clampFrame);
    const raw = meanOfLowest(sorted, kept);
    const llr: LlrValue = { value: clamped, framesKept: kept, ...counts };
    const llrForComposite: LlrValue = Number.isFinite(raw)
      ? { value: raw, framesKept: kept, ...counts }
      : { ...nullValue('a kept frame has an infinite likelihood ratio'), framesKept: kept, ...counts };
    return { llr, llrForComposite };
  }

  reset(): void {
    this.input.reset();
    this.values.reset();
    this.refZero.reset();
    this.degZero.reset();
  }
}
