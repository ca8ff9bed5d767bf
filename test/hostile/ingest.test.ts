/**
 * Issue 12, findings A–D and F: hostile ingest (and refused) clients against a real server in its
 * own process. Each test asserts what the issue requires (harness.ts `expectSurvived`: alive,
 * /healthz within 1 s during and after, RSS growth < 300 MB), that the defence it targets acted
 * (refusal codes, throttling, disconnects, bounded recordings), and that a well-behaved session on
 * another connection still gets its summary afterwards.
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { IngestClient } from '../../src/server/client.js';
import { encodeAudio, type StreamId } from '../../src/server/protocol.js';
import { expectSurvived, sleep, startHostileServer, TOKEN, underAttack, type HostileServer } from './harness.js';
import { badFrames, DEG, flood, frame, ingestSession, rawUpgrade, REF, sessionStillWorks } from './wire.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Series of the server's /metrics text. */
async function metric(s: HostileServer, name: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('hostile ingest clients (issue 12)', () => {
  it('A: refused upgrades (token, Origin, Host, full) and refused connections never read the frames that follow', async () => {
    server = await startHostileServer({ limits: { maxFeedClients: 1, maxIngestConnections: 2 } });
    const s = server;
    const r = await underAttack(s, async () => {
      const codes: Record<string, (number | undefined)[]> = {};
      const attempt = async (what: string, path: string, headers: Record<string, string>) => {
        for (const bad of badFrames()) {
          const u = await rawUpgrade(s.port, path, headers);
          (codes[what] ??= []).push(await u.closeCodeWithin(5000));
          u.socket.write(bad);
          u.socket.write(Buffer.alloc(64 * 1024)); // and more, unread
          await sleep(5);
          u.socket.destroy();
        }
      };
      await attempt('no token', '/ingest', {});
      await attempt('no token feed', '/feed', {});
      await attempt('wrong token', '/ingest?token=nope', {});
      await attempt('origin', `/ingest?token=${TOKEN}`, { Origin: 'http://evil.example' });
      await attempt('host', `/feed?token=${TOKEN}`, { Host: 'rebind.example' });
      // Full: one feed client and two ingest connections take the places.
      const holders = [new WebSocket(`${s.wsUrl}/feed?token=${TOKEN}`), new WebSocket(`${s.wsUrl}/ingest?token=${TOKEN}`), new WebSocket(`${s.wsUrl}/ingest?token=${TOKEN}`)];
      await Promise.all(holders.map((w) => new Promise((ok) => w.once('open', ok))));
      await attempt('feed full', `/feed?token=${TOKEN}`, {});
      await attempt('ingest full', `/ingest?token=${TOKEN}`, {});
      for (const w of holders) w.terminate();
      await sleep(100);
      // Accepted, then refused for a bad frame or message: what the peer sends after is not read.
      for (const path of ['/ingest', '/feed']) {
        for (const bad of badFrames()) {
          const u = await rawUpgrade(s.port, `${path}?token=${TOKEN}`);
          u.socket.write(Buffer.concat([path === '/ingest' ? frame(0x2, Buffer.from('not a frame')) : frame(0x1, Buffer.from('{"type":"nope"}')), bad]));
          await sleep(5);
          u.socket.destroy();
        }
      }
      return codes;
    });
    expectSurvived(s, r);
    // Each refusal carried its close code in a frame the server wrote itself.
    expect(new Set(r.result['no token'])).toEqual(new Set([4401]));
    expect(new Set(r.result['no token feed'])).toEqual(new Set([4401]));
    expect(new Set(r.result['wrong token'])).toEqual(new Set([4401]));
    expect(new Set(r.result.origin)).toEqual(new Set([4403]));
    expect(new Set(r.result.host)).toEqual(new Set([4403]));
    expect(new Set(r.result['feed full'])).toEqual(new Set([4429]));
    expect(new Set(r.result['ingest full'])).toEqual(new Set([4429]));
    await sessionStillWorks(s, 'after-a');
  });

  for (const workers of [1, 0]) {
    it(`B: one-sample frames whose t0 jumps 10 s each are charged their zero-fill and throttled (engines ${workers ? 'in a worker' : "in the server's thread"})`, async () => {
      server = await startHostileServer({ workers });
      const s = server;
      const fs = 16000;
      const r = await underAttack(s, async () => {
        const { client, handle } = await ingestSession(s.wsUrl, s.token, 'jumps', fs);
        const frames = function* () {
          for (let i = 0; ; i++) yield encodeAudio({ handle, stream: REF, sampleRate: fs, seq: i, t0: i * 10 * fs, samples: [0.1], encoding: 'int16' });
        };
        const sent = await flood(client.ws, frames(), performance.now() + 4000);
        client.ws.terminate();
        return sent;
      });
      expectSurvived(s, r);
      // 4 s of the 4 M samples/s budget buys about 50 such frames (2 × 160 000 samples each), not thousands.
      const processed = await metric(s, 'earshot_ingest_frames_total');
      expect(processed).toBeLessThan(200);
      expect(r.result).toBeGreaterThan(processed);
      await sessionStillWorks(s, 'after-b');
    });
  }

  it('B: the widest session (8 speakers at 48 kHz) jumping 10 s per frame stays within the memory bound', async () => {
    server = await startHostileServer();
    const s = server;
    const fs = 48000;
    const streams: StreamId[] = [];
    for (let k = 0; k < 8; k++) streams.push({ kind: 'ref', speaker: k }, { kind: 'deg', speaker: k });
    const r = await underAttack(s, async () => {
      const client = await IngestClient.connect(s.wsUrl, { token: s.token });
      // (noisy is for one speaker only: 8 ref/deg pairs are the most streams a session has)
      const { handle } = await client.open({ name: 'wide', sampleRate: fs, streams });
      const frames = function* () {
        for (let i = 0; ; i++) yield encodeAudio({ handle, stream: REF, sampleRate: fs, seq: i, t0: i * 10 * fs, samples: [0.1], encoding: 'int16' });
      };
      await flood(client.ws, frames(), performance.now() + 3000);
      client.ws.terminate();
    });
    expectSurvived(s, r);
  });

  it('C: sequence numbers jumping by 5000 cost O(1) each and every gap is charged', async () => {
    server = await startHostileServer();
    const s = server;
    const r = await underAttack(s, async () => {
      const { client, handle } = await ingestSession(s.wsUrl, s.token, 'gaps');
      const frames = function* () {
        for (let i = 0; ; i++) yield encodeAudio({ handle, stream: REF, sampleRate: 16000, seq: i * 5000, t0: 0, samples: [], encoding: 'int16' });
      };
      const sent = await flood(client.ws, frames(), performance.now() + 3000);
      client.ws.terminate();
      return sent;
    });
    expectSurvived(s, r);
    expect(r.result).toBeGreaterThan(2000); // the 2 000 frames blocked the old server for 20 s
    await sessionStillWorks(s, 'after-c');
  });

  it('D: repeated empty frames from a client that never reads: each reply charged, so replies and the recording stay small', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-hostile-d-'));
    server = await startHostileServer({ record: dir });
    const s = server;
    const r = await underAttack(s, async () => {
      const { client, handle } = await ingestSession(s.wsUrl, s.token, 'dups');
      client.ws.pause(); // never reads a reply
      const dup = encodeAudio({ handle, stream: REF, sampleRate: 16000, seq: 0, t0: 0, samples: [], encoding: 'int16' });
      const frames = function* () {
        for (;;) yield dup;
      };
      const sent = await flood(client.ws, frames(), performance.now() + 4000);
      client.ws.terminate();
      return sent;
    });
    expectSurvived(s, r);
    await sleep(300);
    const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    if (process.env.HOSTILE_REPORT) console.log(`[hostile] D: ${r.result} frames sent, ${(bytes / 2 ** 20).toFixed(2)} MB recorded`);
    // The old server wrote 92 MB in 10 s; each duplicate now costs 4 096 samples of a 4 M/s budget.
    expect(bytes).toBeLessThan(8 * 1024 * 1024);
    expect(await metric(s, 'earshot_ingest_irregular_events_total')).toBeLessThan(10_000);
    await sessionStillWorks(s, 'after-d');
  });

  it('F: one-sample frames, on one stream (held ahead) and interleaved on both, cost O(1) each', async () => {
    server = await startHostileServer();
    const s = server;
    const fs = 16000;
    const r = await underAttack(s, async () => {
      const one = await ingestSession(s.wsUrl, s.token, 'ahead', fs);
      const ahead = function* () {
        for (let i = 0; ; i++) yield encodeAudio({ handle: one.handle, stream: REF, sampleRate: fs, seq: i, t0: i, samples: [0.1], encoding: 'int16' });
      };
      const both = await ingestSession(s.wsUrl, s.token, 'both', fs);
      const interleaved = function* () {
        for (let i = 0; ; i++) {
          yield encodeAudio({ handle: both.handle, stream: REF, sampleRate: fs, seq: i, t0: i, samples: [0.1], encoding: 'int16' });
          yield encodeAudio({ handle: both.handle, stream: DEG, sampleRate: fs, seq: i, t0: i, samples: [0.1], encoding: 'int16' });
        }
      };
      const until = performance.now() + 4000;
      const [a, b] = await Promise.all([flood(one.client.ws, ahead(), until), flood(both.client.ws, interleaved(), until)]);
      one.client.ws.terminate();
      both.client.ws.terminate();
      return a + b;
    });
    expectSurvived(s, r);
    expect(r.result).toBeGreaterThan(48_000); // the 48 000 frames blocked the old server for 10 s
    await sessionStillWorks(s, 'after-f');
  });
});
