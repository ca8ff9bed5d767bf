/**
 * Worker-thread side of `analyzeFilesParallel` (parallel.ts): opens the same files as soon as it starts,
 * waits for the main thread's plan (delay, pairing: one `PlanMessage`), then scores its share of the
 * metric families and answers once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MetricFamily } from '../metrics/registry.js';
import { scoreAligned, type AnalysisPlan, type AnalyzeOptions, type ScoredFamilies } from './analyze.js';
import { openInputs } from './load-inputs.js';

export interface ScoreJob {
  files: { refs: string[]; degs: string[]; noisy?: string };
  channel: number;
  families: MetricFamily[];
  options: AnalyzeOptions;
}

/** The plan, sent once it is made; null: not needed after all (close the files and end). */
export interface PlanMessage {
  plan: AnalysisPlan | null;
}

export type ScoreReply = { ok: true; scored: ScoredFamilies } | { ok: false; message: string; code?: string };

const failure = (e: unknown): ScoreReply => ({ ok: false, message: (e as Error).message, code: (e as { code?: string }).code });

if (parentPort && workerData) {
  const port = parentPort;
  const job = workerData as ScoreJob;
  let input: ReturnType<typeof openInputs> | null = null;
  let opened: ScoreReply | null = null;
  try {
    input = openInputs(job.files, job.channel);
  } catch (e) {
    opened = failure(e);
  }
  port.once('message', ({ plan }: PlanMessage) => {
    if (!plan) {
      input?.close();
      port.close();
      return;
    }
    let reply: ScoreReply;
    if (opened || !input) reply = opened!;
    else {
      try {
        reply = { ok: true, scored: scoreAligned(input, plan, new Set(job.families), job.options) };
      } catch (e) {
        reply = failure(e);
      } finally {
        input.close();
      }
    }
    port.postMessage(reply);
    port.close();
  });
}
