/**
 * Mean, variance and standard error of a stream of per-frame or per-segment values (Welford's
 * update: stable, constant memory). The standard error is the uncertainty every running metric
 * value carries (design.md §3).
 */
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

  /** Standard error of the mean, or null with fewer than two values. */
  standardError(): number | null {
    const v = this.variance();
    return v === null ? null : Math.sqrt(v / this.count);
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
