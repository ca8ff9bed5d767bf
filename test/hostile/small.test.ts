/**
 * Issue 12, finding I: the smaller problems. `--host ::1` (and `[::1]`) serve; no series ends with
 * a duplicate sample; a closed stdout pipe ends `earshot monitor` and `earshot push` quietly with exit
 * 0; what made the dashboard throw (a header without `streams`, a string `delayMs`) is refused by the
 * feed validator it runs every message through.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FeedSubscriber } from '../../src/server/client.js';
import type { SamplesMessage } from '../../src/server/feed-types.js';
import { validateFeedMessage } from '../../src/server/feed-validate.js';
import { healthz, startHostileServer, TOKEN, type HostileServer } from './harness.js';
import { DEG, ingestSession, REF } from './wire.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/earshot.js');
// The CLI runs from dist/ (npm ci builds it); without a build these two checks cannot run.
const built = existsSync(join(root, 'dist/src/cli/main.js'));
const ipv6 = Object.values(networkInterfaces()).some((list) => list?.some((a) => a.family === 'IPv6' && a.internal));
const audio = join(root, 'examples/audio');

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Run the CLI, read `lines` lines of stdout, then close the pipe as `head` does. */
function headOf(args: string[], lines: number): Promise<{ code: number | null; stderr: string; got: string[] }> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.stdout.on('data', (d) => {
      out += d;
      if (out.split('\n').length > lines) p.stdout.destroy();
    });
    p.on('exit', (code) => ok({ code, stderr, got: out.split('\n').slice(0, lines) }));
  });
}

describe('smaller problems (issue 12 I)', () => {
  it.runIf(ipv6)('I: --host ::1 and [::1] listen on IPv6 loopback', async () => {
    for (const host of ['::1', '[::1]']) {
      server = await startHostileServer({ host });
      expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      expect(await healthz(server, '::1')).toBeLessThan(Infinity);
      await server.stop();
    }
  });

  it('I: no series ends with a duplicate final sample', async () => {
    server = await startHostileServer();
    const fs = 16000;
    const feed = await FeedSubscriber.connect(server.wsUrl, { token: TOKEN, session: 'dup' });
    const { client, handle } = await ingestSession(server.wsUrl, server.token, 'dup', fs);
    // Exactly 1 s: the stream ends on a report boundary, where the engine's final report repeats the last one.
    const x = Float64Array.from({ length: fs }, (_, i) => 0.3 * Math.sin(0.05 * i) * Math.sin(0.001 * i));
    client.sendAudio(handle, REF, fs, 0, x, 'float32');
    client.sendAudio(handle, DEG, fs, 0, x, 'float32');
    await client.close(handle);
    await feed.next((m) => m.type === 'session' && m.event === 'ended');
    const last = new Map<string, { t: number; value: number | null; uncertainty: number | null }>();
    let repeats = 0;
    for (const m of feed.messages) {
      if (m.type !== 'samples') continue;
      for (const e of (m as SamplesMessage).samples) {
        const key = `${e.metric}/${e.window}`;
        const p = last.get(key);
        if (p && p.t === e.t && p.value === e.value && p.uncertainty === e.uncertainty) repeats++;
        last.set(key, e);
      }
    }
    expect(last.size).toBeGreaterThan(5);
    expect(repeats).toBe(0);
    client.end();
    feed.end();
  });

  it.runIf(built)('I: earshot monitor --jsonl | head -3 ends quietly with exit 0', async () => {
    const r = await headOf(['monitor', join(audio, 'hello.ref.wav'), join(audio, 'hello.deg.wav'), '--jsonl'], 3);
    expect(r.got.map((l) => JSON.parse(l))).toHaveLength(3);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it.runIf(built)('I: earshot push --jsonl | head -1 ends quietly with exit 0', async () => {
    server = await startHostileServer();
    const r = await headOf(['push', join(audio, 'hello.ref.wav'), join(audio, 'hello.deg.wav'), '--url', server.wsUrl, '--token', TOKEN, '--speed', 'max', '--jsonl'], 1);
    expect(JSON.parse(r.got[0])).toMatchObject({ type: 'session' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('I: the feed validator the dashboard uses refuses a session without streams and a string delayMs', () => {
    const info = { id: 'x', state: 'ended', source: 'replay', sampleRate: 16000, startedAt: '2025-01-01T00:00:00.000Z' };
    expect(validateFeedMessage({ type: 'session', event: 'opened', session: info })).toMatchObject({ ok: false, reason: expect.stringMatching(/"streams"/) });
    expect(validateFeedMessage({ type: 'hello', protocol: 1, server: 'earshot', sessions: [info], subscribed: '*', alertRules: [] })).toMatchObject({ ok: false });
    const delay = { type: 'delay', session: 'x', t: 1, delayMs: '12', delaySamples: 192, confidence: 0.9, kind: 'initial' };
    expect(validateFeedMessage(delay)).toMatchObject({ ok: false, reason: 'delay: "delayMs": expected a finite number, got "12"' });
    expect(validateFeedMessage({ ...delay, delayMs: 12 })).toMatchObject({ ok: true });
  });
});
