/**
 * Worker-thread side of `createWorkerEngineFactory` (worker-engine.ts): runs live engine sessions
 * for the main thread. Messages in: open / push / end; out: pushed (one per push, acknowledging it,
 * with the samples it produced), samples (the ones `end()` flushes), delay, summary, error. One worker
 * serves many sessions.
 */
import { parentPort } from 'node:worker_threads';
import { createLiveEngineSession } from './engine.js';
import type { LiveEngineOptions, LiveEngineSession, MetricSample, SpectrumColumn } from './types.js';
import type { StreamBlock } from '../stream/types.js';

export type ToWorker =
  | { type: 'open'; id: string; options: LiveEngineOptions }
  | { type: 'push'; id: string; block: StreamBlock }
  | { type: 'end'; id: string };

export type FromWorker =
  | { type: 'pushed'; id: string; samples: MetricSample[]; spectra: SpectrumColumn[] }
  | { type: 'samples'; id: string; samples: MetricSample[]; spectra: SpectrumColumn[] }
  | { type: 'delay'; id: string; event: unknown }
  | { type: 'summary'; id: string; summary: unknown }
  | { type: 'error'; id: string; message: string };

const port = parentPort;
if (port) {
  // Samples and spectrogram columns ride on the acknowledgement of the push that produced them.
  const sessions = new Map<string, { engine: LiveEngineSession; pending: MetricSample[]; spectra: SpectrumColumn[] }>();
  const flush = (id: string) => {
    const s = sessions.get(id);
    if (s && (s.pending.length || s.spectra.length)) {
      port.postMessage({ type: 'samples', id, samples: s.pending, spectra: s.spectra } satisfies FromWorker);
      s.pending = [];
      s.spectra = [];
    }
  };
  port.on('message', (m: ToWorker) => {
    try {
      if (m.type === 'open') {
        const engine = createLiveEngineSession(m.options);
        const entry = { engine, pending: [] as MetricSample[], spectra: [] as SpectrumColumn[] };
        sessions.set(m.id, entry);
        engine.samples$.subscribe((s) => entry.pending.push(s));
        engine.spectra$?.subscribe((c) => entry.spectra.push(c));
        engine.delays$.subscribe((event) => port.postMessage({ type: 'delay', id: m.id, event } satisfies FromWorker));
        engine.summary$.subscribe((summary) => {
          flush(m.id);
          port.postMessage({ type: 'summary', id: m.id, summary } satisfies FromWorker);
        });
        return;
      }
      const s = sessions.get(m.id);
      if (!s) throw new Error(`no session ${m.id} in this worker`);
      if (m.type === 'push') {
        s.engine.push(m.block);
        port.postMessage({ type: 'pushed', id: m.id, samples: s.pending, spectra: s.spectra } satisfies FromWorker);
        s.pending = [];
        s.spectra = [];
      } else {
        s.engine.end();
        sessions.delete(m.id);
      }
    } catch (e) {
      port.postMessage({ type: 'error', id: m.id, message: (e as Error).message } satisfies FromWorker);
    }
  });
}
