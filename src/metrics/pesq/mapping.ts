/**
 * From the P.862 raw score to MOS-LQO.
 *
 * - Narrowband, ITU-T P.862.1 (11/2003) eq. (1): y = 0.999 + (4.999 − 0.999) / (1 + e^(−1.4945·x + 4.6607)).
 * - Wideband, ITU-T P.862.2 (11/2005) eq. (1): y = 0.999 + (4.999 − 0.999) / (1 + e^(−1.3669·x + 3.8224)).
 *
 * Both map the raw range [−0.5, 4.5] into (1, 4.5…4.65]; the constants are the ones printed in the
 * recommendations.
 */

/** P.862.1 logistic: lower asymptote, upper asymptote, slope, offset. */
const NB_MAPPING = { lo: 0.999, hi: 4.999, a: 1.4945, b: 4.6607 } as const;
/** P.862.2 logistic. */
const WB_MAPPING = { lo: 0.999, hi: 4.999, a: 1.3669, b: 3.8224 } as const;

/** Raw P.862 score → narrowband MOS-LQO (P.862.1). */
export function mosLqoNarrowband(raw: number): number {
  const m = NB_MAPPING;
  return m.lo + (m.hi - m.lo) / (1 + Math.exp(-m.a * raw + m.b));
}

/** Raw P.862 score → wideband MOS-LQO (P.862.2). */
export function mosLqoWideband(raw: number): number {
  const m = WB_MAPPING;
  return m.lo + (m.hi - m.lo) / (1 + Math.exp(-m.a * raw + m.b));
}
