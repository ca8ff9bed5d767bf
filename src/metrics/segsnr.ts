/**
 * Segmental SNR as pysepm's `SNRseg` computes it (Hu & Loizou; golden.json `meta.segsnr_definition`):
 * 30 ms frames (L = round(0.03·fs), Python's round), hop S = floor(0.25·0.03·fs), both signals weighted
 * by MATLAB's hanning(L); per frame 10·log10(Es / (Ee + eps) + eps), clamped to [−10, 35] dB; plain
 * mean over frames, no voice-activity detection (so identical files with digital silence score below
 * 35). pysepm frames the signal into floor((N − L)/S) + 1 frames and drops the last one; a stream
 * cannot know which frame is last, so the newest frame's value is held back and left out at `compute`.
 * A mean of per-frame values (segmental), not a ratio of sums.
 *
 * The frames are those of the other pysepm measures (`sepmFraming`): standalone the accumulator frames
 * the blocks given to `update`; with `{ framer: false }` a SepmFramer shared with them calls `frame()`
 * (see sepm-frames.ts). The frame count needs no stream length here (it is the frames seen minus one).
 *
 * @example
 * const acc = new SegSnrAccumulator(16000);
 * acc.update({ ref, deg });
 * acc.compute(); // { value: 8.3…, uncertainty: 0.21… }
 */
import { hanningMatlab } from '../dsp/window.js';
import { RunningStats } from './running-stats.js';
import { SepmFrameInput, sepmFraming, type SepmFrameSink } from './sepm-frames.js';
import { type MetricAccumulator, type MetricValue, type SignalBlock, nullValue, value } from './types.js';

export const SEGSNR_FRAME_SEC = 0.03;
export const SEGSNR_OVERLAP = 0.75;
/** Frames overlap by 3/4: standard-error span 4 (running-stats.ts). */
export const SEGSNR_SE_SPAN = 4;
export const SEGSNR_MIN_DB = -10;
export const SEGSNR_MAX_DB = 35;
const EPS = 2.220446049250313e-16; // numpy float64 eps, absolute on the [-1, 1) scale (pysepm)

/** One frame's clamped SNR in dB over ref, deg [offset, offset + window.length) (pure kernel). */
export function segmentSnrDb(ref: Float64Array, deg: Float64Array, window: Float64Array, offset = 0): number {
  let es = 0;
  let ee = 0;
  for (let i = 0, n = window.length; i < n; i++) {
    const w = window[i];
    const r = w * ref[offset + i];
    const e = r - w * deg[offset + i];
    es += r * r;
    ee += e * e;
  }
  const snr = 10 * Math.log10(es / (ee + EPS) + EPS);
  return Math.min(SEGSNR_MAX_DB, Math.max(SEGSNR_MIN_DB, snr));
}

export interface SegSnrOptions {
  /** false: fed by a shared SepmFramer through `frame()`; `update` throws (default true). */
  framer?: boolean;
}

export class SegSnrAccumulator implements MetricAccumulator, SepmFrameSink {
  readonly frameLength: number;
  readonly hop: number;
  private readonly window: Float64Array;
  private readonly input: SepmFrameInput;
  private readonly stats = new RunningStats();
  // The newest frame's value, dropped if it turns out to be last (a flag beside a plain double field,
  // so that V8 does not box the value at every frame).
  private pending = 0;
  private hasPending = false;

  /**
   * `onFrame` sees each frame's value as it is counted (the live engine's windows use it), i.e. when
   * the next frame arrives. Throws ERR_SAMPLE_RATE when the 7.5 ms hop would be < 1 sample.
   */
  constructor(
    sampleRate: number,
    private readonly onFrame?: (snrDb: number) => void,
    options: SegSnrOptions = {},
  ) {
    const { frameLength, hop } = sepmFraming(sampleRate);
    this.frameLength = frameLength;
    this.hop = hop;
    this.window = hanningMatlab(frameLength);
    this.input = new SepmFrameInput(frameLength, hop, options.framer ?? true);
  }

  update(block: SignalBlock): void {
    this.input.push(block, this);
  }

  /** One frame (from the own or a shared framer): samples [offset, offset + L) of ref and deg. */
  frame(ref: Float64Array, deg: Float64Array, offset: number): void {
    this.input.frames++;
    if (this.hasPending) {
      this.stats.add(this.pending);
      this.onFrame?.(this.pending);
    }
    this.pending = segmentSnrDb(ref, deg, this.window, offset);
    this.hasPending = true;
  }

  /** Frames counted so far (pysepm's M). */
  get frames(): number {
    return this.stats.count;
  }

  /**
   * The mean over the frames counted. `samples` (optional, also with `framer: false`) is checked
   * against the frames received (ERR_INVALID_ARGUMENT if they disagree); the count does not need it.
   */
  compute(samples?: number): MetricValue & { uncertainty: number | null } {
    if (samples !== undefined) this.input.samples(samples);
    if (this.stats.count === 0) {
      return { ...nullValue(`signal shorter than two ${SEGSNR_FRAME_SEC * 1000} ms frames`), uncertainty: null };
    }
    return { ...value(this.stats.mean), uncertainty: this.stats.standardError(SEGSNR_SE_SPAN) };
  }

  reset(): void {
    this.input.reset();
    this.stats.reset();
    this.hasPending = false;
  }
}
