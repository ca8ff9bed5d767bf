import { describe, expect, it } from 'vitest';
import {
  applyCriticalBands,
  CRITICAL_BAND_CENTRES_HZ,
  CRITICAL_BAND_WIDTHS_HZ,
  criticalBandFilters,
  NUM_CRITICAL_BANDS,
} from '../../src/dsp/critical-bands.js';

/** The dense filter as Loizou defines it (golden.json meta.metric_keys.fwsegsnr). */
function dense(fs: number, nfft: number, b: number, j: number): number {
  const half = nfft / 2;
  const f0 = Math.floor((CRITICAL_BAND_CENTRES_HZ[b] / (fs / 2)) * half);
  const bw = (CRITICAL_BAND_WIDTHS_HZ[b] / (fs / 2)) * half;
  const h = Math.exp(-11 * ((j - f0) / bw) ** 2 + Math.log(70 / CRITICAL_BAND_WIDTHS_HZ[b]));
  return h > Math.exp(-30 / (2 * 2.303)) ? h : 0;
}

describe('criticalBandFilters', () => {
  it.each([
    [8000, 512],
    [16000, 1024],
    [48000, 4096],
  ])('at %i Hz / nfft %i equals the dense Gaussian filters, zero below the −30 dB point', (fs, nfft) => {
    const f = criticalBandFilters(fs, nfft);
    expect(f.numBins).toBe(nfft / 2);
    for (let b = 0; b < NUM_CRITICAL_BANDS; b++) {
      for (let j = 0; j < nfft / 2; j++) {
        const inside = j >= f.start[b] && j < f.end[b];
        const got = inside ? f.weights[f.offset[b] + j - f.start[b]] : 0;
        // 1e-15: the same expression (ln 70 − ln w vs ln(70/w) differ by rounding only).
        expect(Math.abs(got - dense(fs, nfft, b, j))).toBeLessThan(1e-15);
      }
    }
    expect(criticalBandFilters(fs, nfft)).toBe(f); // cached
  });

  it('applies as a sparse matrix-vector product', () => {
    const f = criticalBandFilters(16000, 1024);
    const x = Float64Array.from({ length: 512 }, (_, j) => 1 + Math.sin(j));
    const out = new Float64Array(NUM_CRITICAL_BANDS);
    applyCriticalBands(f, x, out);
    for (let b = 0; b < NUM_CRITICAL_BANDS; b++) {
      let s = 0;
      for (let j = 0; j < 512; j++) s += dense(16000, 1024, b, j) * x[j];
      // 1e-12 relative: a few hundred products, same order up to skipped zeros and ln rounding.
      expect(out[b]).toBeCloseTo(s, 10);
    }
  });
});
