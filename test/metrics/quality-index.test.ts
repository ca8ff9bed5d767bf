import { describe, expect, it } from 'vitest';
import { QINDEX_MIN_SIGMA, qualityIndex } from '../../src/metrics/quality-index.js';

describe('quality index', () => {
  it('is the inverse-variance weighted mean of the mapped scores', () => {
    // STOI 0.9 ± 0.01 → 90 ± 1; segsnr 12.5 ± 0.9 dB → 50 ± 2 (45 dB span): weights 1 and 1/4.
    const q = qualityIndex({ stoi: { value: 0.9, uncertainty: 0.01 }, segsnr: { value: 12.5, uncertainty: 0.9 } });
    expect(q.value).toBeCloseTo((90 * 1 + 50 * 0.25) / 1.25, 10);
    expect(q.uncertainty).toBeCloseTo(Math.sqrt(1 / 1.25), 10);
    expect(q.inputs.stoi.weight).toBeCloseTo(0.8, 10);
  });

  it('floors tiny standard errors and ignores metrics without one', () => {
    const q = qualityIndex({ stoi: { value: 0.5, uncertainty: 1e-9 }, estoi: { value: 1, uncertainty: 1e-9 }, snr: { value: 30, uncertainty: null } });
    expect(QINDEX_MIN_SIGMA).toBe(1);
    expect(q.value).toBeCloseTo(75, 10);
    expect(Object.keys(q.inputs)).toEqual(['stoi', 'estoi']);
  });

  it('is null with a reason when nothing carries a standard error', () => {
    expect(qualityIndex({ snr: { value: 10 } })).toMatchObject({ value: null, reason: expect.stringContaining('standard error') });
  });
});
