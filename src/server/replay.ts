/**
 * Plays a recording (recorder.ts) back through a server's session registry, paced by the recorded
 * stream times, so the dashboard and feed clients see it as they saw the live session. Alert lines
 * of the recording are skipped: alerts are evaluated again from the samples with the replaying
 * server's rules, which lets new rules be tried on old calls.
 *
 * The file is streamed line by line, twice (a scan that counts, validates and finds the duration,
 * then the playback), so its size has no limit and memory stays constant. Every line goes through
 * the recording schema (feed-validate.ts, the validator the dashboard uses on the feed); a line that
 * is not valid JSON, does not fit the schema, or is longer than MAX_LINE_BYTES is skipped and
 * counted, with the first few reasons kept for the user. Only the header must be sound.
 *
 * @example
 *   const rec = await readRecording('calls/call-42-20250101T120000.000Z.jsonl');
 *   if (rec.skipped) console.warn(rec.warnings.join('\n'));
 *   await replayRecording(server.registry, rec, { speed: 2 });
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { earshotError } from '../errors.js';
import type { DelayEvent, MetricSample, SummaryRecord } from '../live/types.js';
import type { FeedMessage, RecordedLine, RecordingHeader } from './feed-types.js';
import { validateRecordedLine, validateRecordingHeader } from './feed-validate.js';
import { RECORDING_VERSION } from './recorder.js';
import type { SessionRegistry } from './sessions.js';

/** At full speed, yield to the event loop once per this much stream time (s). */
const MAX_SPEED_YIELD_SEC = 0.05;
/** Longest line read (bytes); longer ones are skipped unread. Real lines are well under 64 kB. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** Reasons of skipped lines kept for the user (the count covers them all). */
const MAX_WARNINGS = 5;

/** A line that replay plays (session and alert lines are not: the replaying server makes its own). */
export type PlayableLine = Exclude<RecordedLine, { type: 'session' | 'alert' }>;

export interface Recording {
  path: string;
  header: RecordingHeader;
  /** Lines that will be played. */
  lineCount: number;
  /** Lines skipped as invalid (not JSON, not the schema, too long). */
  skipped: number;
  /** "line N: why" for the first skipped lines. */
  warnings: string[];
  /** Stream time of the last timed line (s). */
  durationSec: number;
  /** The playable lines in order (reads the file again; fakes in tests give their own). */
  lines(): AsyncIterable<PlayableLine>;
}

/** The text of each line (without its newline) and its number; a too-long line comes as `null`. */
async function* readLines(path: string): AsyncGenerator<{ text: string | null; n: number }> {
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  let carry: Buffer[] = [];
  let carried = 0;
  let tooLong = false;
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      const piece = chunk.subarray(from, nl < 0 ? chunk.length : nl);
      if (!tooLong) {
        if (carried + piece.length > MAX_LINE_BYTES) {
          tooLong = true;
          carry = [];
          carried = 0;
        } else if (piece.length > 0) {
          carry.push(piece);
          carried += piece.length;
        }
      }
      if (nl < 0) break;
      n++;
      yield { text: tooLong ? null : Buffer.concat(carry, carried).toString('utf8'), n };
      carry = [];
      carried = 0;
      tooLong = false;
      from = nl + 1;
    }
  }
  // A last line without its newline (a recording cut short) is read like the others.
  if (carried > 0 || tooLong) yield { text: tooLong ? null : Buffer.concat(carry, carried).toString('utf8'), n: n + 1 };
}

type Parsed = { ok: true; line: RecordedLine } | { ok: false; reason: string } | { ok: 'blank' };

function parseLine(text: string | null): Parsed {
  if (text === null) return { ok: false, reason: `longer than ${MAX_LINE_BYTES} bytes` };
  if (text.trim() === '') return { ok: 'blank' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON (${(e as Error).message.slice(0, 80)})` };
  }
  const r = validateRecordedLine(v);
  return r.ok ? { ok: true, line: r.value } : { ok: false, reason: r.reason.slice(0, 200) };
}

const playable = (l: RecordedLine): l is PlayableLine => l.type !== 'session' && l.type !== 'alert';

/** Open a recording: check its header, count and validate its lines (streaming; any size). */
export async function readRecording(path: string): Promise<Recording> {
  try {
    await (await open(path, 'r')).close();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw earshotError(code === 'ENOENT' ? 'ERR_FILE_NOT_FOUND' : 'ERR_FILE_UNREADABLE', `${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let header: RecordingHeader | undefined;
  let lineCount = 0;
  let skipped = 0;
  let durationSec = 0;
  const warnings: string[] = [];
  for await (const { text, n } of readLines(path)) {
    if (header === undefined) {
      header = parseHeader(path, text);
      continue;
    }
    const p = parseLine(text);
    if (p.ok === 'blank') continue;
    if (p.ok === false) {
      if (skipped++ < MAX_WARNINGS) warnings.push(`line ${n}: ${p.reason}`);
      continue;
    }
    if (!playable(p.line)) continue;
    lineCount++;
    const t = (p.line as { t?: number }).t;
    if (typeof t === 'number' && t > durationSec) durationSec = t;
  }
  if (header === undefined) throw earshotError('ERR_FILE_UNREADABLE', `${path}: empty; not an Earshot recording`);
  return {
    path,
    header,
    lineCount,
    skipped,
    warnings,
    durationSec,
    lines: async function* () {
      let first = true;
      for await (const { text } of readLines(path)) {
        if (first) {
          first = false;
          continue;
        }
        const p = parseLine(text);
        if (p.ok === true && playable(p.line)) yield p.line;
      }
    },
  };
}

function parseHeader(path: string, text: string | null): RecordingHeader {
  let v: unknown;
  try {
    v = JSON.parse(text ?? '');
  } catch {
    v = undefined;
  }
  if (typeof v !== 'object' || v === null || (v as { type?: unknown }).type !== 'recording') {
    throw earshotError('ERR_FILE_UNREADABLE', `${path}: not an Earshot recording (expected a first line with "type":"recording")`);
  }
  const version = (v as { version?: unknown }).version;
  if (version !== RECORDING_VERSION) throw earshotError('ERR_FILE_UNREADABLE', `${path}: recording version ${String(version).slice(0, 20)}; this earshot reads version ${RECORDING_VERSION}`);
  const r = validateRecordingHeader(v);
  if (!r.ok) throw earshotError('ERR_FILE_UNREADABLE', `${path}: line 1: ${r.reason.slice(0, 200)}`);
  return r.value;
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
  try {
    for await (const line of rec.lines()) {
      if (o.signal?.aborted) {
        aborted = true;
        break;
      }
      const t = (line as { t?: number }).t;
      if (speed !== Infinity && typeof t === 'number') {
        const wait = start + (t / speed) * 1000 - performance.now();
        if (wait > 1) await sleep(wait, o.signal);
      } else if (speed === Infinity && typeof t === 'number' && t - lastYieldT >= MAX_SPEED_YIELD_SEC) {
        // Even at full speed, let the feed flush every few stream moments.
        lastYieldT = t;
        await new Promise((r) => setImmediate(r));
      }
      play(registry, state, { ...line, session: id } as PlayableLine);
    }
  } finally {
    await registry.end(state, aborted || o.signal?.aborted ? 'replay stopped' : 'replay finished');
  }
}

function play(registry: SessionRegistry, state: ReturnType<SessionRegistry['open']>, line: PlayableLine): void {
  switch (line.type) {
    case 'sample': {
      const { type: _t, ...sample } = line;
      registry.sample(state, sample as MetricSample);
      return;
    }
    case 'delay': {
      const { type: _t, ...event } = line;
      registry.delay(state, event as DelayEvent);
      return;
    }
    case 'summary':
      registry.summary(state, line as SummaryRecord);
      return;
    default:
      registry.publish(state, line as FeedMessage);
  }
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
