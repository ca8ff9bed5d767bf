/**
 * Clipping ratio of deg: the share of samples lying in flat runs at the signal's extreme value.
 * A clipped waveform sticks at its ceiling (full scale, or a lower limiter/ADC level) for several
 * consecutive samples with exactly the same value; a natural peak is a single sample or two.
 * A sample counts when it belongs to a run of ≥ CLIP_MIN_RUN identical samples whose value is the
 * largest positive (or most negative) value of the stream, each polarity on its own (asymmetric clipping
 * is common). Runs need at least max(3, round(CLIP_MIN_RUN_SEC·fs)) samples: at 48 kHz a smooth
 * low-frequency peak of 16-bit audio can repeat a value for 2–3 samples, a clipped one for many more.
 *
 * Streaming: the counts at the current extremes are dropped when a larger extreme appears, so the
 * final value equals the whole-signal definition exactly. The per-hop count given to the callback uses
 * the extreme known at that moment (what a live view can know).
 */
import { type MetricAccumulator, type MetricValue, nullValue, value } from '../types.js';
import { type DegBlock, DegHopFamily, SHORT_REASON, SILENT_REASON } from './types.js';

/** Minimum duration of a flat run, s (with a floor of CLIP_MIN_RUN_SAMPLES). */
export const CLIP_MIN_RUN_SEC = 0.2e-3;
export const CLIP_MIN_RUN_SAMPLES = 3;

export function clipMinRun(sampleRate: number): number {
  return Math.max(CLIP_MIN_RUN_SAMPLES, Math.round(CLIP_MIN_RUN_SEC * sampleRate));
}

/** Per-hop values for a live window (valid during the callback). */
export interface ClippingHop {
  index: number;
  samples: number;
  /** Samples of this hop in flat runs at the extreme known so far. */
  clipped: number;
}

export interface ClippingOptions {
  sampleRate: number;
  onHop?: (hop: ClippingHop) => void;
}

export class ClippingAccumulator extends DegHopFamily implements MetricAccumulator<DegBlock, MetricValue> {
  readonly minRun: number;
  private readonly onHop?: (hop: ClippingHop) => void;
  private readonly hopRecord: ClippingHop = { index: 0, samples: 0, clipped: 0 };
  private max = -Infinity;
  private min = Infinity;
  private atMax = 0;
  private atMin = 0;
  private runValue = NaN;
  private runLength = 0;
  /** +1 / −1 when the current run is counted at the positive / negative extreme, else 0. */
  private runSide = 0;
  private samples = 0;
  private hopSamplesSeen = 0;
  private hopClipped = 0;
  private hops = 0;

  constructor({ sampleRate, onHop }: ClippingOptions) {
    super(sampleRate);
    this.minRun = clipMinRun(sampleRate);
    this.onHop = onHop;
  }

  /** @internal */
  segment(deg: Float64Array, _noisy: Float64Array | undefined, start: number, end: number): void {
    const minRun = this.minRun;
    let max = this.max;
    let min = this.min;
    let atMax = this.atMax;
    let atMin = this.atMin;
    let runValue = this.runValue;
    let runLength = this.runLength;
    let runSide = this.runSide;
    let clipped = this.hopClipped;
    for (let i = start; i < end; i++) {
      const x = deg[i];
      if (x === runValue) runLength++;
      else {
        runValue = x;
        runLength = 1;
        runSide = 0;
      }
      if (x > max) {
        max = x;
        atMax = 0; // a new extreme: runs at the old one were not at the signal's ceiling after all
      }
      if (x < min) {
        min = x;
        atMin = 0;
      }
      if (runLength < minRun) continue;
      if (runLength === minRun) {
        if (x === max && x > 0) {
          runSide = 1;
          atMax += minRun;
          clipped += minRun;
        } else if (x === min && x < 0) {
          runSide = -1;
          atMin += minRun;
          clipped += minRun;
        }
      } else if (runSide === 1) {
        atMax++;
        clipped++;
      } else if (runSide === -1) {
        atMin++;
        clipped++;
      }
    }
    this.max = max;
    this.min = min;
    this.atMax = atMax;
    this.atMin = atMin;
    this.runValue = runValue;
    this.runLength = runLength;
    this.runSide = runSide;
    this.hopClipped = clipped;
    this.hopSamplesSeen += end - start;
    this.samples += end - start;
  }

  /** @internal */
  hopEnd(): void {
    if (this.onHop) {
      const r = this.hopRecord;
      r.index = this.hops;
      r.samples = this.hopSamplesSeen;
      r.clipped = this.hopClipped;
      this.onHop(r);
    }
    this.hops++;
    this.hopSamplesSeen = 0;
    this.hopClipped = 0;
  }

  compute(): MetricValue {
    if (this.problem) return nullValue(this.problem);
    if (this.samples < 2 * this.hop) return nullValue(SHORT_REASON);
    if (!(this.max > 0) && !(this.min < 0)) return nullValue(SILENT_REASON);
    return value((this.atMax + this.atMin) / this.samples);
  }

  reset(): void {
    this.splitter.reset();
    this.max = -Infinity;
    this.min = Infinity;
    this.atMax = this.atMin = 0;
    this.runValue = NaN;
    this.runLength = 0;
    this.runSide = 0;
    this.samples = this.hopSamplesSeen = this.hopClipped = this.hops = 0;
  }
}
