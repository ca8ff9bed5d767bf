/**
 * The DSP test rig: score an AudioWorklet processor (the device under test) for quality, latency and
 * render-quantum budget.
 *
 * For each condition (an input SNR, or a given noisy file) one OfflineAudioContext renders the noisy
 * input through the processor and captures clean, processed and noisy with the capture worklet
 * (`render-worker.ts`); the timing wrapper (`worklet-wrapper.ts`) measures the processor's own
 * `process()` calls in the worklet thread. Then, on the main thread:
 *  - quality: `analyze` (align auto) of noisy vs clean and of processed vs clean; delta = processed −
 *    noisy for every metric;
 *  - latency: GCC-PHAT delay of processed against clean over the whole file (as `analyze` finds it)
 *    and separately over each half: constant when all agree;
 *  - budget: p50 / p99 / max of the per-quantum cost as a share of 128 / sampleRate, and overruns
 *    above the budget;
 *  - problems: a processor that throws (in its constructor, in process(), or anywhere in the worklet
 *    scope: uncaught exceptions and unhandled rejections), returns a falsy value, writes NaN, goes
 *    silent, has the wrong channel layout, stops making progress (timeout) or fails to load;
 *  - warnings: an output bit-identical to the input (the processor did nothing).
 */
import { analyze, MAX_DELAY_SEC, MIN_DELAY_PEAK_TO_RMS } from '../analysis/analyze.js';
import { toSummary } from '../analysis/summary.js';
import { estimateDelay } from '../dsp/gcc-phat.js';
import { scoredKeys } from './keys.js';
import { concatFloat64, quantumStats, type QuantumStats } from './mix.js';
import { STALL_FACTOR, type RenderOutcome, type Renderer } from './renderer.js';
import { evaluate, isGlobalKey, type CheckResult, type Threshold } from './thresholds.js';
import { computeTimeline, type Timeline } from './timeline.js';
import { createRigBuffer, readRigBuffer, type RigCounters } from './worklet-wrapper.js';

/** Web Audio render quantum, frames. */
export const RENDER_QUANTUM = 128;
/** Default share of the quantum's duration the processor may use. */
export const DEFAULT_QUANTUM_BUDGET = 0.5;
/**
 * Default stall timeout, s: a render that makes no progress (no quantum processed, no step of the
 * set-up done) for this long is abandoned; a slow render that keeps progressing is never cut off
 * (see `RenderWatchdog`).
 */
export const DEFAULT_STALL_TIMEOUT_SEC = 30;
/** Output below this level re the noisy input's RMS counts as silence, dB. */
export const SILENCE_DB = -80;
/** A silent stretch at the end of the output must be at least this long to make a processor broken, s. */
export const SILENT_TAIL_SEC = 1;
/**
 * ...and the clean speech must be present in it: its energy over the stretch at least this share of
 * the file's mean energy per sample times the stretch's length (−10 dB re the average), so that a
 * gate closing on a noise-only ending is not called broken.
 */
export const SILENT_TAIL_SPEECH_SHARE = 0.1;
/** Delays (samples) within this of each other are the same delay (GCC-PHAT peaks can fall on either
 * side of a half-sample delay: 1529/1530 is one delay). */
export const DELAY_TOLERANCE_SAMPLES = 1;
/** The warning for an output that equals its input sample for sample. */
export const PASSTHROUGH_WARNING = 'the processor passed its input through unchanged (the output equals the input sample for sample)';
/** Exit codes. */
export const EXIT_PASS = 0;
export const EXIT_BROKEN = 1;
export const EXIT_FAILED_GATES = 3;

export interface OverrunAllowance {
  /** Allowed overruns as a count... */
  count?: number;
  /** ...or as a share of the timed quanta (0..1), rounded down... */
  share?: number;
  /** ...but at least this many. */
  min?: number;
}

/**
 * Default overrun allowance: 0.1 % of the timed quanta, at least 1. Per-quantum times are wall-clock
 * times, so on a busy machine the worklet thread is sometimes preempted inside a call (measured here:
 * about one 3–5 ms spike per 1500 quanta of a processor whose p99 is 2.5 % of the quantum, with other
 * jobs running). An isolated spike should not fail a CI job; a processor that overruns regularly
 * (every FFT hop, say) exceeds this at once. `--max-overruns 0` is the strict gate for a quiet machine.
 */
export const DEFAULT_MAX_OVERRUNS: OverrunAllowance = { share: 0.001, min: 1 };

/** A `processorOptions` entry loaded from a file: its bytes (an ArrayBuffer) or a compiled WebAssembly.Module. */
export interface OptionFile {
  key: string;
  /** Absolute path. */
  path: string;
  kind: 'bytes' | 'wasm';
}

export interface RigSetup {
  /** Absolute path of the processor module. */
  processorPath: string;
  /** The path as given, for display. */
  processor: string;
  name?: string;
  /** JSON processorOptions (`--options`). */
  options: Record<string, unknown>;
  /** processorOptions entries loaded from files (`--option-file`, `--option-wasm`); they override `options`. */
  optionFiles?: OptionFile[];
  /** Absolute path of a set-up module (`--setup`): its function gets the context and the node before rendering. */
  setupPath?: string;
  quantumBudget: number;
  maxOverruns: OverrunAllowance;
  thresholds: Threshold[];
  /** Stall timeout, s (`--timeout`): no progress for this long abandons the render; default DEFAULT_STALL_TIMEOUT_SEC. */
  timeoutSec?: number;
  /** Compute metric-over-time series (for the HTML report). */
  timeline: boolean;
}

export interface ConditionSpec {
  /** Requested input SNR, dB; null when the noisy input was given. */
  snr: number | null;
  label: string;
  noisy: Float64Array;
}

export interface Scenario {
  sampleRate: number;
  clean: Float64Array;
  conditions: ConditionSpec[];
}

export type ProblemKind =
  | 'load'
  | 'name'
  | 'node'
  | 'setup'
  | 'render'
  | 'crash'
  | 'timeout'
  | 'constructor'
  | 'exception'
  | 'scope'
  | 'return'
  | 'nonfinite'
  | 'silent'
  | 'channels'
  | 'capture';

export interface Problem {
  kind: ProblemKind;
  message: string;
  /** Labels of the conditions it happened in. */
  conditions: string[];
}

export type MetricJson = Record<string, unknown>;

export interface ConditionResult {
  snr: number | null;
  label: string;
  /** `earshot analyze --json` of noisy vs clean, and of processed vs clean (null: not rendered). */
  noisy: MetricJson | null;
  processed: MetricJson | null;
  /** processed − noisy per metric (null where either is undefined). */
  delta: Record<string, number | null> | null;
  delaySamples: number | null;
  delayMs: number | null;
  /** Delay found over the first and over the second half of the file. */
  delayHalves: [number | null, number | null];
  delayConstant: boolean | null;
  quantum: QuantumStats | null;
  /** Problems of this condition (also merged into the result's list). */
  problems: { kind: ProblemKind; message: string }[];
  /** Things that do not make the processor broken but deserve a look (e.g. it passed its input through). */
  warnings: string[];
  notes: string[];
  renderMs: number | null;
  /** Per-call durations, ms (not in --json). */
  durations: Float64Array;
  timeline?: Timeline;
}

export interface RigResult {
  processor: string;
  name: string | null;
  options: Record<string, unknown>;
  sampleRate: number;
  quantumMs: number;
  quantumBudget: number;
  delaySamples: number | null;
  delayMs: number | null;
  delayConstant: boolean | null;
  quantum: QuantumStats;
  conditions: ConditionResult[];
  problems: Problem[];
  /** Distinct warnings of all conditions. */
  warnings: string[];
  checks: CheckResult[];
  verdict: 'pass' | 'fail' | 'broken';
  exitCode: number;
}

/** A problem that makes the processor unfit whatever its scores (exit code 1). */
const BROKEN: ProblemKind[] = ['load', 'name', 'node', 'setup', 'render', 'crash', 'timeout', 'constructor', 'exception', 'scope', 'return', 'nonfinite', 'silent', 'channels'];
/** Problems of the module itself, whatever the input. */
const MODULE_PROBLEMS: ProblemKind[] = ['load', 'name', 'node', 'setup'];
/** Problems after which further conditions would only repeat them: stop. */
export const FATAL: ProblemKind[] = ['load', 'name', 'node', 'setup', 'crash', 'timeout'];

const sec = (quantum: number, rate: number) => ((quantum * RENDER_QUANTUM) / rate).toFixed(3);

/** A hint for errors that say a wasm file could not be fetched or a Node path was taken. */
function loaderHint(text: string): string {
  if (/fetch|\.wasm\b|failed to parse URL/i.test(text)) {
    return ' — the module tried to fetch its .wasm: pass the bytes in processorOptions (--option-file KEY=FILE.wasm, or --option-wasm KEY=FILE.wasm for a compiled module; see docs/rig.md)';
  }
  return '';
}

/** Turn what the wrapper saw into report lines. */
export function counterProblems(c: RigCounters, rate: number): { kind: ProblemKind; message: string }[] {
  const out: { kind: ProblemKind; message: string }[] = [];
  if (c.constructorError) {
    out.push({ kind: 'constructor', message: `the processor's constructor threw: ${c.errorText || 'an exception'}; the node outputs silence` });
  }
  if (c.exceptions > 0) {
    let message = `process() threw at quantum ${c.exceptionAt} (t = ${sec(c.exceptionAt, rate)} s): ${c.errorText}`;
    if (/^TypeError: .*undefined/.test(c.errorText)) {
      message +=
        ' — wrong channel count? The rig connects one mono input and one mono output (inputs[0][0], outputs[0][0]); a processor that expects more channels fails like this';
    }
    message += '. A browser stops calling a processor after it throws: its output is silence from there on';
    out.push({ kind: 'exception', message });
  }
  if (c.falsy > 0) {
    const what = c.falsyKind === 'undefined' ? 'undefined (no return statement?)' : c.falsyKind === 'false' ? 'false' : 'a falsy value';
    out.push({
      kind: 'return',
      message: `process() returned ${what} in ${c.falsy} of ${c.calls} quanta, first at quantum ${c.falsyAt} (t = ${sec(c.falsyAt, rate)} s), while its input was connected: return true to keep the processor running (a browser may stop calling it)`,
    });
  }
  if (c.shape > 0) {
    out.push({
      kind: 'channels',
      message: `wrong channel count: the output had ${c.shapeOutputs} output(s) and ${c.shapeChannels} channel(s) at quantum ${c.shapeAt}; the rig expects one mono output`,
    });
  }
  if (c.scopeErrors > 0) {
    const what = c.scopeErrorKind === 'rejection' ? 'an unhandled promise rejection' : 'an uncaught exception';
    const more = c.scopeErrors > 1 ? ` (${c.scopeErrors} in all)` : '';
    const when = c.scopeErrorAt <= 0 ? 'before the first quantum' : `at quantum ${c.scopeErrorAt} (t = ${sec(c.scopeErrorAt, rate)} s)`;
    out.push({
      kind: 'scope',
      message: `${what} in the worklet scope ${when}${more}: ${c.scopeErrorText}${loaderHint(c.scopeErrorText)} (a browser logs it in the console; an async initialisation that fails so leaves the processor without its engine)`,
    });
  }
  if (c.nonFinite > 0) {
    out.push({
      kind: 'nonfinite',
      message: `the output has NaN or infinite samples in ${c.nonFinite} of ${c.calls} quanta, first at quantum ${c.nonFiniteAt} (t = ${sec(c.nonFiniteAt, rate)} s); they were scored as 0`,
    });
  }
  return out;
}

function failureProblem(outcome: Exclude<RenderOutcome, { type: 'rendered' }>, c: RigCounters, rate: number, timeoutSec: number) {
  switch (outcome.type) {
    case 'failed':
      return { kind: outcome.reply.code as ProblemKind, message: outcome.reply.message };
    case 'crashed':
      return { kind: 'crash' as const, message: `the render worker crashed: ${outcome.message}` };
    case 'timeout': {
      const where = c.busy
        ? `process() has been running since quantum ${c.current} (t = ${sec(c.current, rate)} s) without returning`
        : `process() was called ${c.calls} times`;
      const allowance = outcome.allowanceMs / 1000;
      const scaled = allowance > timeoutSec && outcome.msPerQuantum !== null;
      const why = scaled
        ? `${+allowance.toFixed(1)} s (${STALL_FACTOR} × its measured ${outcome.msPerQuantum!.toFixed(2)} ms per quantum, more than --timeout ${timeoutSec} s)`
        : `${+allowance.toFixed(3)} s (--timeout)`;
      return { kind: 'timeout' as const, message: `the render made no progress for ${why}: ${where}` };
    }
  }
}

/** Where the output is silent (below SILENCE_DB re the noisy input's RMS) from some sample to the end. */
export interface Silence {
  /** First sample of the silent ending (0: the whole output is silent). */
  from: number;
  /** Every sample exactly 0. */
  allZero: boolean;
}

/**
 * Silence that makes a processor broken: the whole output, or a silent ending at least
 * SILENT_TAIL_SEC long during which the clean speech is present (SILENT_TAIL_SPEECH_SHARE). null when
 * the output is not silent in that sense, or when the input itself is silent (nothing to judge).
 */
export function brokenSilence(deg: Float64Array, noisy: Float64Array, clean: Float64Array, rate: number): Silence | null {
  const n = Math.min(deg.length, noisy.length, clean.length);
  if (n === 0) return null;
  let e = 0;
  for (let i = 0; i < n; i++) e += noisy[i] * noisy[i];
  if (e === 0) return null;
  const threshold = Math.sqrt(e / n) * 10 ** (SILENCE_DB / 20);
  let last = -1;
  for (let i = n - 1; i >= 0; i--) {
    if (Math.abs(deg[i]) > threshold) {
      last = i;
      break;
    }
  }
  const from = last + 1;
  let allZero = true;
  for (let i = from; i < n && allZero; i++) if (deg[i] !== 0) allZero = false;
  if (from === 0) return { from, allZero };
  const tail = n - from;
  if (tail < SILENT_TAIL_SEC * rate) return null;
  let cleanAll = 0;
  let cleanTail = 0;
  for (let i = 0; i < n; i++) {
    const v = clean[i] * clean[i];
    cleanAll += v;
    if (i >= from) cleanTail += v;
  }
  return cleanTail >= SILENT_TAIL_SPEECH_SHARE * (tail / n) * cleanAll && cleanTail > 0 ? { from, allZero } : null;
}

export function silenceMessage(s: Silence, n: number, rate: number): string {
  const level = s.allZero ? 'every sample is 0' : `every sample is below ${SILENCE_DB} dB of the input's RMS`;
  if (s.from === 0) return `the output is silent: ${level} (is the processor initialised, its wasm loaded, its options right?)`;
  return `the output went silent at t = ${(s.from / rate).toFixed(3)} s (sample ${s.from}) and stayed silent to the end (${((n - s.from) / rate).toFixed(3)} s) while the input had speech: ${level} from there on`;
}

/** True when the output equals the input sample for sample. */
export function passedThrough(deg: Float64Array, noisy: Float64Array): boolean {
  if (deg.length !== noisy.length || deg.length === 0) return false;
  for (let i = 0; i < deg.length; i++) if (deg[i] !== noisy[i]) return false;
  return true;
}

/** Delays agree when they are within DELAY_TOLERANCE_SAMPLES of one another. */
export function delaysAgree(delays: number[]): boolean {
  if (delays.length === 0) return true;
  return Math.max(...delays) - Math.min(...delays) <= DELAY_TOLERANCE_SAMPLES;
}

function delayOf(ref: Float64Array, deg: Float64Array, rate: number): number | null {
  const est = estimateDelay(ref, deg, Math.round(MAX_DELAY_SEC * rate));
  return est && est.peakToRms >= MIN_DELAY_PEAK_TO_RMS ? est.delaySamples : null;
}

/** processed − noisy for every scored key where both are numbers. */
function metricDelta(noisy: MetricJson, processed: MetricJson): Record<string, number | null> {
  const d: Record<string, number | null> = {};
  for (const { key } of scoredKeys()) {
    const a = noisy[key];
    const b = processed[key];
    d[key] = typeof a === 'number' && typeof b === 'number' ? b - a : null;
  }
  return d;
}

/** Render and score every condition of a scenario. Stops early after a fatal problem. */
export async function runConditions(
  renderer: Renderer,
  setup: RigSetup,
  scenario: Scenario,
  onCondition?: (done: number, total: number, label: string) => void,
): Promise<{ conditions: ConditionResult[]; name: string | null }> {
  const rate = scenario.sampleRate;
  const quantumMs = (1000 * RENDER_QUANTUM) / rate;
  const n = scenario.clean.length;
  const timeoutSec = setup.timeoutSec ?? DEFAULT_STALL_TIMEOUT_SEC;
  const clean32 = Float32Array.from(scenario.clean);
  const results: ConditionResult[] = [];
  let name: string | null = setup.name ?? null;
  for (const [i, spec] of scenario.conditions.entries()) {
    onCondition?.(i, scenario.conditions.length, spec.label);
    const rigBuffer = createRigBuffer(Math.ceil(n / RENDER_QUANTUM));
    const outcome = await renderer.render(
      {
        sampleRate: rate,
        clean: clean32,
        noisy: Float32Array.from(spec.noisy),
        processorPath: setup.processorPath,
        name: setup.name,
        options: setup.options,
        optionFiles: setup.optionFiles ?? [],
        setupPath: setup.setupPath,
        rigBuffer,
      },
      timeoutSec * 1000,
    );
    const counters = readRigBuffer(rigBuffer);
    const result: ConditionResult = {
      snr: spec.snr,
      label: spec.label,
      noisy: null,
      processed: null,
      delta: null,
      delaySamples: null,
      delayMs: null,
      delayHalves: [null, null],
      delayConstant: null,
      quantum: counters.durations.length ? quantumStats(counters.durations, quantumMs, setup.quantumBudget) : null,
      problems: counterProblems(counters, rate),
      warnings: [],
      notes: [],
      renderMs: null,
      durations: counters.durations,
    };
    results.push(result);
    if (counters.timer === 'Date.now') result.notes.push('performance.now() is missing in the worklet scope: per-quantum times use Date.now() (1 ms resolution)');
    if (outcome.type !== 'rendered') {
      result.problems.push(failureProblem(outcome, counters, rate, timeoutSec));
      if (result.problems.some((p) => FATAL.includes(p.kind))) break;
      continue;
    }
    const r = outcome.reply;
    name = r.name;
    result.renderMs = r.renderMs;
    if (r.capture.droppedFrames > 0) {
      result.problems.push({ kind: 'capture', message: `the capture dropped ${r.capture.droppedFrames} frames (the rig's reader stalled); scores cover what arrived` });
    }
    const noisyReport = analyze({ sampleRate: rate, refs: [r.ref], degs: [r.noisy], noisy: r.noisy }, { align: 'auto' });
    const processedReport = analyze({ sampleRate: rate, refs: [r.ref], degs: [r.deg], noisy: r.noisy }, { align: 'auto' });
    const silence = brokenSilence(r.deg, r.noisy, r.ref, rate);
    if (silence) result.problems.push({ kind: 'silent', message: silenceMessage(silence, n, rate) });
    if (passedThrough(r.deg, r.noisy)) result.warnings.push(PASSTHROUGH_WARNING);
    result.noisy = toSummary(noisyReport);
    result.processed = toSummary(processedReport);
    result.delta = metricDelta(result.noisy, result.processed);
    result.notes.push(...processedReport.notes.filter((note) => !/lags ref|leads ref/.test(note)));

    const whole = delayOf(r.ref, r.deg, rate);
    const half = Math.floor(n / 2);
    const halves: [number | null, number | null] = [
      delayOf(r.ref.subarray(0, half), r.deg.subarray(0, half), rate),
      delayOf(r.ref.subarray(half), r.deg.subarray(half), rate),
    ];
    result.delaySamples = whole;
    result.delayMs = whole === null ? null : (1000 * whole) / rate;
    result.delayHalves = halves;
    const seen = [whole, ...halves].filter((d): d is number => d !== null);
    if (!delaysAgree(seen)) result.delayConstant = false;
    else if (halves[0] !== null && halves[1] !== null) result.delayConstant = true;
    if (whole === null) result.notes.push('no clear delay: the processed output does not correlate with the clean speech well enough to align it');
    if (setup.timeline) result.timeline = computeTimeline(r.ref, r.deg, r.noisy, rate);
  }
  return { conditions: results, name };
}

/** The most frequent value (ties: the first seen). */
function mode(values: number[]): number | null {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | null = null;
  let bestCount = 0;
  for (const [v, c] of counts) if (c > bestCount) [best, bestCount] = [v, c];
  return best;
}

export function allowedOverruns(a: OverrunAllowance, quanta: number): number {
  if (a.count !== undefined) return a.count;
  const byShare = a.share !== undefined ? Math.floor(a.share * quanta) : 0;
  return Math.max(byShare, a.min ?? 0);
}

/** Merge the problems of several conditions, one line per distinct message. */
export function mergeProblems(conditions: { label: string; problems: { kind: ProblemKind; message: string }[] }[]): Problem[] {
  const out: Problem[] = [];
  for (const c of conditions) {
    for (const p of c.problems) {
      // Loading and naming problems concern the module, not a condition.
      const label = MODULE_PROBLEMS.includes(p.kind) ? [] : [c.label];
      const same = out.find((q) => q.kind === p.kind && q.message === p.message);
      if (same) same.conditions.push(...label);
      else out.push({ kind: p.kind, message: p.message, conditions: label });
    }
  }
  return out;
}

/** Distinct warnings over the conditions, in order of appearance. */
export function mergeWarnings(conditions: { warnings: string[] }[]): string[] {
  return [...new Set(conditions.flatMap((c) => c.warnings))];
}

/** Values the global gates read. */
export interface GlobalFigures {
  delaySamples: number | null;
  delayMs: number | null;
  quantum: QuantumStats;
}

export function globalValue(key: string, g: GlobalFigures): number | null {
  switch (key) {
    case 'delay_ms':
      return g.delayMs;
    case 'delay_samples':
      return g.delaySamples;
    case 'quantum_p50':
      return g.quantum.p50;
    case 'quantum_p99':
      return g.quantum.p99;
    case 'quantum_max':
      return g.quantum.max;
    case 'overruns':
      return g.quantum.overruns;
    default:
      return null;
  }
}

/** Value a metric gate reads from a condition-like record of metric objects. */
export function metricGateValue(key: string, processed: MetricJson | null, delta: Record<string, number | null> | null): { value: number | null; reason?: string } {
  const isDelta = key.endsWith('_delta');
  const metric = isDelta ? key.slice(0, -'_delta'.length) : key;
  if (isDelta) {
    const v = delta?.[metric] ?? null;
    return v === null ? { value: null, reason: `${metric} is undefined for the noisy input or the processed output` } : { value: v };
  }
  const v = processed?.[metric];
  if (typeof v === 'number') return { value: v };
  const reasons = (processed?.reasons ?? {}) as Record<string, string>;
  return { value: null, reason: reasons[metric] ?? 'not computed' };
}

/** Evaluate the gates: metric gates per condition, global gates once, and the overrun allowance. */
export function runChecks(
  setup: Pick<RigSetup, 'thresholds' | 'maxOverruns' | 'quantumBudget'>,
  rows: { label: string; processed: MetricJson | null; delta: Record<string, number | null> | null }[],
  g: GlobalFigures,
): CheckResult[] {
  const checks: CheckResult[] = [];
  for (const t of setup.thresholds) {
    if (isGlobalKey(t.key)) {
      checks.push(evaluate(t, globalValue(t.key, g), undefined, t.key.startsWith('delay') ? 'no clear delay' : 'no quanta were timed'));
      continue;
    }
    for (const row of rows) {
      const { value, reason } = metricGateValue(t.key, row.processed, row.delta);
      checks.push(evaluate(t, value, row.label, reason));
    }
  }
  if (g.quantum.quanta > 0) {
    const allowed = allowedOverruns(setup.maxOverruns, g.quantum.quanta);
    checks.push({ key: 'overruns', op: '<=', limit: allowed, value: g.quantum.overruns, pass: g.quantum.overruns <= allowed });
  }
  return checks;
}

export function verdictOf(problems: Problem[], checks: CheckResult[]): { verdict: RigResult['verdict']; exitCode: number } {
  if (problems.some((p) => BROKEN.includes(p.kind))) return { verdict: 'broken', exitCode: EXIT_BROKEN };
  if (checks.some((c) => !c.pass)) return { verdict: 'fail', exitCode: EXIT_FAILED_GATES };
  return { verdict: 'pass', exitCode: EXIT_PASS };
}

/** Summarise the conditions of one run: overall delay, budget, gates, verdict. */
export function summarize(setup: RigSetup, sampleRate: number, name: string | null, conditions: ConditionResult[]): RigResult {
  const quantumMs = (1000 * RENDER_QUANTUM) / sampleRate;
  const { delaySamples, delayConstant } = overallDelay(conditions);
  const quantum = quantumStats(concatFloat64(conditions.map((c) => c.durations)), quantumMs, setup.quantumBudget);
  const delayMs = delaySamples === null ? null : (1000 * delaySamples) / sampleRate;
  const problems = mergeProblems(conditions);
  const checks = runChecks(setup, conditions, { delaySamples, delayMs, quantum });
  return {
    warnings: mergeWarnings(conditions),
    processor: setup.processor,
    name,
    options: setup.options,
    sampleRate,
    quantumMs,
    quantumBudget: setup.quantumBudget,
    delaySamples,
    delayMs,
    delayConstant,
    quantum,
    conditions,
    problems,
    checks,
    ...verdictOf(problems, checks),
  };
}

/** Delay over all conditions: the most frequent one; constant when every condition is constant and all agree. */
export function overallDelay(conditions: { delaySamples: number | null; delayConstant: boolean | null }[]): {
  delaySamples: number | null;
  delayConstant: boolean | null;
} {
  const found = conditions.map((c) => c.delaySamples).filter((d): d is number => d !== null);
  const delaySamples = mode(found);
  let delayConstant: boolean | null = null;
  if (found.length > 0) {
    if (!delaysAgree(found) || conditions.some((c) => c.delayConstant === false)) delayConstant = false;
    else if (conditions.every((c) => c.delayConstant === true)) delayConstant = true;
  }
  return { delaySamples, delayConstant };
}

/** The `--json` object of one run. */
export function rigJson(r: RigResult): Record<string, unknown> {
  return {
    processor: r.processor,
    name: r.name,
    options: r.options,
    sampleRate: r.sampleRate,
    quantumMs: r.quantumMs,
    quantumBudget: r.quantumBudget,
    delaySamples: r.delaySamples,
    delayMs: r.delayMs,
    delayConstant: r.delayConstant,
    quantum: r.quantum,
    conditions: r.conditions.map(conditionJson),
    problems: r.problems,
    warnings: r.warnings,
    checks: r.checks,
    verdict: r.verdict,
    exitCode: r.exitCode,
  };
}

export function conditionJson(c: ConditionResult): Record<string, unknown> {
  return {
    snr: c.snr,
    label: c.label,
    noisy: c.noisy,
    processed: c.processed,
    delta: c.delta,
    delaySamples: c.delaySamples,
    delayMs: c.delayMs,
    delayHalves: c.delayHalves,
    delayConstant: c.delayConstant,
    quantum: c.quantum,
    problems: c.problems,
    warnings: c.warnings,
    notes: c.notes,
  };
}

