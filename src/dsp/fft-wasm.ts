/**
 * WebAssembly SIMD (f64x2) build of `Radix4FftPlan`: the same algorithm, operation for operation, so its
 * output is bit-identical to the JS plan's (see assembly/fft-radix4.ts for why that holds).
 *
 * - One shared instance, compiled synchronously (`new WebAssembly.Module`) from bytes embedded as base64
 *   in ./generated/fft-radix4-wasm.ts (made by tools/build-wasm.mjs at build/test time, not committed),
 *   so `realFftPlan()` stays synchronous. No Node built-in is used: this also runs in browsers and
 *   AudioWorklets.
 * - Each plan gets its own region of the shared linear memory (two data buffers and the JS plan's
 *   tables, copied in), allocated once in the constructor; memory grows as plans are created.
 *   `forward` and `inverse` copy in, run, copy out, and allocate nothing.
 * - Not re-entrant: a plan's buffers are reused by every call (as the JS plan's scratch is). Everything
 *   here is synchronous, so that only matters if a call were made from inside another, which none is.
 * - Fallback: if WebAssembly or SIMD is missing, or synchronous compilation throws (Chrome refuses
 *   modules over 4 KB on the main thread), or memory cannot grow, `wasmRealFftPlan` silently returns a
 *   `Radix4FftPlan`; the results are the same bits either way.
 */
import { COS_PI_8, Radix4FftPlan, SIN_PI_8, SQRT1_2, assertFftSize } from './fft-radix4.js';
import type { RealFftPlan } from './fft.js';
import { FFT_RADIX4_WASM_BASE64 } from './generated/fft-radix4-wasm.js';
import { WasmHeap, decodeBase64, instantiateSimd, type WasmMemory } from './wasm-heap.js';

export { decodeBase64 };

/** The kernel's exports (assembly/fft-radix4.ts). Pointers are byte offsets into `memory`. */
interface KernelExports {
  readonly memory: WasmMemory;
  setConstants(cosPi8: number, sinPi8: number, sqrt1_2: number): void;
  forward(src: number, dst: number, from: number, tw: number, split: number, m: number, r: number, lastLen: number, lastOffset: number): void;
  inverse(spec: number, work: number, out: number, from: number, tw: number, split: number, m: number, r: number, lastLen: number, lastOffset: number): void;
  windowedPower(
    src: number, win: number, len: number, useBias: number, bias: number, dst: number,
    from: number, tw: number, split: number, m: number, r: number, lastLen: number, lastOffset: number, pow: number, bins: number,
  ): void;
}

/** A loaded kernel with its bump allocator. */
export class FftKernel extends WasmHeap {
  readonly exports: KernelExports;

  constructor(exports: KernelExports) {
    super(exports.memory);
    this.exports = exports;
    exports.setConstants(COS_PI_8, SIN_PI_8, SQRT1_2);
  }
}

/**
 * Compiles and instantiates `bytes` synchronously; null if this runtime has no WebAssembly or no SIMD,
 * or compilation/instantiation throws. Never throws.
 */
export function loadFftKernel(bytes: Uint8Array): FftKernel | null {
  const exports = instantiateSimd(bytes);
  return exports === null ? null : new FftKernel(exports as KernelExports);
}

let shared: FftKernel | null | undefined;

/** The shared kernel from the embedded module, loaded on first use; null when unavailable. */
export function sharedFftKernel(): FftKernel | null {
  if (shared === undefined) shared = loadFftKernel(decodeBase64(FFT_RADIX4_WASM_BASE64));
  return shared;
}

/**
 * A plan of size N on the shared WebAssembly kernel, or a `Radix4FftPlan` (same output bits) when the
 * kernel is unavailable or its memory cannot grow. Throws only for a bad size, as `Radix4FftPlan` does.
 */
export function wasmRealFftPlan(size: number, kernel: FftKernel | null = sharedFftKernel()): RealFftPlan {
  assertFftSize(size);
  if (kernel !== null) {
    try {
      return new WasmRadix4FftPlan(size, kernel);
    } catch {
      // memory.grow failed: fall through
    }
  }
  return new Radix4FftPlan(size);
}

/** See the module comment. Create through `wasmRealFftPlan` (which falls back). */
export class WasmRadix4FftPlan implements RealFftPlan {
  readonly size: number;
  private readonly kernel: FftKernel;
  private readonly m: number;
  private readonly r: number;
  private readonly lastLen: number;
  private readonly lastOffset: number;
  /** Byte offsets: a = spectrum buffer (N + 2 doubles), b = sample buffer (N), tables. */
  private readonly a: number;
  private readonly b: number;
  private readonly from: number;
  private readonly tw: number;
  private readonly split: number;
  private generation = -1;
  // Views of a and b, made once per memory growth (so no call allocates one).
  private aSpec!: Float64Array; // N + 2
  private aSamples!: Float64Array; // N (the inverse's output)
  private bSamples!: Float64Array; // N
  /**
   * `windowedPower`'s windows (copied in once per distinct window: the plan is shared per size, and
   * module memory is never freed, so equal windows share one region) and its power region (N/2 + 1
   * doubles), allocated on first use.
   */
  private readonly windows: { values: Float64Array; ptr: number }[] = [];
  private pow = -1;
  private powView!: Float64Array;

  constructor(size: number, kernel: FftKernel) {
    const js = new Radix4FftPlan(size); // validates the size; its tables are copied below
    const t = js.tables();
    this.size = size;
    this.kernel = kernel;
    this.m = size / 2;
    this.r = t.firstRadix;
    this.lastLen = t.lastLen;
    this.lastOffset = t.lastOffset;
    this.a = kernel.alloc(8 * (size + 2));
    this.b = kernel.alloc(8 * size);
    this.from = kernel.alloc(4 * t.firstSrc.length);
    this.tw = kernel.alloc(16 * t.twiddles.length);
    this.split = kernel.alloc(8 * t.split.length);
    const buf = kernel.exports.memory.buffer;
    new Int32Array(buf, this.from, t.firstSrc.length).set(t.firstSrc);
    // Expanded for SIMD (see assembly/fft-radix4.ts): cos → (c, c), sin → (s, −s).
    const tw = new Float64Array(buf, this.tw, 2 * t.twiddles.length);
    for (let i = 0; i < t.twiddles.length; i++) {
      const v = t.twiddles[i];
      tw[2 * i] = v;
      tw[2 * i + 1] = i % 2 === 0 ? v : -v;
    }
    new Float64Array(buf, this.split, t.split.length).set(t.split);
    this.views();
  }

  private views(): void {
    const buf = this.kernel.exports.memory.buffer;
    const n = this.size;
    this.aSpec = new Float64Array(buf, this.a, n + 2);
    this.aSamples = new Float64Array(buf, this.a, n);
    this.bSamples = new Float64Array(buf, this.b, n);
    if (this.pow >= 0) this.powView = new Float64Array(buf, this.pow, n / 2 + 1);
    this.generation = this.kernel.generation;
  }

  forward(input: Float64Array, out: Float64Array): void {
    if (this.generation !== this.kernel.generation) this.views();
    const n = this.size;
    const b = this.bSamples;
    if (input.length === n) b.set(input);
    else for (let i = 0; i < n; i++) b[i] = input[i];
    this.kernel.exports.forward(this.b, this.a, this.from, this.tw, this.split, this.m, this.r, this.lastLen, this.lastOffset);
    out.set(this.aSpec);
  }

  /**
   * A handle for `window` (length ≤ N) in `windowedPower`: its values are copied into the module's
   * memory the first time they are seen by this plan. Throws a RangeError if memory cannot grow
   * (callers then keep to `forward`).
   */
  windowHandle(window: Float64Array): number {
    const n = this.size;
    if (window.length > n) throw new RangeError(`window of ${window.length} samples for an FFT of ${n}`);
    const same = (v: Float64Array) => v.length === window.length && v.every((x, i) => Object.is(x, window[i]));
    const known = this.windows.findIndex((w) => same(w.values));
    if (known >= 0) return known;
    const ptr = this.kernel.alloc(8 * Math.max(1, window.length));
    if (this.pow < 0) this.pow = this.kernel.alloc(8 * (n / 2 + 1));
    this.views();
    const values = window.slice();
    new Float64Array(this.kernel.exports.memory.buffer, ptr, values.length).set(values);
    this.windows.push({ values, ptr });
    return this.windows.length - 1;
  }

  /**
   * out[j] = |X[j]|², j < bins (≤ N/2 + 1), X the transform of the frame x[offset .. offset + w) times
   * the window of `handle` (w its length), zero-padded to N: w[n]·(x + bias) with `useBias`, else
   * x·w[n] (bit for bit the JS loops of src/dsp/windowed-power.ts). Only the raw samples are copied
   * in (a plain loop: a subarray view per call would allocate); windowing, the transform and the
   * squares run in the module. Allocates nothing.
   */
  windowedPower(handle: number, x: Float64Array, offset: number, useBias: boolean, bias: number, out: Float64Array, bins: number): void {
    if (this.generation !== this.kernel.generation) this.views();
    const w = this.windows[handle];
    const b = this.bSamples;
    const len = w.values.length;
    for (let i = 0; i < len; i++) b[i] = x[offset + i];
    this.kernel.exports.windowedPower(
      this.b, w.ptr, len, useBias ? 1 : 0, bias, this.a,
      this.from, this.tw, this.split, this.m, this.r, this.lastLen, this.lastOffset, this.pow, bins,
    );
    const p = this.powView;
    if (bins === p.length) out.set(p);
    else for (let j = 0; j < bins; j++) out[j] = p[j];
  }

  inverse(spectrum: Float64Array, out: Float64Array): void {
    if (this.generation !== this.kernel.generation) this.views();
    const n = this.size;
    const a = this.aSpec;
    if (spectrum.length === n + 2) a.set(spectrum);
    else for (let i = 0; i < n + 2; i++) a[i] = spectrum[i];
    // Spectrum in a, unsplit into b, DFT from b back into a (a's spectrum is consumed by then).
    this.kernel.exports.inverse(this.a, this.b, this.a, this.from, this.tw, this.split, this.m, this.r, this.lastLen, this.lastOffset);
    out.set(this.aSamples);
  }
}
