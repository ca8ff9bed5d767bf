/**
 * Load run for the live server, for the benchmark (`bench/`) and for capacity checks: N ingest
 * sessions pushing in real time over loopback, M feed clients (each on one session, like a dashboard,
 * or on all), optionally a deliberately stalled feed client. Measures ingest-to-feed latency (time
 * from sending the frame that completes a metric sample's data to receiving that sample), the
 * process's CPU and memory, and event-loop delay.
 *
 * Clients run in the same process as the server, so the CPU figure includes them; latencies are an
 * upper bound for a server on its own core.
 *
 * Example: `const r = await runLoad({ sessions: 50, feedClients: 20, stalledClients: 1, seconds: 20 });`
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LiveEngineFactory } from '../live/types.js';
import { FeedSubscriber, IngestClient } from './client.js';
import type { StreamId } from './protocol.js';
import { startServer } from './server.js';

export interface LoadOptions {
  sessions: number;
  feedClients: number;
  /** Feed clients that stop reading (subscribed to everything) to check nobody else suffers. */
  stalledClients?: number;
  seconds: number;
  sampleRate?: number;
  frameMs?: number;
  /** 'one': client i watches session i mod N (like a dashboard); 'all': every client watches all. */
  subscribe?: 'one' | 'all';
  engineFactory?: LiveEngineFactory;
  /** Report rate passed to the engine (samples per second of stream). */
  reportRateHz?: number;
  /** Engine worker threads (see ServerOptions.engineWorkers); 0 runs the engines in the server's thread. */
  engineWorkers?: number;
}

export interface LoadReport {
  sessions: number;
  feedClients: number;
  stalledClients: number;
  seconds: number;
  /** Metric samples received by the non-stalled feed clients. */
  samplesReceived: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Process CPU (user + system) as a share of one core over the run. */
  cpuCores: number;
  rssMiB: number;
  heapUsedMiB: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Feed clients the server disconnected for slowness (4408) during the run. */
  stalledDisconnected: number;
  /** Real-time lag of the ingest pacing loop at its worst (ms): how late frames went out. */
  maxSendLagMs: number;
}

const REF: StreamId = { kind: 'ref', speaker: 0 };
const DEG: StreamId = { kind: 'deg', speaker: 0 };

/** Speech-like test audio: noise bursts with a syllabic envelope, and a noisier copy. */
function testSignal(n: number, fs: number): { ref: Float64Array; deg: Float64Array } {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
  const ref = new Float64Array(n);
  const deg = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const env = Math.sin((Math.PI * i) / (0.2 * fs)) ** 2;
    ref[i] = 0.2 * env * rnd();
    deg[i] = ref[i] + 0.02 * rnd();
  }
  return { ref, deg };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const fs = o.sampleRate ?? 16000;
  const frame = Math.round(((o.frameMs ?? 20) * fs) / 1000);
  const frames = Math.floor((o.seconds * fs) / frame);
  const stalled = o.stalledClients ?? 0;
  const server = await startServer({
    port: 0,
    dashboardDir: null,
    engineFactory: o.engineFactory,
    engineWorkers: o.engineWorkers,
    reportRateHz: o.reportRateHz,
    limits: { maxSessions: o.sessions + 8, maxFeedClients: o.feedClients + stalled + 8 },
    feed: { maxStallMs: 5000 },
  });
  const signal = testSignal(frames * frame, fs);
  const names = Array.from({ length: o.sessions }, (_, k) => `load-${k}`);
  /** sendTimes[k][i]: when frame i of session k went out. */
  const sendTimes = names.map(() => new Float64Array(frames).fill(NaN));
  const latencies: number[] = [];
  let received = 0;

  const feeds: FeedSubscriber[] = [];
  for (let i = 0; i < o.feedClients; i++) {
    const session = o.subscribe === 'all' ? '*' : names[i % o.sessions];
    const f = await FeedSubscriber.connect(server.wsUrl, { session });
    f.onMessage((m) => {
      if (m.type !== 'samples' || m.coalesced) return;
      const k = Number(m.session.slice(5));
      const now = performance.now();
      for (const s of m.samples) {
        const idx = Math.floor((Math.round(s.t * fs) - 1) / frame);
        const sent = sendTimes[k]?.[idx];
        if (sent !== undefined && !Number.isNaN(sent)) latencies.push(now - sent);
        received++;
      }
    });
    // Keep memory flat: the subscriber stores messages for `next()`, which this run never calls.
    f.onMessage(() => (f.messages.length = 0));
    feeds.push(f);
  }
  const stalledFeeds: FeedSubscriber[] = [];
  for (let i = 0; i < stalled; i++) {
    const f = await FeedSubscriber.connect(server.wsUrl, { session: '*' });
    f.ws.pause();
    stalledFeeds.push(f);
  }

  const clients: { client: IngestClient; handle: number }[] = [];
  for (const name of names) {
    const client = await IngestClient.connect(server.wsUrl);
    const { handle } = await client.open({ name, sampleRate: fs, streams: [REF, DEG] });
    clients.push({ client, handle });
  }

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let maxSendLag = 0;
  // One pacing loop; session k's frames go out in their own slot of the frame period.
  for (let i = 0; i < frames; i++) {
    const due = t0 + ((i + 1) * frame * 1000) / fs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    maxSendLag = Math.max(maxSendLag, performance.now() - due);
    const start = i * frame;
    clients.forEach(({ client, handle }, k) => {
      client.sendAudio(handle, REF, fs, start, signal.ref.subarray(start, start + frame), 'int16');
      client.sendAudio(handle, DEG, fs, start, signal.deg.subarray(start, start + frame), 'int16');
      sendTimes[k][i] = performance.now();
    });
  }
  // Let the last samples arrive.
  await new Promise((r) => setTimeout(r, 300));
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const mem = process.memoryUsage();
  await Promise.all(clients.map(({ client, handle }) => client.close(handle).catch(() => undefined)));
  for (const c of clients) c.client.end();
  for (const f of [...feeds, ...stalledFeeds]) f.end();
  const disconnects = server.counters.feedDisconnects;
  await server.close();

  const sorted = Float64Array.from(latencies).sort();
  return {
    sessions: o.sessions,
    feedClients: o.feedClients,
    stalledClients: stalled,
    seconds: o.seconds,
    samplesReceived: received,
    latencyMs: { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? NaN },
    cpuCores: (cpu.user + cpu.system) / 1000 / elapsed,
    rssMiB: mem.rss / 2 ** 20,
    heapUsedMiB: mem.heapUsed / 2 ** 20,
    eventLoopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    stalledDisconnected: disconnects,
    maxSendLagMs: maxSendLag,
  };
}
