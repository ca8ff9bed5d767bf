/**
 * One ingest WebSocket connection: decodes frames (protocol.ts), opens sessions (ingest-session.ts:
 * reassembly, one live engine per ref/deg pair, spectrogram columns, publication through the session
 * registry) and enforces the per-connection limits.
 *
 * Server to client (JSON text): `opened` after OPEN, `ingest` for every irregularity the server
 * noticed in this client's frames, `closed` (with the summaries) after CLOSE, and `error` just before
 * the server closes the connection with a code from CLOSE_CODES.
 *
 * One cost model, charged before the work (docs/server.md "Budgets"): every message costs
 * FRAME_COST_SAMPLES, an OPEN OPEN_COST_SHARE of a second's budget, an AUDIO frame the samples it makes the engines
 * process (its own and the zero-fill it causes: reassembler.ts `cost`), and every irregularity it
 * makes the server report EVENT_COST_SAMPLES (ingest-session.ts). They are spent from a token bucket
 * of `maxSamplesPerSec` (burst: one second's worth) per connection. A client over it is throttled,
 * not refused: the messages already read wait in a small queue, the server stops reading its socket
 * until the gate opens, and TCP pushes back on the sender (time paused counted in /metrics). The gate
 * also stays shut while the audio the connection's sessions have waiting for their engines is over
 * `maxEngineBacklogBytes` (or the server's over `maxServerEngineBacklogBytes`).
 *
 * Bounded queues, each closing the connection when exceeded (a client cannot get there by sending
 * alone, since its socket is paused first): the messages waiting at the gate (4429), the replies it
 * does not read (`maxReplyBufferBytes`, 4408).
 */
import type { WebSocket } from 'ws';
import { randomBytes } from 'node:crypto';
import { IngestSession, type IngestSessionContext } from './ingest-session.js';
import { CLOSE_CODES, decodeFrame, streamName, type CloseCode, type OpenFrame } from './protocol.js';
import { Throttle, TokenBucket } from './rate-limit.js';
import { closeWithoutReading, truncateUtf8 } from './ws-guard.js';

/** What every message costs (samples of the rate budget): decoding, placing, bookkeeping. */
export const FRAME_COST_SAMPLES = 128;
/**
 * What an OPEN costs on top, as a share of the per-second budget (1/20: 200 000 samples at the
 * default rate): building the engines, registry and recording entries, feed messages.
 */
export const OPEN_COST_SHARE = 1 / 20;
/** A connection spends at most this share of its per-second budget in one event-loop turn (1/20: 50 ms worth). */
const TURN_SHARE = 20;
/** While the engine backlog keeps the gate shut, how often it is checked again (ms). */
const BACKLOG_POLL_MS = 5;
/** Messages read but waiting at the gate, at most (bytes): a few socket reads' worth. */
const MAX_WAITING_BYTES = 8 * 1024 * 1024;

export interface IngestLimits {
  /** Sessions one connection may have open at once. */
  maxSessionsPerConnection: number;
  /** Live sessions on the whole server (a multi-speaker session counts once per speaker). */
  maxSessions: number;
  /** Samples per second over all streams of one connection (the token bucket's rate). */
  maxSamplesPerSec: number;
  /** Open ingest connections on the server (more: close 4429 at the upgrade). */
  maxIngestConnections: number;
  /** Bytes of audio one connection's sessions may have waiting for their engines before it is paused. */
  maxEngineBacklogBytes: number;
  /** The same over the whole server: past it, every connection with audio waiting is paused. */
  maxServerEngineBacklogBytes: number;
  /** Bytes of replies a client may leave unread in its socket's buffer (more: close 4408). */
  maxReplyBufferBytes: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxSessionsPerConnection: 8,
  maxSessions: 256,
  // 4 M samples/s ≈ 80× real time for a 16 kHz ref/deg/noisy session, or 27 such sessions in real time.
  maxSamplesPerSec: 4_000_000,
  maxIngestConnections: 256,
  // 16 MiB of float64 ≈ 2 M samples: a minute of a 16 kHz ref/deg pair waiting for a busy engine.
  maxEngineBacklogBytes: 16 * 1024 * 1024,
  maxServerEngineBacklogBytes: 128 * 1024 * 1024,
  maxReplyBufferBytes: 1024 * 1024,
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
  /** Budget spent in this event-loop turn (reset on the next turn). */
  private turnSpent = 0;
  private turnResetScheduled = false;

  constructor(ws: WebSocket, ctx: IngestContext) {
    this.ws = ws;
    this.ctx = ctx;
    this.bucket = new TokenBucket(ctx.limits.maxSamplesPerSec);
    this.throttle = new Throttle(() => this.gate(), {
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

  /** Bytes of audio this connection's sessions have waiting for their engines. */
  get backlogBytes(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.backlogBytes;
    return n;
  }

  /** A reply to the client; one it leaves unread past the reply budget closes the connection (4408). */
  sendJson(msg: object): void {
    if (this.closed) return;
    if (this.ws.bufferedAmount > this.ctx.limits.maxReplyBufferBytes) {
      this.refuse(CLOSE_CODES.slowConsumer, 'slow-consumer', `ingest client does not read its replies: more than ${this.ctx.limits.maxReplyBufferBytes} bytes unread`);
      return;
    }
    this.ws.send(JSON.stringify(msg));
  }

  charge(samples: number): void {
    this.bucket.take(samples);
    this.turnSpent += samples;
    if (this.turnResetScheduled) return;
    this.turnResetScheduled = true;
    setImmediate(() => {
      this.turnSpent = 0;
      this.turnResetScheduled = false;
    });
  }

  /** Refuse: tell the client why, then close with the code (and read nothing more from it). */
  refuse(code: CloseCode, reason: string, message: string): void {
    if (this.closed) return;
    this.ctx.counters.refuse(reason);
    this.ws.send(JSON.stringify({ type: 'error', code, message }));
    closeWithoutReading(this.ws, code, message);
    this.onClose(`refused: ${reason}`);
  }

  engineFailed(session: IngestSession, id: string, e: Error): void {
    if (this.closed) return;
    this.ctx.log(`earshot: session ${id}: engine failed: ${e.stack ?? e.message}`);
    this.ws.send(JSON.stringify({ type: 'error', code: CLOSE_CODES.internal, message: `session ${id}: engine failed: ${e.message}` }));
    this.sessions.delete(session.handle);
    void session.end(`engine failed: ${e.message}`);
    closeWithoutReading(this.ws, CLOSE_CODES.internal, `engine failed: ${e.message}`);
    this.onClose('engine failed');
  }

  /** 0 while the connection may be read; else ms until the gate is asked again (rate-limit.ts). */
  private gate(): number {
    if (this.bucket.inDebt()) return this.bucket.msUntilPaid();
    // A burst is spread over event-loop turns, so one client's second of budget never blocks the loop at once.
    if (this.turnSpent > this.bucket.ratePerSec / TURN_SHARE) return 1;
    const { limits, engineLoad } = this.ctx;
    const backlog = this.backlogBytes;
    if (backlog > limits.maxEngineBacklogBytes) return BACKLOG_POLL_MS;
    if (backlog > 0 && engineLoad.backlogBytes > limits.maxServerEngineBacklogBytes) return BACKLOG_POLL_MS;
    return 0;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (this.throttle.queuedBytes > MAX_WAITING_BYTES) {
      this.refuse(CLOSE_CODES.tooMany, 'over-budget', `more than ${MAX_WAITING_BYTES} bytes of messages waiting for the rate budget`);
      return;
    }
    this.throttle.offer([data, isBinary], data.length);
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
    this.charge(FRAME_COST_SAMPLES);
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
      // Charged before any work: the samples this frame makes the engines process, zero-fills included.
      this.charge(session.cost(frame));
      const status = session.audio(frame);
      if (!status.ok) this.refuse(status.code, 'bad-frame', status.message);
    }
  }

  private open(frame: OpenFrame): void {
    const { limits, registry } = this.ctx;
    this.charge(Math.round(this.bucket.ratePerSec * OPEN_COST_SHARE));
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
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(CLOSE_CODES.goingAway, truncateUtf8('server shutting down', 120));
  }
}
