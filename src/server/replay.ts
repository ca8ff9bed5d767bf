/**
 * Plays a recording (recorder.ts) back through a server's session registry, paced by the recorded
 * stream times, so the dashboard and feed clients see it as they saw the live session. Alert lines
 * of the recording are skipped: alerts are evaluated again from the samples with the replaying
 * server's rules, which lets new rules be tried on old calls.
 */
import { readFileSync } from 'node:fs';
import { earshotError } from '../errors.js';
import type { DelayEvent, MetricSample, SummaryRecord } from '../live/types.js';
import type { FeedMessage } from './feed-types.js';
import { RECORDING_VERSION, type RecordingHeader } from './recorder.js';
import type { SessionRegistry } from './sessions.js';

/** At full speed, yield to the event loop once per this much stream time (s). */
const MAX_SPEED_YIELD_SEC = 0.05;

export interface Recording {
  path: string;
  header: RecordingHeader;
  /** Lines after the header, in order (session events excluded: the registry makes its own). */
  lines: ({ type: string; t?: number } & Record<string, unknown>)[];
  /** Stream time of the last timed line (s). */
  durationSec: number;
}

export function readRecording(path: string): Recording {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw earshotError(code === 'ENOENT' ? 'ERR_FILE_NOT_FOUND' : 'ERR_FILE_UNREADABLE', `${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const rows = text.split('\n');
  const parse = (row: string, i: number) => {
    try {
      const v = JSON.parse(row) as unknown;
      if (typeof v !== 'object' || v === null || typeof (v as { type?: unknown }).type !== 'string') throw new Error('no "type"');
      return v as { type: string; t?: number } & Record<string, unknown>;
    } catch (e) {
      throw earshotError('ERR_FILE_UNREADABLE', `${path}: line ${i + 1} is not a recording line (${(e as Error).message})`);
    }
  };
  const header = parse(rows[0] ?? '', 0) as unknown as RecordingHeader;
  if (header.type !== 'recording' || typeof header.session?.id !== 'string') {
    throw earshotError('ERR_FILE_UNREADABLE', `${path}: not an Earshot recording (expected a first line with "type":"recording")`);
  }
  if (header.version !== RECORDING_VERSION) throw earshotError('ERR_FILE_UNREADABLE', `${path}: recording version ${header.version}; this earshot reads version ${RECORDING_VERSION}`);
  const lines: Recording['lines'] = [];
  let durationSec = 0;
  rows.slice(1).forEach((row, i) => {
    if (row.trim() === '') return;
    const line = parse(row, i + 1);
    if (line.type === 'session' || line.type === 'alert') return;
    if (typeof line.t === 'number' && line.t > durationSec) durationSec = line.t;
    lines.push(line);
  });
  return { path, header, lines, durationSec };
}

export interface ReplayOptions {
  /** Stream seconds per wall-clock second; Infinity plays as fast as possible. Default 1. */
  speed?: number;
  /** Session id to use (default: the recorded one). */
  id?: string;
  signal?: AbortSignal;
}

/** Play the recording into the registry; resolves when it has ended (or was aborted). */
export async function replayRecording(registry: SessionRegistry, rec: Recording, o: ReplayOptions = {}): Promise<void> {
  const speed = o.speed ?? 1;
  const { id: _id, state: _state, startedAt: _s, endedAt: _e, endReason: _r, ...rest } = rec.header.session;
  const id = o.id ?? rec.header.session.id;
  const state = registry.open({ ...rest, id, source: 'replay' });
  const start = performance.now();
  let aborted = false;
  let lastYieldT = -Infinity;
  for (const line of rec.lines) {
    if (o.signal?.aborted) {
      aborted = true;
      break;
    }
    if (speed !== Infinity && typeof line.t === 'number') {
      const wait = start + (line.t / speed) * 1000 - performance.now();
      if (wait > 1) await sleep(wait, o.signal);
    } else if (speed === Infinity && typeof line.t === 'number' && line.t - lastYieldT >= MAX_SPEED_YIELD_SEC) {
      // Even at full speed, let the feed flush every few stream moments.
      lastYieldT = line.t;
      await new Promise((r) => setImmediate(r));
    }
    const msg = { ...line, session: id };
    switch (line.type) {
      case 'sample':
        registry.sample(state, msg as unknown as MetricSample);
        break;
      case 'delay': {
        const { type: _t, ...event } = msg;
        registry.delay(state, event as unknown as DelayEvent);
        break;
      }
      case 'summary':
        registry.summary(state, msg as unknown as SummaryRecord);
        break;
      default:
        registry.publish(state, msg as unknown as FeedMessage);
    }
  }
  await registry.end(state, aborted ? 'replay stopped' : 'replay finished');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
