import { describe, expect, it } from 'vitest';
import { besselI0, octaveResamplerDesign, rationalFactors } from '../../src/dsp/resample-design.js';

describe('besselI0', () => {
  it('matches scipy.special.i0', () => {
    // Values printed by scipy.special.i0 (scipy 1.17.1, numpy 2.4.6) on this machine; I0 is even.
    const reference: [number, number][] = [
      [0, 1.0],
      [1e-3, 1.0000002500000158],
      [0.5, 1.0634833707413234],
      [1, 1.2660658777520082],
      [2.5, 3.289839144050123],
      [5.65326, 49.04845930258202],
      [10, 2815.716628466254],
      [20, 43558282.559553534],
      [50, 2.9325537838493355e20],
      [100, 1.0737517071310738e42],
      [300, 4.475847367935052e128],
      [700, 1.5295933476718735e302],
    ];
    for (const [x, v] of reference) {
      // 2e-15 relative: a few ulps; both are float64 evaluations by different methods (series /
      // asymptotic expansion here, Chebyshev fits in scipy), which measured ≤ 5.2e-16 apart.
      expect(Math.abs(besselI0(x) - v) / v).toBeLessThan(2e-15);
      expect(besselI0(-x)).toBe(besselI0(x));
    }
  });

  it('agrees with the power series at the switch to the asymptotic expansion', () => {
    // Just above and below x = 20 the two methods must meet (continuity to a few ulps).
    const below = besselI0(20);
    const above = besselI0(20 + 1e-9);
    expect(Math.abs(above - below) / below).toBeLessThan(1e-8 + 4e-16);
  });
});

describe('octaveResamplerDesign (pystoi _resample_window_oct, normalised as resample_oct does)', () => {
  it('reduces the rates by their gcd', () => {
    expect(rationalFactors(10000, 16000)).toEqual({ up: 5, down: 8 });
    expect(rationalFactors(10000, 44100)).toEqual({ up: 100, down: 441 });
    expect(() => rationalFactors(10000, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it("reproduces pystoi's filter: length, centre and an off-centre tap", () => {
    // len(h), sum(h), h[L], h[10] printed by pystoi 0.4.1 utils._resample_window_oct(10000, fs) here.
    // Our taps are g = up·h/Σh (what resample_poly applies), so h = g·Σh/up.
    const reference: [number, number, number, number, number][] = [
      [8000, 365, 4.999919383968371, 1.0, 0.0003686039905593368],
      [16000, 581, 4.99962522358066, 0.625, 1.4711258365858334e-18],
      [48000, 1741, 4.999568553951379, 0.20833333333333331, -2.247110916695218e-5],
      [44100, 31947, 99.9902535579325, 0.22675736961451248, 2.385092804518112e-5],
    ];
    for (const [fs, len, sum, centre, tap10] of reference) {
      const d = octaveResamplerDesign(10000, fs);
      expect(d.taps.length).toBe(len);
      expect(d.halfLength).toBe((len - 1) / 2);
      const h = (i: number) => (d.taps[i] * sum) / d.up;
      // 1e-12 relative: sums of ~600–32 000 float64 terms in a different order (ours naive, numpy
      // pairwise), and sin/I0 from different libraries: measured ≤ 6e-15. (Tap 10 at 16 kHz sits on a zero
      // of the sinc, ≈ 1e-18, the rounding of sin(π·m); it agrees relatively all the same.)
      expect(Math.abs(h(d.halfLength) - centre) / centre).toBeLessThan(1e-12);
      expect(Math.abs(h(10) - tap10) / Math.abs(tap10)).toBeLessThan(1e-12);
    }
  });

  it('normalises the taps to a DC gain of up (unit gain after upsampling)', () => {
    for (const fs of [8000, 16000, 22050, 48000]) {
      const d = octaveResamplerDesign(10000, fs);
      let s = 0;
      for (const v of d.taps) s += v;
      // 1e-13 relative: a naive sum of up to 32 000 taps (22.05 kHz) after dividing by their own sum.
      expect(Math.abs(s - d.up) / d.up).toBeLessThan(1e-13);
    }
  });
});
