import { describe, expect, it } from 'vitest';
import { WsdrAccumulator } from '../../src/metrics/wsdr.js';
import { caseAudio, corpusAvailable, goldenCases } from '../helpers/corpus.js';
import { CHUNKINGS, feed } from '../helpers/feed.js';

const withWsdr = corpusAvailable ? goldenCases().filter((c) => c.metrics.wsdr) : [];

describe.runIf(corpusAvailable)('wSDR against golden.json (DCUnet wSDRLoss in float64)', () => {
  for (const c of withWsdr) {
    it(c.name, () => {
      const r = feed(new WsdrAccumulator(), { ref: caseAudio(c, 'ref'), deg: caseAudio(c, 'deg'), noisy: caseAudio(c, 'noisy') });
      // 1e-12 absolute: a closed form on the same float64 sums; measured ≤ 1e-15.
      expect(Math.abs(r.value! - (c.metrics.wsdr.value as number))).toBeLessThan(1e-12);
    });
    it(`${c.name} with the noisy input as the estimate`, () => {
      const noisy = caseAudio(c, 'noisy');
      const r = feed(new WsdrAccumulator(), { ref: caseAudio(c, 'ref'), deg: noisy, noisy });
      expect(Math.abs(r.value! - (c.metrics.wsdr_noisy_as_estimate.value as number))).toBeLessThan(1e-12);
    });
  }
});

describe('wSDR', () => {
  it('needs the noisy input', () => {
    const x = new Float64Array([0.1, 0.2]);
    expect(feed(new WsdrAccumulator(), { ref: x, deg: x })).toEqual({ value: null, reason: 'needs the noisy input (--noisy)' });
  });

  it('is −1 for a perfect estimate (up to eps)', () => {
    const ref = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i * 0.1));
    const noisy = ref.map((v, i) => v + 0.3 * Math.sin(i * 2.1));
    expect(feed(new WsdrAccumulator(), { ref, deg: ref, noisy }).value).toBeCloseTo(-1, 5);
  });

  it.each(CHUNKINGS)('is identical for chunking %o', (chunk) => {
    const ref = Float64Array.from({ length: 20000 }, (_, i) => Math.sin(i * 0.01));
    const noisy = ref.map((v, i) => v + 0.3 * Math.sin(i * 2.1));
    const deg = ref.map((v, i) => v + 0.05 * Math.sin(i * 2.1));
    expect(feed(new WsdrAccumulator(), { ref, deg, noisy }, chunk)).toEqual(feed(new WsdrAccumulator(), { ref, deg, noisy }));
  });
});
