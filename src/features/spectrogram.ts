/**
 * Coarse log spectra of the aligned ref and deg for the dashboard's scrolling spectrograms: one more
 * consumer of the front end's 32 ms power spectra (no FFT of its own). The frames of each column
 * (1/rate s of stream) are averaged per band, pooled into mel-spaced bands and quantised to one byte
 * per band (byte q means SPECTRUM_DB_MIN + q·SPECTRUM_DB_STEP dB re a full-scale sine).
 */
import type { FrontEnd, SpectrumConsumer } from './front-end.js';

/** Columns per second of stream time. */
export const SPECTRUM_RATE_HZ = 10;
export const SPECTRUM_BANDS = 64;
/** Lowest band edge (Hz); the highest is Nyquist. */
export const SPECTRUM_FMIN_HZ = 50;
/** 0..255 → −120..+7.5 dB. */
export const SPECTRUM_DB_MIN = -120;
export const SPECTRUM_DB_STEP = 0.5;
/** Power floor before the log (−200 dB), so digital silence maps to byte 0 and never to −Infinity. */
const POWER_FLOOR = 1e-20;

const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
const melInv = (m: number) => 700 * (10 ** (m / 2595) - 1);

/** Mel band layout over the bins 0..N/2 of an N-point spectrum. */
export interface SpectrumBands {
  readonly bands: number;
  readonly fminHz: number;
  readonly fmaxHz: number;
  /** Bins [bandStart[b], bandEnd[b]) make band b. */
  readonly bandStart: Int32Array;
  readonly bandEnd: Int32Array;
}

export function spectrumBands(sampleRate: number, fftSize: number, bands = SPECTRUM_BANDS, fminHz = SPECTRUM_FMIN_HZ): SpectrumBands {
  const bandStart = new Int32Array(bands);
  const bandEnd = new Int32Array(bands);
  const binHz = sampleRate / fftSize;
  const fmaxHz = sampleRate / 2;
  const m0 = mel(fminHz);
  const m1 = mel(fmaxHz);
  for (let b = 0; b < bands; b++) {
    const lo = melInv(m0 + ((m1 - m0) * b) / bands);
    const hi = melInv(m0 + ((m1 - m0) * (b + 1)) / bands);
    let start = Math.ceil(lo / binHz);
    let end = Math.min(fftSize / 2 + 1, Math.ceil(hi / binHz));
    // Low bands narrower than one bin take the bin nearest their centre.
    if (end <= start) {
      start = Math.min(fftSize / 2, Math.round((lo + hi) / 2 / binHz));
      end = start + 1;
    }
    bandStart[b] = start;
    bandEnd[b] = end;
  }
  return { bands, fminHz, fmaxHz, bandStart, bandEnd };
}

export interface SpectrumColumn {
  /** Stream time (s, of the aligned stream) at the end of the column. */
  t: number;
  dt: number;
  /** Band layout: `ref.length` mel bands from fminHz to fmaxHz (Nyquist). */
  fminHz: number;
  fmaxHz: number;
  ref: Uint8Array;
  deg: Uint8Array;
}

/** Mean band powers per column of a ref/deg pair, from the front end's spectra. */
export class Spectrogram implements SpectrumConsumer {
  readonly layout: SpectrumBands;
  private readonly refPower: Float64Array;
  private readonly degPower: Float64Array;
  /** 1 / (Σw / 2)²: a full-scale sine reads 0 dB. */
  private readonly norm: number;
  private readonly framesPerColumn: number;
  private readonly hopSec: number;
  private frames = 0;
  private total = 0;

  constructor(
    fe: FrontEnd,
    private readonly onColumn: (c: SpectrumColumn) => void,
    rateHz = SPECTRUM_RATE_HZ,
  ) {
    const { fftSize, window } = fe.onStft32(this);
    let sum = 0;
    for (const w of window) sum += w;
    this.norm = 1 / (sum / 2) ** 2;
    this.layout = spectrumBands(fe.sampleRate, fftSize);
    this.refPower = new Float64Array(this.layout.bands);
    this.degPower = new Float64Array(this.layout.bands);
    this.hopSec = fftSize / 2 / fe.sampleRate;
    // Columns are whole numbers of frames (hop N/2): 10 per second at 16 kHz is 6.25 frames, so 6.
    this.framesPerColumn = Math.max(1, Math.round(1 / rateHz / this.hopSec));
  }

  /** @internal One frame's power spectra, from the front end. */
  spectra(pRef: Float64Array, pDeg: Float64Array): void {
    const { bands, bandStart, bandEnd } = this.layout;
    for (let b = 0; b < bands; b++) {
      let r = 0;
      let d = 0;
      for (let k = bandStart[b]; k < bandEnd[b]; k++) {
        r += pRef[k];
        d += pDeg[k];
      }
      const w = bandEnd[b] - bandStart[b];
      this.refPower[b] += r / w;
      this.degPower[b] += d / w;
    }
    this.total++;
    if (++this.frames === this.framesPerColumn) {
      // The column ends where its last frame ends: frame k covers [k·hop, k·hop + 2·hop).
      const dt = this.frames * this.hopSec;
      this.onColumn({ t: (this.total + 1) * this.hopSec, dt, fminHz: this.layout.fminHz, fmaxHz: this.layout.fmaxHz, ref: this.column(this.refPower), deg: this.column(this.degPower) });
      this.frames = 0;
    }
  }

  private column(power: Float64Array): Uint8Array {
    const out = new Uint8Array(power.length);
    const scale = this.norm / this.framesPerColumn;
    for (let b = 0; b < power.length; b++) {
      const db = 10 * Math.log10(power[b] * scale + POWER_FLOOR);
      const q = Math.round((db - SPECTRUM_DB_MIN) / SPECTRUM_DB_STEP);
      out[b] = q < 0 ? 0 : q > 255 ? 255 : q;
      power[b] = 0;
    }
    return out;
  }
}
