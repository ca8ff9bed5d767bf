import { describe, expect, it } from 'vitest';
import { hanningMatlab, hannPeriodic, hannSymmetric } from '../../src/dsp/window.js';

describe('windows', () => {
  it("matches MATLAB hanning(N): symmetric, no zero end points (= numpy hanning(N+2)[1:-1])", () => {
    // MATLAB hanning(3) = [0.5 1 0.5]; hanning(4) = [0.3455 0.9045 0.9045 0.3455] (documented values).
    expect(Array.from(hanningMatlab(3))).toEqual([0.5, 1, 0.5].map((v) => expect.closeTo(v, 15)));
    const w4 = hanningMatlab(4);
    expect(w4[0]).toBeCloseTo(0.3454915028125263, 15);
    expect(w4[1]).toBeCloseTo(0.9045084971874737, 15);
    // Definition via numpy: hanning(N+2) without its two zero end points.
    const n = 256;
    const sym = hannSymmetric(n + 2);
    const w = hanningMatlab(n);
    for (let i = 0; i < n; i++) expect(w[i]).toBeCloseTo(sym[i + 1], 14);
    expect(w[0]).toBeGreaterThan(0);
  });

  it('periodic Hann starts at zero and is symmetric about N/2', () => {
    const w = hannPeriodic(8);
    expect(w[0]).toBe(0);
    expect(w[4]).toBeCloseTo(1, 15);
    expect(w[1]).toBeCloseTo(w[7], 15);
  });
});
