import { describe, expect, it } from 'vitest';
import { ClippingAccumulator, clipMinRun } from '../../../src/metrics/reference-free/clipping.js';
import { caseAudio, corpusAvailable, goldenCase } from '../../helpers/corpus.js';
import { RF_CHUNKINGS, feedDeg, speechLike } from './helpers.js';

const clipping = (fs: number, x: Float64Array) => feedDeg(new ClippingAccumulator({ sampleRate: fs }), x);

/** Samples equal to ±level lying in runs of at least `minRun` equal samples (the definition, by brute force). */
function countAtLevel(x: Float64Array, levels: number[], minRun: number): number {
  let count = 0;
  let i = 0;
  while (i < x.length) {
    let j = i + 1;
    while (j < x.length && x[j] === x[i]) j++;
    if (j - i >= minRun && levels.includes(x[i])) count += j - i;
    i = j;
  }
  return count;
}

const sine = (fs: number, seconds: number, freq: number, amp: number) =>
  Float64Array.from({ length: Math.round(fs * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / fs));

describe('clipping ratio', () => {
  for (const fs of [8000, 16000, 48000]) {
    it(`gives the share of clipped samples of a sine clipped at a known level (${fs} Hz)`, () => {
      // A 0.8-amplitude 217 Hz sine clipped at ±0.5: the clipped share of a continuous sine is
      // 1 − (2/π)·asin(0.5/0.8) = 0.5702; sampled, it is the count of samples with |sin| ≥ 0.5.
      const x = sine(fs, 2, 217, 0.8);
      let clipped = 0;
      for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) >= 0.5) clipped++;
      const y = x.map((v) => Math.max(-0.5, Math.min(0.5, v)));
      const r = clipping(fs, y).value!;
      // Every clipped stretch lasts ≥ 1 ms, far above the minimum run, so the count is exact.
      expect(r).toBeCloseTo(clipped / x.length, 12);
      // Sampling a continuous sine: within 1/fs·(zero crossings per s) of the analytic share.
      expect(Math.abs(r - (1 - (2 / Math.PI) * Math.asin(0.5 / 0.8)))).toBeLessThan((4 * 217) / fs);
    });
  }

  it('counts each polarity at its own ceiling (asymmetric clipping) and full-scale 16-bit clipping', () => {
    const fs = 16000;
    const x = sine(fs, 1, 300, 1.2);
    const y = x.map((v) => Math.round(Math.max(-1, Math.min(32767 / 32768, v)) * 32768) / 32768);
    expect(clipping(fs, y).value).toBeCloseTo(countAtLevel(y, [32767 / 32768, -1], clipMinRun(fs)) / y.length, 12);
    const onlyTop = x.map((v) => Math.min(0.7, v));
    expect(clipping(fs, onlyTop).value).toBeCloseTo(countAtLevel(onlyTop, [0.7], clipMinRun(fs)) / x.length, 12);
  });

  it('is 0 for unclipped signals, even 16-bit low-frequency peaks at 48 kHz', () => {
    for (const fs of [8000, 16000, 48000]) {
      const quantised = sine(fs, 1, 50, 0.9).map((v) => Math.round(v * 32768) / 32768);
      expect(clipping(fs, quantised).value).toBe(0);
      expect(clipping(fs, speechLike(fs, 5, 2).signal).value).toBe(0);
    }
  });

  it('forgets runs at a ceiling that a later, larger peak shows was not the extreme', () => {
    const fs = 16000;
    const first = sine(fs, 1, 200, 0.8).map((v) => Math.min(0.5, v));
    const second = sine(fs, 1, 200, 0.9);
    const x = new Float64Array(first.length + second.length);
    x.set(first);
    x.set(second, first.length);
    // The positive extreme is now a single natural peak of 0.9: only the negative ceiling (none) counts.
    expect(clipping(fs, x).value).toBe(0);
  });

  it.runIf(corpusAvailable)('matches the known clip level of the corpus case p18_hardclip', () => {
    const c = goldenCase('p18_hardclip');
    const deg = caseAudio(c, 'deg');
    // The manifest's threshold, as stored in 16-bit samples.
    const level = Math.round((c.condition.clip_threshold as number) * 32768) / 32768;
    const expected = countAtLevel(deg, [level, -level], clipMinRun(c.fs)) / deg.length;
    expect(expected).toBeGreaterThan(0.03);
    expect(clipping(c.fs, deg).value).toBe(expected);
    expect(clipping(c.fs, caseAudio(c, 'ref')).value).toBe(0);
  });

  it.each(RF_CHUNKINGS)('is identical for chunking %o', (chunk) => {
    const x = sine(16000, 1.5, 180, 0.9).map((v) => Math.max(-0.6, Math.min(0.75, v)));
    expect(feedDeg(new ClippingAccumulator({ sampleRate: 16000 }), x, undefined, chunk)).toEqual(clipping(16000, x));
  });

  it('offers per-hop counts that add up to the total when the ceiling is reached early', () => {
    const x = sine(16000, 1, 180, 0.9).map((v) => Math.max(-0.6, Math.min(0.75, v)));
    let clipped = 0;
    let samples = 0;
    const acc = new ClippingAccumulator({
      sampleRate: 16000,
      onHop: (h) => {
        clipped += h.clipped;
        samples += h.samples;
      },
    });
    const r = feedDeg(acc, x, undefined, 777);
    expect(samples).toBe(x.length); // 1 s = 100 whole hops
    expect(clipped / samples).toBe(r.value);
  });

  it('returns null with a reason for silence, short signals and bad rates', () => {
    expect(clipping(16000, new Float64Array(1000)).reason).toMatch(/silence/);
    expect(clipping(16000, new Float64Array(100).fill(0.5)).reason).toMatch(/shorter/);
    expect(clipping(50000, new Float64Array(1000).fill(0.5)).reason).toMatch(/sample rate/);
  });
});
