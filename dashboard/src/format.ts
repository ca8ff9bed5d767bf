/**
 * Labels, units and number formats of the metrics, from the one list the CLI uses
 * (src/analysis/metric-info.ts), plus the live-only `delay`.
 */
import { METRIC_INFO, METRIC_KEYS, REFERENCE_FREE_INFO, type MetricKey, type ReferenceFreeValueKey } from '../../src/analysis/metric-info.js';

export interface MetricDisplay {
  label: string;
  unit: string;
  description: string;
  digits: number;
  /** Values the chart always shows (e.g. 0..1 for STOI), so a steady value does not look noisy. */
  range?: [number, number];
  /** Smallest y span of a chart (in the metric's unit). */
  minSpan: number;
  higherIsBetter: boolean;
}

const RANGES: Partial<Record<string, [number, number]>> = {
  stoi: [0, 1],
  estoi: [0, 1],
  cosine: [0, 1],
  pesq: [1, 4.5],
  csig: [1, 5],
  cbak: [1, 5],
  covl: [1, 5],
  qindex: [0, 100],
};

export function describeMetric(metric: string): MetricDisplay {
  if (metric === 'delay') {
    return { label: 'Delay', unit: 'ms', description: 'delay of deg behind ref found by GCC-PHAT', digits: 1, minSpan: 2, higherIsBetter: false };
  }
  const free = REFERENCE_FREE_INFO[metric as ReferenceFreeValueKey];
  if (free) {
    const dB = free.unit === 'dB' || free.unit === 'dBFS';
    return {
      label: free.label,
      unit: free.unit,
      description: `${free.label} (reference-free, from deg${metric === 'noiseAttenuationDb' || metric === 'speechLevelChangeDb' ? ' and noisy' : ''})`,
      digits: Math.min(free.digits, 3),
      minSpan: dB ? 2 : 0.02,
      higherIsBetter: free.higherIsBetter ?? true,
    };
  }
  const info = METRIC_INFO[metric as MetricKey];
  if (!info) return { label: metric, unit: '', description: metric, digits: 3, minSpan: 0.02, higherIsBetter: true };
  const dB = info.unit === 'dB';
  return {
    label: info.label,
    unit: info.unit,
    description: info.description,
    // One decimal is what a dB reading needs live; scores keep three.
    digits: dB ? 1 : Math.min(info.digits, 3),
    range: RANGES[metric],
    minSpan: dB ? 2 : info.unit === '/100' ? 5 : info.unit === 'MOS' ? 0.2 : 0.02,
    higherIsBetter: info.higherIsBetter,
  };
}

/**
 * Order of the cards: the quality index first (its inputs, the metrics with a standard error, follow
 * it), then the CLI's order, then the rest (reference-free measures) alphabetically, delay last.
 */
export function metricOrder(a: string, b: string): number {
  const keys = METRIC_KEYS as readonly string[];
  const rank = (m: string) => (m === 'qindex' ? -1 : m === 'delay' ? 1e6 : keys.indexOf(m) >= 0 ? keys.indexOf(m) : 1e5);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** A value for display; `axis` gives shorter tick labels, `isError` formats a standard error. */
export function formatValue(metric: string, v: number, axis = false, isError = false): string {
  const d = describeMetric(metric);
  if (v === 0 && metric === 'mse') return '0';
  if (metric === 'mse' || (Math.abs(v) > 0 && Math.abs(v) < 10 ** -d.digits && !axis)) return v.toExponential(axis ? 0 : 1);
  const digits = axis ? Math.max(0, d.digits - 1) : isError ? Math.min(d.digits + 1, 3) : d.digits;
  return v.toFixed(digits).replace(/^-(0\.?0*)$/, '$1');
}
