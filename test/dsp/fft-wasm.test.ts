import { afterEach, describe, expect, it } from 'vitest';
import { Radix4FftPlan } from '../../src/dsp/fft-radix4.js';
import {
  FftKernel,
  WasmRadix4FftPlan,
  decodeBase64,
  loadFftKernel,
  sharedFftKernel,
  wasmRealFftPlan,
} from '../../src/dsp/fft-wasm.js';
import { FFT_RADIX4_WASM_BASE64 } from '../../src/dsp/generated/fft-radix4-wasm.js';
import { seededRandom } from '../helpers/corpus.js';
import { bitDiff } from './bit-diff.js';
import { HEAP_GROWTH_LIMIT, transformAllocationWindow } from './fft-allocation.js';

function randomSignal(n: number, seed: number, scale = 1): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => scale * (rnd() * 2 - 1));
}

function kernel(): FftKernel {
  const k = sharedFftKernel();
  if (k === null) throw new Error('WebAssembly SIMD kernel unavailable on this Node');
  return k;
}

/** Forward and inverse of the JS plan and the wasm plan on the same data, compared bit for bit. */
function expectSameBits(n: number, x: Float64Array, spectrum?: Float64Array): void {
  const js = new Radix4FftPlan(n);
  const wasm = new WasmRadix4FftPlan(n, kernel());
  const a = new Float64Array(n + 2);
  const b = new Float64Array(n + 2);
  js.forward(x, a);
  wasm.forward(x, b);
  expect(bitDiff(a, b)).toEqual([]);
  const spec = spectrum ?? a;
  const ia = new Float64Array(n);
  const ib = new Float64Array(n);
  js.inverse(spec, ia);
  wasm.inverse(spec, ib);
  expect(bitDiff(ia, ib)).toEqual([]);
}

const SIZES = Array.from({ length: 15 }, (_, i) => 4 << i); // 4 .. 65536

describe('WasmRadix4FftPlan is bit-identical to Radix4FftPlan', () => {
  it('loads on this Node (WebAssembly with SIMD)', () => {
    expect(sharedFftKernel()).toBeInstanceOf(FftKernel);
    expect(wasmRealFftPlan(512)).toBeInstanceOf(WasmRadix4FftPlan);
  });

  it.each(SIZES)('N=%i: random signals, 3 seeds, forward and inverse', (n) => {
    for (const seed of [1, 2, 3]) expectSameBits(n, randomSignal(n, 1000 * seed + n));
  });

  it.each(SIZES)('N=%i: inverse of a random spectrum (DC/Nyquist imaginary parts nonzero)', (n) => {
    expectSameBits(n, randomSignal(n, 7), randomSignal(n + 2, 77 + n));
  });

  it.each([4, 8, 16, 32, 256, 512, 1024, 2048, 4096, 16384, 32768])(
    'N=%i: zeros, signed zeros, an impulse, a constant, huge and tiny values, a half-silent frame',
    (n) => {
      expectSameBits(n, new Float64Array(n));
      expectSameBits(n, new Float64Array(n).fill(-0));
      const imp = new Float64Array(n);
      imp[1] = 1;
      expectSameBits(n, imp);
      expectSameBits(n, new Float64Array(n).fill(0.25));
      expectSameBits(n, randomSignal(n, 5, 1e300));
      expectSameBits(n, randomSignal(n, 6, 1e-310)); // subnormals
      const half = randomSignal(n, 8);
      half.fill(0, 0, n / 2);
      expectSameBits(n, half);
      const alt = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -1));
      expectSameBits(n, alt);
    },
  );

  it('propagates NaN and Infinity to the same positions', () => {
    const n = 1024;
    const x = randomSignal(n, 9);
    x[100] = Number.POSITIVE_INFINITY;
    const a = new Float64Array(n + 2);
    const b = new Float64Array(n + 2);
    new Radix4FftPlan(n).forward(x, a);
    new WasmRadix4FftPlan(n, kernel()).forward(x, b);
    for (let i = 0; i < a.length; i++) expect(Number.isNaN(b[i])).toBe(Number.isNaN(a[i]));
  });

  it('accepts a longer input, a longer spectrum and a longer output, as the JS plan does', () => {
    const n = 256;
    const x = randomSignal(n + 10, 4);
    const js = new Radix4FftPlan(n);
    const wasm = new WasmRadix4FftPlan(n, kernel());
    const a = new Float64Array(n + 20).fill(3);
    const b = new Float64Array(n + 20).fill(3);
    js.forward(x, a);
    wasm.forward(x, b);
    expect(bitDiff(a, b)).toEqual([]);
    const ia = new Float64Array(n + 5).fill(-1);
    const ib = new Float64Array(n + 5).fill(-1);
    js.inverse(a, ia);
    wasm.inverse(a, ib);
    expect(bitDiff(ia, ib)).toEqual([]);
    expect(ib[n]).toBe(-1);
  });

  it('keeps working after later plans grow the shared memory (views refreshed, no state shared)', () => {
    const k = kernel();
    const first = new WasmRadix4FftPlan(512, k);
    const x = randomSignal(512, 10);
    const before = new Float64Array(514);
    first.forward(x, before);
    const gen = k.generation;
    const big = [new WasmRadix4FftPlan(65536, k), new WasmRadix4FftPlan(65536, k)];
    expect(k.generation).toBeGreaterThan(gen);
    const after = new Float64Array(514);
    first.forward(x, after);
    expect(bitDiff(before, after)).toEqual([]);
    expectSameBits(512, x);
    const y = randomSignal(65536, 11);
    const s0 = new Float64Array(65538);
    const s1 = new Float64Array(65538);
    big[0].forward(y, s0);
    new Radix4FftPlan(65536).forward(y, s1);
    expect(bitDiff(s0, s1)).toEqual([]);
  });

  it.each([16, 512, 1024])('N=%i: allocates nothing per transform (heap flat, no GC, 20 000 forward + inverse)', async (n) => {
    const window = await transformAllocationWindow(new WasmRadix4FftPlan(n, kernel()), randomSignal(n, 5));
    expect(window.gcs).toBe(0);
    expect(window.heapGrowth).toBeLessThan(HEAP_GROWTH_LIMIT);
  });

  it('decodes the embedded base64 as Buffer does', () => {
    expect(Buffer.from(decodeBase64(FFT_RADIX4_WASM_BASE64)).equals(Buffer.from(FFT_RADIX4_WASM_BASE64, 'base64'))).toBe(true);
    for (const s of ['', 'QQ==', 'QUI=', 'QUJD', '+/8=']) {
      expect(Buffer.from(decodeBase64(s)).equals(Buffer.from(s, 'base64'))).toBe(true);
    }
  });
});

describe('wasm FFT fallback to Radix4FftPlan', () => {
  // The project's TS lib has no WebAssembly types; the tests swap the global to simulate runtimes.
  const g = globalThis as unknown as { WebAssembly: Record<string, unknown> | undefined };
  const saved = g.WebAssembly;
  afterEach(() => {
    g.WebAssembly = saved;
  });

  const bytes = decodeBase64(FFT_RADIX4_WASM_BASE64);

  it('without a kernel, wasmRealFftPlan returns a Radix4FftPlan (and still validates the size)', () => {
    expect(wasmRealFftPlan(512, null)).toBeInstanceOf(Radix4FftPlan);
    expect(() => wasmRealFftPlan(100, null)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => wasmRealFftPlan(100)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('loadFftKernel returns null for invalid bytes, missing WebAssembly, or a throwing compile', () => {
    expect(loadFftKernel(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]))).toBeNull();
    g.WebAssembly = undefined;
    expect(loadFftKernel(bytes)).toBeNull();
    // Chrome's main thread: validate passes, synchronous compile of a > 4 KB module throws.
    g.WebAssembly = {
      ...saved,
      validate: () => true,
      Module: function () {
        throw new RangeError('WebAssembly.Compile is disallowed on the main thread, if the buffer size is larger than 4KB.');
      },
    };
    expect(loadFftKernel(bytes)).toBeNull();
    // No SIMD: validate is false.
    g.WebAssembly = { ...saved, validate: () => false };
    expect(loadFftKernel(bytes)).toBeNull();
  });

  it('falls back when the shared memory cannot grow', () => {
    const k = loadFftKernel(bytes);
    expect(k).not.toBeNull();
    k!.alloc = () => {
      throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
    };
    expect(wasmRealFftPlan(1024, k)).toBeInstanceOf(Radix4FftPlan);
  });
});
