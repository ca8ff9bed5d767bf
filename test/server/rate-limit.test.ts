import { afterEach, describe, expect, it, vi } from 'vitest';
import { Throttle, TokenBucket, type ThrottleHooks } from '../../src/server/rate-limit.js';

/** A clock the test moves by hand, ms. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('TokenBucket', () => {
  it('starts with one second of tokens, goes into debt past it, and refills at its rate', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(1000, clock.now);
    bucket.take(1000);
    expect(bucket.inDebt()).toBe(false); // exactly empty is not debt
    bucket.take(10);
    expect(bucket.inDebt()).toBe(true);
    expect(bucket.msUntilPaid()).toBe(10); // 10 tokens at 1000/s
    clock.advance(9);
    expect(bucket.inDebt()).toBe(true);
    clock.advance(1);
    expect(bucket.inDebt()).toBe(false);
  });

  it('holds at most one second of tokens however long it idles; waits at least 1 ms', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(500, clock.now);
    clock.advance(60_000);
    expect(bucket.inDebt()).toBe(false); // refills (lazily, when asked), up to the cap
    bucket.take(501);
    expect(bucket.inDebt()).toBe(true);
    expect(bucket.msUntilPaid()).toBe(2); // 1 token at 500/s
    clock.advance(2);
    bucket.inDebt();
    expect(bucket.msUntilPaid()).toBe(1);
  });
});

describe('Throttle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const clock = manualClock();
    const bucket = new TokenBucket(100, clock.now);
    const log: string[] = [];
    let closed = false;
    const hooks: ThrottleHooks<number> = {
      pause: () => log.push('pause'),
      resume: () => log.push('resume'),
      process: (n) => {
        log.push(`process ${n}`);
        bucket.take(n);
      },
      closed: () => closed,
      resumed: (ms) => {
        expect(ms).toBeGreaterThanOrEqual(0);
        log.push('resumed');
      },
    };
    return { clock, log, throttle: new Throttle(bucket, hooks), close: () => (closed = true) };
  }

  it('processes at once under the rate; over it, queues in order, pauses, and catches up as tokens return', () => {
    const { clock, log, throttle } = setup();
    throttle.offer(150); // spends the burst and 50 more: in debt for 0.5 s
    throttle.offer(20);
    throttle.offer(30);
    expect(log).toEqual(['process 150', 'pause']);
    clock.advance(400);
    vi.advanceTimersByTime(500); // the timer fires, but 10 tokens are still owed: it waits again
    expect(log).toEqual(['process 150', 'pause']);
    clock.advance(600);
    vi.advanceTimersByTime(100); // 50 tokens now: both queued messages go through
    expect(log).toEqual(['process 150', 'pause', 'process 20', 'process 30', 'resumed', 'resume']);
    throttle.offer(1); // bucket exactly empty, not in debt: processed at once
    throttle.offer(1); // in debt by 1 now: queued, paused again
    expect(log.slice(-2)).toEqual(['process 1', 'pause']);
  });

  it('once the source is closed, processes nothing more and does not resume it', () => {
    const { clock, log, throttle, close } = setup();
    throttle.offer(150);
    throttle.offer(1);
    close();
    clock.advance(10_000);
    vi.advanceTimersByTime(10_000);
    expect(log).toEqual(['process 150', 'pause']);
  });

  it('stop() drops the queue and the pending catch-up', () => {
    const { clock, log, throttle } = setup();
    throttle.offer(150);
    throttle.offer(1);
    throttle.stop();
    clock.advance(10_000);
    vi.advanceTimersByTime(10_000);
    expect(log).toEqual(['process 150', 'pause']);
  });
});
