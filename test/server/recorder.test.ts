import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FeedSubscriber, IngestClient } from '../../src/server/client.js';
import type { SamplesMessage } from '../../src/server/feed-types.js';
import { readRecording, replayRecording, type Recording } from '../../src/server/replay.js';
import type { SessionRegistry } from '../../src/server/sessions.js';
import { startServer, type EarshotServer } from '../../src/server/server.js';
import { DEG, REF, pushFrames, startTestServer, testPair, type TestServer } from './helpers.js';

let ts: TestServer | undefined;
let replayServer: EarshotServer | undefined;
afterEach(async () => {
  await ts?.server.close();
  await replayServer?.close();
  ts = undefined;
  replayServer = undefined;
});

async function recordOneSession(dir: string, seconds = 1): Promise<string> {
  ts = await startTestServer({ recordDir: dir });
  const fs = 8000;
  const { ref, deg } = testPair(seconds, fs);
  const client = await IngestClient.connect(ts.server.wsUrl);
  const { handle } = await client.open({ name: 'rec-1', sampleRate: fs, streams: [REF, DEG] });
  await pushFrames(client, handle, fs, [
    { stream: REF, samples: ref },
    { stream: DEG, samples: deg },
  ]);
  await client.close(handle);
  client.end();
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^rec-1-\d{8}T\d{6}\.\d{3}Z\.jsonl$/);
  return join(dir, files[0]);
}

describe('recording (--record DIR)', () => {
  it('writes a header, every metric sample as one line, and the other messages, per session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-rec-'));
    const path = await recordOneSession(dir);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'recording', version: 1, session: { id: 'rec-1', sampleRate: 8000, streams: ['ref', 'deg'] } });
    const samples = lines.filter((l) => l.type === 'sample');
    // The fake engine emits 3 series at 10 per second: 30 samples for 1 s.
    expect(samples).toHaveLength(30);
    expect(samples[0]).toEqual({ type: 'sample', session: 'rec-1', t: 0.1, metric: 'snr', window: 'frame', value: expect.any(Number), uncertainty: 0.01 });
    const types = new Set(lines.map((l) => l.type));
    for (const t of ['session', 'delay', 'spectrum', 'summary']) expect(types.has(t)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'session', event: 'ended' });
  });
});

describe('replay', () => {
  it('plays a recording back into the feed: same samples, same summary; alerts evaluated anew', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-rec-'));
    const path = await recordOneSession(dir);
    const rec = await readRecording(path);
    expect(rec.skipped).toBe(0);
    expect(rec.durationSec).toBeCloseTo(1, 6);
    replayServer = await startServer({
      port: 0,
      dashboardDir: null,
      ingest: false,
      // An alert that fires on the fake engine's SNR, which the recording never alerted on.
      alertRules: [{ id: 'snr-low', metric: 'snr', window: 'total', op: '<', threshold: 1000, holdSec: 0.2, clearSec: 0.2, severity: 'warning', message: 'x' }],
    });
    const feed = await FeedSubscriber.connect(replayServer.wsUrl);
    // Pacing is tested on a fake clock below; here, what arrives.
    await replayRecording(replayServer.registry, rec, { speed: 4 });
    await feed.next((m) => m.type === 'session' && m.event === 'ended');
    const recorded = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const replayed = feed.messages.filter((m): m is SamplesMessage => m.type === 'samples').flatMap((m) => m.samples.map((s) => ({ type: 'sample', session: m.session, ...s })));
    expect(replayed).toEqual(recorded.filter((l) => l.type === 'sample'));
    expect(feed.messages.find((m) => m.type === 'summary')).toEqual(recorded.find((l) => l.type === 'summary'));
    expect(feed.messages.filter((m) => m.type === 'alert').map((m) => (m as { state: string }).state)).toEqual(['raised', 'cleared']);
    expect(replayServer.registry.get('rec-1')!.info).toMatchObject({ source: 'replay', state: 'ended', endReason: 'replay finished' });
    feed.end();
  });

  it('paces lines by stream time ÷ speed on an injected clock (fake timers and performance.now)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const times = [0, 0.1, 0.2, 0.5, 1];
      const rec: Recording = {
        path: 'fake.jsonl',
        header: { type: 'recording', version: 1, session: { id: 'paced' } } as Recording['header'],
        lines: async function* () {
          for (const t of times) yield { type: 'sample', session: 'paced', t, metric: 'snr', window: '1s', value: t, uncertainty: 0 };
        },
        lineCount: times.length,
        skipped: 0,
        warnings: [],
        durationSec: 1,
      };
      // A registry that notes the fake clock's time of each call.
      const calls: [string, number][] = [];
      const registry = {
        open: () => ({}),
        sample: (_s: unknown, m: { t: number }) => void calls.push([`sample ${m.t}`, performance.now()]),
        end: async () => void calls.push(['end', performance.now()]),
      } as unknown as SessionRegistry;
      const t0 = performance.now();
      let done = false;
      const replay = replayRecording(registry, rec, { speed: 4 }).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(calls.map(([k]) => k)).toEqual(['sample 0']); // due at once
      await vi.advanceTimersByTimeAsync(24);
      expect(calls).toHaveLength(1); // t = 0.1 s of stream is due 25 ms in at 4×
      await vi.advanceTimersByTimeAsync(300);
      expect(done).toBe(true);
      await replay;
      // Each line at t / speed (sleeps shorter than 1 ms are skipped: never late by more).
      expect(calls.map(([k, at]) => [k, at - t0])).toEqual([...times.map((t) => [`sample ${t}`, (t / 4) * 1000]), ['end', 250]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses files that are not recordings; skips and counts invalid lines with their line numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-rec-'));
    const a = join(dir, 'a.jsonl');
    writeFileSync(a, '{"type":"sample"}\n');
    await expect(readRecording(a)).rejects.toThrow(/not an Earshot recording/);
    const info = { id: 'x', state: 'ended', source: 'ingest', sampleRate: 16000, streams: ['ref', 'deg'], startedAt: '2025-01-01T00:00:00.000Z' };
    const header = JSON.stringify({ type: 'recording', version: 1, session: info, recordedAt: '2025-01-01T00:00:00.000Z' });
    const noStreams = join(dir, 'h.jsonl');
    writeFileSync(noStreams, `${JSON.stringify({ type: 'recording', version: 1, session: { id: 'x' }, recordedAt: 'x' })}\n`);
    await expect(readRecording(noStreams)).rejects.toThrow(/line 1: recording header: "session": "state"/);
    const b = join(dir, 'b.jsonl');
    const sample = JSON.stringify({ type: 'sample', session: 'x', t: 0.1, metric: 'snr', window: '1s', value: 3, uncertainty: null });
    writeFileSync(b, `${header}\n{oops\n${sample}\n{"type":"sample","t":"soon"}\n\n${sample.slice(0, 20)}`);
    const rec = await readRecording(b);
    expect(rec).toMatchObject({ lineCount: 1, skipped: 3, durationSec: 0.1 });
    expect(rec.warnings).toEqual([expect.stringMatching(/^line 2: not JSON/), expect.stringMatching(/^line 4: sample: "session"/), expect.stringMatching(/^line 6: not JSON/)]);
    await expect(readRecording(join(dir, 'none.jsonl'))).rejects.toThrow(expect.objectContaining({ code: 'ERR_FILE_NOT_FOUND' }));
  });
});
