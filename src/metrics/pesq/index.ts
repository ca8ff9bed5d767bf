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
import { aggregate, frameDisturbances, rawScore } from './disturbance.js';
import type { PesqMode } from './input-filter.js';
import { mosLqoNarrowband, mosLqoWideband } from './mapping.js';
import { PesqPerceptualModel } from './perceptual-model.js';
import { frameDelays, globalDelay, utteranceDelays } from './time-align.js';

export type { PesqMode } from './input-filter.js';
export { mosLqoNarrowband, mosLqoWideband } from './mapping.js';

/** Shortest signal accepted, seconds of reference speech (the active interval). */
export const MIN_ACTIVE_SECONDS = 0.25;
/** Samples are on the [−1, 1) scale; P.862 works on the 16-bit scale. */
const INT16_SCALE = 32768;

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

function isAllZero(x: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) return false;
  return true;
}

/**
 * PESQ-like MOS-LQO of `deg` against `ref` (same rate, samples on the [−1, 1) scale; lengths may
 * differ). Narrowband works at 8 and 16 kHz, wideband at 16 kHz; other rates are resampled to 16 kHz
 * (for wideband and rates above 16 kHz) or 8 kHz, and wideband below 16 kHz is refused.
 */
export function pesqLike(ref: Float64Array, deg: Float64Array, sampleRate: number, mode: PesqMode): PesqLikeResult {
  if (mode !== 'nb' && mode !== 'wb') return { value: null, reason: `unknown PESQ mode '${String(mode)}'` };
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate)) return { value: null, reason: `invalid sample rate ${sampleRate}` };
  if (mode === 'wb' && sampleRate < 16000) {
    return { value: null, reason: `wideband PESQ needs at least 16 kHz, got ${sampleRate} Hz` };
  }
  if (ref.length === 0 || isAllZero(ref)) return { value: null, reason: 'reference is silent (all zeros)' };
  if (deg.length === 0 || isAllZero(deg)) return { value: null, reason: 'degraded signal is all zeros' };
  let fs = sampleRate;
  if (fs !== 8000 && fs !== 16000) {
    const target = mode === 'nb' && fs < 16000 ? 8000 : 16000;
    const design = octaveResamplerDesign(target, fs);
    ref = resamplePoly(ref, design);
    deg = resamplePoly(deg, design);
    fs = target;
  }
  const r = new Float64Array(ref.length);
  const d = new Float64Array(deg.length);
  let finite = true;
  for (let i = 0; i < r.length; i++) {
    r[i] = ref[i] * INT16_SCALE;
    if (!Number.isFinite(r[i])) finite = false;
  }
  for (let i = 0; i < d.length; i++) {
    d[i] = deg[i] * INT16_SCALE;
    if (!Number.isFinite(d[i])) finite = false;
  }
  if (!finite) return { value: null, reason: 'non-finite samples (NaN or Inf) in the input' };
  const model = modelFor(fs, mode);
  if (r.length < model.nfft * 2 || d.length < model.nfft * 2) {
    return { value: null, reason: `signals too short for PESQ (need at least ${MIN_ACTIVE_SECONDS} s of speech)` };
  }
  const delay = globalDelay(r, d, fs);
  const utterances = utteranceDelays(r, d, fs, delay);
  const pf = model.analyse(r, d, frameDelays(utterances, model.frameCount(r.length), model.hop, model.nfft, delay));
  if (!pf) return { value: null, reason: 'no speech energy in the reference or degraded signal (350–3250 Hz)' };
  const activeSeconds = ((pf.endActive - pf.firstActive) * model.hop) / fs;
  if (activeSeconds < MIN_ACTIVE_SECONDS) {
    return { value: null, reason: `too little speech: ${activeSeconds.toFixed(2)} s active, need ${MIN_ACTIVE_SECONDS} s` };
  }
  const fd = frameDisturbances(pf);
  const raw = rawScore(aggregate(fd.sym), aggregate(fd.asym));
  if (!Number.isFinite(raw)) return { value: null, reason: 'the disturbance is not finite' };
  const value = mode === 'nb' ? mosLqoNarrowband(raw) : mosLqoWideband(raw);
  return { value, raw };
}
