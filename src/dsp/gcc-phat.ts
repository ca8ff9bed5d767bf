/**
 * Delay estimation by generalized cross-correlation with phase transform (GCC-PHAT; Knapp & Carter
 * 1976). Cross-power spectra conj(R)·D of several frame pairs are summed first and only then whitened
 * (divided by their magnitude), which keeps the estimate stable on speech with pauses; the inverse FFT
 * of the whitened spectrum peaks at the lag τ where deg[n] ≈ ref[n − τ]. Positive τ: deg lags ref.
 *
 * The peak height is a natural confidence: for a pure delay every bin is coherent and the peak is ≈ 1;
 * for unrelated signals it is of the order 1/sqrt(bins).
 */
import { type RealFftPlan, realFftPlan } from './fft.js';
import { hannPeriodic } from './window.js';
import { earshotError } from '../errors.js';

export interface DelayEstimate {
  /** deg[n] ≈ ref[n − delaySamples]; positive when deg lags ref. */
  delaySamples: number;
  /** Height of the whitened cross-correlation peak, 0..1. */
  confidence: number;
  /** Peak height over the correlation's RMS: how clearly the peak stands out. */
  peakToRms: number;
  /** The peak is negative: deg is a polarity-inverted copy of ref. */
  inverted: boolean;
}

/**
 * Window and scratch buffers of one frame size, shared by every GccPhat of that size: `accumulate`
 * and `estimate` run synchronously to completion, so instances never use them at the same time, and
 * a live session keeps only its own summed cross-spectrum (the rest would be ~0.8 MB per session).
 */
interface GccScratch {
  readonly window: Float64Array;
  readonly windowed: Float64Array;
  readonly specRef: Float64Array;
  readonly specDeg: Float64Array;
  readonly corr: Float64Array;
  /** The summed cross-spectrum of instances built with `sharedCross` (see GccPhatOptions). */
  cross?: Float64Array;
}
const scratchBySize = new Map<number, GccScratch>();
function gccScratch(n: number): GccScratch {
  let s = scratchBySize.get(n);
  if (!s) {
    s = { window: hannPeriodic(n), windowed: new Float64Array(n), specRef: new Float64Array(n + 2), specDeg: new Float64Array(n + 2), corr: new Float64Array(n) };
    scratchBySize.set(n, s);
  }
  return s;
}

export interface GccPhatOptions {
  /**
   * Keep the summed cross-spectrum in the scratch shared by the instances of this frame size that
   * say so, rather than in the instance: for users that reset, accumulate and read it (estimate,
   * subsample) in one synchronous step, never interleaved with another such instance (the live
   * delay tracker: ~0.2 MB less per session). Default false.
   */
  sharedCross?: boolean;
}

export class GccPhat {
  readonly frameSize: number;
  readonly maxLag: number;
  private readonly fft: RealFftPlan;
  private readonly window: Float64Array;
  private readonly windowed: Float64Array;
  private readonly specRef: Float64Array;
  private readonly specDeg: Float64Array;
  private readonly cross: Float64Array; // summed conj(R)·D, interleaved bins 0..N/2 (the instance's own unless sharedCross)
  private readonly corr: Float64Array;
  /** circularPeak's result: value, lag, sum of squares. */
  private readonly peak = new Float64Array(3);
  private frames = 0;

  /** `frameSize` a power of two; lags searched are −maxLag..maxLag (maxLag < frameSize / 2). */
  constructor(frameSize: number, maxLag: number, options: GccPhatOptions = {}) {
    if (!(maxLag >= 0 && maxLag < frameSize / 2)) {
      throw earshotError('ERR_INVALID_ARGUMENT', `maxLag must be in 0..${frameSize / 2 - 1}, got ${maxLag}`);
    }
    this.frameSize = frameSize;
    this.maxLag = Math.floor(maxLag);
    this.fft = realFftPlan(frameSize);
    const scratch = gccScratch(frameSize);
    this.window = scratch.window;
    this.windowed = scratch.windowed;
    this.specRef = scratch.specRef;
    this.specDeg = scratch.specDeg;
    this.cross = options.sharedCross ? (scratch.cross ??= new Float64Array(frameSize + 2)) : new Float64Array(frameSize + 2);
    this.corr = scratch.corr;
  }

  /** Frame size that lets GCC-PHAT find delays up to `maxDelaySamples` with most of each frame overlapping. */
  static frameSizeFor(maxDelaySamples: number): number {
    let n = 256;
    while (n < 4 * maxDelaySamples) n *= 2;
    return n;
  }

  /** Add one frame pair (each `frameSize` samples, same time span of both streams). */
  accumulate(ref: Float64Array, deg: Float64Array): void {
    // The loops are kernels (below): written here, they got this method compiled on-stack at its
    // first call before the code after them had feedback, and that code was kept and bailed out of
    // on every later call (~1500 deoptimisations in a 30 s live bench).
    const x = this.windowed;
    windowed(ref, this.window, x);
    this.fft.forward(x, this.specRef);
    windowed(deg, this.window, x);
    this.fft.forward(x, this.specDeg);
    addCross(this.specRef, this.specDeg, this.cross);
    this.frames++;
  }

  get framesAccumulated(): number {
    return this.frames;
  }

  /** The delay with the strongest whitened correlation, or null when no frame carried signal. */
  estimate(): DelayEstimate | null {
    const n = this.frameSize;
    const c = this.cross;
    const white = this.specDeg; // reuse as scratch
    const maxMag = Math.sqrt(maxSquaredMagnitude(c));
    if (!(maxMag > 0)) return null;
    // Bins far below the strongest (digital silence, band-limited regions) carry only rounding noise:
    // whitening would amplify it to full weight, so they are left out.
    const used = phatWhiten(c, white, maxMag * 1e-12);
    this.fft.inverse(white, this.corr);
    const scale = n / used; // so that a perfectly coherent peak is 1
    // |v|: a polarity-inverted output (e.g. some telephone chains) peaks negative.
    const p = this.peak;
    circularPeak(this.corr, -this.maxLag, this.maxLag, scale, p);
    const best = p[0];
    const bestLag = p[1];
    const sumSq = p[2];
    const rms = Math.sqrt(sumSq / (2 * this.maxLag + 1));
    const peak = Math.abs(best);
    return {
      delaySamples: bestLag,
      confidence: Math.min(1, peak),
      peakToRms: rms > 0 ? peak / rms : 0,
      inverted: best < 0,
    };
  }

  /**
   * The sub-sample lag of `e`, the estimate just returned by `estimate()` from the same accumulated
   * cross-spectrum, by Newton's method on its PHAT-β correlation (see `newtonPeak`) from the integer peak.
   */
  subsample(e: DelayEstimate, beta = 0.5): number {
    // Re-weighted (PHAT-β): bins that carry more signal count more, which steadies the fraction in noise.
    const n = this.frameSize;
    const c = this.cross;
    const w = this.specDeg;
    // The largest |C_k|: one square root of the largest |C_k|² (the same value, sqrt being monotonic).
    phatBetaWeights(c, w, Math.sqrt(maxSquaredMagnitude(c)), beta);
    return newtonPeak(w, n, e.delaySamples, e.inverted ? -1 : 1);
  }

  reset(): void {
    this.cross.fill(0);
    this.frames = 0;
  }
}

/**
 * Offline delay of `deg` against `ref` (same rate) over `length` samples, searching ±maxDelaySamples,
 * fed in blocks of any size (constant memory: a frame of each stream plus the kept frames). Uses the
 * `maxFrames` frame pairs (hop half a frame) with the most reference energy, so long files cost a
 * bounded number of FFTs and silent stretches do not dilute the estimate; ties go to the earlier frame.
 */
export class DelaySearch {
  readonly frameSize: number;
  private readonly gcc: GccPhat;
  private readonly hop: number;
  private readonly ringRef: Float64Array;
  private readonly ringDeg: Float64Array;
  private pos = 0; // samples pushed
  /** Kept frames, most energetic first (copies of both streams). */
  private readonly kept: { energy: number; start: number; ref: Float64Array; deg: Float64Array }[] = [];

  constructor(
    readonly length: number,
    maxDelaySamples: number,
    private readonly maxFrames = 8,
  ) {
    let frameSize = GccPhat.frameSizeFor(maxDelaySamples);
    // Short signals: shrink the frame (and the searchable range with it) to fit the signal.
    while (frameSize > 256 && frameSize > length) frameSize /= 2;
    this.frameSize = frameSize;
    this.gcc = new GccPhat(frameSize, Math.min(Math.floor(maxDelaySamples), frameSize / 2 - 1));
    this.hop = frameSize / 2;
    this.ringRef = new Float64Array(frameSize);
    this.ringDeg = new Float64Array(frameSize);
  }

  /** The next samples of both streams (equal lengths); samples past `length` are ignored. */
  push(ref: Float64Array, deg: Float64Array): void {
    const n = this.frameSize;
    const hop = this.hop;
    const end = Math.min(ref.length, this.length - this.pos);
    let i = 0;
    while (i < end) {
      // Copy up to the next hop boundary in one go; the ring holds the last frame (two hops).
      const j = this.pos % n;
      const take = Math.min(end - i, hop - (j % hop));
      this.ringRef.set(ref.subarray(i, i + take), j);
      this.ringDeg.set(deg.subarray(i, i + take), j);
      let e = this.hopEnergy;
      for (let k = i; k < i + take; k++) e += ref[k] * ref[k];
      this.hopEnergy = e;
      i += take;
      this.pos += take;
      if (this.pos % hop === 0) {
        // A hop ended: a frame [pos − n, pos) is complete once two hops are in.
        const prev = this.lastHopEnergy;
        this.lastHopEnergy = e;
        this.hopEnergy = 0;
        if (this.pos >= n) this.consider(this.pos - n, prev + e);
      }
    }
  }

  private hopEnergy = 0;
  private lastHopEnergy = 0;

  private consider(start: number, e: number): void {
    const n = this.frameSize;
    const kept = this.kept;
    if (kept.length === this.maxFrames && !(e > kept[kept.length - 1].energy)) return;
    const slot = kept.length === this.maxFrames ? kept.pop()! : { energy: 0, start: 0, ref: new Float64Array(n), deg: new Float64Array(n) };
    slot.energy = e;
    slot.start = start;
    // The frame's first half sits at ring[start mod n ..], its second half in the other half.
    const first = start % n;
    slot.ref.set(this.ringRef.subarray(first), 0);
    slot.ref.set(this.ringRef.subarray(0, first), n - first);
    slot.deg.set(this.ringDeg.subarray(first), 0);
    slot.deg.set(this.ringDeg.subarray(0, first), n - first);
    let at = kept.length;
    while (at > 0 && kept[at - 1].energy < e) at--;
    kept.splice(at, 0, slot);
  }

  estimate(): DelayEstimate | null {
    this.gcc.reset();
    if (this.length < this.frameSize) {
      // Shorter than the smallest frame: one zero-padded frame.
      const r = new Float64Array(this.frameSize);
      const d = new Float64Array(this.frameSize);
      const m = Math.min(this.pos, this.length);
      for (let k = 0; k < m; k++) {
        r[k] = this.ringRef[k];
        d[k] = this.ringDeg[k];
      }
      this.gcc.accumulate(r, d);
      return this.gcc.estimate();
    }
    for (const f of this.kept) this.gcc.accumulate(f.ref, f.deg);
    return this.gcc.estimate();
  }
}

/** `DelaySearch` over two whole signals (their common length). */
export function estimateDelay(ref: Float64Array, deg: Float64Array, maxDelaySamples: number, maxFrames = 8): DelayEstimate | null {
  const search = new DelaySearch(Math.min(ref.length, deg.length), maxDelaySamples, maxFrames);
  search.push(ref, deg);
  return search.estimate();
}

/** f(τ) at the τ the last `newtonPeak` returned, over n (the bins' weight for a perfect peak). */
export let newtonPeakValue = 0;

/** The largest |c_k|² over the interleaved bins of c. */
function maxSquaredMagnitude(c: Float64Array): number {
  let max2 = 0;
  for (let k = 0; k < c.length / 2; k++) {
    const m2 = c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1];
    if (m2 > max2) max2 = m2;
  }
  return max2;
}

/** white = c/|c| for bins above `floor`, else 0; returns the bins used (DC and Nyquist once, the others twice, as the real inverse counts them). */
function phatWhiten(c: Float64Array, white: Float64Array, floor: number): number {
  const last = c.length / 2 - 1;
  let used = 0;
  for (let k = 0; k <= last; k++) {
    const re = c[2 * k];
    const im = c[2 * k + 1];
    const mag = Math.sqrt(re * re + im * im);
    if (mag > floor) {
      white[2 * k] = re / mag;
      white[2 * k + 1] = im / mag;
      used += k === 0 || k === last ? 1 : 2;
    } else {
      white[2 * k] = 0;
      white[2 * k + 1] = 0;
    }
  }
  return used;
}

/**
 * w = c·(|c|/maxMag)^−β/maxMag (PHAT-β), 0 below 1e-12·maxMag. For β = 0.5, 1/√(m·maxMag) as offline's
 * phatCross (src/analysis/align.ts): Math.pow costs ~80 ns a bin (a third of a live refresh), a square root ~5.
 */
function phatBetaWeights(c: Float64Array, w: Float64Array, maxMag: number, beta: number): void {
  for (let k = 0; k < c.length / 2; k++) {
    const m = Math.sqrt(c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1]);
    const g = m > maxMag * 1e-12 ? (beta === 0.5 ? 1 / Math.sqrt(m * maxMag) : Math.pow(m / maxMag, -beta) / maxMag) : 0;
    w[2 * k] = c[2 * k] * g;
    w[2 * k + 1] = c[2 * k + 1] * g;
  }
}

/**
 * Largest |v| of v = scale·corr[(lag + n) mod n] over lags lo..hi (|lo|, |hi| < n = corr.length):
 * out = [v (signed), its lag, Σ v² over the lags]. The first of equal magnitudes wins.
 */
export function circularPeak(corr: Float64Array, lo: number, hi: number, scale: number, out: Float64Array): void {
  const n = corr.length;
  let best = 0;
  let bestLag = 0;
  let sumSq = 0;
  for (let lag = lo; lag <= hi; lag++) {
    const v = corr[(lag + n) % n] * scale;
    sumSq += v * v;
    if (Math.abs(v) > Math.abs(best)) {
      best = v;
      bestLag = lag;
    }
  }
  out[0] = best;
  out[1] = bestLag;
  out[2] = sumSq;
}

/** x[i] = src[i]·w[i] for i < x.length. */
function windowed(src: Float64Array, w: Float64Array, x: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i] = src[i] * w[i];
}

/** c += conj(r)·d over the interleaved bins of c. */
function addCross(r: Float64Array, d: Float64Array, c: Float64Array): void {
  for (let k = 0; k < c.length / 2; k++) {
    const rr = r[2 * k], ri = r[2 * k + 1], dr = d[2 * k], di = d[2 * k + 1];
    c[2 * k] += rr * dr + ri * di;
    c[2 * k + 1] += rr * di - ri * dr;
  }
}

/**
 * Sub-sample position of a GCC-PHAT peak (interpolation, then refinement): Newton's method maximises
 * the band-limited correlation itself, evaluated from the whitened cross-spectrum `white`
 * (interleaved bins 0..n/2), from a start within about a sample of the peak (its integer lag),
 *   f(τ) = Σ_k m_k · Re(W_k · e^{j·2πkτ/n})   (m_k = 1 at DC and Nyquist, else 2).
 * For an inverted peak (`sign` −1) the minimum is sought. Positive: deg lags. Allocates nothing.
 * Steps are clamped to ±0.5 sample; it stops when a step is below 1e-6 sample.
 */
export function newtonPeak(white: Float64Array, n: number, start: number, sign: 1 | -1, iterations = 5): number {
  let tau = start;
  const half = n / 2;
  const step = (2 * Math.PI) / n;
  for (let it = 0; it < iterations; it++) {
    const cr = Math.cos(step * tau);
    const ci = Math.sin(step * tau);
    let er = 1; // e^{jωτ} for bin k, by rotation
    let ei = 0;
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    for (let k = 0; k <= half; k++) {
      const wr = white[2 * k];
      const wi = white[2 * k + 1];
      const re = wr * er - wi * ei;
      const im = wr * ei + wi * er;
      const w = k * step;
      const m = k === 0 || k === half ? 1 : 2;
      d0 += m * re;
      d1 -= m * w * im;
      d2 -= m * w * w * re;
      const nr = er * cr - ei * ci;
      ei = er * ci + ei * cr;
      er = nr;
    }
    newtonPeakValue = (sign * d0) / n;
    d1 *= sign;
    d2 *= sign;
    if (!(d2 < 0)) break;
    let delta = -d1 / d2;
    if (delta > 0.5) delta = 0.5;
    else if (delta < -0.5) delta = -0.5;
    tau += delta;
    if (Math.abs(delta) < 1e-6) break;
  }
  return tau;
}
