/**
 * The pieces of STOI / ESTOI after resampling to 10 kHz, as pystoi 0.4.1 computes them, cut so that an
 * offline accumulator and a live, windowed engine can share them:
 *
 * 1. `windowedFrameNorm`: the norm of one 256-sample analysis frame (Hann `hanning(258)[1:-1]`), whose
 *    level 20·log10(‖w·x‖ + EPS) pystoi's silent-frame removal compares with the loudest clean frame
 *    minus 40 dB (`isSpeechFrame`).
 * 2. `StoiEnvelopeStage`: consumes the kept frames of ref and deg in order and emits one one-third octave
 *    envelope frame (15 band amplitudes per signal) per STFT frame of pystoi's overlap-added signal.
 * 3. `StoiSegmentKernel`: given 30 consecutive envelope frames (one 384 ms segment), the segment's
 *    intermediate intelligibility: `classic` (STOI, Taal 2011 eq. 5 with clipping eq. 3–4, averaged over
 *    bands) or `extended` (ESTOI, Jensen & Taal 2016 eq. 3–8, averaged over the segment's frames).
 *    The score is the mean of the per-segment values (Taal eq. 6; Jensen & Taal eq. 9).
 *
 * References:
 * [1] C. H. Taal, R. C. Hendriks, R. Heusdens, J. Jensen, "An Algorithm for Intelligibility Prediction of
 *     Time-Frequency Weighted Noisy Speech", IEEE TASLP 19(7), 2011.
 * [2] J. Jensen, C. H. Taal, "An Algorithm for Predicting the Intelligibility of Speech Masked by
 *     Modulated Noise Maskers", IEEE/ACM TASLP 24(11), 2016.
 */
import { realFftPlan, type RealFftPlan } from './fft.js';
import { bandAmplitudes, thirdOctaveBands, type ThirdOctaveBands } from './third-octave.js';
import { hanningMatlab } from './window.js';

/** STOI's internal sample rate, Hz. */
export const STOI_SAMPLE_RATE = 10000;
/** Analysis frame (window support), samples at 10 kHz (25.6 ms). */
export const STOI_FRAME = 256;
/** Hop between frames, samples (half a frame). */
export const STOI_HOP = 128;
/** FFT size (frames zero-padded to it), samples. */
export const STOI_NFFT = 512;
/** Number of one-third octave bands. */
export const STOI_NUM_BANDS = 15;
/** Centre frequency of the lowest band, Hz. */
export const STOI_MIN_FREQ = 150;
/** Frames per segment for the intermediate intelligibility (30 × 12.8 ms = 384 ms). */
export const STOI_SEGMENT_FRAMES = 30;
/** Lower signal-to-distortion bound for clipping, dB ([1] eq. 3). */
export const STOI_BETA_DB = -15;
/** Dynamic range kept by silent-frame removal, dB below the loudest clean frame. */
export const STOI_DYN_RANGE_DB = 40;
/** NumPy's float64 eps, added exactly where pystoi adds it. */
export const EPS = 2.220446049250313e-16;

/** Clipping factor 1 + 10^(−β/20) ([1] eq. 3). */
const CLIP_FACTOR = 1 + Math.pow(10, -STOI_BETA_DB / 20);

/** pystoi's analysis window: numpy `hanning(258)[1:-1]` = MATLAB `hanning(256)`. Shared, do not modify. */
export const STOI_WINDOW: Float64Array = hanningMatlab(STOI_FRAME);

/** pystoi's 15 one-third octave bands at 10 kHz / NFFT 512 from 150 Hz. */
export const STOI_BANDS: ThirdOctaveBands = thirdOctaveBands(STOI_SAMPLE_RATE, STOI_NFFT, STOI_NUM_BANDS, STOI_MIN_FREQ);

/**
 * Frames pystoi cuts from `len` samples: starts `range(0, len − 256, 128)`, end-exclusive, so a frame
 * ending exactly at the last sample is not used.
 */
export function stoiFrameCount(len: number): number {
  return len > STOI_FRAME ? Math.ceil((len - STOI_FRAME) / STOI_HOP) : 0;
}

/** Euclidean norm of the windowed frame `x[offset, offset + 256)`. */
export function windowedFrameNorm(x: Float64Array, offset: number): number {
  const w = STOI_WINDOW;
  let e = 0;
  for (let n = 0; n < STOI_FRAME; n++) {
    const v = w[n] * x[offset + n];
    e += v * v;
  }
  return Math.sqrt(e);
}

/** pystoi's mask: a frame is kept iff (max − 40 − energy) < 0 (strict). */
export function isSpeechFrame(energyDb: number, loudestDb: number): boolean {
  return loudestDb - STOI_DYN_RANGE_DB - energyDb < 0;
}

/**
 * From kept frames to one-third octave envelopes, without materialising the overlap-added signal.
 *
 * pystoi windows each kept frame (A_k = w·x_k), overlap-adds them at hop 128 and takes a second STFT
 * (frames `range(0, len − 256, 128)` of the result, window w, 512-point FFT). With hop = half a frame,
 * STFT frame j covers A_j plus the second half of A_{j−1} (first 128 samples) and the first half of
 * A_{j+1} (last 128): so STFT frame j is ready when kept frame j + 1 arrives, and K kept frames give
 * K − 1 STFT frames (the last kept frame only lends its first half). Each overlap-added sample is a sum
 * of two terms, so it is bit-identical to numpy's.
 *
 * Allocation: constructor only. Not re-entrant (uses the shared 512-point FFT plan).
 */
export class StoiEnvelopeStage {
  /** Band amplitudes of the latest STFT frame (valid after `push` returned true). */
  readonly xEnvelope = new Float64Array(STOI_NUM_BANDS);
  readonly yEnvelope = new Float64Array(STOI_NUM_BANDS);
  /**
   * One 512-point FFT per signal. (Packing ref and deg into one 1024-point FFT would be ~10 % faster but
   * leaks ref's rounding noise into deg's spectrum, so an all-zero deg frame would no longer give exactly
   * zero envelopes, which pystoi's STOI treats specially.)
   */
  private readonly fft: RealFftPlan = realFftPlan(STOI_NFFT);
  /** Windowed kept frames: previous (j − 1) and current (j), for x and y. */
  private xPrev = new Float64Array(STOI_FRAME);
  private xCur = new Float64Array(STOI_FRAME);
  private xNext = new Float64Array(STOI_FRAME);
  private yPrev = new Float64Array(STOI_FRAME);
  private yCur = new Float64Array(STOI_FRAME);
  private yNext = new Float64Array(STOI_FRAME);
  private readonly frameIn = new Float64Array(STOI_NFFT); // zero-padded tail stays zero
  private readonly spectrum = new Float64Array(STOI_NFFT + 2);
  private kept = 0;
  private xOlaSumSq = 0;
  private yOlaSumSq = 0;

  /** Kept frames pushed so far. */
  get keptFrames(): number {
    return this.kept;
  }

  /** STFT (envelope) frames emitted so far: kept − 1. */
  get stftFrames(): number {
    return Math.max(0, this.kept - 1);
  }

  /**
   * Σ of squares of pystoi's overlap-added ref / deg after silence removal (length 128·(K + 1)),
   * a diagnostic of the reconstruction.
   */
  olaSumSq(): { x: number; y: number } {
    if (this.kept === 0) return { x: 0, y: 0 };
    // The final 128 samples hold only the second half of the last kept frame.
    let ex = 0;
    let ey = 0;
    for (let n = STOI_HOP; n < STOI_FRAME; n++) {
      ex += this.xCur[n] * this.xCur[n];
      ey += this.yCur[n] * this.yCur[n];
    }
    return { x: this.xOlaSumSq + ex, y: this.yOlaSumSq + ey };
  }

  reset(): void {
    this.kept = 0;
    this.xOlaSumSq = 0;
    this.yOlaSumSq = 0;
    this.xPrev.fill(0);
    this.xCur.fill(0);
    this.yPrev.fill(0);
    this.yCur.fill(0);
  }

  /**
   * Feeds the next kept frame: the raw (unwindowed) samples `x[xOff, xOff + 256)` and
   * `y[yOff, yOff + 256)`. Returns true when an envelope frame became ready in
   * `xEnvelope` / `yEnvelope` (every push but the first).
   */
  push(x: Float64Array, xOff: number, y: Float64Array, yOff: number): boolean {
    const w = STOI_WINDOW;
    const xn = this.xNext;
    const yn = this.yNext;
    for (let n = 0; n < STOI_FRAME; n++) {
      xn[n] = w[n] * x[xOff + n];
      yn[n] = w[n] * y[yOff + n];
    }
    // Overlap-added chunk k = first half of A_k + second half of A_{k−1} (A_{−1} = 0: xCur starts zeroed).
    const xc = this.xCur;
    const yc = this.yCur;
    let ex = 0;
    let ey = 0;
    for (let n = 0; n < STOI_HOP; n++) {
      const a = xc[n + STOI_HOP] + xn[n];
      const b = yc[n + STOI_HOP] + yn[n];
      ex += a * a;
      ey += b * b;
    }
    this.xOlaSumSq += ex;
    this.yOlaSumSq += ey;
    let ready = false;
    if (this.kept >= 1) {
      this.envelope(this.xPrev, xc, xn, this.xEnvelope);
      this.envelope(this.yPrev, yc, yn, this.yEnvelope);
      ready = true;
    }
    // Rotate: prev ← cur ← next (the old prev becomes the next scratch).
    const xp = this.xPrev;
    this.xPrev = xc;
    this.xCur = xn;
    this.xNext = xp;
    const yp = this.yPrev;
    this.yPrev = yc;
    this.yCur = yn;
    this.yNext = yp;
    this.kept++;
    return ready;
  }

  /**
   * STFT frame j from windowed kept frames j − 1, j, j + 1 (pystoi's overlap-add, then the window again,
   * zero-padded to 512); band amplitudes into `out`.
   */
  private envelope(prev: Float64Array, cur: Float64Array, next: Float64Array, out: Float64Array): void {
    const w = STOI_WINDOW;
    const f = this.frameIn;
    for (let n = 0; n < STOI_HOP; n++) f[n] = w[n] * (prev[n + STOI_HOP] + cur[n]);
    for (let n = STOI_HOP; n < STOI_FRAME; n++) f[n] = w[n] * (cur[n] + next[n - STOI_HOP]);
    this.fft.forward(f, this.spectrum);
    bandAmplitudes(STOI_BANDS, this.spectrum, out);
  }
}

/**
 * Per-segment intermediate intelligibility. Envelopes are frame-major: band b of frame t of the segment
 * is at `offset + t·15 + b`, so a segment is any 450 contiguous values (a live ring can keep each frame
 * twice to make every window contiguous). Allocation: constructor only.
 */
export class StoiSegmentKernel {
  /** ESTOI rows or columns found constant (zero variance) in the last `extended` call. */
  degenerateVectors = 0;
  private readonly xs = new Float64Array(STOI_SEGMENT_FRAMES * STOI_NUM_BANDS);
  private readonly ys = new Float64Array(STOI_SEGMENT_FRAMES * STOI_NUM_BANDS);

  /**
   * STOI: mean over the 15 bands of the correlation between the clean envelope and the normalised,
   * clipped degraded envelope ([1] eq. 3–5), with pystoi's EPS placement:
   * α = ‖x‖/(‖y‖ + EPS), y' = min(α·y, (1 + 10^(−β/20))·x), d = ⟨y' − ȳ', x − x̄⟩ / ((‖y' − ȳ'‖ + EPS)(‖x − x̄‖ + EPS)).
   * An all-zero deg segment gives exactly 0, as in pystoi.
   */
  classic(x: Float64Array, y: Float64Array, offset: number): number {
    const B = STOI_NUM_BANDS;
    const T = STOI_SEGMENT_FRAMES;
    const yp = this.ys;
    let total = 0;
    for (let b = 0; b < B; b++) {
      let sxx = 0;
      let syy = 0;
      for (let t = 0, o = offset + b; t < T; t++, o += B) {
        const xv = x[o];
        const yv = y[o];
        sxx += xv * xv;
        syy += yv * yv;
      }
      const alpha = Math.sqrt(sxx) / (Math.sqrt(syy) + EPS);
      let mx = 0;
      let my = 0;
      for (let t = 0, o = offset + b; t < T; t++, o += B) {
        const xv = x[o];
        const v = Math.min(y[o] * alpha, xv * CLIP_FACTOR);
        yp[t] = v;
        mx += xv;
        my += v;
      }
      mx /= T;
      my /= T;
      let sxy = 0;
      let cxx = 0;
      let cyy = 0;
      for (let t = 0, o = offset + b; t < T; t++, o += B) {
        const dx = x[o] - mx;
        const dy = yp[t] - my;
        sxy += dx * dy;
        cxx += dx * dx;
        cyy += dy * dy;
      }
      total += sxy / ((Math.sqrt(cyy) + EPS) * (Math.sqrt(cxx) + EPS));
    }
    return total / B;
  }

  /**
   * ESTOI: normalise each band's 30-frame row to zero mean and unit norm, then each frame's 15-band
   * column likewise, and average the column inner products over the 30 frames ([2] eq. 3–8).
   *
   * pystoi adds EPS·N(0,1) dither before each normalisation, which only matters for a constant row or
   * column (then its value is random). Here such a vector (norm exactly 0 after mean removal) is set to
   * zeros, i.e. contributes no correlation; `degenerateVectors` counts them so callers can report it.
   */
  extended(x: Float64Array, y: Float64Array, offset: number): number {
    const B = STOI_NUM_BANDS;
    const T = STOI_SEGMENT_FRAMES;
    this.degenerateVectors = 0;
    // Rows: centred and scaled to unit norm (zeros if constant), into xs / ys, frame-major from 0.
    this.normalizeRowsPair(x, y, offset, this.xs, this.ys);
    const xs = this.xs;
    const ys = this.ys;
    let sum = 0;
    for (let t = 0, o = 0; t < T; t++, o += B) {
      // Column t, centred over bands, then the normalised inner product.
      let mx = 0;
      let my = 0;
      for (let b = 0; b < B; b++) {
        mx += xs[o + b];
        my += ys[o + b];
      }
      mx /= B;
      my /= B;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      for (let b = 0; b < B; b++) {
        const a = xs[o + b] - mx;
        const c = ys[o + b] - my;
        sxx += a * a;
        syy += c * c;
        sxy += a * c;
      }
      if (sxx > 0 && syy > 0) {
        sum += sxy * (1 / Math.sqrt(sxx)) * (1 / Math.sqrt(syy));
      } else {
        if (!(sxx > 0)) this.degenerateVectors++;
        if (!(syy > 0)) this.degenerateVectors++;
      }
    }
    return sum / T;
  }

  /**
   * Centres each band's row of the segment and scales it to unit norm (pystoi: × 1/‖row‖), x into
   * `outX` and y into `outY`. Both signals go through the same loops: two independent chains of sums
   * per loop instead of one (each sum still adds in increasing t, so the values are those of one
   * signal at a time, bit for bit).
   */
  private normalizeRowsPair(x: Float64Array, y: Float64Array, offset: number, outX: Float64Array, outY: Float64Array): void {
    const B = STOI_NUM_BANDS;
    const T = STOI_SEGMENT_FRAMES;
    for (let b = 0; b < B; b++) {
      let mx = 0;
      let my = 0;
      for (let t = 0, o = offset + b; t < T; t++, o += B) {
        mx += x[o];
        my += y[o];
      }
      mx /= T;
      my /= T;
      let sx = 0;
      let sy = 0;
      for (let t = 0, o = offset + b, p = b; t < T; t++, o += B, p += B) {
        const u = x[o] - mx;
        const v = y[o] - my;
        outX[p] = u;
        outY[p] = v;
        sx += u * u;
        sy += v * v;
      }
      let ix = 0;
      let iy = 0;
      if (sx > 0) ix = 1 / Math.sqrt(sx);
      else this.degenerateVectors++;
      if (sy > 0) iy = 1 / Math.sqrt(sy);
      else this.degenerateVectors++;
      for (let t = 0, p = b; t < T; t++, p += B) {
        outX[p] *= ix;
        outY[p] *= iy;
      }
    }
  }
}
