import { describe, expect, it } from 'vitest';
import { melFilterbank, dctMatrix } from '../../src/dsp/mel.js';
import { FeatureDistanceAccumulator, LogMelExtractor, MfccExtractor, type FeatureExtractor } from '../../src/metrics/feature-distance.js';
import { hannPeriodic } from '../../src/dsp/window.js';
import { seededRandom } from '../helpers/corpus.js';
import { CHUNKINGS, feed } from '../helpers/feed.js';

function noise(n: number, seed: number, amp = 0.3): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n }, () => amp * (r() * 2 - 1));
}

describe('feature-space distance', () => {
  it('is 0 for identical signals', () => {
    const x = noise(16000, 1);
    const r = feed(new FeatureDistanceAccumulator(16000), { ref: x, deg: x });
    expect(r['log-mel'].value).toBe(0);
    expect(r.mfcc.value).toBe(0);
  });

  it('a gain g moves every log-mel band by 20·log10 g; MFCC (c0 left out) does not see it', () => {
    const x = noise(16000, 2);
    const r = feed(new FeatureDistanceAccumulator(16000), { ref: x, deg: x.map((v) => 0.5 * v) });
    expect(r['log-mel'].value).toBeCloseTo(20 * Math.log10(2), 9);
    expect(r.mfcc.value).toBeLessThan(1e-9);
  });

  it('grows with added noise', () => {
    const x = noise(16000, 3).map((v, i) => v * Math.sin(i / 50));
    const n = noise(16000, 4, 1);
    const d = (level: number) => feed(new FeatureDistanceAccumulator(16000), { ref: x, deg: x.map((v, i) => v + level * n[i]) })['log-mel'].value!;
    expect(d(0.01)).toBeLessThan(d(0.03));
    expect(d(0.03)).toBeLessThan(d(0.1));
  });

  it('accepts a plugged-in extractor (the embedding-model interface)', () => {
    const energy: FeatureExtractor = {
      name: 'energy',
      dimension: 1,
      extract: (p, out) => {
        out[0] = p.reduce((a, b) => a + b, 0);
      },
      distance: (a, b) => Math.abs(a[0] - b[0]),
    };
    const x = noise(4000, 5);
    const r = feed(new FeatureDistanceAccumulator(16000, [energy]), { ref: x, deg: x });
    expect(Object.keys(r)).toEqual(['energy']);
    expect(r.energy.value).toBe(0);
  });

  it('the default MFCC reads the shared log-mel: the same values as MFCC extractors of their own', () => {
    const x = noise(16000, 5).map((v, i) => v * Math.sin(i / 40));
    const n = noise(16000, 6, 0.05);
    const y = x.map((v, i) => 0.7 * v + n[i]);
    const shared = feed(new FeatureDistanceAccumulator(16000), { ref: x, deg: y });
    const w = hannPeriodic(512);
    // Separate instances: the MFCC computes its own log-mel from the power spectrum.
    const own = feed(new FeatureDistanceAccumulator(16000, [new LogMelExtractor(16000, 512, w), new MfccExtractor(16000, 512, w)]), { ref: x, deg: y });
    expect(shared['log-mel'].value).toBe(own['log-mel'].value);
    expect(shared.mfcc.value).toBe(own.mfcc.value);
    expect(shared.mfcc.uncertainty).toBe(own.mfcc.uncertainty);
  });

  it('builds mel filters that cover the band and an orthonormal DCT', () => {
    const fb = melFilterbank(16000, 512, 40);
    expect(fb.bands).toBe(40);
    expect(fb.first[0]).toBe(0);
    const d = dctMatrix(8, 8);
    for (let a = 0; a < 8; a++) for (let b = 0; b < 8; b++) {
      const dot = d[a].reduce((s, v, i) => s + v * d[b][i], 0);
      expect(dot).toBeCloseTo(a === b ? 1 : 0, 12);
    }
  });

  it.each(CHUNKINGS)('is identical for chunking %o', (chunk) => {
    const ref = noise(20000, 6);
    const deg = ref.map((v, i) => v + 0.05 * Math.sin(i));
    expect(feed(new FeatureDistanceAccumulator(16000), { ref, deg }, chunk)).toEqual(feed(new FeatureDistanceAccumulator(16000), { ref, deg }));
  });
});
