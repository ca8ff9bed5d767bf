/**
 * Source-aggregated SDR (von Neumann et al., ICASSP 2022), golden.json `meta.formulas.sa_sdr`:
 * SA-SDR = 10·log10(Σₖ‖sₖ‖² / Σₖ‖sₖ − ŝ_π(k)‖²) over all speakers at once, for the permutation π
 * of the estimates that maximises it. Running sums of ‖sₖ‖² and of ‖sₖ − ŝⱼ‖² for every (k, j)
 * pair, so the best permutation can be chosen at `compute` without keeping any signal.
 */
import { earshotError } from '../errors.js';
import { type MetricAccumulator, type MetricValue, nullValue, ratioDb } from './types.js';

/** Above this many speakers the K! permutation search is refused (8! = 40320 is still instant). */
export const MAX_SPEAKERS = 8;

export interface MultiSignalBlock {
  refs: Float64Array[];
  degs: Float64Array[];
}

export interface SaSdrResult extends MetricValue {
  /** permutation[k] = index of the estimate matched to reference k. */
  permutation: number[];
}

export class SaSdrAccumulator implements MetricAccumulator<MultiSignalBlock, SaSdrResult> {
  readonly speakers: number;
  private readonly refEnergy: Float64Array; // [k]
  private readonly pairError: Float64Array; // [k·K + j] = ‖s_k − ŝ_j‖²
  private samples = 0;

  constructor(speakers: number) {
    if (!Number.isInteger(speakers) || speakers < 1 || speakers > MAX_SPEAKERS) {
      throw earshotError('ERR_INVALID_ARGUMENT', `SA-SDR needs 1..${MAX_SPEAKERS} speakers, got ${speakers}`);
    }
    this.speakers = speakers;
    this.refEnergy = new Float64Array(speakers);
    this.pairError = new Float64Array(speakers * speakers);
  }

  update({ refs, degs }: MultiSignalBlock): void {
    const k = this.speakers;
    if (refs.length !== k || degs.length !== k) {
      throw earshotError('ERR_INVALID_ARGUMENT', `expected ${k} refs and ${k} estimates, got ${refs.length} and ${degs.length}`);
    }
    const n = refs[0].length;
    for (let a = 0; a < k; a++) {
      const s = refs[a];
      let e = this.refEnergy[a];
      for (let i = 0; i < n; i++) e += s[i] * s[i];
      this.refEnergy[a] = e;
      for (let b = 0; b < k; b++) {
        const d = degs[b];
        let err = this.pairError[a * k + b];
        for (let i = 0; i < n; i++) {
          const diff = s[i] - d[i];
          err += diff * diff;
        }
        this.pairError[a * k + b] = err;
      }
    }
    this.samples += n;
  }

  /** The permutation minimising Σₖ‖sₖ − ŝ_π(k)‖² (which maximises SA-SDR), first found on ties. */
  bestPermutation(): number[] {
    const k = this.speakers;
    let best: number[] = [];
    let bestError = Infinity;
    for (const perm of permutations(k)) {
      let err = 0;
      for (let a = 0; a < k; a++) err += this.pairError[a * k + perm[a]];
      if (err < bestError) {
        bestError = err;
        best = perm.slice();
      }
    }
    return best;
  }

  compute(): SaSdrResult {
    const permutation = this.bestPermutation();
    if (this.samples === 0) return { ...nullValue('no samples'), permutation };
    let num = 0;
    let den = 0;
    for (let a = 0; a < this.speakers; a++) {
      num += this.refEnergy[a];
      den += this.pairError[a * this.speakers + permutation[a]];
    }
    return { ...ratioDb(num, den, 'all references are silent (all zeros)'), permutation };
  }

  reset(): void {
    this.refEnergy.fill(0);
    this.pairError.fill(0);
    this.samples = 0;
  }
}

/** All permutations of 0..n−1 in lexicographic order (identity first). */
export function* permutations(n: number): Generator<number[]> {
  const p = Array.from({ length: n }, (_, i) => i);
  yield p.slice();
  for (;;) {
    let i = n - 2;
    while (i >= 0 && p[i] >= p[i + 1]) i--;
    if (i < 0) return;
    let j = n - 1;
    while (p[j] <= p[i]) j--;
    [p[i], p[j]] = [p[j], p[i]];
    for (let a = i + 1, b = n - 1; a < b; a++, b--) [p[a], p[b]] = [p[b], p[a]];
    yield p.slice();
  }
}
