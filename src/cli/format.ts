/** Human-readable rendering of an analysis report: an aligned table with units and directions. */
import { METRIC_INFO, METRIC_KEYS, REFERENCE_FREE_INFO, REFERENCE_FREE_LIST_KEYS, REFERENCE_FREE_VALUE_KEYS } from '../analysis/metric-info.js';
import { NOT_REQUESTED_REASON, type AnalysisReport, type ReportValue } from '../analysis/analyze.js';

function formatNumber(v: number | null, digits: number): string {
  if (v === null) return '—';
  if (v !== 0 && Math.abs(v) < 10 ** -digits) return v.toExponential(2);
  return v.toFixed(digits);
}

function formatValue(v: ReportValue, digits: number): string {
  return Array.isArray(v) ? v.map((x) => formatNumber(x, digits)).join(' | ') : formatNumber(v, digits);
}

export function formatReport(report: AnalysisReport, title: string): string {
  const rows: string[][] = [['metric', 'value', 'unit', 'better', 'note']];
  for (const key of METRIC_KEYS) {
    // Keys left out by --metrics are not worth a row each.
    if (report.reasons[key] === NOT_REQUESTED_REASON) continue;
    const info = METRIC_INFO[key];
    const v = report.values[key];
    const u = report.uncertainties[key];
    let shown = formatValue(v, info.digits);
    if (typeof v === 'number' && typeof u === 'number') shown += ` ± ${formatNumber(u, info.digits)}`;
    rows.push([info.label, shown, info.unit, info.higherIsBetter ? 'higher' : 'lower', report.reasons[key] ?? '']);
  }
  if (REFERENCE_FREE_VALUE_KEYS.some((k) => report.reasons[k] !== NOT_REQUESTED_REASON)) rows.push(['reference-free (deg alone)', '', '', '', '']);
  for (const key of REFERENCE_FREE_VALUE_KEYS) {
    if (report.reasons[key] === NOT_REQUESTED_REASON) continue;
    const info = REFERENCE_FREE_INFO[key];
    const better = info.higherIsBetter === null ? '' : info.higherIsBetter ? 'higher' : 'lower';
    let note = report.reasons[key] ?? '';
    if (key === 'dropouts' || key === 'repeatedFrames') {
      const times = report.referenceFree[key === 'dropouts' ? 'dropoutTimes' : 'repeatedFrameTimes'];
      const flat = (times as (number | number[])[]).flat();
      if (flat.length) note = `at ${flat.slice(0, 6).map((t) => `${t.toFixed(2)} s`).join(', ')}${flat.length > 6 ? ', …' : ''}`;
    }
    rows.push([info.label, formatValue(report.referenceFree[key], info.digits), info.unit, better, note]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) =>
    r
      .map((cell, c) => (c === 1 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '─'.repeat(w)).join('  '));
  const delay =
    report.delayMs !== null
      ? `${report.delayMs.toFixed(3)} ms${report.driftPpm ? `, drift ${report.driftPpm.toFixed(2)} ppm` : ''}`
      : report.reasons.delay
        ? `not compensated (${report.reasons.delay})`
        : 'not estimated (--align off)';
  const head = [
    title,
    `${report.sampleRate} Hz, ${report.durationSec.toFixed(3)} s scored, delay ${delay}${report.permutation ? `, estimate for each ref: ${report.permutation.join(', ')}` : ''}`,
    ...(report.delayTrack && report.delayTrack.length > 1 ? [`delay track: ${report.delayTrack.map((s) => `${s.t.toFixed(2)} s → ${s.delayMs.toFixed(3)} ms`).join(', ')}`] : []),
    '',
  ];
  const notes = report.notes.map((n) => `note: ${n}`);
  const foot = ['', '± is the standard error over frames or segments.'];
  return [...head, ...lines, ...(notes.length ? ['', ...notes] : []), ...foot].join('\n') + '\n';
}

/** The `--json` object (one implementation: analysis/summary.ts). */
export { toSummary as reportJson } from '../analysis/summary.js';
