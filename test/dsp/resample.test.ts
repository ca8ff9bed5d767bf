import { describe, expect, it } from 'vitest';
import {
  FftResamplerPair,
  StreamingResamplerPair,
  besselI0,
  createResamplerPair,
  fftResamplerLayout,
  octaveResamplerDesign,
  rationalFactors,
  resampleOct,
  resamplePoly,
  resampledLength,
  type PairResampler,
  type ResamplerDesign,
} from '../../src/dsp/resample.js';
import { chunkBoundaries, seededRandom } from '../helpers/corpus.js';

const CHUNKINGS: (number | { seed: number; max: number })[] = [1, 128, 997, { seed: 11, max: 3000 }];

function randomSignal(n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => rnd() * 2 - 1);
}

/** The defining sum y[k] = Σ_n x[n]·g[k·down + L − n·up], written naively (an independent check). */
function naiveResample(x: Float64Array, d: ResamplerDesign): Float64Array {
  const { up, down, halfLength: L, taps } = d;
  const out = new Float64Array(resampledLength(x.length, up, down));
  for (let k = 0; k < out.length; k++) {
    let s = 0;
    for (let n = 0; n < x.length; n++) {
      const i = k * down + L - n * up;
      if (i >= 0 && i < taps.length) s += x[n] * taps[i];
    }
    out[k] = s;
  }
  return out;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function streamPair(
  make: () => PairResampler,
  a: Float64Array,
  b: Float64Array,
  chunk: number | { seed: number; max: number },
): [Float64Array, Float64Array] {
  const r = make();
  const d = r.design;
  const n = resampledLength(a.length, d.up, d.down);
  const outA = new Float64Array(n);
  const outB = new Float64Array(n);
  const sa = new Float64Array(n + 8);
  const sb = new Float64Array(n + 8);
  const cuts = chunkBoundaries(a.length, chunk);
  let w = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    if (i % 64 === 2) r.peekTail(sa, sb);
    expect(r.maxOutput(cuts[i + 1] - cuts[i])).toBeGreaterThanOrEqual(0);
    w += r.push(a, b, outA, outB, w, cuts[i], cuts[i + 1]);
  }
  w += r.flush(outA, outB, w);
  expect(w).toBe(n);
  return [outA, outB];
}

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
    expect(() => fftResamplerLayout(octaveResamplerDesign(10000, 16000), 64)).toThrow(/too short/);
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

describe('resamplePoly / resampleOct', () => {
  it("matches pystoi's resample_oct on a fixed signal", () => {
    // x[n] = sin(0.05 n) + 0.5 cos(0.31 n), n = 0..99; y printed by pystoi 0.4.1 utils.resample_oct(x, 10000, fs)
    // (scipy 1.17.1 resample_poly) on this machine, at output indices 0, 1, 2, mid, last − 1, last.
    const x = Float64Array.from({ length: 100 }, (_, n) => Math.sin(0.05 * n) + 0.5 * Math.cos(0.31 * n));
    const reference: [number, number, [number, number][]][] = [
      [8000, 125, [[0, 0.5000080617331438], [1, 0.5546738383711893], [2, 0.4879797369105644], [62, 0.14157525448193203], [123, -0.7356179398068876], [124, -0.48804610597256703]]],
      [16000, 63, [[0, 0.4116066372346557], [1, 0.5474493860239017], [2, 0.41712933896947024], [31, 0.14162218754307324], [61, -0.8312351054562688], [62, -0.4169335738576304]]],
      [48000, 21, [[0, 0.32534394080934526], [1, 0.32690543187319804], [2, -0.059425077979578286], [10, 0.33115884200946094], [19, -1.4804226024218858], [20, -1.0507139168031472]]],
    ];
    for (const [fs, len, points] of reference) {
      const y = resampleOct(x, 10000, fs);
      expect(y.length).toBe(len);
      // 1e-14: the same sums in another order (measured ≤ 1.4e-15 on values of order 1).
      for (const [i, v] of points) expect(Math.abs(y[i] - v)).toBeLessThan(1e-14);
    }
  });

  it('equals the defining sum, edges included, for several rate pairs', () => {
    for (const [outRate, inRate] of [
      [10000, 8000],
      [10000, 16000],
      [10000, 48000],
      [10000, 44100],
      [16000, 48000],
      [10000, 10001],
    ]) {
      const d = octaveResamplerDesign(outRate, inRate);
      for (const n of [1, 7, 333]) {
        const x = randomSignal(n, n + inRate);
        // 1e-14: four partial sums vs one running sum over ≤ 320 products of magnitude ≤ 1.
        expect(maxAbsDiff(resamplePoly(x, d), naiveResample(x, d))).toBeLessThan(1e-14);
      }
    }
  });

  it('has the length of scipy resample_poly, ⌈n·up/down⌉, and handles empty input', () => {
    const d = octaveResamplerDesign(10000, 16000);
    expect(resamplePoly(new Float64Array(0), d).length).toBe(0);
    expect(resamplePoly(new Float64Array(1), d).length).toBe(1);
    expect(resamplePoly(new Float64Array(16), d).length).toBe(10);
    expect(resamplePoly(new Float64Array(17), d).length).toBe(11);
  });

  it('passes a low tone unchanged in the middle of the signal', () => {
    // 200 Hz at 16 kHz → 10 kHz: well inside the pass band (cut-off 5 kHz, 60 dB Kaiser design).
    const fs = 16000;
    const x = Float64Array.from({ length: 16000 }, (_, n) => Math.sin((2 * Math.PI * 200 * n) / fs));
    const y = resampleOct(x, 10000, fs);
    let err = 0;
    for (let k = 1000; k < 9000; k++) err = Math.max(err, Math.abs(y[k] - Math.sin((2 * Math.PI * 200 * k) / 10000)));
    // 2e-3: the Kaiser design's pass-band ripple at 60 dB rejection is ~1e-3 (δ = 10^-3).
    expect(err).toBeLessThan(2e-3);
  });
});

describe('StreamingResamplerPair', () => {
  it.each(CHUNKINGS)('equals resamplePoly on each signal bit for bit with chunking %o', (chunk) => {
    for (const fs of [8000, 16000, 48000, 44100]) {
      const d = octaveResamplerDesign(10000, fs);
      const a = randomSignal(7000, 3);
      const b = randomSignal(7000, 4);
      const [oa, ob] = streamPair(() => new StreamingResamplerPair(d), a, b, chunk);
      expect(maxAbsDiff(oa, resamplePoly(a, d))).toBe(0);
      expect(maxAbsDiff(ob, resamplePoly(b, d))).toBe(0);
    }
  });

  it('is reusable after flush and after reset', () => {
    const d = octaveResamplerDesign(10000, 16000);
    const a = randomSignal(2000, 1);
    const b = randomSignal(2000, 2);
    const r = new StreamingResamplerPair(d);
    const outA = new Float64Array(2000);
    const outB = new Float64Array(2000);
    let w = r.push(a, b, outA, outB);
    w += r.flush(outA, outB, w);
    expect(r.inputCount).toBe(0);
    r.push(randomSignal(500, 3), randomSignal(500, 4), outA, outB);
    r.reset();
    let w2 = r.push(a, b, outA, outB);
    w2 += r.flush(outA, outB, w2);
    expect(w2).toBe(w);
    expect(maxAbsDiff(outA.subarray(0, w2), resamplePoly(a, d))).toBe(0);
    expect(maxAbsDiff(outB.subarray(0, w2), resamplePoly(b, d))).toBe(0);
  });

  it('emits an output as soon as its last input arrived (latency ⌈L/up⌉ input samples)', () => {
    const d = octaveResamplerDesign(10000, 16000); // L = 290, up = 5: output 0 needs x[0..58]
    const r = new StreamingResamplerPair(d);
    const out = [new Float64Array(100), new Float64Array(100)] as const;
    expect(r.push(new Float64Array(58), new Float64Array(58), ...out)).toBe(0);
    expect(r.push(new Float64Array(1), new Float64Array(1), ...out)).toBe(1);
    expect(r.outputCount).toBe(1);
  });

  it('rejects a second signal shorter than the first', () => {
    const r = new StreamingResamplerPair(octaveResamplerDesign(10000, 16000));
    const out = new Float64Array(10);
    expect(() => r.push(new Float64Array(16), new Float64Array(15), out, out)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('FftResamplerPair', () => {
  it('is chosen where folding pays (power-of-two factor in down) and not for 44.1 kHz', () => {
    expect(fftResamplerLayout(octaveResamplerDesign(10000, 16000))).not.toBeNull();
    expect(fftResamplerLayout(octaveResamplerDesign(10000, 8000))).not.toBeNull();
    expect(fftResamplerLayout(octaveResamplerDesign(10000, 48000))).not.toBeNull();
    expect(fftResamplerLayout(octaveResamplerDesign(10000, 44100))).toBeNull();
    expect(createResamplerPair(octaveResamplerDesign(10000, 44100))).toBeInstanceOf(StreamingResamplerPair);
    expect(createResamplerPair(octaveResamplerDesign(10000, 16000))).toBeInstanceOf(FftResamplerPair);
  });

  for (const fs of [8000, 16000, 48000, 24000, 96000]) {
    it(`at ${fs} Hz: equals the direct form to rounding, and is chunk-invariant bit for bit`, () => {
      const d = octaveResamplerDesign(10000, fs);
      const layout = fftResamplerLayout(d)!;
      const a = randomSignal(20000, 5);
      const b = randomSignal(20000, 6);
      // A stretch of digital silence in b, longer than the filter: the direct form gives exact zeros there.
      b.fill(0, 6000, 14000);
      const ra = resamplePoly(a, d);
      const rb = resamplePoly(b, d);
      const [oa, ob] = streamPair(() => new FftResamplerPair(d, layout), a, b, 20000);
      // 1e-14: overlap-save rounding is ~1e-16 of the block's level (signals of unit scale; measured ≤ 7e-16).
      expect(maxAbsDiff(oa, ra)).toBeLessThan(1e-14);
      expect(maxAbsDiff(ob, rb)).toBeLessThan(1e-14);
      for (let i = 0; i < rb.length; i++) if (rb[i] === 0) expect(ob[i]).toBe(0);
      let zeros = 0;
      for (const v of rb) if (v === 0) zeros++;
      expect(zeros).toBeGreaterThan(100);
      for (const chunk of CHUNKINGS) {
        const [ca, cb] = streamPair(() => new FftResamplerPair(d, layout), a, b, chunk);
        expect(maxAbsDiff(ca, oa)).toBe(0);
        expect(maxAbsDiff(cb, ob)).toBe(0);
      }
    });
  }

  it('handles signals shorter than one block, and empty ones', () => {
    const d = octaveResamplerDesign(10000, 16000);
    const layout = fftResamplerLayout(d)!;
    for (const n of [0, 1, 2, 59, 300]) {
      const a = randomSignal(n, 7);
      const [oa, ob] = streamPair(() => new FftResamplerPair(d, layout), a, a, 1);
      expect(maxAbsDiff(oa, resamplePoly(a, d))).toBeLessThan(1e-14);
      expect(maxAbsDiff(ob, oa)).toBe(0);
    }
  });
});
