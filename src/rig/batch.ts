/**
 * Batch mode of the rig: every clean file × every noise file × every SNR, one render each; per-file
 * rows, then means per SNR over the files, one budget over every timed quantum, one verdict (metric
 * gates apply to the per-SNR means).
 */
import { basename } from 'node:path';
import { atRate, readMono, snrLabel } from './inputs.js';
import { scoredKeys } from './keys.js';
import { concatFloat64, mixAtSnr, quantumStats, type QuantumStats } from './mix.js';
import type { Renderer } from './renderer.js';
import {
  FATAL,
  RENDER_QUANTUM,
  mergeProblems,
  mergeWarnings,
  overallDelay,
  runChecks,
  runConditions,
  verdictOf,
  conditionJson,
  type ConditionResult,
  type MetricJson,
  type Problem,
  type RigResult,
  type RigSetup,
} from './run.js';
import type { CheckResult } from './thresholds.js';

export interface BatchItem {
  clean: string;
  noise: string;
  conditions: ConditionResult[];
}

export interface BatchSummaryRow {
  snr: number;
  label: string;
  /** File pairs scored at this SNR. */
  n: number;
  noisy: MetricJson;
  processed: MetricJson;
  delta: Record<string, number | null>;
}

export interface BatchResult {
  processor: string;
  name: string | null;
  options: Record<string, unknown>;
  sampleRate: number;
  quantumMs: number;
  quantumBudget: number;
  cleanFiles: string[];
  noiseFiles: string[];
  snrs: number[];
  items: BatchItem[];
  summary: BatchSummaryRow[];
  delaySamples: number | null;
  delayMs: number | null;
  delayConstant: boolean | null;
  quantum: QuantumStats;
  durations: Float64Array;
  problems: Problem[];
  /** Distinct warnings over every render. */
  warnings: string[];
  checks: CheckResult[];
  verdict: RigResult['verdict'];
  exitCode: number;
  /** Set when a fatal problem stopped the batch early. */
  stoppedEarly: boolean;
}

export type ProgressFn = (done: number, total: number, label: string) => void;

function mean(values: number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/** Per-SNR means of noisy, processed and delta over the rendered items. */
export function summarizeBySnr(items: BatchItem[], snrs: number[]): BatchSummaryRow[] {
  return snrs.map((snr) => {
    const rows = items.flatMap((it) => it.conditions.filter((c) => c.snr === snr && c.processed !== null));
    const pick = (get: (c: ConditionResult) => unknown) => mean(rows.map(get).filter((v): v is number => typeof v === 'number'));
    const noisy: MetricJson = {};
    const processed: MetricJson = {};
    const delta: Record<string, number | null> = {};
    for (const { key: k } of scoredKeys()) {
      noisy[k] = pick((c) => c.noisy?.[k]);
      processed[k] = pick((c) => c.processed?.[k]);
      delta[k] = pick((c) => c.delta?.[k]);
    }
    return { snr, label: snrLabel(snr), n: rows.length, noisy, processed, delta };
  });
}

export async function runBatch(
  renderer: Renderer,
  setup: RigSetup,
  files: { cleanFiles: string[]; noiseFiles: string[]; snrs: number[]; rate?: number },
  notes: string[],
  progress?: ProgressFn,
): Promise<BatchResult> {
  const { cleanFiles, noiseFiles, snrs } = files;
  const total = cleanFiles.length * noiseFiles.length * snrs.length;
  // One rate for the whole batch (shares of the quantum must be comparable): --rate or the first file's.
  const first = readMono(cleanFiles[0], notes);
  const sampleRate = files.rate ?? first.sampleRate;
  const noises = new Map<string, Float64Array>();
  const items: BatchItem[] = [];
  let name: string | null = setup.name ?? null;
  let done = 0;
  let stoppedEarly = false;
  for (const cleanPath of cleanFiles) {
    const clean = atRate(cleanPath === first.path ? first : readMono(cleanPath, notes), sampleRate, notes);
    for (const noisePath of noiseFiles) {
      let noise = noises.get(noisePath);
      if (noise === undefined) {
        noise = atRate(readMono(noisePath, notes), sampleRate, notes);
        noises.set(noisePath, noise);
      }
      const n = noise;
      const label = `${basename(cleanPath)} + ${basename(noisePath)}`;
      const run = await runConditions(
        renderer,
        setup,
        { sampleRate, clean, conditions: snrs.map((snr) => ({ snr, label: snrLabel(snr), noisy: mixAtSnr(clean, n, snr).noisy })) },
        (i, _count, condition) => progress?.(done + i, total, `${label} at ${condition}`),
      );
      done += snrs.length;
      if (run.name) name = run.name;
      items.push({ clean: cleanPath, noise: noisePath, conditions: run.conditions });
      if (run.conditions.some((c) => c.problems.some((p) => FATAL.includes(p.kind)))) {
        stoppedEarly = true;
        break;
      }
    }
    if (stoppedEarly) break;
  }
  progress?.(Math.min(done, total), total, stoppedEarly ? 'stopped' : 'done');

  const all = items.flatMap((it) => it.conditions);
  const quantumMs = (1000 * RENDER_QUANTUM) / sampleRate;
  const durations = concatFloat64(all.map((c) => c.durations));
  const quantum = quantumStats(durations, quantumMs, setup.quantumBudget);
  const { delaySamples, delayConstant } = overallDelay(all);
  const delayMs = delaySamples === null ? null : (1000 * delaySamples) / sampleRate;
  const summary = summarizeBySnr(items, snrs);
  const problems = mergeProblems(
    items.flatMap((it) => it.conditions.map((c) => ({ label: `${basename(it.clean)} + ${basename(it.noise)} at ${c.label}`, problems: c.problems }))),
  );
  const checks = runChecks(setup, summary, { delaySamples, delayMs, quantum });
  if (stoppedEarly) notes.push(`stopped after ${done} of ${total} renders: the processor cannot run`);
  return {
    processor: setup.processor,
    name,
    options: setup.options,
    sampleRate,
    quantumMs,
    quantumBudget: setup.quantumBudget,
    cleanFiles,
    noiseFiles,
    snrs,
    items,
    summary,
    delaySamples,
    delayMs,
    delayConstant,
    quantum,
    durations,
    problems,
    warnings: mergeWarnings(all),
    checks,
    ...verdictOf(problems, checks),
    stoppedEarly,
  };
}

export function batchJson(b: BatchResult): Record<string, unknown> {
  return {
    mode: 'batch',
    processor: b.processor,
    name: b.name,
    options: b.options,
    sampleRate: b.sampleRate,
    quantumMs: b.quantumMs,
    quantumBudget: b.quantumBudget,
    delaySamples: b.delaySamples,
    delayMs: b.delayMs,
    delayConstant: b.delayConstant,
    quantum: b.quantum,
    conditions: b.summary,
    items: b.items.map((it) => ({ clean: it.clean, noise: it.noise, conditions: it.conditions.map(conditionJson) })),
    problems: b.problems,
    warnings: b.warnings,
    checks: b.checks,
    verdict: b.verdict,
    exitCode: b.exitCode,
    stoppedEarly: b.stoppedEarly,
  };
}

/** Status of one rendered condition for the per-file table. */
export function conditionStatus(c: ConditionResult): string {
  if (c.problems.length) return c.problems.map((p) => p.kind).join(', ');
  if (c.quantum && c.quantum.overruns > 0) return `${c.quantum.overruns} overrun${c.quantum.overruns === 1 ? '' : 's'}`;
  return 'ok';
}
