/**
 * Run a TypeScript script in a child Node process inside a fresh network namespace whose only
 * interface is loopback (`unshare -n`, then `ip link set lo up`): whatever it starts (our servers,
 * Chromium and its WebRTC calls) cannot send a packet beyond 127.0.0.1. Needs root (CI runs as root);
 * elsewhere the tests that use it skip, loudly, and under CI its absence is an error.
 */
import { spawn, spawnSync } from 'node:child_process';

/** Whether `unshare -n` works here. */
export function haveLoopbackNamespace(what: string): boolean {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
  const ok = r.status === 0;
  if (!ok && process.env.CI) throw new Error(`${what}: unshare -n failed (needs root and util-linux, iproute2)`);
  if (!ok) console.warn(`${what} skipped: cannot create a loopback-only network namespace (unshare -n needs root)`);
  return ok;
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx SCRIPT ARGS…` in a loopback-only network namespace. */
export function runInLoopbackNamespace(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, '--import', 'tsx', script, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
