/**
 * Short-time spectra of single frames on top of the FFT plan interface. A `SpectrumPlan` owns its
 * window and scratch buffers, built once; `power` and `magnitude` write bins 0..N/2 into `out`
 * (length N/2 + 1) and allocate nothing.
 */
import { type RealFftPlan, realFftPlan } from './fft.js';
import { WindowedPowerPlan } from './windowed-power.js';

export class SpectrumPlan {
  readonly size: number;
  readonly bins: number;
  readonly window: Float64Array;
  private readonly fft: RealFftPlan;
  private readonly windowed: Float64Array;
  private readonly spectrum: Float64Array;
  private readonly powerPlan: WindowedPowerPlan;

  /** `window.length` ≤ `size`; shorter frames are zero-padded to the FFT size. */
  constructor(size: number, window: Float64Array) {
    this.size = size;
    this.bins = size / 2 + 1;
    this.window = window;
    this.fft = realFftPlan(size);
    this.windowed = new Float64Array(size);
    this.spectrum = new Float64Array(size + 2);
    this.powerPlan = new WindowedPowerPlan(size, window);
  }

  /** Complex spectrum (interleaved re, im for bins 0..N/2) of `frame` × window. */
  complex(frame: Float64Array): Float64Array {
    const w = this.window;
    const x = this.windowed;
    for (let i = 0; i < w.length; i++) x[i] = frame[i] * w[i];
    this.fft.forward(x, this.spectrum);
    return this.spectrum;
  }

  /** |X[k]|² for k = 0..N/2. */
  power(frame: Float64Array, out: Float64Array): void {
    this.powerPlan.power(frame, 0, out);
  }

  /** |X[k]| for k = 0..N/2. */
  magnitude(frame: Float64Array, out: Float64Array): void {
    this.power(frame, out);
    for (let k = 0; k < this.bins; k++) out[k] = Math.sqrt(out[k]);
  }
}
