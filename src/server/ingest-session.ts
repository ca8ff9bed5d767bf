/**
 * One session opened on an ingest connection, wired up: its streams go through a reassembler into
 * aligned blocks; each ref/deg pair (one per speaker, noisy shared) gets a registry entry, a live
 * engine whose samples, delays and summary are published through the registry, and optionally a
 * spectrogram. Irregularities the reassembler reports go to the registry, to /metrics and back to the
 * sender.
 */
import type { Subscription } from 'rxjs';
import type { LiveEngineFactory, LiveEngineSession } from '../live/types.js';
import type { IngestEventMessage, SpectrumMessage } from './feed-types.js';
import type { ServerCounters } from './metrics-exporter.js';
import { CLOSE_CODES, streamName, type AudioFrame, type CloseCode, type OpenFrame, type StreamId } from './protocol.js';
import { Reassembler, type ReassemblyEvent } from './reassembler.js';
import type { SessionState } from './session-state.js';
import type { SessionRegistry } from './sessions.js';
import { PairSpectrogram, SPECTRUM_DB_MIN, SPECTRUM_DB_STEP } from './spectrum.js';

/** How long to wait for an engine's summary after `end()` before giving up on it (ms). */
export const SUMMARY_TIMEOUT_MS = 30_000;

/** What a session needs from the server. */
export interface IngestSessionContext {
  registry: SessionRegistry;
  counters: ServerCounters;
  engineFactory: LiveEngineFactory;
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
      const engine = ctx.engineFactory({ id, sampleRate: frame.sampleRate, withNoisy, reportRateHz: ctx.reportRateHz, metrics: ctx.metrics });
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
