/**
 * `earshot push REF DEG [--noisy N] --url ws://HOST:PORT [--token T] [--speed realtime|max|X]
 * [--jsonl] [--session NAME]`: the reference ingest client. Streams WAV files into a new session,
 * in real time by default (frames of --frame-ms, paced by the wall clock), and with --jsonl prints
 * that session's live feed as JSON lines, ending with the server's summary line.
 *
 * The files are read exactly as `earshot analyze` reads them (deg and noisy resampled to ref's rate),
 * and sent as int16 when that is lossless (16-bit sources), float32 otherwise, so the final summary
 * equals `earshot analyze --json` on the same files.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { selectMetrics } from '../metrics/registry.js';
import { earshotError } from '../errors.js';
import { METRIC_INFO, type MetricKey } from '../analysis/metric-info.js';
import { ConnectionClosedError, FeedSubscriber, IngestClient } from '../server/client.js';
import type { FeedMessage } from '../server/feed-types.js';
import { SESSION_NAME_PATTERN, type SampleEncoding, type StreamId } from '../server/protocol.js';
import { loadInputs } from '../analysis/load-inputs.js';
import type { CliIo } from './main.js';

export const PUSH_USAGE = `Usage:
  earshot push REF DEG [--noisy NOISY] [--url ws://127.0.0.1:8080] [--token T]
               [--speed realtime|max|FACTOR] [--session NAME] [--jsonl]

Streams WAV files into a new session of a running "earshot serve".
  --url URL          server to push to (default ws://127.0.0.1:8080; /ingest is added)
  --metrics LIST     only these metrics for this session (see earshot metrics; default: the server's)
  --token T          the server's token (default: $EARSHOT_TOKEN)
  --speed S          realtime (default), max (as fast as the server takes it), or a factor (e.g. 4)
  --session NAME     session name (default: push-<random>)
  --jsonl            print the session's live feed as JSON lines, ending with the summary
  --noisy FILE       the input the processor saw (enables wSDR)
  --channel N        channel of multichannel files (default 0)
  --frame-ms MS      audio per frame (default 20)
  --encoding E       auto (default: int16 when lossless, else float32), int16 or float32
Exit codes: 0 success, 1 unreadable input or server refusal, 2 usage error.
`;

/** How long to wait for the summary on the feed after the session closed (ms). */
const SUMMARY_WAIT_MS = 30_000;
/** Bytes queued on the socket above which a --speed max push waits. */
const MAX_SPEED_HIGH_WATER = 4 << 20;

export async function runPush(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      noisy: { type: 'string' },
      url: { type: 'string', default: 'ws://127.0.0.1:8080' },
      token: { type: 'string' },
      speed: { type: 'string', default: 'realtime' },
      session: { type: 'string' },
      jsonl: { type: 'boolean', default: false },
      channel: { type: 'string', default: '0' },
      'frame-ms': { type: 'string', default: '20' },
      encoding: { type: 'string', default: 'auto' },
      metrics: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(PUSH_USAGE);
    return 0;
  }
  if (positionals.length !== 2) throw earshotError('ERR_USAGE', `push: expected two files (REF DEG), got ${positionals.length}`);
  const speedText = values.speed as string;
  const speed = speedText === 'realtime' ? 1 : speedText === 'max' ? Infinity : Number(speedText);
  if (!(speed > 0)) throw earshotError('ERR_USAGE', `push: --speed must be realtime, max or a positive factor, got "${speedText}"`);
  const frameMs = Number(values['frame-ms']);
  if (!(frameMs >= 1 && frameMs <= 1000)) throw earshotError('ERR_USAGE', `push: --frame-ms must be 1..1000, got "${values['frame-ms']}"`);
  const encodingText = values.encoding as string;
  if (!['auto', 'int16', 'float32'].includes(encodingText)) throw earshotError('ERR_USAGE', `push: --encoding must be auto, int16 or float32, got "${encodingText}"`);
  const channelText = values.channel as string;
  if (!/^\d+$/.test(channelText)) throw earshotError('ERR_USAGE', `push: --channel must be a non-negative integer, got "${channelText}"`);
  if (values.metrics !== undefined) selectMetrics(values.metrics);
  const name = values.session ?? `push-${randomBytes(3).toString('hex')}`;
  if (!SESSION_NAME_PATTERN.test(name)) throw earshotError('ERR_USAGE', `push: --session must match ${SESSION_NAME_PATTERN.source}, got "${name}"`);
  const url = values.url as string;
  if (!/^(ws|wss|http|https):\/\//.test(url)) throw earshotError('ERR_USAGE', `push: --url must be ws://HOST:PORT, got "${url}"`);
  const token = values.token ?? process.env.EARSHOT_TOKEN;

  const [refPath, degPath] = positionals;
  const input = loadInputs({ refs: [refPath], degs: [degPath], noisy: values.noisy }, Number(channelText));
  for (const w of input.warnings) io.stderr(`earshot: warning: ${w}\n`);
  const { sampleRate } = input;
  const channels: { stream: StreamId; samples: Float64Array }[] = [
    { stream: { kind: 'ref', speaker: 0 }, samples: input.refs[0] },
    { stream: { kind: 'deg', speaker: 0 }, samples: input.degs[0] },
  ];
  if (input.noisy) channels.push({ stream: { kind: 'noisy', speaker: 0 }, samples: input.noisy });
  const encoding: SampleEncoding =
    encodingText === 'int16' || (encodingText === 'auto' && channels.every((c) => isInt16Exact(c.samples))) ? 'int16' : 'float32';
  const length = Math.max(...channels.map((c) => c.samples.length));
  const frameLen = Math.max(1, Math.round((frameMs * sampleRate) / 1000));

  let feed: FeedSubscriber | undefined;
  let ingest: IngestClient | undefined;
  try {
    let summarySeen: Promise<FeedMessage> | undefined;
    let endedSeen: Promise<FeedMessage> | undefined;
    let stopPrinting = () => {};
    if (values.jsonl) {
      feed = await FeedSubscriber.connect(url, { token, session: name });
      const forever = 24 * 3600 * 1000;
      summarySeen = feed.next((m) => m.type === 'summary' && m.session === name, forever);
      endedSeen = feed.next((m) => m.type === 'session' && m.event === 'ended' && m.session.id === name, forever);
      // Handled here; awaited below.
      summarySeen.catch(() => {});
      endedSeen.catch(() => {});
      // The summary is held back and printed last, after the session's closing messages.
      stopPrinting = feed.onMessage((m) => m.type !== 'summary' && printFeedLine(m, io));
    }
    ingest = await IngestClient.connect(url, { token, metrics: values.metrics });
    const opened = await ingest.open({ name, sampleRate, streams: channels.map((c) => c.stream) });
    const start = performance.now();
    for (let t0 = 0, i = 0; t0 < length; t0 += frameLen, i++) {
      for (const c of channels) {
        if (t0 >= c.samples.length) continue;
        ingest.sendAudio(opened.handle, c.stream, sampleRate, t0, c.samples.subarray(t0, Math.min(c.samples.length, t0 + frameLen)), encoding);
      }
      if (ingest.closed) throw ingest.closed;
      if (speed === Infinity) await ingest.drain(MAX_SPEED_HIGH_WATER);
      else {
        // Frame i is "captured" once its last sample exists: send it then (drift-free schedule).
        const due = start + ((t0 + frameLen) / sampleRate / speed) * 1000;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
    }
    const closed = await ingest.close(opened.handle);
    if (summarySeen && endedSeen) {
      const summary = await Promise.race([summarySeen, timeout(SUMMARY_WAIT_MS, 'no summary on the feed')]);
      await Promise.race([endedSeen, timeout(SUMMARY_WAIT_MS, 'the session did not end on the feed')]);
      stopPrinting();
      printFeedLine(summary, io);
    } else {
      const seconds = (length / sampleRate).toFixed(2);
      io.stdout(`pushed ${seconds} s (${channels.map((c) => c.stream.kind).join(', ')}, ${encoding}) to session ${name} at ${url}\n`);
      const summary = closed.summaries[0] as Record<string, unknown> | null | undefined;
      if (summary) io.stdout(`${formatSummary(summary)}\n`);
    }
    for (const e of ingest.events) io.stderr(`earshot: server noticed: ${describeIrregular(e)}\n`);
    return 0;
  } catch (e) {
    const msg = e instanceof ConnectionClosedError ? e.message : (e as Error).message;
    io.stderr(`earshot: push: ${msg}\n`);
    return 1;
  } finally {
    ingest?.end();
    feed?.end();
  }
}

/** Feed messages as JSON lines: batches split into one `sample` line each; no hello/history/spectra. */
function printFeedLine(m: FeedMessage, io: CliIo): void {
  switch (m.type) {
    case 'hello':
    case 'history':
    case 'spectrum':
      return;
    case 'samples':
      for (const s of m.samples) io.stdout(`${JSON.stringify({ type: 'sample', session: m.session, ...s })}\n`);
      return;
    default:
      io.stdout(`${JSON.stringify(m)}\n`);
  }
}

function timeout(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms).unref());
}

function formatSummary(s: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, info] of Object.entries(METRIC_INFO)) {
    const v = s[key as MetricKey];
    if (typeof v === 'number') parts.push(`${info.label} ${v.toFixed(info.digits)}${info.unit ? ` ${info.unit}` : ''}`);
  }
  return `summary: ${parts.join(', ')}`;
}

function describeIrregular(e: Record<string, unknown>): string {
  return `${String(e.event)} on ${String(e.stream)} at ${Number(e.t).toFixed(3)} s${e.frames ? `, ${e.frames} frame(s)` : ''}${e.samples ? `, ${e.samples} samples` : ''}`;
}

function isInt16Exact(x: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) {
    const v = x[i] * 32768;
    if (v !== Math.round(v) || v < -32768 || v > 32767) return false;
  }
  return true;
}
