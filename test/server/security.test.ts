import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FeedSubscriber, IngestClient } from '../../src/server/client.js';
import { CLOSE_CODES, encodeAudio, encodeOpen, HEADER_BYTES } from '../../src/server/protocol.js';
import { isLoopbackHost, tokenMatches } from '../../src/server/security.js';
import { startServer } from '../../src/server/server.js';
import { DEG, REF, pushFrames, scrape, series, startTestServer, testPair, type TestServer } from './helpers.js';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.server.close();
  ts = undefined;
});

/** Open a raw WebSocket and resolve with the close code the server sends. */
function closeCodeOf(url: string, o: { headers?: Record<string, string>; origin?: string; send?: (ws: WebSocket) => void } = {}): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: o.headers, origin: o.origin, perMessageDeflate: false });
    ws.on('open', () => o.send?.(ws));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', (e) => (e.message.includes('Unexpected server response') ? resolve({ code: -1, reason: e.message }) : undefined));
    setTimeout(() => reject(new Error('no close within 5 s')), 5000).unref();
  });
}

describe('security helpers', () => {
  it('loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '10.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });
  it('token comparison', () => {
    expect(tokenMatches('abc12345', 'abc12345')).toBe(true);
    expect(tokenMatches('abc12345', 'abc1234')).toBe(false);
    expect(tokenMatches('abc12345', 'abc123456')).toBe(false);
    expect(tokenMatches('abc12345', undefined)).toBe(false);
  });
});

describe('refusals, each with its close code; the server stays up and other sessions go on', () => {
  const TOKEN = 'test-token-1234';

  it('refuses to listen beyond loopback without a token', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, dashboardDir: null, ingest: false })).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });

  it('missing or wrong token: 4401 on ingest and feed, 401 on /metrics; the right one is accepted', async () => {
    ts = await startTestServer({ token: TOKEN });
    const ws = ts.server.wsUrl;
    expect((await closeCodeOf(`${ws}/ingest`)).code).toBe(CLOSE_CODES.unauthorized);
    expect(await closeCodeOf(`${ws}/feed`)).toEqual({ code: CLOSE_CODES.unauthorized, reason: 'token required' });
    expect(await closeCodeOf(`${ws}/feed`, { headers: { Authorization: 'Bearer nope' } })).toEqual({ code: CLOSE_CODES.unauthorized, reason: 'wrong token' });
    expect((await closeCodeOf(`${ws}/ingest?token=${TOKEN}x`)).code).toBe(CLOSE_CODES.unauthorized);
    expect((await fetch(`${ts.server.url}/metrics`)).status).toBe(401);
    // Right token, as header (scripts) and as query parameter (browsers).
    const feed = await FeedSubscriber.connect(ws, { token: TOKEN });
    const feed2 = await FeedSubscriber.connect(`${ws}/feed?token=${TOKEN}`);
    const client = await IngestClient.connect(ws, { token: TOKEN });
    await client.open({ name: 'ok', sampleRate: 8000, streams: [REF, DEG] });
    const text = await scrape(ts.server, TOKEN);
    expect(series(text, 'earshot_refused_total', { reason: 'unauthorized' })).toBe(5);
    feed.end();
    feed2.end();
    client.end();
  });

  it('wrong Origin: 4403; same-origin pages and listed origins are allowed', async () => {
    ts = await startTestServer({ allowedOrigins: ['https://dash.example'] });
    const ws = ts.server.wsUrl;
    expect((await closeCodeOf(`${ws}/feed`, { origin: 'https://evil.example' })).code).toBe(CLOSE_CODES.forbiddenOrigin);
    expect((await closeCodeOf(`${ws}/ingest`, { origin: 'null' })).code).toBe(CLOSE_CODES.forbiddenOrigin);
    const same = await FeedSubscriber.connect(ws, { origin: ts.server.url });
    const listed = await FeedSubscriber.connect(ws, { origin: 'https://dash.example' });
    same.end();
    listed.end();
  });

  it('DNS rebinding: a loopback server refuses a foreign Host header (4403, HTTP 403)', async () => {
    ts = await startTestServer();
    const ws = ts.server.wsUrl;
    const r = await closeCodeOf(`${ws}/feed`, { headers: { Host: `evil.example:${ts.server.port}` }, origin: `http://evil.example:${ts.server.port}` });
    expect(r).toMatchObject({ code: CLOSE_CODES.forbiddenOrigin, reason: expect.stringMatching(/host evil.example/) });
    const status = await new Promise<number>((resolve) =>
      request({ host: '127.0.0.1', port: ts!.server.port, path: '/', headers: { Host: 'evil.example' } }, (res) => resolve(res.statusCode ?? 0)).end(),
    );
    expect(status).toBe(403);
    const ok = await FeedSubscriber.connect(`ws://localhost:${ts.server.port}`, { origin: `http://localhost:${ts.server.port}` });
    ok.end();
  });

  it('unknown upgrade path: HTTP 404', async () => {
    ts = await startTestServer();
    expect((await closeCodeOf(`${ts.server.wsUrl}/other`)).reason).toMatch(/404/);
  });

  it('oversized frame: 1009; malformed header: 4400; wrong version: 4426; text frame: 4400', async () => {
    ts = await startTestServer({ limits: { maxIngestMessageBytes: 4096 } });
    const url = `${ts.server.wsUrl}/ingest`;
    const big = encodeAudio({ handle: 1, stream: REF, sampleRate: 8000, seq: 0, t0: 0, samples: new Float64Array(3000), encoding: 'int16' });
    expect((await closeCodeOf(url, { send: (w) => w.send(big) })).code).toBe(1009);
    expect((await closeCodeOf(url, { send: (w) => w.send(new Uint8Array(10)) })).code).toBe(CLOSE_CODES.badFrame);
    const open = encodeOpen({ handle: 1, sampleRate: 8000, name: 'v', streams: [REF, DEG] });
    const v2 = Uint8Array.from(open);
    v2[2] = 2;
    expect(await closeCodeOf(url, { send: (w) => w.send(v2) })).toMatchObject({ code: CLOSE_CODES.badVersion, reason: expect.stringMatching(/version 2/) });
    expect((await closeCodeOf(url, { send: (w) => w.send('hello') })).code).toBe(CLOSE_CODES.badFrame);
    // AUDIO for a session never opened, and for a stream not declared.
    expect((await closeCodeOf(url, { send: (w) => w.send(big.subarray(0, HEADER_BYTES + 20)) })).code).toBe(CLOSE_CODES.badFrame);
    const noisyFrame = encodeAudio({ handle: 1, stream: { kind: 'noisy', speaker: 0 }, sampleRate: 8000, seq: 0, t0: 0, samples: [0], encoding: 'int16' });
    const r = await closeCodeOf(url, { send: (w) => (w.send(open), w.send(noisyFrame)) });
    expect(r).toMatchObject({ code: CLOSE_CODES.badFrame, reason: expect.stringMatching(/noisy was not declared/) });
    // OPEN without deg.
    const refOnly = encodeOpen({ handle: 1, sampleRate: 8000, name: 'r', streams: [REF] });
    expect((await closeCodeOf(url, { send: (w) => w.send(refOnly) })).reason).toMatch(/no deg stream/);
    // Frame at another sample rate than the session's.
    const at16k = encodeAudio({ handle: 1, stream: REF, sampleRate: 16000, seq: 0, t0: 0, samples: [0], encoding: 'int16' });
    expect((await closeCodeOf(url, { send: (w) => (w.send(encodeOpen({ handle: 1, sampleRate: 8000, name: 'q', streams: [REF, DEG] })), w.send(at16k)) })).reason).toMatch(
      /runs at 8000 Hz/,
    );
  });

  it('sessions per connection (4429), server-wide sessions (4429) and a live name (4409)', async () => {
    ts = await startTestServer({ limits: { maxSessionsPerConnection: 2, maxSessions: 3 } });
    const c1 = await IngestClient.connect(ts.server.wsUrl);
    await c1.open({ name: 'a', sampleRate: 8000, streams: [REF, DEG] });
    await c1.open({ name: 'b', sampleRate: 8000, streams: [REF, DEG] });
    await expect(c1.open({ name: 'c', sampleRate: 8000, streams: [REF, DEG] })).rejects.toMatchObject({ code: CLOSE_CODES.tooMany });
    // c1's sessions ended when it was closed; fill the server from other connections.
    const c2 = await IngestClient.connect(ts.server.wsUrl);
    await c2.open({ name: 'a', sampleRate: 8000, streams: [REF, DEG] });
    const c3 = await IngestClient.connect(ts.server.wsUrl);
    await expect(c3.open({ name: 'a', sampleRate: 8000, streams: [REF, DEG] })).rejects.toMatchObject({ code: CLOSE_CODES.sessionExists });
    const c4 = await IngestClient.connect(ts.server.wsUrl);
    await c4.open({ name: 'd', sampleRate: 8000, streams: [REF, DEG] });
    await c4.open({ name: 'e', sampleRate: 8000, streams: [REF, DEG] });
    const c5 = await IngestClient.connect(ts.server.wsUrl);
    await expect(c5.open({ name: 'f', sampleRate: 8000, streams: [REF, DEG] })).rejects.toMatchObject({ code: CLOSE_CODES.tooMany, message: expect.stringMatching(/limit of 3 live sessions/) });
    for (const c of [c2, c4]) c.end();
  });

  it('after every kind of refusal, a well-behaved session on another connection is unaffected', async () => {
    ts = await startTestServer({ token: TOKEN, limits: { maxIngestMessageBytes: 8192 } });
    const fs = 8000;
    const { ref, deg } = testPair(1, fs);
    const good = await IngestClient.connect(ts.server.wsUrl, { token: TOKEN });
    const { handle } = await good.open({ name: 'steady', sampleRate: fs, streams: [REF, DEG] });
    const ws = ts.server.wsUrl;
    const attacks = [
      closeCodeOf(`${ws}/ingest`),
      closeCodeOf(`${ws}/ingest?token=${TOKEN}`, { origin: 'https://evil.example' }),
      closeCodeOf(`${ws}/ingest?token=${TOKEN}`, { send: (w) => w.send(new Uint8Array(20000)) }),
      closeCodeOf(`${ws}/ingest?token=${TOKEN}`, { send: (w) => w.send(Uint8Array.from([0x45, 0x53, 9, ...new Uint8Array(30)])) }),
      closeCodeOf(`${ws}/ingest?token=${TOKEN}`, { send: (w) => w.send(encodeOpen({ handle: 1, sampleRate: 8000, name: 'steady', streams: [REF, DEG] })) }),
    ];
    await pushFrames(good, handle, fs, [
      { stream: REF, samples: ref },
      { stream: DEG, samples: deg },
    ]);
    expect((await Promise.all(attacks)).map((r) => r.code)).toEqual([4401, 4403, 1009, 4426, 4409]);
    const closed = await good.close(handle);
    expect(closed.summaries).toHaveLength(1);
    expect(good.events).toEqual([]);
    expect(ts.engines.engines.find((e) => e.id === 'steady')!.blocks.reduce((n, b) => n + b.ref.length, 0)).toBe(ref.length);
    good.end();
  });

  it('a plain HTTP request to /ingest does not hang and gets 426', async () => {
    ts = await startTestServer();
    const status = await new Promise<number>((resolve) => request(`${ts!.server.url}/feed`, (res) => resolve(res.statusCode ?? 0)).end());
    expect(status).toBe(426);
  });
});
