import { describe, expect, it } from 'vitest';
import { autocorrelate, LevinsonPlan, lpcToCepstrum, toeplitzQuadraticForm, windowedAutocorrelate } from '../../src/dsp/lpc.js';
import { isEarshotError } from '../../src/errors.js';
import { seededRandom } from '../helpers/corpus.js';

function randomFrame(n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  // A coloured signal (two-pole resonance) so that the LPC model is non-trivial.
  const x = new Float64Array(n);
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < n; i++) {
    const y = rnd() - 0.5 + 1.6 * y1 - 0.8 * y2;
    x[i] = y;
    y2 = y1;
    y1 = y;
  }
  return x;
}

describe('autocorrelate', () => {
  it.each([
    [480, 16],
    [240, 10],
    [1440, 16],
    [7, 3],
    [5, 9], // lags beyond the frame length are zero
  ])('equals the one-lag-at-a-time sum bit for bit (L=%i, P=%i)', (len, order) => {
    const x = randomFrame(len + 3, len);
    const r = new Float64Array(order + 1);
    autocorrelate(x, 3, len, order, r);
    for (let k = 0; k <= order; k++) {
      let s = 0;
      for (let n = 0; n < len - k; n++) s += x[3 + n] * x[3 + n + k];
      // Exact: both sum the same products in the same (increasing n) order.
      expect(r[k]).toBe(s);
    }
  });

  it('equals the one-lag-at-a-time sum bit for bit for every order 0..20 and length 1..40 (all pass layouts)', () => {
    const x = randomFrame(50, 99);
    const r = new Float64Array(21);
    for (let order = 0; order <= 20; order++) {
      for (let len = 1; len <= 40; len++) {
        r.fill(NaN);
        autocorrelate(x, 2, len, order, r);
        for (let k = 0; k <= order; k++) {
          let s = 0;
          for (let n = 0; n < len - k; n++) s += x[2 + n] * x[2 + n + k];
          // Exact, as above; r[k] = 0 for lags k ≥ len.
          expect(r[k], `order ${order}, length ${len}, lag ${k}`).toBe(s);
        }
      }
    }
  });
});

describe('windowedAutocorrelate', () => {
  it.each([
    [480, 16, 2.220446049250313e-16],
    [240, 10, 2.220446049250313e-16],
    [1440, 16, 0],
    [480, 16, 0],
    [6, 5, 0.5], // the shortest frame of the fused path
    [5, 9, 0], // below it: window, then autocorrelate
    [40, 3, 0],
  ])('windows and equals autocorrelate of the windowed frame bit for bit (L=%i, P=%i, bias %d)', (len, order, bias) => {
    const x = randomFrame(len + 5, len + order);
    const w = Float64Array.from({ length: len }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (n + 1)) / (len + 1)));
    const out = new Float64Array(len);
    const r = new Float64Array(order + 1).fill(NaN);
    expect(windowedAutocorrelate(x, 5, len, w, bias, order, out, r)).toBe(true);
    const xw = Float64Array.from({ length: len }, (_, n) => w[n] * (x[5 + n] + bias));
    const want = new Float64Array(order + 1);
    autocorrelate(xw, 0, len, order, want);
    // Exact: the same products summed in the same order.
    expect(Array.from(out)).toEqual(Array.from(xw));
    expect(Array.from(r)).toEqual(Array.from(want));
  });

  it('reports an all-zero frame (whatever the bias) and a single non-zero sample', () => {
    const w = new Float64Array(480).fill(1);
    const out = new Float64Array(480);
    const r = new Float64Array(17);
    const x = new Float64Array(480);
    expect(windowedAutocorrelate(x, 0, 480, w, 1e-3, 16, out, r)).toBe(false);
    for (const at of [0, 3, 479]) {
      x.fill(0);
      x[at] = -1e-9;
      expect(windowedAutocorrelate(x, 0, 480, w, 0, 16, out, r), `sample ${at}`).toBe(true);
    }
  });
});

describe('LevinsonPlan', () => {
  it('solves the normal equations and returns the prediction error', () => {
    const p = 16;
    const x = randomFrame(480, 7);
    const r = new Float64Array(p + 1);
    autocorrelate(x, 0, 480, p, r);
    const a = new Float64Array(p + 1);
    const e = new LevinsonPlan(p).solve(r, a);
    expect(a[0]).toBe(1);
    // Σ_j a_j r[|i−j|] = 0 for i = 1..P and = E for i = 0 (Makhoul 1975 eq. 37). 1e-10·r[0]: the
    // recursion's rounding on a well-conditioned coloured-noise frame stays near 1e-14 relative.
    for (let i = 1; i <= p; i++) {
      let s = 0;
      for (let j = 0; j <= p; j++) s += a[j] * r[Math.abs(i - j)];
      expect(Math.abs(s)).toBeLessThan(1e-10 * r[0]);
    }
    let s0 = 0;
    for (let j = 0; j <= p; j++) s0 += a[j] * r[j];
    expect(e).toBeCloseTo(s0, 10);
    // a·R·aᵀ is the same residual energy (1e-10 relative for the same reason).
    expect(Math.abs(toeplitzQuadraticForm(r, a, p) - e)).toBeLessThan(1e-10 * e);
  });

  it('equals the two-buffer recursion (pysepm lpcoeff: a_past copied each step) bit for bit', () => {
    for (const [p, len, seed] of [
      [16, 480, 1],
      [10, 240, 2],
      [16, 1440, 3],
      [1, 20, 4],
      [2, 20, 5],
      [5, 30, 6],
    ]) {
      const x = randomFrame(len, seed);
      const r = new Float64Array(p + 1);
      autocorrelate(x, 0, len, p, r);
      const a = new Float64Array(p + 1);
      const e = new LevinsonPlan(p).solve(r, a);
      // Oracle: the textbook form with a copy of the previous step's coefficients.
      const alpha = new Float64Array(p);
      const past = new Float64Array(p);
      let eo = r[0];
      for (let i = 0; i < p; i++) {
        past.set(alpha);
        let acc = 0;
        for (let j = 0; j < i; j++) acc += past[j] * r[i - j];
        const k = eo === 0 ? Infinity : (r[i + 1] - acc) / eo;
        alpha[i] = k;
        for (let j = 0; j < i; j++) alpha[j] = past[j] - k * past[i - 1 - j];
        eo = (1 - k * k) * eo;
      }
      // Exact: the in-place update computes the same products and differences.
      expect(e).toBe(eo);
      expect(Array.from(a)).toEqual([1, ...Array.from(alpha, (v) => -v)]);
    }
  });

  it('recovers an AR(1) model exactly from its autocorrelation ρ^k', () => {
    const p = 10;
    const rho = 0.9;
    const r = Float64Array.from({ length: p + 1 }, (_, k) => rho ** k);
    const a = new Float64Array(p + 1);
    const e = new LevinsonPlan(p).solve(r, a);
    // 1e-12: closed form a = [1, −ρ, 0, …], E = 1 − ρ², up to float rounding of ρ^k.
    expect(a[1]).toBeCloseTo(-rho, 12);
    for (let k = 2; k <= p; k++) expect(Math.abs(a[k])).toBeLessThan(1e-12);
    expect(e).toBeCloseTo(1 - rho * rho, 12);
  });

  it('gives non-finite coefficients for an all-zero frame (pysepm sets k = +∞ when E = 0)', () => {
    const r = new Float64Array(11);
    const a = new Float64Array(11);
    new LevinsonPlan(10).solve(r, a);
    expect(a[0]).toBe(1);
    expect(a.slice(1).every((v) => !Number.isFinite(v))).toBe(true);
  });

  it('rejects an invalid order with ERR_INVALID_ARGUMENT', () => {
    for (const order of [0, 2.5, 1000]) {
      let err: unknown;
      try {
        new LevinsonPlan(order);
      } catch (e) {
        err = e;
      }
      expect(isEarshotError(err) && err.code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('toeplitzQuadraticForm', () => {
  it('equals Σᵢ Σⱼ aᵢ aⱼ r[|i−j|]', () => {
    const rnd = seededRandom(3);
    const p = 16;
    const r = Float64Array.from({ length: p + 1 }, () => rnd());
    const a = Float64Array.from({ length: p + 1 }, () => rnd() - 0.5);
    let s = 0;
    for (let i = 0; i <= p; i++) for (let j = 0; j <= p; j++) s += a[i] * a[j] * r[Math.abs(i - j)];
    // 1e-13 relative: the same 289 products summed in a different order.
    expect(toeplitzQuadraticForm(r, a, p)).toBeCloseTo(s, 12);
  });

  it('sums T(r)·aᵀ row by row in increasing j, then a·(T(r)·aᵀ), bit for bit', () => {
    const rnd = seededRandom(8);
    for (const p of [1, 10, 16]) {
      const r = Float64Array.from({ length: p + 1 }, () => rnd());
      const a = Float64Array.from({ length: p + 1 }, () => rnd() - 0.5);
      let total = 0;
      for (let i = 0; i <= p; i++) {
        let row = 0;
        for (let j = 0; j <= p; j++) row += r[Math.abs(i - j)] * a[j];
        total += a[i] * row;
      }
      // Exact: the same evaluation order (the LLR's ill-conditioned frames depend on it).
      expect(toeplitzQuadraticForm(r, a, p)).toBe(total);
    }
  });
});

describe('lpcToCepstrum', () => {
  it('gives c_k = ρ^k / k for the one-pole model A(z) = 1 − ρ z⁻¹ (the series of −ln(1 − ρ z⁻¹))', () => {
    const p = 16;
    const rho = 0.7;
    const a = new Float64Array(p + 1);
    a[0] = 1;
    a[1] = -rho;
    const c = new Float64Array(p);
    lpcToCepstrum(a, p, c);
    // 1e-15 absolute: a short recursion on values ≤ 0.7.
    for (let k = 1; k <= p; k++) expect(c[k - 1]).toBeCloseTo(rho ** k / k, 15);
  });

  it('matches the cepstrum of a two-pole model computed from its roots', () => {
    // A(z) = (1 − ρ₁z⁻¹)(1 − ρ₂z⁻¹) → c_k = (ρ₁^k + ρ₂^k)/k.
    const p = 10;
    const [r1, r2] = [0.8, -0.5];
    const a = new Float64Array(p + 1);
    a[0] = 1;
    a[1] = -(r1 + r2);
    a[2] = r1 * r2;
    const c = new Float64Array(p);
    lpcToCepstrum(a, p, c);
    // 1e-14 absolute: rounding of a short recursion.
    for (let k = 1; k <= p; k++) expect(c[k - 1]).toBeCloseTo((r1 ** k + r2 ** k) / k, 14);
  });
});
