/**
 * Disturbances and their aggregation (P.862 §10.2.6–10.2.11; Beerends et al. 2002; Rix et al. 2001 §4).
 *
 * Per frame n and band f, with loudness densities L (sone/Bark) and pitch power densities P:
 * - disturbance density D = L_deg − L_ref, reduced towards zero by a deadzone of a quarter of the
 *   smaller loudness (small differences are masked);
 * - asymmetry factor h = ((P_deg + 50)/(P_ref + 50))^1.2, set to 0 below 3 and capped at 12, because
 *   added components (noise, artefacts) are far more annoying than missing ones; DA = |D|·h;
 * - frame disturbances: an L3 norm of |D|·W over the bands and an L1 norm
 *   of |DA|·W, both multiplied by ((E_ref + 10⁵)/10⁷)^−0.04, E_ref the reference frame's power, which
 *   emphasises disturbances in the reference's silences; each capped at 45;
 * - over time: L6 norm over split-second intervals of 20 frames (320 ms) overlapping by half, then an
 *   L2 norm over the intervals of the file;
 * - raw score = 4.5 − 0.1·D̄ − 0.0309·Ā, within [−0.5, 4.5].
 *
 * W: P.862 §10.2.11 only says W_f is "proportional to the width of the modified Bark bins"; neither the
 * constant nor P.862's bin widths are in its text. We take W = the band width in Bark (D in sone). This
 * leaves our symmetric term 3–4× too small relative to the asymmetric one (docs/pesq-like.md): a known,
 * unfixed gap, deliberately not closed with a corpus-fitted factor.
 */
import type { PerceptualFrames } from './perceptual-model.js';

export const DEADZONE_FRACTION = 0.25;
export const ASYM_OFFSET = 50;
export const ASYM_POWER = 1.2;
export const ASYM_MIN = 3;
export const ASYM_MAX = 12;
const ASYM_MIN_RATIO = Math.pow(ASYM_MIN, 1 / ASYM_POWER);
const ASYM_MAX_RATIO = Math.pow(ASYM_MAX, 1 / ASYM_POWER);
/** Frame weighting ((E + 10⁵)/10⁷)^−0.04. */
export const SILENCE_WEIGHT_OFFSET = 1e5;
export const SILENCE_WEIGHT_REF = 1e7;
export const SILENCE_WEIGHT_EXP = -0.04;
export const FRAME_DISTURBANCE_CAP = 45;
/** Norms: over frequency (symmetric, asymmetric), within split-second intervals, over the file. */
export const FREQ_P_SYM = 3;
export const SPLIT_SECOND_FRAMES = 20;
export const SPLIT_SECOND_HOP = 10;
export const SPLIT_SECOND_P = 6;
export const FILE_P = 2;
/** Final linear combination, P.862 §10.2.11. */
export const SCORE_TOP = 4.5;
export const SYM_COEF = 0.1;
export const ASYM_COEF = 0.0309;
export const SCORE_MIN = -0.5;

export interface FrameDisturbances {
  sym: Float64Array;
  asym: Float64Array;
}

/** Symmetric and asymmetric disturbance of each frame of the active interval. */
export function frameDisturbances(pf: PerceptualFrames): FrameDisturbances {
  const { bands, pRef, pDeg, lRef, lDeg, refFramePower, firstActive, endActive } = pf;
  const w = pf.layout.widthBark;
  const n = endActive - firstActive;
  const sym = new Float64Array(n);
  const asym = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = firstActive + i;
    const off = m * bands;
    let s3 = 0;
    let s1 = 0;
    for (let j = 0; j < bands; j++) {
      const lr = lRef[off + j];
      const ld = lDeg[off + j];
      const dz = DEADZONE_FRACTION * Math.min(lr, ld);
      let d = ld - lr;
      if (d > dz) d -= dz;
      else if (d < -dz) d += dz;
      else d = 0;
      const ad = Math.abs(d) * w;
      s3 += ad * ad * ad;
      if (ad === 0) continue;
      // h = ratio^1.2 is 0 below 3 and capped at 12: compare the ratio itself and skip the power.
      const ratio = (pDeg[off + j] + ASYM_OFFSET) / (pRef[off + j] + ASYM_OFFSET);
      if (ratio < ASYM_MIN_RATIO) continue;
      s1 += ad * (ratio > ASYM_MAX_RATIO ? ASYM_MAX : Math.pow(ratio, ASYM_POWER));
    }
    const weight = Math.pow((refFramePower[m] + SILENCE_WEIGHT_OFFSET) / SILENCE_WEIGHT_REF, SILENCE_WEIGHT_EXP);
    sym[i] = Math.min(FRAME_DISTURBANCE_CAP, weight * Math.cbrt(s3));
    asym[i] = Math.min(FRAME_DISTURBANCE_CAP, weight * s1);
  }
  return { sym, asym };
}

/** Lp norm over split-second intervals, then L2 over the file (P.862 §10.2.10). */
export function aggregate(d: Float64Array): number {
  const n = d.length;
  if (n === 0) return 0;
  const parts: number[] = [];
  for (let start = 0; ; start += SPLIT_SECOND_HOP) {
    const end = Math.min(n, start + SPLIT_SECOND_FRAMES);
    let s = 0;
    for (let i = start; i < end; i++) s += Math.pow(d[i], SPLIT_SECOND_P);
    parts.push(Math.pow(s / (end - start), 1 / SPLIT_SECOND_P));
    if (end >= n) break;
  }
  let s = 0;
  for (const v of parts) s += Math.pow(v, FILE_P);
  return Math.pow(s / parts.length, 1 / FILE_P);
}

/** Raw P.862-style score from the aggregated disturbances. */
export function rawScore(dSym: number, dAsym: number): number {
  return Math.max(SCORE_MIN, Math.min(SCORE_TOP, SCORE_TOP - SYM_COEF * dSym - ASYM_COEF * dAsym));
}
