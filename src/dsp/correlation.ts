/**
 * Streaming linear correlations for lags 0..L−1, exactly as if computed on the whole (zero-padded)
 * signals:
 *
 *   auto[k]  = Σ_n x[n]·x[n+k]        (autocorrelation of x)
 *   cross[k] = Σ_n x[n]·y[n+k]        (y ahead of x by k samples)
 *
 * These are the normal-equation terms of a causal least-squares FIR filter that maps x onto y
 * (CI-SDR / bss_eval `_project`: R = toeplitz(auto), c = cross). Both sums run over every product
 * with n + k inside the signal, i.e. each product is counted when its LATER sample y[m] (or x[m])
 * arrives, pairing it with x[m−k] from the past. That is why only the last L−1 samples of x need
 * to be kept, and why the result after the last block needs no end correction.
 *
 * Method: overlap-save blocks with accumulation in the frequency domain. For each block of
 * B = N − L + 1 new samples starting at m0, three length-N sequences are transformed:
 *   x̃ = [x[m0−L+1 .. m0−1] (history) | x[m0 .. m0+B−1]]
 *   ỹ = [y[m0 .. m0+B−1] | 0 … 0]   and   x̂ = [x[m0 .. m0+B−1] | 0 … 0]
 * and Σ_i ỹ[i]·x̃[i+d] = IDFT(conj(Ỹ)·X̃)[d] (likewise with x̂ for the autocorrelation) with no
 * circular wrap (i + d ≤ B + L − 2 = N − 1), where d = L−1−k. The inverse transform is linear, so
 * the products are summed over blocks and only transformed back when the correlations are read:
 * 3 forward real FFTs per B samples (≈ 3.4 transformed points per input sample at N = 4096), no
 * inverse per block. Block boundaries depend only on the sample count, so the result does not
 * depend on how the input was cut into `push` calls (bit-identical).
 *
 * Cost: the FFTs are ~80 % of the time; with the fft.js backend, 60 s at 16 kHz takes ≈ 25–30 ms
 * (804 transforms of 4096 points). A faster backend (`setRealFftFactory`) speeds this up in
 * proportion. Memory: 4 buffers of ~N doubles per instance (≈ 130 KB at N = 4096), plus 4 scratch
 * buffers shared by the instances of one FFT size in a thread.
 */
import { type RealFftPlan, nextPowerOfTwo, realFftPlan } from './fft.js';
import { earshotError } from '../errors.js';

/** Smallest FFT size used for the overlap-save blocks (samples); 4096 keeps B/N ≈ 0.88 for L = 512. */
export const MIN_CORRELATION_FFT_SIZE = 4096;

/** FFT size for `lags`: a power of two ≥ 4·lags and ≥ MIN_CORRELATION_FFT_SIZE. */
export function correlationFftSize(lags: number): number {
  return Math.max(MIN_CORRELATION_FFT_SIZE, nextPowerOfTwo(4 * lags));
}

/**
 * Scratch of one FFT size (the block's spectra and the inverse transform's output), shared by every
 * correlator of that size: `push` and `correlations` fill and consume it before returning, so
 * instances never use it at the same time (a live session saves ~130 KB).
 */
interface CorrelatorScratch {
  readonly tmp: Float64Array;
  readonly specX: Float64Array;
  readonly specXb: Float64Array;
  readonly specY: Float64Array;
}
const scratchBySize = new Map<number, CorrelatorScratch>();
function correlatorScratch(n: number): CorrelatorScratch {
  let s = scratchBySize.get(n);
  if (!s) {
    s = { tmp: new Float64Array(n), specX: new Float64Array(n + 2), specXb: new Float64Array(n + 2), specY: new Float64Array(n + 2) };
    scratchBySize.set(n, s);
  }
  return s;
}

/**
 * Accumulates auto[k] = Σ x[n]x[n+k] and cross[k] = Σ x[n]y[n+k], k = 0..lags−1, over a stream fed
 * in blocks of any size. Memory is constant (a few FFT-sized buffers); `push` allocates nothing.
 *
 * @example
 * const c = new StreamingCorrelator(512);
 * c.push(refBlock, degBlock);
 * const auto = new Float64Array(512), cross = new Float64Array(512);
 * c.correlations(auto, cross);
 */
export class StreamingCorrelator {
  /** Number of lags L (0..L−1). */
  readonly lags: number;
  /** FFT size N. */
  readonly fftSize: number;
  /** New samples per FFT block, B = N − L + 1. */
  readonly blockSize: number;

  private readonly plan: RealFftPlan;
  /** [history (L−1) | current block (B)]; after the filled samples: stale data, zeroed before a partial read. */
  private readonly xBuf: Float64Array;
  /** [current block of y | zeros]; indices ≥ B are never written and stay zero. */
  private readonly yBuf: Float64Array;
  /** Scratch (shared): [current block of x | zeros], then the inverse transform's output. */
  private readonly tmp: Float64Array;
  private readonly specX: Float64Array;
  private readonly specXb: Float64Array;
  private readonly specY: Float64Array;
  /** Σ_blocks conj(X̂)·X̃ and Σ_blocks conj(Ỹ)·X̃, interleaved complex bins 0..N/2. */
  private readonly accAuto: Float64Array;
  private readonly accCross: Float64Array;
  private fill = 0;
  private count = 0;

  constructor(lags: number, fftSize = correlationFftSize(lags)) {
    if (!Number.isInteger(lags) || lags < 1) {
      throw earshotError('ERR_INVALID_ARGUMENT', `correlation lags must be an integer ≥ 1, got ${lags}`);
    }
    if (!Number.isInteger(fftSize) || fftSize < 2 * lags || (fftSize & (fftSize - 1)) !== 0) {
      throw earshotError(
        'ERR_INVALID_ARGUMENT',
        `correlation FFT size must be a power of two ≥ 2·lags = ${2 * lags}, got ${fftSize}`,
      );
    }
    this.lags = lags;
    this.fftSize = fftSize;
    this.blockSize = fftSize - lags + 1;
    this.plan = realFftPlan(fftSize);
    const n = fftSize;
    this.xBuf = new Float64Array(n);
    this.yBuf = new Float64Array(n);
    const scratch = correlatorScratch(n);
    this.tmp = scratch.tmp;
    this.specX = scratch.specX;
    this.specXb = scratch.specXb;
    this.specY = scratch.specY;
    this.accAuto = new Float64Array(n + 2);
    this.accCross = new Float64Array(n + 2);
  }

  /** Samples pushed since construction or the last `reset`. */
  get length(): number {
    return this.count;
  }

  /**
   * Append x[start..end) and y[start..end) (time-aligned, same length). Any block size, 0 included.
   */
  push(x: Float64Array, y: Float64Array, start = 0, end = x.length): void {
    if (y.length < end || x.length < end) {
      throw earshotError('ERR_INVALID_ARGUMENT', `correlation inputs must cover [${start}, ${end}), got lengths ${x.length} and ${y.length}`);
    }
    const h = this.lags - 1;
    const b = this.blockSize;
    let i = start;
    while (i < end) {
      const take = Math.min(end - i, b - this.fill);
      const xb = this.xBuf;
      const yb = this.yBuf;
      const o = this.fill;
      // Plain loops rather than set(subarray()): no view objects allocated per push.
      for (let j = 0; j < take; j++) {
        xb[h + o + j] = x[i + j];
        yb[o + j] = y[i + j];
      }
      this.fill += take;
      this.count += take;
      i += take;
      if (this.fill === b) this.flushBlock();
    }
  }

  /**
   * Write auto[k] and cross[k], k = 0..lags−1, over everything pushed so far (buffered samples
   * included). Does not change the state: pushing can continue afterwards. Allocates nothing.
   */
  correlations(auto: Float64Array, cross: Float64Array): void {
    const sa = this.specXb;
    const sc = this.specY;
    if (this.fill > 0) {
      // sa ← accAuto + conj(X̂)·X̃, sc ← accCross + conj(Ỹ)·X̃ for the partial block.
      this.blockSpectra();
      const X = this.specX;
      const aa = this.accAuto;
      const ac = this.accCross;
      for (let j = 0; j < this.fftSize + 2; j += 2) {
        const xr = X[j];
        const xi = X[j + 1];
        const ar = sa[j];
        const ai = sa[j + 1];
        const yr = sc[j];
        const yi = sc[j + 1];
        sa[j] = aa[j] + (ar * xr + ai * xi);
        sa[j + 1] = aa[j + 1] + (ar * xi - ai * xr);
        sc[j] = ac[j] + (yr * xr + yi * xi);
        sc[j + 1] = ac[j + 1] + (yr * xi - yi * xr);
      }
    } else {
      sa.set(this.accAuto);
      sc.set(this.accCross);
    }
    // c[k] sits at d = L−1−k of the inverse transform (see the header).
    const l = this.lags;
    const time = this.tmp;
    this.plan.inverse(sa, time);
    for (let k = 0; k < l; k++) auto[k] = time[l - 1 - k];
    this.plan.inverse(sc, time);
    for (let k = 0; k < l; k++) cross[k] = time[l - 1 - k];
  }

  reset(): void {
    this.xBuf.fill(0);
    this.yBuf.fill(0);
    this.accAuto.fill(0);
    this.accCross.fill(0);
    this.fill = 0;
    this.count = 0;
  }

  /** specX = DFT(x̃), specXb = DFT(x̂), specY = DFT(ỹ) of the current (possibly partial) block. */
  private blockSpectra(): void {
    const h = this.lags - 1;
    const tmp = this.tmp;
    const xb = this.xBuf;
    const f = this.fill;
    if (f < this.blockSize) {
      // A partial block (read mid-stream): clear what is left of the previous block's samples so
      // the block is zero-padded. Full blocks overwrite everything, so flushes skip this.
      xb.fill(0, h + f);
      this.yBuf.fill(0, f, this.blockSize);
    }
    for (let j = 0; j < f; j++) tmp[j] = xb[h + j];
    tmp.fill(0, f);
    this.plan.forward(xb, this.specX);
    this.plan.forward(tmp, this.specXb);
    this.plan.forward(this.yBuf, this.specY);
  }

  private flushBlock(): void {
    this.blockSpectra();
    const X = this.specX;
    const A = this.specXb;
    const Y = this.specY;
    const aa = this.accAuto;
    const ac = this.accCross;
    for (let j = 0; j < this.fftSize + 2; j += 2) {
      const xr = X[j];
      const xi = X[j + 1];
      const ar = A[j];
      const ai = A[j + 1];
      const yr = Y[j];
      const yi = Y[j + 1];
      // conj(a)·x = (ar·xr + ai·xi) + i(ar·xi − ai·xr)
      aa[j] += ar * xr + ai * xi;
      aa[j + 1] += ar * xi - ai * xr;
      ac[j] += yr * xr + yi * xi;
      ac[j + 1] += yr * xi - yi * xr;
    }
    const h = this.lags - 1;
    const n = this.fftSize;
    // The last L−1 samples of x become the history of the next block.
    this.xBuf.copyWithin(0, n - h, n);
    this.fill = 0;
  }
}

/**
 * Direct O(T·L) reference: auto[k] = Σ x[n]x[n+k], cross[k] = Σ x[n]y[n+k], k = 0..lags−1, over
 * whole signals of equal length. For tests and tiny inputs.
 */
export function directCorrelations(
  x: Float64Array,
  y: Float64Array,
  lags: number,
  auto: Float64Array,
  cross: Float64Array,
): void {
  const t = x.length;
  for (let k = 0; k < lags; k++) {
    let a = 0;
    let c = 0;
    for (let n = 0; n + k < t; n++) {
      a += x[n] * x[n + k];
      c += x[n] * y[n + k];
    }
    auto[k] = a;
    cross[k] = c;
  }
}
