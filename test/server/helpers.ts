/** Shared setup for server tests: a server on port 0 with the fake engine, and small signal helpers. */
import { startServer, type EarshotServer, type ServerOptions } from '../../src/server/server.js';
import type { IngestClient } from '../../src/server/client.js';
import type { SampleEncoding, StreamId } from '../../src/server/protocol.js';
import { fakeEngineFactory, type FakeEngineControls } from './fake-engine.js';
import { seededRandom } from '../helpers/corpus.js';

export interface TestServer {
  server: EarshotServer;
  engines: FakeEngineControls;
}

export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const engines = fakeEngineFactory();
  const server = await startServer({ port: 0, dashboardDir: null, engineFactory: engines.factory, ...options });
  return { server, engines };
}

/** Speech-like test signal: noise bursts with pauses (seeded), and a degraded copy. */
export function testPair(seconds: number, sampleRate: number, seed = 1): { ref: Float64Array; deg: Float64Array; noisy: Float64Array } {
  const n = Math.round(seconds * sampleRate);
  const rnd = seededRandom(seed);
  const ref = new Float64Array(n);
  const deg = new Float64Array(n);
  const noisy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const envelope = Math.sin((Math.PI * i) / (0.25 * sampleRate)) ** 2;
    // Values on the int16 grid, so int16 transport is lossless.
    ref[i] = Math.round(0.3 * envelope * (rnd() * 2 - 1) * 32768) / 32768;
    const noise = Math.round(0.02 * (rnd() * 2 - 1) * 32768) / 32768;
    deg[i] = ref[i] + noise;
    noisy[i] = ref[i] + 3 * noise;
  }
  return { ref, deg, noisy };
}

/**
 * Wait (bounded) until `cond` holds: frames the client has sent are processed by the server on its
 * own schedule, so a test that reads server state must wait for it rather than for the socket.
 */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Push signals as interleaved frames of `frame` samples; returns the number of frames per stream. */
export async function pushFrames(
  client: IngestClient,
  handle: number,
  sampleRate: number,
  streams: { stream: StreamId; samples: Float64Array }[],
  frame = 320,
  encoding: SampleEncoding = 'int16',
): Promise<number> {
  const n = Math.max(...streams.map((s) => s.samples.length));
  let frames = 0;
  for (let t0 = 0; t0 < n; t0 += frame, frames++) {
    for (const s of streams) client.sendAudio(handle, s.stream, sampleRate, t0, s.samples.subarray(t0, Math.min(n, t0 + frame)), encoding);
    await client.drain();
  }
  return frames;
}

export const REF: StreamId = { kind: 'ref', speaker: 0 };
export const DEG: StreamId = { kind: 'deg', speaker: 0 };
export const NOISY: StreamId = { kind: 'noisy', speaker: 0 };

export async function scrape(server: EarshotServer, token?: string): Promise<string> {
  const res = await fetch(`${server.url}/metrics`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return res.text();
}

/** Value of one Prometheus series (first line matching name and all label pairs), or undefined. */
export function series(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
