/**
 * Global energy ratios from running sums (constant memory, exact for any block cutting):
 * - SNR = 10·log10(‖s‖² / ‖s − ŝ‖²), no mean removal, no eps (golden.json `meta.formulas.snr`).
 * - MSE = mean (s − ŝ)².
 */
import { type MetricAccumulator, type MetricValue, type SignalBlock, nullValue, ratioDb, value } from './types.js';

export class SnrAccumulator implements MetricAccumulator {
  private refEnergy = 0;
  private errorEnergy = 0;
  private samples = 0;

  update({ ref, deg }: SignalBlock): void {
    // Accumulate straight into the running totals so any block cutting gives bit-identical sums.
    let re = this.refEnergy;
    let ee = this.errorEnergy;
    for (let i = 0; i < ref.length; i++) {
      const r = ref[i];
      const e = r - deg[i];
      re += r * r;
      ee += e * e;
    }
    this.refEnergy = re;
    this.errorEnergy = ee;
    this.samples += ref.length;
  }

  compute(): MetricValue {
    if (this.samples === 0) return nullValue('no samples');
    return ratioDb(this.refEnergy, this.errorEnergy);
  }

  /** Mean squared error since reset (on the [-1, 1) scale). */
  computeMse(): MetricValue {
    if (this.samples === 0) return nullValue('no samples');
    return value(this.errorEnergy / this.samples);
  }

  /** Samples fed since reset. */
  get sampleCount(): number {
    return this.samples;
  }

  /** Add another accumulator's sums (a window is the merge of its hops). */
  merge(other: SnrAccumulator): void {
    this.refEnergy += other.refEnergy;
    this.errorEnergy += other.errorEnergy;
    this.samples += other.samples;
  }

  reset(): void {
    this.refEnergy = 0;
    this.errorEnergy = 0;
    this.samples = 0;
  }
}
