import { describe, expect, it } from 'vitest';
import { metricDefinition, metricRegistry, selectMetrics } from '../../src/metrics/registry.js';
import { METRIC_INFO, METRIC_KEYS, REFERENCE_FREE_VALUE_KEYS } from '../../src/analysis/metric-info.js';
import { isEarshotError } from '../../src/errors.js';

describe('metric registry', () => {
  it('defines every key once, with a label, a reference and a Prometheus label', () => {
    const keys = metricRegistry.map((d) => d.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const d of metricRegistry) {
      expect(d.label.length, d.key).toBeGreaterThan(0);
      expect(d.reference.length, d.key).toBeGreaterThan(0);
      expect(d.prometheus, d.key).toMatch(/^[a-zA-Z][a-zA-Z0-9_]*$/);
    }
  });

  it('is what the printers read: the key lists and METRIC_INFO derive from it', () => {
    expect([...METRIC_KEYS, ...REFERENCE_FREE_VALUE_KEYS]).toEqual(metricRegistry.map((d) => d.key));
    expect(METRIC_INFO.stoi.label).toBe(metricDefinition('stoi')!.label);
  });

  it('dependencies name registered keys', () => {
    for (const d of metricRegistry) for (const dep of d.dependsOn ?? []) expect(metricDefinition(dep), `${d.key} → ${dep}`).toBeDefined();
  });
});

describe('selectMetrics', () => {
  it('defaults to every metric', () => {
    expect(selectMetrics().requested.size).toBe(metricRegistry.length);
    expect(selectMetrics('all').requested.size).toBe(metricRegistry.length);
  });

  it('stoi,estoi needs one family and only the 10 kHz stage', () => {
    const s = selectMetrics('stoi,estoi');
    expect([...s.families]).toEqual(['stoi']);
    expect([...s.stages]).toEqual(['stoi-10k']);
  });

  it('a composite pulls in the metrics it is computed from', () => {
    const s = selectMetrics(['csig']);
    expect([...s.requested]).toEqual(['csig']);
    expect([...s.computed].sort()).toEqual(['csig', 'llr', 'pesq', 'wss']);
    expect([...s.stages].sort()).toEqual(['perceptual-rate', 'sepm-frames']);
  });

  it('an unknown key is a usage error naming it and the known keys', () => {
    let err: unknown;
    try {
      selectMetrics('stoi,stio');
    } catch (e) {
      err = e;
    }
    expect(isEarshotError(err) && err.code).toBe('ERR_USAGE');
    expect((err as Error).message).toContain('unknown metric "stio"');
    expect((err as Error).message).toContain('estoi');
  });

  it('an empty list is a usage error', () => {
    expect(() => selectMetrics(' , ')).toThrow(/at least one metric/);
  });
});
