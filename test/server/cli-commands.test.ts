/** `earshot push`, `earshot serve` and `earshot replay` (src/cli/{push,serve,replay}-command.ts). */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../src/cli/main.js';
import { runPush } from '../../src/cli/push-command.js';
import { runReplay } from '../../src/cli/replay-command.js';
import { startServe, type ServeHandle } from '../../src/cli/serve-command.js';
import { encodeWavPcm16 } from '../../src/io/wav.js';
import { FeedSubscriber } from '../../src/server/client.js';
import { fakeEngineFactory } from './fake-engine.js';
import { startTestServer, testPair, type TestServer } from './helpers.js';

function captureIo(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
  return io;
}

function wavFiles(seconds: number, fs = 16000): { ref: string; deg: string; noisy: string } {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-push-'));
  const pair = testPair(seconds, fs, 3);
  const files = { ref: join(dir, 'ref.wav'), deg: join(dir, 'deg.wav'), noisy: join(dir, 'noisy.wav') };
  writeFileSync(files.ref, encodeWavPcm16([pair.ref], fs));
  writeFileSync(files.deg, encodeWavPcm16([pair.deg], fs));
  writeFileSync(files.noisy, encodeWavPcm16([pair.noisy], fs));
  return files;
}

let ts: TestServer | undefined;
let serve: ServeHandle | undefined;
afterEach(async () => {
  await ts?.server.close();
  await serve?.stop();
  ts = undefined;
  serve = undefined;
});

describe('earshot push', () => {
  it('--jsonl prints the session feed as JSON lines ending with the summary, which equals earshot analyze --json', async () => {
    ts = await startTestServer({ token: 'push-token-1' });
    const f = wavFiles(1);
    const io = captureIo();
    const code = await runPush([f.ref, f.deg, '--noisy', f.noisy, '--url', ts.server.wsUrl, '--token', 'push-token-1', '--speed', 'max', '--jsonl', '--session', 'p1'], io);
    expect(io.err).toBe('');
    expect(code).toBe(0);
    const lines = io.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'session', event: 'opened', session: { id: 'p1' } });
    expect(lines.filter((l) => l.type === 'sample')[0]).toMatchObject({ type: 'sample', session: 'p1', metric: 'snr' });
    expect(lines.some((l) => l.type === 'spectrum' || l.type === 'hello' || l.type === 'samples')).toBe(false);
    const summary = lines.at(-1);
    expect(summary).toMatchObject({ type: 'summary', session: 'p1' });
    const analyzeIo = captureIo();
    expect(await main(['analyze', f.ref, f.deg, '--noisy', f.noisy, '--json', '--align', 'auto'], analyzeIo)).toBe(0);
    const { type: _t, session: _s, ...keys } = summary;
    expect(keys).toEqual(JSON.parse(analyzeIo.out));
    // The engine got int16-exact audio: 16-bit sources go as int16.
    expect(ts.engines.engines[0].blocks[0].ref[100]).toBe(testPair(1, 16000, 3).ref[100]);
  });

  it('streams in real time by default (and at a chosen factor)', async () => {
    ts = await startTestServer();
    const f = wavFiles(0.6);
    const io = captureIo();
    // Lower bounds only, which a loaded machine cannot break (pacing waits are timers, which never
    // fire early); no upper bound on wall-clock time.
    let start = performance.now();
    expect(await runPush([f.ref, f.deg, '--url', ts.server.wsUrl], io)).toBe(0);
    expect(performance.now() - start).toBeGreaterThan(550);
    expect(io.out).toMatch(/pushed 0\.60 s \(ref, deg, int16\) to session push-[0-9a-f]{6}/);
    expect(io.out).toMatch(/summary: SNR -?\d+\.\d\d dB/);
    start = performance.now();
    expect(await runPush([f.ref, f.deg, '--url', ts.server.wsUrl, '--speed', '3'], captureIo())).toBe(0);
    expect(performance.now() - start).toBeGreaterThan(180);
  });

  it('usage errors and refusals', async () => {
    const io = captureIo();
    await expect(runPush(['only-one.wav'], io)).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(runPush(['a.wav', 'b.wav', '--speed', 'fast'], io)).rejects.toMatchObject({ code: 'ERR_USAGE', message: expect.stringMatching(/--speed/) });
    await expect(runPush(['a.wav', 'b.wav', '--session', 'a/b'], io)).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(runPush(['a.wav', 'b.wav', '--url', 'localhost:8080'], io)).rejects.toMatchObject({ code: 'ERR_USAGE' });
    ts = await startTestServer({ token: 'right-token' });
    const f = wavFiles(0.2);
    const bad = captureIo();
    expect(await runPush([f.ref, f.deg, '--url', ts.server.wsUrl, '--token', 'wrong', '--speed', 'max'], bad)).toBe(1);
    expect(bad.err).toMatch(/4401/);
    const busy = captureIo();
    const taken = ts.server.registry.open({ id: 'taken', source: 'ingest', sampleRate: 16000, streams: ['ref', 'deg'] });
    expect(taken.info.state).toBe('live');
    expect(await runPush([f.ref, f.deg, '--url', ts.server.wsUrl, '--token', 'right-token', '--session', 'taken', '--speed', 'max'], busy)).toBe(1);
    expect(busy.err).toMatch(/4409.*already live/);
    const down = captureIo();
    expect(await runPush([f.ref, f.deg, '--url', 'ws://127.0.0.1:1', '--speed', 'max'], down)).toBe(1);
    expect(down.err).toMatch(/cannot connect/);
  });
});

describe('earshot serve', () => {
  it('prints where everything is, with a generated token, and serves pushes', async () => {
    const io = captureIo();
    const engines = fakeEngineFactory();
    delete process.env.EARSHOT_TOKEN;
    serve = (await startServe(['--port', '0'], io, { engineFactory: engines.factory, dashboardDir: null }))!;
    const token = /#token=([A-Za-z0-9_-]+)/.exec(io.out)?.[1];
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(io.out).toContain(`dashboard  ${serve.server.url}/#token=${token}`);
    expect(io.out).toContain(`push       earshot push REF.wav DEG.wav --url ${serve.server.wsUrl} --token ${token}`);
    expect(io.out).toMatch(/alerts {5}3 rule\(s\) \(built-in\)/);
    const f = wavFiles(0.3);
    expect(await runPush([f.ref, f.deg, '--url', serve.server.wsUrl, '--token', token!, '--speed', 'max'], captureIo())).toBe(0);
  });

  it('--no-auth only on loopback; --alerts and --record are used', async () => {
    await expect(startServe(['--host', '0.0.0.0', '--no-auth', '--port', '0'], captureIo())).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(startServe(['--port', '70000'], captureIo())).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(startServe(['--token', 'short', '--port', '0'], captureIo())).rejects.toMatchObject({ code: 'ERR_USAGE' });
    const dir = mkdtempSync(join(tmpdir(), 'earshot-serve-'));
    const alerts = join(dir, 'alerts.yaml');
    writeFileSync(alerts, '- { metric: snr, window: total, op: "<", threshold: 100, holdSec: 0.1 }\n');
    const io = captureIo();
    const engines = fakeEngineFactory();
    serve = (await startServe(['--port', '0', '--no-auth', '--alerts', alerts, '--record', join(dir, 'rec')], io, { engineFactory: engines.factory, dashboardDir: null }))!;
    expect(io.out).toMatch(/1 rule\(s\) from .*alerts\.yaml; recording into/);
    const f = wavFiles(0.5);
    const push = captureIo();
    expect(await runPush([f.ref, f.deg, '--url', serve.server.wsUrl, '--speed', 'max', '--jsonl', '--session', 'rec-me'], push)).toBe(0);
    expect(push.out).toMatch(/"type":"alert","state":"raised"/);
    expect(readdirSync(join(dir, 'rec'))).toEqual([expect.stringMatching(/^rec-me-.*\.jsonl$/)]);
  });
});

describe('earshot replay', () => {
  it('serves a recording and exits with --exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-replay-'));
    const engines = fakeEngineFactory();
    serve = (await startServe(['--port', '0', '--no-auth', '--record', dir], captureIo(), { engineFactory: engines.factory, dashboardDir: null }))!;
    const f = wavFiles(0.5);
    expect(await runPush([f.ref, f.deg, '--url', serve.server.wsUrl, '--speed', 'max', '--session', 'call-7'], captureIo())).toBe(0);
    const [file] = readdirSync(dir);
    const io = captureIo();
    expect(await runReplay([join(dir, file), '--port', '0', '--no-auth', '--now', '--exit', '--speed', 'max'], io)).toBe(0);
    expect(io.out).toMatch(/session call-7, 0\.5 s/);
    expect(io.out).toMatch(/playback finished/);
    await expect(runReplay([], captureIo())).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(runReplay([join(dir, file), '--speed', '0'], captureIo())).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });

  it('waits for a viewer before playing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-replay-'));
    const engines = fakeEngineFactory();
    serve = (await startServe(['--port', '0', '--no-auth', '--record', dir], captureIo(), { engineFactory: engines.factory, dashboardDir: null }))!;
    const f = wavFiles(0.3);
    expect(await runPush([f.ref, f.deg, '--url', serve.server.wsUrl, '--speed', 'max', '--session', 'call-8'], captureIo())).toBe(0);
    const [file] = readdirSync(dir);
    const io = captureIo();
    const done = runReplay([join(dir, file), '--port', '0', '--no-auth', '--exit', '--speed', 'max'], io);
    const deadline = performance.now() + 5000;
    while (!/feed +ws:/.test(io.out) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const url = /feed +(ws:\/\/\S+)\/feed/.exec(io.out)![1];
    expect(io.out).toMatch(/waiting for a viewer/);
    const viewer = await FeedSubscriber.connect(url);
    const summary = await viewer.next((m) => m.type === 'summary' && m.session === 'call-8');
    expect(summary).toMatchObject({ type: 'summary' });
    expect(await done).toBe(0);
  });
});
