import { describe, expect, it } from 'vitest';
import { concatFloat64, mixAtSnr, quantumStats } from '../../src/rig/mix.js';
import { seededRandom } from '../helpers/corpus.js';

function energy(x: Float64Array): number {
  let e = 0;
  for (const v of x) e += v * v;
  return e;
}

describe('mixAtSnr', () => {
  const rnd = seededRandom(1);
  const clean = Float64Array.from({ length: 5000 }, (_, i) => 0.4 * Math.sin(i / 7) * Math.sin(i / 900));
  const noise = Float64Array.from({ length: 1234 }, () => rnd() - 0.5);

  it('sets the whole-file SNR exactly, with the noise looped to the clean length', () => {
    for (const snr of [20, 5, 0, -5]) {
      const { noisy, gain, looped } = mixAtSnr(clean, noise, snr);
      expect(looped).toBe(true);
      expect(noisy.length).toBe(clean.length);
      const added = noisy.map((v, i) => v - clean[i]);
      // Float64 sums over 5000 samples: the ratio is exact to ~1e-12 dB.
      expect(10 * Math.log10(energy(clean) / energy(added))).toBeCloseTo(snr, 9);
      for (const i of [0, 1233, 1234, 4999]) expect(added[i]).toBeCloseTo(gain * noise[i % 1234], 12);
    }
  });

  it('trims a longer noise', () => {
    const long = Float64Array.from({ length: 9000 }, (_, i) => Math.cos(i));
    const { noisy, looped } = mixAtSnr(clean, long, 3);
    expect(looped).toBe(false);
    expect(noisy.length).toBe(5000);
  });

  it('rejects silent inputs and a non-finite SNR with ERR_INVALID_ARGUMENT', () => {
    expect(() => mixAtSnr(new Float64Array(10), noise, 0)).toThrow(/clean signal is silent/);
    expect(() => mixAtSnr(clean, new Float64Array(10), 0)).toThrow(/noise is silent/);
    expect(() => mixAtSnr(clean, new Float64Array(0), 0)).toThrow(/noise has no samples/);
    expect(() => mixAtSnr(clean, noise, Number.NaN)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

describe('quantumStats', () => {
  it('nearest-rank p50 and p99, max, mean and overruns as shares of the quantum', () => {
    // 1..100 ms over a 100 ms quantum: p50 = 50th value, p99 = 99th, max = 100th.
    const d = Float64Array.from({ length: 100 }, (_, i) => 100 - i); // unsorted on purpose
    const q = quantumStats(d, 100, 0.9);
    expect(q).toEqual({ quanta: 100, p50: 0.5, p99: 0.99, max: 1, mean: 0.505, overruns: 10, budget: 0.9, quantumMs: 100 });
    expect(d[0]).toBe(100); // input untouched
  });

  it('a single call, and none', () => {
    expect(quantumStats(Float64Array.of(2), 8, 0.5)).toMatchObject({ quanta: 1, p50: 0.25, p99: 0.25, max: 0.25, overruns: 0 });
    expect(quantumStats(new Float64Array(0), 8, 0.5)).toEqual({ quanta: 0, p50: null, p99: null, max: null, mean: null, overruns: 0, budget: 0.5, quantumMs: 8 });
  });

  it('a value exactly at the budget is not an overrun', () => {
    expect(quantumStats(Float64Array.of(4, 4.0001), 8, 0.5).overruns).toBe(1);
  });

  it('concatFloat64 joins in order', () => {
    expect(Array.from(concatFloat64([Float64Array.of(1, 2), new Float64Array(0), Float64Array.of(3)]))).toEqual([1, 2, 3]);
  });
});
