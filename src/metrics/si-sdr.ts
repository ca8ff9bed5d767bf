/**
 * Scale-invariant SDR (Le Roux et al. 2019), golden.json `meta.formulas.si_sdr`:
 * s = ref − mean(ref), y = deg − mean(deg), α = ⟨y, s⟩ / ‖s‖², SI-SDR = 10·log10(‖αs‖² / ‖αs − y‖²).
 * Kept as running sums of r, d, r², d², r·d (constant memory); the means are removed algebraically:
 * ‖αs − y‖² = ‖y‖² − ⟨y, s⟩² / ‖s‖².
 */
import { type MetricAccumulator, type MetricValue, type SignalBlock, nullValue, ratioDb } from './types.js';

export class SiSdrAccumulator implements MetricAccumulator {
  private n = 0;
  private sumR = 0;
  private sumD = 0;
  private sumRR = 0;
  private sumDD = 0;
  private sumRD = 0;

  update({ ref, deg }: SignalBlock): void {
    let sr = this.sumR;
    let sd = this.sumD;
    let srr = this.sumRR;
    let sdd = this.sumDD;
    let srd = this.sumRD;
    for (let i = 0; i < ref.length; i++) {
      const r = ref[i];
      const d = deg[i];
      sr += r;
      sd += d;
      srr += r * r;
      sdd += d * d;
      srd += r * d;
    }
    this.sumR = sr;
    this.sumD = sd;
    this.sumRR = srr;
    this.sumDD = sdd;
    this.sumRD = srd;
    this.n += ref.length;
  }

  compute(): MetricValue {
    const n = this.n;
    if (n === 0) return nullValue('no samples');
    const ss = this.sumRR - (this.sumR * this.sumR) / n; // ‖s‖²
    const yy = this.sumDD - (this.sumD * this.sumD) / n; // ‖y‖²
    const ys = this.sumRD - (this.sumR * this.sumD) / n; // ⟨y, s⟩
    if (!(ss > 0)) return nullValue('reference is silent or constant (zero energy after mean removal)');
    if (!(yy > 0)) return nullValue('degraded signal is silent or constant (zero energy after mean removal)');
    const target = (ys * ys) / ss; // ‖αs‖²
    const residual = Math.max(0, yy - target); // rounding can push an exact fit a hair below zero
    if (target === 0) return nullValue('degraded signal is uncorrelated with the reference (SI-SDR = −∞)');
    return ratioDb(target, residual);
  }

  /** Add another accumulator's sums (a window is the merge of its hops). */
  merge(o: SiSdrAccumulator): void {
    this.n += o.n;
    this.sumR += o.sumR;
    this.sumD += o.sumD;
    this.sumRR += o.sumRR;
    this.sumDD += o.sumDD;
    this.sumRD += o.sumRD;
  }

  reset(): void {
    this.n = this.sumR = this.sumD = this.sumRR = this.sumDD = this.sumRD = 0;
  }
}
