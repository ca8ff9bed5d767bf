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

  /** Index of the current slot (0..size−1). */
  get headIndex(): number {
    return this.head;
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * Visit the last `count` slots including the current one, oldest first (fewer early in a stream),
   * with each slot's index.
   */
  forLast(count: number, visit: (slot: T, index: number) => void): void {
    const n = Math.min(count, this.filled);
    for (let k = n - 1; k >= 0; k--) {
      const i = (this.head - k + this.slots.length) % this.slots.length;
      visit(this.slots[i], i);
    }
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
  /**
   * The reads' values of each closed hop, computed once (a closed hop no longer changes; a window
   * reads up to 100 of them at every report): values and null flags by slot × read, valid per slot.
   */
  private hopReads: readonly ((a: A) => MetricValue)[] | null = null;
  private hopValues = new Float64Array(0);
  private hopNull = new Uint8Array(0);
  private readonly hopValid: Uint8Array;
  /** Bumped by every change; a window asked for again before one is served from `memo`. */
  private version = 0;
  private readonly memo = new Map<number, { version: number; reads: readonly ((a: A) => MetricValue)[]; result: { value: MetricValue; uncertainty: number | null }[] }>();

  constructor(make: () => A, slots: number) {
    this.ring = new HopRingOf(slots, make);
    this.total = make();
    this.scratch = make();
    this.hopValid = new Uint8Array(slots);
  }

  update(block: { ref: Float64Array; deg: Float64Array; noisy?: Float64Array }): void {
    this.ring.current.update(block);
    this.total.update(block);
    this.version++;
  }

  /** Close the current hop and open a new one (its slot's cached values are dropped). */
  advance(): void {
    this.ring.advance();
    this.hopValid[this.ring.headIndex] = 0;
    this.version++;
  }

  /**
   * Each of `reads` over the merge of the last `hops` hops (merged once for all), with the standard
   * error of its per-hop values.
   */
  window(hops: number, reads: readonly ((a: A) => MetricValue)[]): { value: MetricValue; uncertainty: number | null }[] {
    const memo = this.memo.get(hops);
    if (memo && memo.version === this.version && memo.reads === reads) return memo.result;
    const s = this.scratch;
    s.reset();
    const perHop = this.perHop;
    while (perHop.length < reads.length) perHop.push(new RunningStats());
    for (const st of perHop) st.reset();
    const r = reads.length;
    if (this.hopReads !== reads) {
      this.hopReads = reads;
      this.hopValues = new Float64Array(this.ring.size * r);
      this.hopNull = new Uint8Array(this.ring.size * r);
      this.hopValid.fill(0);
    }
    const values = this.hopValues;
    const isNull = this.hopNull;
    const valid = this.hopValid;
    const head = this.ring.headIndex;
    this.ring.forLast(hops, (slot, index) => {
      s.merge(slot);
      if (index === head) {
        for (let i = 0; i < r; i++) {
          const v = reads[i](slot).value;
          if (v !== null) perHop[i].add(v);
        }
        return;
      }
      if (!valid[index]) {
        for (let i = 0; i < r; i++) {
          const v = reads[i](slot).value;
          values[index * r + i] = v ?? 0;
          isNull[index * r + i] = v === null ? 1 : 0;
        }
        valid[index] = 1;
      }
      for (let i = 0; i < r; i++) if (!isNull[index * r + i]) perHop[i].add(values[index * r + i]);
    });
    const result = reads.map((read, i) => ({ value: read(s), uncertainty: perHop[i].standardError() }));
    this.memo.set(hops, { version: this.version, reads, result });
    return result;
  }
}

/** Per-frame (or per-segment) values of one metric, grouped by hop. */
export class FrameWindows {
  readonly ring: HopRingOf<RunningStats>;
  latest: number | null = null;
  private readonly scratch = new RunningStats();
  /** Bumped by every change; a window asked for again before one is served from `memo`. */
  private version = 0;
  private readonly memo = new Map<number, { version: number; result: { value: MetricValue; uncertainty: number | null } }>();

  /** `span`: the values' windows overlap by (span − 1)/span (RunningStats.standardError). */
  constructor(slots: number, private readonly span = 1) {
    this.ring = new HopRingOf(slots, () => new RunningStats());
  }

  add(v: number): void {
    if (Number.isNaN(v)) return;
    this.ring.current.add(v);
    this.latest = v;
    this.version++;
  }

  /** Close the current hop and open a new one. */
  advance(): void {
    this.ring.advance();
    this.version++;
  }

  window(hops: number): { value: MetricValue; uncertainty: number | null } {
    const memo = this.memo.get(hops);
    if (memo && memo.version === this.version) return memo.result;
    const s = this.scratch;
    s.reset();
    this.ring.forLast(hops, (slot) => s.merge(slot));
    const result = s.count === 0 ? { value: { value: null, reason: 'no frames in this window yet' }, uncertainty: null } : { value: { value: s.mean }, uncertainty: s.standardError(this.span) };
    this.memo.set(hops, { version: this.version, result });
    return result;
  }
}
