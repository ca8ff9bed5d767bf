/**
 * Offline analysis: whole signals in, every reference-based metric out. It aligns deg to ref
 * (optionally), then feeds both through the same streaming accumulators the live engine uses.
 */
import { estimateDelay } from '../dsp/gcc-phat.js';
import { earshotError } from '../errors.js';
import { SaSdrAccumulator } from '../metrics/sa-sdr.js';
import { METRIC_KEYS, type MetricKey } from './metric-info.js';
import { MetricSet, PAIR_METRIC_KEYS, type PairMetrics } from './metric-set.js';

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
}

export type ReportValue = number | null | (number | null)[];

export interface AnalysisReport {
  values: Record<MetricKey, ReportValue>;
  reasons: Partial<Record<MetricKey, string>>;
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
    reasons.sasdr = 'needs several speakers (--ref R0 --ref R1 --deg D0 --deg D1)';
  }

  const perPair: PairMetrics[] = alignedRefs.map((ref, k) => {
    const deg = alignedDegs[permutation ? permutation[k] : k];
    const set = new MetricSet({ sampleRate, withNoisy: alignedNoisy !== undefined });
    for (let pos = 0; pos < length; pos += BLOCK) {
      const end = Math.min(length, pos + BLOCK);
      set.update({ ref: ref.subarray(pos, end), deg: deg.subarray(pos, end), noisy: alignedNoisy?.subarray(pos, end) });
    }
    return set.compute();
  });

  for (const key of PAIR_METRIC_KEYS) {
    const results = perPair.map((p) => p[key]);
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
  for (const key of METRIC_KEYS) if (!(key in values)) values[key] = null;

  return {
    values,
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

function sumSignals(signals: Float64Array[], length: number): Float64Array {
  const out = new Float64Array(length);
  for (const s of signals) for (let i = 0; i < length; i++) out[i] += s[i];
  return out;
}
