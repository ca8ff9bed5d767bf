import { describe, expect, it } from 'vitest';
import { evaluate, gateMetrics, parseThresholds } from '../../src/rig/thresholds.js';

describe('parseThresholds', () => {
  it('parses KEY=V lists from every occurrence of the flag', () => {
    expect(parseThresholds(['sisdr_delta=3, stoi_delta=0', 'stoi=0.8'], '--fail-below')).toEqual([
      { key: 'sisdr_delta', kind: 'min', limit: 3 },
      { key: 'stoi_delta', kind: 'min', limit: 0 },
      { key: 'stoi', kind: 'min', limit: 0.8 },
    ]);
    expect(parseThresholds(['delay_ms=20,quantum_p99=0.25,overruns=0,lsd=-1.5e0'], '--fail-above')).toEqual([
      { key: 'delay_ms', kind: 'max', limit: 20 },
      { key: 'quantum_p99', kind: 'max', limit: 0.25 },
      { key: 'overruns', kind: 'max', limit: 0 },
      { key: 'lsd', kind: 'max', limit: -1.5 },
    ]);
    expect(parseThresholds(undefined, '--fail-below')).toEqual([]);
  });

  it('matches keys case-insensitively, reference-free ones included', () => {
    expect(parseThresholds(['NoiseFloorDB_delta=-3,wadasnrdb=10'], '--fail-above')).toEqual([
      { key: 'noiseFloorDb_delta', kind: 'max', limit: -3 },
      { key: 'wadaSnrDb', kind: 'max', limit: 10 },
    ]);
  });

  it('accepts every single-speaker metric and its delta, not SA-SDR', () => {
    for (const m of gateMetrics()) expect(parseThresholds([`${m}=1,${m}_delta=0`], '--fail-below')).toHaveLength(2);
    expect(gateMetrics()).not.toContain('sasdr');
    expect(() => parseThresholds(['sasdr_delta=1'], '--fail-below')).toThrow(/unknown key "sasdr_delta"/);
  });

  it('says what is wrong, with ERR_USAGE', () => {
    expect(() => parseThresholds(['sisdr'], '--fail-below')).toThrow(/--fail-below: expected KEY=NUMBER, got "sisdr"/);
    expect(() => parseThresholds(['pesq_gain=1'], '--fail-above')).toThrow(/--fail-above: unknown key "pesq_gain"; expected METRIC or METRIC_delta/);
    expect(() => parseThresholds(['stoi=high'], '--fail-below')).toThrow(/stoi needs a number, got "high"/);
    expect(() => parseThresholds(['stoi=Infinity'], '--fail-below')).toThrow(expect.objectContaining({ code: 'ERR_USAGE' }));
  });
});

describe('evaluate', () => {
  const below = { key: 'sisdr_delta', kind: 'min' as const, limit: 3 };
  const above = { key: 'delay_ms', kind: 'max' as const, limit: 20 };
  it('--fail-below passes at or above the limit; --fail-above at or below it', () => {
    expect(evaluate(below, 3, '5 dB')).toEqual({ key: 'sisdr_delta', op: '>=', limit: 3, value: 3, pass: true, condition: '5 dB' });
    expect(evaluate(below, 2.99).pass).toBe(false);
    expect(evaluate(above, 20).pass).toBe(true);
    expect(evaluate(above, 20.5).pass).toBe(false);
  });
  it('an undefined value fails, with its reason', () => {
    expect(evaluate(below, null, '0 dB', 'ref is silent')).toEqual({ key: 'sisdr_delta', op: '>=', limit: 3, value: null, pass: false, condition: '0 dB', reason: 'ref is silent' });
  });
});
