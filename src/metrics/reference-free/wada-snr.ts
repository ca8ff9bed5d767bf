/**
 * Blind SNR of deg by waveform amplitude distribution analysis, WADA (C. Kim & R. M. Stern, "Robust
 * signal-to-noise ratio estimation based on waveform amplitude distribution analysis", Interspeech
 * 2008). Model: x = s + n, clean-speech amplitudes Gamma-distributed with shape α = 0.4 (random sign),
 * noise Gaussian. The statistic
 *     G = ln E|x| − E ln|x|                                   (the paper's G_x)
 * is scale-free and rises monotonically with SNR = 10·log10(E s² / E n²): from
 * ln√(2/π) + (γ + ln 2)/2 = 0.40939 (pure Gaussian noise) to ln α − ψ(α) = 1.64509 (pure Gamma speech).
 * We measure G from running sums and invert the model's G(SNR).
 *
 * The model's G(SNR) is computed here, once, by quadrature (no published table is copied). With the
 * noise scale fixed at 1 and A = θ·T, T ~ Gamma(α, 1), θ² = 10^(SNR/10)/(α(α+1)) (so E A² = SNR·1):
 *     E|x|    = E_T[ f1(θT) ],  f1(a) = E|a + Z| = a·erf(a/√2) + 2φ(a)            (folded normal mean)
 *     E ln|x| = E_T[ h(θT) ],   h(a) = E ln|a + Z| = ½[ln 2 + Σ_j Poisson(j; a²/2)·ψ(½ + j)]
 * (X² for X ~ N(a, 1) is a Poisson(a²/2) mixture of χ²_{1+2j}, and E ln χ²_k = ln 2 + ψ(k/2)); for
 * a ≥ 8 the asymptotic series h(a) = ln a − 1/(2a²) − 3/(4a⁴) − 5/(2a⁶) − 105/(8a⁸) (error < 1e-7) is
 * used. E_T is integrated over u = ln T, where the density e^{αu − e^u}/Γ(α) is smooth, with the
 * trapezoidal rule (step 0.05, u ∈ [−40, 4.2]) and normalised by the same rule, the tail below −40
 * added in closed form. The table spans −20..100 dB (the paper's range) every 0.5 dB and is read by
 * linear interpolation. Monte Carlo draws from the model agree with it (test/…/wada-snr.test.ts).
 *
 * Practice: samples exactly 0 are left out (digital silence has no amplitude to analyse, and ln 0 is
 * −∞). G below the −20 dB entry or above the 100 dB one gives null with a reason. WADA assumes
 * Gaussian noise: uniform noise (e.g. sox `whitenoise`) reads low, and clean speech that is not
 * Gamma(0.4)-like reads 20–35 dB rather than "infinite"; see docs/reference-free.md for the measured error.
 * Σ ln|x| is taken as the log of running products of 16 samples (renormalised before under/overflow),
 * ~10× cheaper than one log per sample and exact to ~1e-15 per product; the grouping depends only on
 * the sample sequence, so any block cutting gives the identical sum.
 */
import { WADA_G_TABLE } from './wada-table.js';
import { type MetricAccumulator, type MetricValue, nullValue, value } from '../types.js';
import { type DegBlock, DegHopFamily, SHORT_REASON, SILENT_REASON, finite, } from './types.js';

/** Gamma shape of clean-speech amplitudes (Kim & Stern 2008). */
export const WADA_ALPHA = 0.4;
/** Table range and step, dB. */
export const WADA_MIN_DB = -20;
export const WADA_MAX_DB = 100;
export const WADA_STEP_DB = 0.5;
/** Fewest non-zero samples for an estimate: 0.5 s at 8 kHz (G's sampling error ≈ 1.1/√N ≈ 0.017, ±0.6 dB near 10 dB). */
export const WADA_MIN_SAMPLES = 4000;
/** Samples multiplied before one log. */
const PRODUCT_LENGTH = 16;
/** The product is closed before it leaves [1e-150, 1e150]; samples outside that range take their own
 * log. Both bounds keep every product of two factors inside the normal float64 range. */
const PRODUCT_LOW = 1e-150;
const PRODUCT_HIGH = 1e150;

const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const EULER_GAMMA = 0.5772156649015329;
const LN2 = Math.LN2;

/** erf(x) to ~1e-14: Maclaurin series below 3, continued fraction of erfc above (Abramowitz & Stegun 7.1.5, 7.1.14). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    const x2 = ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/** E|a + Z|, Z ~ N(0, 1) (mean of the folded normal). */
export function foldedNormalMean(a: number): number {
  return a * erf(a / SQRT2) + 2 * INV_SQRT_2PI * Math.exp(-0.5 * a * a);
}

/** E ln|a + Z|, Z ~ N(0, 1). */
export function expectedLogAbsNormal(a: number): number {
  a = Math.abs(a);
  if (a >= 8) {
    const i2 = 1 / (a * a);
    return Math.log(a) - i2 * (0.5 + i2 * (0.75 + i2 * (2.5 + i2 * 13.125)));
  }
  const lambda = 0.5 * a * a;
  let p = Math.exp(-lambda); // Poisson(0; λ)
  let psi = -EULER_GAMMA - 2 * LN2; // ψ(1/2)
  let sum = p * psi;
  for (let j = 1; j < 1000; j++) {
    p *= lambda / j;
    psi += 1 / (j - 0.5); // ψ(x + 1) = ψ(x) + 1/x
    sum += p * psi;
    if (j > lambda && p < 1e-18) break;
  }
  return 0.5 * (LN2 + sum);
}

const U_MIN = -40;
const U_MAX = 4.2;
const U_STEP = 0.05;

/** The model's G at a given SNR, dB (pure; ~0.9k evaluations of the integrands). */
export function wadaModelG(snrDb: number): number {
  const alpha = WADA_ALPHA;
  const theta = Math.sqrt(10 ** (snrDb / 10) / (alpha * (alpha + 1)));
  const steps = Math.round((U_MAX - U_MIN) / U_STEP);
  let z = 0;
  let e1 = 0;
  let e2 = 0;
  for (let k = 0; k <= steps; k++) {
    const u = U_MIN + k * U_STEP;
    const t = Math.exp(u);
    const w = (k === 0 || k === steps ? 0.5 : 1) * Math.exp(alpha * u - t);
    const a = theta * t;
    z += w;
    e1 += w * foldedNormalMean(a);
    e2 += w * expectedLogAbsNormal(a);
  }
  // Below U_MIN, e^{−t} ≈ 1 and the integrands equal their value at a ≈ 0: ∫ e^{αu} du = e^{αU}/α.
  const tail = Math.exp(alpha * U_MIN) / alpha / U_STEP;
  const a0 = theta * Math.exp(U_MIN);
  z += tail;
  e1 += tail * foldedNormalMean(a0);
  e2 += tail * expectedLogAbsNormal(a0);
  return Math.log(e1 / z) - e2 / z;
}

/**
 * G at WADA_MIN_DB + k·WADA_STEP_DB: the committed table (tools/make-wada-table.ts computes it with
 * `wadaModelG`; a test checks that it still does), so no process pays the integration at start-up.
 */
export function wadaTable(): Float64Array {
  return WADA_G_TABLE;
}

/** SNR estimate from the statistic G (pure), or null with a reason outside the table. */
export function wadaSnrFromG(g: number): MetricValue {
  const t = wadaTable();
  if (!Number.isFinite(g)) return nullValue('non-finite input samples');
  if (!(g >= t[0])) return nullValue(`SNR below ${WADA_MIN_DB} dB (amplitudes no less Gaussian than noise alone)`);
  if (g > t[t.length - 1]) return nullValue(`SNR above ${WADA_MAX_DB} dB (beyond the WADA model)`);
  let lo = 0;
  let hi = t.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (t[mid] <= g) lo = mid;
    else hi = mid;
  }
  const f = t[hi] > t[lo] ? (g - t[lo]) / (t[hi] - t[lo]) : 0;
  return value(WADA_MIN_DB + (lo + f) * WADA_STEP_DB);
}

/** Per-hop sums for a live window (valid during the callback). */
export interface WadaHop {
  index: number;
  /** Non-zero samples in the hop. */
  count: number;
  /** Σ|x| and Σ ln|x| over them. */
  absSum: number;
  logSum: number;
}

export interface WadaOptions {
  sampleRate: number;
  onHop?: (hop: WadaHop) => void;
}

export class WadaSnrAccumulator extends DegHopFamily implements MetricAccumulator<DegBlock, MetricValue> {
  private readonly onHop?: (hop: WadaHop) => void;
  private readonly hopRecord: WadaHop = { index: 0, count: 0, absSum: 0, logSum: 0 };
  private count = 0;
  private absSum = 0;
  private logSum = 0;
  private hopCount = 0;
  private hopAbs = 0;
  private hopLog = 0;
  private product = 1;
  private productLength = 0;
  private samples = 0;
  private hops = 0;

  constructor({ sampleRate, onHop }: WadaOptions) {
    super(sampleRate);
    this.onHop = onHop;
  }

  /** @internal */
  segment(deg: Float64Array, _noisy: Float64Array | undefined, start: number, end: number): void {
    let count = this.hopCount;
    let abs = this.hopAbs;
    let log = this.hopLog;
    let prod = this.product;
    let len = this.productLength;
    for (let i = start; i < end; i++) {
      const v = Math.abs(deg[i]);
      if (v === 0) continue;
      count++;
      abs += v;
      if (v < PRODUCT_LOW || v > PRODUCT_HIGH) {
        log += Math.log(v);
        continue;
      }
      prod *= v;
      if (++len === PRODUCT_LENGTH || prod < PRODUCT_LOW || prod > PRODUCT_HIGH) {
        log += Math.log(prod);
        prod = 1;
        len = 0;
      }
    }
    this.hopCount = count;
    this.hopAbs = abs;
    this.hopLog = log;
    this.product = prod;
    this.productLength = len;
    this.samples += end - start;
  }

  /** @internal */
  hopEnd(): void {
    // Close the running product at every hop so per-hop sums are exact.
    if (this.productLength > 0) this.hopLog += Math.log(this.product);
    this.product = 1;
    this.productLength = 0;
    this.count += this.hopCount;
    this.absSum += this.hopAbs;
    this.logSum += this.hopLog;
    if (this.onHop) {
      const r = this.hopRecord;
      r.index = this.hops;
      r.count = this.hopCount;
      r.absSum = this.hopAbs;
      r.logSum = this.hopLog;
      this.onHop(r);
    }
    this.hops++;
    this.hopCount = 0;
    this.hopAbs = 0;
    this.hopLog = 0;
  }

  /** The statistic G of the samples so far, or null when there are none. */
  statistic(): number | null {
    const count = this.count + this.hopCount;
    if (count === 0) return null;
    const abs = this.absSum + this.hopAbs;
    const log = this.logSum + this.hopLog + (this.productLength > 0 ? Math.log(this.product) : 0);
    return Math.log(abs / count) - log / count;
  }

  compute(): MetricValue {
    if (this.problem) return nullValue(this.problem);
    if (this.samples < 2 * this.hop) return nullValue(SHORT_REASON);
    const count = this.count + this.hopCount;
    if (count === 0) return nullValue(SILENT_REASON);
    if (count < WADA_MIN_SAMPLES) return nullValue(`needs at least ${WADA_MIN_SAMPLES} non-zero samples, got ${count}`);
    return finite(wadaSnrFromG(this.statistic()!));
  }

  reset(): void {
    this.splitter.reset();
    this.count = this.hopCount = this.samples = this.hops = this.productLength = 0;
    this.absSum = this.logSum = this.hopAbs = this.hopLog = 0;
    this.product = 1;
  }
}

/** G of a whole signal in one pass (pure; for tests and tools). */
export function wadaStatistic(x: Float64Array): number | null {
  let count = 0;
  let abs = 0;
  let log = 0;
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i]);
    if (v === 0) continue;
    count++;
    abs += v;
    log += Math.log(v);
  }
  return count === 0 ? null : Math.log(abs / count) - log / count;
}
