/**
 * Offline alignment of deg against ref (docs/alignment.md): any delay the files allow, to a fraction
 * of a sample, with clock drift and delay steps, or a clear "not aligned" with the reason.
 *
 * 1. Coarse, full range: both streams are reduced to an RMS envelope (≈ 500 Hz, at most 2^18 points a
 *    stream) and cross-correlated with phase transform over every lag that leaves MIN_OVERLAP_SEC of
 *    overlap (or ±maxDelaySec). Its peak's prominence z = (peak − median) / (1.4826 · MAD) over the
 *    searched lags must reach `zThreshold(lags)` = sqrt(2 ln lags) + Z_MARGIN: the largest of `lags`
 *    Gaussian values is about sqrt(2 ln lags), so a random peak passes with probability ~e^−(margin²/2)·…
 * 2. Fine, full rate: ~1 s frames (side by side) of ref and of deg shifted by the coarse lag. Each
 *    frame with speech in ref gets GCC-PHAT over ±FINE_RANGE_SEC; the deg frame is then taken again at
 *    the integer peak and the fractional rest found by interpolating and refining the peak
 *    (`newtonPeak`). Frames whose peak stands less than FRAME_MIN_PEAK_TO_RMS above the
 *    correlation's RMS give no estimate.
 * 3. Track: the frame delays, in time order, are cut into segments where they change by more than
 *    `stepTolerance` (a change needs two agreeing frames; a lone outlier is dropped); one clock-drift
 *    slope is fitted to all segments (each its own offset). The slope counts only when it is
 *    significant (Student's t at 99.9 %); without drift, an offset within SNAP_SAMPLES of a whole
 *    sample, or within its 95 % confidence interval, or backed by fewer than MIN_FRACTION_FRAMES
 *    frames, is taken as that whole sample. Steps are placed in the quietest 20 ms of deg between the
 *    segments' frames.
 * 4. Confidence: the coarse prominence, and agreement between the halves of the file — in each half
 *    at least half the frames that gave an estimate must lie on the track. Otherwise: not aligned.
 *
 * Memory: the two envelopes (bounded), a few frames and their spectra.
 */
import { realFftPlan, nextPowerOfTwo } from '../dsp/fft.js';
import { circularPeak, newtonPeak, newtonPeakValue } from '../dsp/gcc-phat.js';
import { lineFit, tCritical95, tCritical999 } from '../dsp/line-fit.js';
import { hannPeriodic } from '../dsp/window.js';
import { earshotError } from '../errors.js';
import { LockstepReader, type SignalSource } from '../io/sources.js';
import type { DelaySegment, DelayTrackPlan } from '../io/track-source.js';

/** Envelope rate of the coarse search (Hz), lowered for files too long for ENVELOPE_MAX points. */
export const ENVELOPE_RATE_HZ = 500;
const ENVELOPE_MAX = 1 << 18;
/** Shortest stream a delay is estimated for (samples): one smallest fine frame. */
export const MIN_SAMPLES = 256;
/** Least overlap of ref and deg a searched lag must leave (s); less for files shorter than 2 s. */
export const MIN_OVERLAP_SEC = 1;
/** Margin of the coarse prominence over the largest peak expected from noise. */
export const Z_MARGIN = 6;
/** Residual lag each fine frame searches around the coarse lag (s): delay steps up to this size are followed. */
export const FINE_RANGE_SEC = 0.25;
/** Fine frame, about this long (s; the power of two nearest). */
const FRAME_SEC = 1;
/** A frame's GCC-PHAT peak over its correlation's RMS (over ±FINE_RANGE_SEC, ~8000 lags, noise peaks reach ~4.5). */
export const FRAME_MIN_PEAK_TO_RMS = 10;
/** Frames quieter than this fraction (amplitude) of ref's loud level give no estimate. */
const FRAME_MIN_LEVEL = 0.1;
/** Two frames on one segment differ by at most this (ms) or 2 samples, whichever is more. */
export const STEP_TOLERANCE_MS = 0.25;
/**
 * Offsets this close to a whole sample (without drift) are taken as that whole sample: the precision
 * asked of the estimator (0.02 samples on speech), so that a whole-sample delay is applied exactly.
 */
export const SNAP_SAMPLES = 0.02;
/**
 * Whitening exponent of the fraction's refinement (PHAT-β: conj(R)·D / |conj(R)·D|^β). Full
 * whitening (β = 1) finds the integer peak best; β = 0.5 weighs the bins that carry more signal more,
 * which halves the fraction's error in noise (docs/alignment.md).
 */
export const FRACTION_BETA = 0.5;
/**
 * A fraction of a sample is applied (without drift) only when this many frames back it: with fewer,
 * their scatter says little (1–3 degrees of freedom, and a looped or stationary noise makes their
 * errors alike), so the whole sample nearest is applied.
 */
export const MIN_FRACTION_FRAMES = 5;
/** Least share of each half's estimating frames that must lie on the track. */
export const MIN_HALF_AGREEMENT = 0.5;

export type AlignmentMode = 'auto' | 'integer';

export interface FrameDelay {
  /** deg sample at the frame's centre. */
  t: number;
  /** Delay (samples, fractional). */
  delay: number;
  /** Whitened peak height, 0..1. */
  peak: number;
  inverted: boolean;
}

export interface AlignmentEstimate {
  ok: boolean;
  /** Why not (ok false). */
  reason?: string;
  /** The track to apply (ok true). */
  track?: DelayTrackPlan;
  /** Delay at the start of the scored span (samples), drift (ppm), steps. */
  delaySamples?: number;
  driftPpm?: number;
  /** Every segment: its start (s of deg, the first at the scored span's start) and delay there (ms). */
  delayTrack?: { t: number; delayMs: number }[];
  /** Median whitened peak height of the frames on the track, 0..1. */
  confidence: number | null;
  /** Coarse prominence and its threshold. */
  prominence?: number;
  threshold?: number;
  inverted?: boolean;
  frames?: FrameDelay[];
}

/** Sum of several sources (several speakers are aligned by their mixtures). */
export function mixSource(sources: SignalSource[]): SignalSource {
  if (sources.length === 1) return sources[0];
  const length = Math.min(...sources.map((s) => s.length));
  let scratch = new Float64Array(4096);
  return {
    length,
    read(out, max) {
      if (scratch.length < max) scratch = new Float64Array(max);
      let n = -1;
      for (const s of sources) {
        const got = s.read(n < 0 ? out : scratch, Math.min(max, length));
        if (n < 0) n = got;
        else for (let i = 0; i < Math.min(n, got); i++) out[i] += scratch[i];
      }
      return Math.max(0, n);
    },
    rewind: () => sources.forEach((s) => s.rewind()),
    skip: (n) => sources.forEach((s) => s.skip(n)),
    close: () => undefined,
  };
}

/**
 * out = conj(r)·d / |conj(r)·d|^β over bins 0..n/2 (interleaved; `out` may be `d`; β = 1: PHAT, each
 * bin a unit phasor; β < 1: scaled so that the strongest bin is 1), bins far below the strongest left
 * out (rounding noise that whitening would raise to full weight). Returns the bins' total weight,
 * counted as the real inverse transform counts them (DC and Nyquist once, others twice); 0: none.
 */
export function phatCross(r: Float64Array, d: Float64Array, out: Float64Array, n: number, beta = 1): number {
  // Two kernels, not two loops here: V8 compiled this function on-stack at its first loop before the
  // code after it had feedback, kept that code, and bailed out of it on later calls.
  const maxMag = Math.sqrt(crossSpectrum(r, d, out, n));
  if (!(maxMag > 0)) return 0;
  return whitenCross(out, n, maxMag, beta);
}

/** out = conj(r)·d over bins 0..n/2; returns the largest |out|². */
function crossSpectrum(r: Float64Array, d: Float64Array, out: Float64Array, n: number): number {
  let maxMag = 0;
  for (let k = 0; k <= n / 2; k++) {
    const re = r[2 * k] * d[2 * k] + r[2 * k + 1] * d[2 * k + 1];
    const im = r[2 * k] * d[2 * k + 1] - r[2 * k + 1] * d[2 * k];
    out[2 * k] = re;
    out[2 * k + 1] = im;
    const m = re * re + im * im;
    if (m > maxMag) maxMag = m;
  }
  return maxMag;
}

/** In place: each bin above 1e-12·maxMag scaled by |bin|^−β·maxMag^(β−1), the rest zeroed; returns the bins used (weighted). */
function whitenCross(out: Float64Array, n: number, maxMag: number, beta: number): number {
  const floor = maxMag * 1e-12;
  let used = 0;
  for (let k = 0; k <= n / 2; k++) {
    const m = Math.sqrt(out[2 * k] * out[2 * k] + out[2 * k + 1] * out[2 * k + 1]);
    if (m > floor) {
      const g = beta === 1 ? 1 / m : beta === 0.5 ? 1 / Math.sqrt(m * maxMag) : Math.pow(m, -beta) * Math.pow(maxMag, beta - 1);
      out[2 * k] *= g;
      out[2 * k + 1] *= g;
      used += (k === 0 || k === n / 2 ? 1 : 2) * (beta === 1 ? 1 : g * m);
    } else out[2 * k] = out[2 * k + 1] = 0;
  }
  return used;
}

/** Prominence threshold for a search over `lags` lags. */
export function zThreshold(lags: number): number {
  return Math.sqrt(2 * Math.log(Math.max(2, lags))) + Z_MARGIN;
}

/** Block RMS of a whole stream (one pass). */
function envelope(src: SignalSource, hop: number): Float64Array {
  const n = Math.ceil(src.length / hop);
  const env = new Float64Array(n);
  const block = new Float64Array(hop * 64);
  src.rewind();
  // [sum of squares so far, samples in the current block, next block]: the loop over samples is a
  // kernel of its own, so that no on-stack-compiled code of this function (which calls a different
  // `read` for ref and for deg) is kept and bailed out of.
  const state = new Float64Array(3);
  for (;;) {
    const got = src.read(block, block.length);
    if (got === 0) break;
    envelopeBlock(block, got, hop, env, state);
  }
  const b = state[2];
  if (state[1] > 0 && b < n) env[b] = Math.sqrt(state[0] / state[1]);
  return env;
}

/** RMS per `hop` samples of x[0, got) into env, carrying the running block in `state` (see `envelope`). */
function envelopeBlock(x: Float64Array, got: number, hop: number, env: Float64Array, state: Float64Array): void {
  let acc = state[0];
  let inBlock = state[1];
  let b = state[2];
  for (let i = 0; i < got; i++) {
    acc += x[i] * x[i];
    if (++inBlock === hop) {
      env[b++] = Math.sqrt(acc / hop);
      acc = 0;
      inBlock = 0;
    }
  }
  state[0] = acc;
  state[1] = inBlock;
  state[2] = b;
}

/** The q-quantile of x[lo, hi) sampled at most ~4096 times, evenly (a copy is sorted). */
function quantile(x: Float64Array, lo: number, hi: number, q: number): number {
  const count = hi - lo;
  const stride = Math.max(1, Math.floor(count / 4096));
  const m = Math.floor(count / stride);
  const s = new Float64Array(m);
  for (let i = 0; i < m; i++) s[i] = x[lo + i * stride];
  s.sort();
  return s[Math.min(m - 1, Math.floor(q * m))];
}

export interface CoarseResult {
  /** Lag in envelope blocks (positive: deg lags). */
  lag: number;
  prominence: number;
  threshold: number;
}

/**
 * Full-range coarse lag of envelopes `er`, `ed` over lags lo..hi (blocks): GCC-PHAT of the
 * mean-removed envelopes, and the peak's prominence over the correlation's noise floor.
 */
export function coarseLag(er: Float64Array, ed: Float64Array, lo: number, hi: number): CoarseResult | null {
  const n = nextPowerOfTwo(er.length + ed.length);
  const fft = realFftPlan(n);
  const x = new Float64Array(n);
  const sr = new Float64Array(n + 2);
  const sd = new Float64Array(n + 2);
  const fill = (e: Float64Array) => {
    let mean = 0;
    for (let i = 0; i < e.length; i++) mean += e[i];
    mean /= e.length || 1;
    x.fill(0);
    for (let i = 0; i < e.length; i++) x[i] = e[i] - mean;
  };
  fill(er);
  fft.forward(x, sr);
  fill(ed);
  fft.forward(x, sd);
  if (!phatCross(sr, sd, sd, n)) return null;
  fft.inverse(sd, x);
  // Lags lo..hi laid out in order.
  const count = hi - lo + 1;
  if (count < 1) return null;
  const c = new Float64Array(count);
  let best = 0;
  for (let i = 0; i < count; i++) {
    c[i] = x[(((lo + i) % n) + n) % n];
    if (c[i] > c[best]) best = i;
  }
  const med = quantile(c, 0, count, 0.5);
  for (let i = 0; i < count; i++) sd[i] = Math.abs(c[i] - med); // scratch
  const mad = quantile(sd, 0, count, 0.5);
  const scale = 1.4826 * mad;
  // A noise-free correlation (identical files) has no spread at all: its peak is as clear as can be.
  const prominence = scale > 0 ? (c[best] - med) / scale : c[best] > med || count === 1 ? Infinity : 0;
  return { lag: lo + best, prominence, threshold: count < 3 ? 0 : zThreshold(count) };
}

/**
 * Fine delays of frames of (ref[j], deg[j + offset]) pairs fed in order (see the module comment,
 * step 2). `offset` is the coarse lag; delays come out absolute.
 */
export class FrameDelayTracker {
  readonly frame: number;
  readonly range: number;
  private readonly hop: number;
  private readonly window: Float64Array;
  private readonly fft;
  private readonly ringRef: Float64Array;
  private readonly ringDeg: Float64Array;
  private readonly x: Float64Array;
  private readonly specRef: Float64Array;
  private readonly specDeg: Float64Array;
  private readonly white: Float64Array;
  private readonly corr: Float64Array;
  /** circularPeak's result: value, lag, sum of squares. */
  private readonly peak = new Float64Array(3);
  private pos = 0;
  private nextFrame = 0;
  /** Lag (from the coarse one) of the last frame that gave an estimate. */
  private lastLag = 0;
  readonly frames: FrameDelay[] = [];

  constructor(
    frame: number,
    range: number,
    private readonly offset: number,
    private readonly degOffset: number,
    private readonly minLevel: number,
  ) {
    this.frame = frame;
    this.range = Math.min(range, frame / 4);
    this.hop = frame; // frames side by side: every sample counts once (Hann-weighted)
    this.window = hannPeriodic(frame);
    this.fft = realFftPlan(frame);
    this.ringRef = new Float64Array(frame + this.range + 2 * this.hop);
    this.ringDeg = new Float64Array(frame + 2 * this.range + 2 * this.hop);
    this.x = new Float64Array(frame);
    this.specRef = new Float64Array(frame + 2);
    this.specDeg = new Float64Array(frame + 2);
    this.white = new Float64Array(frame + 2);
    this.corr = new Float64Array(frame);
  }

  push(ref: Float64Array, deg: Float64Array): void {
    const nr = this.ringRef.length;
    const nd = this.ringDeg.length;
    for (let at = 0; at < ref.length; ) {
      // At most a hop at a time, so that the rings hold what the next frame needs.
      const take = Math.min(this.hop, ref.length - at);
      toRing(ref, at, take, this.ringRef, this.pos % nr);
      toRing(deg, at, take, this.ringDeg, this.pos % nd);
      this.pos += take;
      at += take;
      while (this.nextFrame + this.frame + this.range <= this.pos) {
        this.analyse(this.nextFrame);
        this.nextFrame += this.hop;
      }
    }
  }

  /** End of input: the frames that fit, deg past the end taken as zeros. */
  end(): void {
    while (this.nextFrame + this.frame <= this.pos) {
      this.analyse(this.nextFrame);
      this.nextFrame += this.hop;
    }
  }

  /** deg samples [start, start + frame) (local index), zero outside what was pushed and kept. */
  private degFrame(start: number, out: Float64Array): void {
    const n = this.frame;
    // Frame positions i whose sample start + i is kept: [a, b).
    const a = Math.min(n, Math.max(0, Math.max(0, this.pos - this.ringDeg.length) - start));
    const b = Math.max(a, Math.min(n, this.pos - start));
    out.fill(0, 0, a);
    if (b > a) windowFromRing(this.ringDeg, start + a, this.window, out, a, b);
    out.fill(0, b, n);
  }

  // The loops live in the kernels below, not here: V8 compiled this method on-stack at its loops
  // while the branches after them had no type feedback yet, then left the on-stack code cached and
  // bailed out of it on every later frame (about 100 deoptimisations per 60 s file).
  private analyse(start: number): void {
    const n = this.frame;
    const e = windowFromRing(this.ringRef, start, this.window, this.x, 0, n);
    if (Math.sqrt(e / n) < this.minLevel) return;
    this.fft.forward(this.x, this.specRef);
    // deg at the previous frame's lag (delays change seldom: the peak is then at 0 and the same
    // spectra serve the fraction), the search still covering ±range around the coarse lag.
    const prev = this.lastLag;
    this.degFrame(start + prev, this.x);
    this.fft.forward(this.x, this.specDeg);
    if (!this.whiten()) return;
    this.fft.inverse(this.white, this.corr);
    const R = this.range;
    const peak = this.peak;
    circularPeak(this.corr, -R - prev, R - prev, 1, peak); // × 1: exact
    const best = peak[0];
    const bestLag = peak[1];
    const rms = Math.sqrt(peak[2] / (2 * R + 1));
    if (!(rms > 0) || Math.abs(best) / rms < FRAME_MIN_PEAK_TO_RMS) return;
    let lag = prev;
    let from = bestLag;
    if (Math.abs(bestLag) > 1) {
      // Refinement: deg taken again at the integer peak, so that the rest is a fraction of a sample.
      lag = prev + bestLag;
      from = 0;
      this.degFrame(start + lag, this.x);
      this.fft.forward(this.x, this.specDeg);
    }
    const used = this.whiten(FRACTION_BETA);
    if (!used) return;
    // The rest is within about a sample of `from`: Newton on the band-limited correlation from there.
    const sign: 1 | -1 = best < 0 ? -1 : 1;
    const frac = newtonPeak(this.white, n, from, sign);
    this.lastLag = prev + bestLag;
    this.frames.push({
      t: this.degOffset + start + lag + n / 2,
      delay: this.offset + lag + frac,
      peak: Math.max(0, Math.min(1, (newtonPeakValue * n) / used)),
      inverted: sign < 0,
    });
  }

  /** white = PHAT-whitened conj(ref)·deg; returns the bins used (0: none). */
  private whiten(beta = 1): number {
    return phatCross(this.specRef, this.specDeg, this.white, this.frame, beta);
  }
}

/**
 * x[i] = ring[(start + i − from) mod len] · w[i] for from ≤ i < to (start ≥ 0, to − from ≤ len);
 * returns the unwindowed energy, summed in increasing i. The ring is read as its two contiguous runs
 * (before and after the wrap), not through a per-sample modulo, which cost more than the products.
 */
function windowFromRing(ring: Float64Array, start: number, w: Float64Array, x: Float64Array, from: number, to: number): number {
  const first = start % ring.length;
  const split = Math.min(to, from + ring.length - first);
  const e = windowRun(ring, first - from, w, x, from, split, 0);
  return windowRun(ring, -split, w, x, split, to, e);
}

/** x[i] = ring[i + shift] · w[i] for i in [from, to); returns e + Σ ring[i + shift]², in increasing i. */
function windowRun(ring: Float64Array, shift: number, w: Float64Array, x: Float64Array, from: number, to: number, e: number): number {
  for (let i = from; i < to; i++) {
    const v = ring[i + shift];
    e += v * v;
    x[i] = v * w[i];
  }
  return e;
}

/** ring[(at + i) mod len] = src[from + i] for i < count (count ≤ len, 0 ≤ at < len), as two contiguous runs. */
function toRing(src: Float64Array, from: number, count: number, ring: Float64Array, at: number): void {
  const first = Math.min(count, ring.length - at);
  copyRun(src, from, ring, at, first);
  copyRun(src, from + first, ring, 0, count - first);
}

/** dst[to + i] = src[from + i] for i < count (a loop: a `set(subarray())` would allocate a view per call). */
function copyRun(src: Float64Array, from: number, dst: Float64Array, to: number, count: number): void {
  for (let i = 0; i < count; i++) dst[to + i] = src[from + i];
}


interface Segment {
  frames: FrameDelay[];
}

function predict(fs: FrameDelay[], t: number, fsRate: number): number {
  if (fs.length >= 3 && fs[fs.length - 1].t - fs[0].t >= 2 * fsRate) {
    const f = lineFit(fs.length, (i) => fs[i].t, (i) => fs[i].delay);
    return f.md + f.slope * (t - f.mt);
  }
  const ds = fs.map((f) => f.delay).sort((a, b) => a - b);
  return ds[Math.floor(ds.length / 2)];
}

/** Cut time-ordered frame delays into constant-delay (or drifting) segments; lone outliers dropped. */
export function segmentFrames(frames: FrameDelay[], tolerance: number, sampleRate: number): Segment[] {
  const segments: Segment[] = [];
  if (frames.length === 0) return segments;
  let cur: FrameDelay[] = [frames[0]];
  let pending: FrameDelay[] = [];
  for (let i = 1; i < frames.length; i++) {
    const f = frames[i];
    if (Math.abs(f.delay - predict(cur, f.t, sampleRate)) <= tolerance) {
      cur.push(f);
      pending = [];
    } else if (pending.length > 0 && Math.abs(f.delay - predict(pending, f.t, sampleRate)) <= tolerance) {
      pending.push(f);
      if (pending.length >= 2) {
        segments.push({ frames: cur });
        cur = pending;
        pending = [];
      }
    } else pending = [f];
  }
  segments.push({ frames: cur });
  // A segment of one frame is an outlier unless it is all there is.
  const kept = segments.filter((s) => s.frames.length >= 2);
  return kept.length ? mergeAdjacent(kept, tolerance, sampleRate) : segments.length === 1 ? segments : [];
}

/** Neighbours left equal by dropping an outlier segment between them become one. */
function mergeAdjacent(segs: Segment[], tolerance: number, sampleRate: number): Segment[] {
  const out: Segment[] = [segs[0]];
  for (let i = 1; i < segs.length; i++) {
    const prev = out[out.length - 1];
    const f = segs[i].frames[0];
    if (Math.abs(f.delay - predict(prev.frames, f.t, sampleRate)) <= tolerance) prev.frames.push(...segs[i].frames);
    else out.push(segs[i]);
  }
  return out;
}

/** The quietest ~20 ms of deg's envelope between deg samples a and b: the middle of that pause. */
function quietestBetween(envDeg: Float64Array, hop: number, fs: number, a: number, b: number): number {
  const lo = Math.max(0, Math.floor(a / hop));
  const hi = Math.min(envDeg.length - 1, Math.ceil(b / hop));
  if (hi <= lo) return Math.round((a + b) / 2);
  const span = Math.max(1, Math.round((0.02 * fs) / hop)); // ~20 ms
  let bestVal = Infinity;
  let bestAt = lo;
  for (let i = lo; i <= hi; i++) {
    let s = 0;
    for (let j = i; j < Math.min(envDeg.length, i + span); j++) s += envDeg[j];
    if (s < bestVal) {
      bestVal = s;
      bestAt = i;
    }
  }
  // The middle of the run that is as quiet (within a small margin).
  const limit = bestVal * 1.5 + 1e-12;
  let end = bestAt;
  const sumAt = (i: number) => {
    let s = 0;
    for (let j = i; j < Math.min(envDeg.length, i + span); j++) s += envDeg[j];
    return s;
  };
  while (end + 1 <= hi && sumAt(end + 1) <= limit) end++;
  return Math.round(((bestAt + end) / 2 + span / 2) * hop);
}

export interface AlignmentInput {
  sampleRate: number;
  ref: SignalSource;
  deg: SignalSource;
  /** Lengths the scored span must stay within (shortest ref-side and deg-side streams). */
  refLength: number;
  degLength: number;
  maxDelaySec?: number;
  mode: AlignmentMode;
}

/** The alignment of deg against ref (reads both streams three times). */
export function estimateAlignment(input: AlignmentInput): AlignmentEstimate {
  const { sampleRate: fs, ref, deg, mode } = input;
  const lenR = input.refLength;
  const lenD = input.degLength;
  if (lenR <= 0 || lenD <= 0) return { ok: false, reason: 'ref or deg is empty', confidence: null };
  if (Math.min(lenR, lenD) < MIN_SAMPLES) return { ok: false, reason: `too short to estimate a delay (${Math.min(lenR, lenD)} samples; at least ${MIN_SAMPLES})`, confidence: null };
  // 1. Coarse, full range.
  const hop = Math.max(1, Math.round(fs / ENVELOPE_RATE_HZ), Math.ceil(Math.max(lenR, lenD) / ENVELOPE_MAX));
  const er = envelope(ref, hop).subarray(0, Math.ceil(lenR / hop));
  const ed = envelope(deg, hop).subarray(0, Math.ceil(lenD / hop));
  const minOverlap = Math.min(MIN_OVERLAP_SEC * fs, Math.floor(Math.min(lenR, lenD) / 2));
  const maxDelay = input.maxDelaySec !== undefined ? Math.round(input.maxDelaySec * fs) : Infinity;
  const lo = Math.ceil(Math.max(-(lenR - minOverlap), -maxDelay) / hop);
  const hi = Math.floor(Math.min(lenD - minOverlap, maxDelay) / hop);
  const loud = quantile(er, 0, er.length, 0.95);
  if (!(loud > 0)) return { ok: false, reason: 'ref is silent: no delay to estimate', confidence: null };
  if (!ed.some((v) => v > 0)) return { ok: false, reason: 'deg is silent: no delay to estimate', confidence: null };
  if (hi < lo) return { ok: false, reason: 'no lag within --max-delay leaves enough overlap of ref and deg', confidence: null };
  const coarse = coarseLag(er, ed, lo, hi);
  if (!coarse) return { ok: false, reason: 'deg is silent: no delay to estimate', confidence: null };
  const fmt = (z: number) => z.toFixed(1);
  if (coarse.prominence < coarse.threshold) {
    return {
      ok: false,
      reason: `no clear correlation peak between ref and deg (prominence ${fmt(coarse.prominence)}, needs ${fmt(coarse.threshold)})`,
      confidence: null,
      prominence: coarse.prominence,
      threshold: coarse.threshold,
    };
  }
  const d0 = coarse.lag * hop;

  // 2. Fine frames over the overlap at the coarse lag.
  const refOff = Math.max(0, -d0);
  const degOff = Math.max(0, d0);
  const overlap = Math.min(lenR - refOff, lenD - degOff);
  if (overlap <= 0) return { ok: false, reason: 'no overlap left at the estimated delay', confidence: null };
  let frame = nextPowerOfTwo(Math.round(FRAME_SEC * fs * 0.75));
  while (frame > 256 && frame > overlap / 2) frame /= 2;
  // (Within --max-delay too, give or take the coarse step.)
  const range = Math.max(2, Math.min(Math.round(FINE_RANGE_SEC * fs), frame / 4, Number.isFinite(maxDelay) ? maxDelay + 2 * hop : Infinity));
  const tracker = new FrameDelayTracker(frame, range, d0, degOff, FRAME_MIN_LEVEL * loud);
  const reader = new LockstepReader([ref, deg], [refOff, degOff], overlap, 16384);
  for (let b = reader.next(); b.n > 0; b = reader.next()) tracker.push(b.views[0], b.views[1]);
  tracker.end();
  const frames = tracker.frames;
  if (frames.length === 0) return { ok: false, reason: 'no frame of ref and deg correlates clearly at the coarse delay', confidence: null, prominence: coarse.prominence, threshold: coarse.threshold };

  // 3. Track.
  const tolerance = Math.max(2, (STEP_TOLERANCE_MS / 1000) * fs);
  let segments = segmentFrames(frames, tolerance, fs);
  if (segments.length === 0) return { ok: false, reason: 'the frames\' delays agree nowhere', confidence: null, frames };
  // 4. Halves.
  const onTrack = new Set(segments.flatMap((s) => s.frames));
  const mid = (frames[0].t + frames[frames.length - 1].t) / 2;
  for (const [name, part] of [
    ['first', frames.filter((f) => f.t <= mid)],
    ['second', frames.filter((f) => f.t > mid)],
  ] as const) {
    if (part.length === 0) continue;
    const agree = part.filter((f) => onTrack.has(f)).length / part.length;
    if (agree < MIN_HALF_AGREEMENT) {
      return { ok: false, reason: `delay estimates disagree in the ${name} half of the file (${Math.round(100 * agree)}% of its frames on the track)`, confidence: null, frames, prominence: coarse.prominence, threshold: coarse.threshold };
    }
  }
  const inverted = [...onTrack].filter((f) => f.inverted).length > 0.75 * onTrack.size;
  const peaks = [...onTrack].map((f) => f.peak).sort((a, b) => a - b);
  const confidence = peaks[Math.floor(peaks.length / 2)];

  if (mode === 'integer') {
    // Today's whole-sample behaviour: one constant delay (the segment with the most frames).
    const main = segments.reduce((a, b) => (b.frames.length > a.frames.length ? b : a));
    segments = [main];
  }
  // One drift for all segments, each its own offset.
  let stt = 0;
  let std = 0;
  let count = 0;
  const means = segments.map((s) => {
    const n = s.frames.length;
    const mt = s.frames.reduce((a, f) => a + f.t, 0) / n;
    const md = s.frames.reduce((a, f) => a + f.delay, 0) / n;
    for (const f of s.frames) {
      stt += (f.t - mt) ** 2;
      std += (f.t - mt) * (f.delay - md);
    }
    count += n;
    return { mt, md };
  });
  let slope = stt > 0 ? std / stt : 0;
  if (mode === 'integer') slope = 0;
  else if (stt > 0) {
    let ss = 0;
    segments.forEach((s, k) => {
      for (const f of s.frames) ss += (f.delay - means[k].md - slope * (f.t - means[k].mt)) ** 2;
    });
    const dof = count - segments.length - 1;
    const se = dof > 0 ? Math.sqrt(ss / dof / stt) : Infinity;
    if (!(Math.abs(slope) > tCritical999(dof) * se)) slope = 0;
  }
  const planSegs: DelaySegment[] = segments.map((s, k) => {
    let a = means[k].md - slope * means[k].mt;
    // Without drift, a whole sample within SNAP_SAMPLES, or within the offset's 95 % confidence
    // interval (the frames' scatter), is that whole sample (the live tracker's rule too).
    const n = s.frames.length;
    let sd = 0;
    for (const f of s.frames) sd += (f.delay - means[k].md) ** 2;
    const se = n >= MIN_FRACTION_FRAMES ? Math.sqrt(sd / (n - 1) / n) : Infinity;
    const frac = Math.abs(a - Math.round(a));
    if (mode === 'integer' || (slope === 0 && (frac < SNAP_SAMPLES || !(frac > tCritical95(n - 1) * se)))) a = Math.round(a);
    return { start: 0, intercept: a, slope };
  });
  for (let k = 1; k < segments.length; k++) {
    const a = segments[k - 1].frames[segments[k - 1].frames.length - 1].t;
    const b = segments[k].frames[0].t;
    planSegs[k].start = quietestBetween(ed, hop, fs, a, b);
  }
  // The scored span: deg samples whose ref position lies in ref.
  const first = planSegs[0];
  const last = planSegs[planSegs.length - 1];
  const degStart = Math.max(0, Math.ceil(first.intercept / (1 - first.slope) - 1e-9));
  const degEnd = Math.min(lenD, Math.floor((lenR - 1 + last.intercept) / (1 - last.slope) + 1e-9) + 1);
  const length = degEnd - degStart;
  if (length <= 0) throw earshotError('ERR_INVALID_ARGUMENT', 'nothing left to score after delay compensation');
  planSegs[0].start = 0;
  const track: DelayTrackPlan = { segments: planSegs, degStart, length };
  const delayTrack = planSegs.map((s, k) => {
    const m = k === 0 ? degStart : s.start;
    return { t: m / fs, delayMs: (1000 * (s.intercept + s.slope * m)) / fs };
  });
  return {
    ok: true,
    track,
    delaySamples: first.intercept + first.slope * degStart,
    driftPpm: slope * 1e6,
    delayTrack,
    confidence,
    prominence: coarse.prominence,
    threshold: coarse.threshold,
    inverted,
    frames,
  };
}
