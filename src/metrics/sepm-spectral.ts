/**
 * fwSegSNR and WSS together from one pair of FFTs per frame. Both measures start from the same power
 * spectra (30 ms MATLAB-hanning frames of signal + eps, nfft = 2^ceil(log2(2L))), and those FFTs are
 * most of their cost; use this instead of the two accumulators when both are wanted. Values are
 * identical to `FwSegSnrAccumulator` and `WssAccumulator`.
 *
 * Standalone it frames the blocks given to `update`; with `{ framer: false }` a SepmFramer shared with
 * the other pysepm measures calls `frame()`, and `compute(samples)` is told the stream's length (see
 * sepm-frames.ts).
 *
 * @example
 * const acc = new SepmSpectralAccumulator({ sampleRate: 16000 });
 * acc.update({ ref, deg });
 * const { fwSegSnr, wss } = acc.compute();
 */
import { FwSegSnrFrames } from './fwsegsnr.js';
import type { MetricAccumulator, SignalBlock } from './types.js';
import {
  SepmSpectralDriver,
  sepmGeometry,
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
  private readonly fw: FwSegSnrFrames;
  private readonly wss: WssFrames;
  private readonly driver: SepmSpectralDriver;

  constructor(options: SepmOptions) {
    const geometry = sepmGeometry(options.sampleRate);
    this.fw = new FwSegSnrFrames(geometry);
    this.wss = new WssFrames(geometry);
    this.driver = new SepmSpectralDriver(options, [this.fw, this.wss]);
  }

  get geometry(): SepmGeometry {
    return this.driver.geometry;
  }

  update(block: SignalBlock): void {
    this.driver.update(block);
  }

  /** One frame from a shared framer: samples [offset, offset + L) of ref and deg. */
  frame(ref: Float64Array, deg: Float64Array, offset: number): void {
    this.driver.frame(ref, deg, offset);
  }

  /** Both values over a stream of `samples` samples (default: what `update` saw; required with `framer: false`). */
  compute(samples?: number): SepmSpectralValue {
    const n = this.driver.input.samples(samples);
    return { fwSegSnr: this.fw.result(n), wss: this.wss.result(n) };
  }

  reset(): void {
    this.driver.reset();
  }
}
