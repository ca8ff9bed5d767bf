/**
 * A PESQ-like MOS-LQO estimate: our own perceptual model written from the published descriptions of
 * PESQ (ITU-T P.862 and its mappings P.862.1/P.862.2; Rix et al. 2001; Beerends et al. 2002), never
 * from an implementation's code. It is an estimate of P.862, not P.862: see docs/pesq-like.md for what
 * follows which section, where it deviates, and its measured agreement with the reference code.
 *
 * Offline: it needs both whole signals (level alignment, time alignment and the frequency
 * equalisation all use the whole file).
 */
import { octaveResamplerDesign, resamplePoly } from '../../dsp/resample.js';
import { PESQ_CALIBRATION } from './calibration.js';
import { type FrameDisturbances, type FrameTerms, aggregate, frameDisturbances, frameTerms, rawScore } from './disturbance.js';
import type { PesqMode } from './input-filter.js';
import { mosLqoNarrowband, mosLqoWideband } from './mapping.js';
import type { PesqModelParams } from './params.js';
import { type PesqFrames, PesqPerceptualModel } from './perceptual-model.js';
import { frameDelays, globalDelay, utteranceDelays } from './time-align.js';

export type { PesqMode } from './input-filter.js';
export { mosLqoNarrowband, mosLqoWideband } from './mapping.js';

/** Shortest signal accepted, seconds of reference speech (the active interval). */
export const MIN_ACTIVE_SECONDS = 0.25;

export interface PesqLikeResult {
  /** MOS-LQO (P.862.1 for nb, P.862.2 for wb), or null. */
  value: number | null;
  reason?: string;
  /** The raw P.862-style score before the mapping, −0.5..4.5. */
  raw?: number;
}

const models = new Map<string, PesqPerceptualModel>();
function modelFor(sampleRate: number, mode: PesqMode): PesqPerceptualModel {
  const key = `${sampleRate}/${mode}`;
  let m = models.get(key);
  if (!m) {
    m = new PesqPerceptualModel(sampleRate, mode);
    models.set(key, m);
  }
  return m;
}

/** 'zero' when every sample is 0, 'nonfinite' when one is NaN or ±Inf, else 'ok'. */
function inspect(x: Float64Array): 'zero' | 'nonfinite' | 'ok' {
  const n = x.length;
  let i = 0;
  while (i < n && x[i] === 0) i++;
  if (i === n) return 'zero';
  // v·0 is 0 for every finite v and NaN for NaN and ±Inf; the sum stays 0 only if all are finite.
  let bad = 0;
  for (; i < n; i++) bad += x[i] * 0;
  return bad === 0 ? 'ok' : 'nonfinite';
}

/** The front end's output for one pair: what a parameter set is applied to. */
export interface PesqPrepared {
  mode: PesqMode;
  model: PesqPerceptualModel;
  frames: PesqFrames;
}

/**
 * Everything of `pesqLike` that no fitted parameter touches: checks, resampling, time alignment and
 * the front end (band powers, frame powers, active interval). `scorePrepared` finishes the score.
 * The calibration tool (tools/calibrate-pesq.ts) runs this once per pair.
 */
export function preparePesq(ref: Float64Array, deg: Float64Array, sampleRate: number, mode: PesqMode): PesqPrepared | { reason: string } {
  if (mode !== 'nb' && mode !== 'wb') return { reason: `unknown PESQ mode '${String(mode)}'` };
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate)) return { reason: `invalid sample rate ${sampleRate}` };
  if (mode === 'wb' && sampleRate < 16000) return { reason: `wideband PESQ needs at least 16 kHz, got ${sampleRate} Hz` };
  const refState = inspect(ref);
  const degState = inspect(deg);
  if (refState === 'zero') return { reason: 'reference is silent (all zeros)' };
  if (degState === 'zero') return { reason: 'degraded signal is all zeros' };
  if (refState === 'nonfinite' || degState === 'nonfinite') return { reason: 'non-finite samples (NaN or Inf) in the input' };
  let fs = sampleRate;
  if (fs !== 8000 && fs !== 16000) {
    const target = mode === 'nb' && fs < 16000 ? 8000 : 16000;
    const design = octaveResamplerDesign(target, fs);
    ref = resamplePoly(ref, design);
    deg = resamplePoly(deg, design);
    fs = target;
  }
  // P.862 works on the 16-bit scale, but the model is invariant to the input scale (level alignment
  // rescales both signals and the time alignment is normalised), so the samples are used as they are.
  const model = modelFor(fs, mode);
  if (ref.length < model.nfft * 2 || deg.length < model.nfft * 2) {
    return { reason: `signals too short for PESQ (need at least ${MIN_ACTIVE_SECONDS} s of speech)` };
  }
  const delay = globalDelay(ref, deg, fs);
  const utterances = utteranceDelays(ref, deg, fs, delay);
  const frames = model.analyse(ref, deg, frameDelays(utterances, model.frameCount(ref.length), model.hop, model.nfft, delay));
  if (!frames) return { reason: 'no speech energy in the reference or degraded signal (350–3250 Hz)' };
  const activeSeconds = ((frames.endActive - frames.firstActive) * model.hop) / fs;
  if (activeSeconds < MIN_ACTIVE_SECONDS) {
    return { reason: `too little speech: ${activeSeconds.toFixed(2)} s active, need ${MIN_ACTIVE_SECONDS} s` };
  }
  return { mode, model, frames };
}

/** Raw score and MOS-LQO from the frame terms under `params` (the frame-level half of the model). */
export function scoreTerms(terms: FrameTerms, params: PesqModelParams, mode: PesqMode, scratch?: FrameDisturbances): PesqLikeResult {
  const fd = frameDisturbances(terms, params, scratch);
  const raw = rawScore(aggregate(fd.sym, terms.count), aggregate(fd.asym, terms.count));
  if (!Number.isFinite(raw)) return { value: null, reason: 'the disturbance is not finite' };
  return { value: mode === 'nb' ? mosLqoNarrowband(raw) : mosLqoWideband(raw), raw };
}

/** The score of a prepared pair under `params` (default: the committed calibration). */
export function scorePrepared(p: PesqPrepared, params: PesqModelParams = PESQ_CALIBRATION[p.mode]): PesqLikeResult {
  return scoreTerms(frameTerms(p.frames, p.model.tables(params), params), params, p.mode);
}

/**
 * PESQ-like MOS-LQO of `deg` against `ref` (same rate, samples on the [−1, 1) scale; lengths may
 * differ). Narrowband works at 8 and 16 kHz, wideband at 16 kHz; other rates are resampled to 16 kHz
 * (for wideband and rates above 16 kHz) or 8 kHz, and wideband below 16 kHz is refused. `raw` is the
 * P.862-style raw score before the mode's MOS mapping.
 */
export function pesqLike(ref: Float64Array, deg: Float64Array, sampleRate: number, mode: PesqMode): PesqLikeResult {
  const p = preparePesq(ref, deg, sampleRate, mode);
  return 'reason' in p ? { value: null, reason: p.reason } : scorePrepared(p);
}
