import { describe, expect, it } from 'vitest';
import { octaveResamplerDesign } from '../../src/dsp/resample-design.js';
import { FftResamplerPair, fftResamplerLayout } from '../../src/dsp/resample-fft.js';
import { resamplePoly } from '../../src/dsp/resample-poly.js';
import { CHUNKINGS, maxAbsDiff, randomSignal, streamPair } from './resample-test-utils.js';

describe('FftResamplerPair', () => {
  it('is laid out where folding pays (power-of-two factor in down) and not for 44.1 kHz', () => {
    expect(fftResamplerLayout(octaveResamplerDesign(10000, 16000))).not.toBeNull();
    expect(fftResamplerLayout(octaveResamplerDesign(10000, 8000))).not.toBeNull();
    expect(fftResamplerLayout(octaveResamplerDesign(10000, 48000))).not.toBeNull();
    expect(fftResamplerLayout(octaveResamplerDesign(10000, 44100))).toBeNull();
    expect(() => fftResamplerLayout(octaveResamplerDesign(10000, 16000), 64)).toThrow(/too short/);
  });

  for (const fs of [8000, 16000, 48000, 24000, 96000]) {
    it(`at ${fs} Hz: equals the direct form to rounding, and is chunk-invariant bit for bit`, () => {
      const d = octaveResamplerDesign(10000, fs);
      const layout = fftResamplerLayout(d)!;
      const a = randomSignal(20000, 5);
      const b = randomSignal(20000, 6);
      // A stretch of digital silence in b, longer than the filter: the direct form gives exact zeros there.
      b.fill(0, 6000, 14000);
      const ra = resamplePoly(a, d);
      const rb = resamplePoly(b, d);
      const [oa, ob] = streamPair(() => new FftResamplerPair(d, layout), a, b, 20000);
      // 1e-14: overlap-save rounding is ~1e-16 of the block's level (signals of unit scale; measured ≤ 7e-16).
      expect(maxAbsDiff(oa, ra)).toBeLessThan(1e-14);
      expect(maxAbsDiff(ob, rb)).toBeLessThan(1e-14);
      for (let i = 0; i < rb.length; i++) if (rb[i] === 0) expect(ob[i]).toBe(0);
      let zeros = 0;
      for (const v of rb) if (v === 0) zeros++;
      expect(zeros).toBeGreaterThan(100);
      for (const chunk of CHUNKINGS) {
        const [ca, cb] = streamPair(() => new FftResamplerPair(d, layout), a, b, chunk);
        expect(maxAbsDiff(ca, oa)).toBe(0);
        expect(maxAbsDiff(cb, ob)).toBe(0);
      }
    });
  }

  it('handles signals shorter than one block, and empty ones', () => {
    const d = octaveResamplerDesign(10000, 16000);
    const layout = fftResamplerLayout(d)!;
    for (const n of [0, 1, 2, 59, 300]) {
      const a = randomSignal(n, 7);
      const [oa, ob] = streamPair(() => new FftResamplerPair(d, layout), a, a, 1);
      expect(maxAbsDiff(oa, resamplePoly(a, d))).toBeLessThan(1e-14);
      expect(maxAbsDiff(ob, oa)).toBe(0);
    }
  });
});
