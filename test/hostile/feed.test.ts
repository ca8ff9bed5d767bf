/**
 * Issue 12, finding E: feed clients that toggle their subscription to a session with a full history,
 * reading or not. Snapshots go out at most once per session per client until it unsubscribes, only
 * while the client keeps up and within its byte budget, so toggles cost O(1) each.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FeedSubscriber } from '../../src/server/client.js';
import type { HistoryMessage } from '../../src/server/feed-types.js';
import { expectSurvived, sleep, startHostileServer, TOKEN, underAttack, type HostileServer } from './harness.js';
import { DEG, ingestSession, REF } from './wire.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('hostile feed clients (issue 12)', () => {
  it('E: thousands of subscribe toggles, from clients that read and that do not, cost O(1) each', async () => {
    server = await startHostileServer();
    const s = server;
    const fs = 16000;
    // A live session with 60 s of history and spectrogram columns (about 200 kB per snapshot).
    const progress = await FeedSubscriber.connect(s.wsUrl, { token: TOKEN, session: 'rich' });
    const { client, handle } = await ingestSession(s.wsUrl, s.token, 'rich', fs);
    const x = Float64Array.from({ length: fs }, (_, i) => 0.3 * Math.sin(0.05 * i) * Math.sin(0.0007 * i));
    for (let sec = 0; sec < 60; sec++) {
      for (let k = 0; k < fs; k += 1600) {
        client.sendAudio(handle, REF, fs, sec * fs + k, x.subarray(k, k + 1600), 'int16');
        client.sendAudio(handle, DEG, fs, sec * fs + k, x.subarray(k, k + 1600), 'int16');
      }
      await client.drain();
    }
    await progress.next((m) => m.type === 'spectrum' && m.t > 59.5, 30_000);
    progress.end();
    const watcher = await FeedSubscriber.connect(s.wsUrl, { token: TOKEN, session: 'rich' });
    const snapshot = await watcher.next<HistoryMessage>((m) => m.type === 'history');
    expect(JSON.stringify(snapshot).length).toBeGreaterThan(100_000);
    watcher.end();

    const on = JSON.stringify({ type: 'subscribe', sessions: ['rich'] });
    const off = JSON.stringify({ type: 'subscribe', sessions: [] });
    const r = await underAttack(s, async () => {
      // Never reads: the old server sent it a 236 KiB snapshot per toggle and reset its stall timer.
      const deaf = new WebSocket(`${s.wsUrl}/feed?session=&token=${TOKEN}`, { perMessageDeflate: false });
      await new Promise((ok) => deaf.once('open', ok));
      deaf.pause();
      // Reads everything, as fast as it can, and toggles as fast as it can.
      const fast = await FeedSubscriber.connect(s.wsUrl, { token: TOKEN, session: 'none-yet' });
      // Subscribes again and again without unsubscribing: one snapshot in all.
      const repeat = await FeedSubscriber.connect(s.wsUrl, { token: TOKEN, session: 'none-yet' });
      // 2 000 messages each (4 000 toggles of the repro for the first two), as fast as the sockets take them.
      const send = async (ws: WebSocket, msg: (i: number) => string) => {
        for (let i = 0; i < 2000 && ws.readyState === WebSocket.OPEN; i++) {
          ws.send(msg(i));
          while (ws.bufferedAmount > 64 * 1024 && ws.readyState === WebSocket.OPEN) await sleep(2);
        }
      };
      await Promise.all([send(deaf, (i) => (i % 2 ? off : on)), send(fast.ws, (i) => (i % 2 ? off : on)), send(repeat.ws, () => on)]);
      const toggles = 6000;
      // Over its budget, the repeating client is read slowly; its one snapshot comes once it is back within it.
      await repeat.next((m) => m.type === 'history', 20_000);
      await sleep(500);
      const deafClosed = deaf.readyState !== WebSocket.OPEN;
      deaf.terminate();
      fast.end();
      repeat.end();
      const histories = (c: FeedSubscriber) => c.messages.filter((m) => m.type === 'history').length;
      return { toggles, histories: histories(fast), repeated: histories(repeat), deafClosed };
    });
    expectSurvived(s, r);
    expect(r.result.repeated).toBe(1);
    // The fast reader gets snapshots only as its 1 MiB/s budget allows: a few per second, not one per toggle.
    expect(r.result.histories).toBeGreaterThan(0);
    expect(r.result.histories).toBeLessThan(60);
    client.end();
  });
});
