import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULES, SessionAlerts, loadAlertRules, parseAlertRule, parseAlertRules } from '../../src/server/alerts.js';
import type { AlertRule } from '../../src/server/feed-types.js';

const STOI_RULE: AlertRule = parseAlertRule({ id: 'stoi-low', metric: 'stoi', window: '3s', op: '<', threshold: 0.8, holdSec: 2 }, 'test');

/** Feed values at 10 Hz starting at t0; returns the alert states in order with their times. */
function run(alerts: SessionAlerts, values: (number | null)[], t0 = 0.1, metric = 'stoi', window: '3s' | '1s' = '3s') {
  const out: string[] = [];
  values.forEach((v, i) => {
    const t = Math.round((t0 + i * 0.1) * 10) / 10;
    for (const a of alerts.check({ t, metric, window, value: v })) out.push(`${a.state}@${t}`);
  });
  return out;
}

describe('SessionAlerts', () => {
  it('raises after the condition held for holdSec and clears after it stopped for clearSec', () => {
    const a = new SessionAlerts('s', [STOI_RULE]);
    // 0.9 for 1 s, 0.7 for 3 s, 0.9 for 3 s.
    const values = [...Array(10).fill(0.9), ...Array(30).fill(0.7), ...Array(30).fill(0.9)];
    // Bad from t = 1.1; held 2 s at t = 3.1. Good from t = 4.1; cleared at t = 6.1.
    expect(run(a, values)).toEqual(['raised@3.1', 'cleared@6.1']);
  });

  it('a dip shorter than the hold time raises nothing; a short recovery does not clear', () => {
    const a = new SessionAlerts('s', [STOI_RULE]);
    expect(run(a, [...Array(19).fill(0.5), 0.9, ...Array(19).fill(0.5)])).toEqual([]);
    const b = new SessionAlerts('s', [STOI_RULE]);
    const out = run(b, [...Array(25).fill(0.5), ...Array(10).fill(0.95), ...Array(10).fill(0.5)]);
    expect(out).toEqual(['raised@2.1']);
    expect(b.activeAlerts().map((x) => x.rule.id)).toEqual(['stoi-low']);
  });

  it('null values (metric undefined) neither raise nor clear', () => {
    const a = new SessionAlerts('s', [STOI_RULE]);
    expect(run(a, [...Array(30).fill(null)])).toEqual([]);
    expect(run(a, [...Array(25).fill(0.5), ...Array(40).fill(null)])).toEqual(['raised@2.1']);
  });

  it('only the rule’s metric and window count', () => {
    const a = new SessionAlerts('s', [STOI_RULE]);
    expect(run(a, Array(40).fill(0.1), 0.1, 'stoi', '1s')).toEqual([]);
    expect(run(a, Array(40).fill(0.1), 0.1, 'estoi')).toEqual([]);
  });

  it('ending the session clears what is active', () => {
    const a = new SessionAlerts('s', [STOI_RULE]);
    run(a, Array(30).fill(0.5));
    const cleared = a.end(3);
    expect(cleared).toMatchObject([{ state: 'cleared', t: 3, value: null, rule: { id: 'stoi-low' } }]);
    expect(a.activeAlerts()).toEqual([]);
  });

  it('every operator', () => {
    for (const [op, bad, good] of [
      ['<', 0.5, 1],
      ['<=', 1, 1.5],
      ['>', 1.5, 1],
      ['>=', 1, 0.5],
    ] as const) {
      const a = new SessionAlerts('s', [parseAlertRule({ metric: 'x', window: '1s', op, threshold: 1, holdSec: 0 }, 't')]);
      expect(run(a, [good, bad, good], 0.1, 'x', '1s')).toEqual(['raised@0.2', 'cleared@0.3']);
    }
  });

  it('default rules are valid speech rules', () => {
    expect(DEFAULT_ALERT_RULES.map((r) => `${r.metric} ${r.window} ${r.op} ${r.threshold}`)).toEqual(['stoi 3s < 0.8', 'stoi 3s < 0.6', 'sisdr 3s < 0']);
    for (const r of DEFAULT_ALERT_RULES) expect(parseAlertRule(r, 'default')).toEqual(r);
  });
});

describe('alert rule files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-alerts-'));

  it('reads JSON (a list or { rules }) and YAML', () => {
    const json = join(dir, 'a.json');
    writeFileSync(json, JSON.stringify([{ metric: 'stoi', window: '3s', op: '<', threshold: 0.8, holdSec: 2 }]));
    expect(loadAlertRules(json)).toEqual([
      { id: 'stoi-3s-below-0.8', metric: 'stoi', window: '3s', op: '<', threshold: 0.8, holdSec: 2, clearSec: 2, severity: 'warning', message: 'stoi 3s < 0.8 for 2 s' },
    ]);
    const yaml = join(dir, 'a.yaml');
    writeFileSync(yaml, 'rules:\n  - metric: sisdr\n    op: "<"\n    threshold: 5\n    holdSec: 1\n    clearSec: 4\n    severity: critical\n');
    expect(loadAlertRules(yaml)).toMatchObject([{ metric: 'sisdr', window: '3s', threshold: 5, clearSec: 4, severity: 'critical' }]);
  });

  it('precise errors for bad rules', () => {
    const bad: [unknown, RegExp][] = [
      [{ window: '3s', op: '<', threshold: 1 }, /rule 1: "metric" must be/],
      [{ metric: 'stoi', window: '5s', op: '<', threshold: 1 }, /"window" must be one of frame, 1s, 3s, 10s, total, got "5s"/],
      [{ metric: 'stoi', op: '=<', threshold: 1 }, /"op" must be one of < <= > >=, got "=<"/],
      [{ metric: 'stoi', op: '<', threshold: 'low' }, /"threshold" must be a finite number/],
      [{ metric: 'stoi', op: '<', threshold: 1, holdSec: -1 }, /"holdSec" must be a number ≥ 0/],
      [{ metric: 'stoi', op: '<', threshold: 1, severity: 'panic' }, /"severity" must be "warning" or "critical"/],
    ];
    for (const [rule, message] of bad) expect(() => parseAlertRules(JSON.stringify([rule]), 'f.json')).toThrow(message);
    expect(() => parseAlertRules('{ "rules": 3 }', 'f.json')).toThrow(/expected a list of rules/);
    expect(() => parseAlertRules('[{"metric": "stoi", "op": "<", "threshold": 1, "id": "x"}, {"metric": "snr", "op": "<", "threshold": 1, "id": "x"}]', 'f.json')).toThrow(/"x" used twice/);
    expect(() => parseAlertRules('{ unclosed', 'f.json')).toThrow(/not valid JSON or YAML/);
    expect(() => loadAlertRules(join(dir, 'missing.json'))).toThrow(expect.objectContaining({ code: 'ERR_FILE_NOT_FOUND' }));
  });
});
