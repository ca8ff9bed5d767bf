/**
 * The values the rig compares between the noisy input and the processed output: every
 * reference-based metric of `earshot analyze --json` (except SA-SDR, which needs several speakers)
 * and every numeric reference-free measure of the output alone (noise floor, blind SNR, clipping...).
 */
import { METRIC_INFO, METRIC_KEYS, REFERENCE_FREE_INFO, REFERENCE_FREE_VALUE_KEYS } from '../analysis/metric-info.js';

export interface ScoredKey {
  /** Key in `earshot analyze --json`. */
  key: string;
  label: string;
  unit: string;
  /** null: neither direction is better (a level, a DC offset). */
  higherIsBetter: boolean | null;
  digits: number;
  description: string;
  /** Measured on the output alone (no reference). */
  referenceFree: boolean;
}

export function scoredKeys(): ScoredKey[] {
  const withRef: ScoredKey[] = METRIC_KEYS.filter((k) => k !== 'sasdr').map((k) => ({ ...METRIC_INFO[k], referenceFree: false }));
  const free: ScoredKey[] = REFERENCE_FREE_VALUE_KEYS.map((k) => ({
    key: k,
    ...REFERENCE_FREE_INFO[k],
    description: `${REFERENCE_FREE_INFO[k].label} of the signal alone (no reference)`,
    referenceFree: true,
  }));
  return [...withRef, ...free];
}

export function scoredKey(key: string): ScoredKey | undefined {
  return scoredKeys().find((k) => k.key === key);
}
