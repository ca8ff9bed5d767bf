/**
 * CI-SDR, the convolutive-transfer-function-invariant SDR (Boeddeker et al., "Convolutive transfer
 * function invariant SDR training criteria for multi-channel reverberant speech separation",
 * ICASSP 2021; fgnt/ci_sdr `ci_sdr.pt.ci_sdr`, default filter_length = 512). For one source it is
 * BSS Eval v3's SDR (Vincent et al. 2006, Sec. III.B; mir_eval `bss_eval_sources`, flen = 512):
 *
 *   P s = s ∗ h,  h = argmin_h ‖s ∗ h − ŝ‖²  (causal FIR, L taps, both signals zero-padded by L−1)
 *   CI-SDR = 10·log10(‖P s‖² / ‖ŝ − P s‖²)
 *
 * The REFERENCE s is filtered (ci_sdr: `wiener_filter_predict_single_input(reference, estimation)`;
 * mir_eval: `_project(reference_sources[j], estimated_source)`), neither regularises the normal
 * equations (plain LU solve; mir_eval falls back to lstsq only for an exactly singular matrix), and
 * both compute correlations with FFTs long enough that no lag wraps around, i.e. exact linear
 * correlations of the zero-padded signals:
 *
 *   R h = c,  R = toeplitz(r[0..L−1]),  r[k] = Σ_n s[n]s[n+k],  c[k] = Σ_n s[n]ŝ[n+k].
 *
 * Because R is exactly the Gram matrix of the L delayed copies of s, ‖P s‖² = hᵀR h = hᵀc and
 * ‖ŝ − P s‖² = ‖ŝ‖² − hᵀc (orthogonality of the least-squares residual). The references form P s and
 * the residual as signals; we use the two scalar identities, so only r, c and ‖ŝ‖² are kept
 * (running sums, constant memory; the correlator keeps the last L−1 reference samples and one
 * FFT block). hᵀc is stationary at the solution, so it is insensitive to the solver's forward error
 * (cond(R) reaches 7.5e9 on the corpus); with the refined Levinson solution (src/dsp/toeplitz.ts)
 * the general form ‖ŝ‖² − 2hᵀc + hᵀRh was measured up to 80× noisier than ‖ŝ‖² − hᵀc, because
 * hᵀRh of an oscillating h cancels.
 *
 * Accuracy: r, c and ‖ŝ‖² carry rounding of ~1e-16 of ‖ŝ‖² (FFT correlations; direct sums are no
 * better), and ‖ŝ‖² − hᵀc cancels, so the error is about 4e-16·10^(CI-SDR/10) dB: 1e-8 dB at 74 dB
 * (measured 2.4e-8 on p19, the largest on the corpus; ≤ 4e-10 dB on every case below 30 dB),
 * ~1e-5 dB at 100 dB, and the value is pure rounding noise from ~150 dB up. The references square a
 * residual signal and sit at 200–270 dB for identical files or pure delays shorter than the filter,
 * values no other implementation can reproduce. We report anything at or above CI_SDR_PERFECT_DB
 * (120 dB: 30 dB of margin below our floor, 20 dB above what 16-bit audio can express) as null with
 * a reason starting with "perfect", rather than a number that is only rounding noise.
 *
 * Several sources: ci_sdr scores estimate k against reference k only (its `compute_permutation`
 * tries every permutation of the estimates and keeps the one with the largest summed CI-SDR).
 * mir_eval's multi-source SDR is the same per-pair value (s_filt = P_j ŝ and e_interf + e_artif =
 * ŝ − P_j ŝ), but it picks the permutation by mean SIR, which can differ. See `ciSdrPairs`.
 */
import { StreamingCorrelator } from '../dsp/correlation.js';
import { ToeplitzSolver, type ToeplitzSolveStatus } from '../dsp/toeplitz.js';
import { earshotError } from '../errors.js';
import { type MetricAccumulator, type MetricValue, type SignalBlock, nullValue, value } from './types.js';

/** Distortion filter length in taps (ci_sdr default `filter_length`, mir_eval `flen`). */
export const CI_SDR_FILTER_LENGTH = 512;

/**
 * At or above this CI-SDR (dB) the result is reported as null with reason "perfect…": the residual
 * energy is then within ~30 dB of this method's float64 rounding floor (about 150 dB).
 */
export const CI_SDR_PERFECT_DB = 120;

/**
 * At or below this CI-SDR (dB) the result is null ("uncorrelated"): less than 1e-12 of the
 * estimate's energy is explained by the filtered reference. An estimate with no overlap with any
 * delayed copy of the reference has c = 0 exactly, hᵀc = 0 and CI-SDR = −∞, but the FFT
 * correlations leave rounding (~1e-32·‖ŝ‖², −320 dB) instead of zero; real audio never gets close.
 */
export const CI_SDR_UNCORRELATED_DB = -120;

export interface CiSdrOptions {
  /** Filter length L in taps (default 512). */
  filterLength?: number;
  /**
   * 'auto' (default): `ToeplitzSolver.solve`, i.e. Levinson with one refinement step, dense
   * Cholesky if Levinson breaks down, minimal diagonal loading if R is singular in float64.
   * 'cholesky': always the plain dense Cholesky solve (L³/6 multiply-adds, 50–100 ms at L = 512
   * on this machine; for comparison).
   */
  solver?: 'auto' | 'cholesky';
}

/** How the last `compute` solved the normal equations (diagnostics). */
export type CiSdrSolveStatus = ToeplitzSolveStatus | 'not-solved';

const PERFECT_RATIO = 10 ** (-CI_SDR_PERFECT_DB / 10);
const UNCORRELATED_RATIO = 10 ** (CI_SDR_UNCORRELATED_DB / 10);

/**
 * Streaming CI-SDR over everything since the last `reset` (a global ratio, not a mean of windows).
 *
 * @example
 * const acc = new CiSdrAccumulator();
 * acc.update({ ref, deg });        // any block sizes, in order
 * acc.compute();                   // { value: 10.64 } (dB)
 */
export class CiSdrAccumulator implements MetricAccumulator<SignalBlock> {
  readonly filterLength: number;
  private readonly solver: 'auto' | 'cholesky';
  private readonly correlator: StreamingCorrelator;
  private readonly toeplitz: ToeplitzSolver;
  private readonly r: Float64Array;
  private readonly c: Float64Array;
  private readonly h: Float64Array;
  private refEnergy = 0;
  private degEnergy = 0;
  private status: CiSdrSolveStatus = 'not-solved';

  constructor(options: CiSdrOptions = {}) {
    const l = options.filterLength ?? CI_SDR_FILTER_LENGTH;
    if (!Number.isInteger(l) || l < 1) {
      throw earshotError('ERR_INVALID_ARGUMENT', `CI-SDR filterLength must be an integer ≥ 1, got ${l}`);
    }
    this.filterLength = l;
    this.solver = options.solver ?? 'auto';
    this.correlator = new StreamingCorrelator(l);
    this.toeplitz = new ToeplitzSolver(l);
    this.r = new Float64Array(l);
    this.c = new Float64Array(l);
    this.h = new Float64Array(l);
  }

  /** How the last `compute` solved R h = c. */
  get solveStatus(): CiSdrSolveStatus {
    return this.status;
  }

  update({ ref, deg }: SignalBlock): void {
    if (ref.length !== deg.length) {
      throw earshotError('ERR_INVALID_ARGUMENT', `ref and deg blocks must have the same length, got ${ref.length} and ${deg.length}`);
    }
    let er = this.refEnergy;
    let ed = this.degEnergy;
    for (let i = 0; i < ref.length; i++) {
      er += ref[i] * ref[i];
      ed += deg[i] * deg[i];
    }
    this.refEnergy = er;
    this.degEnergy = ed;
    this.correlator.push(ref, deg);
  }

  compute(): MetricValue {
    this.status = 'not-solved';
    if (this.correlator.length === 0) return nullValue('no samples');
    if (!Number.isFinite(this.refEnergy) || !Number.isFinite(this.degEnergy)) {
      return nullValue('input contains non-finite samples (NaN or ±Infinity)');
    }
    // Same order as mir_eval's validate(): a silent reference is reported first.
    if (!(this.refEnergy > 0)) return nullValue('reference is silent (all zeros)');
    if (!(this.degEnergy > 0)) {
      return nullValue('estimate is silent (all zeros): CI-SDR is 0/0 (ci_sdr gives NaN, mir_eval refuses)');
    }
    const { r, c, h } = this;
    const l = this.filterLength;
    this.correlator.correlations(r, c);
    let status: ToeplitzSolveStatus;
    if (this.solver === 'cholesky') status = this.toeplitz.cholesky(r, c, h) ? 'cholesky' : 'singular';
    else status = this.toeplitz.solve(r, c, h);
    this.status = status;
    if (status === 'singular') {
      return nullValue('reference autocorrelation matrix is singular: no distortion filter can be fitted');
    }
    let hc = 0; // ‖P s‖² = hᵀc
    for (let k = 0; k < l; k++) hc += h[k] * c[k];
    const residual = this.degEnergy - hc; // ‖ŝ − P s‖², by orthogonality
    if (!(hc > UNCORRELATED_RATIO * residual)) {
      return nullValue(`uncorrelated: the estimate is orthogonal to every delayed copy of the reference (CI-SDR ≤ ${CI_SDR_UNCORRELATED_DB} dB)`);
    }
    if (!(residual > PERFECT_RATIO * hc)) {
      return nullValue(`perfect: the residual is at the float64 noise floor (CI-SDR ≥ ${CI_SDR_PERFECT_DB} dB)`);
    }
    return value(10 * Math.log10(hc / residual));
  }

  reset(): void {
    this.correlator.reset();
    this.refEnergy = 0;
    this.degEnergy = 0;
    this.status = 'not-solved';
  }
}

/** One-shot CI-SDR of whole signals (same length). */
export function ciSdr(ref: Float64Array, deg: Float64Array, options: CiSdrOptions = {}): MetricValue {
  const acc = new CiSdrAccumulator(options);
  acc.update({ ref, deg });
  return acc.compute();
}

/**
 * CI-SDR of each pair (refs[k], ests[k]) for several sources whose estimates are already in the
 * order of the references: ci_sdr(refs, ests, compute_permutation=False) and mir_eval's
 * bss_eval_sources(..., compute_permutation=False) SDR. To reproduce ci_sdr's
 * compute_permutation=True, call this for each permutation of `ests` and keep the one with the
 * largest sum.
 */
export function ciSdrPairs(refs: Float64Array[], ests: Float64Array[], options: CiSdrOptions = {}): MetricValue[] {
  if (refs.length !== ests.length) {
    throw earshotError('ERR_INVALID_ARGUMENT', `expected as many estimates as references, got ${ests.length} and ${refs.length}`);
  }
  const acc = new CiSdrAccumulator(options);
  return refs.map((ref, k) => {
    acc.reset();
    acc.update({ ref, deg: ests[k] });
    return acc.compute();
  });
}
