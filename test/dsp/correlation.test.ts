import { describe, expect, it } from 'vitest';
import {
  MIN_CORRELATION_FFT_SIZE,
  StreamingCorrelator,
  correlationFftSize,
  directCorrelations,
} from '../../src/dsp/correlation.js';
import { caseAudio, chunkBoundaries, corpusAvailable, goldenCase, seededRandom } from '../helpers/corpus.js';
import { CHUNKINGS } from '../helpers/feed.js';

function noise(n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => rnd() * 2 - 1);
}

function streamed(x: Float64Array, y: Float64Array, lags: number, chunk: number | { seed: number; max: number } = x.length || 1, fftSize?: number) {
  const c = new StreamingCorrelator(lags, fftSize);
  const cuts = chunkBoundaries(x.length, chunk);
  for (let i = 0; i + 1 < cuts.length; i++) c.push(x, y, cuts[i], cuts[i + 1]);
  const auto = new Float64Array(lags);
  const cross = new Float64Array(lags);
  c.correlations(auto, cross);
  return { auto, cross };
}

function direct(x: Float64Array, y: Float64Array, lags: number) {
  const auto = new Float64Array(lags);
  const cross = new Float64Array(lags);
  directCorrelations(x, y, lags, auto, cross);
  return { auto, cross };
}

function energy(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return s;
}

/** max_k |a[k] − b[k]| relative to the Cauchy–Schwarz bound ‖x‖·‖y‖ that caps every lag. */
function maxRelDiff(a: Float64Array, b: Float64Array, scale: number): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return scale > 0 ? m / scale : m;
}

// 1e-14 of ‖x‖·‖y‖: the FFT path's rounding is ~ε·log2(N) relative to the block norms (N = 4096),
// summed over blocks; the direct sums carry ~ε·√T. Measured ≤ 5.5e-16 (noise), 1.1e-16 (corpus).
const REL_TOL = 1e-14;

describe('directCorrelations', () => {
  it('computes Σ x[n]x[n+k] and Σ x[n]y[n+k] (hand example)', () => {
    const { auto, cross } = direct(Float64Array.of(1, 2, 3), Float64Array.of(4, 5, 6), 4);
    // auto: 1+4+9, 1·2+2·3, 1·3, 0; cross: 4+10+18, 1·5+2·6, 1·6, 0
    expect(Array.from(auto)).toEqual([14, 8, 3, 0]);
    expect(Array.from(cross)).toEqual([32, 17, 6, 0]);
  });
});

describe('StreamingCorrelator', () => {
  it('chooses an FFT size of at least 4·lags and the minimum block FFT', () => {
    expect(correlationFftSize(512)).toBe(MIN_CORRELATION_FFT_SIZE);
    expect(correlationFftSize(2000)).toBe(8192);
    const c = new StreamingCorrelator(512);
    expect(c.blockSize).toBe(c.fftSize - 511);
  });

  const lengths = [1, 5, 511, 512, 3584, 3585, 3586, 3 * 3585 + 17, 20000];
  it.each(lengths)('equals the direct method for %i samples (L = 512)', (n) => {
    const x = noise(n, n);
    const y = noise(n, n + 1).map((v, i) => v + 0.5 * x[Math.max(0, i - 3)]);
    const s = streamed(x, y, 512);
    const d = direct(x, y, 512);
    const ex = energy(x);
    expect(maxRelDiff(s.auto, d.auto, ex)).toBeLessThan(REL_TOL);
    expect(maxRelDiff(s.cross, d.cross, Math.sqrt(ex * energy(y)))).toBeLessThan(REL_TOL);
  });

  it.each([1, 2, 7, 100])('equals the direct method for L = %i', (lags) => {
    const x = noise(9000, lags);
    const y = noise(9000, lags + 50);
    const s = streamed(x, y, lags, { seed: lags, max: 3000 });
    const d = direct(x, y, lags);
    expect(maxRelDiff(s.auto, d.auto, energy(x))).toBeLessThan(REL_TOL);
    expect(maxRelDiff(s.cross, d.cross, Math.sqrt(energy(x) * energy(y)))).toBeLessThan(REL_TOL);
  });

  it('works with the smallest allowed FFT size (2·L)', () => {
    const x = noise(5000, 3);
    const y = noise(5000, 4);
    const s = streamed(x, y, 64, 333, 128);
    const d = direct(x, y, 64);
    expect(maxRelDiff(s.auto, d.auto, energy(x))).toBeLessThan(REL_TOL);
    expect(maxRelDiff(s.cross, d.cross, Math.sqrt(energy(x) * energy(y)))).toBeLessThan(REL_TOL);
  });

  it.each(CHUNKINGS)('gives bit-identical results for chunking %o', (chunk) => {
    const x = noise(12345, 11);
    const y = noise(12345, 12);
    const whole = streamed(x, y, 512);
    const parts = streamed(x, y, 512, chunk);
    expect(Array.from(parts.auto)).toEqual(Array.from(whole.auto));
    expect(Array.from(parts.cross)).toEqual(Array.from(whole.cross));
  });

  it('accepts empty pushes, can be read mid-stream without changing the result, and resets', () => {
    const x = noise(10000, 21);
    const y = noise(10000, 22);
    const c = new StreamingCorrelator(512);
    const a = new Float64Array(512);
    const b = new Float64Array(512);
    c.push(x, y, 0, 0);
    c.correlations(a, b);
    expect(a.every((v) => v === 0) && b.every((v) => v === 0)).toBe(true);
    c.push(x, y, 0, 4000);
    c.correlations(a, b); // partial block read
    const half = direct(x.subarray(0, 4000), y.subarray(0, 4000), 512);
    expect(maxRelDiff(a, half.auto, energy(x.subarray(0, 4000)))).toBeLessThan(REL_TOL);
    c.push(x, y, 4000, 10000);
    c.correlations(a, b);
    const whole = streamed(x, y, 512);
    expect(Array.from(a)).toEqual(Array.from(whole.auto));
    expect(Array.from(b)).toEqual(Array.from(whole.cross));
    expect(c.length).toBe(10000);
    c.reset();
    c.push(x, y, 0, 4000);
    c.correlations(a, b);
    expect(maxRelDiff(a, half.auto, energy(x.subarray(0, 4000)))).toBeLessThan(REL_TOL);
    expect(maxRelDiff(b, half.cross, Math.sqrt(energy(x.subarray(0, 4000)) * energy(y.subarray(0, 4000))))).toBeLessThan(REL_TOL);
  });

  it('rejects bad sizes with precise messages', () => {
    expect(() => new StreamingCorrelator(0)).toThrow('correlation lags must be an integer ≥ 1, got 0');
    expect(() => new StreamingCorrelator(512, 1000)).toThrow('correlation FFT size must be a power of two ≥ 2·lags = 1024, got 1000');
    expect(() => new StreamingCorrelator(512, 512)).toThrow('correlation FFT size must be a power of two ≥ 2·lags = 1024, got 512');
  });
});

describe.runIf(corpusAvailable)('StreamingCorrelator on corpus audio', () => {
  it('equals the direct method on p15_telephone (band-limited deg, digital silence in ref)', () => {
    const c = goldenCase('p15_telephone');
    const x = caseAudio(c, 'ref');
    const y = caseAudio(c, 'deg');
    const s = streamed(x, y, 512, 997);
    const d = direct(x, y, 512);
    expect(maxRelDiff(s.auto, d.auto, energy(x))).toBeLessThan(REL_TOL);
    expect(maxRelDiff(s.cross, d.cross, Math.sqrt(energy(x) * energy(y)))).toBeLessThan(REL_TOL);
  });
});
