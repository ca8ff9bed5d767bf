/**
 * Offline analysis: whole signals in, every reference-based metric out. It aligns deg to ref
 * (optionally), then feeds both through the same streaming accumulators the live engine uses.
 */
import { estimateDelay } from '../dsp/gcc-phat.js';
import { earshotError } from '../errors.js';
import { FrontEnd } from '../features/front-end.js';
import { attachFamilies, derivedMetrics, type MetricResult, type PairResults } from '../metrics/families.js';
import type { PesqMode } from '../metrics/pesq/index.js';
import { selectMetrics, type MetricSelection } from '../metrics/registry.js';
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

/** Longest delay `--align auto` searches for, either way. */
export const MAX_DELAY_SEC = 1;
/**
 * Minimum peak-to-RMS ratio of the GCC-PHAT correlation for a delay to be trusted. Over ±1 s of lags
 * (~32 000 at 16 kHz) the largest peak of pure noise is about 4.5 RMS; real delays score 25–300 here.
 */
export const MIN_DELAY_PEAK_TO_RMS = 10;
/** Samples per block fed to the accumulators (any size gives the same numbers). */
const BLOCK = 4096;

export type AlignMode = 'auto' | 'off';

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
  reasons: Partial<Record<MetricKey | ReferenceFreeValueKey, string>>;
  uncertainties: Partial<Record<MetricKey, number | null | (number | null)[]>>;
  sampleRate: number;
  durationSec: number;
  /** Delay of deg against ref that was compensated (ms, positive: deg lags), null with --align off. */
  delayMs: number | null;
  delayConfidence: number | null;
  /** permutation[k] = index of the estimate scored against reference k (several speakers only). */
  permutation?: number[];
  /** Things the user should know: resampling, length trimming, alignment decisions. */
  notes: string[];
}

export function analyze(input: AnalyzeInput, options: AnalyzeOptions = {}): AnalysisReport {
  const { sampleRate, refs, degs, noisy } = input;
  const align = options.align ?? 'auto';
  const notes: string[] = [];
  if (refs.length === 0 && degs.length === 1) return analyzeWithoutReference(input, options);
  if (refs.length === 0 || refs.length !== degs.length) {
    throw earshotError('ERR_USAGE', `expected as many estimates as references, got ${refs.length} ref(s) and ${degs.length} deg(s)`);
  }
  const multi = refs.length > 1;
  if (multi && noisy) notes.push('wSDR is defined for one speaker; the noisy input is ignored with several speakers');

  // Common length of all inputs.
  const lengths = [...refs, ...degs, ...(noisy ? [noisy] : [])].map((x) => x.length);
  let length = Math.min(...lengths);
  if (Math.max(...lengths) !== length) {
    notes.push(`inputs differ in length (${[...new Set(lengths)].join(', ')} samples): scoring the common ${length} samples`);
  }

  // Alignment: deg[n] ≈ ref[n − D]. Pair ref[n] with deg[n + D] (and noisy with ref).
  let delay = 0;
  let delayConfidence: number | null = null;
  if (align === 'auto') {
    const mixRef = multi ? sumSignals(refs, length) : refs[0].subarray(0, length);
    const mixDeg = multi ? sumSignals(degs, length) : degs[0].subarray(0, length);
    const est = estimateDelay(mixRef, mixDeg, Math.round((options.maxDelaySec ?? MAX_DELAY_SEC) * sampleRate));
    if (!est) notes.push('delay not estimated: ref or deg is silent; scored without alignment');
    else if (est.peakToRms < MIN_DELAY_PEAK_TO_RMS) {
      notes.push(`delay not compensated: no clear correlation peak (peak/RMS ${est.peakToRms.toFixed(1)})`);
      delayConfidence = est.confidence;
    } else {
      delay = est.delaySamples;
      delayConfidence = est.confidence;
      if (delay !== 0) notes.push(`deg ${delay > 0 ? 'lags' : 'leads'} ref by ${Math.abs(delay)} samples (${((1000 * Math.abs(delay)) / sampleRate).toFixed(3)} ms): compensated`);
      if (est.inverted) notes.push('deg has inverted polarity relative to ref');
    }
  }
  const refStart = delay < 0 ? -delay : 0;
  const degStart = delay > 0 ? delay : 0;
  length -= Math.abs(delay);
  if (length <= 0) throw earshotError('ERR_INVALID_ARGUMENT', 'nothing left to score after delay compensation');
  const cut = (x: Float64Array, start: number) => x.subarray(start, start + length);
  const alignedRefs = refs.map((r) => cut(r, refStart));
  const alignedDegs = degs.map((d) => cut(d, degStart));
  const alignedNoisy = noisy && !multi ? cut(noisy, refStart) : undefined;

  const values = {} as Record<MetricKey, ReportValue>;
  const reasons: Partial<Record<MetricKey, string>> = {};
  const uncertainties: AnalysisReport['uncertainties'] = {};
  let permutation: number[] | undefined;

  // SA-SDR (several speakers) decides which estimate goes with which reference.
  if (multi) {
    const sa = new SaSdrAccumulator(refs.length);
    for (let pos = 0; pos < length; pos += BLOCK) {
      const end = Math.min(length, pos + BLOCK);
      sa.update({ refs: alignedRefs.map((r) => r.subarray(pos, end)), degs: alignedDegs.map((d) => d.subarray(pos, end)) });
    }
    const r = sa.compute();
    permutation = r.permutation;
    values.sasdr = r.value;
    if (r.reason) reasons.sasdr = r.reason;
  } else {
    values.sasdr = null;
    reasons.sasdr = SASDR_ONE_SPEAKER_REASON;
  }

  const selection = selectMetrics(options.metrics);
  const perPair: PairResults[] = alignedRefs.map((ref, k) =>
    scorePair({ ref, deg: alignedDegs[permutation ? permutation[k] : k], noisy: alignedNoisy }, sampleRate, selection, options.pesqMode),
  );

  for (const key of METRIC_KEYS) {
    if (key === 'sasdr') continue;
    if (!selection.requested.has(key)) {
      values[key] = null;
      reasons[key] = NOT_REQUESTED_REASON;
      continue;
    }
    const results = perPair.map((p) => p[key] ?? { value: null, reason: NOT_REQUESTED_REASON });
    for (const r of results) {
      // A reason on a value that exists is a note (e.g. "computed at 16 kHz"), not an excuse.
      if (r.value !== null && r.reason) notes.push(`${key}: ${r.reason}`);
    }
    if (!multi) {
      values[key] = results[0].value;
      if (results[0].value === null && results[0].reason) reasons[key] = results[0].reason;
      if (results[0].uncertainty !== undefined) uncertainties[key] = results[0].uncertainty;
    } else {
      values[key] = results.map((r) => r.value);
      const why = results.map((r, k) => (r.value === null && r.reason ? `ref ${k}: ${r.reason}` : '')).filter(Boolean);
      if (key === 'wsdr') reasons[key] = 'wSDR is defined for one speaker';
      else if (why.length) reasons[key] = why.join('; ');
      if (results.some((r) => r.uncertainty !== undefined)) uncertainties[key] = results.map((r) => r.uncertainty ?? null);
    }
  }
  if (!selection.requested.has('sasdr')) {
    values.sasdr = null;
    reasons.sasdr = NOT_REQUESTED_REASON;
  }

  const referenceFree = referenceFreeOf(alignedDegs, alignedNoisy, sampleRate, reasons, selection);
  return {
    values,
    referenceFree,
    reasons,
    uncertainties,
    sampleRate,
    durationSec: length / sampleRate,
    delayMs: align === 'auto' ? (1000 * delay) / sampleRate : null,
    delayConfidence,
    permutation,
    notes,
  };
}

/**
 * Reference-free measures of each deg (with the noisy input where there is one, aligned as scored).
 * Reasons of null values go into `reasons`.
 */
function referenceFreeOf(
  degs: Float64Array[],
  noisy: Float64Array | undefined,
  sampleRate: number,
  reasons: AnalysisReport['reasons'],
  selection: MetricSelection = selectMetrics(),
): AnalysisReport['referenceFree'] {
  const out = {} as AnalysisReport['referenceFree'];
  if (!selection.families.has('reference-free')) {
    for (const key of REFERENCE_FREE_VALUE_KEYS) {
      out[key] = degs.length === 1 ? null : degs.map(() => null);
      reasons[key] = NOT_REQUESTED_REASON;
    }
    for (const key of REFERENCE_FREE_LIST_KEYS) out[key] = degs.length === 1 ? [] : degs.map(() => []);
    return out;
  }
  const results = degs.map((deg) => {
    const set = new ReferenceFreeSet({ sampleRate, withNoisy: noisy !== undefined && degs.length === 1 });
    for (let pos = 0; pos < deg.length; pos += BLOCK) {
      const end = Math.min(deg.length, pos + BLOCK);
      set.update({ deg: deg.subarray(pos, end), noisy: degs.length === 1 ? noisy?.subarray(pos, end) : undefined });
    }
    return set.compute();
  });
  for (const key of REFERENCE_FREE_VALUE_KEYS) {
    if (!selection.requested.has(key)) {
      out[key] = degs.length === 1 ? null : degs.map(() => null);
      reasons[key] = NOT_REQUESTED_REASON;
      continue;
    }
    const vs = results.map((r) => r[key]);
    out[key] = degs.length === 1 ? vs[0].value : vs.map((v) => v.value);
    const why = vs.map((v, k) => (v.value === null && v.reason ? (degs.length === 1 ? v.reason : `deg ${k}: ${v.reason}`) : '')).filter(Boolean);
    if (why.length) reasons[key] = why.join('; ');
  }
  for (const key of REFERENCE_FREE_LIST_KEYS) out[key] = degs.length === 1 ? results[0][key] : results.map((r) => r[key]);
  return out;
}

/** `earshot analyze --deg X [--noisy N]`: only the reference-free measures; every other key is null. */
function analyzeWithoutReference(input: AnalyzeInput, options: AnalyzeOptions): AnalysisReport {
  const { sampleRate, degs, noisy } = input;
  const notes: string[] = [];
  let deg = degs[0];
  let n = noisy;
  if (n && n.length !== deg.length) {
    const length = Math.min(n.length, deg.length);
    notes.push(`inputs differ in length (${n.length}, ${deg.length} samples): scoring the common ${length} samples`);
    deg = deg.subarray(0, length);
    n = n.subarray(0, length);
  }
  let delayMs: number | null = null;
  if (n && (options.align ?? 'auto') === 'auto') {
    // The DUT's delay matters for comparing its input and output in the same pauses.
    const est = estimateDelay(n, deg, Math.round((options.maxDelaySec ?? MAX_DELAY_SEC) * sampleRate));
    const d = est && est.peakToRms >= MIN_DELAY_PEAK_TO_RMS ? est.delaySamples : 0;
    delayMs = (1000 * d) / sampleRate;
    if (d > 0) {
      deg = deg.subarray(d);
      n = n.subarray(0, deg.length);
    } else if (d < 0) {
      n = n.subarray(-d);
      deg = deg.subarray(0, n.length);
    }
    if (d !== 0) notes.push(`deg ${d > 0 ? 'lags' : 'leads'} noisy by ${Math.abs(d)} samples: compensated`);
  }
  const reasons: AnalysisReport['reasons'] = {};
  const values = {} as Record<MetricKey, ReportValue>;
  for (const key of METRIC_KEYS) {
    values[key] = null;
    reasons[key] = 'needs a clean reference (REF); reference-free measures only';
  }
  const referenceFree = referenceFreeOf([deg], n, sampleRate, reasons, selectMetrics(options.metrics));
  return { values, referenceFree, reasons, uncertainties: {}, sampleRate, durationSec: deg.length / sampleRate, delayMs, delayConfidence: null, notes };
}

/**
 * Every selected metric of one aligned pair: one front end, the selected families attached to it, the
 * signals pushed through once in blocks, then the derived keys (composites, quality index).
 */
export function scorePair(
  pair: { ref: Float64Array; deg: Float64Array; noisy?: Float64Array },
  sampleRate: number,
  selection: MetricSelection,
  pesqMode?: PesqMode,
): PairResults {
  const { ref, deg, noisy } = pair;
  const length = ref.length;
  const fe = new FrontEnd(sampleRate);
  const families = attachFamilies(fe, selection, { sampleRate, withNoisy: noisy !== undefined, pesqMode, expectedLength: length });
  for (let pos = 0; pos < length; pos += BLOCK) {
    const end = Math.min(length, pos + BLOCK);
    fe.push({ ref: ref.subarray(pos, end), deg: deg.subarray(pos, end), noisy: noisy?.subarray(pos, end) });
  }
  fe.end();
  const r: PairResults & Record<string, MetricResult | number | null | undefined> = {};
  for (const f of families) Object.assign(r, f.results());
  return { ...r, ...derivedMetrics(r, selection, sampleRate) };
}

function sumSignals(signals: Float64Array[], length: number): Float64Array {
  const out = new Float64Array(length);
  for (const s of signals) for (let i = 0; i < length; i++) out[i] += s[i];
  return out;
}
