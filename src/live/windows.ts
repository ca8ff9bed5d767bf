/**
 * Sliding windows over report hops. Each hop (1 / report rate of stream time) gets its own slot, an
 * accumulator cleared with `reset`; a window of W seconds is the merge of its last W·rate slots.
 * Slots are reused in a ring, so memory is fixed by the longest window.
 */
import { RunningStats } from '../metrics/running-stats.js';
import type { MetricValue } from '../metrics/types.js';

export class HopRingOf<T extends { reset(): void }> {
  private readonly slots: T[];
  private head = 0; // index of the current slot
  private filled = 1;

  constructor(size: number, make: () => T) {
    this.slots = Array.from({ length: size }, make);
  }

  get current(): T {
    return this.slots[this.head];
  }

  /** Close the current hop and start a new (cleared) one. */
  advance(): void {
    this.head = (this.head + 1) % this.slots.length;
    this.slots[this.head].reset();
    this.filled = Math.min(this.slots.length, this.filled + 1);
  }

  /** Visit the last `count` slots including the current one, oldest first (fewer early in a stream). */
  forLast(count: number, visit: (slot: T) => void): void {
    const n = Math.min(count, this.filled);
    for (let k = n - 1; k >= 0; k--) visit(this.slots[(this.head - k + this.slots.length) % this.slots.length]);
  }
}

/** An accumulator of running sums whose windows merge per-hop copies (SNR, SI-SDR, wSDR). */
export interface SumAccumulator<A> {
  update(block: { ref: Float64Array; deg: Float64Array; noisy?: Float64Array }): void;
  merge(other: A): void;
  reset(): void;
}

/**
 * Sliding windows of a ratio-of-sums metric: each hop has its own accumulator, a window merges its
 * hops' sums (so its value is exact, not a mean of hop values), and `total` is one accumulator over
 * everything (identical to the offline value for the same alignment). Uncertainty: the standard
 * error of the per-hop values in the window. Several keys may read one accumulator type (SNR and MSE).
 */
export class SumWindows<A extends SumAccumulator<A>> {
  readonly ring: HopRingOf<A>;
  readonly total: A;
  private readonly scratch: A;
  private readonly perHop: RunningStats[] = [];

  constructor(make: () => A, slots: number) {
    this.ring = new HopRingOf(slots, make);
    this.total = make();
    this.scratch = make();
  }

  update(block: { ref: Float64Array; deg: Float64Array; noisy?: Float64Array }): void {
    this.ring.current.update(block);
    this.total.update(block);
  }

  /**
   * Each of `reads` over the merge of the last `hops` hops (merged once for all), with the standard
   * error of its per-hop values.
   */
  window(hops: number, reads: readonly ((a: A) => MetricValue)[]): { value: MetricValue; uncertainty: number | null }[] {
    const s = this.scratch;
    s.reset();
    const perHop = this.perHop;
    while (perHop.length < reads.length) perHop.push(new RunningStats());
    for (const st of perHop) st.reset();
    this.ring.forLast(hops, (slot) => {
      s.merge(slot);
      for (let i = 0; i < reads.length; i++) {
        const v = reads[i](slot).value;
        if (v !== null) perHop[i].add(v);
      }
    });
    return reads.map((read, i) => ({ value: read(s), uncertainty: perHop[i].standardError() }));
  }
}

/** Per-frame (or per-segment) values of one metric, grouped by hop. */
export class FrameWindows {
  readonly ring: HopRingOf<RunningStats>;
  latest: number | null = null;
  private readonly scratch = new RunningStats();

  /** `span`: the values' windows overlap by (span − 1)/span (RunningStats.standardError). */
  constructor(slots: number, private readonly span = 1) {
    this.ring = new HopRingOf(slots, () => new RunningStats());
  }

  add(v: number): void {
    if (Number.isNaN(v)) return;
    this.ring.current.add(v);
    this.latest = v;
  }

  window(hops: number): { value: MetricValue; uncertainty: number | null } {
    const s = this.scratch;
    s.reset();
    this.ring.forLast(hops, (slot) => s.merge(slot));
    if (s.count === 0) return { value: { value: null, reason: 'no frames in this window yet' }, uncertainty: null };
    return { value: { value: s.mean }, uncertainty: s.standardError(this.span) };
  }
}
