/**
 * Worker-thread side of `analyzeFilesParallel` (parallel.ts): opens the same files, follows the main
 * thread's plan (delay, pairing) and scores its share of the metric families.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MetricFamily } from '../metrics/registry.js';
import { scoreAligned, type AnalysisPlan, type AnalyzeOptions, type ScoredFamilies } from './analyze.js';
import { openInputs } from './load-inputs.js';

export interface ScoreJob {
  files: { refs: string[]; degs: string[]; noisy?: string };
  channel: number;
  plan: AnalysisPlan;
  families: MetricFamily[];
  options: AnalyzeOptions;
}

export type ScoreReply = { ok: true; scored: ScoredFamilies } | { ok: false; message: string; code?: string };

if (parentPort && workerData) {
  const job = workerData as ScoreJob;
  let reply: ScoreReply;
  try {
    const input = openInputs(job.files, job.channel);
    try {
      reply = { ok: true, scored: scoreAligned(input, job.plan, new Set(job.families), job.options) };
    } finally {
      input.close();
    }
  } catch (e) {
    reply = { ok: false, message: (e as Error).message, code: (e as { code?: string }).code };
  }
  parentPort.postMessage(reply);
}
