/**
 * Real FFT behind a small plan interface, so a faster backend can plug in without touching any metric.
 * The default backend is our float64 radix-4 FFT (./fft-radix4.ts) compiled to WebAssembly SIMD
 * (`WasmRadix4FftPlan`, ./fft-wasm.ts), falling back silently to the same algorithm in JS
 * (`Radix4FftPlan`), which runs everywhere, worklets included; fft.js stays available as `FftJsPlan`
 * (`setRealFftFactory((n) => new FftJsPlan(n))`).
 *
 * WebAssembly backend. Method: assembly/fft-radix4.ts is an AssemblyScript port of `Radix4FftPlan`,
 * one complex value per f64x2, every lane computed with the same IEEE operations in the same order as
 * the JS expression (no FMA, no relaxed SIMD) and with the JS plan's own twiddle tables copied into its
 * memory, so its output is bit-identical to `Radix4FftPlan` (test/dsp/fft-wasm.test.ts, N = 4..65536);
 * it is compiled at build/test time (tools/build-wasm.mjs, `prebuild`/`pretest`/`pretypecheck`) into
 * ./generated/ (gitignored) as base64 and instantiated synchronously on first use, one instance for
 * all plans. Speed (bench/fft.ts, Node 20, shared 2-core VM, interleaved): forward 2.35–2.5× the JS
 * plan at N = 256–4096, 1.5× at 16384–32768; inverse 2.5–2.6× and 1.5–1.6×. Whole `earshot analyze
 * --threads 1` of a 60 s pair: median 1.27 s vs 1.36 s (12 interleaved process pairs, cold), 0.75 s
 * vs 0.95 s repeated in one process (warm). Fallback: without WebAssembly or SIMD, when synchronous
 * compilation throws (Chrome's main thread refuses modules over 4 KB) or memory cannot
 * grow, `realFftPlan` returns a `Radix4FftPlan` (same bits). Force the JS plan for A/B with
 * `setRealFftFactory((n) => new Radix4FftPlan(n))`.
 *
 * Layout of a spectrum buffer: interleaved complex bins 0..N/2, i.e. `out[2k] = Re X[k]`,
 * `out[2k+1] = Im X[k]`, length N + 2. X[k] = sum_n x[n] exp(-2πi kn/N) (no scaling).
 */
import FFT from 'fft.js';
import { assertFftSize, Radix4FftPlan } from './fft-radix4.js';
import { wasmRealFftPlan } from './fft-wasm.js';

export { Radix4FftPlan } from './fft-radix4.js';
export { WasmRadix4FftPlan, wasmRealFftPlan } from './fft-wasm.js';

export interface RealFftPlan {
  readonly size: number;
  /**
   * Forward transform of `input` (length N) into `out` (length ≥ N + 2), which must not overlap
   * `input` (the default plan writes `out` while still reading `input`). Allocates nothing.
   */
  forward(input: Float64Array, out: Float64Array): void;
  /**
   * Inverse of `forward`: from bins 0..N/2 in `spectrum` (length ≥ N + 2) to `out` (length N),
   * scaled by 1/N so that inverse(forward(x)) = x. Allocates nothing.
   */
  inverse(spectrum: Float64Array, out: Float64Array): void;
}

export type RealFftFactory = (size: number) => RealFftPlan;

/** fft.js backend (the default before `Radix4FftPlan`). One instance and its working buffers per plan. */
export class FftJsPlan implements RealFftPlan {
  readonly size: number;
  private readonly fft: FFT;
  private readonly work: Float64Array; // complex, length 2N
  private readonly complexIn: Float64Array; // complex, length 2N

  constructor(size: number) {
    assertFftSize(size);
    this.size = size;
    this.fft = new FFT(size);
    this.work = new Float64Array(2 * size);
    this.complexIn = new Float64Array(2 * size);
  }

  forward(input: Float64Array, out: Float64Array): void {
    const n = this.size;
    // realTransform fills only bins 0..N/2 of its 2N-long output; the rest is scratch.
    this.fft.realTransform(this.work, input);
    out.set(this.work.subarray(0, n + 2));
  }

  inverse(spectrum: Float64Array, out: Float64Array): void {
    const n = this.size;
    const c = this.complexIn;
    c[0] = spectrum[0];
    c[1] = 0;
    for (let k = 1; k < n / 2; k++) {
      const re = spectrum[2 * k];
      const im = spectrum[2 * k + 1];
      c[2 * k] = re;
      c[2 * k + 1] = im;
      c[2 * (n - k)] = re;
      c[2 * (n - k) + 1] = -im;
    }
    c[n] = spectrum[n];
    c[n + 1] = 0;
    // inverseTransform already divides by N.
    this.fft.inverseTransform(this.work, c);
    for (let i = 0; i < n; i++) out[i] = this.work[2 * i];
  }
}

/** Default: the WebAssembly plan, or `Radix4FftPlan` where it cannot load (see the module comment). */
export const defaultRealFftFactory: RealFftFactory = (size) => wasmRealFftPlan(size);
let factory: RealFftFactory = defaultRealFftFactory;
const cache = new Map<number, RealFftPlan>();

/**
 * A shared plan for `size`. Plans keep working buffers, so a shared plan must not be used
 * re-entrantly (it is not: everything here is synchronous, one call at a time).
 */
export function realFftPlan(size: number): RealFftPlan {
  let plan = cache.get(size);
  if (!plan) {
    plan = factory(size);
    cache.set(size, plan);
  }
  return plan;
}

/** Switch the backend used by `realFftPlan` (drops cached plans). */
export function setRealFftFactory(f: RealFftFactory): void {
  factory = f;
  cache.clear();
}

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
