import { describe, expect, it } from 'vitest';
import { FftJsPlan, realFftPlan } from '../../src/dsp/fft.js';
import { seededRandom } from '../helpers/corpus.js';

function naiveDft(x: Float64Array): Float64Array {
  const n = x.length;
  const out = new Float64Array(n + 2);
  for (let k = 0; k <= n / 2; k++) {
    let re = 0;
    let im = 0;
    for (let t = 0; t < n; t++) {
      re += x[t] * Math.cos((2 * Math.PI * k * t) / n);
      im -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
    }
    out[2 * k] = re;
    out[2 * k + 1] = im;
  }
  return out;
}

describe('real FFT plan', () => {
  it.each([4, 8, 64, 512, 1024])('forward equals a direct DFT for N=%i, and inverse undoes it', (n) => {
    const rnd = seededRandom(n);
    const x = Float64Array.from({ length: n }, () => rnd() * 2 - 1);
    const plan = realFftPlan(n);
    const spec = new Float64Array(n + 2);
    plan.forward(x, spec);
    const ref = naiveDft(x);
    // 1e-9 absolute: both are float64; the DFT accumulates O(N) rounding on values of size O(N).
    for (let i = 0; i < n + 2; i++) expect(spec[i]).toBeCloseTo(ref[i], 9);
    const back = new Float64Array(n);
    plan.inverse(spec, back);
    for (let i = 0; i < n; i++) expect(back[i]).toBeCloseTo(x[i], 12);
  });

  it('rejects sizes that are not a power of two with a precise message', () => {
    expect(() => new FftJsPlan(100)).toThrow('FFT size must be a power of two ≥ 4, got 100');
  });
});

describe('optional PFFFT backend', async () => {
  const { loadPffftFactory } = await import('../../src/dsp/fft-pffft.js');
  let factory: Awaited<ReturnType<typeof loadPffftFactory>> | undefined;
  try {
    factory = await loadPffftFactory();
  } catch {
    factory = undefined; // optional dependency not installed: nothing to check
  }
  it.runIf(factory !== undefined).each([32, 512, 4096])('agrees with fft.js at N=%i to float32 precision', (n) => {
    const rnd = seededRandom(n + 1);
    const x = Float64Array.from({ length: n }, () => rnd() * 2 - 1);
    const a = new Float64Array(n + 2);
    const b = new Float64Array(n + 2);
    new FftJsPlan(n).forward(x, a);
    factory!(n).forward(x, b);
    // float32 arithmetic: relative error ~1e-7 of the spectrum's scale (√N for unit-variance input).
    for (let i = 0; i < n + 2; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5 * Math.sqrt(n));
    const back = new Float64Array(n);
    factory!(n).inverse(b, back);
    for (let i = 0; i < n; i++) expect(Math.abs(back[i] - x[i])).toBeLessThan(1e-5);
  });
});
