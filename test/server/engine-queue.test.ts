import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { LiveEngineSession } from '../../src/live/types.js';
import { EngineLoad, EngineQueue, MAX_INLINE_BLOCK_SEC, MIN_BLOCK_SEC } from '../../src/server/engine-queue.js';
import type { StreamBlock } from '../../src/stream/types.js';

const FS = 16000;

/** An engine that records what it was pushed; `worker` makes it look like a worker-thread session. */
function recordingEngine(worker = false) {
  const pushed: StreamBlock[] = [];
  let ended = false;
  const engine = {
    id: 'q',
    sampleRate: FS,
    samples$: new Subject(),
    delays$: new Subject(),
    summary$: new Subject(),
    push: (b: StreamBlock) => void pushed.push(b),
    end: () => void (ended = true),
    ...(worker ? { backlogBytes: 0 } : {}),
  } as unknown as LiveEngineSession;
  return { engine, pushed, isEnded: () => ended };
}

const ramp = (t0: number, n: number) => Float64Array.from({ length: n }, (_, i) => (t0 + i) / 1e6);
const block = (t0: number, n: number): StreamBlock => ({ t0, sampleRate: FS, ref: ramp(t0, n), deg: ramp(t0, n).map((v) => -v) });

/** Every sample arrives once, in order, with t0 continuous. */
function expectContiguous(pushed: StreamBlock[], total: number): void {
  let t = 0;
  for (const b of pushed) {
    expect(b.t0).toBe(t);
    expect(b.ref[0]).toBe(t / 1e6);
    expect(b.deg[b.deg.length - 1]).toBe(-(t + b.deg.length - 1) / 1e6);
    t += b.ref.length;
  }
  expect(t).toBe(total);
}

describe('engine queue', () => {
  it('hands a long block to an engine in this thread in slices of at most 0.25 s, one per scheduler step, losing nothing', async () => {
    // A frozen clock: the scheduler's time slice never runs out, so only the slicing bounds a push.
    const load = new EngineLoad(() => 0);
    const e = recordingEngine();
    const q = new EngineQueue(e.engine, load, FS, (err) => {
      throw err;
    });
    q.push(block(0, 10 * FS)); // a t0 jump's 10 s zero-fill, say
    expect(e.pushed).toHaveLength(0); // too long to push at once: it waits for the scheduler
    expect(q.backlogBytes).toBe(10 * FS * 2 * 8);
    await q.end();
    expect(e.isEnded()).toBe(true);
    expect(e.pushed).toHaveLength(Math.ceil(10 / MAX_INLINE_BLOCK_SEC));
    for (const b of e.pushed) expect(b.ref.length).toBeLessThanOrEqual(MAX_INLINE_BLOCK_SEC * FS);
    expectContiguous(e.pushed, 10 * FS);
    expect(q.backlogBytes).toBe(0);
  });

  it('yields between slices when the event-loop turn has used its engine time', async () => {
    // Each push costs 5 ms of the injected clock; the slice is 8 ms, so at most two pushes per turn.
    let now = 0;
    const load = new EngineLoad(() => now);
    const e = recordingEngine();
    const perTurn: number[] = [];
    let inTurn = 0;
    const engine = { ...e.engine, push: (b: StreamBlock) => (e.pushed.push(b), (now += 5), inTurn++) } as unknown as LiveEngineSession;
    const q = new EngineQueue(engine, load, FS, (err) => {
      throw err;
    });
    q.push(block(0, 2 * FS));
    let finished = false;
    const done = q.end().then(() => (finished = true));
    // One count per event-loop iteration: an immediate re-queued from an immediate runs in the next one.
    const count = () => {
      perTurn.push(inTurn);
      inTurn = 0;
      if (!finished) setImmediate(count);
    };
    setImmediate(count);
    await done;
    expect(Math.max(...perTurn, inTurn)).toBeLessThanOrEqual(2);
    expectContiguous(e.pushed, 2 * FS);
  });

  it('gives a worker-thread engine whole blocks (slicing would only add messages)', async () => {
    const load = new EngineLoad(() => 0);
    const e = recordingEngine(true);
    const q = new EngineQueue(e.engine, load, FS, (err) => {
      throw err;
    });
    q.push(block(0, 10 * FS));
    await q.end();
    expect(e.pushed.map((b) => b.ref.length)).toEqual([10 * FS]);
  });

  it('merges blocks shorter than 10 ms, and pushes a real-time 20 ms frame at once', async () => {
    const load = new EngineLoad(() => 0);
    const e = recordingEngine();
    const q = new EngineQueue(e.engine, load, FS, (err) => {
      throw err;
    });
    q.push(block(0, 320));
    expect(e.pushed.map((b) => b.ref.length)).toEqual([320]);
    for (let t = 320; t < 320 + 160; t++) q.push(block(t, 1));
    await q.end();
    expect(e.pushed.slice(1).every((b) => b.ref.length >= 1 && b.ref.length <= MIN_BLOCK_SEC * FS)).toBe(true);
    expect(e.pushed.length).toBe(2);
    expectContiguous(e.pushed, 480);
  });
});
