/**
 * `windowedAutocorrelate` (./lpc.ts) on a WebAssembly SIMD kernel (assembly/lpc.ts), bit-identical to the
 * JS function: f64x2 lanes hold pairs of lags, each lane summing in increasing n (see the kernel).
 *
 * - One shared instance, compiled synchronously from bytes embedded as base64 in
 *   ./generated/lpc-wasm.ts (made by tools/build-wasm.mjs, not committed); no Node built-in is used.
 * - A `WindowedAutocorrelationPlan` is built once per accumulator (window, frame length and order fixed):
 *   its constructor allocates the frame, window and lag buffers in the shared memory and copies the
 *   window in once. `run` copies a frame's raw samples in with a plain loop (no subarray, so nothing is
 *   allocated per frame), runs the kernel and copies the lags out.
 * - The windowed frame stays in wasm memory: the callers (LLR, cepstral distance) only pass JS scratch
 *   for it and never read it back, so `run` has no `out` argument.
 * - Not re-entrant (the buffers are reused per call); everything here is synchronous.
 * - Fallback: without WebAssembly/SIMD, or if memory cannot grow, the plan silently runs the JS
 *   `windowedAutocorrelate` on its own scratch; the results are the same bits either way.
 */
import { earshotError } from '../errors.js';
import { LPC_WASM_BASE64 } from './generated/lpc-wasm.js';
import { MAX_LPC_ORDER, windowedAutocorrelate } from './lpc.js';
import { WasmHeap, decodeBase64, instantiateSimd, type WasmMemory } from './wasm-heap.js';

/** The kernel's exports (assembly/lpc.ts). Pointers are byte offsets into `memory`. */
interface KernelExports {
  readonly memory: WasmMemory;
  windowedAutocorrelate(x: number, w: number, length: number, bias: number, order: number, r: number): number;
}

/** Lags the kernel may compute past `order` (its last group of lags; see assembly/lpc.ts). */
const LAG_SPARE = 11;

/** A loaded LPC kernel with its bump allocator. */
export class LpcKernel extends WasmHeap {
  readonly exports: KernelExports;

  constructor(exports: KernelExports) {
    super(exports.memory);
    this.exports = exports;
  }
}

/** `bytes` compiled and instantiated synchronously; null when WebAssembly/SIMD is unavailable. Never throws. */
export function loadLpcKernel(bytes: Uint8Array): LpcKernel | null {
  const exports = instantiateSimd(bytes);
  return exports === null ? null : new LpcKernel(exports as KernelExports);
}

let shared: LpcKernel | null | undefined;

/** The shared kernel from the embedded module, loaded on first use; null when unavailable. */
export function sharedLpcKernel(): LpcKernel | null {
  if (shared === undefined) shared = loadLpcKernel(decodeBase64(LPC_WASM_BASE64));
  return shared;
}

/**
 * `windowedAutocorrelate(x, offset, length, window, bias, order, out, r)` for a fixed window (its length
 * is the frame length) and order, on the wasm kernel when available. See the module comment.
 *
 * @example
 * const plan = new WindowedAutocorrelationPlan(hanningMatlab(480), 10);
 * const any = plan.run(signal, offset, SEPM_EPS, r); // r[0..10]
 */
export class WindowedAutocorrelationPlan {
  readonly length: number;
  readonly order: number;
  /** The kernel, or null on the JS path. */
  readonly kernel: LpcKernel | null;
  private readonly window: Float64Array;
  private readonly scratch: Float64Array | null; // JS path: the windowed frame
  /** Byte offsets of the frame, window and lag buffers (kernel path). */
  private readonly xPtr: number = 0;
  private readonly wPtr: number = 0;
  private readonly rPtr: number = 0;
  private generation = -1;
  // Views made once per memory growth (so no call allocates one).
  private xView!: Float64Array;
  private rView!: Float64Array;

  constructor(window: Float64Array, order: number, kernel: LpcKernel | null = sharedLpcKernel()) {
    if (!Number.isInteger(order) || order < 1 || order > MAX_LPC_ORDER) {
      throw earshotError('ERR_INVALID_ARGUMENT', `LPC order must be an integer in 1..${MAX_LPC_ORDER}, got ${order}`);
    }
    this.length = window.length;
    this.order = order;
    this.window = window;
    let k = kernel;
    if (k !== null) {
      try {
        this.xPtr = k.alloc(8 * this.length);
        this.wPtr = k.alloc(8 * this.length);
        this.rPtr = k.alloc(8 * (order + 1 + LAG_SPARE));
        new Float64Array(k.memory.buffer, this.wPtr, this.length).set(window);
      } catch {
        k = null; // memory.grow failed: the JS path
      }
    }
    this.kernel = k;
    this.scratch = k === null ? new Float64Array(this.length) : null;
    if (k !== null) this.views();
  }

  private views(): void {
    const buf = this.kernel!.memory.buffer;
    this.xView = new Float64Array(buf, this.xPtr, this.length);
    this.rView = new Float64Array(buf, this.rPtr, this.order + 1);
    this.generation = this.kernel!.generation;
  }

  /**
   * Lags 0..order of the windowed frame window[n]·(x[offset+n] + bias), n < length, into r (length ≥
   * order + 1); returns whether some x[offset+n] !== 0. Allocates nothing.
   */
  run(x: Float64Array, offset: number, bias: number, r: Float64Array): boolean {
    const kernel = this.kernel;
    if (kernel === null) {
      return windowedAutocorrelate(x, offset, this.length, this.window, bias, this.order, this.scratch!, r);
    }
    if (this.generation !== kernel.generation) this.views();
    const n = this.length;
    const xv = this.xView;
    for (let i = 0; i < n; i++) xv[i] = x[offset + i];
    const any = kernel.exports.windowedAutocorrelate(this.xPtr, this.wPtr, n, bias, this.order, this.rPtr);
    const rv = this.rView;
    for (let k = 0; k <= this.order; k++) r[k] = rv[k];
    return any !== 0;
  }
}
