import { afterEach, describe, expect, it, vi } from 'vitest';
import { FeedSubscriber } from '../../src/server/client.js';
import type { AlertMessage, FeedMessage, SamplesMessage, SpectrumMessage } from '../../src/server/feed-types.js';
import { CLOSE_CODES } from '../../src/server/protocol.js';
import type { SessionState } from '../../src/server/session-state.js';
import { scrape, series, sleep, startTestServer, type TestServer } from './helpers.js';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.server.close();
  ts = undefined;
});

/** A spectrum-sized message padded to about `bytes`. */
function bigMessage(session: string, i: number, bytes: number): SpectrumMessage {
  return {
    type: 'spectrum',
    session,
    t: i,
    dt: 0.1,
    bands: { n: 1, fminHz: 0, fmaxHz: 0, scale: 'mel' },
    dbMin: 0,
    dbStep: 1,
    ref: 'A'.repeat(bytes),
    deg: '',
  };
}

/**
 * Publish `count` messages of `bytes`, a few per event-loop turn as a real session would. How long
 * publishing takes is a wall-clock figure for the bench; here only what arrives where is checked.
 */
async function flood(state: SessionState, ts: TestServer, count: number, bytes: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    ts.server.registry.publish(state, bigMessage(state.info.id, i, bytes));
    ts.server.registry.sample(state, { session: state.info.id, t: i, metric: 'stoi', window: '3s', value: i, uncertainty: 0 });
    if (i % 8 === 7) await new Promise((r) => setImmediate(r));
  }
}

describe('feed backpressure', () => {
  // 16 MB: well past the 3–4 MB the kernel absorbs for a stalled loopback client before ws's
  // bufferedAmount starts to grow.
  const COUNT = 4000;
  const BYTES = 4000;

  it('a stalled client is coalesced, then disconnected with 4408; a fast client meanwhile gets every message', async () => {
    ts = await startTestServer({ feed: { maxStallMs: 1500 } });
    const state = ts.server.registry.open({ id: 's1', source: 'ingest', sampleRate: 16000, streams: ['ref', 'deg'] });
    const fast = await FeedSubscriber.connect(ts.server.wsUrl);
    const stalled = await FeedSubscriber.connect(ts.server.wsUrl);
    stalled.ws.pause(); // stops reading its socket: the kernel buffers fill, then ws's bufferedAmount grows
    let received = 0;
    fast.onMessage((m) => {
      if (m.type === 'spectrum') received++;
    });
    await flood(state, ts, COUNT, BYTES);
    expect(ts.server.hub.behindCount).toBe(1);
    await fast.next((m) => m.type === 'spectrum' && m.t === COUNT - 1, 10_000);
    // Every message, none coalesced: the fast client is not held back by the stalled one.
    expect(received).toBe(COUNT);
    // Past maxStallMs the stalled client is dropped.
    const deadline = performance.now() + 5000;
    while (ts.server.hub.clientCount > 1 && performance.now() < deadline) await sleep(50);
    expect(ts.server.hub.clientCount).toBe(1);
    const text = await scrape(ts.server);
    expect(series(text, 'earshot_feed_disconnects_total')).toBe(1);
    expect(series(text, 'earshot_feed_skipped_spectra_total')).toBeGreaterThan(0);
    expect(series(text, 'earshot_feed_coalesced_samples_total')).toBeGreaterThan(0);
    // When the stalled client reads again it finds the close (4408), or a destroyed socket (1006).
    stalled.ws.resume();
    const deadline2 = performance.now() + 5000;
    while (!stalled.closed && performance.now() < deadline2) await sleep(20);
    expect([CLOSE_CODES.slowConsumer, 1006]).toContain(stalled.closed?.code);
    fast.end();
  });

  it('a client that falls behind and recovers gets the latest values (coalesced) and every alert, in order', async () => {
    ts = await startTestServer({ feed: { maxStallMs: 10_000 } });
    const state = ts.server.registry.open({ id: 's2', source: 'ingest', sampleRate: 16000, streams: ['ref', 'deg'] });
    const slow = await FeedSubscriber.connect(ts.server.wsUrl);
    slow.ws.pause();
    await flood(state, ts, COUNT, BYTES);
    expect(ts.server.hub.behindCount).toBe(1);
    // An alert while it is behind must not be lost.
    const rule = ts.server.registry.alertRules()[0];
    const alert: AlertMessage = { type: 'alert', state: 'raised', session: 's2', t: COUNT, since: COUNT - 2, rule, value: 0.5 };
    ts.server.registry.publish(state, alert);
    ts.server.registry.sample(state, { session: 's2', t: COUNT, metric: 'stoi', window: '3s', value: 0.123, uncertainty: 0.01 });
    await sleep(100);
    slow.ws.resume();
    const coalesced = await slow.next<SamplesMessage>((m) => m.type === 'samples' && m.coalesced === true, 10_000);
    expect(coalesced.samples).toEqual([{ t: COUNT, metric: 'stoi', window: '3s', value: 0.123, uncertainty: 0.01 }]);
    const got = await slow.next<AlertMessage>((m) => m.type === 'alert', 5000);
    expect(got.since).toBe(COUNT - 2);
    const types = slow.messages.map((m: FeedMessage) => m.type);
    expect(types.indexOf('alert')).toBeGreaterThan(slow.messages.indexOf(coalesced));
    // Live again: the next message arrives directly.
    ts.server.registry.sample(state, { session: 's2', t: COUNT + 1, metric: 'stoi', window: '3s', value: 0.2, uncertainty: 0.01 });
    await slow.next((m) => m.type === 'samples' && m.samples.some((s) => s.t === COUNT + 1), 5000);
    expect(ts.server.hub.behindCount).toBe(0);
    expect(slow.closed).toBeUndefined();
    slow.end();
  });

  it('subscriptions: one session only, "*" for all; session and alert messages reach everyone', async () => {
    ts = await startTestServer();
    const a = ts.server.registry.open({ id: 'a', source: 'ingest', sampleRate: 8000, streams: ['ref', 'deg'] });
    ts.server.registry.sample(a, { session: 'a', t: 0.1, metric: 'snr', window: '1s', value: 3, uncertainty: null });
    const onlyB = await FeedSubscriber.connect(ts.server.wsUrl, { session: 'b' });
    const all = await FeedSubscriber.connect(ts.server.wsUrl);
    // "*" gets a history snapshot of the session that already has values.
    const history = await all.next((m) => m.type === 'history' && m.session === 'a');
    expect(history).toMatchObject({ series: [{ metric: 'snr', window: '1s', t: [0.1], value: [3], uncertainty: [null] }] });
    const b = ts.server.registry.open({ id: 'b', source: 'ingest', sampleRate: 8000, streams: ['ref', 'deg'] });
    ts.server.registry.sample(a, { session: 'a', t: 0.2, metric: 'snr', window: '1s', value: 4, uncertainty: null });
    ts.server.registry.sample(b, { session: 'b', t: 0.2, metric: 'snr', window: '1s', value: 5, uncertainty: null });
    ts.server.registry.publish(a, { type: 'alert', state: 'raised', session: 'a', t: 0.2, since: 0, rule: ts.server.registry.alertRules()[0], value: 1 });
    await all.next((m) => m.type === 'alert');
    await onlyB.next((m) => m.type === 'alert');
    const sessionsOf = (s: FeedSubscriber) => s.messages.filter((m): m is SamplesMessage => m.type === 'samples').map((m) => m.session);
    expect(sessionsOf(all)).toEqual(['a', 'b']);
    expect(sessionsOf(onlyB)).toEqual(['b']);
    expect(onlyB.messages.some((m) => m.type === 'session' && m.session.id === 'b')).toBe(true);
    // Re-subscribing to "a" sends its snapshot.
    onlyB.subscribe(['a']);
    await onlyB.next((m) => m.type === 'history' && m.session === 'a');
    all.end();
    onlyB.end();
  });

  it('each broadcast message is serialised once, whatever the number of clients', async () => {
    ts = await startTestServer();
    const state = ts.server.registry.open({ id: 'once', source: 'ingest', sampleRate: 8000, streams: ['ref', 'deg'] });
    const clients = await Promise.all(Array.from({ length: 5 }, () => FeedSubscriber.connect(ts!.server.wsUrl)));
    ts.server.hub.flush();
    const spy = vi.spyOn(JSON, 'stringify');
    ts.server.registry.sample(state, { session: 'once', t: 1, metric: 'snr', window: '1s', value: 1, uncertainty: null });
    ts.server.hub.flush();
    const calls = spy.mock.calls.filter(([v]) => (v as { type?: string })?.type === 'samples').length;
    spy.mockRestore();
    expect(calls).toBe(1);
    await Promise.all(clients.map((c) => c.next((m) => m.type === 'samples')));
    for (const c of clients) c.end();
  });

  it('a bad message from a feed client closes it with 4400', async () => {
    ts = await startTestServer();
    const c = await FeedSubscriber.connect(ts.server.wsUrl);
    c.ws.send('{"type":"subscribe","sessions":42}');
    const deadline = performance.now() + 3000;
    while (!c.closed && performance.now() < deadline) await sleep(10);
    expect(c.closed?.code).toBe(CLOSE_CODES.badFrame);
  });

  it('too many feed clients: 4429', async () => {
    ts = await startTestServer({ limits: { maxFeedClients: 1 } });
    const one = await FeedSubscriber.connect(ts.server.wsUrl);
    await expect(FeedSubscriber.connect(ts.server.wsUrl)).rejects.toMatchObject({ code: CLOSE_CODES.tooMany });
    expect(series(await scrape(ts.server), 'earshot_refused_total', { reason: 'too-many-feed-clients' })).toBe(1);
    one.end();
  });
});
