/**
 * One file pair's metrics spread over threads: the main thread plans (delay, pairing) and scores one
 * share of the metric families while worker threads score the others, each reading the files itself
 * (constant memory in every thread); the families' values are merged, then the derived keys.
 * Values are identical to the single-threaded analysis (each family sees exactly the same blocks).
 *
 * The workers are started before the plan, from the files' lengths, so that their start (module
 * loading, opening the files: 100–200 ms on a cold process) overlaps the main thread's alignment
 * instead of following it; they wait for the plan, then score. It pays for long files only, so short
 * files and in-memory signals stay on one thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EarshotError, type ErrorCode } from '../errors.js';
import { selectMetrics, type MetricFamily } from '../metrics/registry.js';
import type { ReferenceFreeMetrics } from '../metrics/reference-free/types.js';
import { finishAnalysis, planAnalysis, scoreAligned, type AnalysisPlan, type AnalyzeOptions, type ScoredFamilies, type SourceAnalysis } from './analyze.js';
import { openInputs } from './load-inputs.js';
import type { PlanMessage, ScoreJob, ScoreReply } from './score-worker.js';

/** Shortest input (s; the shortest of the files) for which a second thread is started by default. */
export const PARALLEL_MIN_SEC = 20;

/**
 * Relative cost of each family (ms per second of 16 kHz speech, each family alone on a 60 s corpus pair,
 * in-process, warm), for a greedy split into equal shares. Families not listed (derived ones) cost
 * nothing of their own. Remeasure when a family's kernels change: an unequal split leaves a core idle.
 */
export const FAMILY_COST: Partial<Record<MetricFamily, number>> = {
  'sepm-spectral': 6.9,
  stoi: 6.1,
  pesq: 5.7,
  llr: 3.5,
  features: 3.1,
  pmsqe: 2.5,
  spectral: 2.2,
  cisdr: 2.0,
  'reference-free': 1.4,
  segsnr: 0.5,
  energy: 0.1,
  sisdr: 0.1,
  wsdr: 0.1,
  sasdr: 0.1,
};

/** Split families into `n` shares of about equal cost (largest first, each to the lightest share). */
export function splitFamilies(families: Iterable<MetricFamily>, n: number): MetricFamily[][] {
  const shares = Array.from({ length: n }, () => ({ cost: 0, families: [] as MetricFamily[] }));
  const cost = (f: MetricFamily) => FAMILY_COST[f] ?? 0;
  const sorted = [...families].sort((a, b) => cost(b) - cost(a));
  for (const f of sorted) {
    const lightest = shares.reduce((a, b) => (b.cost < a.cost ? b : a));
    lightest.families.push(f);
    lightest.cost += cost(f);
  }
  // A share of derived families only (no cost of its own) is not worth a thread: they join the first.
  const real = shares.filter((s) => s.cost > 0);
  for (const s of shares) if (s.cost === 0 && s.families.length && real.length) real[0].families.push(...s.families);
  return (real.length ? real : shares).map((s) => s.families).filter((f) => f.length > 0);
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

/** A started worker: `score(plan)` sends it the plan and resolves to its share; `stop()` ends it unasked. */
interface ShareWorker {
  score(plan: AnalysisPlan): Promise<ScoredFamilies>;
  stop(): void;
}

function shareWorker(job: ScoreJob): ShareWorker {
  const w = startWorker(job);
  let settled = false;
  let fail: Error | null = null;
  let answer: ((r: ScoreReply) => void) | null = null;
  let failed: ((e: Error) => void) | null = null;
  const settle = (e: Error) => {
    if (settled) return;
    settled = true;
    fail = e;
    failed?.(e);
  };
  w.once('message', (r: ScoreReply) => {
    if (settled) return;
    settled = true;
    answer?.(r);
    void w.terminate();
  });
  w.once('error', (e) => settle(e));
  w.once('exit', (code) => settle(new Error(`metric worker exited with code ${code} before answering`)));
  return {
    score(plan) {
      return new Promise((resolve, reject) => {
        if (fail) return reject(fail);
        answer = (r) => (r.ok ? resolve(r.scored) : reject(r.code ? new EarshotError(r.code as ErrorCode, r.message) : new Error(r.message)));
        failed = reject;
        w.postMessage({ plan } satisfies PlanMessage);
      });
    },
    stop() {
      // Not yet asked: it closes its files and ends. Asked and still scoring (this thread failed): it
      // is terminated, as its answer is not wanted.
      if (!answer) w.postMessage({ plan: null } satisfies PlanMessage);
      else if (!settled) void w.terminate();
      settled = true;
    },
  };
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
  let workers: ShareWorker[] = [];
  try {
    // The split is decided before the plan, from the inputs' lengths (the scored span is at most the
    // shortest), so that the workers start while this thread plans. No reference: nothing to split.
    const shortest = Math.min(...[...input.refs, ...input.degs].map((s) => s.length)) / input.sampleRate;
    const wanted = input.refs.length === 0 ? 1 : (asked ?? (shortest >= PARALLEL_MIN_SEC ? availableParallelism() : 1));
    const shares = splitFamilies(selection.families, Math.max(1, Math.min(wanted, 8)));
    const [mine, ...theirs] = shares;
    workers = theirs.map((families) => shareWorker({ files, channel, families, options: analyzeOptions }));
    const planned = planAnalysis(input, analyzeOptions, selection);
    if ('report' in planned) return { ...planned, notesIn: input.notes, threads: 1 };
    const plan: AnalysisPlan = planned;
    if (workers.length === 0) return { ...finishAnalysis(plan, scoreAligned(input, plan, selection.families, analyzeOptions), selection), notesIn: input.notes, threads: 1 };
    const scoring = workers.map((w) => w.score(plan));
    // Failures in a worker surface when awaited below; the main thread's share runs meanwhile.
    scoring.forEach((p) => p.catch(() => undefined));
    const own = scoreAligned(input, plan, new Set(mine), analyzeOptions);
    const parts = [own, ...(await Promise.all(scoring))];
    workers = [];
    return { ...finishAnalysis(plan, merge(parts), selection), notesIn: input.notes, threads: shares.length };
  } finally {
    // Workers not asked, or still running when this thread failed, are stopped.
    for (const w of workers) w.stop();
    input.close();
  }
}
