/**
 * Optional FFT backend: PFFFT compiled to SIMD WebAssembly (`@echogarden/pffft-wasm`, an optional
 * dependency), 4–7× faster than fft.js on this machine class. It computes in float32, so it suits the
 * live engine's windows and spectrograms, not the float64 agreement the offline metrics promise
 * (CI-SDR's 1e-6 dB needs float64 correlations): it is never the default.
 * Use: `setRealFftFactory(await loadPffftFactory())`, or pass the factory to a benchmark.
 */
import { earshotError } from '../errors.js';
import type { RealFftFactory, RealFftPlan } from './fft.js';

interface PffftModule {
  HEAPF32: Float32Array;
  _pffft_new_setup(n: number, transform: number): number;
  _pffft_transform_ordered(setup: number, input: number, output: number, work: number, direction: number): void;
  _pffft_aligned_malloc(bytes: number): number;
}

const PFFFT_REAL = 0;
const PFFFT_FORWARD = 0;
const PFFFT_BACKWARD = 1;

class PffftPlan implements RealFftPlan {
  readonly size: number;
  private readonly setup: number;
  private readonly inPtr: number;
  private readonly outPtr: number;
  private readonly workPtr: number;

  constructor(
    private readonly mod: PffftModule,
    size: number,
  ) {
    // PFFFT's real transform needs N to be a multiple of 32 (SIMD width × 8).
    if (!Number.isInteger(size) || size < 32 || (size & (size - 1)) !== 0) {
      throw earshotError('ERR_INVALID_ARGUMENT', `PFFFT size must be a power of two ≥ 32, got ${size}`);
    }
    this.size = size;
    this.setup = mod._pffft_new_setup(size, PFFFT_REAL);
    this.inPtr = mod._pffft_aligned_malloc(size * 4);
    this.outPtr = mod._pffft_aligned_malloc(size * 4);
    this.workPtr = mod._pffft_aligned_malloc(size * 4);
  }

  forward(input: Float64Array, out: Float64Array): void {
    const n = this.size;
    const heap = this.mod.HEAPF32; // re-read: the wasm memory may have grown
    const i0 = this.inPtr >> 2;
    for (let i = 0; i < n; i++) heap[i0 + i] = input[i];
    this.mod._pffft_transform_ordered(this.setup, this.inPtr, this.outPtr, this.workPtr, PFFFT_FORWARD);
    const o = this.outPtr >> 2;
    // Ordered real output: [DC, Nyquist, re1, im1, re2, im2, ...].
    out[0] = heap[o];
    out[1] = 0;
    for (let k = 1; k < n / 2; k++) {
      out[2 * k] = heap[o + 2 * k];
      out[2 * k + 1] = heap[o + 2 * k + 1];
    }
    out[n] = heap[o + 1];
    out[n + 1] = 0;
  }

  inverse(spectrum: Float64Array, out: Float64Array): void {
    const n = this.size;
    const heap = this.mod.HEAPF32;
    const i0 = this.inPtr >> 2;
    heap[i0] = spectrum[0];
    heap[i0 + 1] = spectrum[n];
    for (let k = 1; k < n / 2; k++) {
      heap[i0 + 2 * k] = spectrum[2 * k];
      heap[i0 + 2 * k + 1] = spectrum[2 * k + 1];
    }
    this.mod._pffft_transform_ordered(this.setup, this.inPtr, this.outPtr, this.workPtr, PFFFT_BACKWARD);
    const o = this.outPtr >> 2;
    for (let i = 0; i < n; i++) out[i] = heap[o + i] / n; // PFFFT's inverse is unscaled
  }
}

/** Loads the SIMD build; rejects with a clear error when the optional package is not installed. */
export async function loadPffftFactory(): Promise<RealFftFactory> {
  let init: (arg?: object) => Promise<PffftModule>;
  try {
    const name = '@echogarden/pffft-wasm/simd';
    init = ((await import(name)) as { default: (arg?: object) => Promise<PffftModule> }).default;
  } catch (e) {
    throw earshotError('ERR_INVALID_ARGUMENT', `the optional FFT backend @echogarden/pffft-wasm is not available (${(e as Error).message})`);
  }
  const mod = await init();
  const plans = new Map<number, PffftPlan>();
  return (size: number) => {
    let plan = plans.get(size);
    if (!plan) plans.set(size, (plan = new PffftPlan(mod, size)));
    return plan;
  };
}
