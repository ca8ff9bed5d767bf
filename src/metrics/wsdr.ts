/**
 * Weighted SDR loss of Choi et al. (DCUnet, ICLR 2019), as DCUnet.pytorch's `wSDRLoss`
 * (golden.json `meta.formulas.wsdr`): with noise n = x − s and its estimate n̂ = x − ŝ,
 *   mSDR(o, e) = −⟨o, e⟩ / (‖o‖·‖e‖ + ε),  a = ‖s‖² / (‖s‖² + ‖n‖² + ε),
 *   wSDR = a·mSDR(s, ŝ) + (1 − a)·mSDR(n, n̂), in [−1, 1], −1 is perfect (lower is better).
 * Needs the noisy input x. Running sums only.
 */
import { type MetricAccumulator, type MetricValue, type SignalBlock, nullValue, value } from './types.js';

/** DCUnet.pytorch's eps (train.py wSDRLoss default). */
export const WSDR_EPS = 2e-7;

export class WsdrAccumulator implements MetricAccumulator {
  private ss = 0; // ‖s‖²
  private dd = 0; // ‖ŝ‖²
  private sd = 0; // ⟨s, ŝ⟩
  private nn = 0; // ‖n‖²
  private mm = 0; // ‖n̂‖²
  private nm = 0; // ⟨n, n̂⟩
  private samples = 0;
  private missingNoisy = false;

  update({ ref, deg, noisy }: SignalBlock): void {
    if (!noisy) {
      if (ref.length > 0) this.missingNoisy = true;
      return;
    }
    let ss = this.ss, dd = this.dd, sd = this.sd, nn = this.nn, mm = this.mm, nm = this.nm;
    for (let i = 0; i < ref.length; i++) {
      const s = ref[i];
      const d = deg[i];
      const x = noisy[i];
      const n = x - s;
      const m = x - d;
      ss += s * s;
      dd += d * d;
      sd += s * d;
      nn += n * n;
      mm += m * m;
      nm += n * m;
    }
    this.ss = ss; this.dd = dd; this.sd = sd; this.nn = nn; this.mm = mm; this.nm = nm;
    this.samples += ref.length;
  }

  compute(): MetricValue {
    if (this.missingNoisy) return nullValue('needs the noisy input (--noisy)');
    if (this.samples === 0) return nullValue('no samples');
    if (!(this.ss > 0)) return nullValue('reference is silent (all zeros)');
    const mSdrClean = -this.sd / (Math.sqrt(this.ss) * Math.sqrt(this.dd) + WSDR_EPS);
    const mSdrNoise = -this.nm / (Math.sqrt(this.nn) * Math.sqrt(this.mm) + WSDR_EPS);
    const a = this.ss / (this.ss + this.nn + WSDR_EPS);
    return value(a * mSdrClean + (1 - a) * mSdrNoise);
  }

  /** Add another accumulator's sums (a window is the merge of its hops). */
  merge(o: WsdrAccumulator): void {
    this.ss += o.ss;
    this.dd += o.dd;
    this.sd += o.sd;
    this.nn += o.nn;
    this.mm += o.mm;
    this.nm += o.nm;
    this.samples += o.samples;
    this.missingNoisy ||= o.missingNoisy;
  }

  reset(): void {
    this.ss = this.dd = this.sd = this.nn = this.mm = this.nm = 0;
    this.samples = 0;
    this.missingNoisy = false;
  }
}
