/**
 * Spectral distances between ref and deg, frame by frame, on ~32 ms periodic-Hann frames with 50 %
 * overlap (FFT size N = 2^round(log2(0.032·fs)): 256 at 8 kHz, 512 at 16 kHz, 2048 at 48 kHz):
 * - log-spectral distance (dB, lower is better): per frame
 *   sqrt( mean over bins 0..N/2 of (10·log10 P_ref − 10·log10 P_deg)² ), power spectra normalised to
 *   dBFS and floored at LSD_FLOOR_DB so digital silence stays finite; mean over frames.
 * - cosine similarity of magnitude spectra (higher is better, 0..1): per frame ⟨|R|, |D|⟩ / (‖R‖·‖D‖),
 *   mean over frames where both are non-zero (a silent frame has no direction).
 * Both are means of per-frame values, with the standard error over frames as uncertainty.
 * There is no single reference implementation of either; the definitions are documented in
 * docs/metrics.md and pinned by tests on signals with known answers.
 */
import { FrontEnd, STFT32_SE_SPAN, stft32Size, type SpectrumConsumer } from '../features/front-end.js';
import { earshotError } from '../errors.js';
import { RunningStats } from './running-stats.js';
import { type MetricAccumulator, type MetricValue, type SignalBlock, nullValue, value } from './types.js';

export const SPECTRAL_FRAME_SEC = 0.032;
/**
 * Power floor per bin in dB re a full-scale sine. Without a floor, digital silence in ref against the
 * faint noise of deg would dominate the mean with 100+ dB frame distances; −80 dBFS is at the edge
 * of audibility at normal playback levels, so differences below it are not counted.
 */
export const LSD_FLOOR_DB = -80;

/** FFT size of the shared 32 ms STFT at `sampleRate` (Hz). */
export const spectralFftSize = stft32Size;

export interface SpectralResult {
  lsd: MetricValue & { uncertainty: number | null };
  cosine: MetricValue & { uncertainty: number | null };
}

/** Log-spectral distance of one frame from its two power spectra (pure kernel), in dB. */
export function frameLogSpectralDistance(pRef: Float64Array, pDeg: Float64Array, floorPower: number): number {
  let acc = 0;
  for (let k = 0; k < pRef.length; k++) {
    const d = 10 * Math.log10(Math.max(pRef[k], floorPower) / Math.max(pDeg[k], floorPower));
    acc += d * d;
  }
  return Math.sqrt(acc / pRef.length);
}

/**
 * Cosine similarity of two magnitude spectra given as power spectra (|R|·|D| = sqrt(P_R·P_D), so one
 * square root per bin and no magnitude arrays), or NaN if either is all zero (the caller skips it).
 */
export function frameCosineFromPower(pRef: Float64Array, pDeg: Float64Array): number {
  let rr = 0;
  let dd = 0;
  let rd = 0;
  for (let k = 0; k < pRef.length; k++) {
    rr += pRef[k];
    dd += pDeg[k];
    rd += Math.sqrt(pRef[k] * pDeg[k]);
  }
  return rr > 0 && dd > 0 ? rd / Math.sqrt(rr * dd) : NaN;
}

/**
 * LSD and spectral cosine, a consumer of the front end's 32 ms power spectra. Give it the session's
 * `FrontEnd` (which then drives it), or a sample rate for standalone use (`update` feeds a front end
 * of its own).
 */
export class SpectralAccumulator implements MetricAccumulator<SignalBlock, SpectralResult>, SpectrumConsumer {
  readonly fftSize: number;
  private readonly floorPower: number;
  private readonly lsd = new RunningStats();
  private readonly cosine = new RunningStats();
  private readonly own: FrontEnd | null;

  /** `frameSink` sees each frame's LSD and cosine (NaN where a frame is silent) for the live windows. */
  constructor(source: number | FrontEnd, private readonly frameSink?: (lsd: number, cosine: number) => void) {
    const fe = typeof source === 'number' ? new FrontEnd(source) : source;
    this.own = typeof source === 'number' ? fe : null;
    const { fftSize, window } = fe.onStft32(this);
    this.fftSize = fftSize;
    // A full-scale sine gives |X|² ≈ (Σw / 2)²; the floor is LSD_FLOOR_DB below that.
    let sumW = 0;
    for (const w of window) sumW += w;
    this.floorPower = (sumW / 2) ** 2 * 10 ** (LSD_FLOOR_DB / 10);
  }

  /** @internal One frame's power spectra, from the front end. */
  spectra(pRef: Float64Array, pDeg: Float64Array): void {
    const lsd = frameLogSpectralDistance(pRef, pDeg, this.floorPower);
    this.lsd.add(lsd);
    const c = frameCosineFromPower(pRef, pDeg);
    if (!Number.isNaN(c)) this.cosine.add(c);
    this.frameSink?.(lsd, c);
  }

  /** Standalone use only: a shared front end is fed by its owner. */
  update(block: SignalBlock): void {
    if (!this.own) throw earshotError('ERR_INVALID_ARGUMENT', 'this accumulator reads a shared front end: push blocks to the FrontEnd');
    this.own.push({ ref: block.ref, deg: block.deg });
  }

  compute(): SpectralResult {
    const short = `signal shorter than one ${this.fftSize}-sample frame`;
    const lsd =
      this.lsd.count === 0
        ? { ...nullValue(short), uncertainty: null }
        : { ...value(this.lsd.mean), uncertainty: this.lsd.standardError(STFT32_SE_SPAN) };
    const cosine =
      this.cosine.count > 0
        ? { ...value(this.cosine.mean), uncertainty: this.cosine.standardError(STFT32_SE_SPAN) }
        : { ...nullValue(this.lsd.count === 0 ? short : 'no frame where both signals are non-silent'), uncertainty: null };
    return { lsd, cosine };
  }

  reset(): void {
    this.own?.reset();
    this.lsd.reset();
    this.cosine.reset();
  }
}
