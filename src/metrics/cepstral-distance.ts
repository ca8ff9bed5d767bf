/**
 * Cepstral distance (CD), lower is better, as pysepm's `cepstrum_distance` (schmiph2/pysepm
 * qualityMeasures.py; N. Kitawaki, H. Nagabuchi & K. Itoh, IEEE JSAC 6(2), 1988; Y. Hu & P. C. Loizou,
 * IEEE TASLP 16(1), 2008, eq. (6)).
 *
 * Per 30 ms frame (hop 7.5 ms, MATLAB hanning window, NO eps added): LPC of order P (10 below 10 kHz,
 * else 16, autocorrelation + Levinson-Durbin), its P cepstral coefficients c (`lpcToCepstrum`), and
 *   d = min(10, (10·√2 / ln 10) · ‖c_ref − c_deg‖₂).
 * A frame that is all zero in ref or deg has no LPC (a zero prediction error): pysepm gets a NaN
 * distance there and Python's min((10, nan)) returns 10, so such a frame scores 10, also where both
 * files are silent. We map every non-finite distance to 10 explicitly (JavaScript's Math.min(10, NaN)
 * is NaN). The result is the mean of the lowest round(0.95·M) frame values over the first
 * M = int(N/S − L/S) frames (ties of the rounding to even).
 *
 * Memory: the 95 % trim needs every frame value, so this keeps one float64 per 7.5 ms frame, never the
 * signal.
 *
 * Standalone it frames the blocks given to `update`; with `{ framer: false }` a SepmFramer shared with
 * the other pysepm measures calls `frame()`, and `compute(samples)` is told the stream's length (see
 * sepm-frames.ts).
 *
 * @example
 * const acc = new CepstralDistanceAccumulator({ sampleRate: 16000 });
 * acc.update({ ref, deg });
 * acc.compute(); // { value: 7.55…, frames: 556, framesKept: 528, framesRefOrDegAllZero: 132 }
 */
import { LevinsonPlan, lpcToCepstrum } from '../dsp/lpc.js';
import { WindowedAutocorrelationPlan } from '../dsp/lpc-wasm.js';
import { hanningMatlab } from '../dsp/window.js';
import { nullValue, type MetricAccumulator, type SignalBlock } from './types.js';
import {
  FrameValues,
  PendingSum,
  pysepmFrameCount,
  SEPM_TOO_SHORT,
  SepmFrameInput,
  sepmGeometry,
  type SepmFrameSink,
  type SepmGeometry,
  type SepmOptions,
  type SepmTrimmedValue,
} from './sepm-frames.js';

/** Ceiling of a frame's distance (also the value of frames without an LPC model). */
export const CD_FRAME_MAX = 10;
/** 10·√2 / ln 10: cepstral distance in dB (Kitawaki et al. 1988). */
export const CD_SCALE = (10 * Math.sqrt(2)) / Math.log(10);

export interface CepstralDistanceValue extends SepmTrimmedValue {
  /** Frames (among the M) that are all zero in ref or deg (each scores 10). */
  framesRefOrDegAllZero: number;
}

export class CepstralDistanceAccumulator
  implements MetricAccumulator<SignalBlock, CepstralDistanceValue>, SepmFrameSink
{
  readonly geometry: SepmGeometry;
  private readonly input: SepmFrameInput;
  private readonly lags: WindowedAutocorrelationPlan; // Hanning window, order p (wasm when available)
  private readonly levinson: LevinsonPlan;
  private readonly r: Float64Array;
  private readonly a: Float64Array;
  private readonly cepRef: Float64Array;
  private readonly cepDeg: Float64Array;
  private readonly values = new FrameValues();
  private readonly zeroFrames = new PendingSum();

  /** `framer: false`: fed by a shared SepmFramer through `frame()` (see sepm-frames.ts). */
  constructor(options: SepmOptions) {
    this.geometry = sepmGeometry(options.sampleRate);
    const { frameLength, hop, lpcOrder } = this.geometry;
    this.input = new SepmFrameInput(frameLength, hop, options.framer ?? true);
    this.lags = new WindowedAutocorrelationPlan(hanningMatlab(frameLength), lpcOrder);
    this.levinson = new LevinsonPlan(lpcOrder);
    this.r = new Float64Array(lpcOrder + 1);
    this.a = new Float64Array(lpcOrder + 1);
    this.cepRef = new Float64Array(lpcOrder);
    this.cepDeg = new Float64Array(lpcOrder);
  }

  update(block: SignalBlock): void {
    this.input.push(block, this);
  }

  /** One frame (from the own or a shared framer): samples [offset, offset + L) of ref and deg. */
  frame(ref: Float64Array, deg: Float64Array, offset: number): void {
    this.input.frames++;
    const p = this.geometry.lpcOrder;
    const refAny = this.cepstrum(ref, offset, this.cepRef);
    const degAny = this.cepstrum(deg, offset, this.cepDeg);
    this.zeroFrames.push(refAny && degAny ? 0 : 1);
    let ss = 0;
    for (let k = 0; k < p; k++) {
      const d = this.cepRef[k] - this.cepDeg[k];
      ss += d * d;
    }
    const dist = CD_SCALE * Math.sqrt(ss);
    // Python's min((10, d)) keeps 10 unless d < 10: NaN and ±∞ distances become 10.
    const max = +CD_FRAME_MAX; // number-typed, so that V8 does not box the double below
    this.values.push(dist < max ? dist : max);
  }

  /** The value over a stream of `samples` samples (default: what `update` saw; required with `framer: false`). */
  compute(samples?: number): CepstralDistanceValue {
    const { frameLength, hop } = this.geometry;
    const m = pysepmFrameCount(this.input.samples(samples), frameLength, hop);
    if (m <= 0) {
      return {
        ...nullValue(SEPM_TOO_SHORT),
        frames: 0,
        framesKept: 0,
        framesRefOrDegAllZero: 0,
      };
    }
    const { mean, kept } = this.values.trimmedMean(m);
    return { value: mean, frames: m, framesKept: kept, framesRefOrDegAllZero: this.zeroFrames.total(m) };
  }

  reset(): void {
    this.input.reset();
    this.values.reset();
    this.zeroFrames.reset();
  }

  /** Cepstrum of the windowed frame x[offset .. offset + L); returns whether any sample is non-zero. */
  private cepstrum(x: Float64Array, offset: number, cep: Float64Array): boolean {
    const p = this.geometry.lpcOrder;
    // No eps here (pysepm's cepstrum_distance): bias 0.
    const any = this.lags.run(x, offset, 0, this.r);
    this.levinson.solve(this.r, this.a);
    lpcToCepstrum(this.a, p, cep);
    return any;
  }
}
