/** `earshot metrics` (also `earshot analyze --list-metrics`): the registry's keys as a table or JSON. */
import { parseArgs } from 'node:util';
import { metricRegistry } from '../metrics/registry.js';
import type { CliIo } from './main.js';

export const METRICS_USAGE = `Usage:
  earshot metrics [--json]

Lists every metric key (for --metrics LIST) with its unit, direction, the reference implementation it
agrees with, and how the live engine reports it.
`;

function livePolicy(d: (typeof metricRegistry)[number]): string {
  const p = d.live;
  if (p.kind === 'refresh') return p.everySec > 0 ? `every ${p.everySec} s (${p.window})` : `each report (${p.window})`;
  return p.kind === 'sums' ? 'running sums' : p.kind === 'frames' ? 'per frame' : 'offline only';
}

export function metricsTable(): string {
  const rows = [['key', 'metric', 'unit', 'better', 'live', 'reference'], ...metricRegistry.map((d) => [d.key, d.label, d.unit || '—', d.higherIsBetter === null ? '—' : d.higherIsBetter ? 'higher' : 'lower', livePolicy(d), d.reference])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '─'.repeat(w)).join('  '));
  return `${lines.join('\n')}\n\nSelect with --metrics KEY,KEY,... (dependencies such as the composites' inputs are computed too).\n`;
}

export function runMetrics(args: string[], io: CliIo): number {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    io.stdout(METRICS_USAGE);
    return 0;
  }
  if (values.json) {
    const list = metricRegistry.map((d) => ({ key: d.key, label: d.label, unit: d.unit, higherIsBetter: d.higherIsBetter, reference: d.reference, kind: d.kind, live: d.live, dependsOn: d.dependsOn ?? [] }));
    io.stdout(`${JSON.stringify(list)}\n`);
  } else io.stdout(metricsTable());
  return 0;
}
