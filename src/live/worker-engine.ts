/**
 * Live engine sessions in worker threads, so one server uses several cores and a costly refresh in
 * one session never stalls the event loop that serves ingest and the feed (design.md §5). The factory
 * has the `LiveEngineFactory` shape; sessions are spread round-robin over a fixed pool. Samples come
 * back one batch per pushed block, in order; the summary arrives after `end()` (asynchronously).
 * Every push is acknowledged, so `backlogBytes` says how much audio a session has waiting in its
 * worker (the server's ingest budget reads it: src/server/engine-queue.ts).
 */
import { Worker } from 'node:worker_threads';
import { Subject } from 'rxjs';
import type { StreamBlock } from '../stream/types.js';
import type { FromWorker, ToWorker } from './engine-worker.js';
import type { DelayEvent, LiveEngineFactory, LiveEngineOptions, LiveEngineSession, MetricSample, SpectrumColumn, SummaryRecord } from './types.js';

function startWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // From the sources (tests, tsx) the worker registers tsx's loader to run the TypeScript module.
    const url = new URL('./engine-worker.ts', here).href;
    return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); });`, { eval: true });
  }
  return new Worker(new URL('./engine-worker.js', here));
}

class WorkerSession implements LiveEngineSession {
  readonly id: string;
  readonly sampleRate: number;
  readonly samples$ = new Subject<MetricSample>();
  readonly delays$ = new Subject<DelayEvent>();
  readonly summary$ = new Subject<SummaryRecord>();
  readonly spectra$ = new Subject<SpectrumColumn>();
  private ended = false;
  /** Bytes of each push not yet acknowledged by the worker, oldest first. */
  private readonly inFlight: number[] = [];
  private inFlightHead = 0;
  private inFlightBytes = 0;

  constructor(
    private readonly worker: Worker,
    options: LiveEngineOptions,
  ) {
    this.id = options.id;
    this.sampleRate = options.sampleRate;
    worker.postMessage({ type: 'open', id: this.id, options } satisfies ToWorker);
  }

  push(block: StreamBlock): void {
    if (this.ended) throw new Error(`session ${this.id} has ended`);
    // Copies: the caller may reuse its arrays; the copies' buffers move to the worker without copying again.
    const ref = block.ref.slice();
    const deg = block.deg.slice();
    const noisy = block.noisy?.slice();
    const transfer = [ref.buffer, deg.buffer, ...(noisy ? [noisy.buffer] : [])] as ArrayBuffer[];
    const bytes = ref.byteLength + deg.byteLength + (noisy?.byteLength ?? 0);
    this.inFlight.push(bytes);
    this.inFlightBytes += bytes;
    this.worker.postMessage({ type: 'push', id: this.id, block: { t0: block.t0, sampleRate: block.sampleRate, ref, deg, noisy } } satisfies ToWorker, transfer);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.worker.postMessage({ type: 'end', id: this.id } satisfies ToWorker);
  }

  /** Bytes of audio pushed to the worker and not yet processed by it. */
  get backlogBytes(): number {
    return this.inFlightBytes;
  }

  /** @internal */
  receive(m: FromWorker): void {
    if (m.type === 'pushed') {
      this.inFlightBytes -= this.inFlight[this.inFlightHead++] ?? 0;
      if (this.inFlightHead > 1024) {
        this.inFlight.splice(0, this.inFlightHead);
        this.inFlightHead = 0;
      }
      this.deliver(m.samples, m.spectra);
    } else if (m.type === 'samples') this.deliver(m.samples, m.spectra);
    else if (m.type === 'delay') this.delays$.next(m.event as DelayEvent);
    else if (m.type === 'summary') {
      this.summary$.next(m.summary as SummaryRecord);
      this.spectra$.complete();
      this.samples$.complete();
      this.delays$.complete();
      this.summary$.complete();
    } else this.fail(new Error(m.message));
  }

  private deliver(samples: MetricSample[], spectra: SpectrumColumn[]): void {
    for (const s of samples) this.samples$.next(s);
    for (const c of spectra) this.spectra$.next(c);
  }

  /** @internal */
  fail(e: Error): void {
    this.inFlight.length = 0;
    this.inFlightHead = 0;
    this.inFlightBytes = 0;
    this.spectra$.error(e);
    this.samples$.error(e);
    this.delays$.error(e);
    this.summary$.error(e);
  }
}

export interface WorkerEngineFactory {
  factory: LiveEngineFactory;
  /** Stop the workers (sessions still running end with an error). */
  close(): Promise<void>;
}

/** A pool of `workers` threads running live engine sessions. */
export function createWorkerEngineFactory(workers: number): WorkerEngineFactory {
  const pool = Array.from({ length: Math.max(1, Math.floor(workers)) }, startWorker);
  const sessions = new Map<string, WorkerSession>();
  for (const w of pool) {
    w.on('message', (m: FromWorker) => {
      const s = sessions.get(m.id);
      if (!s) return;
      s.receive(m);
      if (m.type === 'summary' || m.type === 'error') sessions.delete(m.id);
    });
    w.on('error', (e) => {
      for (const s of sessions.values()) s.fail(e);
      sessions.clear();
    });
    w.unref();
  }
  let next = 0;
  return {
    factory: (options) => {
      const s = new WorkerSession(pool[next++ % pool.length], options);
      sessions.set(options.id, s);
      return s;
    },
    close: async () => {
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
