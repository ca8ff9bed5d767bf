/**
 * Views of the metric registry (src/metrics/registry.ts) in the shapes the printers use. Nothing here
 * lists a key: every list is derived from the one table.
 */
import { REFERENCE_FREE_METRIC_KEYS, REFERENCE_METRIC_KEYS, metricDefinition, type MetricKey, type ReferenceFreeKey } from '../metrics/registry.js';

export type { MetricKey } from '../metrics/registry.js';
export type ReferenceFreeValueKey = ReferenceFreeKey;

/** Reference-based keys of `earshot analyze --json`, in report order. */
export const METRIC_KEYS: readonly MetricKey[] = REFERENCE_METRIC_KEYS;

export interface MetricInfo {
  key: MetricKey;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  /** Decimal places worth printing. */
  digits: number;
  description: string;
}

export const METRIC_INFO = Object.fromEntries(
  METRIC_KEYS.map((key) => {
    const d = metricDefinition(key)!;
    return [key, { key, label: d.label, unit: d.unit, higherIsBetter: d.higherIsBetter === true, digits: d.digits, description: d.description }];
  }),
) as Record<MetricKey, MetricInfo>;

/** Why SA-SDR is empty with one speaker (offline and live give the same reason). */
export const SASDR_ONE_SPEAKER_REASON = 'needs several speakers (--ref R0 --ref R1 --deg D0 --deg D1)';

/** Reference-free keys (docs/reference-free.md): numbers, plus the two event-time lists. */
export const REFERENCE_FREE_VALUE_KEYS: readonly ReferenceFreeValueKey[] = REFERENCE_FREE_METRIC_KEYS;
export const REFERENCE_FREE_LIST_KEYS = ['dropoutTimes', 'repeatedFrameTimes'] as const;

export const REFERENCE_FREE_INFO = Object.fromEntries(
  REFERENCE_FREE_VALUE_KEYS.map((key) => {
    const d = metricDefinition(key)!;
    return [key, { label: d.label, unit: d.unit, higherIsBetter: d.higherIsBetter, digits: d.digits }];
  }),
) as Record<ReferenceFreeValueKey, { label: string; unit: string; higherIsBetter: boolean | null; digits: number }>;
