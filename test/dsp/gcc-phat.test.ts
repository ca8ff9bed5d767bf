import { describe, expect, it } from 'vitest';
import { GccPhat, estimateDelay, DelaySearch } from '../../src/dsp/gcc-phat.js';
import { caseAudio, corpusAvailable, goldenCases, seededRandom } from '../helpers/corpus.js';

function speechLike(n: number, seed: number): Float64Array {
  // Noise bursts with pauses: enough structure for a unique correlation peak, like speech.
  const rnd = seededRandom(seed);
  let lp = 0;
  return Float64Array.from({ length: n }, (_, i) => {
    lp = 0.8 * lp + 0.2 * (rnd() * 2 - 1);
    return (i % 8000 < 5000 ? 1 : 0) * lp;
  });
}

function delayed(x: Float64Array, d: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i - d;
    if (j >= 0 && j < x.length) y[i] = x[j];
  }
  return y;
}

describe('GCC-PHAT delay estimation', () => {
  it.each([0, 1, 37, 600, -250, 16000, -16000])('finds an exact delay of %i samples at 16 kHz (±1 s range)', (d) => {
    const x = speechLike(5 * 16000, 3);
    const est = estimateDelay(x, delayed(x, d), 16000)!;
    expect(est.delaySamples).toBe(d);
    expect(est.confidence).toBeGreaterThan(0.5);
    expect(est.inverted).toBe(false);
  });

  it('still finds the delay in noise and reports a polarity inversion', () => {
    const x = speechLike(4 * 16000, 4);
    const rnd = seededRandom(9);
    const y = delayed(x, 123).map((v) => -v + 0.1 * (rnd() - 0.5));
    const est = estimateDelay(x, y, 16000)!;
    expect(est.delaySamples).toBe(123);
    expect(est.inverted).toBe(true);
  });

  it('returns null when a signal is silent', () => {
    const x = speechLike(16000, 5);
    expect(estimateDelay(x, new Float64Array(x.length), 16000)).toBeNull();
  });

  it('rejects a search range the frame cannot hold', () => {
    expect(() => new GccPhat(1024, 600)).toThrow(/maxLag must be in 0\.\.511, got 600/);
  });
});

describe.runIf(corpusAvailable)('GCC-PHAT on the corpus delay cases', () => {
  for (const c of goldenCases().filter((x) => x.condition.type === 'delay')) {
    it(`${c.name}: ${c.condition.delay_samples} samples`, () => {
      const est = estimateDelay(caseAudio(c, 'ref'), caseAudio(c, 'deg'), c.fs)!;
      expect(est.delaySamples).toBe(c.condition.delay_samples);
    });
  }
});

describe('DelaySearch (streaming estimateDelay)', () => {
  it('gives the whole-signal estimate for any block sizes', () => {
    let s = 11;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
    const n = 3 * 16000 + 123;
    const ref = Float64Array.from({ length: n }, (_, i) => rnd() * (0.2 + Math.sin(i / 3000) ** 2));
    const deg = new Float64Array(n);
    for (let i = 333; i < n; i++) deg[i] = 0.8 * ref[i - 333] + 0.05 * rnd();
    const whole = estimateDelay(ref, deg, 16000);
    expect(whole!.delaySamples).toBe(333);
    for (const size of [1, 128, 4099]) {
      const d = new DelaySearch(n, 16000);
      for (let a = 0; a < n; a += size) d.push(ref.subarray(a, a + size), deg.subarray(a, a + size));
      expect(d.estimate()).toEqual(whole);
    }
  });
});
