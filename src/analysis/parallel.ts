/**
 * One file pair's metrics spread over threads: the main thread plans (delay, pairing) and scores one
 * share of the metric families while worker threads score the others, each reading the files itself
 * (constant memory in every thread); the families' values are merged, then the derived keys.
 * Values are identical to the single-threaded analysis (each family sees exactly the same blocks).
 *
 * It pays for long files only: a worker costs ~30–60 ms to start (module loading), so short files
 * and in-memory signals stay on one thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EarshotError, type ErrorCode } from '../errors.js';
import { selectMetrics, type MetricFamily } from '../metrics/registry.js';
import type { ReferenceFreeMetrics } from '../metrics/reference-free/types.js';
import { finishAnalysis, planAnalysis, scoreAligned, type AnalysisPlan, type AnalyzeOptions, type ScoredFamilies, type SourceAnalysis } from './analyze.js';
import { openInputs } from './load-inputs.js';
import type { ScoreJob, ScoreReply } from './score-worker.js';

/** Shortest scored signal (s) for which a second thread is started by default. */
export const PARALLEL_MIN_SEC = 20;

/**
 * Relative cost of each family per second of audio (measured on 16 kHz speech, `npm run bench`), for
 * a greedy split into equal shares. Families not listed cost little.
 */
const FAMILY_COST: Partial<Record<MetricFamily, number>> = {
  'sepm-spectral': 10,
  llr: 8,
  stoi: 10,
  pesq: 10,
  pmsqe: 4,
  spectral: 4,
  features: 4,
  cisdr: 4,
  'reference-free': 3,
  segsnr: 1,
  energy: 0.5,
  sisdr: 0.5,
  wsdr: 0.5,
};

/** Split families into `n` shares of about equal cost (largest first, each to the lightest share). */
export function splitFamilies(families: Iterable<MetricFamily>, n: number): MetricFamily[][] {
  const shares = Array.from({ length: n }, () => ({ cost: 0, families: [] as MetricFamily[] }));
  const sorted = [...families].sort((a, b) => (FAMILY_COST[b] ?? 0.5) - (FAMILY_COST[a] ?? 0.5));
  for (const f of sorted) {
    const lightest = shares.reduce((a, b) => (b.cost < a.cost ? b : a));
    lightest.families.push(f);
    lightest.cost += FAMILY_COST[f] ?? 0.5;
  }
  return shares.map((s) => s.families).filter((f) => f.length > 0);
}

function startWorker(job: ScoreJob): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // From the sources (tests, tsx) the worker registers tsx's loader to run the TypeScript module.
    const url = new URL('./score-worker.ts', here).href;
    return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); });`, { eval: true, workerData: job });
  }
  return new Worker(new URL('./score-worker.js', here), { workerData: job });
}

function runWorker(job: ScoreJob): Promise<ScoredFamilies> {
  return new Promise((resolve, reject) => {
    const w = startWorker(job);
    let settled = false;
    w.once('message', (r: ScoreReply) => {
      settled = true;
      if (r.ok) resolve(r.scored);
      else reject(r.code ? new EarshotError(r.code as ErrorCode, r.message) : new Error(r.message));
      void w.terminate();
    });
    w.once('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    w.once('exit', (code) => {
      if (!settled) reject(new Error(`metric worker exited with code ${code} before answering`));
      settled = true;
    });
  });
}

/** Merge the shares' values: each pair's keys from every share, the reference-free values from the one that has them. */
function merge(parts: ScoredFamilies[]): ScoredFamilies {
  const pairs = parts[0].pairs.map((_, k) => Object.assign({}, ...parts.map((p) => p.pairs[k])));
  const referenceFree: ReferenceFreeMetrics[] | null = parts.find((p) => p.referenceFree !== null)?.referenceFree ?? null;
  return { pairs, referenceFree };
}

export interface ParallelOptions extends AnalyzeOptions {
  /** Threads in all (main included); default: the available cores, for files of at least PARALLEL_MIN_SEC. */
  threads?: number;
}

/** `earshot analyze` of files, spread over threads where it pays (see the module comment). */
export async function analyzeFilesParallel(files: ScoreJob['files'], channel: number, options: ParallelOptions = {}): Promise<SourceAnalysis & { notesIn: string[]; threads: number }> {
  const { threads: asked, ...analyzeOptions } = options;
  const selection = selectMetrics(analyzeOptions.metrics);
  const input = openInputs(files, channel);
  try {
    const planned = planAnalysis(input, analyzeOptions, selection);
    if ('report' in planned) return { ...planned, notesIn: input.notes, threads: 1 };
    const plan: AnalysisPlan = planned;
    const wanted = asked ?? (plan.length / plan.sampleRate >= PARALLEL_MIN_SEC ? availableParallelism() : 1);
    const shares = splitFamilies(selection.families, Math.max(1, Math.min(wanted, 8)));
    if (shares.length <= 1) return { ...finishAnalysis(plan, scoreAligned(input, plan, selection.families, analyzeOptions), selection), notesIn: input.notes, threads: 1 };
    const [mine, ...theirs] = shares;
    const workers = theirs.map((families) => runWorker({ files, channel, plan, families, options: analyzeOptions }));
    // Failures in a worker surface when awaited below; the main thread's share runs meanwhile.
    workers.forEach((p) => p.catch(() => undefined));
    const own = scoreAligned(input, plan, new Set(mine), analyzeOptions);
    const parts = [own, ...(await Promise.all(workers))];
    return { ...finishAnalysis(plan, merge(parts), selection), notesIn: input.notes, threads: shares.length };
  } finally {
    input.close();
  }
}
