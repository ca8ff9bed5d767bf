import { describe, expect, it } from 'vitest';
import { realFftPlan } from '../../src/dsp/fft.js';
import { FD_HALF, interpolateAt } from '../../src/dsp/fractional-delay.js';
import { arraySource } from '../../src/io/sources.js';
import { delayAt, trackedSource, type DelayTrackPlan } from '../../src/io/track-source.js';
import { seededRandom } from '../helpers/corpus.js';
import { fftDelay } from '../align/synthetic.js';

/** Seeded white noise with every bin above `band` × Nyquist removed. */
function bandNoise(n: number, band: number, seed: number): Float64Array {
  const r = seededRandom(seed);
  const x = Float64Array.from({ length: n }, () => r() - 0.5);
  const plan = realFftPlan(n);
  const s = new Float64Array(n + 2);
  plan.forward(x, s);
  for (let k = 0; k <= n / 2; k++) if (k > (band * n) / 2) s[2 * k] = s[2 * k + 1] = 0;
  plan.inverse(s, x);
  return x;
}

/** Error power of x(i + f) by the kernel against the exact (FFT) value, dB re the signal. */
function errorDb(x: Float64Array, f: number): number {
  const truth = fftDelay(x, -f, x.length);
  let e = 0;
  let p = 0;
  for (let i = 100; i < x.length - 100; i++) {
    e += (interpolateAt(x, 0, 0, x.length, i, f) - truth[i]) ** 2;
    p += truth[i] ** 2;
  }
  return 10 * Math.log10(e / p);
}

describe('windowed-sinc fractional delay', () => {
  it('is exact at whole samples and zero outside the signal', () => {
    const x = bandNoise(4096, 0.8, 1);
    for (const i of [0, 1, 100, 4095]) expect(interpolateAt(x, 0, 0, x.length, i, 0)).toBe(x[i]);
    expect(interpolateAt(x, 0, 0, x.length, -1, 0)).toBe(0);
    expect(interpolateAt(x, 0, 0, x.length, -FD_HALF - 5, 0.5)).toBe(0);
  });

  it('is accurate between samples: −90 dB at 0.8 × Nyquist, −72 dB at 0.9 × Nyquist', () => {
    const n8 = bandNoise(65536, 0.8, 2);
    const n9 = bandNoise(65536, 0.9, 3);
    for (const f of [0.1, 0.25, 0.5, 0.75, 0.9]) {
      expect(errorDb(n8, f)).toBeLessThan(-90);
      expect(errorDb(n9, f)).toBeLessThan(-72);
    }
  });
});

describe('trackedSource (ref re-timed by a delay track)', () => {
  const x = bandNoise(65536, 0.8, 4);
  // Drift, then a step back by 300.5 samples (a longer delay), then a step forward by 120.
  const track: DelayTrackPlan = {
    segments: [
      { start: 0, intercept: 40.25, slope: 80e-6 },
      { start: 15000, intercept: 340.75, slope: 80e-6 },
      { start: 30000, intercept: 220.75, slope: 80e-6 },
    ],
    degStart: 41,
    length: 44000,
  };
  const direct = Float64Array.from({ length: track.length }, (_, k) => {
    const m = track.degStart + k;
    const p = m - delayAt(track, m);
    const i = Math.floor(p);
    return interpolateAt(x, 0, 0, x.length, i, p - i);
  });

  it('gives the directly interpolated values whatever the read sizes, and again after a rewind', () => {
    const src = trackedSource(arraySource(x), track);
    const rnd = seededRandom(9);
    for (let pass = 0; pass < 2; pass++) {
      const out = new Float64Array(track.length);
      let at = 0;
      const buf = new Float64Array(5000);
      while (at < track.length) {
        const got = src.read(buf, 1 + Math.floor(rnd() * 4999));
        if (got === 0) break;
        out.set(buf.subarray(0, got), at);
        at += got;
      }
      expect(at).toBe(track.length);
      let worst = 0;
      for (let k = 0; k < track.length; k++) worst = Math.max(worst, Math.abs(out[k] - direct[k]));
      expect(worst).toBe(0);
      src.rewind();
    }
  });

  it('skip() is reading past', () => {
    const src = trackedSource(arraySource(x), track);
    src.skip(20000);
    const out = new Float64Array(100);
    src.read(out, 100);
    expect(Array.from(out)).toEqual(Array.from(direct.subarray(20000, 20100)));
  });
});
