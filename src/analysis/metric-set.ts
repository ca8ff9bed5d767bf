/**
 * The full set of reference-based accumulators for one ref/deg(/noisy) stream at one sample rate.
 * Offline analysis and the live engine both feed blocks through this class, so their values agree by
 * construction.
 */
import { CiSdrAccumulator } from '../metrics/ci-sdr.js';
import { SegSnrAccumulator } from '../metrics/segsnr.js';
import { SiSdrAccumulator } from '../metrics/si-sdr.js';
import { SnrAccumulator } from '../metrics/snr.js';
import { SpectralAccumulator } from '../metrics/spectral.js';
import { StoiAccumulator } from '../metrics/stoi.js';
import type { MetricAccumulator, MetricValue, SignalBlock } from '../metrics/types.js';
import { WsdrAccumulator } from '../metrics/wsdr.js';
import { createResamplerPair, octaveResamplerDesign, type PairResampler } from '../dsp/resample.js';
import { FeatureDistanceAccumulator } from '../metrics/feature-distance.js';
import { LlrAccumulator } from '../metrics/llr.js';
import { PmsqeAccumulator } from '../metrics/pmsqe.js';
import { SepmSpectralAccumulator } from '../metrics/sepm-spectral.js';
import type { MetricKey } from './metric-info.js';

/** Keys of the metrics computed per ref/deg pair by the streaming set (SA-SDR spans all pairs). */
export const PAIR_METRIC_KEYS = ['snr', 'segsnr', 'sisdr', 'cisdr', 'wsdr', 'stoi', 'estoi', 'lsd', 'cosine', 'mse'] as const;
/** Streaming perceptual extras (PESQ and the composites need whole signals: see analyze.ts). */
export const EXTRA_METRIC_KEYS = ['pmsqe', 'llr', 'wss', 'fwsegsnr', 'featdist', 'mfccdist'] as const;
export type PairMetricKey = ((typeof PAIR_METRIC_KEYS)[number] | (typeof EXTRA_METRIC_KEYS)[number]) & MetricKey;

export type MetricResult = MetricValue & { uncertainty?: number | null };
export type PairMetrics = Record<PairMetricKey, MetricResult> & { llrForComposite?: MetricResult };

export interface MetricSetOptions {
  sampleRate: number;
  /** Whether a noisy input accompanies the blocks (wSDR needs it). */
  withNoisy: boolean;
  /** Also PMSQE, LLR, WSS, fwSegSNR and the feature distances (default true). */
  extras?: boolean;
  /** Samples expected in all (offline: the file length), so stores are sized once. */
  expectedLength?: number;
}

/** PMSQE runs at 8 or 16 kHz; other rates are resampled to 16 kHz (8 kHz below 16 kHz). */
function pmsqeRate(fs: number): number {
  return fs === 8000 || fs === 16000 ? fs : fs > 16000 ? 16000 : 8000;
}

/** PMSQE frames per second (hop N/2 = 16 ms at both 8 and 16 kHz). */
const PMSQE_FRAMES_PER_SEC = 62.5;

/**
 * PMSQE behind a streaming resampler when the input rate is not one PMSQE defines. With `windowSec`
 * it scores only the latest frames (the live engine's window: bounded memory).
 */
export class ResampledPmsqe {
  readonly rate: number;
  private readonly acc: PmsqeAccumulator;
  private readonly resampler: PairResampler | null;
  private bufA = new Float64Array(8192);
  private bufB = new Float64Array(8192);
  constructor(
    readonly inputRate: number,
    windowSec?: number,
  ) {
    this.rate = pmsqeRate(inputRate);
    this.acc = new PmsqeAccumulator({
      sampleRate: this.rate,
      windowFrames: windowSec === undefined ? undefined : Math.round(windowSec * PMSQE_FRAMES_PER_SEC),
    });
    this.resampler = this.rate === inputRate ? null : createResamplerPair(octaveResamplerDesign(this.rate, inputRate));
  }
  update(block: SignalBlock): void {
    const r = this.resampler;
    if (!r) return this.acc.update(block);
    const need = r.maxOutput(block.ref.length);
    if (need > this.bufA.length) {
      this.bufA = new Float64Array(need);
      this.bufB = new Float64Array(need);
    }
    const n = r.push(block.ref, block.deg, this.bufA, this.bufB, 0);
    this.acc.update({ ref: this.bufA.subarray(0, n), deg: this.bufB.subarray(0, n) });
  }
  compute(): MetricResult {
    const v = this.acc.compute();
    const stats = this.acc.frameStats();
    const uncertainty = stats && stats.variance !== null ? Math.sqrt(stats.variance / stats.count) : null;
    return { ...v, uncertainty };
  }
  reset(): void {
    this.acc.reset();
    this.resampler?.reset();
  }
}

export class MetricSet implements MetricAccumulator<SignalBlock, PairMetrics> {
  readonly sampleRate: number;
  private readonly withNoisy: boolean;
  private readonly snr = new SnrAccumulator();
  private readonly sisdr = new SiSdrAccumulator();
  private readonly wsdr = new WsdrAccumulator();
  private readonly segsnr: SegSnrAccumulator;
  private readonly cisdr: CiSdrAccumulator;
  /** One accumulator gives both STOI and ESTOI (they share resampling and envelopes). */
  private readonly stoi: StoiAccumulator;
  private readonly spectral: SpectralAccumulator;
  private readonly extras: {
    pmsqe: ResampledPmsqe;
    llr: LlrAccumulator;
    sepm: SepmSpectralAccumulator;
    features: FeatureDistanceAccumulator;
  } | null;

  constructor({ sampleRate, withNoisy, extras = true, expectedLength }: MetricSetOptions) {
    this.sampleRate = sampleRate;
    this.withNoisy = withNoisy;
    this.segsnr = new SegSnrAccumulator(sampleRate);
    this.cisdr = new CiSdrAccumulator();
    this.stoi = new StoiAccumulator({ sampleRate, extended: false, expectedLength });
    this.spectral = new SpectralAccumulator(sampleRate);
    this.extras = extras
      ? {
          pmsqe: new ResampledPmsqe(sampleRate),
          llr: new LlrAccumulator({ sampleRate }),
          sepm: new SepmSpectralAccumulator({ sampleRate }),
          features: new FeatureDistanceAccumulator(sampleRate),
        }
      : null;
  }

  update(block: SignalBlock): void {
    this.snr.update(block);
    this.sisdr.update(block);
    if (this.withNoisy) this.wsdr.update(block);
    this.segsnr.update(block);
    this.cisdr.update(block);
    this.stoi.update(block);
    this.spectral.update(block);
    if (this.extras) for (const acc of Object.values(this.extras)) acc.update(block);
  }

  compute(): PairMetrics {
    const spectral = this.spectral.compute();
    const stoi = this.stoi.computeBoth();
    const stoiStats = this.stoi.segmentStatsBoth();
    const se = (st: { count: number; variance: number } | null) => (st && st.count > 1 ? Math.sqrt(st.variance / st.count) : null);
    const notComputed = { value: null, reason: 'not computed (extras off)' };
    const x = this.extras;
    const llr = x?.llr.computeBoth();
    const sepm = x?.sepm.compute();
    const feat = x?.features.compute();
    const pmsqe = x?.pmsqe.compute();
    if (pmsqe && x && x.pmsqe.rate !== this.sampleRate && pmsqe.value !== null) {
      pmsqe.reason = `computed at ${x.pmsqe.rate} Hz (resampled from ${this.sampleRate} Hz)`;
    }
    return {
      pmsqe: pmsqe ?? notComputed,
      llr: llr?.llr ?? notComputed,
      llrForComposite: llr?.llrForComposite ?? notComputed,
      wss: sepm?.wss ?? notComputed,
      fwsegsnr: sepm?.fwSegSnr ?? notComputed,
      featdist: feat?.['log-mel'] ?? notComputed,
      mfccdist: feat?.mfcc ?? notComputed,
      snr: this.snr.compute(),
      segsnr: this.segsnr.compute(),
      sisdr: this.sisdr.compute(),
      cisdr: this.cisdr.compute(),
      wsdr: this.withNoisy ? this.wsdr.compute() : { value: null, reason: 'needs the noisy input (--noisy)' },
      stoi: { ...stoi.stoi, uncertainty: stoi.stoi.value === null ? null : se(stoiStats.stoi) },
      estoi: { ...stoi.estoi, uncertainty: stoi.estoi.value === null ? null : se(stoiStats.estoi) },
      lsd: spectral.lsd,
      cosine: spectral.cosine,
      mse: this.snr.computeMse(),
    };
  }

  reset(): void {
    for (const acc of [this.snr, this.sisdr, this.wsdr, this.segsnr, this.cisdr, this.stoi, this.spectral]) acc.reset();
    if (this.extras) for (const acc of Object.values(this.extras)) acc.reset();
  }
}
