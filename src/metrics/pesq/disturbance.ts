/**
 * The parameterised half of the perceptual model: the two partial compensations, loudness, the
 * disturbances and their aggregation (P.862 §10.2.3–10.2.11; Beerends et al. 2002; Rix et al. 2001 §4).
 *
 * On the front end's pitch power densities P (perceptual-model.ts):
 * 1. frequency equalisation of the reference (P.862 §10.2.3): per band, the ratio of the degraded to
 *    the reference mean power over the speech frames' cells above 1000 × the hearing threshold,
 *    limited to ±20 dB, multiplies the reference;
 * 2. gain equalisation of the degraded signal (§10.2.4): per frame, (audible ref + 5000)/(audible deg
 *    + 5000), bounded to [3·10⁻⁴, 5] and smoothed over frames (calibrated memory), multiplies the
 *    degraded frame;
 * 3. loudness densities L (sone/Bark) with Zwicker's law (§10.2.5);
 * 4. per band, D = L_deg − L_ref reduced towards zero by a deadzone of a quarter of the smaller
 *    loudness; asymmetry factor h = ((P_deg + 50)/(P_ref + 50))^1.2, 0 below 3, capped at 12 (§10.2.6–8);
 * 5. frame terms (`frameTerms`): (Σ(|D|·B)³)^⅓ and Σ|D|·h·B with B the band width in Bark;
 * 6. frame disturbances (`frameDisturbances`, §10.2.11): each term times its W_f scale and the frame
 *    weight M_n = ((E_ref + c)/10⁷)^−0.04, capped at 45;
 * 7. `aggregate`: L6 over split-second intervals of 20 frames with 50 % overlap, then L2 (§10.2.10);
 * 8. `rawScore` = 4.5 − 0.1·D̄ − 0.0309·Ā within [−0.5, 4.5].
 *
 * Steps 1–5 need every cell; 6–8 only per frame, which lets the calibration refit the frame-level
 * parameters without redoing the cells.
 */
import type { PerceptualTables, PesqFrames } from './perceptual-model.js';
import { loudness } from './perceptual-model.js';
import type { PesqModelParams } from './params.js';

/** Frequency equalisation (P.862 §10.2.3): reference frames counted as speech, on the pitch power scale. */
export const FREQ_EQ_ACTIVE_POWER = 1e7;
/** Only cells of the reference above this multiple of the hearing threshold enter the means (P.862 §10.2.3). */
export const FREQ_EQ_CELL_FACTOR = 1000;
/** The transfer-function compensation is limited to ±20 dB. */
export const FREQ_EQ_MAX_RATIO = 100;

/** Gain equalisation (P.862 §10.2.4): offset added to both audible powers, bounds and smoothing. */
export const GAIN_EQ_OFFSET = 5000;
export const GAIN_EQ_MIN = 3e-4;
export const GAIN_EQ_MAX = 5;

export const DEADZONE_FRACTION = 0.25;
export const ASYM_OFFSET = 50;
export const ASYM_POWER = 1.2;
export const ASYM_MIN = 3;
export const ASYM_MAX = 12;
const ASYM_MIN_RATIO = Math.pow(ASYM_MIN, 1 / ASYM_POWER);
const ASYM_MAX_RATIO = Math.pow(ASYM_MAX, 1 / ASYM_POWER);
/** Frame weight ((E + c)/10⁷)^−0.04; c is the calibrated `silenceWeightOffset`. */
export const SILENCE_WEIGHT_REF = 1e7;
export const SILENCE_WEIGHT_EXP = -0.04;
export const FRAME_DISTURBANCE_CAP = 45;
/** Norms: within split-second intervals, over the file. */
export const SPLIT_SECOND_FRAMES = 20;
export const SPLIT_SECOND_HOP = 10;
export const SPLIT_SECOND_P = 6;
export const FILE_P = 2;
/** Final linear combination, P.862 §10.2.11. */
export const SCORE_TOP = 4.5;
export const SYM_COEF = 0.1;
export const ASYM_COEF = 0.0309;
export const SCORE_MIN = -0.5;

/** Per frame of the active interval, before the frame weight and the W_f scales. */
export interface FrameTerms {
  count: number;
  /** (Σ_f (|D(f)|·B)³)^⅓, B the band width in Bark. */
  sym: Float64Array;
  /** Σ_f |D(f)|·h(f)·B. */
  asym: Float64Array;
  /** Mean-square of the level-aligned reference frame. */
  power: Float64Array;
}

/** Steps 1–5 above. */
export function frameTerms(fr: PesqFrames, t: PerceptualTables, params: PesqModelParams): FrameTerms {
  const memory = params.gainEqMemory;
  const { bands, pRef, pDeg, firstActive, endActive } = fr;
  const { p0, gamma, lScale } = t;
  const ratio = frequencyEqualisation(fr, p0);
  const count = endActive - firstActive;
  const sym = new Float64Array(count);
  const asym = new Float64Array(count);
  const power = fr.refFramePower.slice(firstActive, endActive);
  const pr = new Float64Array(bands);
  const pd = new Float64Array(bands);
  const lr = new Float64Array(bands);
  const ld = new Float64Array(bands);
  const w = t.widthBark;
  let s = 1;
  for (let m = 0; m < endActive; m++) {
    const off = m * bands;
    // Gain equalisation (P.862 §10.2.4) on the frequency-equalised reference.
    let aRef = 0;
    let aDeg = 0;
    for (let j = 0; j < bands; j++) {
      const x = pRef[off + j] * ratio[j];
      pr[j] = x;
      if (x > p0[j]) aRef += x;
      if (pDeg[off + j] > p0[j]) aDeg += pDeg[off + j];
    }
    let r = (aRef + GAIN_EQ_OFFSET) / (aDeg + GAIN_EQ_OFFSET);
    r = r > GAIN_EQ_MAX ? GAIN_EQ_MAX : r < GAIN_EQ_MIN ? GAIN_EQ_MIN : r;
    s = m === 0 ? r : memory * s + (1 - memory) * r;
    if (m < firstActive) continue;
    for (let j = 0; j < bands; j++) pd[j] = pDeg[off + j] * s;
    loudness(pr, 0, p0, gamma, lScale, lr);
    loudness(pd, 0, p0, gamma, lScale, ld);
    let s3 = 0;
    let s1 = 0;
    for (let j = 0; j < bands; j++) {
      const a = lr[j];
      const b = ld[j];
      const dz = DEADZONE_FRACTION * (a < b ? a : b);
      let d = b - a;
      if (d > dz) d -= dz;
      else if (d < -dz) d += dz;
      else continue;
      const ad = (d < 0 ? -d : d) * w[j];
      s3 += ad * ad * ad;
      // h = ratio^1.2 is 0 below 3 and capped at 12: compare the ratio itself and skip the power.
      const q = (pd[j] + ASYM_OFFSET) / (pr[j] + ASYM_OFFSET);
      if (q < ASYM_MIN_RATIO) continue;
      s1 += ad * (q > ASYM_MAX_RATIO ? ASYM_MAX : Math.pow(q, ASYM_POWER));
    }
    const i = m - firstActive;
    sym[i] = Math.cbrt(s3);
    asym[i] = s1;
  }
  return { count, sym, asym, power };
}

/**
 * Frequency equalisation ratios (P.862 §10.2.3; Beerends et al. 2002 "frequency response
 * equalisation"): linear filtering by the system is only mildly annoying, so the reference is
 * multiplied per band by the ratio of the mean degraded to the mean reference pitch power, both taken
 * over the same cells: speech frames of the active interval, reference above 1000 × the hearing
 * threshold. Limited to ±20 dB; a band without such cells is left alone.
 */
function frequencyEqualisation(fr: PesqFrames, p0: Float64Array): Float64Array {
  const { bands, pRef, pDeg, firstActive, endActive } = fr;
  const sumRef = new Float64Array(bands);
  const sumDeg = new Float64Array(bands);
  for (let m = firstActive; m < endActive; m++) {
    const off = m * bands;
    let total = 0;
    for (let j = 0; j < bands; j++) total += pRef[off + j];
    if (total < FREQ_EQ_ACTIVE_POWER) continue;
    for (let j = 0; j < bands; j++) {
      const x = pRef[off + j];
      if (x > FREQ_EQ_CELL_FACTOR * p0[j]) {
        sumRef[j] += x;
        sumDeg[j] += pDeg[off + j];
      }
    }
  }
  const ratio = sumRef; // reused in place
  for (let j = 0; j < bands; j++) {
    const r = sumRef[j] > 0 ? sumDeg[j] / sumRef[j] : 1;
    ratio[j] = r > FREQ_EQ_MAX_RATIO ? FREQ_EQ_MAX_RATIO : r < 1 / FREQ_EQ_MAX_RATIO ? 1 / FREQ_EQ_MAX_RATIO : r;
  }
  return ratio;
}

export interface FrameDisturbances {
  sym: Float64Array;
  asym: Float64Array;
}

/** Step 6: D_n and DA_n of every frame of the active interval. Writes into `out` when given. */
export function frameDisturbances(terms: FrameTerms, params: PesqModelParams, out?: FrameDisturbances): FrameDisturbances {
  const n = terms.count;
  const sym = out ? out.sym : new Float64Array(n);
  const asym = out ? out.asym : new Float64Array(n);
  const { symWidthScale: ks, asymWidthScale: ka, silenceWeightOffset: c } = params;
  for (let i = 0; i < n; i++) {
    const weight = Math.exp(SILENCE_WEIGHT_EXP * Math.log((terms.power[i] + c) / SILENCE_WEIGHT_REF));
    const d = weight * ks * terms.sym[i];
    const a = weight * ka * terms.asym[i];
    sym[i] = d < FRAME_DISTURBANCE_CAP ? d : FRAME_DISTURBANCE_CAP;
    asym[i] = a < FRAME_DISTURBANCE_CAP ? a : FRAME_DISTURBANCE_CAP;
  }
  return { sym, asym };
}

/** Step 7: L6 over split-second intervals, then L2 over the file (P.862 §10.2.10), of d[0..n). */
export function aggregate(d: Float64Array, n = d.length): number {
  if (n === 0) return 0;
  let sum = 0;
  let parts = 0;
  for (let start = 0; ; start += SPLIT_SECOND_HOP) {
    const end = Math.min(n, start + SPLIT_SECOND_FRAMES);
    let s = 0;
    for (let i = start; i < end; i++) {
      const x2 = d[i] * d[i];
      s += x2 * x2 * x2;
    }
    // (mean of d⁶)^(1/6), squared for the L2 below.
    sum += Math.pow(s / (end - start), FILE_P / SPLIT_SECOND_P);
    parts++;
    if (end >= n) break;
  }
  return Math.pow(sum / parts, 1 / FILE_P);
}

/** Step 8: raw P.862-style score from the aggregated disturbances. */
export function rawScore(dSym: number, dAsym: number): number {
  return Math.max(SCORE_MIN, Math.min(SCORE_TOP, SCORE_TOP - SYM_COEF * dSym - ASYM_COEF * dAsym));
}
