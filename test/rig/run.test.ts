/** The rig's bookkeeping without rendering: problems, overrun allowance, delay summary, gates, verdict. */
import { describe, expect, it } from 'vitest';
import { quantumStats } from '../../src/rig/mix.js';
import { allowedOverruns, counterProblems, mergeProblems, overallDelay, runChecks, verdictOf, DEFAULT_MAX_OVERRUNS } from '../../src/rig/run.js';
import type { RigCounters } from '../../src/rig/worklet-wrapper.js';

const quiet: RigCounters = {
  calls: 100,
  busy: false,
  current: 99,
  exceptions: 0,
  exceptionAt: -1,
  falsy: 0,
  falsyAt: -1,
  falsyKind: null,
  nonFinite: 0,
  nonFiniteAt: -1,
  shape: 0,
  shapeAt: -1,
  shapeOutputs: 0,
  shapeChannels: 0,
  constructorError: false,
  constructed: true,
  timer: 'performance.now',
  errorText: '',
  durations: new Float64Array(100),
};

describe('counterProblems', () => {
  it('nothing to say about a well-behaved processor', () => {
    expect(counterProblems(quiet, 16000)).toEqual([]);
  });
  it('one line per kind, with quantum and time (128 samples = 8 ms at 16 kHz)', () => {
    const p = counterProblems({ ...quiet, falsy: 3, falsyAt: 7, falsyKind: 'false', nonFinite: 2, nonFiniteAt: 50, shape: 1, shapeAt: 0, shapeOutputs: 1, shapeChannels: 2 }, 16000);
    expect(p.map((x) => x.kind)).toEqual(['return', 'channels', 'nonfinite']);
    expect(p[0].message).toBe(
      'process() returned false in 3 of 100 quanta, first at quantum 7 (t = 0.056 s), while its input was connected: return true to keep the processor running (a browser may stop calling it)',
    );
    expect(p[1].message).toMatch(/^wrong channel count: the output had 1 output\(s\) and 2 channel\(s\) at quantum 0/);
    expect(p[2].message).toMatch(/in 2 of 100 quanta, first at quantum 50 \(t = 0\.400 s\)/);
  });
});

describe('allowedOverruns', () => {
  it('a count, a share rounded down, or the default 0.1 % but at least 1', () => {
    expect(allowedOverruns({ count: 0 }, 5000)).toBe(0);
    expect(allowedOverruns({ share: 0.01 }, 250)).toBe(2);
    expect(allowedOverruns(DEFAULT_MAX_OVERRUNS, 500)).toBe(1);
    expect(allowedOverruns(DEFAULT_MAX_OVERRUNS, 4500)).toBe(4);
  });
});

describe('overallDelay', () => {
  it('the most frequent delay; constant only when every condition is constant and all agree', () => {
    expect(overallDelay([{ delaySamples: 512, delayConstant: true }, { delaySamples: 512, delayConstant: true }])).toEqual({ delaySamples: 512, delayConstant: true });
    expect(overallDelay([{ delaySamples: 512, delayConstant: true }, { delaySamples: 513, delayConstant: true }, { delaySamples: 512, delayConstant: true }])).toEqual({
      delaySamples: 512,
      delayConstant: false,
    });
    expect(overallDelay([{ delaySamples: 10, delayConstant: true }, { delaySamples: 10, delayConstant: null }])).toEqual({ delaySamples: 10, delayConstant: null });
    expect(overallDelay([{ delaySamples: null, delayConstant: null }])).toEqual({ delaySamples: null, delayConstant: null });
  });
});

describe('mergeProblems', () => {
  it('one entry per distinct message, listing its conditions; module problems list none', () => {
    const merged = mergeProblems([
      { label: '5 dB', problems: [{ kind: 'exception', message: 'boom' }] },
      { label: '0 dB', problems: [{ kind: 'exception', message: 'boom' }, { kind: 'nonfinite', message: 'nan' }] },
      { label: '-5 dB', problems: [{ kind: 'load', message: 'bad module' }] },
    ]);
    expect(merged).toEqual([
      { kind: 'exception', message: 'boom', conditions: ['5 dB', '0 dB'] },
      { kind: 'nonfinite', message: 'nan', conditions: ['0 dB'] },
      { kind: 'load', message: 'bad module', conditions: [] },
    ]);
  });
});

describe('runChecks and verdictOf', () => {
  const quantum = quantumStats(Float64Array.of(1, 1, 6, 1), 8, 0.5);
  const rows = [
    { label: '5 dB', processed: { sisdr: 12, reasons: {} }, delta: { sisdr: 4 } },
    { label: '0 dB', processed: { sisdr: null, reasons: { sisdr: 'deg is silent' } }, delta: { sisdr: null } },
  ];
  it('metric gates per condition, global gates once, then the overrun allowance', () => {
    const checks = runChecks(
      {
        thresholds: [
          { key: 'sisdr_delta', kind: 'min', limit: 3 },
          { key: 'sisdr', kind: 'min', limit: 10 },
          { key: 'quantum_max', kind: 'max', limit: 1 },
        ],
        maxOverruns: { count: 0 },
        quantumBudget: 0.5,
      },
      rows,
      { delaySamples: 0, delayMs: 0, quantum },
    );
    expect(checks).toEqual([
      { key: 'sisdr_delta', op: '>=', limit: 3, value: 4, pass: true, condition: '5 dB' },
      { key: 'sisdr_delta', op: '>=', limit: 3, value: null, pass: false, condition: '0 dB', reason: 'sisdr is undefined for the noisy input or the processed output' },
      { key: 'sisdr', op: '>=', limit: 10, value: 12, pass: true, condition: '5 dB' },
      { key: 'sisdr', op: '>=', limit: 10, value: null, pass: false, condition: '0 dB', reason: 'deg is silent' },
      { key: 'quantum_max', op: '<=', limit: 1, value: 0.75, pass: true },
      { key: 'overruns', op: '<=', limit: 0, value: 1, pass: false },
    ]);
    expect(verdictOf([], checks)).toEqual({ verdict: 'fail', exitCode: 3 });
    expect(verdictOf([], checks.slice(0, 1))).toEqual({ verdict: 'pass', exitCode: 0 });
    expect(verdictOf([{ kind: 'exception', message: 'x', conditions: [] }], [])).toEqual({ verdict: 'broken', exitCode: 1 });
    // A capture note is not a broken processor.
    expect(verdictOf([{ kind: 'capture', message: 'x', conditions: [] }], [])).toEqual({ verdict: 'pass', exitCode: 0 });
  });
});
