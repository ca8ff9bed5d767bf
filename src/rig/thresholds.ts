/**
 * Pass/fail gates of `earshot rig`: `--fail-below KEY=V,...` fails when a value is below V,
 * `--fail-above KEY=V,...` when it is above V. A gate whose value is undefined (null) fails too: a
 * CI job should not pass on a figure that could not be computed.
 *
 * Keys:
 *   <metric>        the processed output's value (a key of `earshot analyze --json`: sisdr, stoi,
 *                   ..., and the reference-free numbers such as noiseFloorDb or wadaSnrDb)
 *   <metric>_delta  processed − noisy, per SNR condition (positive means higher after processing)
 *   delay_ms, delay_samples                      the processor's delay
 *   quantum_p50, quantum_p99, quantum_max        per-quantum cost, share of the quantum's duration
 *   overruns                                     quanta over --quantum-budget
 * Metric gates apply to every condition (in batch mode: to each SNR's mean over the files).
 */
import { scoredKeys } from './keys.js';
import { earshotError } from '../errors.js';

export type GateKind = 'min' | 'max';

export interface Threshold {
  key: string;
  kind: GateKind;
  limit: number;
}

export const GLOBAL_KEYS = ['delay_ms', 'delay_samples', 'quantum_p50', 'quantum_p99', 'quantum_max', 'overruns'] as const;
export type GlobalKey = (typeof GLOBAL_KEYS)[number];

/** Values a rig condition can gate on (every scored key; SA-SDR needs several speakers). */
export function gateMetrics(): string[] {
  return scoredKeys().map((k) => k.key);
}

function validKeys(): string[] {
  const metrics = gateMetrics();
  return [...metrics, ...metrics.map((m) => `${m}_delta`), ...GLOBAL_KEYS];
}

/** Parse `k=v,k=v` (repeatable flag: pass every occurrence). Throws ERR_USAGE. */
export function parseThresholds(specs: string[] | undefined, flag: '--fail-below' | '--fail-above'): Threshold[] {
  const kind: GateKind = flag === '--fail-below' ? 'min' : 'max';
  const keys = validKeys();
  const out: Threshold[] = [];
  for (const spec of specs ?? []) {
    for (const part of spec.split(',')) {
      const item = part.trim();
      if (item === '') continue;
      const m = /^([a-z0-9_]+)\s*=\s*(.+)$/i.exec(item);
      if (!m) throw earshotError('ERR_USAGE', `${flag}: expected KEY=NUMBER, got "${item}"`);
      // Keys match case-insensitively (noisefloordb_delta = noiseFloorDb_delta).
      const key = keys.find((k) => k.toLowerCase() === m[1].toLowerCase());
      if (key === undefined) {
        throw earshotError(
          'ERR_USAGE',
          `${flag}: unknown key "${m[1]}"; expected METRIC or METRIC_delta (METRIC one of ${gateMetrics().join(', ')}) or one of ${GLOBAL_KEYS.join(', ')}`,
        );
      }
      const limit = Number(m[2]);
      if (!Number.isFinite(limit) || m[2].trim() === '') throw earshotError('ERR_USAGE', `${flag}: ${key} needs a number, got "${m[2]}"`);
      out.push({ key, kind, limit });
    }
  }
  return out;
}

export function isGlobalKey(key: string): key is GlobalKey {
  return (GLOBAL_KEYS as readonly string[]).includes(key);
}

/** One evaluated gate. */
export interface CheckResult {
  key: string;
  /** '≥' for --fail-below (the value must be at least the limit), '≤' for --fail-above. */
  op: '>=' | '<=';
  limit: number;
  value: number | null;
  pass: boolean;
  /** The SNR condition's label for metric gates; absent for global ones. */
  condition?: string;
  /** Why the value is null. */
  reason?: string;
}

export function evaluate(t: Threshold, value: number | null, condition?: string, reason?: string): CheckResult {
  const pass = value !== null && (t.kind === 'min' ? value >= t.limit : value <= t.limit);
  const r: CheckResult = { key: t.key, op: t.kind === 'min' ? '>=' : '<=', limit: t.limit, value, pass };
  if (condition !== undefined) r.condition = condition;
  if (value === null) r.reason = reason ?? 'not available';
  return r;
}
