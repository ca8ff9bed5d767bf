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
 * file, and a later frame may raise it, so no frame can be scored before the input ends. `update`
 * therefore only resamples (the costly part) and keeps both 10 kHz signals: 16 bytes per 10 kHz sample
 * pair (9.6 MB per minute, 576 MB per hour; arrays grow by doubling). `compute` runs the rest over them.
 * Nothing less will do for pystoi's exact value, since any frame may turn out silent or not. A live
 * engine that removes silence with a running estimate of the loudest frame instead streams frames
 * through `StoiEnvelopeStage` and `StoiSegmentKernel` in constant memory (so could an offline run that
 * knows the loudest frame from a first pass over the file).
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

/** Everything up to the envelopes (shared by both variants); variants are scored on demand. */
interface StoiFrontEnd {
  diagnostics: StoiDiagnostics;
  /** Why neither variant has a value (silent ref, too few frames), or null. */
  reason: string | null;
  /** Largest deg envelope value: 0 means deg is all zeros in the speech frames. */
  yEnvMax: number;
  stoi: VariantResult | null;
  estoi: VariantResult | null;
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

/** Working memory reused across `compute` calls. */
class StoiWork {
  readonly stage = new StoiEnvelopeStage();
  readonly kernel = new StoiSegmentKernel();
  xEnv = new Float64Array(STOI_NUM_BANDS * 1024);
  yEnv = new Float64Array(STOI_NUM_BANDS * 1024);
  norms = new Float64Array(1024);

  ensureFrames(frames: number): void {
    if (this.norms.length < frames) this.norms = new Float64Array(Math.max(frames, 2 * this.norms.length));
    const env = frames * STOI_NUM_BANDS;
    if (this.xEnv.length < env) {
      const cap = Math.max(env, 2 * this.xEnv.length);
      this.xEnv = new Float64Array(cap);
      this.yEnv = new Float64Array(cap);
    }
  }
}

/**
 * pystoi's pipeline after resampling, up to the envelopes, over x, y (10 kHz, first `len` samples):
 * silent-frame removal (needs the loudest clean frame first), overlap-add and second STFT, envelopes
 * into `work.xEnv` / `work.yEnv` (frame-major).
 */
function frontEnd10k(x: Float64Array, y: Float64Array, len: number, work: StoiWork): StoiFrontEnd {
  let xSum = 0;
  let xSumSq = 0;
  let ySumSq = 0; // only to detect NaN / ±Infinity, which the frame logic would otherwise skip silently
  for (let i = 0; i < len; i++) {
    xSum += x[i];
    xSumSq += x[i] * x[i];
    ySumSq += y[i] * y[i];
  }
  const nFrames = stoiFrameCount(len);
  work.ensureFrames(nFrames);
  const norms = work.norms;
  let maxNorm = 0;
  for (let i = 0; i < nFrames; i++) {
    const nv = windowedFrameNorm(x, i * STOI_HOP);
    norms[i] = nv;
    if (nv > maxNorm) maxNorm = nv;
  }
  const loudestDb = 20 * Math.log10(maxNorm + EPS);
  const { stage } = work;
  stage.reset();
  const xEnv = work.xEnv;
  const yEnv = work.yEnv;
  let envFrames = 0;
  let yEnvMax = 0;
  for (let i = 0; i < nFrames; i++) {
    if (!isSpeechFrame(20 * Math.log10(norms[i] + EPS), loudestDb)) continue;
    if (stage.push(x, i * STOI_HOP, y, i * STOI_HOP)) {
      const o = envFrames * STOI_NUM_BANDS;
      for (let b = 0; b < STOI_NUM_BANDS; b++) {
        xEnv[o + b] = stage.xEnvelope[b];
        yEnv[o + b] = stage.yEnvelope[b];
        if (stage.yEnvelope[b] > yEnvMax) yEnvMax = stage.yEnvelope[b];
      }
      envFrames++;
    }
  }
  const kept = stage.keptFrames;
  const ola = stage.olaSumSq();
  const numSegments = Math.max(0, envFrames - STOI_SEGMENT_FRAMES + 1);
  const diagnostics: StoiDiagnostics = {
    lenAt10k: len,
    framesBeforeVad: nFrames,
    framesKeptByVad: kept,
    lenAfterVadOla: kept > 0 ? (kept - 1) * STOI_HOP + STOI_FRAME : 0,
    stftFramesAfterVad: envFrames,
    numSegments,
    xAt10kSum: xSum,
    xAt10kSumSq: xSumSq,
    xAfterVadSumSq: ola.x,
    yAfterVadSumSq: ola.y,
  };
  let reason: string | null = null;
  if (!Number.isFinite(xSumSq + ySumSq)) reason = REASON_NONFINITE;
  else if (nFrames > 0 && maxNorm === 0) reason = REASON_SILENT_REF;
  else if (envFrames < STOI_SEGMENT_FRAMES) reason = REASON_TOO_SHORT;
  return { diagnostics, reason, yEnvMax, stoi: null, estoi: null };
}

/** Scores every 30-frame segment of the envelopes in `work` with one variant; score = mean. */
function scoreVariant(front: StoiFrontEnd, work: StoiWork, extended: boolean): VariantResult {
  if (front.reason !== null) return { value: nullValue(front.reason), stats: null };
  if (extended && !(front.yEnvMax > 0)) return { value: nullValue(REASON_SILENT_DEG_ESTOI), stats: null };
  const { kernel, xEnv, yEnv } = work;
  const moments = new SegmentMoments();
  for (let m = 0; m < front.diagnostics.numSegments; m++) {
    const off = m * STOI_NUM_BANDS;
    moments.add(extended ? kernel.extended(xEnv, yEnv, off) : kernel.classic(xEnv, yEnv, off));
  }
  const stats = moments.stats();
  // Finite inputs give finite envelopes; this only guards against overflow (|samples| near 1e154).
  if (!Number.isFinite(stats.mean)) return { value: nullValue(REASON_NONFINITE), stats: null };
  return { value: value(stats.mean), stats };
}

/**
 * Offline STOI / ESTOI accumulator (see the module comment for what it keeps). `update` takes blocks
 * of any length; `compute` may be called at any time and reads the value as if the input ended there.
 */
export class StoiAccumulator implements MetricAccumulator {
  readonly sampleRate: number;
  readonly extended: boolean;
  /** ref and deg share one resampler (FFT polyphase where it pays); null at 10 kHz. */
  private readonly resampler: PairResampler | null;
  private readonly x: GrowableSignal;
  private readonly y: GrowableSignal;
  private readonly work = new StoiWork();
  private cached: StoiFrontEnd | null = null;

  constructor(options: StoiOptions) {
    const fs = options.sampleRate;
    if (!Number.isInteger(fs) || fs < 1) {
      throw earshotError('ERR_SAMPLE_RATE', `STOI needs a positive integer sample rate, got ${fs}`);
    }
    this.sampleRate = fs;
    this.extended = options.extended;
    this.resampler =
      fs === STOI_SAMPLE_RATE ? null : createResamplerPair(octaveResamplerDesign(STOI_SAMPLE_RATE, fs));
    // Room for the expected length at 10 kHz plus the resampler's tail.
    const expected = options.expectedLength === undefined ? undefined : (options.expectedLength * STOI_SAMPLE_RATE) / fs + 4096;
    this.x = new GrowableSignal(expected);
    this.y = new GrowableSignal(expected);
  }

  update(block: SignalBlock): void {
    const { ref, deg } = block;
    if (ref.length !== deg.length) {
      throw earshotError('ERR_INVALID_ARGUMENT', `ref and deg blocks differ in length: ${ref.length} vs ${deg.length}`);
    }
    if (ref.length === 0) return;
    this.cached = null;
    const x = this.x;
    const y = this.y;
    const r = this.resampler;
    const n = r === null ? ref.length : r.maxOutput(ref.length);
    x.reserve(n);
    y.reserve(n);
    if (r === null) {
      x.data.set(ref, x.length);
      y.data.set(deg, y.length);
      x.length += ref.length;
      y.length += deg.length;
      return;
    }
    const written = r.push(ref, deg, x.data, y.data, x.length);
    x.length += written;
    y.length += written;
  }

  /** The selected variant (STOI, or ESTOI if `extended`) over everything fed since the last reset. */
  compute(): MetricValue {
    return this.variant(this.extended).value;
  }

  /**
   * Both variants from the one shared front end (resampling and envelopes are computed once; the
   * segment scoring, cheap by comparison, runs per variant).
   */
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
    return this.frontEnd().diagnostics;
  }

  reset(): void {
    this.resampler?.reset();
    this.x.length = 0;
    this.y.length = 0;
    this.cached = null;
  }

  private variant(extended: boolean): VariantResult {
    const front = this.frontEnd();
    if (extended) return (front.estoi ??= scoreVariant(front, this.work, true));
    return (front.stoi ??= scoreVariant(front, this.work, false));
  }

  private frontEnd(): StoiFrontEnd {
    if (this.cached) return this.cached;
    const x = this.x;
    const y = this.y;
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
    this.cached = frontEnd10k(x.data, y.data, len, this.work);
    return this.cached;
  }
}

/** One-shot STOI / ESTOI of two whole signals (pystoi's `stoi(ref, deg, fs, extended)`), via the accumulator. */
export function computeStoi(ref: Float64Array, deg: Float64Array, sampleRate: number, extended = false): MetricValue {
  const acc = new StoiAccumulator({ sampleRate, extended });
  acc.update({ ref, deg });
  return acc.compute();
}
