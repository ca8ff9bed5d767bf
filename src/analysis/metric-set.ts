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
import type { MetricKey } from './metric-info.js';

/** Keys of the metrics computed per ref/deg pair (SA-SDR spans all pairs and lives elsewhere). */
export const PAIR_METRIC_KEYS = ['snr', 'segsnr', 'sisdr', 'cisdr', 'wsdr', 'stoi', 'estoi', 'lsd', 'cosine', 'mse'] as const;
export type PairMetricKey = (typeof PAIR_METRIC_KEYS)[number] & MetricKey;

export type MetricResult = MetricValue & { uncertainty?: number | null };
export type PairMetrics = Record<PairMetricKey, MetricResult>;

export interface MetricSetOptions {
  sampleRate: number;
  /** Whether a noisy input accompanies the blocks (wSDR needs it). */
  withNoisy: boolean;
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

  constructor({ sampleRate, withNoisy }: MetricSetOptions) {
    this.sampleRate = sampleRate;
    this.withNoisy = withNoisy;
    this.segsnr = new SegSnrAccumulator(sampleRate);
    this.cisdr = new CiSdrAccumulator();
    this.stoi = new StoiAccumulator({ sampleRate, extended: false });
    this.spectral = new SpectralAccumulator(sampleRate);
  }

  update(block: SignalBlock): void {
    this.snr.update(block);
    this.sisdr.update(block);
    if (this.withNoisy) this.wsdr.update(block);
    this.segsnr.update(block);
    this.cisdr.update(block);
    this.stoi.update(block);
    this.spectral.update(block);
  }

  compute(): PairMetrics {
    const spectral = this.spectral.compute();
    const stoi = this.stoi.computeBoth();
    return {
      snr: this.snr.compute(),
      segsnr: this.segsnr.compute(),
      sisdr: this.sisdr.compute(),
      cisdr: this.cisdr.compute(),
      wsdr: this.withNoisy ? this.wsdr.compute() : { value: null, reason: 'needs the noisy input (--noisy)' },
      stoi: stoi.stoi,
      estoi: stoi.estoi,
      lsd: spectral.lsd,
      cosine: spectral.cosine,
      mse: this.snr.computeMse(),
    };
  }

  reset(): void {
    for (const acc of [this.snr, this.sisdr, this.wsdr, this.segsnr, this.cisdr, this.stoi, this.spectral]) acc.reset();
  }
}
