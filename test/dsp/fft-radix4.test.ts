import { afterEach, describe, expect, it } from 'vitest';
import { FftJsPlan, Radix4FftPlan, WasmRadix4FftPlan, defaultRealFftFactory, realFftPlan, setRealFftFactory } from '../../src/dsp/fft.js';
import { seededRandom } from '../helpers/corpus.js';
import { HEAP_GROWTH_LIMIT, transformAllocationWindow } from './fft-allocation.js';

/**
 * Error bounds. Higham, *Accuracy and Stability of Numerical Algorithms* (2nd ed.), Thm 24.2: a
 * power-of-two FFT in floating point with twiddles accurate to μ has ‖ŷ − y‖₂ ≤ log2(N)·η·‖y‖₂ (to
 * first order), η = μ + γ4(√2 + μ) ≈ (1 + 4√2)·u for μ ≈ u, u = 2^−53. With ‖y‖₂ = √N·‖x‖₂ (Parseval),
 * the rms error per bin is at most ETA·log2(N)·‖x‖₂; we assert that of the *largest* bin error.
 * Measured over 5 seeds per size, N = 4..8192: max error ≤ 1.3·u·log2(N)·‖x‖₂ (fft.js: the same),
 * so the bound has ~5× margin, while a wrong twiddle or index gives errors of order ‖x‖₂.
 */
const U = 2 ** -53;
const ETA = (1 + 4 * Math.SQRT2) * U;

function randomSignal(n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => rnd() * 2 - 1);
}

function norm(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s);
}

/**
 * cos(2πj/n) and sin(2πj/n) for j = 0..n−1, each from an angle in [0, π/4] and quarter-turn symmetry,
 * so they are within an ulp or so (plain Math.cos(2πj/n) is off by up to ~6u near 2π).
 */
function unitCircle(n: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const q = Math.floor((4 * j) / n); // quarter turns
    const r = j - (q * n) / 4; // 0 ≤ r < n/4
    let c: number;
    let s: number;
    if (8 * r <= n) {
      c = Math.cos((2 * Math.PI * r) / n);
      s = Math.sin((2 * Math.PI * r) / n);
    } else {
      c = Math.sin((2 * Math.PI * (n / 4 - r)) / n);
      s = Math.cos((2 * Math.PI * (n / 4 - r)) / n);
    }
    [cos[j], sin[j]] = [
      [c, s],
      [-s, c],
      [-c, -s],
      [s, -c],
    ][q];
  }
  return { cos, sin };
}

/**
 * Bin k of the DFT by its definition, Σ x[t]·e^{−2πi·kt/N}, in float64 with Neumaier-compensated sums
 * (error ≈ u·‖x‖₂, far below the FFT's), twiddles indexed by kt mod N.
 */
function dftBin(x: Float64Array, k: number, circle: { cos: Float64Array; sin: Float64Array }): [number, number] {
  const n = x.length;
  let re = 0;
  let reC = 0;
  let im = 0;
  let imC = 0;
  for (let t = 0, j = 0; t < n; t++, j = (j + k) % n) {
    const a = x[t] * circle.cos[j];
    let s = re + a;
    reC += Math.abs(re) >= Math.abs(a) ? re - s + a : a - s + re;
    re = s;
    const b = -x[t] * circle.sin[j];
    s = im + b;
    imC += Math.abs(im) >= Math.abs(b) ? im - s + b : b - s + im;
    im = s;
  }
  return [re + reC, im + imC];
}

function maxBinError(spec: Float64Array, x: Float64Array, bins: number[]): number {
  const circle = unitCircle(x.length);
  let e = 0;
  for (const k of bins) {
    const [re, im] = dftBin(x, k, circle);
    e = Math.max(e, Math.abs(spec[2 * k] - re), Math.abs(spec[2 * k + 1] - im));
  }
  return e;
}

function roundTripError(plan: Radix4FftPlan, x: Float64Array, spec: Float64Array): number {
  const back = new Float64Array(x.length);
  plan.inverse(spec, back);
  let e = 0;
  for (let i = 0; i < x.length; i++) e = Math.max(e, Math.abs(back[i] - x[i]));
  return e;
}

const SMALL_SIZES = Array.from({ length: 11 }, (_, i) => 4 << i); // 4..4096
const LARGE_SIZES = [8192, 16384, 65536, 131072];

describe('Radix4FftPlan accuracy', () => {
  it('unit-circle table of the test is itself right', () => {
    const { cos, sin } = unitCircle(64);
    for (let j = 0; j < 64; j++) {
      // 8u: plain Math.cos(2πj/n) itself carries up to 2π·u of argument error.
      expect(Math.abs(cos[j] - Math.cos((2 * Math.PI * j) / 64))).toBeLessThan(8 * U);
      expect(Math.abs(sin[j] - Math.sin((2 * Math.PI * j) / 64))).toBeLessThan(8 * U);
      expect(Math.abs(cos[j] ** 2 + sin[j] ** 2 - 1)).toBeLessThan(4 * U);
    }
    expect([cos[16], sin[32], cos[48], sin[0]].map(Math.abs)).toEqual([0, 0, 0, 0]);
  });

  it.each(SMALL_SIZES)('N=%i: every bin within ETA·log2(N)·‖x‖₂ of the direct DFT; inverse restores x', (n) => {
    const x = randomSignal(n, 1000 + n);
    const plan = new Radix4FftPlan(n);
    const spec = new Float64Array(n + 2);
    plan.forward(x, spec);
    const bins = Array.from({ length: n / 2 + 1 }, (_, k) => k);
    const err = maxBinError(spec, x, bins);
    expect(err).toBeLessThanOrEqual(ETA * Math.log2(n) * norm(x));
    // Round trip: forward and inverse errors add, ‖x̂ − x‖₂ ≤ 2·ETA·log2(N)·‖x‖₂; per sample (rms)
    // that is 2·ETA·log2(N)·rms(x), asserted for the largest. Measured ≤ 9u at N = 8192 (|x| ≤ 1).
    expect(roundTripError(plan, x, spec)).toBeLessThanOrEqual((2 * ETA * Math.log2(n) * norm(x)) / Math.sqrt(n));
  });

  it.each(LARGE_SIZES)('N=%i: sampled bins within the same bound; inverse restores x', (n) => {
    const x = randomSignal(n, 2000 + n);
    const plan = new Radix4FftPlan(n);
    const spec = new Float64Array(n + 2);
    plan.forward(x, spec);
    const rnd = seededRandom(n);
    // Edges and the quarter points (where the twiddle tables fold), plus random bins.
    const bins = [0, 1, 2, n / 8 - 1, n / 8, n / 4 - 1, n / 4, n / 4 + 1, (3 * n) / 8, n / 2 - 1, n / 2];
    for (let i = 0; i < 24; i++) bins.push(Math.floor(rnd() * (n / 2 + 1)));
    expect(maxBinError(spec, x, bins)).toBeLessThanOrEqual(ETA * Math.log2(n) * norm(x));
    expect(roundTripError(plan, x, spec)).toBeLessThanOrEqual((2 * ETA * Math.log2(n) * norm(x)) / Math.sqrt(n));
  });

  it.each([16, 512, 2048])('N=%i: a cosine at bin k0 gives N/2 there and ~0 elsewhere', (n) => {
    const k0 = n / 8 + 3;
    const circle = unitCircle(n);
    const x = Float64Array.from({ length: n }, (_, t) => circle.cos[(k0 * t) % n]);
    const spec = new Float64Array(n + 2);
    new Radix4FftPlan(n).forward(x, spec);
    const tol = ETA * Math.log2(n) * norm(x);
    for (let k = 0; k <= n / 2; k++) {
      expect(Math.abs(spec[2 * k] - (k === k0 ? n / 2 : 0))).toBeLessThanOrEqual(tol);
      expect(Math.abs(spec[2 * k + 1])).toBeLessThanOrEqual(tol);
    }
  });

  it('gives exactly zero imaginary parts at DC and Nyquist, and exact sums there for small integers', () => {
    for (const n of [4, 8, 32, 1024]) {
      const x = Float64Array.from({ length: n }, (_, t) => (t * 7) % 5); // small integers: sums are exact
      const spec = new Float64Array(n + 2);
      new Radix4FftPlan(n).forward(x, spec);
      let sum = 0;
      let alternating = 0;
      for (let t = 0; t < n; t++) {
        sum += x[t];
        alternating += t % 2 === 0 ? x[t] : -x[t];
      }
      expect([spec[0], spec[1], spec[n], spec[n + 1]]).toEqual([sum, 0, alternating, 0]);
    }
  });
});

describe('Radix4FftPlan buffers and reuse', () => {
  it('writes only out[0..N+1], leaves the input alone, and inverse leaves the spectrum alone', () => {
    const n = 256;
    const x = randomSignal(n, 7);
    const xCopy = Float64Array.from(x);
    const out = new Float64Array(n + 2 + 8).fill(-123.5); // canary cells after the N + 2 used
    const plan = new Radix4FftPlan(n);
    plan.forward(x, out);
    expect(x).toEqual(xCopy);
    for (let i = n + 2; i < out.length; i++) expect(out[i]).toBe(-123.5);
    const spec = Float64Array.from(out);
    const back = new Float64Array(n + 8).fill(42.25);
    plan.inverse(out, back);
    expect(out).toEqual(spec);
    for (let i = n; i < back.length; i++) expect(back[i]).toBe(42.25);
  });

  it('gives the same result from a reused plan as from a fresh one (no state carried over)', () => {
    const n = 1024;
    const plan = new Radix4FftPlan(n);
    const a = randomSignal(n, 11);
    const b = randomSignal(n, 12);
    const specA = new Float64Array(n + 2);
    const specB = new Float64Array(n + 2);
    plan.forward(a, specA);
    plan.inverse(specA, new Float64Array(n));
    plan.forward(b, specB);
    const fresh = new Float64Array(n + 2);
    new Radix4FftPlan(n).forward(b, fresh);
    expect(specB).toEqual(fresh);
    const back1 = new Float64Array(n);
    const back2 = new Float64Array(n);
    plan.inverse(specB, back1);
    new Radix4FftPlan(n).inverse(specB, back2);
    expect(back1).toEqual(back2);
  });

  it.each([16, 512, 1024])('N=%i: allocates nothing per transform (heap flat, no GC, 20 000 forward + inverse)', async (n) => {
    const window = await transformAllocationWindow(new Radix4FftPlan(n), randomSignal(n, 5));
    expect(window.gcs).toBe(0);
    expect(window.heapGrowth).toBeLessThan(HEAP_GROWTH_LIMIT);
  });

  it('ignores the imaginary parts of the DC and Nyquist bins in inverse, as FftJsPlan does', () => {
    const n = 64;
    const spec = new Float64Array(n + 2);
    new Radix4FftPlan(n).forward(randomSignal(n, 3), spec);
    spec[1] = 0.75;
    spec[n + 1] = -2;
    const ours = new Float64Array(n);
    const theirs = new Float64Array(n);
    new Radix4FftPlan(n).inverse(spec, ours);
    new FftJsPlan(n).inverse(spec, theirs);
    // Both float64 FFTs of the same spectrum: ETA·log2(N) relative, of samples of size ~1.
    for (let i = 0; i < n; i++) expect(Math.abs(ours[i] - theirs[i])).toBeLessThan(2 * ETA * Math.log2(n) * 4);
  });
});

describe('Radix4FftPlan configuration', () => {
  afterEach(() => setRealFftFactory(defaultRealFftFactory));

  it.each([0, 1, 2, 3, 6, 100, 4.5, -8, Number.NaN, Number.POSITIVE_INFINITY])('rejects size %s with ERR_INVALID_ARGUMENT', (n) => {
    expect(() => new Radix4FftPlan(n)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: `FFT size must be a power of two ≥ 4, got ${n}` }),
    );
  });

  it('is the default behind realFftPlan (as its WebAssembly build), and setRealFftFactory still switches backends', () => {
    expect(realFftPlan(512)).toBeInstanceOf(WasmRadix4FftPlan); // Node 20 has WebAssembly SIMD
    setRealFftFactory((n) => new Radix4FftPlan(n));
    expect(realFftPlan(512)).toBeInstanceOf(Radix4FftPlan);
    setRealFftFactory((n) => new FftJsPlan(n));
    expect(realFftPlan(512)).toBeInstanceOf(FftJsPlan);
  });
});
