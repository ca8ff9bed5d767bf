import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze.js';
import { reportJson } from '../../src/cli/format.js';
import { FeedSubscriber, IngestClient } from '../../src/server/client.js';
import type { FeedMessage, HistoryMessage, SamplesMessage, SessionMessage, SpectrumMessage } from '../../src/server/feed-types.js';
import { CLOSE_CODES } from '../../src/server/protocol.js';
import { fakeEngineFactory } from './fake-engine.js';
import { DEG, NOISY, REF, pushFrames, scrape, series, startTestServer, testPair, until, type TestServer } from './helpers.js';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.server.close();
  ts = undefined;
});

const samplesOf = (msgs: FeedMessage[], session: string) =>
  msgs.filter((m): m is SamplesMessage => m.type === 'samples' && m.session === session).flatMap((m) => m.samples);

describe('earshot server with a fake engine', () => {
  it('ingest → engine → feed: samples, delay, spectra, summary, in order, then the session ends', async () => {
    ts = await startTestServer();
    const fs = 16000;
    const { ref, deg, noisy } = testPair(2, fs);
    const feed = await FeedSubscriber.connect(ts.server.wsUrl);
    const client = await IngestClient.connect(ts.server.wsUrl);
    const opened = await client.open({ name: 'call-1', sampleRate: fs, streams: [REF, DEG, NOISY] });
    expect(opened).toMatchObject({ type: 'opened', session: 'call-1', sessions: ['call-1'], streams: ['ref', 'deg', 'noisy'] });
    await pushFrames(client, opened.handle, fs, [
      { stream: REF, samples: ref },
      { stream: DEG, samples: deg },
      { stream: NOISY, samples: noisy },
    ]);
    const closed = await client.close(opened.handle);
    const ended = await feed.next<SessionMessage>((m) => m.type === 'session' && m.event === 'ended');
    expect(ended.session).toMatchObject({ id: 'call-1', state: 'ended', endReason: 'closed', source: 'ingest', sampleRate: fs });

    // The engine got exactly the pushed audio, continuous and aligned.
    const engine = ts.engines.engines[0];
    expect(engine.options).toMatchObject({ id: 'call-1', sampleRate: fs, withNoisy: true });
    expect(engine.blocks.reduce((n, b) => n + b.ref.length, 0)).toBe(ref.length);

    // Samples: 10 per second of stream for each series the engine emits.
    const samples = samplesOf(feed.messages, 'call-1');
    expect(samples.filter((s) => s.metric === 'snr' && s.window === 'total')).toHaveLength(20);
    const types = feed.messages.map((m) => m.type);
    expect(types[0]).toBe('hello');
    expect(types).toContain('delay');
    // Spectra: about 10 columns per second of ref and deg.
    const spectra = feed.messages.filter((m): m is SpectrumMessage => m.type === 'spectrum');
    expect(spectra.length).toBeGreaterThanOrEqual(19);
    expect(Buffer.from(spectra[5].ref, 'base64')).toHaveLength(spectra[5].bands.n);
    // The summary comes after the last sample and before the session's end.
    const iSummary = types.indexOf('summary');
    expect(iSummary).toBeGreaterThan(types.lastIndexOf('samples'));
    expect(iSummary).toBeLessThan(feed.messages.indexOf(ended));
    const expected = reportJson(analyze({ sampleRate: fs, refs: [ref], degs: [deg], noisy }, { align: 'auto' }));
    expect(feed.messages[iSummary]).toEqual({ type: 'summary', session: 'call-1', ...expected });
    expect(closed.summaries).toEqual([{ type: 'summary', session: 'call-1', ...expected }]);
    client.end();
    feed.end();
  });

  it('/metrics shows running values per session and server health', async () => {
    ts = await startTestServer();
    const fs = 8000;
    const { ref, deg } = testPair(1, fs);
    const client = await IngestClient.connect(ts.server.wsUrl);
    const { handle } = await client.open({ name: 'm1', sampleRate: fs, streams: [REF, DEG] });
    await pushFrames(client, handle, fs, [
      { stream: REF, samples: ref },
      { stream: DEG, samples: deg },
    ]);
    // The frames are sent; wait until the engine's samples for the whole second have reached the server.
    await until(() => (ts!.server.registry.get('m1')?.latest.get('snr\u0000total')?.t ?? 0) >= 1, 'the sample at t = 1 s');
    const feed = await FeedSubscriber.connect(ts.server.wsUrl, { session: 'm1' });
    // A late subscriber gets the recent history: series at 2 points per second and spectrogram columns.
    const history = await feed.next<HistoryMessage>((m) => m.type === 'history');
    const snrTotal = history.series.find((x) => x.metric === 'snr' && x.window === 'total')!;
    expect(snrTotal.t).toEqual([0.1, 0.5, 1]);
    expect(history.series.find((x) => x.metric === 'level')!.t).toEqual(snrTotal.t);
    expect(history.spectra!.t).toHaveLength(10);
    expect(history.delay).toMatchObject({ delayMs: 0, kind: 'initial' });
    const text = await scrape(ts.server);
    const latest = ts.server.registry.get('m1')!.latest.get('snr\u0000total')!;
    expect(series(text, 'earshot_metric_value', { session: 'm1', metric: 'snr', window: 'total' })).toBeCloseTo(latest.value!, 10);
    expect(series(text, 'earshot_metric_uncertainty', { session: 'm1', metric: 'snr', window: 'total' })).toBe(0.01);
    expect(series(text, 'earshot_sessions', { state: 'live' })).toBe(1);
    expect(series(text, 'earshot_ingest_samples_total')).toBe(2 * ref.length);
    expect(series(text, 'earshot_ingest_frames_total')).toBe(2 * Math.ceil(ref.length / 320));
    expect(series(text, 'earshot_ingest_connections')).toBe(1);
    expect(series(text, 'earshot_feed_clients')).toBe(1);
    expect(series(text, 'earshot_delay_confidence', { session: 'm1' })).toBe(0.9);
    expect(text).toMatch(/^earshot_process_cpu_seconds_total /m);
    // A null value is absent, never NaN.
    expect(text).not.toMatch(/NaN/);
    await client.close(handle);
    client.end();
    feed.end();
  });

  it('several speakers: ref0/ref1/deg0/deg1 become one engine session per speaker', async () => {
    ts = await startTestServer();
    const fs = 8000;
    const a = testPair(0.5, fs, 1);
    const b = testPair(0.5, fs, 2);
    const client = await IngestClient.connect(ts.server.wsUrl);
    const R1 = { kind: 'ref' as const, speaker: 1 };
    const D1 = { kind: 'deg' as const, speaker: 1 };
    const opened = await client.open({ name: 'sep', sampleRate: fs, streams: [REF, R1, DEG, D1] });
    expect(opened.sessions).toEqual(['sep.0', 'sep.1']);
    await pushFrames(client, opened.handle, fs, [
      { stream: REF, samples: a.ref },
      { stream: R1, samples: b.ref },
      { stream: DEG, samples: a.deg },
      { stream: D1, samples: b.deg },
    ]);
    const closed = await client.close(opened.handle);
    expect(closed.summaries).toHaveLength(2);
    const [e0, e1] = ts.engines.engines;
    expect(e0.blocks[0].ref[10]).toBe(a.ref[10]);
    expect(e1.blocks[0].deg[10]).toBe(b.deg[10]);
    expect(ts.server.registry.get('sep.1')!.info.group).toBe('sep');
    client.end();
  });

  it('a failing engine closes its connection with 4500; other sessions go on', async () => {
    ts = await startTestServer();
    const fs = 8000;
    const { ref, deg } = testPair(1, fs);
    const good = await IngestClient.connect(ts.server.wsUrl);
    const g = await good.open({ name: 'good', sampleRate: fs, streams: [REF, DEG] });
    const bad = await IngestClient.connect(ts.server.wsUrl);
    const b = await bad.open({ name: 'bad', sampleRate: fs, streams: [REF, DEG] });
    const failing = ts.engines.engines.find((e) => e.id === 'bad')!;
    failing.push = () => {
      throw new Error('boom');
    };
    bad.sendAudio(b.handle, REF, fs, 0, ref.subarray(0, 160), 'int16');
    bad.sendAudio(b.handle, DEG, fs, 0, deg.subarray(0, 160), 'int16');
    const why = await bad.whenClosed();
    expect(why.code).toBe(CLOSE_CODES.internal);
    expect(why.message).toMatch(/engine failed: boom/);
    await pushFrames(good, g.handle, fs, [
      { stream: REF, samples: ref },
      { stream: DEG, samples: deg },
    ]);
    const closed = await good.close(g.handle);
    expect(closed.summaries).toHaveLength(1);
    expect(ts.server.registry.get('bad')!.info).toMatchObject({ state: 'ended', endReason: 'engine failed: boom' });
    good.end();
  });

  it('an engine that cannot start refuses the session with 4500 and leaves the server running', async () => {
    const engines = fakeEngineFactory();
    ts = await startTestServer({
      engineFactory: (o) => {
        if (o.sampleRate === 11025) throw new Error('11025 Hz is not supported');
        return engines.factory(o);
      },
    });
    const bad = await IngestClient.connect(ts.server.wsUrl);
    await expect(bad.open({ name: 'odd', sampleRate: 11025, streams: [REF, DEG] })).rejects.toMatchObject({
      code: CLOSE_CODES.internal,
      message: expect.stringMatching(/engine could not start: 11025 Hz is not supported/),
    });
    expect(ts.server.registry.get('odd')!.info.state).toBe('ended');
    const good = await IngestClient.connect(ts.server.wsUrl);
    await good.open({ name: 'fine', sampleRate: 16000, streams: [REF, DEG] });
    good.end();
  });

  it('serves the dashboard files, index.html for app routes, and never a file outside its directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-dash-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(join(tmpdir(), 'earshot-secret.txt'), 'secret');
    ts = await startTestServer({ dashboardDir: dir });
    const get = (p: string) => fetch(`${ts!.server.url}${p}`);
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const js = await get('/assets/app-1234.js');
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect((await get('/session/abc')).status).toBe(200);
    expect((await get('/missing.js')).status).toBe(404);
    for (const p of ['/../earshot-secret.txt', '/%2e%2e/earshot-secret.txt', '/assets/..%2f..%2fearshot-secret.txt']) {
      const res = await get(p);
      expect(await res.text()).not.toBe('secret');
    }
    expect((await get('/healthz')).status).toBe(200);
    expect((await fetch(`${ts.server.url}/`, { method: 'POST' })).status).toBe(405);
    expect((await get('/ingest')).status).toBe(426);
  });

  it('without a built dashboard, / explains how to build it', async () => {
    ts = await startTestServer({ dashboardDir: join(tmpdir(), 'earshot-no-such-dir') });
    const res = await fetch(`${ts.server.url}/`);
    expect(await res.text()).toMatch(/npm run build:dashboard/);
  });
});
