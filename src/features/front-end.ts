/**
 * The shared feature front end of one aligned ref/deg(/noisy) pair at one sample rate, built once per
 * session (offline and live alike). A block enters here once; every stage some requested metric
 * declares (src/metrics/registry.ts `stages`) runs once per block, frame or resampled sample, and
 * hands its output to every consumer attached to it:
 *
 * | stage             | what runs once                                                   | consumers |
 * |-------------------|------------------------------------------------------------------|-----------|
 * | `samples`         | nothing: the aligned samples themselves                          | SNR, SI-SDR, wSDR, CI-SDR, reference-free |
 * | `sepm-frames`     | one pysepm framer: 30 ms frames, hop a quarter frame             | segSNR, LLR, WSS + fwSegSNR |
 * | `stft32`          | one framer + one power spectrum per stream and frame (32 ms periodic Hann, hop half a frame) | LSD + cosine, log-mel / MFCC, spectrogram |
 * | `stoi-10k`        | one resampler pair to 10 kHz (pystoi's Kaiser sinc)              | STOI + ESTOI |
 * | `perceptual-rate` | one resampler pair to 16 kHz (8 kHz below 16 kHz), when needed   | PMSQE, PESQ-like |
 *
 * Consumers never frame, window, transform or resample for themselves.
 */
import { FrameBuffer } from '../dsp/frame-buffer.js';
import { createResamplerPair, octaveResamplerDesign, type PairResampler } from '../dsp/resample.js';
import { SpectrumPlan } from '../dsp/stft.js';
import { hannPeriodic } from '../dsp/window.js';
import { earshotError } from '../errors.js';
import { SepmFramer, sepmGeometry, type SepmFrameSink, type SepmGeometry } from '../metrics/sepm-frames.js';
import type { FrontEndStage } from '../metrics/registry.js';

/** Aligned samples of the streams, all the same length, float64 on the [-1, 1) scale. */
export interface PairBlock {
  ref: Float64Array;
  deg: Float64Array;
  noisy?: Float64Array;
}

/** Reads blocks of one rate (the input rate, 10 kHz, or the perceptual rate). */
export interface BlockConsumer {
  update(block: PairBlock): void;
}

/** Reads the pair of power spectra |X[k]|², k = 0..N/2, of each 32 ms frame (valid during the call). */
export interface SpectrumConsumer {
  spectra(powerRef: Float64Array, powerDeg: Float64Array): void;
}

/** The 32 ms STFT geometry: FFT size N = 2^round(log2(0.032·fs)), hop N/2, periodic Hann. */
export const STFT32_FRAME_SEC = 0.032;
/** The 32 ms frames hop by half a frame: per-frame values overlap by 1/2 (standard-error span 2, running-stats.ts). */
export const STFT32_SE_SPAN = 2;
export function stft32Size(sampleRate: number): number {
  return 2 ** Math.round(Math.log2(STFT32_FRAME_SEC * sampleRate));
}

/** STOI's rate (pystoi FS). */
export const STOI_RATE_HZ = 10000;

/** The rate the perceptual family (PMSQE, PESQ-like) works at: 8 or 16 kHz. */
export function perceptualRate(sampleRate: number): number {
  return sampleRate === 8000 || sampleRate === 16000 ? sampleRate : sampleRate > 16000 ? 16000 : 8000;
}

/** Block size the resampled stages are produced in (bounded scratch, any input block size). */
const RESAMPLE_CHUNK = 4096;

/** A resampler pair feeding consumers at its output rate; the identity when the rates agree. */
class ResampledStage {
  readonly consumers: BlockConsumer[] = [];
  private readonly resampler: PairResampler | null;
  private outA: Float64Array;
  private outB: Float64Array;
  private readonly block: PairBlock;

  constructor(
    readonly inputRate: number,
    readonly rate: number,
  ) {
    this.resampler = rate === inputRate ? null : createResamplerPair(octaveResamplerDesign(rate, inputRate));
    const cap = this.resampler ? Math.max(this.resampler.maxOutput(RESAMPLE_CHUNK), this.resampler.pendingTail() + 16) : 0;
    this.outA = new Float64Array(cap);
    this.outB = new Float64Array(cap);
    this.block = { ref: this.outA, deg: this.outB };
  }

  push(ref: Float64Array, deg: Float64Array): void {
    const r = this.resampler;
    if (!r) {
      this.block.ref = ref;
      this.block.deg = deg;
      for (const c of this.consumers) c.update(this.block);
      return;
    }
    for (let start = 0; start < ref.length; start += RESAMPLE_CHUNK) {
      const end = Math.min(ref.length, start + RESAMPLE_CHUNK);
      this.ensure(r.maxOutput(end - start));
      const n = r.push(ref, deg, this.outA, this.outB, 0, start, end);
      if (n > 0) this.emit(n);
    }
  }

  /** End of stream: the resampler's zero-padded tail (as scipy pads). */
  end(): void {
    const r = this.resampler;
    if (!r) return;
    this.ensure(r.pendingTail());
    const n = r.flush(this.outA, this.outB, 0);
    if (n > 0) this.emit(n);
  }

  /** Output room for `n` samples (grows at most a few times: the bound depends on the resampler's state). */
  private ensure(n: number): void {
    if (n <= this.outA.length) return;
    this.outA = new Float64Array(n);
    this.outB = new Float64Array(n);
  }

  private emit(n: number): void {
    this.block.ref = this.outA.subarray(0, n);
    this.block.deg = this.outB.subarray(0, n);
    for (const c of this.consumers) c.update(this.block);
  }

  reset(): void {
    this.resampler?.reset();
  }
}

/** One framer and one power spectrum per stream for the 32 ms geometry. */
class Stft32Stage {
  readonly consumers: SpectrumConsumer[] = [];
  readonly fftSize: number;
  readonly window: Float64Array;
  private readonly plan: SpectrumPlan;
  private readonly framer: FrameBuffer;
  private readonly pRef: Float64Array;
  private readonly pDeg: Float64Array;
  private readonly inputs: Float64Array[] = [new Float64Array(0), new Float64Array(0)];

  constructor(sampleRate: number) {
    const n = stft32Size(sampleRate);
    this.fftSize = n;
    this.window = hannPeriodic(n);
    this.plan = new SpectrumPlan(n, this.window);
    this.pRef = new Float64Array(n / 2 + 1);
    this.pDeg = new Float64Array(n / 2 + 1);
    this.framer = new FrameBuffer(n, n / 2, 2, (f) => {
      this.plan.power(f[0], this.pRef);
      this.plan.power(f[1], this.pDeg);
      for (const c of this.consumers) c.spectra(this.pRef, this.pDeg);
    });
  }

  push(ref: Float64Array, deg: Float64Array): void {
    this.inputs[0] = ref;
    this.inputs[1] = deg;
    this.framer.push(this.inputs);
  }

  reset(): void {
    this.framer.reset();
  }
}

/** Fans one pysepm framer out to several frame sinks. */
class SepmStage implements SepmFrameSink {
  readonly sinks: SepmFrameSink[] = [];
  readonly geometry: SepmGeometry;
  private readonly framer: SepmFramer;

  constructor(sampleRate: number) {
    this.geometry = sepmGeometry(sampleRate);
    this.framer = new SepmFramer(this.geometry.frameLength, this.geometry.hop);
  }

  push(ref: Float64Array, deg: Float64Array): void {
    this.framer.push(ref, deg, this);
  }

  /** @internal Called by the framer for each complete frame. */
  frame(ref: Float64Array, deg: Float64Array, offset: number): void {
    for (const s of this.sinks) s.frame(ref, deg, offset);
  }

  reset(): void {
    this.framer.reset();
  }
}

/**
 * The front end of one pair. Attach consumers (which declares the stages they need), then `push`
 * aligned blocks, then `end()` once the stream is over (flushes the resamplers' tails).
 */
export class FrontEnd {
  readonly sampleRate: number;
  /** Input samples pushed since reset (per stream). */
  samples = 0;
  private readonly sampleConsumers: BlockConsumer[] = [];
  private sepm: SepmStage | null = null;
  private stft: Stft32Stage | null = null;
  private stoi: ResampledStage | null = null;
  private perceptual: ResampledStage | null = null;

  constructor(sampleRate: number) {
    if (!Number.isInteger(sampleRate) || sampleRate < 1) {
      throw earshotError('ERR_SAMPLE_RATE', `expected a positive integer sample rate in Hz, got ${sampleRate}`);
    }
    this.sampleRate = sampleRate;
  }

  /** Consumers of the aligned samples at the input rate (noisy included where present). */
  onSamples(c: BlockConsumer): void {
    this.sampleConsumers.push(c);
  }

  /** A sink for pysepm's 30 ms frames; returns the frame geometry. */
  onSepmFrames(sink: SepmFrameSink): SepmGeometry {
    this.sepm ??= new SepmStage(this.sampleRate);
    this.sepm.sinks.push(sink);
    return this.sepm.geometry;
  }

  /** A consumer of the 32 ms power spectra; returns the FFT size and window. */
  onStft32(c: SpectrumConsumer): { fftSize: number; window: Float64Array } {
    this.stft ??= new Stft32Stage(this.sampleRate);
    this.stft.consumers.push(c);
    return { fftSize: this.stft.fftSize, window: this.stft.window };
  }

  /** A consumer of ref and deg at 10 kHz. */
  onStoiRate(c: BlockConsumer): void {
    this.stoi ??= new ResampledStage(this.sampleRate, STOI_RATE_HZ);
    this.stoi.consumers.push(c);
  }

  /** A consumer of ref and deg at the perceptual rate (16 kHz, or 8 kHz below 16 kHz); returns that rate. */
  onPerceptualRate(c: BlockConsumer): number {
    this.perceptual ??= new ResampledStage(this.sampleRate, perceptualRate(this.sampleRate));
    this.perceptual.consumers.push(c);
    return this.perceptual.rate;
  }

  /** Stages built so far (what the attached consumers need). */
  stages(): FrontEndStage[] {
    const s: FrontEndStage[] = [];
    if (this.sampleConsumers.length) s.push('samples');
    if (this.sepm) s.push('sepm-frames');
    if (this.stft) s.push('stft32');
    if (this.stoi) s.push('stoi-10k');
    if (this.perceptual) s.push('perceptual-rate');
    return s;
  }

  push(block: PairBlock): void {
    const { ref, deg } = block;
    if (ref.length !== deg.length || (block.noisy && block.noisy.length !== ref.length)) {
      throw earshotError('ERR_INVALID_ARGUMENT', `ref, deg (and noisy) blocks must have equal lengths, got ${ref.length}, ${deg.length}${block.noisy ? `, ${block.noisy.length}` : ''}`);
    }
    if (ref.length === 0) return;
    this.samples += ref.length;
    for (const c of this.sampleConsumers) c.update(block);
    this.sepm?.push(ref, deg);
    this.stft?.push(ref, deg);
    this.stoi?.push(ref, deg);
    this.perceptual?.push(ref, deg);
  }

  /** End of stream: flush the resampled stages' tails to their consumers. */
  end(): void {
    this.stoi?.end();
    this.perceptual?.end();
  }

  reset(): void {
    this.samples = 0;
    this.sepm?.reset();
    this.stft?.reset();
    this.stoi?.reset();
    this.perceptual?.reset();
  }
}
