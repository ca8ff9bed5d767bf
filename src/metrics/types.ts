/**
 * The one shape every metric has, offline and live alike: feed blocks with `update`, read the value
 * since the last `reset` with `compute`. Blocks may have any length ≥ 0 (1 sample, a render quantum,
 * a whole file); the result must not depend on how the signal was cut into blocks.
 */

/** A metric's value, or `null` with a human-readable reason (never NaN, never a sentinel). */
export interface MetricValue {
  value: number | null;
  reason?: string;
}

/** Time-aligned samples of the streams, all the same length, float64 on the [-1, 1) scale. */
export interface SignalBlock {
  ref: Float64Array;
  deg: Float64Array;
  /** The input the device under test saw (wSDR needs it). */
  noisy?: Float64Array;
}

export interface MetricAccumulator<In = SignalBlock, Out = MetricValue> {
  update(block: In): void;
  compute(): Out;
  reset(): void;
}

export const value = (v: number): MetricValue => ({ value: v });
export const nullValue = (reason: string): MetricValue => ({ value: null, reason });

/**
 * 10·log10(num/den) as a MetricValue: +∞ (den = 0) becomes null with reason "perfect",
 * a zero reference energy becomes null with `zeroRefReason`.
 */
export function ratioDb(num: number, den: number, zeroRefReason = 'reference is silent (all zeros)'): MetricValue {
  if (!(num > 0)) return nullValue(zeroRefReason);
  if (!(den > 0)) return nullValue('perfect: the error is exactly zero, so the ratio is infinite');
  return value(10 * Math.log10(num / den));
}
