/**
 * Alert rules: "STOI over 3 s below 0.8 for 2 s" raises an alert; the condition being false for
 * `clearSec` clears it. Times are stream times (the samples' t), so a recording replayed at any speed
 * or a file pushed at full speed raises the same alerts as in real time. A null value (metric
 * undefined, e.g. silence) is no evidence either way: it leaves the state as it is.
 *
 * Rules come from defaults or a JSON/YAML file (`--alerts FILE`): a list of rules, or `{ rules: [...] }`.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { earshotError } from '../errors.js';
import { WINDOWS, type MetricSample, type WindowName } from '../live/types.js';
import type { AlertMessage, AlertRule } from './feed-types.js';

/**
 * Defaults for speech. STOI below ~0.75 is where listeners start losing words in noise (Taal et al.
 * 2011, Fig. 4 maps STOI to intelligibility scores); 0.6 is where most words are lost. SI-SDR below
 * 0 dB means the distortion carries more energy than the speech.
 */
export const DEFAULT_ALERT_RULES: AlertRule[] = [
  rule({ id: 'stoi-3s-low', metric: 'stoi', window: '3s', op: '<', threshold: 0.8, holdSec: 2, severity: 'warning', message: 'intelligibility dropping (STOI 3 s < 0.8)' }),
  rule({ id: 'stoi-3s-poor', metric: 'stoi', window: '3s', op: '<', threshold: 0.6, holdSec: 2, severity: 'critical', message: 'speech hard to understand (STOI 3 s < 0.6)' }),
  rule({ id: 'sisdr-3s-negative', metric: 'sisdr', window: '3s', op: '<', threshold: 0, holdSec: 2, severity: 'warning', message: 'distortion louder than speech (SI-SDR 3 s < 0 dB)' }),
];

const OPS = ['<', '<=', '>', '>='] as const;

function rule(r: Omit<AlertRule, 'clearSec'> & { clearSec?: number }): AlertRule {
  return { ...r, clearSec: r.clearSec ?? r.holdSec };
}

/** Validate one rule from a file; `where` names it in errors ("alerts.yaml: rule 2"). */
export function parseAlertRule(raw: unknown, where: string): AlertRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw earshotError('ERR_INVALID_ARGUMENT', `${where}: expected an object, got ${JSON.stringify(raw)}`);
  const r = raw as Record<string, unknown>;
  const bad = (field: string, expected: string) =>
    earshotError('ERR_INVALID_ARGUMENT', `${where}: "${field}" must be ${expected}, got ${JSON.stringify(r[field])}`);
  if (typeof r.metric !== 'string' || r.metric === '') throw bad('metric', 'a metric key such as "stoi"');
  const window = r.window ?? '3s';
  if (typeof window !== 'string' || !WINDOWS.includes(window as WindowName)) throw bad('window', `one of ${WINDOWS.join(', ')}`);
  if (typeof r.op !== 'string' || !OPS.includes(r.op as AlertRule['op'])) throw bad('op', `one of ${OPS.join(' ')}`);
  if (typeof r.threshold !== 'number' || !Number.isFinite(r.threshold)) throw bad('threshold', 'a finite number');
  const holdSec = r.holdSec ?? 0;
  if (typeof holdSec !== 'number' || !(holdSec >= 0)) throw bad('holdSec', 'a number ≥ 0 (seconds)');
  const clearSec = r.clearSec ?? holdSec;
  if (typeof clearSec !== 'number' || !(clearSec >= 0)) throw bad('clearSec', 'a number ≥ 0 (seconds)');
  const severity = r.severity ?? 'warning';
  if (severity !== 'warning' && severity !== 'critical') throw bad('severity', '"warning" or "critical"');
  const id = r.id ?? `${r.metric}-${window}-${r.op === '<' || r.op === '<=' ? 'below' : 'above'}-${r.threshold}`;
  if (typeof id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw bad('id', 'letters, digits, ".", "_" or "-" (at most 64)');
  const message = r.message ?? `${r.metric} ${window} ${r.op} ${r.threshold} for ${holdSec} s`;
  if (typeof message !== 'string') throw bad('message', 'a string');
  return { id, metric: r.metric, window: window as WindowName, op: r.op as AlertRule['op'], threshold: r.threshold, holdSec, clearSec, severity, message };
}

/** Rules from a JSON or YAML document (YAML is a superset of JSON). */
export function parseAlertRules(text: string, name: string): AlertRule[] {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw earshotError('ERR_INVALID_ARGUMENT', `${name}: not valid JSON or YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list)) throw earshotError('ERR_INVALID_ARGUMENT', `${name}: expected a list of rules or { rules: [...] }`);
  const rules = list.map((r, i) => parseAlertRule(r, `${name}: rule ${i + 1}`));
  const ids = new Set<string>();
  for (const r of rules) {
    if (ids.has(r.id)) throw earshotError('ERR_INVALID_ARGUMENT', `${name}: rule id "${r.id}" used twice`);
    ids.add(r.id);
  }
  return rules;
}

export function loadAlertRules(path: string): AlertRule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw earshotError(code === 'ENOENT' ? 'ERR_FILE_NOT_FOUND' : 'ERR_FILE_UNREADABLE', `${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseAlertRules(text, path);
}

function holds(op: AlertRule['op'], v: number, threshold: number): boolean {
  switch (op) {
    case '<':
      return v < threshold;
    case '<=':
      return v <= threshold;
    case '>':
      return v > threshold;
    case '>=':
      return v >= threshold;
  }
}

interface RuleState {
  /** Stream time the condition started holding, or null. */
  since: number | null;
  /** Stream time the condition stopped holding while active, or null. */
  clearSince: number | null;
  active: boolean;
}

/** The alert state of one session. */
export class SessionAlerts {
  private readonly session: string;
  private readonly byKey = new Map<string, { rule: AlertRule; state: RuleState }[]>();
  private readonly active = new Map<string, AlertMessage>();

  constructor(session: string, rules: AlertRule[]) {
    this.session = session;
    for (const r of rules) {
      const key = `${r.metric}\u0000${r.window}`;
      let list = this.byKey.get(key);
      if (!list) this.byKey.set(key, (list = []));
      list.push({ rule: r, state: { since: null, clearSince: null, active: false } });
    }
  }

  /** Alerts raised now (state 'raised'), keyed by rule id. */
  activeAlerts(): AlertMessage[] {
    return [...this.active.values()];
  }

  /** Check one sample; returns the alert messages it causes (usually none). */
  check(s: Pick<MetricSample, 't' | 'metric' | 'window' | 'value'>): AlertMessage[] {
    const list = this.byKey.get(`${s.metric}\u0000${s.window}`);
    if (!list || s.value === null) return NONE;
    let out: AlertMessage[] | undefined;
    for (const { rule, state } of list) {
      if (holds(rule.op, s.value, rule.threshold)) {
        state.clearSince = null;
        if (state.since === null) state.since = s.t;
        if (!state.active && s.t - state.since >= rule.holdSec) {
          state.active = true;
          const msg: AlertMessage = { type: 'alert', state: 'raised', session: this.session, t: s.t, since: state.since, rule, value: s.value };
          this.active.set(rule.id, msg);
          (out ??= []).push(msg);
        }
      } else {
        state.since = null;
        if (state.active) {
          if (state.clearSince === null) state.clearSince = s.t;
          if (s.t - state.clearSince >= rule.clearSec) {
            state.active = false;
            this.active.delete(rule.id);
            (out ??= []).push({ type: 'alert', state: 'cleared', session: this.session, t: s.t, since: state.clearSince, rule, value: s.value });
            state.clearSince = null;
          }
        }
      }
    }
    return out ?? NONE;
  }

  /** The session ended: clear what is still active. */
  end(t: number): AlertMessage[] {
    const out: AlertMessage[] = [];
    for (const list of this.byKey.values()) {
      for (const { rule, state } of list) {
        if (state.active) out.push({ type: 'alert', state: 'cleared', session: this.session, t, since: t, rule, value: null });
        state.active = false;
        state.since = null;
        state.clearSince = null;
      }
    }
    this.active.clear();
    return out;
  }
}

const NONE: AlertMessage[] = [];
