import { describe, expect, it } from 'vitest';
import { LPC_WASM_BASE64 } from '../../src/dsp/generated/lpc-wasm.js';
import { MAX_LPC_ORDER, windowedAutocorrelate } from '../../src/dsp/lpc.js';
import { LpcKernel, WindowedAutocorrelationPlan, loadLpcKernel, sharedLpcKernel } from '../../src/dsp/lpc-wasm.js';
import { decodeBase64 } from '../../src/dsp/wasm-heap.js';
import { hanningMatlab } from '../../src/dsp/window.js';
import { seededRandom } from '../helpers/corpus.js';
import { bitDiff } from './bit-diff.js';
import { HEAP_GROWTH_LIMIT, allocationWindow } from './fft-allocation.js';

function kernel(): LpcKernel {
  const k = sharedLpcKernel();
  if (k === null) throw new Error('WebAssembly SIMD kernel unavailable on this Node');
  return k;
}

function randomSignal(n: number, seed: number, scale = 1): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => scale * (rnd() * 2 - 1));
}

/** JS function and wasm plan on x[offset .. offset + window.length), compared bit for bit (lags and `any`). */
function expectSameBits(x: Float64Array, offset: number, window: Float64Array, bias: number, order: number): void {
  const rJs = new Float64Array(order + 1).fill(7); // stale values must be overwritten
  const rWasm = new Float64Array(order + 1).fill(7);
  const anyJs = windowedAutocorrelate(x, offset, window.length, window, bias, order, new Float64Array(window.length), rJs);
  const plan = new WindowedAutocorrelationPlan(window, order, kernel());
  const anyWasm = plan.run(x, offset, bias, rWasm);
  expect(anyWasm).toBe(anyJs);
  expect(bitDiff(rWasm, rJs), `length ${window.length}, order ${order}, bias ${bias}`).toEqual([]);
}

const LENGTHS = [6, 7, 8, 9, 11, 12, 13, 16, 17, 31, 64, 65, 120, 240, 479, 480, 481, 512, 999, 1000];
const ORDERS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 23, 24, 25, 31, 32, 33, 40, 48, 63, MAX_LPC_ORDER];

describe('WindowedAutocorrelationPlan (wasm) is bit-identical to windowedAutocorrelate', () => {
  it('loads on this Node (WebAssembly with SIMD)', () => {
    expect(sharedLpcKernel()).toBeInstanceOf(LpcKernel);
    expect(new WindowedAutocorrelationPlan(hanningMatlab(480), 10).kernel).toBeInstanceOf(LpcKernel);
  });

  it('random frames: lengths 6..1000, orders 1..MAX_LPC_ORDER (order ≥ length included), bias 0 and eps', () => {
    let seed = 1;
    for (const length of LENGTHS) {
      const window = hanningMatlab(length);
      for (const order of ORDERS) {
        const x = randomSignal(length + 37, seed++);
        expectSameBits(x, 37, window, 0, order);
        expectSameBits(x, 3, window, 2.220446049250313e-16, order);
      }
    }
  });

  it('small lengths 1..5 (the JS function takes its other path there)', () => {
    for (let length = 1; length <= 5; length++) {
      for (const order of [1, 2, 4, 5, 6, 10, 16]) expectSameBits(randomSignal(length, 100 + length), 0, hanningMatlab(length), 0, order);
    }
  });

  it('all-zero frames, with and without bias', () => {
    for (const length of [6, 7, 480, 1000]) {
      for (const order of [1, 10, 16, MAX_LPC_ORDER]) {
        const x = new Float64Array(length + 5);
        expectSameBits(x, 5, hanningMatlab(length), 0, order);
        expectSameBits(x, 0, hanningMatlab(length), 2.220446049250313e-16, order);
      }
    }
  });

  it('frames with zeros (runs of zeros, signed zeros, a single non-zero sample)', () => {
    const rnd = seededRandom(77);
    for (const length of [6, 13, 480, 999]) {
      const window = hanningMatlab(length);
      for (const order of [1, 5, 10, 16, 33, MAX_LPC_ORDER]) {
        const x = randomSignal(length, length * 100 + order);
        for (let i = 0; i < length; i++) if (rnd() < 0.6) x[i] = rnd() < 0.5 ? 0 : -0;
        expectSameBits(x, 0, window, 0, order);
        const one = new Float64Array(length);
        one[Math.floor(length / 2)] = -0.5;
        expectSameBits(one, 0, window, 0, order);
        const last = new Float64Array(length);
        last[length - 1] = 1e-3; // non-zero input, windowed to 0 by the Hanning end point or not
        expectSameBits(last, 0, window, 0, order);
      }
    }
  });

  it('tiny and huge values (subnormal products, overflow to ±∞, NaN from ∞ − ∞)', () => {
    for (const length of [6, 17, 480]) {
      const window = hanningMatlab(length);
      for (const order of [1, 10, 16, MAX_LPC_ORDER]) {
        for (const scale of [1e-160, 1e-300, 5e-324, 1e150, 1e300]) {
          const x = randomSignal(length, length + order, scale);
          expectSameBits(x, 0, window, 0, order);
          expectSameBits(x, 0, window, 2.220446049250313e-16, order);
        }
        const x = randomSignal(length, 9, 1);
        x[1] = Number.POSITIVE_INFINITY;
        x[length - 2] = Number.NEGATIVE_INFINITY;
        expectSameBits(x, 0, window, 0, order);
        x[2] = Number.NaN;
        expectSameBits(x, 0, window, 0, order);
      }
    }
  });

  it('an arbitrary window (not symmetric, with negative and zero weights)', () => {
    const window = randomSignal(480, 4242);
    window[0] = 0;
    window[100] = -0;
    for (const order of [1, 10, 16, MAX_LPC_ORDER]) expectSameBits(randomSignal(1000, order), 123, window, 0.25, order);
  });

  it('keeps working after the shared memory grows (views re-made)', () => {
    const k = loadLpcKernel(decodeBase64(LPC_WASM_BASE64))!;
    const window = hanningMatlab(480);
    const plan = new WindowedAutocorrelationPlan(window, 16, k);
    const x = randomSignal(480, 5);
    const a = new Float64Array(17);
    plan.run(x, 0, 0, a);
    const generation = k.generation;
    for (let i = 0; i < 20; i++) k.alloc(65536); // forces growth, detaching the plan's views
    expect(k.generation).toBeGreaterThan(generation);
    const b = new Float64Array(17);
    plan.run(x, 0, 0, b);
    expect(bitDiff(b, a)).toEqual([]);
  });

  it('rejects an order outside 1..MAX_LPC_ORDER', () => {
    expect(() => new WindowedAutocorrelationPlan(hanningMatlab(480), 0)).toThrow();
    expect(() => new WindowedAutocorrelationPlan(hanningMatlab(480), MAX_LPC_ORDER + 1)).toThrow();
  });
});

describe('WindowedAutocorrelationPlan fallback', () => {
  it('without a kernel runs the JS function (same bits)', () => {
    const window = hanningMatlab(480);
    const plan = new WindowedAutocorrelationPlan(window, 10, null);
    expect(plan.kernel).toBeNull();
    const x = randomSignal(600, 3);
    const a = new Float64Array(11);
    const b = new Float64Array(11);
    expect(plan.run(x, 50, 0, a)).toBe(windowedAutocorrelate(x, 50, 480, window, 0, 10, new Float64Array(480), b));
    expect(bitDiff(a, b)).toEqual([]);
  });

  it('loadLpcKernel returns null for bytes that are not a module, and when WebAssembly is missing', () => {
    expect(loadLpcKernel(new Uint8Array([0, 1, 2, 3]))).toBeNull();
    const g = globalThis as { WebAssembly?: unknown };
    const saved = g.WebAssembly;
    try {
      delete g.WebAssembly; // a runtime without WebAssembly
      expect(loadLpcKernel(decodeBase64(LPC_WASM_BASE64))).toBeNull();
    } finally {
      g.WebAssembly = saved;
    }
  });

  it('falls back when memory cannot grow', () => {
    const k = loadLpcKernel(decodeBase64(LPC_WASM_BASE64))!;
    k.alloc = () => {
      throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
    };
    expect(new WindowedAutocorrelationPlan(hanningMatlab(480), 10, k).kernel).toBeNull();
  });
});

describe('WindowedAutocorrelationPlan allocates nothing per frame', () => {
  it.each([
    [480, 10],
    [480, 16],
  ])('L=%i, P=%i', async (length, order) => {
    const plan = new WindowedAutocorrelationPlan(hanningMatlab(length), order, kernel());
    const x = randomSignal(length + 120, 8);
    const r = new Float64Array(order + 1);
    const window = await allocationWindow(() => {
      plan.run(x, 120, 2.220446049250313e-16, r);
    });
    expect(window.gcs).toBe(0);
    expect(window.heapGrowth).toBeLessThan(HEAP_GROWTH_LIMIT);
  });
});
