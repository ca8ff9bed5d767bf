/**
 * Framing shared by the pysepm-style measures (segmental SNR, fwSegSNR, LLR, WSS, cepstral distance):
 * 30 ms frames every 7.5 ms, how many frames pysepm keeps, the 95 % trimmed mean, and a streaming
 * framer that hands out every complete frame whatever the block sizes.
 *
 * Reference behaviour (schmiph2/pysepm qualityMeasures.py, util.extract_overlapped_windows):
 * - frame length L = round(0.03·fs) (Python's round: half to even), hop S = floor((1 − 0.75)·0.03·fs);
 * - frame m covers samples [m·S, m·S + L); no padding, no partial frame;
 * - numpy's strided framing yields floor((N − L)/S) + 1 complete frames and the measures drop the last
 *   one, so M = floor((N − L)/S) frames count. LLR gets M from the frame count itself; fwSNRseg, WSS
 *   and the cepstral distance compute it in floating point as int(N/S − L/S), which equals
 *   floor((N − L)/S) whenever L/S is an integer (8, 16 and 48 kHz) and can be one less at other rates
 *   when S divides N − L: `pysepmFrameCount` reproduces both.
 * A stream cannot know which frame is its last until it ends, so accumulators hold back the values of
 * the newest complete frames (at most two) and decide at `compute()` which of them count.
 *
 * Shared frames: every pysepm accumulator (segmental SNR, LLR, cepstral distance, fwSegSNR, WSS and
 * `SepmSpectralAccumulator` for the last two together) is a `SepmFrameSink`. Standalone it owns a
 * `SepmFramer` and is fed with `update(block)`; built with `{ framer: false }` (segmental SNR: third
 * constructor argument) it has none: one framer shared by all of them calls each one's
 * `frame(ref, deg, offset)`, `update` throws ERR_INVALID_ARGUMENT, and `compute(samples)` is told the
 * stream's length in samples (fwSegSNR, WSS and CD need it for M; all check it against the frames they
 * received; LLR and segmental SNR would not need it). Values are identical to standalone use.
 *
 * @example
 * const g = sepmGeometry(16000);
 * const framer = new SepmFramer(g.frameLength, g.hop);
 * const segsnr = new SegSnrAccumulator(16000, undefined, { framer: false });
 * const llr = new LlrAccumulator({ sampleRate: 16000, framer: false });
 * const cd = new CepstralDistanceAccumulator({ sampleRate: 16000, framer: false });
 * const spectral = new SepmSpectralAccumulator({ sampleRate: 16000, framer: false }); // fwSegSNR + WSS
 * const sinks = [segsnr, llr, cd, spectral];
 * const fan = { frame: (r, d, o) => { for (const s of sinks) s.frame(r, d, o); } };
 * framer.push(ref, deg, fan); // any block sizes, as often as needed
 * const n = framer.samples;
 * segsnr.compute(n); llr.computeBoth(n); cd.compute(n); spectral.compute(n); // { fwSegSnr, wss }
 */
import { WindowedPowerPlan } from '../dsp/windowed-power.js';
import { hanningMatlab } from '../dsp/window.js';
import { earshotError } from '../errors.js';
import type { MetricValue } from './types.js';

/** Frame length, seconds (pysepm frameLen). */
export const SEPM_FRAME_SECONDS = 0.03;
/** Frame overlap, fraction (pysepm overlap): the hop is a quarter frame. */
export const SEPM_OVERLAP = 0.75;
/** np.finfo(np.float64).eps: added to every sample by fwSNRseg, LLR and WSS; fwSNRseg's error-energy floor. */
export const SEPM_EPS = 2.220446049250313e-16;
/** Fraction of frames kept (lowest values) by LLR, WSS and CD. */
export const SEPM_TRIM_KEEP = 0.95;

export interface SepmOptions {
  /** Hz; any rate whose 7.5 ms hop is at least one sample. */
  sampleRate: number;
  /**
   * true (default): the accumulator frames the blocks given to `update` itself. false: it is fed
   * frames by a shared `SepmFramer` through `frame()`, `update` throws, and `compute(samples)` needs the
   * stream's length in samples.
   */
  framer?: boolean;
}

/** A pysepm measure's value with the number of frames it averaged. */
export interface SepmFramesValue extends MetricValue {
  /** Frames M the reference uses (0 when the signal is too short for one). */
  frames: number;
}

/** A trimmed pysepm measure's value with its frame counts. */
export interface SepmTrimmedValue extends SepmFramesValue {
  /** Frames averaged after the 95 % trim: round(0.95·M). */
  framesKept: number;
}

/** Reason given when no frame counts (the reference needs one 30 ms frame plus one 7.5 ms hop). */
export const SEPM_TOO_SHORT = 'signal shorter than 37.5 ms (one 30 ms frame and the hop after it)';

/** Python's round(): nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact in binary floating point
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface SepmGeometry {
  sampleRate: number;
  /** L, samples (30 ms). */
  frameLength: number;
  /** S, samples (7.5 ms). */
  hop: number;
  /** 2^ceil(log2(2L)): 512 / 1024 / 4096 at 8 / 16 / 48 kHz. */
  nfft: number;
  /** LPC order: 10 below 10 kHz, else 16 (pysepm llr / cepstrum_distance). */
  lpcOrder: number;
}

/** The frames alone: L and S of `sampleRate` (Hz); throws ERR_SAMPLE_RATE when the hop would be < 1 sample. */
export function sepmFraming(sampleRate: number): { frameLength: number; hop: number } {
  if (!Number.isFinite(sampleRate) || sampleRate <= 0) {
    throw earshotError('ERR_SAMPLE_RATE', `expected a positive sample rate in Hz, got ${sampleRate}`);
  }
  const frameLength = roundHalfEven(SEPM_FRAME_SECONDS * sampleRate);
  // Same float expression as the reference: ((1 − overlap)·frameLen)·fs.
  const hop = Math.floor((1 - SEPM_OVERLAP) * SEPM_FRAME_SECONDS * sampleRate);
  if (hop < 1) {
    throw earshotError(
      'ERR_SAMPLE_RATE',
      `sample rate ${sampleRate} Hz is too low for 30 ms frames with a 7.5 ms hop (frame ${frameLength}, hop ${hop} samples)`,
    );
  }
  return { frameLength, hop };
}

/** Frame geometry at `sampleRate` (Hz); throws ERR_SAMPLE_RATE when the hop would be < 1 sample or L ≤ P. */
export function sepmGeometry(sampleRate: number): SepmGeometry {
  const { frameLength, hop } = sepmFraming(sampleRate);
  const lpcOrder = sampleRate < 10000 ? 10 : 16;
  if (frameLength <= lpcOrder) {
    throw earshotError(
      'ERR_SAMPLE_RATE',
      `sample rate ${sampleRate} Hz is too low for 30 ms frames with a 7.5 ms hop (frame ${frameLength}, hop ${hop} samples)`,
    );
  }
  let nfft = 1;
  while (nfft < 2 * frameLength) nfft *= 2;
  return { sampleRate, frameLength, hop, nfft, lpcOrder };
}

/** Complete frames in n samples (before the reference drops the last one). */
export function completeFrames(n: number, frameLength: number, hop: number): number {
  return n < frameLength ? 0 : Math.floor((n - frameLength) / hop) + 1;
}

/**
 * Frames fwSNRseg, WSS and the cepstral distance use: int(n/S − L/S) in float64 (truncation toward
 * zero, as Python's int()); ≤ 0 means "none".
 */
export function pysepmFrameCount(n: number, frameLength: number, hop: number): number {
  return Math.trunc(n / hop - frameLength / hop) + 0; // + 0 turns −0 into 0
}

/** Frames kept by the 95 % trim of M frame values: round(0.95·M), ties to even (M = 30 keeps 28). */
export function trimmedCount(frames: number): number {
  return roundHalfEven(frames * SEPM_TRIM_KEEP);
}

/** Receives each complete frame: samples [offset, offset + L) of `ref` and of `deg`. */
export interface SepmFrameSink {
  frame(ref: Float64Array, deg: Float64Array, offset: number): void;
}

/**
 * Cuts two equally long streams into the frames [m·S, m·S + L). Frames lying inside one block are
 * handed out in place (no copy); a frame spanning blocks is assembled first. Keeps fewer than L
 * samples per stream between calls.
 */
export class SepmFramer {
  readonly frameLength: number;
  readonly hop: number;
  /** Samples seen since reset. */
  samples = 0;
  /** Complete frames handed out since reset. */
  frames = 0;
  // Samples from the next frame's start onwards (< L of them).
  private readonly carryRef: Float64Array;
  private readonly carryDeg: Float64Array;
  private carryLen = 0;
  private readonly joinRef: Float64Array;
  private readonly joinDeg: Float64Array;

  /** Throws ERR_INVALID_ARGUMENT unless 1 ≤ hop ≤ frameLength (integers). */
  constructor(frameLength: number, hop: number) {
    if (!Number.isInteger(frameLength) || !Number.isInteger(hop) || hop < 1 || hop > frameLength) {
      throw earshotError('ERR_INVALID_ARGUMENT', `expected integers 1 ≤ hop ≤ frame length, got hop ${hop}, frame length ${frameLength}`);
    }
    this.frameLength = frameLength;
    this.hop = hop;
    this.carryRef = new Float64Array(frameLength);
    this.carryDeg = new Float64Array(frameLength);
    this.joinRef = new Float64Array(frameLength);
    this.joinDeg = new Float64Array(frameLength);
  }

  push(ref: Float64Array, deg: Float64Array, sink: SepmFrameSink): void {
    if (ref.length !== deg.length) {
      throw earshotError('ERR_INVALID_ARGUMENT', `ref and deg blocks must have equal lengths, got ${ref.length} and ${deg.length}`);
    }
    const n = ref.length;
    if (n === 0) return;
    const L = this.frameLength;
    const S = this.hop;
    const carry = this.carryLen;
    this.samples += n;
    const total = carry + n;
    let p = 0; // next frame start, relative to the carry's first sample
    // Frames that start in the carry and end in this block.
    while (p < carry && p + L <= total) {
      const k = carry - p;
      copy(this.carryRef, p, k, this.joinRef, 0);
      copy(this.carryDeg, p, k, this.joinDeg, 0);
      copy(ref, 0, L - k, this.joinRef, k);
      copy(deg, 0, L - k, this.joinDeg, k);
      sink.frame(this.joinRef, this.joinDeg, 0);
      this.frames++;
      p += S;
    }
    if (p < carry) {
      // Not enough for the next frame yet: keep carry[p..) and the whole block (total − p < L).
      this.carryRef.copyWithin(0, p, carry);
      this.carryDeg.copyWithin(0, p, carry);
      copy(ref, 0, n, this.carryRef, carry - p);
      copy(deg, 0, n, this.carryDeg, carry - p);
      this.carryLen = total - p;
      return;
    }
    // Frames inside the block.
    let q = p - carry;
    while (q + L <= n) {
      sink.frame(ref, deg, q);
      this.frames++;
      q += S;
    }
    // q ≤ n here (S ≤ L), and n − q < L.
    copy(ref, q, n - q, this.carryRef, 0);
    copy(deg, q, n - q, this.carryDeg, 0);
    this.carryLen = n - q;
  }

  reset(): void {
    this.samples = 0;
    this.frames = 0;
    this.carryLen = 0;
  }
}

/** dst[at .. at + count) = src[from .. from + count), without the view objects `set(subarray())` makes. */
function copy(src: Float64Array, from: number, count: number, dst: Float64Array, at: number): void {
  for (let i = 0; i < count; i++) dst[at + i] = src[from + i];
}

/**
 * Where a pysepm accumulator's frames come from, and the stream length its `compute` uses: its own
 * `SepmFramer` (standalone, fed by `update`), or none (`framer: false`: a shared framer calls the
 * accumulator's `frame()`, and the caller says at `compute(samples)` how long the stream was).
 */
export class SepmFrameInput {
  /** Frames received since reset (the accumulator counts each in its `frame()`). */
  frames = 0;
  private readonly framer: SepmFramer | null;

  constructor(
    private readonly frameLength: number,
    private readonly hop: number,
    ownFramer: boolean,
  ) {
    this.framer = ownFramer ? new SepmFramer(frameLength, hop) : null;
  }

  /** Frame `block` into `sink` (standalone); throws ERR_INVALID_ARGUMENT for a shared-framer sink. */
  push(block: { ref: Float64Array; deg: Float64Array }, sink: SepmFrameSink): void {
    if (!this.framer) {
      throw earshotError('ERR_INVALID_ARGUMENT', 'expected frames from a shared SepmFramer (built with framer: false), got update(block)');
    }
    this.framer.push(block.ref, block.deg, sink);
  }

  /**
   * The stream's length in samples for `compute`: `samples` if given, else what the own framer saw.
   * Throws ERR_INVALID_ARGUMENT when a shared-framer sink is not told, or when `samples` does not give
   * the number of frames received.
   */
  samples(samples?: number): number {
    const n = samples ?? this.framer?.samples;
    if (n === undefined) {
      throw earshotError('ERR_INVALID_ARGUMENT', 'expected the stream length: compute(samples) on an accumulator fed by a shared SepmFramer, got none');
    }
    if (!Number.isInteger(n) || n < 0 || completeFrames(n, this.frameLength, this.hop) !== this.frames) {
      throw earshotError(
        'ERR_INVALID_ARGUMENT',
        `expected a sample count that gives the ${this.frames} frames received, got ${n}`,
      );
    }
    return n;
  }

  reset(): void {
    this.frames = 0;
    this.framer?.reset();
  }
}

/**
 * A running sum of per-frame values where the newest two frames stay pending until the stream's
 * length decides whether they count (constant memory). `total(count)` sums frames 0..count−1;
 * count must be at least (frames pushed − 2).
 */
export class PendingSum {
  private committed = 0;
  private pushed = 0;
  private last = 0; // value of frame pushed − 1
  private prev = 0; // value of frame pushed − 2

  push(v: number): void {
    if (this.pushed >= 2) this.committed += this.prev;
    this.prev = this.last;
    this.last = v;
    this.pushed++;
  }

  total(count: number): number {
    const settled = Math.max(0, this.pushed - 2);
    if (count < settled) {
      throw earshotError('ERR_INVALID_ARGUMENT', `expected at least ${settled} frames, got ${count}`);
    }
    let s = this.committed;
    if (this.pushed >= 2 && count >= this.pushed - 1) s += this.prev;
    if (this.pushed >= 1 && count >= this.pushed) s += this.last;
    return s;
  }

  reset(): void {
    this.committed = 0;
    this.pushed = 0;
    this.last = 0;
    this.prev = 0;
  }
}

/**
 * Per-frame values of a trimmed measure: one float64 per 7.5 ms hop (3.8 MB per hour of signal, plus
 * a sorting copy of the same size while `trimmedMean` runs), growing by doubling, with the 95 % trimmed
 * mean of the first M values. The trim needs every frame value, so this is the one state that grows
 * with the stream's length.
 */
export class FrameValues {
  private data = new Float64Array(1024);
  private scratch = new Float64Array(0);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = v;
  }

  // Apart from push, so that push stays small enough for V8 to inline (a double passed to a call that
  // is not inlined is boxed).
  private grow(): void {
    const grown = new Float64Array(this.data.length * 2);
    grown.set(this.data);
    this.data = grown;
  }

  get(i: number): number {
    return this.data[i];
  }

  /**
   * Values 0..count−1 sorted ascending (NaN last, as numpy sorts), in a scratch view that stays valid
   * until the next call.
   */
  sorted(count: number): Float64Array {
    if (this.scratch.length < count) this.scratch = new Float64Array(this.data.length);
    const s = this.scratch.subarray(0, count);
    s.set(this.data.subarray(0, count));
    s.sort();
    return s;
  }

  /** Mean of the lowest round(0.95·count) of values 0..count−1 (see `meanOfLowest`). */
  trimmedMean(count: number, map?: (v: number) => number): { mean: number; kept: number } {
    const kept = trimmedCount(count);
    return { mean: meanOfLowest(this.sorted(count), kept, map), kept };
  }

  reset(): void {
    this.length = 0;
  }
}

/**
 * Power spectrum of one windowed frame as pysepm's fwSNRseg / wss get it from scipy.signal.stft
 * (boundary=None, padded=False, detrend=False, MATLAB hanning window, zero-padded to nfft) without
 * scipy's 1/Σw scaling: out[j] = |Σₙ w[n]·(x[offset+n] + eps)·e^(−2πijn/nfft)|², j = 0..nfft/2 − 1
 * (the Nyquist bin is dropped). Buffers built once per instance; allocates nothing per frame.
 */
export class SepmPowerSpectrum {
  readonly nfft: number;
  readonly numBins: number;
  private readonly plan: WindowedPowerPlan;

  constructor(geometry: SepmGeometry) {
    this.nfft = geometry.nfft;
    this.numBins = geometry.nfft / 2;
    this.plan = new WindowedPowerPlan(geometry.nfft, hanningMatlab(geometry.frameLength), { bias: +SEPM_EPS, bins: this.numBins });
  }

  /** |X[j]|² of w·(x + SEPM_EPS) over x[offset .. offset + L) into out[0 .. nfft/2). */
  power(x: Float64Array, offset: number, out: Float64Array): void {
    this.plan.power(x, offset, out);
  }
}

/**
 * Mean of sorted[0..kept), each value first mapped through `map` (which must be monotone
 * non-decreasing, e.g. a clamp, so that it commutes with the sort).
 */
export function meanOfLowest(sorted: Float64Array, kept: number, map?: (v: number) => number): number {
  let sum = 0;
  if (map) for (let i = 0; i < kept; i++) sum += map(sorted[i]);
  else for (let i = 0; i < kept; i++) sum += sorted[i];
  return sum / kept;
}


/** Per-frame consumer of the pair of power spectra (fwSegSNR, WSS). */
export interface SepmSpectralConsumer {
  add(powerRef: Float64Array, powerDeg: Float64Array): void;
  reset(): void;
}

/**
 * Computes each frame's pair of power spectra once and hands it to every consumer: fwSegSNR and WSS
 * share their FFTs, which are most of their cost. Frames its own blocks (`update`) or, with
 * `framer: false`, takes frames from a shared `SepmFramer` (`frame`).
 */
export class SepmSpectralDriver implements SepmFrameSink {
  readonly geometry: SepmGeometry;
  readonly input: SepmFrameInput;
  private readonly spectrum: SepmPowerSpectrum;
  private readonly powerRef: Float64Array;
  private readonly powerDeg: Float64Array;
  private readonly consumers: SepmSpectralConsumer[];

  constructor(options: SepmOptions, consumers: SepmSpectralConsumer[]) {
    this.geometry = sepmGeometry(options.sampleRate);
    this.input = new SepmFrameInput(this.geometry.frameLength, this.geometry.hop, options.framer ?? true);
    this.spectrum = new SepmPowerSpectrum(this.geometry);
    this.powerRef = new Float64Array(this.spectrum.numBins);
    this.powerDeg = new Float64Array(this.spectrum.numBins);
    this.consumers = consumers;
  }

  update(block: { ref: Float64Array; deg: Float64Array }): void {
    this.input.push(block, this);
  }

  /** One frame, samples [offset, offset + L) of ref and deg (from the own or a shared framer). */
  frame(ref: Float64Array, deg: Float64Array, offset: number): void {
    this.input.frames++;
    this.spectrum.power(ref, offset, this.powerRef);
    this.spectrum.power(deg, offset, this.powerDeg);
    const cs = this.consumers;
    for (let i = 0; i < cs.length; i++) cs[i].add(this.powerRef, this.powerDeg);
  }

  reset(): void {
    this.input.reset();
    for (const c of this.consumers) c.reset();
  }
}
