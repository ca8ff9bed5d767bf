/**
 * fwSegSNR and WSS together from one pair of FFTs per frame. Both measures start from the same power
 * spectra (30 ms MATLAB-hanning frames of signal + eps, nfft = 2^ceil(log2(2L))), and those FFTs are
 * most of their cost; use this instead of the two accumulators when both are wanted. Values are
 * identical to `FwSegSnrAccumulator` and `WssAccumulator`.
 *
 * @example
 * const acc = new SepmSpectralAccumulator({ sampleRate: 16000 });
 * acc.update({ ref, deg });
 * const { fwSegSnr, wss } = acc.compute();
 */
import { FwSegSnrFrames } from './fwsegsnr.js';
import type { MetricAccumulator, SignalBlock } from './types.js';
import {
  SepmFramer,
  sepmGeometry,
  SepmPowerSpectrum,
  type SepmFrameSink,
  type SepmFramesValue,
  type SepmGeometry,
  type SepmOptions,
  type SepmTrimmedValue,
} from './sepm-frames.js';
import { WssFrames } from './wss.js';

export interface SepmSpectralValue {
  fwSegSnr: SepmFramesValue;
  wss: SepmTrimmedValue;
}

export class SepmSpectralAccumulator implements MetricAccumulator<SignalBlock, SepmSpectralValue>, SepmFrameSink {
  readonly geometry: SepmGeometry;
  private readonly framer: SepmFramer;
  private readonly spectrum: SepmPowerSpectrum;
  private readonly powerRef: Float64Array;
  private readonly powerDeg: Float64Array;
  private readonly fw: FwSegSnrFrames;
  private readonly wss: WssFrames;

  constructor(options: SepmOptions) {
    this.geometry = sepmGeometry(options.sampleRate);
    this.framer = new SepmFramer(this.geometry.frameLength, this.geometry.hop);
    this.spectrum = new SepmPowerSpectrum(this.geometry);
    this.powerRef = new Float64Array(this.spectrum.numBins);
    this.powerDeg = new Float64Array(this.spectrum.numBins);
    this.fw = new FwSegSnrFrames(this.geometry);
    this.wss = new WssFrames(this.geometry);
  }

  update(block: SignalBlock): void {
    this.framer.push(block.ref, block.deg, this);
  }

  /** @internal Called by the framer for each complete frame. */
  frame(ref: Float64Array, deg: Float64Array, offset: number): void {
    this.spectrum.power(ref, offset, this.powerRef);
    this.spectrum.power(deg, offset, this.powerDeg);
    this.fw.add(this.powerRef, this.powerDeg);
    this.wss.add(this.powerRef, this.powerDeg);
  }

  compute(): SepmSpectralValue {
    const n = this.framer.samples;
    return { fwSegSnr: this.fw.result(n), wss: this.wss.result(n) };
  }

  reset(): void {
    this.framer.reset();
    this.fw.reset();
    this.wss.reset();
  }
}
