/**
 * The one summary shape: the object `earshot analyze --json` prints, the live engine's final
 * `summary` line and `analyzeFiles()` resolves to. Its keys come from the metric registry.
 */
import { METRIC_KEYS, REFERENCE_FREE_LIST_KEYS, REFERENCE_FREE_VALUE_KEYS } from './metric-info.js';
import type { AnalysisReport, ReportValue } from './analyze.js';
import type { MetricValue } from '../metrics/types.js';
import type { SummaryRecord } from '../live/types.js';

interface SummaryMeta {
  sampleRate: number;
  durationSec: number;
  delayMs: number | null;
  /** Clock drift compensated (ppm) and the delay's segments (start s, delay ms); null when not aligned. */
  driftPpm: number | null;
  delayTrack: { t: number; delayMs: number }[] | null;
}

/** Every registry key (value or null), the two event lists, reasons (of the nulls, and qualifying values), rate, duration, delay. */
function summaryObject(
  values: Record<string, ReportValue>,
  lists: Record<(typeof REFERENCE_FREE_LIST_KEYS)[number], unknown>,
  reasons: Record<string, string>,
  meta: SummaryMeta,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of [...METRIC_KEYS, ...REFERENCE_FREE_VALUE_KEYS]) out[key] = values[key] ?? null;
  for (const key of REFERENCE_FREE_LIST_KEYS) out[key] = lists[key];
  out.reasons = reasons;
  out.sampleRate = meta.sampleRate;
  out.durationSec = meta.durationSec;
  out.delayMs = meta.delayMs;
  out.driftPpm = meta.driftPpm;
  out.delayTrack = meta.delayTrack;
  return out;
}

/** The `--json` object of an analysis report. */
export function toSummary(report: AnalysisReport): Record<string, unknown> {
  const values: Record<string, ReportValue> = { ...report.values };
  for (const key of REFERENCE_FREE_VALUE_KEYS) values[key] = report.referenceFree[key];
  const out = summaryObject(values, report.referenceFree, report.reasons as Record<string, string>, report);
  if (report.permutation) out.permutation = report.permutation;
  return out;
}

/** The live engine's summary line: the same keys from whole-stream values. */
export function toSummaryRecord(
  session: string,
  values: Record<string, MetricValue>,
  meta: SummaryMeta & Record<(typeof REFERENCE_FREE_LIST_KEYS)[number], number[]>,
): SummaryRecord {
  const plain: Record<string, ReportValue> = {};
  const reasons: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    plain[k] = v.value;
    if (v.reason) reasons[k] = v.reason;
  }
  return { type: 'summary', session, ...summaryObject(plain, meta, reasons, meta) };
}
