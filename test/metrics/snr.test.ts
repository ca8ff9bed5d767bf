import { describe, expect, it } from 'vitest';
import { SnrAccumulator } from '../../src/metrics/snr.js';
import { caseAudio, corpusAvailable, singleSourceCases } from '../helpers/corpus.js';
import { CHUNKINGS, feed } from '../helpers/feed.js';

describe.runIf(corpusAvailable)('SNR against golden.json (closed-form float64 formula)', () => {
  for (const c of singleSourceCases()) {
    const g = c.metrics.snr;
    it(`${c.name}`, () => {
      const ref = caseAudio(c, 'ref');
      const deg = caseAudio(c, 'deg');
      const r = feed(new SnrAccumulator(), { ref, deg });
      if (g.nonfinite === '+inf') {
        expect(r.value).toBeNull();
        expect(r.reason).toMatch(/^perfect/);
      } else {
        // 1e-12 dB: the same float64 sums in another order; measured ≤ 3.6e-15 dB over the corpus.
        expect(r.value).not.toBeNull();
        expect(Math.abs(r.value! - (g.value as number))).toBeLessThan(1e-12);
      }
    });
  }
});

describe('SNR and MSE', () => {
  it('give the textbook values on a known error', () => {
    const ref = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i / 10));
    const deg = ref.map((v) => v * 0.9); // error = 0.1·ref → SNR = 20 dB
    expect(feed(new SnrAccumulator(), { ref, deg }).value).toBeCloseTo(20, 10);
    let e = 0;
    for (const v of ref) e += (0.1 * v) ** 2;
    const a = new SnrAccumulator();
    a.update({ ref, deg });
    expect(a.computeMse().value).toBeCloseTo(e / 1000, 15);
  });

  it('returns null with a reason for a silent reference and for no samples', () => {
    const z = new Float64Array(100);
    expect(feed(new SnrAccumulator(), { ref: z, deg: z.map(() => 0.1) })).toEqual({ value: null, reason: expect.stringContaining('silent') });
    expect(new SnrAccumulator().compute().value).toBeNull();
  });

  it.each(CHUNKINGS)('is identical for chunking %o', (chunk) => {
    const ref = Float64Array.from({ length: 20000 }, (_, i) => Math.sin(i * 0.01) + 0.1 * Math.cos(i * 0.37));
    const deg = ref.map((v, i) => v + 0.05 * Math.sin(i * 1.3));
    expect(feed(new SnrAccumulator(), { ref, deg }, chunk)).toEqual(feed(new SnrAccumulator(), { ref, deg }));
  });
});
