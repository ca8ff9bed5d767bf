/**
 * Mean, variance and standard error of a stream of per-frame or per-segment values (Welford's
 * update: stable, constant memory). The standard error is the uncertainty every running metric
 * value carries (design.md §3).
 */
/**
 * Standard error of a mean of `count` values with sample variance `variance`, taken from windows that
 * overlap by (span − 1)/span. Neighbouring values then share most of their samples; for a moving
 * average of length `span` over independent frame-level noise the autocorrelations sum to `span`, so
 * the variance of the mean is about span·variance/count: the effective count is count/span (at least 1).
 * With span 1 this is the plain sqrt(variance/count).
 */
export function standardErrorOf(variance: number, count: number, span = 1): number {
  return Math.sqrt(variance / Math.max(1, count / span));
}

export class RunningStats {
  count = 0;
  mean = 0;
  private m2 = 0;

  add(x: number): void {
    this.count++;
    const delta = x - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (x - this.mean);
  }

  /** Sample variance (n − 1), or null with fewer than two values. */
  variance(): number | null {
    return this.count > 1 ? this.m2 / (this.count - 1) : null;
  }

  /**
   * Standard error of the mean, or null with fewer than two values. `span`: the values come from
   * windows that slide by 1/span of their length (STOI's 30-frame segments by one frame: span 30;
   * frames with a half-frame hop: span 2), so about count/span of them are independent.
   */
  standardError(span = 1): number | null {
    const v = this.variance();
    return v === null ? null : standardErrorOf(v, this.count, span);
  }

  /** Combine with another partial result (Chan et al.'s parallel update). */
  merge(other: RunningStats): void {
    if (other.count === 0) return;
    const n = this.count + other.count;
    const delta = other.mean - this.mean;
    this.m2 += other.m2 + (delta * delta * this.count * other.count) / n;
    this.mean += (delta * other.count) / n;
    this.count = n;
  }

  reset(): void {
    this.count = 0;
    this.mean = 0;
    this.m2 = 0;
  }
}
