/**
 * Level alignment (P.862 §10.1.1; Rix et al. 2001 §2.1): the gain of the system under test is unknown,
 * so both signals are scaled to the same fixed listening level before the perceptual model. The level
 * is measured on a band-passed version of each signal (350 Hz to 3.25 kHz, where telephone speech
 * energy sits) and scaled to a mean-square of 10⁷ on the 16-bit sample scale, which the perceptual
 * model's calibration (a 1 kHz tone of amplitude 29.54 is 40 dB SPL, see perceptual-model.ts) places
 * at a comfortable listening level.
 *
 * We measure the band power from the analysis frames' power spectra (Parseval per frame, corrected
 * for the Hann window's overlap-added energy) instead of filtering the whole file in one FFT.
 */

/** Band of the level measurement, Hz. */
export const LEVEL_BAND_LO_HZ = 350;
export const LEVEL_BAND_HI_HZ = 3250;
/** Target mean-square power of the band-passed signal, 16-bit sample scale. */
export const TARGET_POWER = 1e7;

/** Accumulates the band-limited energy of Hann-windowed frames (hop N/2) of one signal. */
export class BandLevelMeter {
  private readonly lo: number;
  private readonly hi: number;
  private readonly nfft: number;
  private sum = 0;

  constructor(sampleRate: number, nfft: number) {
    this.nfft = nfft;
    this.lo = Math.ceil((LEVEL_BAND_LO_HZ * nfft) / sampleRate);
    this.hi = Math.min(nfft / 2 - 1, Math.floor((LEVEL_BAND_HI_HZ * nfft) / sampleRate));
  }

  /** Add one frame's power spectrum |X_k|², k = 0..N/2 (unnormalised FFT of the windowed frame). */
  add(power: Float64Array): void {
    let s = 0;
    for (let k = this.lo; k <= this.hi; k++) s += power[k];
    // Parseval: Σ_n (w·x)² = (1/N)·Σ_k |X_k|², each positive-frequency bin counted twice.
    this.sum += (2 * s) / this.nfft;
  }

  /**
   * Power gain bringing the band mean-square to TARGET_POWER, given the number of signal samples the
   * frames covered. With a periodic Hann window at 50 % overlap Σ_frames w² = 3/4 per sample.
   */
  powerGain(samples: number): number | null {
    const meanSquare = this.sum / (0.75 * samples);
    return meanSquare > 0 ? TARGET_POWER / meanSquare : null;
  }
}
