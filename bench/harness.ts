/**
 * Tiny benchmark harness: warm the JIT, then report the median of several timed runs, of a function
 * or of a whole child process. The machines are shared and noisy, so results are medians and
 * ratios, never pass/fail limits.
 */
import { spawnSync } from 'node:child_process';

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
}

export function time(fn: () => void, { warmup = 2, runs = 7 } = {}): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), runs };
}

export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNum(c) : c)));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r, j) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ') + (j === 0 ? `\n${widths.map((w) => '─'.repeat(w)).join('  ')}` : '')).join('\n');
}

function formatNum(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 100) return v.toFixed(1);
  if (Math.abs(v) >= 0.01) return v.toFixed(3);
  return v.toExponential(2);
}

/** Median of a non-empty list (the upper middle one for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export interface ProcessRun {
  /** Wall time from spawn to exit, ms. */
  ms: number;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (spawnSync) and time it; a non-zero exit throws with its stderr. */
export function runProcess(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): ProcessRun {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env: o.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: o.timeoutMs ?? 600_000 });
  const ms = performance.now() - t0;
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return { ms, stdout: r.stdout, stderr: r.stderr };
}

/** Whole-process timing: `warmup` untimed runs (disk cache, compile cache), then the median of `runs`. */
export function timeProcess(cmd: string, args: string[], { warmup = 1, runs = 5, env }: { warmup?: number; runs?: number; env?: NodeJS.ProcessEnv } = {}): Timing & { last: ProcessRun } {
  for (let i = 0; i < warmup; i++) runProcess(cmd, args, { env });
  const done: ProcessRun[] = [];
  for (let i = 0; i < runs; i++) done.push(runProcess(cmd, args, { env }));
  const ms = done.map((r) => r.ms);
  return { medianMs: median(ms), minMs: Math.min(...ms), runs, last: done[done.length - 1] };
}
