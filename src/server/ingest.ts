/**
 * One ingest WebSocket connection: decodes frames (protocol.ts), opens sessions (ingest-session.ts:
 * reassembly, one live engine per ref/deg pair, spectrogram columns, publication through the session
 * registry) and enforces the per-connection limits.
 *
 * Server to client (JSON text): `opened` after OPEN, `ingest` for every irregularity the server
 * noticed in this client's frames, `closed` (with the summaries) after CLOSE, and `error` just before
 * the server closes the connection with a code from CLOSE_CODES.
 *
 * Rate limit (rate-limit.ts): a token bucket of `maxSamplesPerSec` samples (burst: one second's worth)
 * per connection. A client above it is throttled, not refused: the messages already read wait in a
 * small queue, the server stops reading its socket until the bucket refills, and TCP pushes back on
 * the sender (the time spent paused is counted in /metrics).
 */
import type { WebSocket } from 'ws';
import { randomBytes } from 'node:crypto';
import { IngestSession, type IngestSessionContext } from './ingest-session.js';
import { CLOSE_CODES, decodeFrame, streamName, type CloseCode, type OpenFrame } from './protocol.js';
import { Throttle, TokenBucket } from './rate-limit.js';

export interface IngestLimits {
  /** Sessions one connection may have open at once. */
  maxSessionsPerConnection: number;
  /** Live sessions on the whole server (a multi-speaker session counts once per speaker). */
  maxSessions: number;
  /** Samples per second over all streams of one connection (the token bucket's rate). */
  maxSamplesPerSec: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxSessionsPerConnection: 8,
  maxSessions: 256,
  // 4 M samples/s ≈ 80× real time for a 16 kHz ref/deg/noisy session, or 27 such sessions in real time.
  maxSamplesPerSec: 4_000_000,
};

export interface IngestContext extends IngestSessionContext {
  limits: IngestLimits;
}

export class IngestConnection {
  private readonly ws: WebSocket;
  private readonly ctx: IngestContext;
  private readonly sessions = new Map<number, IngestSession>();
  private readonly bucket: TokenBucket;
  /** Messages (data, isBinary) in order, held back while the connection is over its rate. */
  private readonly throttle: Throttle<[Buffer, boolean]>;
  private closed = false;

  constructor(ws: WebSocket, ctx: IngestContext) {
    this.ws = ws;
    this.ctx = ctx;
    this.bucket = new TokenBucket(ctx.limits.maxSamplesPerSec);
    this.throttle = new Throttle(this.bucket, {
      pause: () => ws.pause(),
      resume: () => ws.resume(),
      process: ([data, isBinary]) => this.process(data, isBinary),
      closed: () => this.closed,
      resumed: (pausedMs) => {
        ctx.counters.ingestThrottledMs += pausedMs;
      },
    });
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => this.onClose('disconnected'));
    ws.on('error', () => this.onClose('connection error'));
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  sendJson(msg: object): void {
    if (!this.closed) this.ws.send(JSON.stringify(msg));
  }

  /** Refuse: tell the client why, then close with the code. */
  refuse(code: CloseCode, reason: string, message: string): void {
    if (this.closed) return;
    this.ctx.counters.refuse(reason);
    this.sendJson({ type: 'error', code, message });
    // Close reasons are limited to 123 bytes of UTF-8.
    this.ws.close(code, truncate(message, 120));
    this.onClose(`refused: ${reason}`);
  }

  engineFailed(session: IngestSession, id: string, e: Error): void {
    this.ctx.log(`earshot: session ${id}: engine failed: ${e.stack ?? e.message}`);
    this.sendJson({ type: 'error', code: CLOSE_CODES.internal, message: `session ${id}: engine failed: ${e.message}` });
    this.sessions.delete(session.handle);
    void session.end(`engine failed: ${e.message}`);
    this.ws.close(CLOSE_CODES.internal, truncate(`engine failed: ${e.message}`, 120));
    this.onClose('engine failed');
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.throttle.offer([data, isBinary]);
  }

  /** Handle one message; nothing a client sends may throw out of here (it would stop the server). */
  private process(data: Buffer, isBinary: boolean): void {
    try {
      this.handle(data, isBinary);
    } catch (e) {
      this.ctx.log(`earshot: ingest: internal error: ${(e as Error).stack ?? String(e)}`);
      this.refuse(CLOSE_CODES.internal, 'internal-error', `internal error: ${(e as Error).message}`);
    }
  }

  private handle(data: Buffer, isBinary: boolean): void {
    this.ctx.counters.ingestBytes += data.length;
    if (!isBinary) {
      this.refuse(CLOSE_CODES.badFrame, 'bad-frame', 'ingest frames must be binary WebSocket messages');
      return;
    }
    const decoded = decodeFrame(data);
    if (!decoded.ok) {
      this.refuse(decoded.code, decoded.code === CLOSE_CODES.badVersion ? 'bad-version' : 'bad-frame', decoded.message);
      return;
    }
    const frame = decoded.frame;
    if (frame.type === 'open') this.open(frame);
    else if (frame.type === 'close') void this.closeSession(frame.handle);
    else {
      const session = this.sessions.get(frame.handle);
      if (!session) {
        this.refuse(CLOSE_CODES.badFrame, 'bad-frame', `AUDIO for session handle ${frame.handle}, which is not open on this connection`);
        return;
      }
      this.ctx.counters.ingestFrames++;
      this.ctx.counters.ingestSamples += frame.samples.length;
      this.bucket.take(frame.samples.length);
      const status = session.audio(frame);
      if (!status.ok) this.refuse(status.code, 'bad-frame', status.message);
    }
  }

  private open(frame: OpenFrame): void {
    const { limits, registry } = this.ctx;
    if (this.sessions.has(frame.handle)) {
      this.refuse(CLOSE_CODES.badFrame, 'bad-frame', `session handle ${frame.handle} is already open on this connection`);
      return;
    }
    const speakers = 1 + Math.max(...frame.streams.map((s) => s.speaker));
    for (let k = 0; k < speakers; k++) {
      for (const kind of ['ref', 'deg'] as const) {
        if (!frame.streams.some((s) => s.kind === kind && s.speaker === k)) {
          this.refuse(CLOSE_CODES.badFrame, 'bad-frame', `OPEN declares speaker ${k} but no ${streamName({ kind, speaker: k })} stream; every speaker needs ref and deg`);
          return;
        }
      }
    }
    if (speakers > 1 && frame.streams.some((s) => s.kind === 'noisy')) {
      this.refuse(CLOSE_CODES.badFrame, 'bad-frame', 'a noisy stream is defined for one speaker only');
      return;
    }
    if (this.sessions.size >= limits.maxSessionsPerConnection) {
      this.refuse(CLOSE_CODES.tooMany, 'too-many-sessions', `at most ${limits.maxSessionsPerConnection} sessions per connection`);
      return;
    }
    if (registry.liveCount() + speakers > limits.maxSessions) {
      this.refuse(CLOSE_CODES.tooMany, 'too-many-sessions', `the server is at its limit of ${limits.maxSessions} live sessions`);
      return;
    }
    const name = frame.name || `s-${randomBytes(4).toString('hex')}`;
    const ids = speakers === 1 ? [name] : Array.from({ length: speakers }, (_, k) => `${name}.${k}`);
    const taken = ids.find((id) => registry.isLive(id));
    if (taken !== undefined) {
      this.refuse(CLOSE_CODES.sessionExists, 'session-exists', `session ${taken} is already live`);
      return;
    }
    let session: IngestSession;
    try {
      session = new IngestSession(this, frame, name, ids, this.ctx);
    } catch (e) {
      // The engine refused the stream (e.g. a rate it cannot handle): end what was registered.
      for (const id of ids) {
        const state = registry.get(id);
        if (state?.info.state === 'live') void registry.end(state, `engine could not start: ${(e as Error).message}`);
      }
      this.refuse(CLOSE_CODES.internal, 'engine-failed', `session ${name}: the engine could not start: ${(e as Error).message}`);
      return;
    }
    this.sessions.set(frame.handle, session);
    this.sendJson({ type: 'opened', handle: frame.handle, session: name, sessions: ids, sampleRate: frame.sampleRate, streams: frame.streams.map(streamName) });
  }

  private async closeSession(handle: number): Promise<void> {
    const session = this.sessions.get(handle);
    if (!session) {
      this.refuse(CLOSE_CODES.badFrame, 'bad-frame', `CLOSE for session handle ${handle}, which is not open on this connection`);
      return;
    }
    this.sessions.delete(handle);
    const summaries = await session.end('closed');
    this.sendJson({ type: 'closed', handle, session: session.name, sessions: session.ids, summaries });
  }

  private onClose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.throttle.stop();
    for (const s of this.sessions.values()) void s.end(reason);
    this.sessions.clear();
  }

  /** Server shutdown: end the sessions (their summaries still reach the feed), then close with 1001. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => s.end('server shutting down')));
    this.ws.close(CLOSE_CODES.goingAway, 'server shutting down');
  }
}

function truncate(s: string, bytes: number): string {
  const b = Buffer.from(s);
  return b.length <= bytes ? s : `${b.subarray(0, bytes - 3).toString('utf8').replace(/\uFFFD$/, '')}...`;
}
