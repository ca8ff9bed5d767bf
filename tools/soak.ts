/**
 * Soak of `earshot serve` (issue 12): N real-time ingest sessions and M feed clients for a while,
 * against a real server in its own process (test/hostile/server-process.ts, engines in one worker
 * thread as `--workers auto` picks on 2 cores, the full metric set). Sessions last SESSION_SEC and
 * are replaced as they end, so the server sees sessions start and end all along; RSS must stay flat
 * once the first ones have ended.
 *
 * Checks that no sample is lost: every audio sample sent was received (/metrics ingest counter),
 * no ingest irregularity happened, no feed client fell behind (nothing coalesced), every feed
 * client watching everything got the same metric samples, and the series that report at every tick
 * got ten per second of stream.
 *
 *   npx tsx tools/soak.ts [--sessions 10] [--feeds 5] [--minutes 5] [--session-sec 60] [--retention-sec S]
 *
 * Ended sessions stay listed (with their history) for the server's retention, 600 s by default, up to
 * 100 of them: within a 5-minute soak RSS then grows by what the ended sessions hold. `--retention-sec
 * 30` shows the steady state that follows once ended sessions are dropped.
 *
 * Not part of the test suite (it runs for minutes); prints its figures.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FeedSubscriber, IngestClient } from '../src/server/client.js';
import type { SamplesMessage } from '../src/server/feed-types.js';
import type { StreamId } from '../src/server/protocol.js';

const { values } = parseArgs({
  options: { sessions: { type: 'string', default: '10' }, feeds: { type: 'string', default: '5' }, minutes: { type: 'string', default: '5' }, 'session-sec': { type: 'string', default: '60' }, 'retention-sec': { type: 'string' } },
});
const SESSIONS = Number(values.sessions);
const FEEDS = Number(values.feeds);
const SECONDS = Number(values.minutes) * 60;
const SESSION_SEC = Number(values['session-sec']);
const FS = 16000;
const FRAME = 320; // 20 ms
const TOKEN = 'soak-token-123';
const REF: StreamId = { kind: 'ref', speaker: 0 };
const DEG: StreamId = { kind: 'deg', speaker: 0 };

const proc = fork(fileURLToPath(new URL('../test/hostile/server-process.ts', import.meta.url)), [JSON.stringify({ token: TOKEN, workers: 1, ...(values['retention-sec'] ? { endedRetentionSec: Number(values['retention-sec']) } : {}) })], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const ready = await new Promise<{ port: number; wsUrl: string; url: string }>((ok) => proc.once('message', ok as (m: unknown) => void));
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))![1]) * 1024;
const stats = () => new Promise<{ rss: number; elMaxMs: number; elP99Ms: number }>((ok) => {
  proc.once('message', ok as (m: unknown) => void);
  proc.send({ type: 'stats' });
});
const healthz = () =>
  new Promise<number>((ok) => {
    const t = performance.now();
    request({ host: '127.0.0.1', port: ready.port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.on('end', () => ok(performance.now() - t));
    })
      .on('error', () => ok(Infinity))
      .end();
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Speech-like test signal: noise bursts with pauses, and a degraded copy (seeded LCG). */
function signal(seconds: number, seed: number): { ref: Float64Array; deg: Float64Array } {
  const n = seconds * FS;
  const ref = new Float64Array(n);
  const deg = new Float64Array(n);
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  for (let i = 0; i < n; i++) {
    const env = Math.sin((Math.PI * i) / (0.3 * FS)) ** 2;
    ref[i] = Math.round(0.3 * env * rnd() * 32767) / 32768;
    deg[i] = Math.round((ref[i] + 0.02 * rnd()) * 32767) / 32768;
  }
  return { ref, deg };
}

// Feed clients: the first three watch everything (like `earshot push --jsonl` or a wall display),
// the others one session each (like dashboards), re-subscribing as sessions come and go.
const feeds = await Promise.all(Array.from({ length: FEEDS }, (_, i) => FeedSubscriber.connect(ready.wsUrl, { token: TOKEN, session: i < 3 ? '*' : 'none' })));
const perSession = new Map<string, Map<number, number>>(); // session → feed index → samples
const perSeries = new Map<string, Map<string, number>>(); // session → series → samples (first client)
const durations = new Map<string, number>();
feeds.forEach((f, i) =>
  f.onMessage((m) => {
    if (m.type !== 'samples') return;
    let c = perSession.get(m.session);
    if (!c) perSession.set(m.session, (c = new Map()));
    c.set(i, (c.get(i) ?? 0) + (m as SamplesMessage).samples.length);
    if (i === 0) {
      let series = perSeries.get(m.session);
      if (!series) perSeries.set(m.session, (series = new Map()));
      for (const e of (m as SamplesMessage).samples) series.set(`${e.metric}/${e.window}`, (series.get(`${e.metric}/${e.window}`) ?? 0) + 1);
    }
    if ((m as SamplesMessage).coalesced) coalesced++;
  }),
);
let coalesced = 0;
messagesCleanup();
function messagesCleanup() {
  // Keep the subscribers' own message lists from growing for 5 minutes.
  setInterval(() => feeds.forEach((f) => (f.messages.length = 0)), 1000).unref();
}

let samplesSent = 0;
let sessionsDone = 0;
const summaries: string[] = [];
async function slot(k: number, until: number): Promise<void> {
  for (let round = 0; performance.now() < until; round++) {
    const name = `soak-${k}-${round}`;
    const seconds = Math.min(SESSION_SEC, Math.floor((until - performance.now()) / 1000));
    if (seconds < 2) return;
    const { ref, deg } = signal(seconds, 1 + k * 1000 + round);
    durations.set(name, seconds);
    const client = await IngestClient.connect(ready.wsUrl, { token: TOKEN });
    const { handle } = await client.open({ name, sampleRate: FS, streams: [REF, DEG] });
    if (k < FEEDS - 3) feeds[3 + k].subscribe([name]);
    const start = performance.now();
    for (let t0 = 0; t0 < ref.length; t0 += FRAME) {
      // Real time: frame i goes out at start + i · 20 ms.
      const due = start + (t0 / FS) * 1000 - performance.now();
      if (due > 0) await sleep(due);
      client.sendAudio(handle, REF, FS, t0, ref.subarray(t0, t0 + FRAME), 'int16');
      client.sendAudio(handle, DEG, FS, t0, deg.subarray(t0, t0 + FRAME), 'int16');
      samplesSent += 2 * Math.min(FRAME, ref.length - t0);
    }
    const closed = await client.close(handle);
    if (closed.summaries[0]) summaries.push(name);
    client.end();
    sessionsDone++;
  }
}

const t0 = performance.now();
const until = t0 + SECONDS * 1000;
const trace: { t: number; rssMb: number; healthzMs: number; live: number }[] = [];
let worstHealthz = 0;
const probe = (async () => {
  while (performance.now() < until + 5000) {
    const h = await healthz();
    worstHealthz = Math.max(worstHealthz, h);
    const t = (performance.now() - t0) / 1000;
    if (trace.length === 0 || t - trace.at(-1)!.t >= 10) trace.push({ t, rssMb: rss() / 2 ** 20, healthzMs: h, live: SESSIONS });
    await sleep(200);
  }
})();
// Stagger the starts over the first session length, so sessions end at different times.
await Promise.all(Array.from({ length: SESSIONS }, async (_, k) => {
  await sleep((k * SESSION_SEC * 1000) / SESSIONS / 2);
  await slot(k, until);
}));
await probe;
const st = await stats();
const text = await (await fetch(`${ready.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
const metric = (name: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .map((l) => `${l.slice(name.length)}`)
    .join(' ');

// Every "*" feed client got the same number of samples of every session.
let mismatched = 0;
for (const [, c] of perSession) {
  const counts = [0, 1, 2].map((i) => c.get(i) ?? 0);
  if (counts.some((n) => n !== counts[0])) mismatched++;
}
// Ten samples per second of stream (the report rate) for the series that report at every tick
// (others, such as PESQ-like, refresh every few seconds).
const EVERY_TICK = ['snr/total', 'sisdr/3s', 'stoi/total', 'delay/frame'];
let short = 0;
for (const [name, seconds] of durations) {
  const series = perSeries.get(name);
  if (!series || EVERY_TICK.some((k) => (series.get(k) ?? 0) < seconds * 10)) short++;
}
console.log(`soak: ${SESSIONS} real-time sessions (${SESSION_SEC} s each, replaced as they end) + ${FEEDS} feed clients for ${SECONDS} s`);
console.log(`  sessions completed ${sessionsDone}, with a summary ${summaries.length}`);
console.log(`  audio samples sent ${samplesSent}; server received ${metric('earshot_ingest_samples_total')}`);
console.log(`  ingest irregularities: ${metric('earshot_ingest_irregular_events_total') || 'none'}`);
console.log(`  feed: coalesced batches ${coalesced}; behind events ${metric('earshot_feed_behind_total')}; sessions where the "*" clients disagree: ${mismatched} of ${perSession.size}; sessions with a series short of 10 samples/s (${EVERY_TICK.join(', ')}): ${short}`);
console.log(`  /healthz worst ${worstHealthz.toFixed(0)} ms; event loop max ${st.elMaxMs.toFixed(0)} ms, p99 ${st.elP99Ms.toFixed(1)} ms`);
console.log(`  RSS (MB) every ~10 s: ${trace.map((p) => p.rssMb.toFixed(0)).join(' ')}`);
proc.send({ type: 'close' });
await sleep(3000);
proc.kill('SIGKILL');
process.exit(0);
