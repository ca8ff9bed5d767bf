import { describe, expect, it } from 'vitest';
import { Radix4FftPlan } from '../../src/dsp/fft-radix4.js';
import { WasmRadix4FftPlan, sharedFftKernel } from '../../src/dsp/fft-wasm.js';
import { realFftPlan } from '../../src/dsp/fft.js';
import { hannPeriodic, hanningMatlab } from '../../src/dsp/window.js';
import { WindowedPowerPlan } from '../../src/dsp/windowed-power.js';
import { HEAP_GROWTH_LIMIT, allocationWindow } from './fft-allocation.js';

function noise(n: number, seed: number): Float64Array {
  const x = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = s / 4294967296 - 0.5;
  }
  return x;
}

/** The definition, written out: window, zero-pad, the JS radix-4 transform, re² + im². */
function expected(size: number, window: Float64Array, x: Float64Array, offset: number, bias: number | undefined, bins: number): Float64Array {
  const f = new Float64Array(size);
  for (let n = 0; n < window.length; n++) f[n] = bias === undefined ? x[offset + n] * window[n] : window[n] * (x[offset + n] + bias);
  const s = new Float64Array(size + 2);
  new Radix4FftPlan(size).forward(f, s);
  const out = new Float64Array(bins);
  for (let j = 0; j < bins; j++) out[j] = s[2 * j] * s[2 * j] + s[2 * j + 1] * s[2 * j + 1];
  return out;
}

const cases: { size: number; window: Float64Array; bias?: number; bins?: number }[] = [
  { size: 512, window: hannPeriodic(512) },
  { size: 1024, window: hanningMatlab(480), bias: 2.220446049250313e-16, bins: 512 },
  { size: 256, window: hanningMatlab(239), bias: 0.25, bins: 100 },
  { size: 64, window: hannPeriodic(63) },
  { size: 16, window: hannPeriodic(16), bins: 1 },
];

describe('WindowedPowerPlan', () => {
  it('runs in the WebAssembly module where it loads (this runtime has SIMD)', () => {
    expect(sharedFftKernel()).not.toBeNull();
    expect(realFftPlan(512)).toBeInstanceOf(WasmRadix4FftPlan);
  });

  for (const c of cases) {
    it(`gives the bits of window → FFT → |X|² (N ${c.size}, window ${c.window.length}, bias ${c.bias ?? 'none'}, bins ${c.bins ?? 'N/2+1'})`, () => {
      const bins = c.bins ?? c.size / 2 + 1;
      const wasm = new WindowedPowerPlan(c.size, c.window, { bias: c.bias, bins: c.bins });
      const js = new WindowedPowerPlan(c.size, c.window, { bias: c.bias, bins: c.bins, fft: (n) => new Radix4FftPlan(n) });
      const x = noise(c.window.length * 5 + 3, c.size);
      x[7] = -0; // signed zeros, a zero run and extremes on the way
      for (let i = 20; i < 40; i++) x[i] = 0;
      x[41] = 1e-300;
      x[42] = 1e300;
      for (const offset of [0, 1, c.window.length, 2 * c.window.length + 3]) {
        const want = expected(c.size, c.window, x, offset, c.bias, bins);
        const a = new Float64Array(bins + 2).fill(-1);
        const b = new Float64Array(bins + 2).fill(-1);
        wasm.power(x, offset, a);
        js.power(x, offset, b);
        expect(Array.from(a.subarray(0, bins))).toEqual(Array.from(want));
        expect(Array.from(b.subarray(0, bins))).toEqual(Array.from(want));
        expect([a[bins], a[bins + 1]]).toEqual([-1, -1]); // nothing past `bins`
      }
    });
  }

  it('keeps the window it was given, and plans of one size with different windows do not disturb each other', () => {
    const w1 = hannPeriodic(512);
    const w2 = hanningMatlab(400);
    const p1 = new WindowedPowerPlan(512, w1);
    const p2 = new WindowedPowerPlan(512, w2, { bias: 1e-3 });
    const p3 = new WindowedPowerPlan(512, hannPeriodic(512)); // same values as w1: the same region
    const x = noise(2000, 3);
    const want1 = expected(512, hannPeriodic(512), x, 10, undefined, 257);
    const want2 = expected(512, hanningMatlab(400), x, 10, 1e-3, 257);
    w1.fill(0); // later changes to the caller's array do not count
    const out = new Float64Array(257);
    for (const [p, want] of [[p1, want1], [p2, want2], [p3, want1], [p1, want1]] as const) {
      p.power(x, 10, out);
      expect(Array.from(out)).toEqual(Array.from(want));
    }
  });

  it('rejects a window longer than the FFT and a bin count out of range', () => {
    expect(() => new WindowedPowerPlan(256, hannPeriodic(512))).toThrow(/window of 512/);
    expect(() => new WindowedPowerPlan(256, hannPeriodic(256), { bins: 130 })).toThrow(/bins/);
    expect(() => new WindowedPowerPlan(256, hannPeriodic(256), { bins: 0 })).toThrow(/bins/);
  });

  it('allocates nothing per frame', async () => {
    const plan = new WindowedPowerPlan(1024, hanningMatlab(480), { bias: 1e-16, bins: 512 });
    const x = noise(4800, 9);
    const out = new Float64Array(512);
    let o = 0;
    const w = await allocationWindow(() => {
      plan.power(x, o, out);
      o = o === 4200 ? 0 : o + 120;
    });
    expect(w.gcs).toBe(0);
    expect(w.heapGrowth).toBeLessThan(HEAP_GROWTH_LIMIT);
  });
});
