/**
 * Rate limiting: a token bucket of cost units (ingest: samples; feed: bytes) per connection, and the
 * throttle that makes a client over its budget wait instead of refusing it.
 *
 * The bucket holds at most one second's worth of tokens (the burst) and refills continuously; a
 * message spends its cost and may leave the bucket in debt. While the throttle's gate says wait (the
 * bucket is in debt, or the work the client caused has not been done yet), it holds the messages
 * already read in a small queue, stops reading the socket (so TCP pushes back on the sender) and
 * processes the queue once the gate opens. How long the socket stayed paused is reported once per
 * throttled stretch (counted in /metrics).
 */

/** Tokens (samples) per second, refilled continuously up to one second's worth. */
export class TokenBucket {
  readonly ratePerSec: number;
  private readonly now: () => number;
  private tokens: number;
  private lastRefill: number;

  /** @param now clock in ms (default `performance.now`), for tests. */
  constructor(ratePerSec: number, now: () => number = () => performance.now()) {
    this.ratePerSec = ratePerSec;
    this.now = now;
    this.tokens = ratePerSec;
    this.lastRefill = now();
  }

  /** Spend `n` tokens; the bucket may go into debt. */
  take(n: number): void {
    this.tokens -= n;
  }

  /** Refill for the time since the last refill; true while the bucket is in debt. */
  inDebt(): boolean {
    const rate = this.ratePerSec;
    const now = this.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    return this.tokens < 0;
  }

  /** Time until the current debt is paid back at the refill rate, ms (at least 1). */
  msUntilPaid(): number {
    return Math.max(1, Math.ceil((-this.tokens / this.ratePerSec) * 1000));
  }
}

/** What a throttle controls: the source it pauses, the handler it feeds, and where it reports. */
export interface ThrottleHooks<T> {
  /** Stop reading the source (e.g. `ws.pause()`). */
  pause(): void;
  /** Read the source again (e.g. `ws.resume()`). */
  resume(): void;
  /** Handle one message now (it must not throw). */
  process(message: T): void;
  /** True once the source is gone: nothing more is processed and the source stays as it is. */
  closed(): boolean;
  /** One throttled stretch is over: the source was paused for `pausedMs`. */
  resumed(pausedMs: number): void;
}

/** A gate: 0 when the next message may be processed, else how long to wait before asking again (ms). */
export type ThrottleGate = () => number;

/** The gate of a bare token bucket: wait while it is in debt. */
export function bucketGate(bucket: TokenBucket): ThrottleGate {
  return () => (bucket.inDebt() ? bucket.msUntilPaid() : 0);
}

/**
 * Processes messages in order while the gate is open; otherwise queues them, pauses the source and
 * catches up on a timer. The caller spends the tokens (in `process`, once it knows a message's cost).
 */
export class Throttle<T> {
  private readonly gate: ThrottleGate;
  private readonly hooks: ThrottleHooks<T>;
  /** Messages received while over the budget, processed once the gate opens; their sizes. */
  private readonly deferred: T[] = [];
  private readonly sizes: number[] = [];
  private deferredBytes = 0;
  private paused = false;
  private pausedAt = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `gate`: a TokenBucket (wait while in debt) or any gate function. */
  constructor(gate: TokenBucket | ThrottleGate, hooks: ThrottleHooks<T>) {
    this.gate = gate instanceof TokenBucket ? bucketGate(gate) : gate;
    this.hooks = hooks;
  }

  /** Bytes of the messages waiting (as given to `offer`). */
  get queuedBytes(): number {
    return this.deferredBytes;
  }

  /** Process `message` now, or queue it behind the ones waiting (source paused until they are done). */
  offer(message: T, bytes = 0): void {
    if (this.deferred.length > 0 || this.gate() > 0) {
      // Over the budget: hold this message (the source is paused, so few can pile up) and catch up later.
      this.deferred.push(message);
      this.sizes.push(bytes);
      this.deferredBytes += bytes;
      this.scheduleCatchUp();
      return;
    }
    this.hooks.process(message);
  }

  /** Drop the queue and the pending catch-up (the source has gone). */
  stop(): void {
    clearTimeout(this.timer);
    this.deferred.length = 0;
    this.sizes.length = 0;
    this.deferredBytes = 0;
  }

  private scheduleCatchUp(): void {
    if (this.timer) return;
    if (!this.paused) {
      this.paused = true;
      this.pausedAt = performance.now();
      this.hooks.pause();
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      while (!this.hooks.closed() && this.deferred.length > 0 && this.gate() === 0) {
        this.deferredBytes -= this.sizes.shift()!;
        this.hooks.process(this.deferred.shift()!);
      }
      if (this.hooks.closed()) return;
      if (this.deferred.length > 0) this.scheduleCatchUp();
      else {
        this.paused = false;
        this.hooks.resumed(performance.now() - this.pausedAt);
        this.hooks.resume();
      }
    }, Math.max(1, this.gate()));
  }
}
