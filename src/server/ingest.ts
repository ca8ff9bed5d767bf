/**
 * One ingest WebSocket connection: decodes frames (protocol.ts), opens sessions, reassembles their
 * streams into aligned blocks (reassembler.ts), runs one live engine per ref/deg pair, computes the
 * spectrogram columns, and publishes everything through the session registry.
 *
 * Server to client (JSON text): `opened` after OPEN, `ingest` for every irregularity the server
 * noticed in this client's frames, `closed` (with the summaries) after CLOSE, and `error` just before
 * the server closes the connection with a code from CLOSE_CODES.
 *
 * Rate limit: a token bucket of `maxSamplesPerSec` samples (burst: one second's worth) per connection.
 * A client above it is throttled, not refused: the messages already read wait in a small queue, the
 * server stops reading its socket until the bucket refills, and TCP pushes back on the sender (the
 * time spent paused is counted in /metrics).
 */
import type { WebSocket } from 'ws';
import type { LiveEngineFactory, LiveEngineSession } from '../live/types.js';
import type { Subscription } from 'rxjs';
import { randomBytes } from 'node:crypto';
import type { ServerCounters } from './metrics-exporter.js';
import { CLOSE_CODES, decodeFrame, streamName, type AudioFrame, type CloseCode, type OpenFrame, type StreamId } from './protocol.js';
import { Reassembler, type ReassemblyEvent } from './reassembler.js';
import type { SessionRegistry } from './sessions.js';
import type { SessionState } from './session-state.js';
import { PairSpectrogram, SPECTRUM_DB_MIN, SPECTRUM_DB_STEP } from './spectrum.js';
import type { IngestEventMessage, SpectrumMessage } from './feed-types.js';

/** How long to wait for an engine's summary after `end()` before giving up on it (ms). */
export const SUMMARY_TIMEOUT_MS = 30_000;

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

export interface IngestContext {
  registry: SessionRegistry;
  counters: ServerCounters;
  engineFactory: LiveEngineFactory;
  limits: IngestLimits;
  reassembly: { reorderWindowSec?: number; maxSkewSec?: number; maxJumpSec?: number };
  /** Spectrogram columns per second (0: none). */
  spectrumRateHz: number;
  reportRateHz?: number;
  log: (line: string) => void;
}

/** One ref/deg pair of a session: its engine, spectrogram and state. */
interface Pair {
  state: SessionState;
  engine: LiveEngineSession;
  spectrogram: PairSpectrogram | undefined;
  subscriptions: Subscription[];
  /** Resolves when the engine's summary$ completes (or errs). */
  done: Promise<void>;
  refIndex: number;
  degIndex: number;
}

class IngestSession {
  readonly handle: number;
  readonly name: string;
  readonly sampleRate: number;
  readonly streams: StreamId[];
  readonly pairs: Pair[] = [];
  readonly reassembler: Reassembler;
  private readonly noisyIndex: number;
  private readonly ctx: IngestContext;
  private readonly conn: IngestConnection;
  private ended = false;

  constructor(conn: IngestConnection, frame: OpenFrame, name: string, ids: string[], ctx: IngestContext) {
    this.conn = conn;
    this.ctx = ctx;
    this.handle = frame.handle;
    this.name = name;
    this.sampleRate = frame.sampleRate;
    this.streams = frame.streams;
    const index = (kind: StreamId['kind'], speaker: number) => frame.streams.findIndex((s) => s.kind === kind && s.speaker === speaker);
    this.noisyIndex = index('noisy', 0);
    this.reassembler = new Reassembler({
      streamCount: frame.streams.length,
      sampleRate: frame.sampleRate,
      ...ctx.reassembly,
      onBlock: (t0, channels) => this.onBlock(t0, channels),
      onEvent: (e) => this.onIrregular(e),
    });
    ids.forEach((id, k) => {
      const withNoisy = this.noisyIndex >= 0;
      const streamNames = [streamName({ kind: 'ref', speaker: k }), streamName({ kind: 'deg', speaker: k })];
      if (withNoisy) streamNames.push('noisy');
      const state = ctx.registry.open({
        id,
        source: 'ingest',
        sampleRate: frame.sampleRate,
        streams: streamNames,
        ...(ids.length > 1 ? { group: name } : {}),
      });
      const engine = ctx.engineFactory({ id, sampleRate: frame.sampleRate, withNoisy, reportRateHz: ctx.reportRateHz });
      const subscriptions = [
        engine.samples$.subscribe((s) => ctx.registry.sample(state, s)),
        engine.delays$.subscribe((d) => ctx.registry.delay(state, d)),
      ];
      const done = new Promise<void>((resolve) => {
        subscriptions.push(
          engine.summary$.subscribe({
            next: (rec) => ctx.registry.summary(state, rec),
            complete: () => resolve(),
            error: (e: unknown) => {
              ctx.log(`earshot: session ${id}: engine summary failed: ${(e as Error).message}`);
              resolve();
            },
          }),
        );
      });
      this.pairs.push({
        state,
        engine,
        spectrogram: ctx.spectrumRateHz > 0 ? new PairSpectrogram(frame.sampleRate, ctx.spectrumRateHz) : undefined,
        subscriptions,
        done,
        refIndex: index('ref', k),
        degIndex: index('deg', k),
      });
    });
  }

  get ids(): string[] {
    return this.pairs.map((p) => p.state.info.id);
  }

  audio(frame: AudioFrame): { ok: true } | { ok: false; code: CloseCode; message: string } {
    const i = this.streams.findIndex((s) => s.kind === frame.stream.kind && s.speaker === frame.stream.speaker);
    if (i < 0) return { ok: false, code: CLOSE_CODES.badFrame, message: `stream ${streamName(frame.stream)} was not declared when session ${this.name} opened` };
    if (frame.sampleRate !== this.sampleRate) {
      return { ok: false, code: CLOSE_CODES.badFrame, message: `session ${this.name} runs at ${this.sampleRate} Hz, got a frame at ${frame.sampleRate} Hz` };
    }
    const status = this.reassembler.accept(i, frame.seq, frame.t0, frame.samples);
    return status.ok ? status : { ok: false, code: CLOSE_CODES.badFrame, message: `stream ${streamName(frame.stream)}: ${status.message}` };
  }

  /** Flush, end the engines, wait for their summaries, mark the sessions ended. */
  async end(reason: string): Promise<unknown[]> {
    if (this.ended) return [];
    this.ended = true;
    try {
      this.reassembler.finish();
    } catch (e) {
      this.ctx.log(`earshot: session ${this.name}: flushing failed: ${(e as Error).message}`);
    }
    for (const p of this.pairs) {
      try {
        p.engine.end();
      } catch (e) {
        this.ctx.log(`earshot: session ${p.state.info.id}: engine end failed: ${(e as Error).message}`);
      }
    }
    await Promise.all(this.pairs.map((p) => withTimeout(p.done, SUMMARY_TIMEOUT_MS)));
    await Promise.all(
      this.pairs.map((p) => {
        for (const s of p.subscriptions) s.unsubscribe();
        return this.ctx.registry.end(p.state, reason);
      }),
    );
    return this.pairs.map((p) => p.state.summary ?? null);
  }

  private onBlock(t0: number, channels: Float64Array[]): void {
    if (this.ended && this.pairs.every((p) => p.state.info.state === 'ended')) return;
    const noisy = this.noisyIndex >= 0 ? channels[this.noisyIndex] : undefined;
    for (const p of this.pairs) {
      const ref = channels[p.refIndex];
      const deg = channels[p.degIndex];
      try {
        p.engine.push(noisy ? { t0, sampleRate: this.sampleRate, ref, deg, noisy } : { t0, sampleRate: this.sampleRate, ref, deg });
      } catch (e) {
        this.conn.engineFailed(this, p.state.info.id, e as Error);
        return;
      }
      p.spectrogram?.update(ref, deg, (c) => {
        const msg: SpectrumMessage = {
          type: 'spectrum',
          session: p.state.info.id,
          t: c.t,
          dt: c.dt,
          bands: { n: p.spectrogram!.plan.bands, fminHz: p.spectrogram!.plan.fminHz, fmaxHz: p.spectrogram!.plan.fmaxHz, scale: 'mel' },
          dbMin: SPECTRUM_DB_MIN,
          dbStep: SPECTRUM_DB_STEP,
          ref: Buffer.from(c.ref.buffer, c.ref.byteOffset, c.ref.length).toString('base64'),
          deg: Buffer.from(c.deg.buffer, c.deg.byteOffset, c.deg.length).toString('base64'),
        };
        this.ctx.registry.publish(p.state, msg);
      });
    }
  }

  private onIrregular(e: ReassemblyEvent): void {
    const stream = this.streams[e.stream];
    this.ctx.counters.irregular(e.event, e.frames ?? 0, e.samples ?? 0);
    const pair = this.pairs[stream.kind === 'noisy' ? 0 : stream.speaker] ?? this.pairs[0];
    const msg: IngestEventMessage = { type: 'ingest', session: pair.state.info.id, t: e.position / this.sampleRate, event: e.event, stream: streamName(stream) };
    if (e.frames !== undefined) msg.frames = e.frames;
    if (e.samples !== undefined) msg.samples = e.samples;
    if (e.expectedSeq !== undefined) msg.expectedSeq = e.expectedSeq;
    if (e.seq !== undefined) msg.seq = e.seq;
    this.ctx.registry.publish(pair.state, msg);
    this.conn.sendJson({ ...msg, handle: this.handle });
  }
}

export class IngestConnection {
  private readonly ws: WebSocket;
  private readonly ctx: IngestContext;
  private readonly sessions = new Map<number, IngestSession>();
  private tokens: number;
  private lastRefill = performance.now();
  private paused = false;
  private pausedAt = 0;
  private closed = false;
  /** Messages received while over the rate limit, processed as the bucket refills. */
  private readonly deferred: [Buffer, boolean][] = [];
  private catchUpTimer: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, ctx: IngestContext) {
    this.ws = ws;
    this.ctx = ctx;
    this.tokens = ctx.limits.maxSamplesPerSec;
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
    if (this.deferred.length > 0 || this.overBudget()) {
      // Over the rate: hold this message (the socket is paused, so few can pile up) and catch up later.
      this.deferred.push([data, isBinary]);
      this.scheduleCatchUp();
      return;
    }
    this.process(data, isBinary);
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
      this.tokens -= frame.samples.length;
      const status = session.audio(frame);
      if (!status.ok) this.refuse(status.code, 'bad-frame', status.message);
    }
  }

  /** Refill the token bucket; true while it is in debt. */
  private overBudget(): boolean {
    const rate = this.ctx.limits.maxSamplesPerSec;
    const now = performance.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    return this.tokens < 0;
  }

  private scheduleCatchUp(): void {
    if (this.catchUpTimer) return;
    if (!this.paused) {
      this.paused = true;
      this.pausedAt = performance.now();
      this.ws.pause();
    }
    const waitMs = Math.max(1, Math.ceil((-this.tokens / this.ctx.limits.maxSamplesPerSec) * 1000));
    this.catchUpTimer = setTimeout(() => {
      this.catchUpTimer = undefined;
      while (!this.closed && this.deferred.length > 0 && !this.overBudget()) {
        const [data, isBinary] = this.deferred.shift()!;
        this.process(data, isBinary);
      }
      if (this.closed) return;
      if (this.deferred.length > 0) this.scheduleCatchUp();
      else {
        this.paused = false;
        this.ctx.counters.ingestThrottledMs += performance.now() - this.pausedAt;
        this.ws.resume();
      }
    }, waitMs);
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
    clearTimeout(this.catchUpTimer);
    this.deferred.length = 0;
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

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
    void p.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
