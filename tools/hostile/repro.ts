/**
 * The attacks of issue 12 against a real `earshot serve` (a child process, test/hostile/server-process.ts),
 * measuring what the issue reports: whether the server survives, its RSS (from /proc, so it reads even
 * while the server's event loop is blocked), the worst /healthz latency seen by a probe that asks every
 * 100 ms, and the server's own worst event-loop delay (perf_hooks histogram).
 *
 *   npx tsx tools/hostile/repro.ts [A B B0 C D E F H I] [--seconds 10]
 *
 * Not a test: it prints a table (the before/after figures of the closing note).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { IngestClient } from '../../src/server/client.js';
import { encodeAudio, encodeOpen, type StreamId } from '../../src/server/protocol.js';

const TOKEN = 'hostile-repro-token';
const REF: StreamId = { kind: 'ref', speaker: 0 };
const DEG: StreamId = { kind: 'deg', speaker: 0 };
const here = fileURLToPath(new URL('.', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Child {
  proc: ChildProcess;
  port: number;
  exited: () => boolean;
  stats: (timeoutMs?: number) => Promise<{ rss: number; elMaxMs: number; elP99Ms: number } | undefined>;
}

export async function spawnServer(o: object): Promise<Child> {
  const proc = fork(join(here, '../../test/hostile/server-process.ts'), [JSON.stringify({ token: TOKEN, ...o })], {
    execArgv: ['--import', 'tsx', ...(process.env.HOSTILE_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/hostile-prof'] : [])],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  let exited = false;
  proc.on('exit', (code, sig) => {
    exited = true;
    if (code !== 0) process.stderr.write(`  server exited: code ${code} signal ${sig}\n${stderr.split('\n').slice(0, 6).join('\n')}\n`);
  });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('message', (m: { type: string; port: number }) => resolve(m.port));
    proc.once('exit', () => reject(new Error(`server did not start: ${stderr}`)));
  });
  return {
    proc,
    port,
    exited: () => exited,
    stats: (timeoutMs = 120_000) =>
      new Promise((resolve) => {
        if (exited) return resolve(undefined);
        const t = setTimeout(() => resolve(undefined), timeoutMs);
        proc.once('message', (m: { rss: number; elMaxMs: number; elP99Ms: number }) => {
          clearTimeout(t);
          resolve(m);
        });
        proc.send({ type: 'stats' });
      }),
  };
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function healthz(port: number, timeoutMs: number): Promise<number> {
  const t = performance.now();
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(Infinity));
  });
}

/** Probe RSS and /healthz while `attack` runs and for `afterMs` after it. */
async function measure(name: string, serverOptions: object, attack: (c: Child) => Promise<string | void>, afterMs = 2000): Promise<void> {
  const c = await spawnServer(serverOptions);
  await sleep(500);
  const base = rssOf(c.proc.pid!);
  let maxRss = base;
  let maxHz = 0;
  let running = true;
  const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, rssOf(c.proc.pid!))), 100);
  const probe = (async () => {
    while (running && !c.exited()) {
      const lat = await healthz(c.port, 120_000);
      if (!c.exited()) maxHz = Math.max(maxHz, lat);
      await sleep(100);
    }
  })();
  let note: string | void = '';
  const t0 = performance.now();
  try {
    note = await attack(c);
  } catch (e) {
    note = `attack: ${(e as Error).message}`;
  }
  const attackMs = performance.now() - t0;
  await sleep(afterMs);
  running = false;
  await probe;
  const after = c.exited() ? undefined : await healthz(c.port, 120_000);
  const st = await c.stats();
  clearInterval(rssTimer);
  const mb = (b: number) => (b / 2 ** 20).toFixed(0);
  console.log(
    `${name.padEnd(4)} alive=${c.exited() ? 'NO ' : 'yes'} rss ${mb(base)}→${mb(maxRss)} MB  healthz max ${maxHz === Infinity ? 'failed' : `${maxHz.toFixed(0)} ms`}, after ${after === undefined ? '-' : `${after.toFixed(0)} ms`}  ` +
      `event-loop max ${st ? `${st.elMaxMs.toFixed(0)} ms` : '-'}  attack ${(attackMs / 1000).toFixed(1)} s  ${note ?? ''}`,
  );
  if (!c.exited()) {
    c.proc.send({ type: 'close' });
    await new Promise((r) => setTimeout(r, 3000));
    c.proc.kill('SIGKILL');
  }
  await sleep(200);
}

async function ingestSession(port: number, name: string, fs = 16000): Promise<{ client: IngestClient; handle: number }> {
  const client = await IngestClient.connect(`ws://127.0.0.1:${port}`, { token: TOKEN });
  const { handle } = await client.open({ name, sampleRate: fs, streams: [REF, DEG] });
  return { client, handle };
}

async function sendAll(ws: WebSocket, frames: Iterable<Uint8Array>, until = Infinity): Promise<number> {
  let n = 0;
  for (const f of frames) {
    if (ws.readyState !== WebSocket.OPEN || performance.now() > until) break;
    ws.send(f);
    n++;
    while (ws.bufferedAmount > 1 << 20 && ws.readyState === WebSocket.OPEN && performance.now() < until) await sleep(2);
  }
  return n;
}

const attacks: Record<string, (seconds: number) => Promise<void>> = {
  // A: refused upgrade, then a frame header announcing 2 MiB.
  A: () =>
    measure('A', {}, async (c) => {
      const s = connect(c.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(`GET /ingest HTTP/1.1\r\nHost: 127.0.0.1:${c.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      await sleep(200);
      const h = Buffer.alloc(14);
      h[0] = 0x82;
      h[1] = 0x80 | 127;
      h.writeBigUInt64BE(2n * 1024n * 1024n, 2);
      s.write(h);
      s.write(Buffer.alloc(64 * 1024));
      await sleep(1000);
      s.destroy();
    }),
  // B: one-sample frames whose t0 advances by 10 s each (with --workers 1, as serve's default here).
  B: () => attackB('B', 1),
  B0: () => attackB('B0', 0),
  // C: zero-sample frames whose sequence number jumps by 5000.
  C: () =>
    measure('C', { workers: 1 }, async (c) => {
      const { client, handle } = await ingestSession(c.port, 'c');
      const frames = function* () {
        for (let i = 0; i < 2000; i++) yield encodeAudio({ handle, stream: REF, sampleRate: 16000, seq: i * 5000, t0: 0, samples: [], encoding: 'int16' });
      };
      const n = await sendAll(client.ws, frames());
      return `${n} frames`;
    }),
  // D: repeated zero-sample frames (duplicates) from a client that never reads, with --record.
  D: (seconds) => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-repro-d-'));
    return measure('D', { workers: 1, record: dir }, async (c) => {
      const { client, handle } = await ingestSession(c.port, 'd');
      client.ws.pause();
      const frame = encodeAudio({ handle, stream: REF, sampleRate: 16000, seq: 0, t0: 0, samples: [], encoding: 'int16' });
      const until = performance.now() + seconds * 1000;
      const frames = function* () {
        for (;;) yield frame;
      };
      const n = await sendAll(client.ws, frames(), until);
      await sleep(500);
      const bytes = readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
      return `${n} frames in ${seconds} s, recorded ${(bytes / 2 ** 20).toFixed(1)} MB`;
    });
  },
  // E: a feed client that toggles its subscription to a session with a full history, never reading.
  E: () =>
    measure('E', { workers: 1 }, async (c) => {
      const { client, handle } = await ingestSession(c.port, 'e');
      const fs = 16000;
      const sec = 70;
      const x = new Float64Array(fs);
      for (let i = 0; i < fs; i++) x[i] = 0.3 * Math.sin(i * 0.05) * Math.sin(i * 0.0007);
      for (let s = 0; s < sec; s++) {
        for (let k = 0; k < fs; k += 1600) {
          client.sendAudio(handle, REF, fs, s * fs + k, x.subarray(k, k + 1600), 'int16');
          client.sendAudio(handle, DEG, fs, s * fs + k, x.subarray(k, k + 1600), 'int16');
        }
        await client.drain();
      }
      await sleep(3000); // let the engine catch up so the history is there
      const feed = new WebSocket(`ws://127.0.0.1:${c.port}/feed?session=&token=${TOKEN}`, { perMessageDeflate: false });
      await new Promise((r) => feed.once('open', r));
      feed.pause();
      const on = JSON.stringify({ type: 'subscribe', sessions: ['e'] });
      const off = JSON.stringify({ type: 'subscribe', sessions: [] });
      for (let i = 0; i < 4000 && feed.readyState === WebSocket.OPEN; i++) feed.send(i % 2 ? off : on);
      await sleep(3000);
      const closed = feed.readyState !== WebSocket.OPEN;
      feed.terminate();
      return `4000 toggles${closed ? ', feed closed by server' : ''}`;
    }),
  // F: one-sample frames on ref only (deg lags), 48 000 frames at 16 kHz.
  F: () =>
    measure('F', { workers: 1 }, async (c) => {
      const { client, handle } = await ingestSession(c.port, 'f');
      const frames = function* () {
        for (let i = 0; i < 48_000; i++) yield encodeAudio({ handle, stream: REF, sampleRate: 16000, seq: i, t0: i, samples: [0.1], encoding: 'int16' });
      };
      const n = await sendAll(client.ws, frames());
      await client.drain(0);
      return `${n} frames`;
    }),
  // H: two sessions of one name opened and closed within the same second, with --record.
  H: () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-repro-h-'));
    return measure('H', { workers: 1, record: dir }, async (c) => {
      for (let k = 0; k < 5; k++) {
        const { client, handle } = await ingestSession(c.port, 'h');
        const x = new Float64Array(1600).fill(0.1);
        client.sendAudio(handle, REF, 16000, 0, x, 'int16');
        client.sendAudio(handle, DEG, 16000, 0, x, 'int16');
        await client.close(handle);
        client.end();
      }
      await sleep(300);
      const files = readdirSync(dir);
      const lines = files.map((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length);
      return `${files.length} file(s) for 5 sessions: ${files.join(', ')} (${lines.join(', ')} lines)`;
    });
  },
};

async function attackB(name: string, workers: number): Promise<void> {
  return measure(name, { workers }, async (c) => {
    const { client, handle } = await ingestSession(c.port, 'b');
    const fs = 16000;
    const frames = function* () {
      for (let i = 0; i < 270; i++) yield encodeAudio({ handle, stream: REF, sampleRate: fs, seq: i, t0: i * 10 * fs, samples: [0.1], encoding: 'int16' });
    };
    const n = await sendAll(client.ws, frames());
    await sleep(3000);
    return `${n} frames (${n * 26} bytes)`;
  }, 5000);
}

const args = process.argv.slice(2);
const si = args.indexOf('--seconds');
const seconds = si >= 0 ? Number(args.splice(si, 2)[1]) : 10;
const names = args.length ? args : Object.keys(attacks);
for (const n of names) await attacks[n](seconds);
process.exit(0);
