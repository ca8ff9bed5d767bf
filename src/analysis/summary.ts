/**
 * The one summary shape: the object `earshot analyze --json` prints, the live engine's final
 * `summary` line and `analyzeFiles()` resolves to. Its keys come from the metric registry.
 */
import { METRIC_KEYS, REFERENCE_FREE_LIST_KEYS, REFERENCE_FREE_VALUE_KEYS } from './metric-info.js';
import type { AnalysisReport } from './analyze.js';

/** The `--json` object: the metric keys, the reference-free keys, reasons, rate, duration, delay. */
export function toSummary(report: AnalysisReport): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of METRIC_KEYS) out[key] = report.values[key];
  for (const key of [...REFERENCE_FREE_VALUE_KEYS, ...REFERENCE_FREE_LIST_KEYS]) out[key] = report.referenceFree[key];
  out.reasons = report.reasons;
  out.sampleRate = report.sampleRate;
  out.durationSec = report.durationSec;
  out.delayMs = report.delayMs;
  if (report.permutation) out.permutation = report.permutation;
  return out;
}
