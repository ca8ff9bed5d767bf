/**
 * Main-thread side of rendering: one worker (`render-worker.ts`) renders jobs one at a time; a job
 * that takes longer than its timeout gets the worker terminated (which also stops a worklet thread
 * stuck in a `process()` that never returns) and a fresh worker for the next job.
 */
import { Worker } from 'node:worker_threads';
import type { RenderJob, RenderReply } from './render-protocol.js';

export type RenderOutcome =
  | { type: 'rendered'; reply: Extract<RenderReply, { type: 'rendered' }> }
  | { type: 'failed'; reply: Extract<RenderReply, { type: 'failed' }> }
  | { type: 'timeout'; afterMs: number }
  | { type: 'crashed'; message: string };

/** How long a new worker may take to pick up its first job (loading modules; slow on a busy machine), ms. */
const WORKER_START_TIMEOUT_MS = 120_000;

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

  /** `onOutput` receives console output of the processor (and the engine), default: stderr. */
  constructor(private readonly onOutput: (text: string) => void = toStderr) {}

  /**
   * Render one job; never rejects: failures, timeouts and crashes are outcomes. `timeoutMs` counts
   * from the moment the worker has the job.
   */
  render(job: Omit<RenderJob, 'id'>, timeoutMs: number): Promise<RenderOutcome> {
    const worker = (this.worker ??= startWorker(this.onOutput));
    const id = this.nextId++;
    return new Promise<RenderOutcome>((resolve) => {
      let started = Date.now();
      const cleanup = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onTimeout = (): void => {
        cleanup();
        void this.discard(worker);
        resolve({ type: 'timeout', afterMs: Date.now() - started });
      };
      const onMessage = (reply: RenderReply): void => {
        if (reply.id !== id) return;
        if (reply.type === 'started') {
          clearTimeout(timer);
          started = Date.now();
          timer = setTimeout(onTimeout, timeoutMs);
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
      let timer = setTimeout(onTimeout, WORKER_START_TIMEOUT_MS + timeoutMs);
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
