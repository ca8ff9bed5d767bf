/**
 * Continuous delay tracking of deg against ref for the live engine. Every `refreshSec` (0.5 s) of
 * stream it runs GCC-PHAT over the last `windowSec` (2 s) seconds: first coarsely on signals decimated to ~4 kHz
 * (so a ±1 s search costs one 16k-point FFT pair), then exactly at the full rate around the coarse
 * lag. A changed delay is accepted at once when it is small (clock drift moves it by a sample or
 * two per refresh) and after two agreeing refreshes when it jumps (a DUT that changes its
 * buffering), so one noisy estimate never moves the alignment.
 *
 * Memory is fixed by the window: two decimated rings and two full-rate rings of the refinement span.
 */
import { GccPhat } from '../dsp/gcc-phat.js';

export interface DelayTrackerOptions {
  sampleRate: number;
  /** Largest |delay| searched, seconds (default 1). */
  maxDelaySec?: number;
  /** Analysis window, seconds (default 2: a jump is seen within ~1.5 s; still 1 s of overlap at 1 s delay). */
  windowSec?: number;
  /** Time between estimates, seconds of stream (default 0.5). */
  refreshSec?: number;
}

export interface DelayUpdate {
  delaySamples: number;
  confidence: number;
  kind: 'initial' | 'drift' | 'jump';
  /** Stream position (samples of deg) where the estimate was made. */
  at: number;
}

/** Rate the coarse search runs at; 0–2 kHz holds most of speech's periodicity. */
const COARSE_RATE_HZ = 4000;
/** A correlation peak must stand this far above the correlation's RMS to count (see analyze.ts). */
const MIN_PEAK_TO_RMS = 10;
/** Lowest whitened-correlation peak the full-rate refinement must reach to be used. */
const MIN_FINE_CONFIDENCE = 0.05;
/** Changes up to this many samples are drift and are accepted at once. */
const DRIFT_SAMPLES = 3;
/** Full-rate refinement frame (samples) and how far around the coarse lag it searches (coarse steps). */
const REFINE_FRAME = 8192;

class Ring {
  readonly data: Float64Array;
  written = 0;
  constructor(size: number) {
    this.data = new Float64Array(size);
  }
  push(v: number): void {
    this.data[this.written % this.data.length] = v;
    this.written++;
  }
  /** Copy the last `out.length` samples ending `back` samples before the newest into out. */
  copyLast(out: Float64Array, back = 0): boolean {
    const n = out.length;
    const end = this.written - back;
    if (end - n < 0 || this.written - (end - n) > this.data.length) return false;
    // Two block copies around the ring's wrap point.
    const size = this.data.length;
    const from = (end - n) % size;
    const first = Math.min(n, size - from);
    out.set(this.data.subarray(from, from + first), 0);
    if (first < n) out.set(this.data.subarray(0, n - first), first);
    return true;
  }
}

/**
 * Scratch frames shared by every tracker of this thread (an estimate fills and consumes them
 * synchronously), so a session does not carry ~0.4 MB of them.
 */
const frames = new Map<string, Float64Array>();
function sharedFrame(role: string, size: number): Float64Array {
  const key = `${role}/${size}`;
  let f = frames.get(key);
  if (!f) frames.set(key, (f = new Float64Array(size)));
  return f;
}

export class DelayTracker {
  readonly sampleRate: number;
  readonly decimation: number;
  private readonly maxDelay: number;
  private readonly refresh: number;
  private readonly coarse: GccPhat;
  private readonly fine: GccPhat;
  private readonly coarseRef: Ring;
  private readonly coarseDeg: Ring;
  private readonly fullRef: Ring;
  private readonly fullDeg: Ring;
  private readonly windowCoarse: number;
  private readonly coarseFrameRef: Float64Array;
  private readonly coarseFrameDeg: Float64Array;
  private readonly fineRef = sharedFrame('fine-ref', REFINE_FRAME);
  private readonly fineDeg = sharedFrame('fine-deg', REFINE_FRAME);
  private accRef = 0;
  private accDeg = 0;
  private accCount = 0;
  private samples = 0;
  private nextRefresh: number;
  private current: number | null = null;
  private candidate: number | null = null;
  private lastConfidence = 0;

  constructor(options: DelayTrackerOptions) {
    const fs = options.sampleRate;
    this.sampleRate = fs;
    this.decimation = Math.max(1, Math.round(fs / COARSE_RATE_HZ));
    const coarseRate = fs / this.decimation;
    this.maxDelay = Math.round((options.maxDelaySec ?? 1) * fs);
    const maxCoarseLag = Math.ceil(this.maxDelay / this.decimation) + 1;
    const windowCoarse = Math.ceil((options.windowSec ?? 2) * coarseRate);
    this.windowCoarse = windowCoarse;
    let frame = GccPhat.frameSizeFor(maxCoarseLag);
    while (frame < windowCoarse) frame *= 2;
    this.coarse = new GccPhat(frame, Math.min(maxCoarseLag, frame / 2 - 1));
    this.coarseFrameRef = sharedFrame('coarse-ref', frame);
    this.coarseFrameDeg = sharedFrame('coarse-deg', frame);
    this.coarseRef = new Ring(frame);
    this.coarseDeg = new Ring(frame);
    this.fine = new GccPhat(REFINE_FRAME, 2 * this.decimation + 2);
    // The refinement compares ref shifted by the coarse lag with deg: keep maxDelay more of ref.
    this.fullRef = new Ring(REFINE_FRAME + this.maxDelay + 4 * this.decimation + 8);
    this.fullDeg = new Ring(REFINE_FRAME + this.maxDelay + 4 * this.decimation + 8);
    this.refresh = Math.round((options.refreshSec ?? 0.5) * fs);
    this.nextRefresh = Math.min(this.refresh * 2, Math.round(windowCoarse * this.decimation));
  }

  /** The accepted delay in samples (deg lags ref when positive), or null before the first lock. */
  get delay(): number | null {
    return this.current;
  }

  get confidence(): number {
    return this.lastConfidence;
  }

  /** Feed time-aligned-as-captured ref and deg; returns an update when the accepted delay changed. */
  push(ref: Float64Array, deg: Float64Array): DelayUpdate | null {
    let update: DelayUpdate | null = null;
    const q = this.decimation;
    for (let i = 0; i < ref.length; i++) {
      this.fullRef.push(ref[i]);
      this.fullDeg.push(deg[i]);
      // Boxcar average before decimation: a crude anti-alias filter, enough for locating a peak.
      this.accRef += ref[i];
      this.accDeg += deg[i];
      if (++this.accCount === q) {
        this.coarseRef.push(this.accRef / q);
        this.coarseDeg.push(this.accDeg / q);
        this.accRef = this.accDeg = 0;
        this.accCount = 0;
      }
      this.samples++;
      if (this.samples >= this.nextRefresh) {
        this.nextRefresh += this.refresh;
        update = this.estimate() ?? update;
      }
    }
    return update;
  }

  /** Force an estimate now (e.g. at the end of a short stream before any refresh happened). */
  estimateNow(): DelayUpdate | null {
    return this.estimate();
  }

  private estimate(): DelayUpdate | null {
    // The last `windowCoarse` samples, zero-padded to the frame: a short window reacts to jumps
    // sooner, the zero padding keeps the whole ±maxDelay range searchable without wrap-around.
    const have = Math.min(this.coarseRef.written, this.windowCoarse);
    if (have < 256) return null;
    this.coarseFrameRef.fill(0);
    this.coarseFrameDeg.fill(0);
    this.coarseRef.copyLast(this.coarseFrameRef.subarray(0, have));
    this.coarseDeg.copyLast(this.coarseFrameDeg.subarray(0, have));
    this.coarse.reset();
    this.coarse.accumulate(this.coarseFrameRef, this.coarseFrameDeg);
    const c = this.coarse.estimate();
    if (!c || c.peakToRms < MIN_PEAK_TO_RMS) return null;
    let delay = c.delaySamples * this.decimation;
    let confidence = c.confidence;
    // Refinement at the full rate: deg's last REFINE_FRAME samples against ref shifted by the coarse lag.
    if (this.decimation > 1 && this.fullDeg.written >= REFINE_FRAME + Math.max(0, delay) + 2 * this.decimation) {
      const backRef = Math.max(0, delay);
      const backDeg = Math.max(0, -delay);
      if (this.fullRef.copyLast(this.fineRef, backRef) && this.fullDeg.copyLast(this.fineDeg, backDeg)) {
        this.fine.reset();
        this.fine.accumulate(this.fineRef, this.fineDeg);
        const f = this.fine.estimate();
        // Over a few dozen lags a peak/RMS test says little (the peak dominates the RMS); the coarse
        // peak was already tested, so only a near-absent fine peak is refused.
        if (f && f.confidence >= MIN_FINE_CONFIDENCE) {
          delay += f.delaySamples;
          confidence = f.confidence;
        }
      }
    }
    if (Math.abs(delay) > this.maxDelay) return null;
    this.lastConfidence = confidence;
    const at = this.samples;
    if (this.current === null) {
      this.current = delay;
      this.candidate = null;
      return { delaySamples: delay, confidence, kind: 'initial', at };
    }
    if (delay === this.current) {
      this.candidate = null;
      return null;
    }
    if (Math.abs(delay - this.current) <= DRIFT_SAMPLES) {
      this.current = delay;
      this.candidate = null;
      return { delaySamples: delay, confidence, kind: 'drift', at };
    }
    if (this.candidate === delay) {
      this.current = delay;
      this.candidate = null;
      return { delaySamples: delay, confidence, kind: 'jump', at };
    }
    this.candidate = delay;
    return null;
  }
}
