/**
 * Continuous delay tracking of deg against ref for the live engine. Every `refreshSec` (0.5 s) of
 * stream it runs GCC-PHAT over the last `windowSec` (2 s) seconds: first coarsely on signals decimated to ~4 kHz
 * (so a ±1 s search costs one 16k-point FFT pair), then exactly at the full rate around the coarse
 * lag. A changed delay is accepted at once when it is small (clock drift moves it by a sample or
 * two per refresh) and after two agreeing refreshes when it jumps (a DUT that changes its
 * buffering), so one noisy estimate never moves the alignment.
 *
 * The refinement is then repeated with ref taken at the exact whole-sample delay, and the fraction found
 * by interpolating and refining the GCC-PHAT peak (`newtonPeak`). The fractional estimates of the
 * current segment (since the last jump) over the last DRIFT_WINDOW_SEC give the clock drift (their
 * slope); `model` extrapolates the delay along it between estimates and through pauses. After a lock,
 * LOST_AFTER refreshes in a row with signal in both streams and no clear peak give a 'lost' update.
 *
 * Once locked with deg lagging ref (D ≥ 0), most refreshes skip the coarse ±maxDelay search (two
 * thirds of an estimate's cost): the refinement runs directly around the model's delay and is used
 * when its peak is clear (at least MIN_FINE_CONFIDENCE and FAST_CONFIDENCE_RATIO of the last full
 * search's) and within a sample of the whole-sample delay it settles on. Otherwise (a jump, drift
 * beyond the ±(2·decimation + 2) fine range, loss, silence, a pause) the same refresh falls back to
 * the full search, and every FULL_SEARCH_EVERY-th refresh is a full one anyway, as are all refreshes
 * before a lock, while lost, while a jump awaits confirmation and while D < 0 (the refinement frames
 * then end |D| before deg's newest sample, so a jump would be seen later than the coarse search sees
 * it). Around the right lag the refinement computes what the full search's last step computes (the
 * same frames), so a refresh's estimate is the same either way, with one difference: a clear fine
 * peak counts where the coarse search found none (e.g. its 2 s window straddling a jump, or holding a
 * quiet second), so the tracker may have an estimate where it had none before.
 *
 * Memory is fixed by the window: two decimated rings, and two full-rate rings of the refinement span
 * unless the caller lends its history (the live aligner's float32 rings: for captured audio, float32
 * already, the same samples); the frames and the GCC-PHAT cross-spectra are scratch shared by the
 * trackers of a thread.
 */
import { GccPhat, type DelayEstimate } from '../dsp/gcc-phat.js';
import { lineFit, tCritical95 } from '../dsp/line-fit.js';

export interface DelayTrackerOptions {
  sampleRate: number;
  /** Largest |delay| searched, seconds (default 1). */
  maxDelaySec?: number;
  /** Analysis window, seconds (default 2: a jump is seen within ~1.5 s; still 1 s of overlap at 1 s delay). */
  windowSec?: number;
  /** Time between estimates, seconds of stream (default 0.5). */
  refreshSec?: number;
  /**
   * The full-rate history of ref and deg, when the caller keeps one anyway (the live aligner): the
   * tracker then reads its refinement frames there instead of keeping its own rings. It must hold the
   * samples of every `push` before that push (from the stream's first sample on, indices counting
   * from 0), at least REFINE_FRAME + maxDelay + 4·decimation + 8 of them back from the newest.
   */
  history?: { ref: SampleHistory; deg: SampleHistory };
}

/** Samples of a stream by index (0: the first pushed), for the refinement frames. */
export interface SampleHistory {
  /** Samples [from, from + out.length) into out; false (out unspecified) unless all are held. */
  copyRange(from: number, out: Float64Array): boolean;
}

export interface DelayUpdate {
  /** Whole samples (the accepted delay, rounded). */
  delaySamples: number;
  /** The delay at `at` from the model (fractional samples), and the drift (ppm) it follows. */
  delayExact: number;
  driftPpm: number;
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
/** Estimates of the current segment the drift is fitted over (s of stream). */
const DRIFT_WINDOW_SEC = 20;
/** The drift is used once the segment's estimates span this long (s), at least 3 of them. */
const DRIFT_MIN_SPAN_SEC = 1;
/** Refreshes in a row with signal but no clear peak before a locked tracker reports 'lost'. */
const LOST_AFTER = 4;
/** A window has signal when its energy is at least this fraction of the largest seen. */
const SIGNAL_FRACTION = 0.1;
/** As offline (src/analysis/align.ts): a drift counts when over 3 standard errors; an offset this close to a whole sample, without drift, is that sample. */
const SNAP_SAMPLES = 0.02;
/** Model changes smaller than this (samples, over the next second) are not applied: the alignment stays put. */
const MODEL_STEP = 0.01;
/** Estimates a fraction of a sample needs behind it (without drift), as offline's MIN_FRACTION_FRAMES. */
const MIN_FRACTION_POINTS = 5;
/** Smallest drift applied (ppm): below it the estimates' own updates keep up (0.1 ms takes 20 s at 5 ppm). */
const MIN_DRIFT_PPM = 5;
/** While locked, every this many refreshes one runs the full (coarse) search; the others refine around the model. */
const FULL_SEARCH_EVERY = 4;
/** A refinement around the model stands on its own when its peak is at least this share of the last full search's. */
const FAST_CONFIDENCE_RATIO = 0.5;

/** A locked tracker that no longer finds a clear peak (the delay it reports is the last one believed). */
export type DelayLost = Omit<DelayUpdate, 'kind'> & { kind: 'lost' };

/** deg position (samples) and fractional delay of one fine estimate. */
interface Point {
  t: number;
  d: number;
}

/** One refresh's estimate: whole-sample delay, confidence, and the fine point when there is one. */
interface Found {
  delay: number;
  confidence: number;
  point: Point | null;
}

class Ring implements SampleHistory {
  readonly data: Float64Array;
  written = 0;
  constructor(size: number) {
    this.data = new Float64Array(size);
  }
  push(v: number): void {
    this.data[this.written % this.data.length] = v;
    this.written++;
  }
  /** Σ x² over the last n samples, oldest first. */
  energyOfLast(n: number): number {
    const size = this.data.length;
    const d = this.data;
    let e = 0;
    let j = (this.written - n) % size;
    for (let i = 0; i < n; i++) {
      const v = d[j];
      e += v * v;
      if (++j === size) j = 0;
    }
    return e;
  }
  /** Copy the last `out.length` samples ending `back` samples before the newest into out. */
  copyLast(out: Float64Array, back = 0): boolean {
    return this.copyRange(this.written - back - out.length, out);
  }
  copyRange(start: number, out: Float64Array): boolean {
    const n = out.length;
    if (start < 0 || start + n > this.written || this.written - start > this.data.length) return false;
    // Two block copies around the ring's wrap point.
    const size = this.data.length;
    const from = start % size;
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
  private readonly fullRef: SampleHistory;
  private readonly fullDeg: SampleHistory;
  /** The tracker's own full-rate rings (null: it reads `options.history`). */
  private readonly ownFull: { ref: Ring; deg: Ring } | null;
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
  private candidatePoint: Point | null = null;
  private lastConfidence = 0;
  /** Fine estimates of the current segment (oldest first, at most DRIFT_WINDOW_SEC). */
  private points: Point[] = [];
  private slope = 0;
  /** The drift when the current segment began (kept through a jump). */
  private priorSlope = 0;
  private intercept = 0;
  private failures = 0;
  private lost = false;
  private relock: number | null = null;
  private relockCount = 0;
  private maxEnergy = 0;
  /** Refreshes since the last full search, and the fine confidence that search ended with. */
  private sinceFull = 0;
  private fullConfidence = 0;

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
    // Each estimate resets and fills its cross-spectra and reads them before returning: shared scratch.
    this.coarse = new GccPhat(frame, Math.min(maxCoarseLag, frame / 2 - 1), { sharedCross: true });
    this.coarseFrameRef = sharedFrame('coarse-ref', frame);
    this.coarseFrameDeg = sharedFrame('coarse-deg', frame);
    // Only the last windowCoarse samples are ever read (the frame's rest is zero padding).
    this.coarseRef = new Ring(windowCoarse);
    this.coarseDeg = new Ring(windowCoarse);
    this.fine = new GccPhat(REFINE_FRAME, 2 * this.decimation + 2, { sharedCross: true });
    // The refinement compares ref shifted by the coarse lag with deg: keep maxDelay more of ref.
    if (options.history) {
      this.ownFull = null;
      this.fullRef = options.history.ref;
      this.fullDeg = options.history.deg;
    } else {
      const span = DelayTracker.historyNeeded(fs, options.maxDelaySec);
      this.ownFull = { ref: new Ring(span), deg: new Ring(span) };
      this.fullRef = this.ownFull.ref;
      this.fullDeg = this.ownFull.deg;
    }
    this.refresh = Math.round((options.refreshSec ?? 0.5) * fs);
    this.nextRefresh = Math.min(this.refresh * 2, Math.round(windowCoarse * this.decimation));
  }

  /** How many of the newest samples a lent `history` must hold (see DelayTrackerOptions.history). */
  static historyNeeded(sampleRate: number, maxDelaySec = 1): number {
    return REFINE_FRAME + Math.round(maxDelaySec * sampleRate) + 4 * Math.max(1, Math.round(sampleRate / COARSE_RATE_HZ)) + 8;
  }

  /** The accepted delay in samples (deg lags ref when positive), or null before the first lock. */
  get delay(): number | null {
    return this.current;
  }

  /** Delay (fractional samples) at deg sample m, along the drift: intercept + slope · m. Null before the first lock. */
  get model(): { intercept: number; slope: number } | null {
    return this.current === null ? null : { intercept: this.intercept, slope: this.slope };
  }

  /** Refit the model to the segment's points (the last slope kept until they span DRIFT_MIN_SPAN_SEC). */
  private refit(): void {
    const pts = this.points;
    const n = pts.length;
    if (n === 0) return;
    const fit = lineFit(n, (i) => pts[i].t, (i) => pts[i].d);
    const { mt, md } = fit;
    // The drift: fitted once 3 points span DRIFT_MIN_SPAN_SEC, used when significant (Student's t at
    // 95 %: few points need a clearer slope) and at least MIN_DRIFT_PPM; a drift known from the
    // previous segment (before a jump) is kept while the new points agree with it.
    let slope = this.slope;
    if (n >= 3 && pts[n - 1].t - pts[0].t >= DRIFT_MIN_SPAN_SEC * this.sampleRate) {
      const fitted = fit.slope;
      const bound = fit.stt > 0 ? tCritical95(n - 2) * Math.sqrt(fit.ss / (n - 2) / fit.stt) : Infinity;
      if (Math.abs(fitted) > bound && Math.abs(fitted) >= MIN_DRIFT_PPM * 1e-6) slope = fitted;
      else if (!(this.priorSlope !== 0 && Math.abs(fitted - this.priorSlope) <= bound)) slope = 0;
      else slope = this.priorSlope;
    }
    let intercept = md - slope * mt;
    // Without drift, the whole sample nearest stays unless the fraction is significant too.
    if (slope === 0) {
      let sd = 0;
      for (const p of pts) sd += (p.d - md) ** 2;
      const se = n >= MIN_FRACTION_POINTS ? Math.sqrt(sd / (n - 1) / n) : Infinity;
      const frac = Math.abs(intercept - Math.round(intercept));
      if (frac < SNAP_SAMPLES || !(frac > tCritical95(n - 1) * se)) intercept = Math.round(intercept);
    }
    // Keep the model unless it moves the delay by MODEL_STEP within the next second.
    const now = this.samples;
    const later = now + this.sampleRate;
    const moved = Math.max(Math.abs(intercept + slope * now - (this.intercept + this.slope * now)), Math.abs(intercept + slope * later - (this.intercept + this.slope * later)));
    if (!(moved < MODEL_STEP) || (slope === 0) !== (this.slope === 0)) {
      this.slope = slope;
      this.intercept = intercept;
    }
  }

  /** Samples until the next estimate (the aligner applies each one from that sample on). */
  get untilRefresh(): number {
    return Math.max(1, this.nextRefresh - this.samples);
  }

  private addPoint(p: Point, restart: boolean): void {
    if (restart) {
      this.points = [];
      this.priorSlope = this.slope;
      this.intercept = Number.NaN; // replaced by the refit, whatever it moves
    }
    this.points.push(p);
    const oldest = p.t - DRIFT_WINDOW_SEC * this.sampleRate;
    while (this.points.length > 1 && this.points[0].t < oldest) this.points.shift();
    this.refit();
  }

  private update<K extends DelayUpdate['kind'] | 'lost'>(kind: K, confidence: number): Omit<DelayUpdate, 'kind'> & { kind: K } {
    const at = this.samples;
    const exact = this.intercept + this.slope * at;
    return { delaySamples: this.current ?? 0, delayExact: exact, driftPpm: this.slope * 1e6, confidence, kind, at };
  }

  private pendingLost: DelayLost | null = null;

  /** The 'lost' report of the last push, if any (taken once). */
  takeLost(): DelayLost | null {
    const l = this.pendingLost;
    this.pendingLost = null;
    return l;
  }

  get confidence(): number {
    return this.lastConfidence;
  }

  /** Feed time-aligned-as-captured ref and deg; returns an update when the accepted delay changed. */
  push(ref: Float64Array, deg: Float64Array): DelayUpdate | null {
    let update: DelayUpdate | null = null;
    const q = this.decimation;
    const own = this.ownFull;
    for (let i = 0; i < ref.length; i++) {
      if (own) {
        own.ref.push(ref[i]);
        own.deg.push(deg[i]);
      }
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
    // The window's energy (oldest sample first, as the frames are filled) tells a pause from a loss.
    const er = this.coarseRef.energyOfLast(have);
    const ed = this.coarseDeg.energyOfLast(have);
    const energy = Math.min(er, ed);
    this.maxEnergy = Math.max(this.maxEnergy, energy);
    const withSignal = energy > 0 && energy >= SIGNAL_FRACTION * this.maxEnergy;
    let found = this.trackModel();
    if (found) this.sinceFull++;
    else {
      this.coarseFrameRef.fill(0);
      this.coarseFrameDeg.fill(0);
      this.coarseRef.copyLast(this.coarseFrameRef.subarray(0, have));
      this.coarseDeg.copyLast(this.coarseFrameDeg.subarray(0, have));
      this.coarse.reset();
      this.coarse.accumulate(this.coarseFrameRef, this.coarseFrameDeg);
      const c = this.coarse.estimate();
      if (!c || c.peakToRms < MIN_PEAK_TO_RMS) return this.failed(withSignal, c?.confidence ?? 0);
      found = this.fullSearch(c.delaySamples * this.decimation, c.confidence);
      this.sinceFull = 0;
      this.fullConfidence = found.point ? found.confidence : 0;
    }
    const { point, confidence } = found;
    const delay = found.delay;
    if (Math.abs(delay) > this.maxDelay) return null;
    this.lastConfidence = confidence;
    this.failures = 0;
    const wasLost = this.lost;
    if (wasLost) {
      // A new lock after 'lost' needs LOST_AFTER agreeing estimates in a row (2 s of fresh audio):
      // overlapping windows repeat a chance peak.
      if (this.relock !== null && Math.abs(delay - this.relock) <= DRIFT_SAMPLES) this.relockCount++;
      else {
        this.relock = delay;
        this.relockCount = 1;
      }
      if (this.relockCount < LOST_AFTER) return null;
      this.relock = null;
    }
    this.lost = false;
    if (this.current === null || wasLost) {
      // The first lock (or a new one after 'lost'): a whole-sample estimate will do until a fine one comes.
      this.current = delay;
      this.candidate = null;
      this.slope = wasLost ? this.slope : 0;
      if (point) this.addPoint(point, true);
      else {
        this.points = [];
        this.intercept = delay - this.slope * this.samples;
      }
      this.current = Math.round(this.intercept + this.slope * this.samples);
      return this.update('initial', confidence);
    }
    // Locked: only fine estimates move the track (a coarse lag alone is a few samples off).
    if (!point) return null;
    const predicted = this.intercept + this.slope * this.samples;
    if (Math.abs(delay - predicted) <= DRIFT_SAMPLES + 0.5) {
      this.candidate = null;
      this.addPoint(point, this.points.length === 0);
      const rounded = Math.round(this.intercept + this.slope * this.samples);
      if (rounded === this.current) return null;
      this.current = rounded;
      return this.update('drift', confidence);
    }
    if (this.candidate !== null && Math.abs(this.candidate - delay) <= DRIFT_SAMPLES) {
      // Confirmed jump: a new segment (the drift, a property of the clocks, is kept).
      this.candidate = null;
      if (this.candidatePoint) this.addPoint(this.candidatePoint, true);
      this.addPoint(point, !this.candidatePoint);
      this.candidatePoint = null;
      this.current = Math.round(this.intercept + this.slope * this.samples);
      return this.update('jump', confidence);
    }
    this.candidate = delay;
    this.candidatePoint = point;
    return null;
  }

  /**
   * From the coarse lag: the refinement at the full rate (deg's last REFINE_FRAME samples against ref
   * shifted by the coarse lag), then once more at the whole-sample delay found, for its fraction.
   */
  private fullSearch(coarseDelay: number, coarseConfidence: number): Found {
    let delay = coarseDelay;
    let confidence = coarseConfidence;
    let point: Point | null = null;
    if (this.samples >= REFINE_FRAME + Math.abs(delay) + 2 * this.decimation + 2) {
      const f = this.decimation > 1 ? this.refine(delay) : null;
      if (this.decimation > 1 && f) {
        delay += f.delaySamples;
        confidence = f.confidence;
      }
      if (this.decimation === 1 || f) {
        const g = this.refine(delay);
        if (g && Math.abs(g.delaySamples) <= 1) {
          point = this.pointOf(g, delay);
          delay += g.delaySamples;
          confidence = g.confidence;
        }
      }
    }
    return { delay, confidence, point };
  }

  /** The fine estimate `g` made around whole-sample `delay`, as a point of the track (deg position, fractional delay). */
  private pointOf(g: DelayEstimate, delay: number): Point {
    const frac = this.fine.subsample(g);
    const backDeg = Math.max(0, -delay);
    return { t: this.samples - backDeg - REFINE_FRAME / 2, d: delay + frac };
  }

  /**
   * Locked, with nothing pending and no full search due: the refinement around the model's delay
   * instead of the coarse search (see the module comment). Null: not applicable or not clear enough,
   * run the full search.
   */
  private trackModel(): Found | null {
    if (this.current === null || this.lost || this.candidate !== null || this.points.length === 0) return null;
    if (this.decimation === 1 || this.sinceFull >= FULL_SEARCH_EVERY - 1 || !(this.fullConfidence > 0)) return null;
    let delay = Math.round(this.intercept + this.slope * this.samples);
    // deg leading ref (D < 0): the refinement frames end |D| before deg's newest sample, which the
    // coarse search does see (a jump would be found later), so those refreshes search fully.
    if (delay < 0) return null;
    const reach = 2 * this.decimation + 2;
    if (Math.abs(delay) + reach > this.maxDelay || this.samples < REFINE_FRAME + Math.abs(delay) + 2 * reach) return null;
    const minConfidence = FAST_CONFIDENCE_RATIO * this.fullConfidence;
    // As the full search's two refinements: the whole-sample peak near the model, then (unless that is
    // where it was looked for) once more around it, whose estimate gives the fraction.
    let g = this.refine(delay);
    if (!g || g.confidence < minConfidence) return null;
    if (g.delaySamples !== 0) {
      delay += g.delaySamples;
      g = this.refine(delay);
      if (!g || g.confidence < minConfidence) return null;
    }
    if (Math.abs(g.delaySamples) > 1) return null;
    const point = this.pointOf(g, delay);
    return { delay: delay + g.delaySamples, confidence: g.confidence, point };
  }

  /** GCC-PHAT at the full rate around whole-sample delay `delay` (null: no usable peak). */
  private refine(delay: number): DelayEstimate | null {
    const backRef = Math.max(0, delay);
    const backDeg = Math.max(0, -delay);
    const end = this.samples - REFINE_FRAME;
    if (!this.fullRef.copyRange(end - backRef, this.fineRef) || !this.fullDeg.copyRange(end - backDeg, this.fineDeg)) return null;
    this.fine.reset();
    this.fine.accumulate(this.fineRef, this.fineDeg);
    const f = this.fine.estimate();
    // Over a few dozen lags a peak/RMS test says little (the peak dominates the RMS); the coarse
    // peak was already tested, so only a near-absent fine peak is refused.
    return f && f.confidence >= MIN_FINE_CONFIDENCE ? f : null;
  }

  /** No clear peak: after LOST_AFTER such refreshes with signal, a locked tracker reports 'lost' (once). */
  private failed(withSignal: boolean, confidence: number): null {
    if (this.lost) this.relock = null;
    if (!withSignal || this.current === null || this.lost) return null;
    if (++this.failures < LOST_AFTER) return null;
    this.lost = true;
    this.lastConfidence = confidence;
    this.pendingLost = this.update('lost', confidence);
    return null;
  }
}
