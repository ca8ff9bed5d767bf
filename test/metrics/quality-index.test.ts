import { describe, expect, it } from 'vitest';
import { QINDEX_MAPPINGS, QINDEX_MIN_SIGMA, qualityIndex } from '../../src/metrics/quality-index.js';
import { metricDefinition } from '../../src/metrics/registry.js';
import { RunningStats, standardErrorOf } from '../../src/metrics/running-stats.js';

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

  it('has one input set, offline and live: the metrics with a standard error in both (not SI-SDR, not PESQ-like)', () => {
    const q = qualityIndex({ stoi: { value: 0.9, uncertainty: 0.01 }, sisdr: { value: 10, uncertainty: 0.1 }, pesq: { value: 3, uncertainty: 0.01 } });
    expect(Object.keys(q.inputs)).toEqual(['stoi']);
    expect(Object.keys(QINDEX_MAPPINGS).sort()).toEqual(['cosine', 'estoi', 'lsd', 'pmsqe', 'segsnr', 'stoi']);
    expect([...metricDefinition('qindex')!.dependsOn!].sort()).toEqual(Object.keys(QINDEX_MAPPINGS).sort());
  });
});

describe('standard error of overlapping windows', () => {
  it('matches the measured spread of means of a moving average (span = window / hop)', () => {
    // Values v_k = mean of 30 consecutive i.i.d. N(0,1) samples, one per sample (STOI's 29/30 overlap):
    // the spread of the mean of 600 such values over many draws is what the corrected SE must predict.
    let seed = 12345;
    const rnd = () => {
      // Box–Muller on a small LCG: deterministic, no dependency.
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const u = (seed + 1) / 2147483649;
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const v = (seed + 1) / 2147483649;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    };
    const span = 30;
    const count = 600;
    const means = new RunningStats();
    const predicted = new RunningStats();
    const naive = new RunningStats();
    for (let draw = 0; draw < 400; draw++) {
      const x = Array.from({ length: count + span }, rnd);
      const s = new RunningStats();
      for (let k = 0; k < count; k++) {
        let m = 0;
        for (let j = 0; j < span; j++) m += x[k + j];
        s.add(m / span);
      }
      means.add(s.mean);
      predicted.add(s.standardError(span)!);
      naive.add(s.standardError()!);
    }
    const measured = Math.sqrt(means.variance()!);
    // Within 20 %: 400 draws give the measured spread to ±3.5 % (1σ); the prediction is the
    // large-count approximation. The uncorrected SE is about sqrt(30) ≈ 5.5 times too small.
    expect(predicted.mean / measured).toBeGreaterThan(0.8);
    expect(predicted.mean / measured).toBeLessThan(1.2);
    expect(measured / naive.mean).toBeGreaterThan(4);
    expect(standardErrorOf(4, 10, 1)).toBeCloseTo(Math.sqrt(0.4), 15);
    // Fewer values than the span: at least one independent value.
    expect(standardErrorOf(4, 10, 30)).toBe(2);
  });
});
