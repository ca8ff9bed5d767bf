/**
 * PMSQE, the Perceptual Metric for Speech Quality Evaluation (Martín-Doñas, Gomez, Gonzalez &
 * Peinado, IEEE SPL 2018), exactly as asteroid's `SingleSrcPMSQE` computes it with its defaults
 * (sqrt-Hann window, window_weight 1, bark_eq and gain_eq on, no padding mask), fed POWER spectra
 * from the asteroid_filterbanks STFT front end (golden.json `meta.metric_keys.pmsqe`, `meta.notes`).
 * Lower is better; identical signals give a small positive floor (the 1e-8 terms), not 0.
 *
 * Pipeline (reference: asteroid/losses/pmsqe.py, commit 92c8d83a; asteroid_filterbanks 0.4.0):
 *  1. STFT: frame t covers samples [t·N/2, t·N/2 + N), N = 512 at 16 kHz, 256 at 8 kHz, no padding;
 *     periodic sqrt-Hann window; X_k = Σ w[n]x[n]e^{−2πikn/N} / (0.5·sqrt(2N)), real part of the DC
 *     and Nyquist bins further / sqrt(2) (STFTFB's filter normalisation); P_k = re² + im² + 1e-8
 *     (`transforms.mag` adds 1e-8 under its square root; the loss is fed mag²).
 *  2. SLL normalisation (P.862's speech-level alignment): P ← 1e7·P / mean_t,k(mask_k·P_tk), the mean
 *     taken over ALL frames of the signal, separately for ref and deg.
 *  3. Bark spectrum B_b = Sp·Σ_k M_kb·P_k (49 bands at 16 kHz, 42 at 8 kHz).
 *  4. Frequency equalisation of deg, one gain per band from sums over ALL speech-active ref frames
 *     (Σ_b ref_b·[ref_b > 100·T_b] ≥ 1e7), over bins with ref_b ≥ 100·T_b:
 *     eq_b = clamp((Σ ref_b + 1000)/(Σ deg_b + 1000), 0.01, 100).
 *  5. Per-frame gain equalisation: g = clamp((A_ref + 5e3)/(A_deg + 5e3), 3e-4, 5), A = audible power
 *     Σ_b B_b·[B_b > T_b].
 *  6. Zwicker loudness L_b = Sl·(T_b/0.5)^γ_b·((0.5 + 0.5·B_b/T_b)^γ_b − 1), 0 below T_b; symmetric
 *     disturbance D_b = max(|L_deg − L_ref| − 0.25·min(L_ref, L_deg), 1e-8); asymmetry factor
 *     h_b = ((B_deg + 50)/(B_ref + 50))^1.2, 0 below 3, capped at 12; DA_b = h_b·D_b.
 *  7. Per frame: wD = min(sqrt(Σ_b (D_b·W_b)² + 1e-8) · sqrt(Σ W_b) / ω, 45),
 *     wDA = min(Σ_b DA_b·W_b / ω, 45), ω = ((A_ref + 1e5)/1e7)^0.04 (W_b = band width in Bark);
 *     frame value 0.1·wD + 0.0309·wDA; PMSQE = mean over frames.
 *
 * Whole-utterance state: steps 2 and 4 use statistics over every frame, and both act before
 * non-linear thresholds, so no frame's contribution is known until the signal ends. The minimum the
 * exact reference needs is kept: per frame, the un-normalised Bark spectra of ref and deg (2 × 49
 * float64 at 16 kHz, ≈ 49 kB per second of audio) and the two masked-power sums; `compute()` then
 * makes two passes over them (O(frames)). The option `windowFrames` bounds memory: only the latest K
 * frames are kept and `compute()` is the reference PMSQE of exactly those K frames (as if the excerpt
 * [first frame start, last frame end) had been given to asteroid).
 */
import { realFftPlan, type RealFftPlan } from '../dsp/fft.js';
import { pmsqeTables, type PmsqeTables } from '../dsp/pmsqe-tables.js';
import { sqrtHannPeriodic } from '../dsp/window.js';
import { earshotError } from '../errors.js';
import { type MetricAccumulator, type MetricValue, type SignalBlock, nullValue, value } from './types.js';

/** `transforms.mag` regulariser, added to re² + im² (power units of the scaled STFT). */
const MAG_EPS = 1e-8;
/** SLL target level: spectra are scaled so their masked mean power is 1e7 (pmsqe.py). */
const SLL_TARGET_POWER = 1e7;
/** Frequency equalisation: a frame is speech-active when its audible power over 100·T_b is ≥ 1e7. */
const EQ_THRESHOLD_FACTOR = 100;
const EQ_ACTIVE_POWER = 1e7;
const EQ_OFFSET = 1000;
const EQ_MIN = 0.01;
const EQ_MAX = 100;
/** Gain equalisation (per frame). */
const GAIN_OFFSET = 5e3;
const GAIN_MIN = 3e-4;
const GAIN_MAX = 5;
/** Loudness masking: a quarter of the smaller loudness is inaudible (PESQ's centre clipping). */
const MASKING = 0.25;
/** Floor of the symmetric disturbance and the epsilon inside the L2 norm (the reference's EPS). */
const DIST_EPS = 1e-8;
/** Asymmetry factor: ((deg + 50)/(ref + 50))^1.2, zero below 3, capped at 12. */
const ASYM_OFFSET = 50;
const ASYM_EXPONENT = 1.2;
const ASYM_MIN = 3;
const ASYM_MAX = 12;
/**
 * Ratios below this cannot reach ASYM_MIN after ^1.2, so the power is skipped for them; the margin
 * keeps ratios within rounding of the boundary on the exact path (pow, then compare with 3).
 */
const ASYM_RATIO_SKIP = Math.pow(ASYM_MIN, 1 / ASYM_EXPONENT) * (1 - 1e-9);
/** Frame weighting by the reference's audible power: ((A + 1e5)/1e7)^0.04. */
const WEIGHT_OFFSET = 1e5;
const WEIGHT_SCALE = 1e7;
const WEIGHT_EXPONENT = 0.04;
/** Per-frame disturbances are capped at 45. */
const FRAME_MAX = 45;
/** Mix of symmetric and asymmetric disturbance: alpha = 0.1, beta = 0.309·alpha (paper, eq. 12). */
const ALPHA = 0.1;
const BETA = 0.309 * ALPHA;

export const PMSQE_UNSUPPORTED_RATE_REASON = 'PMSQE is defined at 8 and 16 kHz; resample first';

export interface PmsqeOptions {
  sampleRate: number;
  /**
   * What the loss is fed: 'power' (|X|², the default, as the forward() docstring and the PMSQE design
   * say) or 'magnitude' (|X|, as asteroid's class docstring example and unit tests do;
   * golden.json `pmsqe_magnitude_input`).
   */
  spectrum?: 'power' | 'magnitude';
  /** Keep only the latest K frames (bounded memory); compute() is PMSQE of those frames. */
  windowFrames?: number;
  /**
   * Most frames held for replay when scoring the whole signal (default: all). Past it the
   * accumulator scores in three passes over the same input in constant memory (SLL means, then the
   * frequency equaliser, then the frame values): `needsAnotherPass`, `beginNextPass`. Same value.
   */
  maxReplayFrames?: number;
}

/** Count, mean and sample variance (n − 1; null below 2 frames) of the per-frame values. */
/** Frames hop by half a frame: standard-error span 2 (running-stats.ts). */
export const PMSQE_SE_SPAN = 2;

export interface PmsqeFrameStats {
  count: number;
  mean: number;
  variance: number | null;
}

/** Working buffers of the STFT front end for one sample rate. Not re-entrant. */
export interface PmsqeFrontEnd {
  readonly tables: PmsqeTables;
  readonly window: Float64Array;
  readonly fft: RealFftPlan;
  /** Windowed frame (N) and interleaved spectrum (N + 2), scratch. */
  readonly windowed: Float64Array;
  readonly fftOut: Float64Array;
  /** Power of the STFTFB scaling 1/(0.5·sqrt(2N)), i.e. 2/N. */
  readonly powerScale: number;
  readonly magnitude: boolean;
  /** Per-band bin sums (bands + 1: the last slot collects bins outside every band), scratch. */
  readonly bandSums: Float64Array;
}

/** Window, FFT plan and scratch for `pmsqeFrameBark` at the tables' rate (build once, reuse). */
export function pmsqeFrontEnd(tables: PmsqeTables, spectrum: 'power' | 'magnitude' = 'power'): PmsqeFrontEnd {
  const n = tables.fftSize;
  const norm = 0.5 * Math.sqrt((n * n) / tables.hop);
  return {
    tables,
    window: sqrtHannPeriodic(n),
    fft: realFftPlan(n),
    windowed: new Float64Array(n),
    fftOut: new Float64Array(n + 2),
    powerScale: 1 / (norm * norm),
    magnitude: spectrum === 'magnitude',
    bandSums: new Float64Array(tables.bands + 1),
  };
}

/**
 * One frame through the front end: the STFTFB spectrum's power (or magnitude) in `spectrum`
 * (length N/2 + 1), then its un-normalised Bark spectrum Sp·M·P into `bark[barkOffset ..]`.
 * Returns Σ_k mask_k·P_k (P being whatever spectrum the loss is fed), the frame's share of the SLL
 * mean. Allocates nothing.
 */
export function pmsqeFrameBark(
  fe: PmsqeFrontEnd,
  frame: Float64Array,
  spectrum: Float64Array,
  bark: Float64Array,
  barkOffset: number,
): number {
  const t = fe.tables;
  const n = t.fftSize;
  const w = fe.window;
  const x = fe.windowed;
  for (let i = 0; i < n; i++) x[i] = w[i] * frame[i];
  const out = fe.fftOut;
  fe.fft.forward(x, out);
  const s = fe.powerScale;
  const half = n / 2;
  const mag = fe.magnitude;
  const mask = t.sllMask;
  const bandOf = t.bandOfBin;
  const acc = fe.bandSums.fill(0);
  // One pass over the bins: power (or magnitude), SLL sum and Bark band sums. STFTFB divides the
  // real rows of DC and Nyquist by sqrt(2), i.e. their power by 2. The mask is zero outside the SLL
  // bins and a bin outside every band adds into the spare slot acc[bands], so nothing changes.
  let sll = 0;
  for (let k = 0; k <= half; k++) {
    const re = out[2 * k];
    const im = out[2 * k + 1];
    const reSq = k === 0 || k === half ? 0.5 * re * re : re * re;
    let p = (reSq + im * im) * s + MAG_EPS;
    if (mag) p = Math.sqrt(p);
    spectrum[k] = p;
    sll += mask[k] * p;
    acc[bandOf[k]] += p;
  }
  const weight = t.bandWeight;
  for (let b = 0; b < t.bands; b++) bark[barkOffset + b] = t.sp * weight[b] * acc[b];
  return sll;
}

/**
 * PMSQE of one frame (steps 5–7): ref Bark spectrum `refScale·ref[refOffset ..]` (SLL-normalised),
 * deg Bark spectrum `degScale·eq_b·deg[degOffset ..]` (SLL-normalised and frequency-equalised).
 * Returns 0.1·wD + 0.0309·wDA.
 */
export function pmsqeFrameValue(
  t: PmsqeTables,
  ref: Float64Array,
  refOffset: number,
  refScale: number,
  deg: Float64Array,
  degOffset: number,
  degScale: number,
  eq: Float64Array,
): number {
  const nb = t.bands;
  const thr = t.absThresh;
  // Audible powers (strict '>' as compute_audible_power).
  let audRef = 0;
  let audDeg = 0;
  for (let b = 0; b < nb; b++) {
    const r = refScale * ref[refOffset + b];
    if (r > thr[b]) audRef += r;
    const d = eq[b] * (degScale * deg[degOffset + b]);
    if (d > thr[b]) audDeg += d;
  }
  let gain = (audRef + GAIN_OFFSET) / (audDeg + GAIN_OFFSET);
  gain = Math.max(Math.min(gain, GAIN_MAX), GAIN_MIN);

  const zp = t.zwickerPower;
  const lf = t.loudnessFactor;
  const width = t.bandWidth;
  let sumSq = 0;
  let asymSum = 0;
  for (let b = 0; b < nb; b++) {
    const th = thr[b];
    const r = refScale * ref[refOffset + b];
    const d = gain * (eq[b] * (degScale * deg[degOffset + b]));
    // x^γ as exp(γ·ln x): 2–3× faster than Math.pow in V8, same value within a few ulps.
    const lr = r < th ? 0 : lf[b] * (Math.exp(zp[b] * Math.log(0.5 + (0.5 * r) / th)) - 1);
    const ld = d < th ? 0 : lf[b] * (Math.exp(zp[b] * Math.log(0.5 + (0.5 * d) / th)) - 1);
    const sym = Math.max(Math.abs(ld - lr) - MASKING * Math.min(lr, ld), DIST_EPS);
    const sw = sym * width[b];
    sumSq += sw * sw + DIST_EPS;
    const ratio = (d + ASYM_OFFSET) / (r + ASYM_OFFSET);
    if (ratio >= ASYM_RATIO_SKIP) {
      const h = Math.exp(ASYM_EXPONENT * Math.log(ratio));
      if (!(h < ASYM_MIN)) asymSum += Math.min(h, ASYM_MAX) * sw;
    }
  }
  const weight = Math.exp(WEIGHT_EXPONENT * Math.log((audRef + WEIGHT_OFFSET) / WEIGHT_SCALE));
  const wd = Math.min((Math.sqrt(sumSq) * t.sqrtTotalWidth) / weight, FRAME_MAX);
  const wda = Math.min(asymSum / weight, FRAME_MAX);
  return ALPHA * wd + BETA * wda;
}

/**
 * Step 4's sums for one frame: where the SLL-normalised ref frame is speech-active (audible power over
 * 100·T_b at least 1e7), add its bands at or over 100·T_b (and deg's same bands) into eqRef / eqDeg.
 */
export function pmsqeEqualiserFrame(
  t: PmsqeTables,
  ref: Float64Array,
  off: number,
  refScale: number,
  deg: Float64Array,
  degScale: number,
  eqRef: Float64Array,
  eqDeg: Float64Array,
): void {
  const nb = t.bands;
  const thr = t.absThresh;
  let aud = 0;
  for (let b = 0; b < nb; b++) {
    const r = refScale * ref[off + b];
    // The reference multiplies float32 thresholds by 100 in float32: fround reproduces that.
    if (r > Math.fround(thr[b] * EQ_THRESHOLD_FACTOR)) aud += r;
  }
  if (!(aud >= EQ_ACTIVE_POWER)) return;
  for (let b = 0; b < nb; b++) {
    const r = refScale * ref[off + b];
    if (r >= Math.fround(thr[b] * EQ_THRESHOLD_FACTOR)) {
      eqRef[b] += r;
      eqDeg[b] += degScale * deg[off + b];
    }
  }
}

/** The equaliser gains from step 4's sums. */
function equaliserGains(eqRef: Float64Array, eqDeg: Float64Array, eq: Float64Array): void {
  for (let b = 0; b < eq.length; b++) eq[b] = Math.max(Math.min((eqRef[b] + EQ_OFFSET) / (eqDeg[b] + EQ_OFFSET), EQ_MAX), EQ_MIN);
}

/** Welford's running mean and variance of the per-frame values, with their plain sum. */
class FrameMoments {
  sum = 0;
  mean = 0;
  m2 = 0;
  k = 0;
  add(v: number): void {
    this.sum += v;
    this.k++;
    const delta = v - this.mean;
    this.mean += delta / this.k;
    this.m2 += delta * (v - this.mean);
  }
}

/**
 * Streaming PMSQE of deg against ref (asteroid `SingleSrcPMSQE(sample_rate)(est=deg, ref)` on power
 * spectra). Any sample rate other than 8/16 kHz is accepted but yields null until a resampler is put
 * in front.
 */
export class PmsqeAccumulator implements MetricAccumulator<SignalBlock, MetricValue> {
  readonly sampleRate: number;
  private readonly tables: PmsqeTables | null;
  private readonly fe: PmsqeFrontEnd | null;
  private readonly windowFrames: number | undefined;
  // Framing: the current N-sample frame of each signal and how much of it is filled.
  private readonly bufRef: Float64Array;
  private readonly bufDeg: Float64Array;
  private fill = 0;
  private readonly spectrum: Float64Array;
  // Per-frame history (slot = frame index modulo capacity): Bark spectra and masked-power sums.
  private capacity: number;
  private barkRef: Float64Array;
  private barkDeg: Float64Array;
  private sllRef: Float64Array;
  private sllDeg: Float64Array;
  private totalFrames = 0;
  // compute() scratch and cache.
  private readonly eq: Float64Array;
  private readonly eqRef: Float64Array;
  private readonly eqDeg: Float64Array;
  private cachedAt = -1;
  private cachedValue: MetricValue = nullValue('no frames');
  private cachedStats: PmsqeFrameStats | null = null;
  // Multi-pass mode (past maxReplayFrames): 0 replay, 1 SLL sums, 2 equaliser sums, 3 frame values.
  private readonly maxReplay: number;
  private pass = 0;
  private passFrames = 0;
  private sumRef = 0;
  private sumDeg = 0;
  private refScale = 0;
  private degScale = 0;
  private readonly moments = new FrameMoments();

  constructor(options: PmsqeOptions) {
    const { sampleRate, spectrum = 'power', windowFrames } = options;
    if (windowFrames !== undefined && !(Number.isInteger(windowFrames) && windowFrames >= 1)) {
      throw earshotError('ERR_INVALID_ARGUMENT', `windowFrames must be a positive integer, got ${windowFrames}`);
    }
    this.sampleRate = sampleRate;
    this.windowFrames = windowFrames;
    this.maxReplay = windowFrames === undefined ? (options.maxReplayFrames ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
    this.tables = pmsqeTables(sampleRate);
    this.fe = this.tables ? pmsqeFrontEnd(this.tables, spectrum) : null;
    const n = this.tables?.fftSize ?? 0;
    const nb = this.tables?.bands ?? 0;
    this.bufRef = new Float64Array(n);
    this.bufDeg = new Float64Array(n);
    this.spectrum = new Float64Array(n / 2 + 1);
    this.capacity = windowFrames ?? Math.min(256, Math.max(1, this.maxReplay));
    this.barkRef = new Float64Array(this.capacity * nb);
    this.barkDeg = new Float64Array(this.capacity * nb);
    this.sllRef = new Float64Array(this.capacity);
    this.sllDeg = new Float64Array(this.capacity);
    this.eq = new Float64Array(nb);
    this.eqRef = new Float64Array(nb);
    this.eqDeg = new Float64Array(nb);
  }

  /** Frames completed since reset (including those a `windowFrames` limit has dropped). */
  get frames(): number {
    return this.totalFrames;
  }

  update({ ref, deg }: SignalBlock): void {
    if (ref.length !== deg.length) {
      throw earshotError('ERR_INVALID_ARGUMENT', `ref and deg blocks differ in length: ${ref.length} vs ${deg.length}`);
    }
    const t = this.tables;
    if (!t) return;
    const n = t.fftSize;
    const len = ref.length;
    let pos = 0;
    while (pos < len) {
      const take = Math.min(n - this.fill, len - pos);
      this.bufRef.set(ref.subarray(pos, pos + take), this.fill);
      this.bufDeg.set(deg.subarray(pos, pos + take), this.fill);
      this.fill += take;
      pos += take;
      if (this.fill === n) {
        this.processFrame();
        // Keep the second half: it is the first half of the next frame (hop N/2).
        this.bufRef.copyWithin(0, t.hop, n);
        this.bufDeg.copyWithin(0, t.hop, n);
        this.fill = n - t.hop;
      }
    }
  }

  private processFrame(): void {
    const t = this.tables!;
    const fe = this.fe!;
    if (this.pass === 0 && this.totalFrames === this.maxReplay) this.startPasses();
    if (this.pass > 0) return this.passFrame(t, fe);
    if (this.windowFrames === undefined && this.totalFrames === this.capacity) this.grow();
    const slot = this.totalFrames % this.capacity;
    const off = slot * t.bands;
    this.sllRef[slot] = pmsqeFrameBark(fe, this.bufRef, this.spectrum, this.barkRef, off);
    this.sllDeg[slot] = pmsqeFrameBark(fe, this.bufDeg, this.spectrum, this.barkDeg, off);
    this.totalFrames++;
  }

  /** The replay store is full: its SLL sums (in frame order) start pass 1, and it is dropped. */
  private startPasses(): void {
    for (let i = 0; i < this.totalFrames; i++) {
      this.sumRef += this.sllRef[i];
      this.sumDeg += this.sllDeg[i];
    }
    const nb = this.tables!.bands;
    this.capacity = 1;
    this.barkRef = new Float64Array(nb);
    this.barkDeg = new Float64Array(nb);
    this.sllRef = new Float64Array(1);
    this.sllDeg = new Float64Array(1);
    this.pass = 1;
    this.passFrames = this.totalFrames;
  }

  /** One frame of pass 1, 2 or 3 (its Bark spectra computed again into the one-frame store). */
  private passFrame(t: PmsqeTables, fe: PmsqeFrontEnd): void {
    const sllRef = pmsqeFrameBark(fe, this.bufRef, this.spectrum, this.barkRef, 0);
    const sllDeg = pmsqeFrameBark(fe, this.bufDeg, this.spectrum, this.barkDeg, 0);
    this.passFrames++;
    if (this.pass === 1) {
      this.sumRef += sllRef;
      this.sumDeg += sllDeg;
      this.totalFrames++;
    } else if (this.passFrames > this.totalFrames) {
      throw earshotError('ERR_INVALID_ARGUMENT', `PMSQE pass ${this.pass}: more input than the first pass (${this.totalFrames} frames)`);
    } else if (this.pass === 2) {
      pmsqeEqualiserFrame(t, this.barkRef, 0, this.refScale, this.barkDeg, this.degScale, this.eqRef, this.eqDeg);
    } else {
      this.moments.add(pmsqeFrameValue(t, this.barkRef, 0, this.refScale, this.barkDeg, 0, this.degScale, this.eq));
    }
  }

  /** Multi-pass mode: the input must be fed again after `beginNextPass()` (passes 1 and 2 done). */
  get needsAnotherPass(): boolean {
    return this.pass === 1 || this.pass === 2;
  }

  /** Start the next pass over the same input. */
  beginNextPass(): void {
    if (!this.needsAnotherPass) throw earshotError('ERR_INVALID_ARGUMENT', 'PMSQE: no further pass is needed');
    const t = this.tables!;
    if (this.pass === 2 && this.passFrames !== this.totalFrames) {
      throw earshotError('ERR_INVALID_ARGUMENT', `PMSQE pass 2: ${this.passFrames} frames, the first pass had ${this.totalFrames}`);
    }
    if (this.pass === 1) {
      this.refScale = (SLL_TARGET_POWER * t.bins * this.totalFrames) / this.sumRef;
      this.degScale = (SLL_TARGET_POWER * t.bins * this.totalFrames) / this.sumDeg;
      this.eqRef.fill(0);
      this.eqDeg.fill(0);
    } else equaliserGains(this.eqRef, this.eqDeg, this.eq);
    this.pass++;
    this.passFrames = 0;
    this.fill = 0;
    this.cachedAt = -1;
  }

  private grow(): void {
    const nb = this.tables!.bands;
    const cap = this.capacity * 2;
    const grow = (a: Float64Array, size: number): Float64Array => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.barkRef = grow(this.barkRef, cap * nb);
    this.barkDeg = grow(this.barkDeg, cap * nb);
    this.sllRef = grow(this.sllRef, cap);
    this.sllDeg = grow(this.sllDeg, cap);
    this.capacity = cap;
  }

  compute(): MetricValue {
    this.refresh();
    return this.cachedValue;
  }

  /** Per-frame values behind the last value (count, mean, sample variance), or null when undefined. */
  frameStats(): PmsqeFrameStats | null {
    this.refresh();
    return this.cachedStats;
  }

  reset(): void {
    this.fill = 0;
    this.totalFrames = 0;
    this.cachedAt = -1;
    if (this.pass > 0) {
      const nb = this.tables!.bands;
      this.capacity = Math.min(256, Math.max(1, this.maxReplay));
      this.barkRef = new Float64Array(this.capacity * nb);
      this.barkDeg = new Float64Array(this.capacity * nb);
      this.sllRef = new Float64Array(this.capacity);
      this.sllDeg = new Float64Array(this.capacity);
    }
    this.pass = this.passFrames = 0;
    this.sumRef = this.sumDeg = 0;
    this.moments.sum = this.moments.mean = this.moments.m2 = this.moments.k = 0;
  }

  private refresh(): void {
    if (this.pass > 0) {
      if (this.pass < 3) throw earshotError('ERR_INVALID_ARGUMENT', `PMSQE: the input exceeded the replay store; feed it again after beginNextPass() (pass ${this.pass} of 3 done)`);
      if (this.passFrames !== this.totalFrames) {
        throw earshotError('ERR_INVALID_ARGUMENT', `PMSQE pass 3: ${this.passFrames} frames, the first pass had ${this.totalFrames}`);
      }
      this.cachedStats = null;
      return this.finish(this.moments, this.totalFrames);
    }
    if (this.cachedAt === this.totalFrames) return;
    this.cachedAt = this.totalFrames;
    this.cachedStats = null;
    const t = this.tables;
    if (!t) {
      this.cachedValue = nullValue(PMSQE_UNSUPPORTED_RATE_REASON);
      return;
    }
    if (this.totalFrames === 0) {
      this.cachedValue = nullValue(
        `too short: PMSQE needs at least one full frame of ${t.fftSize} samples (${(1000 * t.fftSize) / t.sampleRate} ms)`,
      );
      return;
    }
    const nb = t.bands;
    const cap = this.capacity;
    const first = Math.max(0, this.totalFrames - cap);
    const count = this.totalFrames - first;

    // Step 2: SLL means over the kept frames, oldest first (a fixed order: block-size invariant).
    let sumRef = 0;
    let sumDeg = 0;
    for (let i = first; i < this.totalFrames; i++) {
      const slot = i % cap;
      sumRef += this.sllRef[slot];
      sumDeg += this.sllDeg[slot];
    }
    const refScale = (SLL_TARGET_POWER * t.bins * count) / sumRef;
    const degScale = (SLL_TARGET_POWER * t.bins * count) / sumDeg;

    // Step 4: per-band equaliser from the speech-active frames.
    const eqRef = this.eqRef.fill(0);
    const eqDeg = this.eqDeg.fill(0);
    for (let i = first; i < this.totalFrames; i++) pmsqeEqualiserFrame(t, this.barkRef, (i % cap) * nb, refScale, this.barkDeg, degScale, eqRef, eqDeg);
    const eq = this.eq;
    equaliserGains(eqRef, eqDeg, eq);

    // Steps 5–7 per frame, then the mean (and Welford's running variance for the standard error).
    const m = new FrameMoments();
    for (let i = first; i < this.totalFrames; i++) {
      const off = (i % cap) * nb;
      m.add(pmsqeFrameValue(t, this.barkRef, off, refScale, this.barkDeg, off, degScale, eq));
    }
    this.finish(m, count);
  }

  private finish(m: FrameMoments, count: number): void {
    const { sum, m2 } = m;
    const result = sum / count;
    if (!Number.isFinite(result)) {
      this.cachedValue = nullValue('non-finite input samples');
      return;
    }
    this.cachedValue = value(result);
    this.cachedStats = { count, mean: result, variance: count > 1 ? m2 / (count - 1) : null };
  }
}
