/**
 * The bounded queue between a session's reassembler and its live engine, and the scheduler that
 * feeds every session's engine a little at a time.
 *
 * - A block of at least MIN_BLOCK_SEC goes to an idle engine at once, as long as this event-loop turn
 *   has not used ENGINE_SLICE_MS of engine work yet (the usual case: no added latency). Otherwise
 *   it waits here, in order; consecutive small blocks are merged (up to MIN_BLOCK_SEC), so a client
 *   sending one-sample frames costs the engine one push per event-loop turn, not one per frame.
 * - Waiting blocks go to their engines from one server-wide scheduler that runs on `setImmediate`,
 *   round-robin over the sessions, and yields after ENGINE_SLICE_MS of engine work, so the event loop
 *   keeps answering /healthz, the feed and other clients however much audio is waiting (this matters
 *   for engines in this thread, `--workers 0`). A worker-thread engine gets blocks while it has less
 *   than WORKER_IN_FLIGHT_BYTES to process; the rest waits here, where a zero-filled block costs no
 *   memory (untouched zero pages) until it is posted.
 * - `backlogBytes` (here plus in the worker) is what the ingest connection's gate reads: above its
 *   budget the server stops reading the client's socket (ingest.ts), which bounds the memory a client
 *   can make the server hold to that budget plus one frame's worth of blocks.
 *
 * Nothing is dropped: `end()` resolves once every queued block went to the engine and it was ended.
 */
import type { LiveEngineSession } from '../live/types.js';
import type { StreamBlock } from '../stream/types.js';

/** Engine work in this thread per event-loop turn before the scheduler yields (ms). */
export const ENGINE_SLICE_MS = 8;
/** Audio posted to a worker-thread engine and not yet processed, at most (bytes); the rest waits here. */
export const WORKER_IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/** How often queues waiting for their worker to catch up are looked at again (ms). */
const WORKER_POLL_MS = 5;
/** Blocks shorter than this (s) always wait and are merged with the next ones. */
export const MIN_BLOCK_SEC = 0.01;
/**
 * An engine in this thread gets at most this much audio per push (s): a longer block (a t0 jump's
 * zero-fill of up to 10 s, a burst a client sent at once) is handed on in slices, one per scheduler
 * step, so no single push holds the event loop for long (0.25 s of audio is ~3 ms of engine work
 * for the full metric set on one core). Worker-thread engines get whole blocks (no main-thread cost).
 */
export const MAX_INLINE_BLOCK_SEC = 0.25;
const BYTES_PER_SAMPLE = 8;

/** What a worker-thread engine session exposes about its own queue (worker-engine.ts). */
interface WorkerBacklog {
  readonly backlogBytes: number;
}

function workerBacklog(engine: LiveEngineSession): number {
  const b = (engine as Partial<WorkerBacklog>).backlogBytes;
  return typeof b === 'number' ? b : 0;
}

/** The server-wide side: which queues have work, and the total backlog for the server's budget. */
export class EngineLoad {
  private readonly queues = new Set<EngineQueue>();
  private readonly ready = new Set<EngineQueue>();
  /** Queues whose worker has WORKER_IN_FLIGHT_BYTES to process: woken by a timer. */
  private readonly waiting = new Set<EngineQueue>();
  private waitTimer: NodeJS.Timeout | undefined;
  private scheduled = false;
  /** Engine time used in this event-loop turn by pushes made at once (ms). */
  private turnUsedMs = 0;
  private turnResetScheduled = false;
  readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  /** Bytes of audio waiting for engines over the whole server (here and in workers). */
  get backlogBytes(): number {
    let n = 0;
    for (const q of this.queues) n += q.backlogBytes;
    return n;
  }

  /** @internal */
  register(q: EngineQueue): void {
    this.queues.add(q);
  }

  /** @internal */
  unregister(q: EngineQueue): void {
    this.queues.delete(q);
    this.ready.delete(q);
    this.waiting.delete(q);
  }

  /** @internal: whether a block may go to its engine right now (nobody waiting, turn budget left). */
  canRunNow(): boolean {
    return this.ready.size === 0 && this.turnUsedMs < ENGINE_SLICE_MS;
  }

  /** @internal: engine time spent by a push made at once. */
  spent(ms: number): void {
    this.turnUsedMs += ms;
    if (this.turnResetScheduled) return;
    this.turnResetScheduled = true;
    setImmediate(() => {
      this.turnUsedMs = 0;
      this.turnResetScheduled = false;
    });
  }

  /** @internal: `q` has blocks to hand on. */
  wake(q: EngineQueue): void {
    this.ready.add(q);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  /** A queue whose worker is busy enough is looked at again a little later. */
  private waitForWorker(q: EngineQueue): void {
    this.waiting.add(q);
    if (this.waitTimer) return;
    this.waitTimer = setTimeout(() => {
      this.waitTimer = undefined;
      const woken = [...this.waiting];
      this.waiting.clear();
      for (const w of woken) this.wake(w);
    }, WORKER_POLL_MS);
    this.waitTimer.unref();
  }

  /** One slice: round-robin over the queues, one block each, until the slice is used up. */
  private run(): void {
    this.scheduled = false;
    const deadline = this.now() + ENGINE_SLICE_MS;
    while (this.ready.size > 0) {
      for (const q of [...this.ready]) {
        const more = q.step();
        if (more === true) continue;
        this.ready.delete(q);
        if (more === 'wait') this.waitForWorker(q);
      }
      if (this.now() >= deadline) break;
    }
    if (this.ready.size > 0) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
  }
}

interface OpenBlock {
  t0: number;
  sampleRate: number;
  length: number;
  ref: Float64Array;
  deg: Float64Array;
  noisy: Float64Array | undefined;
}

export class EngineQueue {
  private readonly engine: LiveEngineSession;
  private readonly load: EngineLoad;
  private readonly onError: (e: Error) => void;
  private readonly minBlock: number;
  /** Longest block pushed at once to an engine in this thread; 0: no limit (worker-thread engine). */
  private readonly maxBlock: number;
  private blocks: StreamBlock[] = [];
  private head = 0;
  private open: OpenBlock | undefined;
  private queuedBytes = 0;
  private ending: (() => void) | undefined;
  private endPromise: Promise<void> | undefined;
  private failed = false;
  private finished = false;

  /** `onError`: the engine threw on a block (the queue drops the rest and stops). */
  constructor(engine: LiveEngineSession, load: EngineLoad, sampleRate: number, onError: (e: Error) => void) {
    this.engine = engine;
    this.load = load;
    this.onError = onError;
    this.minBlock = Math.max(1, Math.round(MIN_BLOCK_SEC * sampleRate));
    const inThread = typeof (engine as Partial<WorkerBacklog>).backlogBytes !== 'number';
    this.maxBlock = inThread ? Math.max(this.minBlock, Math.round(MAX_INLINE_BLOCK_SEC * sampleRate)) : 0;
    load.register(this);
  }

  /** Bytes waiting for this engine: queued here plus posted to its worker and not yet processed. */
  get backlogBytes(): number {
    return this.queuedBytes + workerBacklog(this.engine);
  }

  /** Queue one block (t0 continuous with the previous one). The arrays are not copied: do not reuse them. */
  push(block: StreamBlock): void {
    if (this.failed || this.ending) return;
    const n = block.ref.length;
    if (n === 0) return;
    const fits = this.maxBlock === 0 || n <= this.maxBlock;
    if (n >= this.minBlock && fits && !this.hasWork() && this.load.canRunNow() && workerBacklog(this.engine) <= WORKER_IN_FLIGHT_BYTES) {
      const t = this.load.now();
      this.give(block);
      this.load.spent(this.load.now() - t);
      return;
    }
    const o = this.open;
    if (o && o.t0 + o.length === block.t0 && o.length + n <= o.ref.length) {
      o.ref.set(block.ref, o.length);
      o.deg.set(block.deg, o.length);
      if (o.noisy && block.noisy) o.noisy.set(block.noisy, o.length);
      o.length += n;
    } else {
      this.closeOpen();
      if (n >= this.minBlock) {
        this.enqueue(block);
      } else {
        const cap = this.minBlock;
        this.open = {
          t0: block.t0,
          sampleRate: block.sampleRate,
          length: n,
          ref: new Float64Array(cap),
          deg: new Float64Array(cap),
          noisy: block.noisy ? new Float64Array(cap) : undefined,
        };
        this.open.ref.set(block.ref);
        this.open.deg.set(block.deg);
        if (block.noisy) this.open.noisy!.set(block.noisy);
        this.queuedBytes += cap * (block.noisy ? 3 : 2) * BYTES_PER_SAMPLE;
      }
    }
    this.load.wake(this);
  }

  /** Hand every queued block to the engine, then end it. Resolves once `engine.end()` has been called. */
  end(): Promise<void> {
    this.endPromise ??= new Promise<void>((resolve) => {
      this.ending = resolve;
      this.closeOpen();
      if (this.failed || !this.hasWork()) this.finish();
      else this.load.wake(this);
    });
    return this.endPromise;
  }

  /** @internal: hand one block to the engine; false when nothing is left to do, 'wait' while its worker is busy. */
  step(): boolean | 'wait' {
    if (this.failed) return false;
    if (workerBacklog(this.engine) > WORKER_IN_FLIGHT_BYTES) return 'wait';
    if (this.head === this.blocks.length) this.closeOpen();
    if (this.head === this.blocks.length) {
      if (this.ending) this.finish();
      return false;
    }
    const block = this.blocks[this.head];
    if (this.maxBlock > 0 && block.ref.length > this.maxBlock) {
      // Hand on the first slice; the rest stays at the head of the queue for the next step.
      const m = this.maxBlock;
      const part: StreamBlock = { t0: block.t0, sampleRate: block.sampleRate, ref: block.ref.subarray(0, m), deg: block.deg.subarray(0, m) };
      const rest: StreamBlock = { t0: block.t0 + m, sampleRate: block.sampleRate, ref: block.ref.subarray(m), deg: block.deg.subarray(m) };
      if (block.noisy) {
        part.noisy = block.noisy.subarray(0, m);
        rest.noisy = block.noisy.subarray(m);
      }
      this.blocks[this.head] = rest;
      this.queuedBytes -= bytesOf(part);
      return this.give(part);
    }
    this.blocks[this.head++] = undefined as unknown as StreamBlock;
    if (this.head > 64 && this.head * 2 > this.blocks.length) {
      this.blocks = this.blocks.slice(this.head);
      this.head = 0;
    }
    this.queuedBytes -= bytesOf(block);
    if (!this.give(block)) return false;
    if (this.hasWork()) return true;
    if (this.ending) this.finish();
    return false;
  }

  /** Push to the engine; false (and the queue fails) when it throws. */
  private give(block: StreamBlock): boolean {
    try {
      this.engine.push(block);
      return true;
    } catch (e) {
      this.fail(e as Error);
      return false;
    }
  }

  private hasWork(): boolean {
    return this.head < this.blocks.length || this.open !== undefined;
  }

  private enqueue(block: StreamBlock): void {
    this.blocks.push(block);
    this.queuedBytes += bytesOf(block);
  }

  private closeOpen(): void {
    const o = this.open;
    if (!o) return;
    this.open = undefined;
    this.queuedBytes -= o.ref.length * (o.noisy ? 3 : 2) * BYTES_PER_SAMPLE;
    const n = o.length;
    this.enqueue(
      o.noisy
        ? { t0: o.t0, sampleRate: o.sampleRate, ref: o.ref.subarray(0, n), deg: o.deg.subarray(0, n), noisy: o.noisy.subarray(0, n) }
        : { t0: o.t0, sampleRate: o.sampleRate, ref: o.ref.subarray(0, n), deg: o.deg.subarray(0, n) },
    );
  }

  private fail(e: Error): void {
    this.failed = true;
    this.blocks = [];
    this.head = 0;
    this.open = undefined;
    this.queuedBytes = 0;
    this.load.unregister(this);
    this.onError(e);
    this.ending?.();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const resolve = this.ending!;
    this.load.unregister(this);
    // A failed engine is still ended (its summary$ completes, or errs), so nobody waits for it forever.
    try {
      this.engine.end();
    } catch (e) {
      if (!this.failed) {
        this.failed = true;
        this.onError(e as Error);
      }
    }
    resolve();
  }
}

function bytesOf(b: StreamBlock): number {
  return b.ref.length * (b.noisy ? 3 : 2) * BYTES_PER_SAMPLE;
}
