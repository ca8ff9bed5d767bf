import { describe, expect, it } from 'vitest';
import { CepstralDistanceAccumulator } from '../../src/metrics/cepstral-distance.js';
import { caseAudio, corpusAvailable, singleSourceCases, type GoldenCase, type GoldenMetric } from '../helpers/corpus.js';
import {
  checkEveryLength,
  errorCode,
  EVERY_LENGTH_RATES,
  feed,
  floatFrameCount,
  syntheticPair,
  trimmedMeanOracle,
  expectChunkInvariant,
  STREAMING_CASES,
} from './sepm-test-utils.js';

interface GoldenCd extends GoldenMetric {
  frames: number;
  frames_kept_after_trim: number;
  frames_ref_or_deg_all_zero: number;
}
const golden = (c: GoldenCase) => c.metrics.cd as GoldenCd | undefined;
const cases = corpusAvailable ? singleSourceCases().filter((c) => typeof golden(c)?.value === 'number') : [];

describe.skipIf(!corpusAvailable)('cepstral distance against pysepm.cepstrum_distance (golden.json)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const acc = new CepstralDistanceAccumulator({ sampleRate: c.fs });
    const got = feed(acc, caseAudio(c, 'ref'), caseAudio(c, 'deg'));
    const g = golden(c)!;
    // 1e-6: golden tolerance_guidance (numba on/off differ by ≤ 3e-8, largest at 48 kHz with order-16
    // LPC on 1440-sample frames; this port: ≤ 2.4e-9 over the corpus).
    expect(got.value).not.toBeNull();
    expect(Math.abs(got.value! - (g.value as number))).toBeLessThan(1e-6);
    expect(got.frames).toBe(g.frames);
    expect(got.framesKept).toBe(g.frames_kept_after_trim);
    expect(got.framesRefOrDegAllZero).toBe(g.frames_ref_or_deg_all_zero);
  });
});

describe('cepstral distance streaming', () => {
  const chunkCases = corpusAvailable ? STREAMING_CASES : [];
  it.each(chunkCases)('%s: identical for every block cutting', (name) => expectChunkInvariant(name, (fs) => new CepstralDistanceAccumulator({ sampleRate: fs })));

  it.each(EVERY_LENGTH_RATES)('at %i Hz, every length N trims exactly the first int(N/S − L/S) frames', (fs, ks) => {
    const { shortOfFloor } = checkEveryLength({
      fs,
      ks,
      make: () => new CepstralDistanceAccumulator({ sampleRate: fs }),
      frameCount: floatFrameCount,
      loneValue: (r) => r.value!,
      aggregate: trimmedMeanOracle,
    });
    if (fs === 44100) expect(shortOfFloor).toBeGreaterThan(0);
  });
});

describe('cepstral distance edge cases', () => {
  it('scores a frame that is all zero in ref or deg 10 (pysepm: min((10, nan)) is 10), even if both are silent', () => {
    const n = 480 + 120 + 1; // one counted frame at 16 kHz
    const zero = new Float64Array(n);
    const { ref } = syntheticPair(n, 16000, 11);
    const acc = new CepstralDistanceAccumulator({ sampleRate: 16000 });
    for (const [r, d] of [
      [zero, zero],
      [zero, ref],
      [ref, zero],
    ]) {
      expect(feed(acc, r, d)).toEqual({ value: 10, frames: 1, framesKept: 1, framesRefOrDegAllZero: 1 });
    }
    expect(feed(acc, ref, ref).value).toBe(0);
  });

  it('is null with a reason below two frames; rejects unequal blocks', () => {
    const acc = new CepstralDistanceAccumulator({ sampleRate: 8000 });
    expect(acc.compute().value).toBeNull();
    expect(acc.compute().reason).toMatch(/shorter/);
    expect(errorCode(() => acc.update({ ref: new Float64Array(2), deg: new Float64Array(3) }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});
