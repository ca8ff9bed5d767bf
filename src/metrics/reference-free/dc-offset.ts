/**
 * DC offset of deg: the mean sample value, in full-scale units (−1..1; 0.01 is 1 % of full scale,
 * −40 dBFS as a level). A running sum; the mean of all samples since reset.
 */
import { type MetricAccumulator, type MetricValue, nullValue, value } from '../types.js';
import { type DegBlock, DegHopFamily, SHORT_REASON, SILENT_REASON, finite, } from './types.js';

/** Per-hop values for a live window (valid during the callback). */
export interface DcOffsetHop {
  index: number;
  samples: number;
  /** Σx over the hop. */
  sum: number;
}

export interface DcOffsetOptions {
  sampleRate: number;
  onHop?: (hop: DcOffsetHop) => void;
}

export class DcOffsetAccumulator extends DegHopFamily implements MetricAccumulator<DegBlock, MetricValue> {
  private readonly onHop?: (hop: DcOffsetHop) => void;
  private readonly hopRecord: DcOffsetHop = { index: 0, samples: 0, sum: 0 };
  private sum = 0;
  private samples = 0;
  private nonZero = false;
  private hopSum = 0;
  private hopFill = 0;
  private hops = 0;

  constructor({ sampleRate, onHop }: DcOffsetOptions) {
    super(sampleRate);
    this.onHop = onHop;
  }

  /** @internal */
  segment(deg: Float64Array, _noisy: Float64Array | undefined, start: number, end: number): void {
    let s = this.hopSum;
    let nz = this.nonZero;
    for (let i = start; i < end; i++) {
      const x = deg[i];
      s += x;
      if (x !== 0) nz = true;
    }
    this.hopSum = s;
    this.nonZero = nz;
    this.hopFill += end - start;
  }

  /** @internal */
  hopEnd(): void {
    this.sum += this.hopSum;
    this.samples += this.hopFill;
    if (this.onHop) {
      const r = this.hopRecord;
      r.index = this.hops;
      r.samples = this.hopFill;
      r.sum = this.hopSum;
      this.onHop(r);
    }
    this.hops++;
    this.hopSum = 0;
    this.hopFill = 0;
  }

  compute(): MetricValue {
    if (this.problem) return nullValue(this.problem);
    const n = this.samples + this.hopFill;
    if (n < 2 * this.hop) return nullValue(SHORT_REASON);
    if (!this.nonZero) return nullValue(SILENT_REASON);
    return finite(value((this.sum + this.hopSum) / n));
  }

  reset(): void {
    this.splitter.reset();
    this.sum = this.hopSum = 0;
    this.samples = this.hopFill = this.hops = 0;
    this.nonZero = false;
  }
}
