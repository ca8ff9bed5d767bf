/**
 * `--record DIR`: every feed message of a session as JSON lines, one file per session, so nothing is
 * lost after the call and `earshot replay` can play it back. Metric samples are written one per line
 * (`{"type":"sample", "session", "t", "metric", "window", "value", "uncertainty"}`), the other
 * messages as the feed sends them. The first line is a header:
 *
 *   {"type":"recording","version":1,"session":{...SessionInfo},"recordedAt":"2025-01-01T12:00:00.000Z"}
 *
 * Files: `DIR/<session>-<start, ms resolution>.jsonl`, created exclusively (`wx`): a name that exists
 * already (a session reopened within the same millisecond, another process) gets `-2`, `-3`, …, so a
 * recording never overwrites another. A file that would pass `maxFileBytes` is rotated: the session
 * goes on in `<name>-part2.jsonl`, `-part3`, …, each starting with its own header (`"part": k`), so
 * every part replays on its own. Every write is whole lines, so a process killed mid-recording leaves
 * files that read to their last complete line.
 *
 * Size (measured on the example clip with the full metric set, 47 series at 10 reports/s): about
 * 4 MB per minute of a session's samples plus 0.2 MB per minute of spectrogram columns.
 * Writes are buffered by the stream, at most RECORD_BUFFER_BYTES per file: past it (a disk slower
 * than the feed), lines are dropped and counted on the log. A failing disk is reported once per
 * session on the log, never thrown into the ingest path.
 */
import { createWriteStream, mkdirSync, openSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { MetricSample } from '../live/types.js';
import type { FeedMessage, RecordingHeader, SessionInfo } from './feed-types.js';

export type { RecordedLine, RecordingHeader } from './feed-types.js';

export const RECORDING_VERSION = 1;
/** Default largest recording file before it is rotated (bytes): `--record-max-mb 512`. */
export const DEFAULT_RECORD_MAX_BYTES = 512 * 1024 * 1024;
/** Smallest `maxFileBytes` accepted (a part must hold its header and some lines). */
export const MIN_RECORD_MAX_BYTES = 64 * 1024;
/** Lines waiting for the disk, per file, at most (bytes); more are dropped and counted. */
export const RECORD_BUFFER_BYTES = 16 * 1024 * 1024;
/** How many `-2`, `-3`, … suffixes are tried before a session is not recorded. */
const MAX_NAME_TRIES = 1000;

export interface RecorderOptions {
  /** Rotate a file to a new part before it passes this size (bytes). Default DEFAULT_RECORD_MAX_BYTES. */
  maxFileBytes?: number;
}

interface RecordingFile {
  info: SessionInfo;
  /** Path without `.jsonl`, unique in the directory; parts append `-partK`. */
  base: string;
  part: number;
  path: string;
  stream: WriteStream;
  bytes: number;
  failed: boolean;
  dropped: number;
  /** Parts already finished (closing waits for them too). */
  closing: Promise<void>[];
}

export class Recorder {
  readonly dir: string;
  readonly maxFileBytes: number;
  private readonly files = new Map<string, RecordingFile>();
  private readonly log: (line: string) => void;

  constructor(dir: string, log: (line: string) => void = () => {}, options: RecorderOptions = {}) {
    mkdirSync(dir, { recursive: true });
    this.dir = dir;
    this.log = log;
    this.maxFileBytes = Math.max(MIN_RECORD_MAX_BYTES, options.maxFileBytes ?? DEFAULT_RECORD_MAX_BYTES);
  }

  /** Start a file for a session; returns its path (undefined when no file could be created). */
  open(info: SessionInfo): string | undefined {
    void this.close(info.id);
    // 2025-01-01T12:00:00.123Z → 20250101T120000.123Z. Session ids match [A-Za-z0-9._-] (checked at
    // open), so they are safe as file names.
    const stamp = info.startedAt.replace(/[-:]/g, '');
    const stem = join(this.dir, `${info.id}-${stamp}`);
    for (let k = 1; k <= MAX_NAME_TRIES; k++) {
      const base = k === 1 ? stem : `${stem}-${k}`;
      const fd = this.create(`${base}.jsonl`, info.id);
      if (fd === 'exists') continue;
      if (fd === undefined) return undefined;
      const entry: RecordingFile = { info, base, part: 1, path: `${base}.jsonl`, stream: this.streamOf(fd, `${base}.jsonl`, info.id), bytes: 0, failed: false, dropped: 0, closing: [] };
      this.files.set(info.id, entry);
      this.writeHeader(entry);
      return entry.path;
    }
    this.log(`earshot: recording of ${info.id}: ${MAX_NAME_TRIES} names taken in ${this.dir}; not recorded`);
    return undefined;
  }

  pathOf(session: string): string | undefined {
    return this.files.get(session)?.path;
  }

  sample(s: MetricSample): void {
    const f = this.files.get(s.session);
    if (f) this.write(f, `${JSON.stringify({ type: 'sample', ...s })}\n`);
  }

  message(session: string, msg: FeedMessage): void {
    const f = this.files.get(session);
    if (f) this.write(f, `${JSON.stringify(msg)}\n`);
  }

  /** Finish a session's file (resolves when it and its earlier parts are on disk). */
  close(session: string): Promise<void> {
    const f = this.files.get(session);
    if (!f) return Promise.resolve();
    this.files.delete(session);
    this.reportDropped(f);
    const done = new Promise<void>((resolve) => f.stream.end(() => resolve()));
    return Promise.all([...f.closing, done]).then(() => {});
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.files.keys()].map((id) => this.close(id)));
  }

  /** Exclusive create: a file descriptor, 'exists', or undefined (logged) on any other failure. */
  private create(path: string, session: string): number | 'exists' | undefined {
    try {
      return openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      this.log(`earshot: recording of ${session}: cannot create ${path}: ${(e as Error).message}`);
      return undefined;
    }
  }

  private streamOf(fd: number, path: string, session: string): WriteStream {
    const stream = createWriteStream(path, { fd });
    stream.on('error', (e) => {
      const f = this.files.get(session);
      if (f && f.stream === stream && !f.failed) {
        f.failed = true;
        this.log(`earshot: recording ${path} failed: ${e.message}`);
      }
    });
    return stream;
  }

  private writeHeader(f: RecordingFile): void {
    const header: RecordingHeader = { type: 'recording', version: RECORDING_VERSION, session: f.info, recordedAt: new Date().toISOString() };
    if (f.part > 1) header.part = f.part;
    this.write(f, `${JSON.stringify(header)}\n`, true);
  }

  /** One whole line: rotated first if it would pass the size limit, dropped if the disk is behind. */
  private write(f: RecordingFile, line: string, header = false): void {
    if (f.failed) return;
    const bytes = Buffer.byteLength(line);
    if (!header && f.bytes + bytes > this.maxFileBytes) {
      this.rotate(f);
      if (f.failed) return;
    }
    if (f.stream.writableLength > RECORD_BUFFER_BYTES) {
      if (f.dropped++ === 0) this.log(`earshot: recording ${f.path}: the disk is slower than the feed; dropping lines until it catches up`);
      return;
    }
    this.reportDropped(f);
    f.stream.write(line);
    f.bytes += bytes;
  }

  private reportDropped(f: RecordingFile): void {
    if (f.dropped === 0) return;
    this.log(`earshot: recording ${f.path}: ${f.dropped} line(s) dropped while the disk was behind`);
    f.dropped = 0;
  }

  /** Finish the current part and go on in the next one. */
  private rotate(f: RecordingFile): void {
    const old = f.stream;
    f.closing.push(new Promise<void>((resolve) => old.end(() => resolve())));
    for (let tries = 0; ; tries++) {
      f.part++;
      const path = `${f.base}-part${f.part}.jsonl`;
      const fd = tries < MAX_NAME_TRIES ? this.create(path, f.info.id) : undefined;
      if (fd === 'exists') continue;
      if (fd === undefined) {
        f.failed = true;
        return;
      }
      f.path = path;
      f.bytes = 0;
      f.stream = this.streamOf(fd, path, f.info.id);
      this.writeHeader(f);
      return;
    }
  }
}
