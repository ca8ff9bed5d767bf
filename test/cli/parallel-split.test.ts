import { describe, expect, it } from 'vitest';
import { FAMILY_COST, splitFamilies } from '../../src/analysis/parallel.js';
import { selectMetrics, type MetricFamily } from '../../src/metrics/registry.js';

const cost = (fs: MetricFamily[]) => fs.reduce((a, f) => a + (FAMILY_COST[f] ?? 0), 0);

describe('splitFamilies (analyze --threads)', () => {
  it('puts every family in exactly one share, the shares within the largest family of each other', () => {
    const all = [...selectMetrics(undefined).families];
    const shares = splitFamilies(all, 2);
    expect(shares).toHaveLength(2);
    expect(shares.flat().sort()).toEqual([...all].sort());
    const largest = Math.max(...all.map((f) => FAMILY_COST[f] ?? 0));
    expect(Math.abs(cost(shares[0]) - cost(shares[1]))).toBeLessThanOrEqual(largest);
  });

  it('gives no thread to derived families alone (they cost nothing of their own)', () => {
    expect(splitFamilies(['stoi', 'composite', 'qindex'] as MetricFamily[], 3)).toEqual([['stoi', 'composite', 'qindex']]);
  });

  it('one share when asked for one', () => {
    expect(splitFamilies(['stoi', 'pesq', 'llr'] as MetricFamily[], 1)).toEqual([['stoi', 'pesq', 'llr']]);
  });
});
