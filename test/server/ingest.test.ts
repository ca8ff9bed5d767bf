import { afterEach, describe, expect, it } from 'vitest';
import { FeedSubscriber, IngestClient } from '../../src/server/client.js';
import { encodeAudio } from '../../src/server/protocol.js';
import type { IngestEventMessage } from '../../src/server/feed-types.js';
import { DEG, REF, scrape, series, sleep, startTestServer, testPair, type TestServer } from './helpers.js';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.server.close();
  ts = undefined;
});

describe('ingest irregularities are reported, not hidden', () => {
  it('a lost frame, a reordered pair and a duplicate show up in the feed, to the sender and in /metrics', async () => {
    ts = await startTestServer({ reassembly: { reorderWindowSec: 0.1 } });
    const fs = 8000;
    const frame = 160;
    const { ref, deg } = testPair(1, fs);
    const feed = await FeedSubscriber.connect(ts.server.wsUrl, { session: 'lossy' });
    const client = await IngestClient.connect(ts.server.wsUrl);
    const { handle } = await client.open({ name: 'lossy', sampleRate: fs, streams: [REF, DEG] });
    const frames = fs / frame;
    for (let i = 0; i < frames; i++) {
      const t0 = i * frame;
      client.sendAudio(handle, REF, fs, t0, ref.subarray(t0, t0 + frame), 'int16', i);
    }
    // deg: frame 10 lost, frames 20 and 21 swapped, frame 30 sent twice.
    const order = [...Array(frames).keys()].filter((i) => i !== 10);
    order.splice(order.indexOf(20), 2, 21, 20);
    order.splice(order.indexOf(30), 0, 30);
    for (const i of order) client.sendAudio(handle, DEG, fs, i * frame, deg.subarray(i * frame, (i + 1) * frame), 'int16', i);
    await client.close(handle);
    await feed.next((m) => m.type === 'session' && m.event === 'ended');
    const events = feed.messages.filter((m): m is IngestEventMessage => m.type === 'ingest');
    expect(events.map((e) => `${e.event}:${e.stream}`)).toEqual(['gap:deg', 'dropout:deg', 'gap:deg', 'reordered:deg', 'duplicate:deg']);
    expect(events[0]).toMatchObject({ frames: 1, expectedSeq: 10, seq: 11, t: 11 * frame / fs });
    expect(events[1]).toMatchObject({ samples: frame, t: 10 * frame / fs });
    expect(client.events.map((e) => e.event)).toEqual(['gap', 'dropout', 'gap', 'reordered', 'duplicate']);
    // The engine saw the whole second, with the lost frame as silence.
    const blocks = ts.engines.engines[0].blocks;
    const got = new Float64Array(fs);
    let o = 0;
    for (const b of blocks) {
      got.set(b.deg, o);
      o += b.deg.length;
    }
    expect(o).toBe(fs);
    expect(got.subarray(10 * frame, 11 * frame).every((v) => v === 0)).toBe(true);
    expect(got.subarray(20 * frame, 22 * frame)).toEqual(deg.subarray(20 * frame, 22 * frame));
    const text = await scrape(ts.server);
    expect(series(text, 'earshot_ingest_irregular_events_total', { event: 'gap' })).toBe(2);
    expect(series(text, 'earshot_ingest_irregular_frames_total', { event: 'gap' })).toBe(2);
    expect(series(text, 'earshot_ingest_irregular_samples_total', { event: 'dropout' })).toBe(frame);
    expect(series(text, 'earshot_ingest_irregular_events_total', { event: 'reordered' })).toBe(1);
    expect(series(text, 'earshot_ingest_irregular_events_total', { event: 'duplicate' })).toBe(1);
    client.end();
    feed.end();
  });

  it('the rate limit throttles a fast sender (TCP backpressure) instead of refusing it', async () => {
    const rate = 40_000; // samples per second per connection; bucket holds one second's worth
    ts = await startTestServer({ limits: { maxSamplesPerSec: rate } });
    const fs = 8000;
    const { ref, deg } = testPair(5, fs); // 80 000 samples = 1 s of burst + 1 s at the rate
    const client = await IngestClient.connect(ts.server.wsUrl);
    const { handle } = await client.open({ name: 'fast', sampleRate: fs, streams: [REF, DEG] });
    for (let t0 = 0; t0 < ref.length; t0 += 800) {
      client.sendAudio(handle, REF, fs, t0, ref.subarray(t0, t0 + 800), 'int16');
      client.sendAudio(handle, DEG, fs, t0, deg.subarray(t0, t0 + 800), 'int16');
    }
    await client.close(handle);
    expect(client.closed).toBeUndefined();
    const text = await scrape(ts.server);
    // Throttled, not refused: every sample of both streams got through.
    expect(series(text, 'earshot_ingest_samples_total')).toBe(2 * ref.length);
    // 80 000 samples at 40 000/s with a 40 000-sample burst: the server paused reading for about
    // 1 s. A lower bound only, and load-proof: the pauses are timers, which never fire early, and a
    // busy machine can only make them longer. (No bound on the sender's own elapsed time.)
    expect(series(text, 'earshot_ingest_throttled_seconds_total')).toBeGreaterThan(0.5);
    client.end();
  });

  it('a client that disconnects mid-session ends it (reason "disconnected") with its summary', async () => {
    ts = await startTestServer();
    const fs = 8000;
    const { ref, deg } = testPair(0.5, fs);
    const feed = await FeedSubscriber.connect(ts.server.wsUrl);
    const client = await IngestClient.connect(ts.server.wsUrl);
    const { handle } = await client.open({ name: 'drop', sampleRate: fs, streams: [REF, DEG] });
    client.sendAudio(handle, REF, fs, 0, ref, 'int16');
    client.sendAudio(handle, DEG, fs, 0, deg, 'int16');
    await sleep(50);
    client.ws.terminate();
    const ended = await feed.next((m) => m.type === 'session' && m.event === 'ended');
    expect(ended).toMatchObject({ session: { id: 'drop', endReason: 'disconnected' } });
    expect(feed.messages.some((m) => m.type === 'summary' && m.session === 'drop')).toBe(true);
    feed.end();
  });

  it('a client that leaves its replies unread past the reply budget is closed with 4408', async () => {
    // No rate limit to speak of, so the duplicates (one reply each) pile up in the socket fast.
    ts = await startTestServer({ limits: { maxSamplesPerSec: 1e12, maxReplyBufferBytes: 64 * 1024 } });
    const client = await IngestClient.connect(ts.server.wsUrl);
    const { handle } = await client.open({ name: 'deaf', sampleRate: 8000, streams: [REF, DEG] });
    client.ws.pause();
    const dup = encodeAudio({ handle, stream: REF, sampleRate: 8000, seq: 0, t0: 0, samples: [], encoding: 'int16' });
    for (let i = 0; i < 200_000 && client.ws.readyState === client.ws.OPEN; i++) {
      client.ws.send(dup);
      if (i % 1000 === 0) await client.drain();
    }
    client.ws.resume();
    const why = await client.whenClosed(20_000);
    // The close frame waits behind the unread replies; one second later the socket is destroyed,
    // so a client that still has megabytes to read sees 1006 rather than 4408.
    expect([4408, 1006]).toContain(why.code);
    expect(series(await scrape(ts.server), 'earshot_refused_total', { reason: 'slow-consumer' })).toBe(1);
  });
});
