/**
 * Main-thread side of rendering: one worker (`render-worker.ts`) renders jobs one at a time; a job
 * that stops making progress gets the worker terminated (which also stops a worklet thread stuck in
 * a `process()` that never returns) and a fresh worker for the next job.
 *
 * Progress is what the watchdog (`RenderWatchdog`) watches, not the total time: each step of the
 * worker's set-up, each captured block, and each `process()` call the timing wrapper counts in the
 * shared rig buffer. A render is abandoned when nothing has moved for the stall allowance: the
 * `--timeout`, or STALL_FACTOR times the measured time per quantum if that is longer. So a slow
 * render on a loaded machine (or a processor that costs seconds per quantum) runs to the end, and a
 * `process()` that never returns is caught after the allowance.
 */
import { Worker } from 'node:worker_threads';
import type { RenderJob, RenderReply } from './render-protocol.js';
import { I_CALLS } from './worklet-wrapper.js';

export type RenderOutcome =
  | { type: 'rendered'; reply: Extract<RenderReply, { type: 'rendered' }> }
  | { type: 'failed'; reply: Extract<RenderReply, { type: 'failed' }> }
  | { type: 'timeout'; afterMs: number; stalledMs: number; allowanceMs: number; msPerQuantum: number | null }
  | { type: 'crashed'; message: string };

/** How long a new worker may take to pick up its first job (loading modules; slow on a busy machine), ms. */
const WORKER_START_TIMEOUT_MS = 120_000;
/** How often the watchdog looks at the progress counters, ms. */
const POLL_MS = 100;
/** A stall may last this many times the measured mean time per quantum (when that exceeds the timeout). */
export const STALL_FACTOR = 50;
/** Quanta to measure before the render's speed counts (the first ones pay for start-up and JIT). */
export const MIN_QUANTA_FOR_SPEED = 32;

/**
 * Decides when a render has stopped making progress. Pure: the caller passes the time (an injected
 * clock in tests) and the progress count (monotonic: quanta processed, plus set-up steps and
 * captured blocks).
 */
export class RenderWatchdog {
  private lastProgressAt: number;
  private lastUnits = -1;
  private firstQuantumAt: number | null = null;
  private firstQuanta = 0;
  private quanta = 0;
  private quantaAt = 0;

  /** `stallMs`: the allowance when the render's own speed does not call for a longer one. */
  constructor(
    private readonly stallMs: number,
    now: number,
    private readonly factor = STALL_FACTOR,
  ) {
    this.lastProgressAt = now;
  }

  /** Report the progress counters: `units` (anything that moved) and `quanta` (process() calls). */
  observe(now: number, units: number, quanta: number): void {
    if (units !== this.lastUnits) {
      this.lastUnits = units;
      this.lastProgressAt = now;
    }
    if (quanta > this.quanta) {
      if (this.firstQuantumAt === null) {
        this.firstQuantumAt = now;
        this.firstQuanta = quanta;
      }
      this.quanta = quanta;
      this.quantaAt = now;
    }
  }

  /** Mean time per quantum measured so far, ms (null: fewer than MIN_QUANTA_FOR_SPEED quanta measured). */
  msPerQuantum(): number | null {
    if (this.firstQuantumAt === null || this.quanta - this.firstQuanta < MIN_QUANTA_FOR_SPEED) return null;
    return (this.quantaAt - this.firstQuantumAt) / (this.quanta - this.firstQuanta);
  }

  /** The stall allowance now, ms. */
  allowanceMs(): number {
    const per = this.msPerQuantum();
    return per === null ? this.stallMs : Math.max(this.stallMs, this.factor * per);
  }

  /** How long nothing has moved, ms. */
  stalledMs(now: number): number {
    return now - this.lastProgressAt;
  }

  expired(now: number): boolean {
    return this.stalledMs(now) > this.allowanceMs();
  }
}

/**
 * Start the render worker. From the sources (tests, `tsx`), the worker registers tsx's loader to
 * run the TypeScript module; from the build it runs `render-worker.js` directly.
 */
function startWorker(onOutput: (text: string) => void): Worker {
  const here = import.meta.url;
  // stdout/stderr of the worker (and of the worklet threads it starts: the processor's console.log)
  // are captured, so that nothing but the report reaches our stdout (--json stays parseable).
  const io = { stdout: true, stderr: true };
  let worker: Worker;
  if (here.endsWith('.ts')) {
    const url = new URL('./render-worker.ts', here).href;
    const code = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
    worker = new Worker(code, { eval: true, ...io });
  } else {
    worker = new Worker(new URL('./render-worker.js', here), io);
  }
  worker.stdout.setEncoding('utf8').on('data', onOutput);
  worker.stderr.setEncoding('utf8').on('data', onOutput);
  return worker;
}

/** Default sink for the worklets' console output: our stderr, each line marked. */
function toStderr(text: string): void {
  process.stderr.write(markLines(text));
}

/** Prefix every line of worklet console output with "earshot rig: worklet: ". */
export function markLines(text: string): string {
  return text.replace(/[^\n]+/g, (line) => `earshot rig: worklet: ${line}`);
}

export class Renderer {
  private worker: Worker | null = null;
  private nextId = 1;

  /**
   * `onOutput` receives console output of the processor (and the engine), default: stderr; `clock`
   * is the watchdog's time in ms (injectable).
   */
  constructor(
    private readonly onOutput: (text: string) => void = toStderr,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /**
   * Render one job; never rejects: failures, timeouts and crashes are outcomes. `stallMs` is the
   * watchdog's allowance (see `RenderWatchdog`), counted from the moment the worker has the job.
   */
  render(job: Omit<RenderJob, 'id'>, stallMs: number): Promise<RenderOutcome> {
    const worker = (this.worker ??= startWorker(this.onOutput));
    const id = this.nextId++;
    const calls = new Int32Array(job.rigBuffer, 0, I_CALLS + 1);
    return new Promise<RenderOutcome>((resolve) => {
      let started = this.clock();
      let watchdog: RenderWatchdog | null = null;
      let steps = 0;
      let poll: ReturnType<typeof setInterval> | undefined;
      const cleanup = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onTimeout = (stalledMs: number, allowanceMs: number, msPerQuantum: number | null): void => {
        cleanup();
        void this.discard(worker);
        resolve({ type: 'timeout', afterMs: this.clock() - started, stalledMs, allowanceMs, msPerQuantum });
      };
      const check = (): void => {
        if (watchdog === null) return;
        const now = this.clock();
        const quanta = Atomics.load(calls, I_CALLS);
        watchdog.observe(now, steps + quanta, quanta);
        if (watchdog.expired(now)) onTimeout(watchdog.stalledMs(now), watchdog.allowanceMs(), watchdog.msPerQuantum());
      };
      const onMessage = (reply: RenderReply): void => {
        if (reply.id !== id) return;
        if (reply.type === 'started') {
          clearTimeout(timer);
          started = this.clock();
          watchdog = new RenderWatchdog(stallMs, started);
          poll = setInterval(check, POLL_MS);
          return;
        }
        if (reply.type === 'progress') {
          steps++;
          check();
          return;
        }
        cleanup();
        if (reply.type === 'rendered') resolve({ type: 'rendered', reply });
        else {
          // A failed job may leave a context (and its worklet thread) behind: start afresh.
          void this.discard(worker);
          resolve({ type: 'failed', reply });
        }
      };
      const onError = (e: Error): void => {
        cleanup();
        void this.discard(worker);
        resolve({ type: 'crashed', message: e.message });
      };
      const onExit = (code: number): void => {
        cleanup();
        if (this.worker === worker) this.worker = null;
        resolve({ type: 'crashed', message: `render worker exited with code ${code}` });
      };
      // Until the worker has the job (it may still be booting): a fixed allowance.
      let timer = setTimeout(() => onTimeout(this.clock() - started, WORKER_START_TIMEOUT_MS + stallMs, null), WORKER_START_TIMEOUT_MS + stallMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ ...job, id });
    });
  }

  /** Stop the worker (and any worklet thread it holds). */
  async close(): Promise<void> {
    if (this.worker) await this.discard(this.worker);
  }

  private async discard(worker: Worker): Promise<void> {
    if (this.worker === worker) this.worker = null;
    await worker.terminate();
  }
}
