import { describe, expect, it } from 'vitest';
import { octaveResamplerDesign, resampledLength, type ResamplerDesign } from '../../src/dsp/resample-design.js';
import { StreamingResamplerPair, resampleOct, resamplePoly } from '../../src/dsp/resample-poly.js';
import { CHUNKINGS, maxAbsDiff, randomSignal, streamPair } from './resample-test-utils.js';

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
