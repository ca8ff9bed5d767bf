/**
 * Offline analysis: signals in, every selected metric out, in constant memory whatever the length.
 * The signals are streams (sources.ts: arrays, WAV file channels) read in passes:
 * 1. statistics: silence checks, and (--align auto|integer) deg's delay track against ref (align.ts:
 *    full-range coarse search, sub-sample frame delays, drift and steps; docs/alignment.md);
 * 2. (several speakers) SA-SDR over the aligned signals, which decides the estimate of each reference;
 * 3. scoring: the aligned blocks enter one feature front end per pair, feeding the selected families
 *    (the same accumulators the live engine uses), and the reference-free measures of deg;
 * 4. where a family needs the whole signal before it can score (STOI's loudest clean frame past its
 *    replay store), the aligned signals once more.
 */
import { estimateAlignment, mixSource } from './align.js';
import { DelaySearch } from '../dsp/gcc-phat.js';
import { earshotError } from '../errors.js';
import { FrontEnd } from '../features/front-end.js';
import { attachFamilies, derivedMetrics, type OfflineFamily, type PairResults } from '../metrics/families.js';
import type { PesqMode } from '../metrics/pesq/index.js';
import { selectMetrics, type MetricFamily, type MetricSelection } from '../metrics/registry.js';
import type { ReferenceFreeMetrics } from '../metrics/reference-free/types.js';
import { SaSdrAccumulator } from '../metrics/sa-sdr.js';
import { ReferenceFreeSet } from '../metrics/reference-free/index.js';
import {
  METRIC_KEYS,
  REFERENCE_FREE_LIST_KEYS,
  REFERENCE_FREE_VALUE_KEYS,
  SASDR_ONE_SPEAKER_REASON,
  type MetricKey,
  type ReferenceFreeValueKey,
} from './metric-info.js';
import { LockstepReader, arraySource, type SignalSource } from '../io/sources.js';
import { trackedSource, type DelayTrackPlan } from '../io/track-source.js';
import { SilenceCheck } from './silence.js';

/** Longest delay the reference-free analysis (deg against noisy) searches for, either way. */
export const MAX_DELAY_SEC = 1;
/**
 * Minimum peak-to-RMS ratio of the GCC-PHAT correlation for a delay to be trusted. Over ±1 s of lags
 * (~32 000 at 16 kHz) the largest peak of pure noise is about 4.5 RMS; real delays score 25–300 here.
 */
export const MIN_DELAY_PEAK_TO_RMS = 10;
/** Samples per block fed to the accumulators (any size gives the same numbers). */
const BLOCK = 4096;

/**
 * auto: full-range delay, sub-sample, drift and delay steps (align.ts, docs/alignment.md); integer:
 * the same search, one whole-sample delay applied by offsetting the streams; off: as the files are.
 */
export type AlignMode = 'auto' | 'integer' | 'off';

export interface AnalyzeInput {
  sampleRate: number;
  /** One reference per speaker (usually one). */
  refs: Float64Array[];
  /** One estimate per speaker, same count as refs. */
  degs: Float64Array[];
  /** The noisy input the device under test saw, time-aligned with ref. */
  noisy?: Float64Array;
}

export interface AnalyzeOptions {
  align?: AlignMode;
  /** Largest |delay| searched (s); default: every lag that leaves 1 s of overlap. */
  maxDelaySec?: number;
  /** PESQ-like mode: wideband at 16 kHz and above, narrowband at 8 kHz by default. */
  pesqMode?: PesqMode;
  /**
   * Metric keys to compute (`--metrics`): a comma-separated string or a list; default every metric.
   * Only the front-end stages the requested metrics need run; other keys are null with a reason.
   */
  metrics?: string | readonly string[];
}

/** Reason of a key left out by `--metrics`. */
export const NOT_REQUESTED_REASON = 'not requested (--metrics)';

export type ReportValue = number | null | (number | null)[];

export interface AnalysisReport {
  values: Record<MetricKey, ReportValue>;
  /** Reference-free measures of deg (docs/reference-free.md), per deg when there are several. */
  referenceFree: Record<ReferenceFreeValueKey, ReportValue> & Record<'dropoutTimes' | 'repeatedFrameTimes', number[] | number[][]>;
  /** Reasons of null values; `delay`: why no delay was applied (--align auto|integer). */
  reasons: Partial<Record<MetricKey | ReferenceFreeValueKey | 'delay', string>>;
  uncertainties: Partial<Record<MetricKey, number | null | (number | null)[]>>;
  sampleRate: number;
  durationSec: number;
  /**
   * Delay of deg against ref that was compensated (ms, fractional; positive: deg lags) at the start
   * of the scored span; null with --align off or when no delay could be trusted (reasons.delay).
   */
  delayMs: number | null;
  delayConfidence: number | null;
  /** Clock drift of deg against ref that was compensated (ppm: µs of delay gained per s), null when not aligned. */
  driftPpm: number | null;
  /** Start (s of deg) and delay (ms) of each constant-delay segment; null when not aligned. */
  delayTrack: { t: number; delayMs: number }[] | null;
  /** permutation[k] = index of the estimate scored against reference k (several speakers only). */
  permutation?: number[];
  /** Things the user should know: resampling, length trimming, alignment decisions. */
  notes: string[];
}

export interface SourceInput {
  sampleRate: number;
  refs: SignalSource[];
  degs: SignalSource[];
  noisy?: SignalSource;
  /** Names for messages (file paths), in the order refs, degs, noisy. */
  names?: { refs: string[]; degs: string[]; noisy?: string };
  /** Check the streams for digital silence as they are read (files): a silent ref is an error, a silent deg a warning. */
  silenceChecks?: boolean;
}

/** Score whole signals held in memory (the in-memory form of `analyzeSources`). */
export function analyze(input: AnalyzeInput, options: AnalyzeOptions = {}): AnalysisReport {
  return analyzeSources(
    { sampleRate: input.sampleRate, refs: input.refs.map(arraySource), degs: input.degs.map(arraySource), noisy: input.noisy && arraySource(input.noisy) },
    options,
  ).report;
}

/** The report, plus warnings for the user (a silent deg). */
export interface SourceAnalysis {
  report: AnalysisReport;
  warnings: string[];
}

/** Score streams (arrays or file channels), reading them in passes (see the module comment). */
export function analyzeSources(input: SourceInput, options: AnalyzeOptions = {}): SourceAnalysis {
  const selection = selectMetrics(options.metrics);
  const plan = planAnalysis(input, options, selection);
  if ('report' in plan) return plan;
  return finishAnalysis(plan, scoreAligned(input, plan, selection.families, options), selection);
}

/** What passes 1 and 2 decided: the alignment, the pairing and what the user should know. */
export interface AnalysisPlan {
  sampleRate: number;
  /** Speakers (ref/deg pairs). */
  pairs: number;
  refStart: number;
  degStart: number;
  /** Aligned samples scored. */
  length: number;
  /** The input has a noisy stream that is scored (one speaker only). */
  withNoisy: boolean;
  delayMs: number | null;
  delayConfidence: number | null;
  driftPpm: number | null;
  delayTrack: { t: number; delayMs: number }[] | null;
  /** Why no delay was applied (--align auto|integer). */
  delayReason?: string;
  /** The delay track applied to ref (and noisy); absent: whole-sample offsets refStart/degStart. */
  track?: DelayTrackPlan;
  permutation?: number[];
  sasdr: { value: number | null; reason?: string } | null;
  notes: string[];
  warnings: string[];
}

/** Raw per-pair family values (before the derived keys) and the reference-free values of each deg. */
export interface ScoredFamilies {
  pairs: PairResults[];
  referenceFree: ReferenceFreeMetrics[] | null;
}

/**
 * Passes 1 and 2: lengths, delay search and silence checks, then (several speakers) SA-SDR and the
 * pairing. Returns the whole analysis when there is no reference (reference-free measures only).
 */
export function planAnalysis(input: SourceInput, options: AnalyzeOptions, selection: MetricSelection): AnalysisPlan | SourceAnalysis {
  const { sampleRate, refs, degs, noisy } = input;
  const align = options.align ?? 'auto';
  const notes: string[] = [];
  const warnings: string[] = [];
  if (refs.length === 0 && degs.length === 1) return analyzeWithoutReference(input, options, selection);
  if (refs.length === 0 || refs.length !== degs.length) {
    throw earshotError('ERR_USAGE', `expected as many estimates as references, got ${refs.length} ref(s) and ${degs.length} deg(s)`);
  }
  const multi = refs.length > 1;
  if (multi && noisy) notes.push('wSDR is defined for one speaker; the noisy input is ignored with several speakers');
  const useNoisy = noisy && !multi ? noisy : undefined;

  // Common length of all inputs.
  const lengths = [...refs, ...degs, ...(noisy ? [noisy] : [])].map((x) => x.length);
  const length = Math.min(...lengths);
  if (Math.max(...lengths) !== length) {
    notes.push(`inputs differ in length (${[...new Set(lengths)].join(', ')} samples): scoring the common ${length} samples`);
  }

  // Pass 1: silence checks (files). deg[n] ≈ ref[n − D]: pair ref[n] with deg[n + D] (and noisy with
  // ref); with --align auto|integer, align.ts finds D (or a whole track) in passes of its own.
  if (input.silenceChecks) {
    const streams = [...refs, ...degs];
    const silence = new SilenceCheck(input);
    const reader = new LockstepReader(streams, streams.map(() => 0), length, BLOCK * 4);
    for (let b = reader.next(); b.n > 0; b = reader.next()) silence.update(b.views);
    warnings.push(...silence.finish());
  }
  if (length <= 0) throw earshotError('ERR_INVALID_ARGUMENT', 'nothing left to score after delay compensation');
  // As the files are (--align off, or no delay trusted), unless alignPlan finds one.
  const plan: AnalysisPlan = {
    sampleRate,
    pairs: refs.length,
    refStart: 0,
    degStart: 0,
    length,
    withNoisy: useNoisy !== undefined,
    delayMs: null,
    delayConfidence: null,
    driftPpm: null,
    delayTrack: null,
    sasdr: null,
    notes,
    warnings,
  };
  if (align !== 'off') alignPlan(plan, input, align, options.maxDelaySec);
  // Pass 2 (several speakers): SA-SDR decides which estimate goes with which reference.
  if (multi) {
    const K = refs.length;
    const aligned = alignedReader(input, plan);
    const sa = new SaSdrAccumulator(K);
    for (let b = aligned.next(); b.n > 0; b = aligned.next()) sa.update({ refs: b.views.slice(0, K), degs: b.views.slice(K, 2 * K) });
    const r = sa.compute();
    plan.permutation = r.permutation;
    plan.sasdr = { value: r.value, reason: r.reason };
  }
  return plan;
}

/**
 * `--align auto|integer`: the delay track of deg against ref (align.ts) into the plan, or the reason
 * there is none (then the files are scored as they are, and a warning says so).
 */
function alignPlan(plan: AnalysisPlan, input: SourceInput, mode: 'auto' | 'integer', maxDelaySec: number | undefined): void {
  const { sampleRate: fs, refs, degs, noisy } = input;
  const refSide = [...refs, ...(plan.withNoisy && noisy ? [noisy] : [])];
  const est = estimateAlignment({
    sampleRate: fs,
    ref: mixSource(refs),
    deg: mixSource(degs),
    refLength: Math.min(...refSide.map((s) => s.length)),
    degLength: Math.min(...degs.map((s) => s.length)),
    maxDelaySec,
    mode,
  });
  plan.delayConfidence = est.confidence;
  if (!est.ok || !est.track) {
    plan.delayReason = est.reason ?? 'no delay estimate';
    plan.notes.push(`delay not compensated: ${plan.delayReason}; scored without alignment`);
    if (!/^deg is silent/.test(plan.delayReason)) plan.warnings.push(`delay not compensated (${plan.delayReason}): the scores compare unaligned signals`);
    return;
  }
  const { track } = est;
  const ms = (samples: number) => (1000 * samples) / fs;
  // The span scored is where the aligned streams overlap, not the common length.
  const common = plan.notes.findIndex((n) => n.startsWith('inputs differ in length'));
  if (common >= 0) plan.notes.splice(common, 1);
  const [first] = track.segments;
  if (track.segments.length === 1 && first.slope === 0 && Number.isInteger(first.intercept)) {
    // One whole-sample delay: the streams offset, as --align integer always did.
    plan.refStart = Math.max(0, -first.intercept);
    plan.degStart = track.degStart;
  } else {
    plan.track = track;
    plan.refStart = 0;
    plan.degStart = track.degStart;
  }
  plan.length = track.length;
  plan.delayMs = ms(est.delaySamples!);
  plan.driftPpm = est.driftPpm!;
  plan.delayTrack = est.delayTrack!;
  const d = est.delaySamples!;
  if (d !== 0) plan.notes.push(`deg ${d > 0 ? 'lags' : 'leads'} ref by ${Math.abs(d).toFixed(mode === 'integer' ? 0 : 3)} samples (${Math.abs(ms(d)).toFixed(3)} ms): compensated`);
  if (est.driftPpm) plan.notes.push(`clock drift of deg against ref: ${est.driftPpm.toFixed(2)} ppm, compensated`);
  if (est.delayTrack!.length > 1) {
    const steps = est.delayTrack!.slice(1).map((s) => `${s.t.toFixed(2)} s (to ${s.delayMs.toFixed(2)} ms)`);
    plan.notes.push(`delay changes at ${steps.join(', ')}: each segment aligned on its own`);
    plan.notes.push(`cisdr: its 512-tap filter is fitted over the whole signal, across the delay step${steps.length > 1 ? 's' : ''}`);
  }
  if (est.inverted) plan.notes.push('deg has inverted polarity relative to ref');
}

/** The aligned streams in lockstep: refs, degs, then noisy if scored. */
function alignedReader(input: SourceInput, plan: AnalysisPlan): LockstepReader {
  const { refs, degs, noisy } = input;
  const n = plan.withNoisy && noisy ? [noisy] : [];
  const track = plan.track;
  if (track) {
    return new LockstepReader(
      [...refs.map((r) => trackedSource(r, track)), ...degs, ...n.map((x) => trackedSource(x, track))],
      [...refs.map(() => 0), ...degs.map(() => track.degStart), ...n.map(() => 0)],
      plan.length,
      BLOCK,
    );
  }
  return new LockstepReader(
    [...refs, ...degs, ...n],
    [...refs.map(() => plan.refStart), ...degs.map(() => plan.degStart), ...n.map(() => plan.refStart)],
    plan.length,
    BLOCK,
  );
}

/**
 * Passes 3 and 4 for the given families (all of a selection, or a share of them when the work is
 * spread over threads): one front end per pair fed the aligned blocks, the reference-free measures of
 * each deg when 'reference-free' is among them, and further passes while a family needs them.
 */
export function scoreAligned(input: SourceInput, plan: AnalysisPlan, families: ReadonlySet<MetricFamily>, options: AnalyzeOptions): ScoredFamilies {
  const { sampleRate } = plan;
  const K = plan.pairs;
  const aligned = alignedReader(input, plan);
  const est = (k: number) => K + (plan.permutation ? plan.permutation[k] : k);
  const selection = { families } as MetricSelection;
  const pairs = Array.from({ length: K }, () => {
    const fe = new FrontEnd(sampleRate);
    return { fe, families: attachFamilies(fe, selection, { sampleRate, withNoisy: plan.withNoisy, pesqMode: options.pesqMode, expectedLength: plan.length }) };
  });
  const rf = families.has('reference-free') ? Array.from({ length: K }, () => new ReferenceFreeSet({ sampleRate, withNoisy: plan.withNoisy })) : null;
  for (let b = aligned.next(); b.n > 0; b = aligned.next()) {
    const noisyView = plan.withNoisy ? b.views[2 * K] : undefined;
    pairs.forEach((p, k) => p.fe.push({ ref: b.views[k], deg: b.views[est(k)], noisy: noisyView }));
    rf?.forEach((set, j) => set.update({ deg: b.views[K + j], noisy: noisyView }));
  }
  for (const p of pairs) p.fe.end();
  // Pass 4, as long as some family needs the signals again.
  for (;;) {
    const again = pairs.map((p, k) => ({ k, fe: new FrontEnd(sampleRate), families: p.families }));
    const needed = again.filter((a) => a.families.filter((f) => f.nextPass?.(a.fe)).length > 0);
    if (needed.length === 0) break;
    aligned.restart();
    for (let b = aligned.next(); b.n > 0; b = aligned.next()) {
      for (const a of needed) a.fe.push({ ref: b.views[a.k], deg: b.views[est(a.k)], noisy: plan.withNoisy ? b.views[2 * K] : undefined });
    }
    for (const a of needed) a.fe.end();
  }
  return { pairs: pairs.map((p) => familyResults(p.families)), referenceFree: rf?.map((set) => set.compute()) ?? null };
}

/** The report from the plan and the families' values (merged when they were spread over threads). */
export function finishAnalysis(plan: AnalysisPlan, scored: ScoredFamilies, selection: MetricSelection): SourceAnalysis {
  const { notes } = plan;
  const multi = plan.pairs > 1;
  const values = {} as Record<MetricKey, ReportValue>;
  const reasons: AnalysisReport['reasons'] = {};
  if (plan.delayReason) reasons.delay = plan.delayReason;
  const uncertainties: AnalysisReport['uncertainties'] = {};
  if (plan.sasdr) {
    values.sasdr = plan.sasdr.value;
    if (plan.sasdr.reason) reasons.sasdr = plan.sasdr.reason;
  } else {
    values.sasdr = null;
    reasons.sasdr = SASDR_ONE_SPEAKER_REASON;
  }
  const perPair = scored.pairs.map((r) => ({ ...r, ...derivedMetrics(r, selection, plan.sampleRate) }));

  for (const key of METRIC_KEYS) {
    if (key === 'sasdr') continue;
    if (!selection.requested.has(key)) {
      values[key] = null;
      reasons[key] = NOT_REQUESTED_REASON;
      continue;
    }
    const results = perPair.map((p) => p[key] ?? { value: null, reason: NOT_REQUESTED_REASON });
    // A reason on a value that exists qualifies it (e.g. a composite clamped at pysepm's bound): it
    // goes into `reasons` like the excuse of a null, so the table and --json both show it.
    if (!multi) {
      values[key] = results[0].value;
      if (results[0].reason) reasons[key] = results[0].reason;
      if (results[0].uncertainty !== undefined) uncertainties[key] = results[0].uncertainty;
    } else {
      values[key] = results.map((r) => r.value);
      const why = results.map((r, k) => (r.reason ? `ref ${k}: ${r.reason}` : '')).filter(Boolean);
      if (key === 'wsdr') reasons[key] = 'wSDR is defined for one speaker';
      else if (why.length) reasons[key] = why.join('; ');
      if (results.some((r) => r.uncertainty !== undefined)) uncertainties[key] = results.map((r) => r.uncertainty ?? null);
    }
  }
  if (!selection.requested.has('sasdr')) {
    values.sasdr = null;
    reasons.sasdr = NOT_REQUESTED_REASON;
  }

  const referenceFree = referenceFreeOf(scored.referenceFree, plan.pairs, reasons, selection);
  const report: AnalysisReport = {
    values,
    referenceFree,
    reasons,
    uncertainties,
    sampleRate: plan.sampleRate,
    durationSec: plan.length / plan.sampleRate,
    delayMs: plan.delayMs,
    delayConfidence: plan.delayConfidence,
    driftPpm: plan.driftPpm,
    delayTrack: plan.delayTrack,
    permutation: plan.permutation,
    notes,
  };
  return { report, warnings: plan.warnings };
}

/**
 * The reference-free measures of each deg (computed by the caller's ReferenceFreeSet, or null when
 * none is selected). Reasons of null values go into `reasons`.
 */
function referenceFreeOf(
  results: ReferenceFreeMetrics[] | null,
  degCount: number,
  reasons: AnalysisReport['reasons'],
  selection: MetricSelection,
): AnalysisReport['referenceFree'] {
  const out = {} as AnalysisReport['referenceFree'];
  const one = degCount === 1;
  for (const key of REFERENCE_FREE_VALUE_KEYS) {
    if (!results || !selection.requested.has(key)) {
      out[key] = one ? null : Array.from({ length: degCount }, () => null);
      reasons[key] = NOT_REQUESTED_REASON;
      continue;
    }
    const vs = results.map((r) => r[key]);
    out[key] = one ? vs[0].value : vs.map((v) => v.value);
    const why = vs.map((v, k) => (v.value === null && v.reason ? (one ? v.reason : `deg ${k}: ${v.reason}`) : '')).filter(Boolean);
    if (why.length) reasons[key] = why.join('; ');
  }
  for (const key of REFERENCE_FREE_LIST_KEYS) out[key] = results ? (one ? results[0][key] : results.map((r) => r[key])) : one ? [] : Array.from({ length: degCount }, () => []);
  return out;
}

/** `earshot analyze --deg X [--noisy N]`: only the reference-free measures; every other key is null. */
function analyzeWithoutReference(input: SourceInput, options: AnalyzeOptions, selection: MetricSelection): SourceAnalysis {
  const { sampleRate, noisy } = input;
  const deg = input.degs[0];
  const notes: string[] = [];
  let length = deg.length;
  if (noisy && noisy.length !== deg.length) {
    length = Math.min(noisy.length, deg.length);
    notes.push(`inputs differ in length (${noisy.length}, ${deg.length} samples): scoring the common ${length} samples`);
  }
  let delayMs: number | null = null;
  let d = 0;
  if (noisy && (options.align ?? 'auto') === 'auto') {
    // The DUT's delay matters for comparing its input and output in the same pauses.
    const search = new DelaySearch(length, Math.round((options.maxDelaySec ?? MAX_DELAY_SEC) * sampleRate));
    const reader = new LockstepReader([noisy, deg], [0, 0], length, BLOCK * 4);
    for (let b = reader.next(); b.n > 0; b = reader.next()) search.push(b.views[0], b.views[1]);
    const est = search.estimate();
    d = est && est.peakToRms >= MIN_DELAY_PEAK_TO_RMS ? est.delaySamples : 0;
    delayMs = (1000 * d) / sampleRate;
    if (d !== 0) notes.push(`deg ${d > 0 ? 'lags' : 'leads'} noisy by ${Math.abs(d)} samples: compensated`);
    length -= Math.abs(d);
  }
  const reasons: AnalysisReport['reasons'] = {};
  const values = {} as Record<MetricKey, ReportValue>;
  for (const key of METRIC_KEYS) {
    values[key] = null;
    reasons[key] = 'needs a clean reference (REF); reference-free measures only';
  }
  let sets: ReferenceFreeMetrics[] | null = null;
  if (selection.families.has('reference-free')) {
    const set = new ReferenceFreeSet({ sampleRate, withNoisy: noisy !== undefined });
    const reader = new LockstepReader(noisy ? [deg, noisy] : [deg], noisy ? [Math.max(0, d), Math.max(0, -d)] : [0], Math.max(0, length), BLOCK);
    for (let b = reader.next(); b.n > 0; b = reader.next()) set.update({ deg: b.views[0], noisy: b.views[1] });
    sets = [set.compute()];
  }
  const referenceFree = referenceFreeOf(sets, 1, reasons, selection);
  return {
    report: { values, referenceFree, reasons, uncertainties: {}, sampleRate, durationSec: Math.max(0, length) / sampleRate, delayMs, delayConfidence: null, driftPpm: null, delayTrack: null, notes },
    warnings: [],
  };
}

/** One pair's values from its families' accumulators (the derived keys come later). */
function familyResults(families: OfflineFamily[]): PairResults {
  const r: PairResults = {};
  for (const f of families) Object.assign(r, f.results());
  return r;
}

/**
 * Every selected metric of one aligned pair held in memory (one front end, the selected families
 * attached to it, the signals pushed through in blocks, the passes the families need).
 */
export function scorePair(
  pair: { ref: Float64Array; deg: Float64Array; noisy?: Float64Array },
  sampleRate: number,
  selection: MetricSelection,
  pesqMode?: PesqMode,
): PairResults {
  const { ref, deg, noisy } = pair;
  const length = ref.length;
  const push = (fe: FrontEnd) => {
    for (let pos = 0; pos < length; pos += BLOCK) {
      const end = Math.min(length, pos + BLOCK);
      fe.push({ ref: ref.subarray(pos, end), deg: deg.subarray(pos, end), noisy: noisy?.subarray(pos, end) });
    }
    fe.end();
  };
  const fe = new FrontEnd(sampleRate);
  const families = attachFamilies(fe, selection, { sampleRate, withNoisy: noisy !== undefined, pesqMode, expectedLength: length });
  push(fe);
  for (;;) {
    const next = new FrontEnd(sampleRate);
    if (families.filter((f) => f.nextPass?.(next)).length === 0) break;
    push(next);
  }
  const r = familyResults(families);
  return { ...r, ...derivedMetrics(r, selection, sampleRate) };
}
