/**
 * The live feed: fans messages out to WebSocket clients with per-client backpressure.
 *
 * - Messages are queued in order and flushed once per turn of the event loop (`setImmediate`), with
 *   consecutive samples of one session merged into one `samples` message; each message is serialised
 *   once into a Buffer that every client gets (ws frames it without copying).
 * - A client whose `bufferedAmount` passes SOFT_LIMIT is "behind": it gets nothing more on the socket;
 *   its samples are coalesced to the latest value per (session, metric, window), its delay to the
 *   latest per session, spectrum columns are skipped (counted), and the few other messages (alerts,
 *   session events, summaries) wait in order. Once its buffer drains below LOW_WATER it receives the
 *   coalesced values (`coalesced: true`) and the waiting messages, and is live again.
 * - Past HARD_LIMIT bytes (buffered + waiting), or behind for longer than MAX_STALL, it is closed
 *   with 4408 (and its socket destroyed a second later if it does not answer the close).
 * Nothing a client does blocks the caller of `publish`: ingest and the other clients never wait.
 *
 * Note: on loopback the kernel absorbs the first 3–4 MB of a stalled client's backlog before ws's
 * `bufferedAmount` grows; the limits here act on what lies beyond that.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { CLOSE_CODES } from './protocol.js';
import { FEED_PROTOCOL_VERSION, type AlertRule, type DelayMessage, type FeedMessage, type SampleEntry, type SamplesMessage, type SessionInfo } from './feed-types.js';
import type { ServerCounters } from './metrics-exporter.js';
import type { SessionState } from './session-state.js';

export interface FeedHubOptions {
  /** bufferedAmount (bytes) above which a client is treated as behind. */
  softLimitBytes: number;
  /** bufferedAmount (bytes) below which a client that was behind is live again. */
  lowWaterBytes: number;
  /** bufferedAmount + waiting bytes above which a client is disconnected (4408). */
  hardLimitBytes: number;
  /** A client behind for longer than this (ms) is disconnected (4408). */
  maxStallMs: number;
  /** How often clients that are behind are checked (ms). */
  checkIntervalMs: number;
  maxClients: number;
  /** Ping interval (ms); a client that missed the previous pong is dropped. 0 disables. */
  heartbeatMs: number;
}

export const DEFAULT_FEED_OPTIONS: FeedHubOptions = {
  softLimitBytes: 256 * 1024,
  lowWaterBytes: 64 * 1024,
  hardLimitBytes: 8 * 1024 * 1024,
  maxStallMs: 15_000,
  checkIntervalMs: 50,
  maxClients: 256,
  heartbeatMs: 30_000,
};

/** Rough size of one coalesced sample on the wire, for the hard limit. */
const COALESCED_SAMPLE_BYTES = 100;
/** Grace for a client closed for slowness to answer the close before its socket is destroyed (ms). */
const TERMINATE_AFTER_MS = 1000;
/** Largest subscription message accepted from a feed client. */
export const FEED_MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

/** Where the hub finds sessions for hello messages and snapshots. */
export interface SessionDirectory {
  list(): SessionInfo[];
  get(id: string): SessionState | undefined;
  alertRules(): AlertRule[];
}

type Subscription = '*' | Set<string>;

class FeedClient {
  readonly ws: WebSocket;
  subscription: Subscription;
  behind = false;
  behindSince = 0;
  /** While behind: latest sample per series, per session. */
  readonly coalesced = new Map<string, Map<string, SampleEntry>>();
  readonly delays = new Map<string, DelayMessage>();
  readonly waiting: Buffer[] = [];
  waitingBytes = 0;
  coalescedCount = 0;
  alive = true;
  closing = false;

  constructor(ws: WebSocket, subscription: Subscription) {
    this.ws = ws;
    this.subscription = subscription;
  }

  wants(session: string): boolean {
    return this.subscription === '*' || this.subscription.has(session);
  }
}

/** Messages every client gets, whatever it subscribed to (small and rare). */
function isForEveryone(msg: FeedMessage): boolean {
  return msg.type === 'session' || msg.type === 'alert';
}

export class FeedHub {
  private readonly options: FeedHubOptions;
  private readonly directory: SessionDirectory;
  private readonly counters: ServerCounters;
  private readonly clients = new Set<FeedClient>();
  private queue: FeedMessage[] = [];
  private flushScheduled = false;
  private readonly checkTimer: NodeJS.Timeout;
  private readonly heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(directory: SessionDirectory, counters: ServerCounters, options: Partial<FeedHubOptions> = {}) {
    this.options = { ...DEFAULT_FEED_OPTIONS, ...options };
    this.directory = directory;
    this.counters = counters;
    this.checkTimer = setInterval(() => this.checkBehind(), this.options.checkIntervalMs);
    this.checkTimer.unref();
    if (this.options.heartbeatMs > 0) {
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatMs);
      this.heartbeatTimer.unref();
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Clients currently behind (coalesced). */
  get behindCount(): number {
    let n = 0;
    for (const c of this.clients) if (c.behind) n++;
    return n;
  }

  /** Take over an authorised WebSocket. Returns false (and closes it) when the hub is full. */
  attach(ws: WebSocket, req: IncomingMessage): boolean {
    if (this.clients.size >= this.options.maxClients) {
      this.counters.refuse('too-many-feed-clients');
      ws.close(CLOSE_CODES.tooMany, `at most ${this.options.maxClients} feed clients`);
      return false;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const client = new FeedClient(ws, parseSubscription(url.searchParams.get('session')));
    this.clients.add(client);
    ws.on('pong', () => (client.alive = true));
    ws.on('message', (data, isBinary) => this.onClientMessage(client, data as Buffer, isBinary));
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client));
    this.sendTo(client, {
      type: 'hello',
      protocol: FEED_PROTOCOL_VERSION,
      server: 'earshot',
      sessions: this.directory.list(),
      subscribed: client.subscription === '*' ? '*' : [...client.subscription],
      alertRules: this.directory.alertRules(),
    });
    this.sendSnapshots(client, client.subscription === '*' ? this.directory.list().map((s) => s.id) : [...client.subscription]);
    return true;
  }

  /** Queue one sample; consecutive samples of a session go out as one message. */
  sample(session: string, entry: SampleEntry): void {
    const last = this.queue[this.queue.length - 1];
    if (last !== undefined && last.type === 'samples' && last.session === session) last.samples.push(entry);
    else this.queue.push({ type: 'samples', session, samples: [entry] });
    this.scheduleFlush();
  }

  /** Queue any other message, in order with the samples. */
  publish(msg: FeedMessage): void {
    this.queue.push(msg);
    this.scheduleFlush();
  }

  /** Send everything queued now (normally runs by itself once per event-loop turn). */
  flush(): void {
    this.flushScheduled = false;
    const queue = this.queue;
    this.queue = [];
    for (const msg of queue) this.broadcast(msg);
  }

  /** Close every client (server shutdown). */
  close(code: number = CLOSE_CODES.goingAway, reason = 'server shutting down'): void {
    clearInterval(this.checkTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.flush();
    for (const c of this.clients) {
      c.ws.close(code, reason);
      setTimeout(() => c.ws.terminate(), TERMINATE_AFTER_MS).unref();
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private broadcast(msg: FeedMessage): void {
    if (this.clients.size === 0) return;
    const everyone = isForEveryone(msg);
    const session = 'session' in msg && typeof msg.session === 'string' ? msg.session : undefined;
    let data: Buffer | undefined;
    for (const c of this.clients) {
      if (c.closing) continue;
      if (!everyone && session !== undefined && !c.wants(session)) continue;
      if (c.behind) {
        this.hold(c, msg);
        continue;
      }
      data ??= Buffer.from(JSON.stringify(msg));
      this.write(c, data);
    }
  }

  private write(c: FeedClient, data: Buffer): void {
    c.ws.send(data, { binary: false });
    this.counters.feedMessages++;
    this.counters.feedBytes += data.length;
    if (c.ws.bufferedAmount > this.options.softLimitBytes) {
      c.behind = true;
      c.behindSince = Date.now();
      this.counters.feedBehindEvents++;
    }
  }

  /** A message for a client that is behind: coalesce, skip or keep it. */
  private hold(c: FeedClient, msg: FeedMessage): void {
    switch (msg.type) {
      case 'samples': {
        let m = c.coalesced.get(msg.session);
        if (!m) c.coalesced.set(msg.session, (m = new Map()));
        for (const s of msg.samples) {
          const key = `${s.metric}\u0000${s.window}`;
          if (!m.has(key)) c.coalescedCount++;
          m.set(key, s);
        }
        this.counters.feedCoalescedSamples += msg.samples.length;
        break;
      }
      case 'delay':
        c.delays.set(msg.session, msg);
        break;
      case 'spectrum':
        this.counters.feedSkippedSpectra++;
        break;
      default: {
        const data = Buffer.from(JSON.stringify(msg));
        c.waiting.push(data);
        c.waitingBytes += data.length;
      }
    }
    if (c.ws.bufferedAmount + c.waitingBytes + c.coalescedCount * COALESCED_SAMPLE_BYTES > this.options.hardLimitBytes) {
      this.drop(c, 'backlog over the hard limit');
    }
  }

  private checkBehind(): void {
    const now = Date.now();
    for (const c of this.clients) {
      if (!c.behind || c.closing) continue;
      if (c.ws.bufferedAmount <= this.options.lowWaterBytes) this.catchUp(c);
      else if (now - c.behindSince > this.options.maxStallMs) this.drop(c, `behind for more than ${this.options.maxStallMs} ms`);
    }
  }

  /** A client that was behind drained its buffer: send what it missed, in a compact form. */
  private catchUp(c: FeedClient): void {
    c.behind = false;
    for (const [session, m] of c.coalesced) {
      const msg: SamplesMessage = { type: 'samples', session, samples: [...m.values()], coalesced: true };
      this.write(c, Buffer.from(JSON.stringify(msg)));
    }
    for (const d of c.delays.values()) this.write(c, Buffer.from(JSON.stringify(d)));
    for (const data of c.waiting) this.write(c, data);
    c.coalesced.clear();
    c.delays.clear();
    c.waiting.length = 0;
    c.waitingBytes = 0;
    c.coalescedCount = 0;
  }

  private drop(c: FeedClient, why: string): void {
    if (c.closing) return;
    c.closing = true;
    this.counters.feedDisconnects++;
    c.coalesced.clear();
    c.waiting.length = 0;
    c.ws.close(CLOSE_CODES.slowConsumer, `feed client too slow: ${why}`);
    // A stalled client never reads the close frame: destroy the socket after a grace period.
    setTimeout(() => c.ws.terminate(), TERMINATE_AFTER_MS).unref();
    this.clients.delete(c);
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.ws.terminate();
        this.clients.delete(c);
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  private sendTo(c: FeedClient, msg: FeedMessage): void {
    this.write(c, Buffer.from(JSON.stringify(msg)));
  }

  /** History of each session; spectrogram columns only for sessions asked for by name (dashboards). */
  private sendSnapshots(c: FeedClient, ids: string[]): void {
    for (const id of ids) {
      const state = this.directory.get(id);
      if (!state) continue;
      this.sendTo(c, state.historyMessage(c.subscription !== '*'));
      if (state.summary) this.sendTo(c, state.summary);
    }
  }

  private onClientMessage(c: FeedClient, data: Buffer, isBinary: boolean): void {
    let msg: { type?: unknown; sessions?: unknown };
    try {
      if (isBinary) throw new Error('binary');
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      c.ws.close(CLOSE_CODES.badFrame, 'feed messages must be JSON text');
      return;
    }
    if (msg.type === 'subscribe') {
      const s = msg.sessions;
      const ok = s === '*' || (Array.isArray(s) && s.length <= 1024 && s.every((x) => typeof x === 'string'));
      if (!ok) {
        c.ws.close(CLOSE_CODES.badFrame, 'subscribe: "sessions" must be "*" or a list of session ids');
        return;
      }
      const before = c.subscription;
      c.subscription = s === '*' ? '*' : new Set(s as string[]);
      const added = c.subscription === '*' ? this.directory.list().map((x) => x.id) : [...c.subscription];
      this.sendSnapshots(c, before === '*' ? [] : added.filter((id) => !before.has(id)));
      return;
    }
    c.ws.close(CLOSE_CODES.badFrame, `unknown message type ${JSON.stringify(msg.type)}; expected "subscribe"`);
  }
}

/** `?session=` absent or `*`: everything; empty: nothing yet (session and alert messages only). */
function parseSubscription(param: string | null): Subscription {
  if (param === null || param === '*') return '*';
  return new Set(param.split(',').filter(Boolean));
}
