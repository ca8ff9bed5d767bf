import { describe, expect, it } from 'vitest';
import { SpectralAccumulator, spectralFftSize } from '../../src/metrics/spectral.js';
import { CHUNKINGS, feed } from '../helpers/feed.js';

function noise(n: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 1073741824 - 1;
  });
}

describe('spectral distances (LSD, cosine)', () => {
  it('picks ~32 ms power-of-two frames', () => {
    expect([8000, 16000, 44100, 48000].map(spectralFftSize)).toEqual([256, 512, 1024, 2048]);
  });

  it('identical signals: LSD 0 dB, cosine 1', () => {
    const x = noise(16000, 1);
    const r = feed(new SpectralAccumulator(16000), { ref: x, deg: x });
    expect(r.lsd.value).toBe(0);
    expect(r.cosine.value).toBeCloseTo(1, 12);
  });

  it('a pure gain g moves every bin by 20·log10(g): LSD = |20·log10 g|, cosine stays 1', () => {
    const x = noise(16000, 2);
    const r = feed(new SpectralAccumulator(16000), { ref: x, deg: x.map((v) => v * 0.5) });
    expect(r.lsd.value).toBeCloseTo(20 * Math.log10(2), 9);
    expect(r.cosine.value).toBeCloseTo(1, 12);
  });

  it('disjoint spectra have cosine 0', () => {
    const n = 8192;
    const ref = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 16000));
    const deg = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 6000 * i) / 16000));
    const r = feed(new SpectralAccumulator(16000), { ref, deg });
    expect(r.cosine.value!).toBeLessThan(1e-3);
  });

  it('is null with a reason when shorter than one frame; cosine null when deg is silent', () => {
    const short = feed(new SpectralAccumulator(16000), { ref: noise(100, 3), deg: noise(100, 4) });
    expect(short.lsd.value).toBeNull();
    expect(short.lsd.reason).toMatch(/shorter/);
    const silent = feed(new SpectralAccumulator(16000), { ref: noise(4000, 3), deg: new Float64Array(4000) });
    expect(silent.cosine.value).toBeNull();
    expect(silent.lsd.value).toBeGreaterThan(50);
  });

  it.each(CHUNKINGS)('is identical for chunking %o', (chunk) => {
    const ref = noise(20000, 5);
    const deg = ref.map((v, i) => v + 0.1 * Math.sin(i));
    expect(feed(new SpectralAccumulator(16000), { ref, deg }, chunk)).toEqual(feed(new SpectralAccumulator(16000), { ref, deg }));
  });
});
