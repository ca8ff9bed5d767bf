/**
 * STOI and ESTOI exactly as pystoi 0.4.1 (`pystoi.stoi(x=ref, y=deg, fs_sig, extended)`) computes them,
 * as a streaming accumulator.
 *
 * Pipeline (pystoi's order): resample both signals to 10 kHz (`resample_oct`, see dsp/resample.ts) →
 * 256-sample Hann frames, hop 128 (`range(0, len − 256, 128)`) → drop frames more than 40 dB below the
 * loudest clean frame (strict, EPS inside the log) → overlap-add the kept frames and take a second STFT
 * (512-point FFT) → 15 one-third octave envelopes → 30-frame segments → per-segment intermediate
 * intelligibility (classic: clipped correlation at β = −15 dB, averaged over bands; extended: ESTOI's
 * row/column-normalised correlation) → score = mean over segments. Pieces in dsp/stoi-kernels.ts.
 *
 * What this accumulator keeps: the silent-frame decision needs the loudest clean frame of the whole
 * file, and a later frame may raise it, so no frame can be scored before the loudest is known. Two
 * ways, one pipeline (`StoiMeasure` for the loudest frame and the sums, `StoiScore` for the rest):
 * - replay (default, up to `maxReplaySamples` 10 kHz sample pairs): `update` keeps both 10 kHz
 *   signals (16 bytes per pair: 9.6 MB per minute) and `compute` runs both passes over them, at any
 *   time, as if the input ended there;
 * - two passes (past that limit, constant memory): the first pass measures as it streams and drops
 *   the store; `needsSecondPass` is then true, and after `beginSecondPass()` the same input is fed
 *   again and scored frame by frame (a ring of 30 envelope frames). `earshot analyze` reads the files
 *   twice for this. Both ways give the same value, bit for bit.
 *
 * Where pystoi returns its `1e-5` sentinel (fewer than 30 STFT frames left after silence removal) this
 * returns `{ value: null, reason }`; likewise for a silent reference (pystoi would score it 0) and, for
 * ESTOI, for a degraded signal that is all zeros during the reference's speech frames (pystoi's ESTOI
 * then depends on its random dither). STOI of an all-zero deg is exactly 0, as in pystoi.
 *
 * @example
 * const acc = new StoiAccumulator({ sampleRate: 16000, extended: false });
 * for (const block of blocks) acc.update(block); // { ref, deg } Float64Arrays, any length
 * acc.compute(); // { value: 0.91 }
 */
import {
  STOI_FRAME,
  STOI_HOP,
  STOI_NUM_BANDS,
  STOI_SAMPLE_RATE,
  STOI_SEGMENT_FRAMES,
  StoiEnvelopeStage,
  StoiSegmentKernel,
  isSpeechFrame,
  stoiFrameCount,
  windowedFrameNorm,
  EPS,
} from '../dsp/stoi-kernels.js';
import { FrameBuffer } from '../dsp/frame-buffer.js';
import { createResamplerPair, octaveResamplerDesign, type PairResampler } from '../dsp/resample.js';
import { earshotError } from '../errors.js';
import { nullValue, value, type MetricAccumulator, type MetricValue, type SignalBlock } from './types.js';

export interface StoiOptions {
  /** Sample rate of ref and deg, Hz (any positive integer; resampled to 10 kHz unless it is 10 kHz). */
  sampleRate: number;
  /** ESTOI (Jensen & Taal 2016) instead of classic STOI (Taal et al. 2011). */
  extended: boolean;
  /**
   * Input samples expected in all (e.g. a file's length): the 10 kHz store is sized once instead of
   * growing by doubling (which copies it). Only a hint; more or fewer samples are fine.
   */
  expectedLength?: number;
  /**
   * Most 10 kHz sample pairs held for replay (default: all). Past it the accumulator switches to two
   * passes in constant memory (`needsSecondPass`, `beginSecondPass`).
   */
  maxReplaySamples?: number;
}

/** Intermediate sizes and sums, named like golden.json's `stoi_diagnostics`. */
export interface StoiDiagnostics {
  lenAt10k: number;
  framesBeforeVad: number;
  framesKeptByVad: number;
  lenAfterVadOla: number;
  stftFramesAfterVad: number;
  numSegments: number;
  xAt10kSum: number;
  xAt10kSumSq: number;
  xAfterVadSumSq: number;
  yAfterVadSumSq: number;
}

/** Per-segment intermediate intelligibility values: how many, their mean (= the score) and spread. */
/**
 * Segments of 30 frames advance by one frame (they overlap by 29/30): standard-error span 30
 * (running-stats.ts), so the ± of STOI and ESTOI is not understated ~5.5× and STOI does not dominate
 * the quality index.
 */
export const STOI_SE_SPAN = STOI_SEGMENT_FRAMES;

export interface SegmentStats {
  count: number;
  mean: number;
  /**
   * Unbiased sample variance of the per-segment values (0 for one segment). Segments overlap by 29 of
   * 30 frames, so √(variance/count) understates the standard error of the mean; treat it as a lower bound.
   */
  variance: number;
}

interface VariantResult {
  value: MetricValue;
  stats: SegmentStats | null;
}

const REASON_TOO_SHORT =
  'fewer than 30 STFT frames (384 ms) of speech after removing silent frames (pystoi returns 1e-5 here)';
const REASON_SILENT_REF = 'reference is silent (all zeros)';
const REASON_NONFINITE = 'non-finite samples (NaN or ±Infinity) in the input';
const REASON_SILENT_DEG_ESTOI =
  'degraded signal is all zeros during the speech frames: ESTOI is undefined (pystoi returns random dither)';

/** Float64 store that grows by doubling (at most 2× the signal); `length` is the committed size. */
class GrowableSignal {
  data: Float64Array;
  length = 0;

  constructor(initialCapacity = 1 << 16) {
    this.data = new Float64Array(Math.max(1024, Math.ceil(initialCapacity)));
  }

  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.data.length) return;
    let cap = this.data.length;
    while (cap < need) cap *= 2;
    const next = new Float64Array(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

/** Welford running mean/variance of per-segment values. */
class SegmentMoments {
  count = 0;
  mean = 0;
  m2 = 0;
  add(v: number): void {
    this.count++;
    const d = v - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (v - this.mean);
  }
  stats(): SegmentStats {
    return { count: this.count, mean: this.mean, variance: this.count > 1 ? this.m2 / (this.count - 1) : 0 };
  }
}

/**
 * Kept (speech) frames → pystoi's overlap-add and second STFT → envelopes → every 30-frame segment
 * scored by both variants, in constant memory (envelope frames stored twice, at k mod 30 and
 * k mod 30 + 30, so the last 30 are contiguous for the kernels). Shared by the offline and live STOI.
 */
export class StoiSegmentScorer {
  readonly stage = new StoiEnvelopeStage();
  private readonly kernel = new StoiSegmentKernel();
  private readonly xEnv = new Float64Array(2 * STOI_SEGMENT_FRAMES * STOI_NUM_BANDS);
  private readonly yEnv = new Float64Array(2 * STOI_SEGMENT_FRAMES * STOI_NUM_BANDS);
  readonly stoi = new SegmentMoments();
  readonly estoi = new SegmentMoments();
  /** Envelope (STFT) frames so far. */
  envFrames = 0;
  /** Largest deg envelope value: 0 means deg is all zeros in the speech frames. */
  yEnvMax = 0;

  /** Push one kept frame (256 samples of x and y from the offsets); returns true when a segment was scored. */
  push(x: Float64Array, xOffset: number, y: Float64Array, yOffset: number): boolean {
    if (!this.stage.push(x, xOffset, y, yOffset)) return false;
    const B = STOI_NUM_BANDS;
    const slot = this.envFrames % STOI_SEGMENT_FRAMES;
    for (let b = 0; b < B; b++) {
      const xv = this.stage.xEnvelope[b];
      const yv = this.stage.yEnvelope[b];
      this.xEnv[slot * B + b] = this.xEnv[(slot + STOI_SEGMENT_FRAMES) * B + b] = xv;
      this.yEnv[slot * B + b] = this.yEnv[(slot + STOI_SEGMENT_FRAMES) * B + b] = yv;
      if (yv > this.yEnvMax) this.yEnvMax = yv;
    }
    this.envFrames++;
    if (this.envFrames < STOI_SEGMENT_FRAMES) return false;
    const first = ((this.envFrames - STOI_SEGMENT_FRAMES) % STOI_SEGMENT_FRAMES) * B;
    this.lastStoi = this.kernel.classic(this.xEnv, this.yEnv, first);
    this.lastEstoi = this.kernel.extended(this.xEnv, this.yEnv, first);
    this.stoi.add(this.lastStoi);
    this.estoi.add(this.lastEstoi);
    return true;
  }

  /** Values of the segment scored by the latest `push` that returned true. */
  lastStoi = 0;
  lastEstoi = 0;

  reset(): void {
    this.stage.reset();
    this.stoi.count = this.stoi.mean = this.stoi.m2 = 0;
    this.estoi.count = this.estoi.mean = this.estoi.m2 = 0;
    this.envFrames = 0;
    this.yEnvMax = 0;
  }
}

/**
 * Pass 1 over the 10 kHz signals: the loudest clean frame and the sums the diagnostics report.
 * pystoi's frames end strictly before the last sample (range(0, len − 256, 128)), so whether the last
 * complete frame counts is known only at the end: its norm is kept apart until then.
 */
class StoiMeasure {
  len = 0;
  xSum = 0;
  xSumSq = 0;
  ySumSq = 0; // only to detect NaN / ±Infinity, which the frame logic would otherwise skip silently
  private frames = 0;
  private maxSettled = 0;
  private lastNorm = 0;

  samples(x: Float64Array, y: Float64Array, start: number, end: number): void {
    let xs = this.xSum;
    let xq = this.xSumSq;
    let yq = this.ySumSq;
    for (let i = start; i < end; i++) {
      xs += x[i];
      xq += x[i] * x[i];
      yq += y[i] * y[i];
    }
    this.xSum = xs;
    this.xSumSq = xq;
    this.ySumSq = yq;
    this.len += end - start;
  }

  /** The next complete frame of ref, starting at `offset`. */
  frame(x: Float64Array, offset: number): void {
    if (this.frames > 0 && this.lastNorm > this.maxSettled) this.maxSettled = this.lastNorm;
    this.lastNorm = windowedFrameNorm(x, offset);
    this.frames++;
  }

  /** Frames that count and the loudest of them. */
  result(): { frames: number; maxNorm: number } {
    const frames = stoiFrameCount(this.len);
    const maxNorm = frames === this.frames && this.lastNorm > this.maxSettled ? this.lastNorm : this.maxSettled;
    return { frames, maxNorm };
  }
}

/** Pass 2: frames 0..frames−1 again, silent ones dropped, the rest scored. */
class StoiScore {
  readonly scorer = new StoiSegmentScorer();
  private index = 0;
  private readonly loudestDb: number;
  constructor(
    readonly measured: { frames: number; maxNorm: number },
    readonly sums: StoiMeasure,
  ) {
    this.loudestDb = 20 * Math.log10(measured.maxNorm + EPS);
  }

  frame(x: Float64Array, xOffset: number, y: Float64Array, yOffset: number): void {
    const i = this.index++;
    if (i >= this.measured.frames) return;
    if (isSpeechFrame(20 * Math.log10(windowedFrameNorm(x, xOffset) + EPS), this.loudestDb)) this.scorer.push(x, xOffset, y, yOffset);
  }

  result(): StoiResult {
    const { scorer, measured, sums } = this;
    const kept = scorer.stage.keptFrames;
    const ola = scorer.stage.olaSumSq();
    const envFrames = scorer.envFrames;
    const diagnostics: StoiDiagnostics = {
      lenAt10k: sums.len,
      framesBeforeVad: measured.frames,
      framesKeptByVad: kept,
      lenAfterVadOla: kept > 0 ? (kept - 1) * STOI_HOP + STOI_FRAME : 0,
      stftFramesAfterVad: envFrames,
      numSegments: Math.max(0, envFrames - STOI_SEGMENT_FRAMES + 1),
      xAt10kSum: sums.xSum,
      xAt10kSumSq: sums.xSumSq,
      xAfterVadSumSq: ola.x,
      yAfterVadSumSq: ola.y,
    };
    let reason: string | null = null;
    if (!Number.isFinite(sums.xSumSq + sums.ySumSq)) reason = REASON_NONFINITE;
    else if (measured.frames > 0 && measured.maxNorm === 0) reason = REASON_SILENT_REF;
    else if (envFrames < STOI_SEGMENT_FRAMES) reason = REASON_TOO_SHORT;
    const variant = (moments: SegmentMoments, extended: boolean): VariantResult => {
      if (reason !== null) return { value: nullValue(reason), stats: null };
      if (extended && !(scorer.yEnvMax > 0)) return { value: nullValue(REASON_SILENT_DEG_ESTOI), stats: null };
      const stats = moments.stats();
      // Finite inputs give finite envelopes; this only guards against overflow (|samples| near 1e154).
      if (!Number.isFinite(stats.mean)) return { value: nullValue(REASON_NONFINITE), stats: null };
      return { value: value(stats.mean), stats };
    };
    return { diagnostics, stoi: variant(scorer.stoi, false), estoi: variant(scorer.estoi, true) };
  }
}

interface StoiResult {
  diagnostics: StoiDiagnostics;
  stoi: VariantResult;
  estoi: VariantResult;
}

/** Frames [i·128, i·128 + 256) of x[0, len) and y: pass 1 then pass 2 over signals held in memory. */
function scoreHeld(x: Float64Array, y: Float64Array, len: number): StoiResult {
  const m = new StoiMeasure();
  m.samples(x, y, 0, len);
  for (let o = 0; o + STOI_FRAME <= len; o += STOI_HOP) m.frame(x, o);
  const score = new StoiScore(m.result(), m);
  for (let o = 0; o + STOI_FRAME <= len; o += STOI_HOP) score.frame(x, o, y, o);
  return score.result();
}

/** Default replay limit: everything (a standalone accumulator holds its input anyway). */
const REPLAY_UNBOUNDED = Number.POSITIVE_INFINITY;

/**
 * Offline STOI / ESTOI accumulator (see the module comment for what it keeps). `update` takes blocks
 * of any length; in replay mode `compute` may be called at any time and reads the value as if the
 * input ended there.
 */
export class StoiAccumulator implements MetricAccumulator {
  readonly sampleRate: number;
  readonly extended: boolean;
  /** ref and deg share one resampler (FFT polyphase where it pays); null at 10 kHz. */
  private readonly resampler: PairResampler | null;
  private readonly maxReplay: number;
  private readonly expected: number | undefined;
  private x: GrowableSignal | null = null;
  private y: GrowableSignal | null = null;
  /** Streaming mode: the pass-1 measure, then (second pass) the scorer, fed by one framer. */
  private measure: StoiMeasure | null = null;
  private score: StoiScore | null = null;
  private framer: FrameBuffer | null = null;
  private scratchA = new Float64Array(0);
  private scratchB = new Float64Array(0);
  private cached: StoiResult | null = null;

  constructor(options: StoiOptions) {
    const fs = options.sampleRate;
    if (!Number.isInteger(fs) || fs < 1) {
      throw earshotError('ERR_SAMPLE_RATE', `STOI needs a positive integer sample rate, got ${fs}`);
    }
    this.sampleRate = fs;
    this.extended = options.extended;
    this.maxReplay = options.maxReplaySamples ?? REPLAY_UNBOUNDED;
    this.resampler =
      fs === STOI_SAMPLE_RATE ? null : createResamplerPair(octaveResamplerDesign(STOI_SAMPLE_RATE, fs));
    // Room for the expected length at 10 kHz plus the resampler's tail.
    this.expected = options.expectedLength === undefined ? undefined : (options.expectedLength * STOI_SAMPLE_RATE) / fs + 4096;
    this.reset();
  }

  /** Streaming mode ran out of replay room: the input must be fed once more after `beginSecondPass()`. */
  get needsSecondPass(): boolean {
    return this.measure !== null && this.score === null;
  }

  update(block: SignalBlock): void {
    const { ref, deg } = block;
    if (ref.length !== deg.length) {
      throw earshotError('ERR_INVALID_ARGUMENT', `ref and deg blocks differ in length: ${ref.length} vs ${deg.length}`);
    }
    if (ref.length === 0) return;
    this.cached = null;
    const r = this.resampler;
    if (r === null) return this.take(ref, deg);
    const n = r.maxOutput(ref.length);
    if (this.scratchA.length < n) {
      this.scratchA = new Float64Array(n);
      this.scratchB = new Float64Array(n);
    }
    const written = r.push(ref, deg, this.scratchA, this.scratchB, 0);
    this.take(this.scratchA.subarray(0, written), this.scratchB.subarray(0, written));
  }

  /**
   * End of one pass in streaming mode: the resampler's zero-padded tail (as scipy pads) goes in now.
   * (Replay mode needs no call: `compute` reads the tail without consuming it.)
   */
  endPass(): void {
    const r = this.resampler;
    if (r === null || (this.measure === null && this.score === null)) return;
    const n = r.pendingTail();
    if (this.scratchA.length < n) {
      this.scratchA = new Float64Array(n);
      this.scratchB = new Float64Array(n);
    }
    const written = r.flush(this.scratchA, this.scratchB, 0);
    this.take(this.scratchA.subarray(0, written), this.scratchB.subarray(0, written));
  }

  /** Start feeding the same input again (after `needsSecondPass` became true and `endPass()`). */
  beginSecondPass(): void {
    if (!this.needsSecondPass) throw earshotError('ERR_INVALID_ARGUMENT', 'STOI: no second pass is needed (replay mode, or already scoring)');
    this.score = new StoiScore(this.measure!.result(), this.measure!);
    this.resampler?.reset();
    this.framer = this.newFramer();
    this.secondPassSamples = 0;
  }

  private secondPassSamples = 0;

  private newFramer(): FrameBuffer {
    return new FrameBuffer(STOI_FRAME, STOI_HOP, 2, (f) => {
      if (this.score) this.score.frame(f[0], 0, f[1], 0);
      else this.measure!.frame(f[0], 0);
    });
  }

  private readonly inputs: Float64Array[] = [new Float64Array(0), new Float64Array(0)];

  /** 10 kHz samples in: held (replay), measured (pass 1) or scored (pass 2). */
  private take(x10: Float64Array, y10: Float64Array): void {
    const x = this.x;
    const y = this.y;
    if (x && y) {
      if (x.length + x10.length <= this.maxReplay) {
        x.reserve(x10.length);
        y.reserve(y10.length);
        x.data.set(x10, x.length);
        y.data.set(y10, y.length);
        x.length += x10.length;
        y.length += y10.length;
        return;
      }
      // Past the replay limit: measure what is held, drop it, and stream from here on.
      this.measure = new StoiMeasure();
      this.framer = this.newFramer();
      this.x = this.y = null;
      this.take(x.data.subarray(0, x.length), y.data.subarray(0, y.length));
    }
    if (this.score) {
      this.secondPassSamples += x10.length;
      if (this.secondPassSamples > this.measure!.len) {
        throw earshotError('ERR_INVALID_ARGUMENT', `STOI second pass: more input than the first pass (${this.measure!.len} samples at 10 kHz)`);
      }
    } else this.measure!.samples(x10, y10, 0, x10.length);
    this.inputs[0] = x10;
    this.inputs[1] = y10;
    this.framer!.push(this.inputs);
  }

  /** The selected variant (STOI, or ESTOI if `extended`) over everything fed since the last reset. */
  compute(): MetricValue {
    return this.variant(this.extended).value;
  }

  /** Both variants from the one shared pipeline (resampling and envelopes are computed once). */
  computeBoth(): { stoi: MetricValue; estoi: MetricValue } {
    return { stoi: this.variant(false).value, estoi: this.variant(true).value };
  }

  /** Count, mean and variance of the selected variant's per-segment values; null where the value is. */
  segmentStats(): SegmentStats | null {
    return this.variant(this.extended).stats;
  }

  /** Per-segment statistics of both variants (for their standard errors). */
  segmentStatsBoth(): { stoi: SegmentStats | null; estoi: SegmentStats | null } {
    return { stoi: this.variant(false).stats, estoi: this.variant(true).stats };
  }

  /** Intermediate sizes and sums (golden.json `stoi_diagnostics` names, camelCase). */
  diagnostics(): StoiDiagnostics {
    return this.result().diagnostics;
  }

  reset(): void {
    this.resampler?.reset();
    this.x = new GrowableSignal(this.expected === undefined ? undefined : Math.min(this.expected, this.maxReplay));
    this.y = new GrowableSignal(this.x.data.length);
    this.measure = this.score = this.framer = null;
    this.cached = null;
  }

  private variant(extended: boolean): VariantResult {
    const r = this.result();
    return extended ? r.estoi : r.stoi;
  }

  private result(): StoiResult {
    if (this.cached) return this.cached;
    if (this.needsSecondPass) {
      throw earshotError('ERR_INVALID_ARGUMENT', 'STOI: the input exceeded the replay store; feed it again after beginSecondPass()');
    }
    if (this.score) {
      if (this.secondPassSamples !== this.measure!.len) {
        throw earshotError('ERR_INVALID_ARGUMENT', `STOI second pass: ${this.secondPassSamples} samples at 10 kHz, the first pass had ${this.measure!.len}`);
      }
      return (this.cached = this.score.result());
    }
    const x = this.x!;
    const y = this.y!;
    let len = x.length;
    const r = this.resampler;
    if (r !== null) {
      // The resampler's last outputs need samples after the end (zeros, as scipy pads): write them past
      // the committed length without committing, so more input can still follow.
      const tail = r.pendingTail();
      x.reserve(tail);
      y.reserve(tail);
      len += r.peekTail(x.data, y.data, x.length);
    }
    this.cached = scoreHeld(x.data, y.data, len);
    return this.cached;
  }
}
