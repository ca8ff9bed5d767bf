/**
 * Segmental SNR as pysepm's `SNRseg` computes it (Hu & Loizou; golden.json `meta.segsnr_definition`):
 * 30 ms frames (L = round(0.03·fs)), hop S = floor(0.25·0.03·fs), both signals weighted by MATLAB's
 * hanning(L); per frame 10·log10(Es / (Ee + eps) + eps), clamped to [−10, 35] dB; plain mean over
 * frames, no voice-activity detection (so identical files with digital silence score below 35).
 * pysepm frames the signal into floor((N − L)/S) + 1 frames and drops the last one; a stream cannot know
 * which frame is last, so the newest frame's value is held back and left out at `compute`.
 * A mean of per-frame values (segmental), not a ratio of sums.
 */
import { FrameBuffer } from '../dsp/frame-buffer.js';
import { hanningMatlab } from '../dsp/window.js';
import { RunningStats } from './running-stats.js';
import { type MetricAccumulator, type MetricValue, type SignalBlock, nullValue, value } from './types.js';

export const SEGSNR_FRAME_SEC = 0.03;
export const SEGSNR_OVERLAP = 0.75;
export const SEGSNR_MIN_DB = -10;
export const SEGSNR_MAX_DB = 35;
const EPS = 2.220446049250313e-16; // numpy float64 eps, absolute on the [-1, 1) scale (pysepm)

/** One frame's clamped SNR in dB (pure kernel). */
export function segmentSnrDb(ref: Float64Array, deg: Float64Array, window: Float64Array): number {
  let es = 0;
  let ee = 0;
  for (let i = 0; i < window.length; i++) {
    const r = window[i] * ref[i];
    const e = r - window[i] * deg[i];
    es += r * r;
    ee += e * e;
  }
  const snr = 10 * Math.log10(es / (ee + EPS) + EPS);
  return Math.min(SEGSNR_MAX_DB, Math.max(SEGSNR_MIN_DB, snr));
}

export class SegSnrAccumulator implements MetricAccumulator {
  readonly frameLength: number;
  readonly hop: number;
  private readonly window: Float64Array;
  private readonly framer: FrameBuffer;
  private readonly stats = new RunningStats();
  private pending: number | null = null; // newest frame value, dropped if it turns out to be last

  /** `onFrame` sees each frame's value as it is counted (the live engine's windows use it). */
  constructor(sampleRate: number, private readonly onFrame?: (snrDb: number) => void) {
    this.frameLength = Math.round(SEGSNR_FRAME_SEC * sampleRate);
    this.hop = Math.floor((1 - SEGSNR_OVERLAP) * SEGSNR_FRAME_SEC * sampleRate);
    this.window = hanningMatlab(this.frameLength);
    this.framer = new FrameBuffer(this.frameLength, this.hop, 2, (f) => {
      if (this.pending !== null) {
        this.stats.add(this.pending);
        this.onFrame?.(this.pending);
      }
      this.pending = segmentSnrDb(f[0], f[1], this.window);
    });
  }

  private readonly inputs: Float64Array[] = [new Float64Array(0), new Float64Array(0)];

  update({ ref, deg }: SignalBlock): void {
    this.inputs[0] = ref;
    this.inputs[1] = deg;
    this.framer.push(this.inputs);
  }

  /** Frames counted so far (pysepm's M). */
  get frames(): number {
    return this.stats.count;
  }

  compute(): MetricValue & { uncertainty: number | null } {
    if (this.stats.count === 0) {
      return { ...nullValue(`signal shorter than two ${SEGSNR_FRAME_SEC * 1000} ms frames`), uncertainty: null };
    }
    return { ...value(this.stats.mean), uncertainty: this.stats.standardError() };
  }

  reset(): void {
    this.framer.reset();
    this.stats.reset();
    this.pending = null;
  }
}
