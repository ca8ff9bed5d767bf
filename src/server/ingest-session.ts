/**
 * One session opened on an ingest connection, wired up: its streams go through a reassembler into
 * aligned blocks; each ref/deg pair (one per speaker, noisy shared) gets a registry entry, a live
 * engine whose samples, delays and summary are published through the registry, and optionally a
 * spectrogram. Irregularities the reassembler reports go to the registry, to /metrics and back to the
 * sender; each is charged to the sender's budget before it is sent (EVENT_COST_SAMPLES).
 *
 * Blocks reach each engine through a bounded queue (engine-queue.ts) whose backlog the connection's
 * gate reads; an engine that fails (throws, or errs on its observables) ends the connection (4500).
 */
import type { Subscription } from 'rxjs';
import type { LiveEngineFactory, LiveEngineSession } from '../live/types.js';
import type { IngestEventMessage, SpectrumMessage } from './feed-types.js';
import type { ServerCounters } from './metrics-exporter.js';
import { EngineQueue, type EngineLoad } from './engine-queue.js';
import { CLOSE_CODES, streamName, type AudioFrame, type CloseCode, type OpenFrame, type StreamId } from './protocol.js';
import { Reassembler, type ReassemblyEvent } from './reassembler.js';
import type { SessionState } from './session-state.js';
import type { SessionRegistry } from './sessions.js';
import { SPECTRUM_DB_MIN, SPECTRUM_DB_STEP, type SpectrumColumn } from '../features/spectrogram.js';

/** How long to wait for an engine's summary after `end()` before giving up on it (ms). */
export const SUMMARY_TIMEOUT_MS = 30_000;
/**
 * What one irregularity costs its sender, in samples of the rate budget: the reply to the client, the
 * feed message and the recording line it makes (a frame's own cost is ingest.ts FRAME_COST_SAMPLES).
 */
export const EVENT_COST_SAMPLES = 4096;

/** What a session needs from the server. */
export interface IngestSessionContext {
  registry: SessionRegistry;
  counters: ServerCounters;
  engineFactory: LiveEngineFactory;
  /** The server-wide engine scheduler and backlog (engine-queue.ts). */
  engineLoad: EngineLoad;
  reassembly: { reorderWindowSec?: number; maxSkewSec?: number; maxJumpSec?: number };
  /** Spectrogram columns per second (0: none). */
  spectrumRateHz: number;
  reportRateHz?: number;
  /** Metric keys the engines compute (`--metrics`); default all. */
  metrics?: string;
  log: (line: string) => void;
}

/** The connection a session was opened on. */
export interface IngestSessionOwner {
  /** Send a JSON message to the client (dropped once the connection is closed). */
  sendJson(msg: object): void;
  /** An engine threw on a block: the connection ends `session` and closes. */
  engineFailed(session: IngestSession, id: string, e: Error): void;
  /** Spend `samples` of the sender's rate budget (for work the server does on its behalf). */
  charge(samples: number): void;
}

/** One ref/deg pair of a session: its engine and state. */
interface Pair {
  state: SessionState;
  engine: LiveEngineSession;
  queue: EngineQueue;
  subscriptions: Subscription[];
  /** Resolves when the engine's summary$ completes (or errs). */
  done: Promise<void>;
  refIndex: number;
  degIndex: number;
}

export class IngestSession {
  readonly handle: number;
  readonly name: string;
  readonly sampleRate: number;
  readonly streams: StreamId[];
  readonly pairs: Pair[] = [];
  readonly reassembler: Reassembler;
  private readonly noisyIndex: number;
  private readonly ctx: IngestSessionContext;
  private readonly conn: IngestSessionOwner;
  private ended = false;

  constructor(conn: IngestSessionOwner, frame: OpenFrame, name: string, ids: string[], ctx: IngestSessionContext) {
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
      // The engine computes the spectrogram from its front end's spectra of the aligned audio (in the
      // engine worker when there is one), so it costs the event loop nothing.
      const engine = ctx.engineFactory({ id, sampleRate: frame.sampleRate, withNoisy, reportRateHz: ctx.reportRateHz, metrics: ctx.metrics, spectrumRateHz: ctx.spectrumRateHz });
      // An observable that errs without a handler would be rethrown by RxJS and stop the process.
      const failed = (e: unknown) => this.engineError(id, e as Error);
      const subscriptions = [
        engine.samples$.subscribe({ next: (s) => ctx.registry.sample(state, s), error: failed }),
        engine.delays$.subscribe({ next: (d) => ctx.registry.delay(state, d), error: failed }),
      ];
      if (engine.spectra$) subscriptions.push(engine.spectra$.subscribe({ next: (c) => ctx.registry.publish(state, spectrumMessage(id, c)), error: failed }));
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
        queue: new EngineQueue(engine, ctx.engineLoad, frame.sampleRate, failed),
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

  /** Bytes of audio waiting for this session's engines. */
  get backlogBytes(): number {
    let n = 0;
    for (const p of this.pairs) n += p.queue.backlogBytes;
    return n;
  }

  /** Samples the engines will process because of this frame (reassembler.ts `cost`); 0 if it will be refused. */
  cost(frame: AudioFrame): number {
    const i = this.streams.findIndex((s) => s.kind === frame.stream.kind && s.speaker === frame.stream.speaker);
    if (i < 0 || frame.sampleRate !== this.sampleRate) return 0;
    return this.reassembler.cost(i, frame.t0, frame.samples.length);
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
    // Every queued block still reaches its engine, then the engine ends.
    await Promise.all(this.pairs.map((p) => p.queue.end()));
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
      p.queue.push(noisy ? { t0, sampleRate: this.sampleRate, ref, deg, noisy } : { t0, sampleRate: this.sampleRate, ref, deg });
    }
  }

  private engineError(id: string, e: Error): void {
    if (this.ended) {
      this.ctx.log(`earshot: session ${id}: engine failed while ending: ${e.message}`);
      return;
    }
    this.conn.engineFailed(this, id, e);
  }

  private onIrregular(e: ReassemblyEvent): void {
    this.conn.charge(EVENT_COST_SAMPLES);
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

function spectrumMessage(session: string, c: SpectrumColumn): SpectrumMessage {
  return {
    type: 'spectrum',
    session,
    t: c.t,
    dt: c.dt,
    bands: { n: c.ref.length, fminHz: c.fminHz, fmaxHz: c.fmaxHz, scale: 'mel' },
    dbMin: SPECTRUM_DB_MIN,
    dbStep: SPECTRUM_DB_STEP,
    ref: Buffer.from(c.ref.buffer, c.ref.byteOffset, c.ref.length).toString('base64'),
    deg: Buffer.from(c.deg.buffer, c.deg.byteOffset, c.deg.length).toString('base64'),
  };
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
