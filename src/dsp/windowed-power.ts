/**
 * The power spectrum of one windowed, zero-padded frame: the step every spectral front end repeats per
 * frame (the 32 ms STFT, pysepm's WSS/fwSegSNR frames, the PESQ-like model). One plan per geometry,
 * built once; `power` allocates nothing.
 *
 * On the WebAssembly FFT (the default, src/dsp/fft-wasm.ts) the window product, the transform and the
 * squares run in one call inside the module, with SIMD: in JS those two loops cost as much as the
 * transform itself. Elsewhere (no WebAssembly, or another FFT factory) the same arithmetic runs here
 * in JS. Both give the same bits: the same IEEE operations in the same order per sample and per bin.
 */
import { realFftPlan, type RealFftFactory, type RealFftPlan } from './fft.js';
import { WasmRadix4FftPlan } from './fft-wasm.js';

export interface WindowedPowerOptions {
  /**
   * Added to every sample before windowing, w·(x + bias) (pysepm adds its eps so that silence has a
   * finite log spectrum); absent: x·w, nothing added (so a −0 sample stays −0).
   */
  bias?: number;
  /** Bins written: N/2 + 1 (default, Nyquist included) or fewer (pysepm drops the Nyquist bin). */
  bins?: number;
  /** FFT plans (tests); default `realFftPlan`. */
  fft?: RealFftFactory;
}

export class WindowedPowerPlan {
  readonly size: number;
  readonly bins: number;
  readonly window: Float64Array;
  private readonly useBias: boolean;
  private readonly bias: number;
  private readonly plan: RealFftPlan;
  /** The module does it all; null: the JS loops below with `plan.forward`. */
  private readonly wasm: WasmRadix4FftPlan | null;
  private readonly handle: number;
  private readonly frame: Float64Array;
  private readonly spectrum: Float64Array;

  /**
   * `window.length` ≤ `size`: shorter frames are zero-padded to the FFT size. The window's values are
   * taken now (copied), later changes to the array do not count.
   */
  constructor(size: number, window: Float64Array, options: WindowedPowerOptions = {}) {
    // The shared plan of its size: its buffers serve one call at a time (everything is synchronous).
    this.plan = (options.fft ?? realFftPlan)(size);
    if (window.length > size) throw new RangeError(`window of ${window.length} samples for an FFT of ${size}`);
    this.size = size;
    this.window = window.slice();
    this.bins = options.bins ?? size / 2 + 1;
    if (!Number.isInteger(this.bins) || this.bins < 1 || this.bins > size / 2 + 1) throw new RangeError(`bins must be 1..${size / 2 + 1}, got ${this.bins}`);
    this.useBias = options.bias !== undefined;
    this.bias = options.bias ?? 0;
    let wasm: WasmRadix4FftPlan | null = null;
    let handle = -1;
    if (this.plan instanceof WasmRadix4FftPlan) {
      try {
        handle = this.plan.windowHandle(this.window);
        wasm = this.plan;
      } catch {
        // memory could not grow: the JS loops
      }
    }
    this.wasm = wasm;
    this.handle = handle;
    this.frame = new Float64Array(wasm ? 0 : size); // tail past the window stays zero
    this.spectrum = new Float64Array(wasm ? 0 : size + 2);
  }

  /** out[j] = |FFT(window · x[offset .. offset + window.length))[j]|² for j < bins. */
  power(x: Float64Array, offset: number, out: Float64Array): void {
    if (this.wasm !== null) this.wasm.windowedPower(this.handle, x, offset, this.useBias, this.bias, out, this.bins);
    else this.powerJs(x, offset, out);
  }

  private powerJs(x: Float64Array, offset: number, out: Float64Array): void {
    const w = this.window;
    const f = this.frame;
    if (this.useBias) {
      const bias = this.bias;
      for (let n = 0; n < w.length; n++) f[n] = w[n] * (x[offset + n] + bias);
    } else {
      for (let n = 0; n < w.length; n++) f[n] = x[offset + n] * w[n];
    }
    this.plan.forward(f, this.spectrum);
    const s = this.spectrum;
    for (let j = 0; j < this.bins; j++) out[j] = s[2 * j] * s[2 * j] + s[2 * j + 1] * s[2 * j + 1];
  }
}
