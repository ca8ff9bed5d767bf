/**
 * Shared shapes and framing for the reference-free metrics: what a live call gives us is the device's
 * output (deg) and, sometimes, its input (noisy), never the clean speech.
 *
 * Framing: 20 ms frames every 10 ms (hop H = round(0.01·fs), frame = 2H). 20 ms is the usual
 * speech-codec frame and long enough for a stable level estimate; the 10 ms hop halves the time
 * resolution of pause/speech boundaries. Because a frame is exactly two hops, every per-sample sum is
 * kept per hop (non-overlapping) and a frame's value is the sum of its two hops: no sample is read
 * twice and nothing but the previous hop's sums is remembered.
 */
import { earshotError } from '../../errors.js';
import type { MetricValue } from '../types.js';

/** Lowest and highest supported sample rate, Hz (inclusive). */
export const MIN_SAMPLE_RATE_HZ = 8000;
export const MAX_SAMPLE_RATE_HZ = 48000;
/** Hop between frame starts, s. */
export const HOP_SEC = 0.01;
/** Frame length, in hops (20 ms). */
export const HOPS_PER_FRAME = 2;

/** One block of the streams a reference-free metric sees: the DUT's output and, optionally, its input. */
export interface DegBlock {
  /** The device's output, float64 on the [-1, 1) scale. */
  deg: Float64Array;
  /** The device's input, same length as `deg` (needed by noise attenuation and speech level change). */
  noisy?: Float64Array;
}

/** Why a sample rate cannot be used, or null when it can. */
export function rateProblem(sampleRate: number): string | null {
  if (!(sampleRate >= MIN_SAMPLE_RATE_HZ && sampleRate <= MAX_SAMPLE_RATE_HZ)) {
    return `sample rate ${sampleRate} Hz outside ${MIN_SAMPLE_RATE_HZ}..${MAX_SAMPLE_RATE_HZ} Hz`;
  }
  return null;
}

/** Hop length in samples at a supported rate. */
export function hopSamples(sampleRate: number): number {
  return Math.round(HOP_SEC * sampleRate);
}

/** The value itself, or null with a reason when it is not finite (only non-finite input samples can cause that). */
export function finite(v: MetricValue): MetricValue {
  if (v.value === null || Number.isFinite(v.value)) return v;
  return { value: null, reason: 'non-finite input samples' };
}

export const SHORT_REASON = 'signal shorter than one 20 ms frame';
export const SILENT_REASON = 'deg is digital silence (all zeros)';
export const NEEDS_NOISY_REASON = 'needs the noisy input (--noisy)';

/**
 * A family's per-sample work, split at hop boundaries. `segment` sees samples [start, end) of the
 * current block, all inside one hop; `hopEnd` follows the last sample of every hop. A splitter drives
 * these the same way whatever the block sizes, so results do not depend on how the stream was cut.
 */
export interface HopConsumer {
  segment(deg: Float64Array, noisy: Float64Array | undefined, start: number, end: number): void;
  hopEnd(): void;
}

/** Cuts blocks of any length at hop boundaries and drives one or more consumers. */
export class HopSplitter {
  readonly hop: number;
  /** Samples of the current (unfinished) hop already seen. */
  private fill = 0;
  /** Samples fed since reset. */
  samples = 0;

  constructor(hop: number, private readonly consumers: readonly HopConsumer[]) {
    this.hop = hop;
  }

  push(block: DegBlock, withNoisy: boolean): void {
    const { deg } = block;
    const noisy = withNoisy ? block.noisy : undefined;
    if (withNoisy && !noisy) {
      throw earshotError('ERR_INVALID_ARGUMENT', 'expected a noisy block (the accumulator was built withNoisy), got none');
    }
    if (noisy && noisy.length !== deg.length) {
      throw earshotError('ERR_INVALID_ARGUMENT', `expected noisy and deg of equal length, got ${noisy.length} and ${deg.length}`);
    }
    const n = deg.length;
    const consumers = this.consumers;
    let pos = 0;
    while (pos < n) {
      const take = Math.min(this.hop - this.fill, n - pos);
      for (let c = 0; c < consumers.length; c++) consumers[c].segment(deg, noisy, pos, pos + take);
      pos += take;
      this.fill += take;
      if (this.fill === this.hop) {
        this.fill = 0;
        for (let c = 0; c < consumers.length; c++) consumers[c].hopEnd();
      }
    }
    this.samples += n;
  }

  reset(): void {
    this.fill = 0;
    this.samples = 0;
  }
}

/** The reference-free metrics of one stream (keys documented in docs/reference-free.md). */
export interface ReferenceFreeMetrics {
  /** Share of 20 ms frames the VAD marks as speech, 0..1. */
  speechActivity: MetricValue;
  /** Active speech level of deg (ITU-T P.56 method B, hop-granular), dBFS (dBov). */
  speechLevelDb: MetricValue;
  /** Mean power of deg in speech pauses, dBFS. */
  noiseFloorDb: MetricValue;
  /** Noise level of noisy minus that of deg in speech pauses, dB (needs noisy; higher = more attenuation). */
  noiseAttenuationDb: MetricValue;
  /** Noise-compensated speech power of deg over that of noisy in speech frames, dB (needs noisy). */
  speechLevelChangeDb: MetricValue;
  /** Share of deg's samples in flat runs at its extreme value (clipping), 0..1. */
  clippingRatio: MetricValue;
  /** Mean of deg, full-scale units (−1..1). */
  dcOffset: MetricValue;
  /** Number of digital-silence dropouts inside speech activity. */
  dropouts: MetricValue;
  /** Start of each dropout, s since reset (the first 1000). */
  dropoutTimes: number[];
  /** Number of stretches where deg exactly repeats an earlier 10..60 ms stretch (concealment). */
  repeatedFrames: MetricValue;
  /** Start of each repeated stretch, s since reset (the first 1000). */
  repeatedFrameTimes: number[];
  /** Blind SNR estimate of deg (Kim & Stern 2008, WADA), dB. */
  wadaSnrDb: MetricValue;
}

export type ReferenceFreeKey = keyof ReferenceFreeMetrics;

/** Keys whose value needs the noisy input. */
export const NOISY_KEYS: readonly ReferenceFreeKey[] = ['noiseAttenuationDb', 'speechLevelChangeDb'];

/**
 * The shared frame of a reference-free family that consumes deg alone: rate check, hop size, and a
 * HopSplitter driving the subclass's `segment` / `hopEnd`. Unsupported rates make `update` a no-op
 * and `compute` report `problem`.
 */
export abstract class DegHopFamily implements HopConsumer {
  readonly sampleRate: number;
  readonly hop: number;
  /** Why this sample rate is not supported, or null. */
  protected readonly problem: string | null;
  protected readonly splitter: HopSplitter;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
    this.problem = rateProblem(sampleRate);
    this.hop = this.problem ? 1 : hopSamples(sampleRate);
    this.splitter = new HopSplitter(this.hop, [this]);
  }

  update(block: DegBlock): void {
    if (this.problem) return;
    this.splitter.push(block, false);
  }

  abstract segment(deg: Float64Array, noisy: Float64Array | undefined, start: number, end: number): void;
  abstract hopEnd(): void;
}
