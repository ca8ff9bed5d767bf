/** The rig's bookkeeping without rendering: problems, overrun allowance, delay summary, gates, verdict. */
import { describe, expect, it } from 'vitest';
import { quantumStats } from '../../src/rig/mix.js';
import { MIN_QUANTA_FOR_SPEED, RenderWatchdog, STALL_FACTOR } from '../../src/rig/renderer.js';
import {
  allowedOverruns,
  brokenSilence,
  counterProblems,
  delaysAgree,
  mergeProblems,
  mergeWarnings,
  overallDelay,
  passedThrough,
  runChecks,
  silenceMessage,
  verdictOf,
  DEFAULT_MAX_OVERRUNS,
} from '../../src/rig/run.js';
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
  scopeErrors: 0,
  scopeErrorAt: -1,
  scopeErrorKind: null,
  scopeErrorText: '',
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
    // ±1 sample is one delay (a peak on either side of a half-sample delay: 1529 / 1530)...
    expect(overallDelay([{ delaySamples: 1529, delayConstant: true }, { delaySamples: 1530, delayConstant: true }, { delaySamples: 1529, delayConstant: true }])).toEqual({
      delaySamples: 1529,
      delayConstant: true,
    });
    // ...two samples apart is not.
    expect(overallDelay([{ delaySamples: 512, delayConstant: true }, { delaySamples: 514, delayConstant: true }, { delaySamples: 512, delayConstant: true }])).toEqual({
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

describe('delaysAgree', () => {
  it('tolerates one sample of spread, not two', () => {
    expect(delaysAgree([])).toBe(true);
    expect(delaysAgree([1530, 1529, 1530])).toBe(true);
    expect(delaysAgree([-1, 0])).toBe(true);
    expect(delaysAgree([1529, 1530, 1531])).toBe(false);
  });
});

describe('counterProblems: the worklet scope', () => {
  it('an unhandled rejection before the first quantum, with a hint when the module wanted to fetch its wasm', () => {
    const p = counterProblems({ ...quiet, scopeErrors: 2, scopeErrorAt: 0, scopeErrorKind: 'rejection', scopeErrorText: 'RuntimeError: Aborted(both async and sync fetching of the wasm failed)' }, 48000);
    expect(p).toHaveLength(1);
    expect(p[0].kind).toBe('scope');
    expect(p[0].message).toMatch(/^an unhandled promise rejection in the worklet scope before the first quantum \(2 in all\): RuntimeError: Aborted/);
    expect(p[0].message).toMatch(/--option-file KEY=FILE\.wasm/);
    // Emscripten's fetch of a relative .wasm URL in Node's fetch: the same hint.
    const url = counterProblems({ ...quiet, scopeErrors: 1, scopeErrorAt: 0, scopeErrorKind: 'rejection', scopeErrorText: 'TypeError: Failed to parse URL from rnnoise.wasm' }, 48000);
    expect(url[0].message).toMatch(/the module tried to fetch its \.wasm/);
    // Not for unrelated errors.
    expect(counterProblems({ ...quiet, scopeErrors: 1, scopeErrorAt: 0, scopeErrorKind: 'exception', scopeErrorText: 'TypeError: x is undefined' }, 48000)[0].message).not.toMatch(/--option-file/);
  });
  it('an uncaught exception at quantum 375 (t = 1.000 s at 48 kHz)', () => {
    const p = counterProblems({ ...quiet, scopeErrors: 1, scopeErrorAt: 375, scopeErrorKind: 'exception', scopeErrorText: 'TypeError: x is undefined' }, 48000);
    expect(p[0].message).toMatch(/^an uncaught exception in the worklet scope at quantum 375 \(t = 1\.000 s\): TypeError: x is undefined/);
    expect(verdictOf([{ kind: 'scope', message: p[0].message, conditions: [] }], [])).toEqual({ verdict: 'broken', exitCode: 1 });
  });
});

describe('brokenSilence and passedThrough (synthetic signals)', () => {
  const rate = 1000;
  /** n samples of a unit-amplitude square wave: "speech" everywhere. */
  const square = (n: number) => Float64Array.from({ length: n }, (_, i) => (i % 10 < 5 ? 1 : -1));
  it('all zeros, or everything below -80 dB of the input, is silent from sample 0', () => {
    const x = square(3000);
    expect(brokenSilence(new Float64Array(3000), x, x, rate)).toEqual({ from: 0, allZero: true });
    // 1e-5 is -100 dB re the input's RMS of 1: silent, but not all zero.
    expect(brokenSilence(new Float64Array(3000).fill(1e-5), x, x, rate)).toEqual({ from: 0, allZero: false });
    // 1e-3 (-60 dB) is not silence.
    expect(brokenSilence(new Float64Array(3000).fill(1e-3), x, x, rate)).toBeNull();
  });
  it('a silent ending of at least 1 s with speech in it; not a shorter one, nor one where the speech has ended', () => {
    const x = square(3000);
    const deg = x.slice();
    deg.fill(0, 1500); // silent for the last 1.5 s
    expect(brokenSilence(deg, x, x, rate)).toEqual({ from: 1500, allZero: true });
    expect(silenceMessage({ from: 1500, allZero: true }, 3000, rate)).toBe(
      'the output went silent at t = 1.500 s (sample 1500) and stayed silent to the end (1.500 s) while the input had speech: every sample is 0 from there on',
    );
    const short = x.slice();
    short.fill(0, 2200); // 0.8 s
    expect(brokenSilence(short, x, x, rate)).toBeNull();
    // The clean speech stops at 1.4 s: a gate closing on the noise after it is not broken.
    const clean = x.slice();
    clean.fill(0, 1400);
    expect(brokenSilence(deg, x, clean, rate)).toBeNull();
    // A silent input: nothing to judge.
    expect(brokenSilence(new Float64Array(10), new Float64Array(10), new Float64Array(10), rate)).toBeNull();
  });
  it('passedThrough: equal sample for sample, nothing less', () => {
    const x = square(100);
    expect(passedThrough(x.slice(), x)).toBe(true);
    const y = x.slice();
    y[99] = -0.9999999999999999; // one ulp away from -1
    expect(passedThrough(y, x)).toBe(false);
    expect(passedThrough(new Float64Array(0), new Float64Array(0))).toBe(false);
    expect(mergeWarnings([{ warnings: ['a'] }, { warnings: ['a', 'b'] }])).toEqual(['a', 'b']);
  });
});

describe('RenderWatchdog (an injected clock)', () => {
  it('before any quantum: the stall allowance is the timeout; any progress resets it', () => {
    const w = new RenderWatchdog(2000, 0);
    w.observe(1500, 1, 0); // a set-up step at 1.5 s
    expect(w.expired(3400)).toBe(false); // 1.9 s since the step
    expect(w.expired(3501)).toBe(true);
    expect(w.stalledMs(3501)).toBe(2001);
  });
  it('a slow render that keeps progressing is never cut off, however long it takes in all', () => {
    const w = new RenderWatchdog(2000, 0);
    // 1715 quanta at 900 ms each: 26 minutes, far beyond any fixed timeout.
    for (let q = 1; q <= 1715; q++) {
      const now = 900 * q;
      w.observe(now, q, q);
      expect(w.expired(now + 899)).toBe(false);
    }
    // Measured 900 ms per quantum: a stall may last 50 × 900 ms = 45 s before it counts.
    expect(w.msPerQuantum()).toBe(900);
    expect(w.allowanceMs()).toBe(STALL_FACTOR * 900);
    expect(w.expired(900 * 1715 + 45_000)).toBe(false);
    expect(w.expired(900 * 1715 + 45_001)).toBe(true);
  });
  it('a fast render that stops: caught after the timeout', () => {
    const w = new RenderWatchdog(2000, 0);
    for (let q = 1; q <= 100; q++) w.observe(q, q, q); // 1 ms per quantum, then a process() that never returns
    expect(w.msPerQuantum()).toBe(1);
    expect(w.allowanceMs()).toBe(2000);
    expect(w.expired(2100)).toBe(false);
    expect(w.expired(2101)).toBe(true);
  });
  it('the first quanta (start-up, JIT) do not set the speed: fewer than MIN_QUANTA_FOR_SPEED measured leave the timeout', () => {
    const w = new RenderWatchdog(2000, 0);
    for (let q = 1; q <= 4; q++) w.observe(500 * q, q, q); // 500 ms each, then stuck at quantum 4
    expect(MIN_QUANTA_FOR_SPEED).toBeGreaterThan(4);
    expect(w.msPerQuantum()).toBeNull();
    expect(w.expired(2000 + 2001)).toBe(true);
  });
});
