/**
 * Harness of the hostile suite: a real server in a child process (server-process.ts) on port 0 on
 * loopback, a /healthz probe that asks every PROBE_INTERVAL_MS while an attack runs and after it,
 * and the server's RSS read from /proc (so it reads even while the server's event loop is stuck).
 *
 * The liveness requirement of issue 12 is the one wall-clock bound here: /healthz answers within
 * HEALTHZ_BOUND_MS during and after every attack. It is generous (the attacks measure at well under
 * 200 ms on the 2-core CI machine, see docs/server.md) and fixed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { ServerOptions } from '../../src/server/server.js';

/** /healthz must answer within this during and after an attack (issue 12: "within 1 s"). */
export const HEALTHZ_BOUND_MS = 1000;
/** The server's RSS may grow by at most this under an attack (issue 12: "say < 300 MB"). */
export const RSS_GROWTH_BOUND_BYTES = 300 * 1024 * 1024;
const PROBE_INTERVAL_MS = 100;
/** A probe that gets no answer in this long counts as failed (ms). */
const PROBE_TIMEOUT_MS = 10_000;
export const TOKEN = 'hostile-suite-token';

const here = dirname(fileURLToPath(import.meta.url));

export interface HostileServerOptions {
  host?: string;
  /** Default TOKEN; null for none. */
  token?: string | null;
  /** Engine worker threads (default 1, what `earshot serve --workers auto` picks on 2 cores; 0: in the server's thread). */
  workers?: number;
  /** Metric selection (default: a cheap one, so the suite stays fast; the attacks are on the server, not the metrics). */
  metrics?: string;
  record?: string;
  recordMaxBytes?: number;
  limits?: ServerOptions['limits'];
  feed?: ServerOptions['feed'];
  /** Replay this recording at full speed instead of accepting ingest. */
  replay?: string;
}

export interface Stats {
  rss: number;
  elMaxMs: number;
  elP99Ms: number;
  replay?: { skipped: number; lineCount: number; done: boolean };
}

export interface HostileServer {
  readonly port: number;
  readonly url: string;
  readonly wsUrl: string;
  readonly token: string | undefined;
  readonly proc: ChildProcess;
  /** Exit code or signal once the process has exited. */
  exited(): string | undefined;
  /** Resident set size from /proc (bytes); 0 once gone. */
  rss(): number;
  stats(): Promise<Stats | undefined>;
  /** What the server wrote on stderr. */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startHostileServer(o: HostileServerOptions = {}): Promise<HostileServer> {
  const token = o.token === null ? undefined : (o.token ?? TOKEN);
  const options = { metrics: 'snr,sisdr,stoi', workers: 1, ...o, token };
  const proc = fork(join(here, 'server-process.ts'), [JSON.stringify(options)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  let exit: string | undefined;
  proc.on('exit', (code, signal) => (exit = signal ?? String(code)));
  const ready = await new Promise<{ port: number; url: string; wsUrl: string }>((resolve, reject) => {
    proc.once('message', (m: { port: number; url: string; wsUrl: string }) => resolve(m));
    proc.once('exit', () => reject(new Error(`hostile server did not start: ${stderr}`)));
  });
  return {
    ...ready,
    token,
    proc,
    exited: () => exit,
    rss: () => rssOf(proc.pid!),
    stderr: () => stderr,
    stats: () =>
      new Promise((resolve) => {
        if (exit !== undefined) return resolve(undefined);
        const t = setTimeout(() => resolve(undefined), PROBE_TIMEOUT_MS);
        const onMessage = (m: Stats & { type: string }) => {
          if (m.type !== 'stats') return;
          clearTimeout(t);
          proc.off('message', onMessage);
          resolve(m);
        };
        proc.on('message', onMessage);
        proc.send({ type: 'stats' });
      }),
    stop: async () => {
      if (exit !== undefined) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.send({ type: 'close' });
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Time for one GET /healthz (ms); Infinity when it fails or gets no answer within PROBE_TIMEOUT_MS. */
export function healthz(s: { port: number }, host = '127.0.0.1'): Promise<number> {
  const t = performance.now();
  return new Promise((resolve) => {
    const req = request({ host, port: s.port, path: '/healthz', agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - t : Infinity));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(Infinity));
    req.end();
  });
}

export interface AttackReport {
  /** Worst /healthz time while the attack ran (ms). */
  duringMs: number;
  /** Worst /healthz time in the `afterMs` after it (ms). */
  afterMs: number;
  probes: number;
  rssBase: number;
  rssPeak: number;
  stats: Stats | undefined;
  /** What the attack returned (for its own assertions). */
  result: unknown;
}

/**
 * Run `attack` while probing /healthz and RSS, then keep probing for `afterMs`. The probes run
 * sequentially (one outstanding request at a time), so a stuck event loop shows as one long probe.
 */
export async function underAttack<T>(s: HostileServer, attack: () => Promise<T>, o: { afterMs?: number } = {}): Promise<AttackReport & { result: T }> {
  const rssBase = s.rss();
  let rssPeak = rssBase;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, s.rss())), 50);
  let phase = 'during' as 'during' | 'after' | 'done';
  const worst = { during: 0, after: 0 };
  let probes = 0;
  const probing = (async () => {
    while (phase !== 'done') {
      const p = phase;
      const ms = await healthz(s);
      probes++;
      worst[p] = Math.max(worst[p], ms);
      await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
    }
  })();
  let result: T;
  try {
    result = await attack();
  } finally {
    phase = 'after';
  }
  await new Promise((r) => setTimeout(r, o.afterMs ?? 1000));
  worst.after = Math.max(worst.after, await healthz(s));
  phase = 'done';
  await probing;
  clearInterval(rssTimer);
  rssPeak = Math.max(rssPeak, s.rss());
  return { duringMs: worst.during, afterMs: worst.after, probes, rssBase, rssPeak, stats: await s.stats(), result };
}

/** The requirement of issue 12: alive, /healthz within the bound during and after, RSS growth bounded. */
export function expectSurvived(s: HostileServer, r: AttackReport): void {
  const why = `server ${s.exited() === undefined ? 'alive' : `exited (${s.exited()})`}; healthz during ${r.duringMs.toFixed(0)} ms, after ${r.afterMs.toFixed(0)} ms; ` +
    `RSS ${(r.rssBase / 2 ** 20).toFixed(0)} → ${(r.rssPeak / 2 ** 20).toFixed(0)} MB; event loop max ${r.stats?.elMaxMs.toFixed(0)} ms\n${s.stderr().slice(0, 2000)}`;
  if (process.env.HOSTILE_REPORT) console.log(`[hostile] ${expect.getState().currentTestName}: ${why.split('\n')[0]}`);
  expect(s.exited(), why).toBeUndefined();
  expect(r.probes, why).toBeGreaterThan(0);
  expect(r.duringMs, why).toBeLessThan(HEALTHZ_BOUND_MS);
  expect(r.afterMs, why).toBeLessThan(HEALTHZ_BOUND_MS);
  expect(r.rssPeak - r.rssBase, why).toBeLessThan(RSS_GROWTH_BOUND_BYTES);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
