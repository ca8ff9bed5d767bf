import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const REF = 'examples/audio/hello.ref.wav';
const DEG = 'examples/audio/hello.deg.wav';
const NOISY = 'examples/audio/hello.noisy.wav';

describe('earshot monitor', () => {
  it('--jsonl writes metric samples, then a summary with the keys and values of earshot analyze --json', async () => {
    const live = await run('monitor', REF, DEG, '--noisy', NOISY, '--jsonl');
    expect(live.code).toBe(0);
    const lines = live.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const summary = lines.at(-1);
    expect(summary.type).toBe('summary');
    const samples = lines.slice(0, -1);
    expect(samples.length).toBeGreaterThan(500);
    for (const s of samples) {
      expect(Object.keys(s).sort()).toEqual(expect.arrayContaining(['metric', 'session', 't', 'uncertainty', 'value', 'window']));
      expect(s.value === null || Number.isFinite(s.value)).toBe(true);
    }
    expect(samples.filter((s) => s.metric === 'delay').at(-1).value).toBe(12);
    const offline = JSON.parse((await run('analyze', REF, DEG, '--noisy', NOISY, '--json')).stdout);
    expect(Object.keys(summary).filter((k) => k !== 'type' && k !== 'session').sort()).toEqual(Object.keys(offline).sort());
    // The same accumulators on the same aligned samples (docs/live.md): equal up to summation order.
    for (const k of ['snr', 'segsnr', 'sisdr', 'cisdr', 'wsdr', 'lsd', 'cosine', 'mse', 'stoi', 'estoi']) {
      expect(Math.abs(summary[k] - offline[k])).toBeLessThan(1e-9);
    }
    expect(summary.delayMs).toBe(offline.delayMs);
  });

  it('prints a view of the running metrics when not writing JSON lines', async () => {
    const r = await run('monitor', REF, DEG);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/delay 12\.00 ms/);
    expect(r.stdout).toMatch(/STOI\s+0\.9\d+±/);
  });

  it('rejects bad usage with exit code 2', async () => {
    expect((await run('monitor', REF)).code).toBe(2);
    expect((await run('monitor', REF, DEG, '--speed', 'warp')).stderr).toMatch(/--speed must be realtime or max/);
  });
});
