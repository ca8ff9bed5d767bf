/**
 * Issue 12, findings G and H: hostile recordings replayed by a real server (its own process), and
 * recordings that must never overwrite each other, rotate, and survive a killed process.
 */
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FeedSubscriber } from '../../src/server/client.js';
import { readRecording } from '../../src/server/replay.js';
import { expectSurvived, sleep, startHostileServer, TOKEN, underAttack, type HostileServer } from './harness.js';
import { DEG, ingestSession, REF } from './wire.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const INFO = { id: 'evil', state: 'ended', source: 'ingest', sampleRate: 16000, streams: ['ref', 'deg'], startedAt: '2025-01-01T00:00:00.000Z' };
const HEADER = JSON.stringify({ type: 'recording', version: 1, session: INFO, recordedAt: '2025-01-01T00:00:00.000Z' });
const sample = (t: number, metric = 'snr', window = '1s') => JSON.stringify({ type: 'sample', session: 'evil', t, metric, window, value: t, uncertainty: 0.1 });
const column = 'A'.repeat(88); // 64 bands of base64
const spectrum = (t: number) => JSON.stringify({ type: 'spectrum', session: 'evil', t, dt: 0.1, bands: { n: 64, fminHz: 50, fmaxHz: 8000, scale: 'mel' }, dbMin: -120, dbStep: 0.5, ref: column, deg: column });

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const l of lines) if (!out.write(l)) await new Promise<void>((ok) => out.once('drain', () => ok()));
  await new Promise<void>((ok) => out.end(() => ok()));
}

/** Replay `path` in a server process while feed clients watch and /metrics is scraped; returns what they saw. */
async function replayUnderWatch(path: string) {
  server = await startHostileServer({ replay: path });
  const s = server;
  const r = await underAttack(s, async () => {
    const byId = await FeedSubscriber.connect(s.wsUrl, { token: TOKEN, session: 'evil' });
    const all = await FeedSubscriber.connect(s.wsUrl, { token: TOKEN });
    let scrapes = 0;
    for (;;) {
      const res = await fetch(`${s.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      await res.text();
      scrapes++;
      const st = await s.stats();
      if (!st || st.replay?.done) break;
      // A dashboard toggling its subscription mid-replay gets snapshots of what was replayed so far.
      byId.subscribe([]);
      byId.subscribe(['evil']);
      await sleep(100);
    }
    await sleep(200);
    byId.end();
    all.end();
    return { scrapes, messages: byId.messages, stats: await s.stats() };
  });
  return { s, r };
}

describe('hostile recordings and recording files (issue 12)', () => {
  it('G: a recording with malformed, mistyped, deeply nested and over-long lines replays; every bad line is skipped and counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-hostile-g-'));
    const path = join(dir, 'evil.jsonl');
    const bad = [
      JSON.stringify({ type: 'spectrum', session: 'evil', t: 0.5, dt: 0.1, dbMin: -120, dbStep: 0.5, ref: column, deg: column }), // no bands
      `${'['.repeat(20_000)}${']'.repeat(20_000)}`, // 20k deep
      JSON.stringify({ type: 'summary', session: 'evil', deep: JSON.parse(`${'['.repeat(50)}1${']'.repeat(50)}`) }),
      JSON.stringify({ type: 'sample', session: 'evil', t: 'soon', metric: 'snr', window: '1s', value: 1, uncertainty: null }),
      JSON.stringify({ type: 'sample', session: 'evil', t: 0.7, metric: 'snr', window: '1s', value: '12 dB', uncertainty: null }),
      JSON.stringify({ type: 'sample', session: 'evil', t: 0.7, metric: 'snr', window: 'forever', value: 1, uncertainty: null }),
      JSON.stringify({ type: 'delay', session: 'evil', t: 0.8, delayMs: '12', delaySamples: 192, confidence: 0.9, kind: 'initial' }),
      JSON.stringify({ type: 'spectrum', session: 'evil', t: 0.9, dt: 0.1, bands: { n: 1e9, fminHz: 50, fmaxHz: 8000, scale: 'mel' }, dbMin: -120, dbStep: 0.5, ref: 'AA', deg: 'AA' }),
      JSON.stringify({ type: 'hello', protocol: 1 }),
      JSON.stringify({ type: '__proto__' }),
      `{"type":"sample","t":${'9'.repeat(2 * 1024 * 1024)}}`, // over the line limit
      '\u0000\u0001 not json',
    ];
    const good: string[] = [];
    for (let k = 1; k <= 50; k++) good.push(sample(k / 10), spectrum(k / 10));
    good.push(JSON.stringify({ type: 'delay', session: 'evil', t: 1, delayMs: 12, delaySamples: 192, confidence: 0.9, kind: 'initial' }));
    good.push(JSON.stringify({ type: 'summary', session: 'evil', snr: 12, reasons: { stoi: 'x' }, dropoutTimes: [1, 2] }));
    const body = [...good.slice(0, 20), ...bad, ...good.slice(20)];
    await writeLines(path, [`${HEADER}\n`, ...body.map((l) => `${l}\n`), '\n', sample(9).slice(0, 30)]);
    const rec = await readRecording(path);
    expect(rec.skipped).toBe(bad.length + 1); // and the cut-off last line
    expect(rec.lineCount).toBe(good.length);
    const { s, r } = await replayUnderWatch(path);
    expectSurvived(s, r);
    expect(r.result.stats?.replay).toMatchObject({ skipped: bad.length + 1, lineCount: good.length, done: true });
    expect(r.result.messages.some((m) => m.type === 'history')).toBe(true);
    expect(r.result.messages.find((m) => m.type === 'summary')).toMatchObject({ snr: 12 });
  });

  it('G: a large recording replays in constant memory (streamed, not read whole)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-hostile-g-big-'));
    const path = join(dir, 'big.jsonl');
    // About 35 MB of spectrum and sample lines.
    const lines = function* () {
      yield `${HEADER}\n`;
      for (let k = 0; k < 120_000; k++) {
        yield `${spectrum(k / 100)}\n`;
        if (k % 10 === 0) yield `${sample(k / 100)}\n`;
      }
    };
    await writeLines(path, lines());
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(30 * 1024 * 1024);
    const { s, r } = await replayUnderWatch(path);
    expectSurvived(s, r);
    expect(r.result.stats?.replay).toMatchObject({ skipped: 0, done: true });
    // Reading the file whole took about three times its size (string, lines, objects); streaming, far less than its size.
    expect(r.rssPeak - r.rssBase).toBeLessThan(size);
  });

  it('H: sessions reopened under one name at once get one file each; a size limit rotates into parts that each replay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-hostile-h-'));
    server = await startHostileServer({ record: dir, recordMaxBytes: 64 * 1024 });
    const s = server;
    const fs = 16000;
    const x = new Float64Array(fs).fill(0.1);
    const r = await underAttack(s, async () => {
      // Five sessions of one name, each opened as soon as the previous closed (the old names had 1 s resolution).
      for (let k = 0; k < 5; k++) {
        const { client, handle } = await ingestSession(s.wsUrl, s.token, 'same');
        client.sendAudio(handle, REF, fs, 0, x.subarray(0, 1600), 'int16');
        client.sendAudio(handle, DEG, fs, 0, x.subarray(0, 1600), 'int16');
        await client.close(handle);
        client.end();
      }
      // One long session: past 64 KiB, its recording goes on in the next part.
      const { client, handle } = await ingestSession(s.wsUrl, s.token, 'long');
      for (let k = 0; k < 20; k++) {
        client.sendAudio(handle, REF, fs, k * fs, x, 'int16');
        client.sendAudio(handle, DEG, fs, k * fs, x, 'int16');
      }
      await client.close(handle);
      client.end();
    });
    expectSurvived(s, r);
    const files = readdirSync(dir).sort();
    const same = files.filter((f) => f.startsWith('same-'));
    expect(same).toHaveLength(5);
    for (const f of same) {
      const lines = readFileSync(join(dir, f), 'utf8').trim().split('\n');
      expect(JSON.parse(lines[0])).toMatchObject({ type: 'recording', session: { id: 'same' } });
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'session', event: 'ended' });
    }
    const parts = files.filter((f) => f.startsWith('long-'));
    expect(parts.length).toBeGreaterThan(2);
    let samples = 0;
    for (const f of parts) {
      expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(64 * 1024);
      const rec = await readRecording(join(dir, f));
      expect(rec.skipped).toBe(0);
      const k = /-part(\d+)\.jsonl$/.exec(f)?.[1];
      expect(rec.header.part).toBe(k === undefined ? undefined : Number(k));
      for await (const l of rec.lines()) if (l.type === 'sample') samples++;
    }
    // Nothing lost between parts: 20 s at 10 reports per second of every series the engine emits.
    const series = new Set<string>();
    for (const f of parts) for (const l of readFileSync(join(dir, f), 'utf8').trim().split('\n')) {
      const o = JSON.parse(l);
      if (o.type === 'sample') series.add(`${o.metric}/${o.window}`);
    }
    expect(samples).toBeGreaterThanOrEqual(series.size * 199);
  });

  it('H: a process killed mid-recording leaves whole lines only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-hostile-kill-'));
    server = await startHostileServer({ record: dir });
    const s = server;
    const fs = 16000;
    const { client, handle } = await ingestSession(s.wsUrl, s.token, 'killed', fs);
    const x = new Float64Array(fs).fill(0.1);
    for (let k = 0; k < 20; k++) {
      client.sendAudio(handle, REF, fs, k * fs, x, 'int16');
      client.sendAudio(handle, DEG, fs, k * fs, x, 'int16');
      await client.drain();
    }
    // Kill it while it is writing: once the recording has some lines (the engine's samples and
    // spectra come after its aligner locks, so how soon depends on the machine's load).
    const recorded = () => readdirSync(dir).reduce((n, f) => n + readFileSync(join(dir, f), 'utf8').split('\n').length - 1, 0);
    for (let waited = 0; recorded() <= 10 && waited < 30_000; waited += 100) await sleep(100);
    s.proc.kill('SIGKILL');
    await new Promise((ok) => s.proc.once('exit', ok));
    client.ws.terminate();
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const text = readFileSync(join(dir, files[0]), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n').slice(0, -1);
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  });
});
