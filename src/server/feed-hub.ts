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
 * - Past HARD_LIMIT bytes (buffered + waiting), or behind for longer than MAX_STALL (counted from
 *   when it fell behind; writes do not restart it), it is closed with 4408 (and its socket destroyed
 *   a second later if it does not answer the close).
 * - History snapshots (the costly messages: up to a few hundred kB) go out only while the client is
 *   not behind and within its budget: a token bucket of `clientBytesPerSec` that its own messages
 *   (their bytes plus CLIENT_MESSAGE_COST_BYTES each) and its snapshots spend. A snapshot is sent at
 *   most once per session per client until the client unsubscribes from it, so repeated or toggled
 *   subscriptions cost O(1) each. Over budget, the client's socket is not read until it refills.
 * Nothing a client does blocks the caller of `publish`: ingest and the other clients never wait.
 *
 * Note: on loopback the kernel absorbs the first 3–4 MB of a stalled client's backlog before ws's
 * `bufferedAmount` grows; the limits here act on what lies beyond that.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { CLOSE_CODES } from './protocol.js';
import { Throttle, TokenBucket } from './rate-limit.js';
import { closeWithoutReading } from './ws-guard.js';
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
  /** Per-client budget (bytes per second, burst one second's worth) of its messages plus its snapshots. */
  clientBytesPerSec: number;
}

export const DEFAULT_FEED_OPTIONS: FeedHubOptions = {
  softLimitBytes: 256 * 1024,
  lowWaterBytes: 64 * 1024,
  hardLimitBytes: 8 * 1024 * 1024,
  maxStallMs: 15_000,
  checkIntervalMs: 50,
  maxClients: 256,
  heartbeatMs: 30_000,
  // About four full snapshots a second: a dashboard switching sessions by hand never gets near it.
  clientBytesPerSec: 1024 * 1024,
};

/** Rough size of one coalesced sample on the wire, for the hard limit. */
const COALESCED_SAMPLE_BYTES = 100;
/** Grace for a client closed for slowness to answer the close before its socket is destroyed (ms). */
const TERMINATE_AFTER_MS = 1000;
/** Largest subscription message accepted from a feed client. */
export const FEED_MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;
/** What each client message costs on top of its bytes (parsing, bookkeeping), bytes of budget. */
const CLIENT_MESSAGE_COST_BYTES = 1024;
/** Most session ids in one subscription (URL or message). */
const MAX_SUBSCRIBED_IDS = 1024;

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
  /** Sessions whose snapshot this client got since it subscribed to them. */
  readonly snapshotted = new Set<string>();
  /** Sessions whose snapshot is due, sent as the client's buffer and budget allow (in order). */
  readonly snapshotsDue = new Set<string>();
  readonly bucket: TokenBucket;
  /** Its own messages, read while it is within its budget. */
  throttle: Throttle<[Buffer, boolean]> | undefined;

  constructor(ws: WebSocket, subscription: Subscription, bytesPerSec: number) {
    this.ws = ws;
    this.subscription = subscription;
    this.bucket = new TokenBucket(bytesPerSec);
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
    let client: FeedClient | undefined;
    ws.on('error', () => this.forget(client));
    if (this.clients.size >= this.options.maxClients) {
      this.counters.refuse('too-many-feed-clients');
      closeWithoutReading(ws, CLOSE_CODES.tooMany, `at most ${this.options.maxClients} feed clients`);
      return false;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const c = new FeedClient(ws, parseSubscription(url.searchParams.get('session')), this.options.clientBytesPerSec);
    client = c;
    c.throttle = new Throttle(c.bucket, {
      pause: () => ws.pause(),
      resume: () => ws.resume(),
      process: ([data, isBinary]) => this.onClientMessage(c, data, isBinary),
      closed: () => c.closing || !this.clients.has(c),
      resumed: () => {},
    });
    this.clients.add(c);
    ws.on('pong', () => (c.alive = true));
    ws.on('message', (data, isBinary) => {
      if (!c.closing) c.throttle!.offer([data as Buffer, isBinary], (data as Buffer).length);
    });
    ws.on('close', () => this.forget(c));
    this.deliver(c, {
      type: 'hello',
      protocol: FEED_PROTOCOL_VERSION,
      server: 'earshot',
      sessions: this.directory.list(),
      subscribed: c.subscription === '*' ? '*' : [...c.subscription],
      alertRules: this.directory.alertRules(),
    });
    this.requestSnapshots(c, c.subscription === '*' ? this.directory.list().map((s) => s.id) : [...c.subscription]);
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
      c.throttle?.stop();
      c.ws.close(code, reason);
      setTimeout(() => c.ws.terminate(), TERMINATE_AFTER_MS).unref();
    }
  }

  /** The client's socket is gone. */
  private forget(c: FeedClient | undefined): void {
    if (!c) return;
    c.throttle?.stop();
    this.clients.delete(c);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private broadcast(msg: FeedMessage): void {
    if (this.clients.size === 0) return;
    if (msg.type === 'session' && msg.event === 'removed') {
      for (const c of this.clients) {
        c.snapshotted.delete(msg.session.id);
        c.snapshotsDue.delete(msg.session.id);
      }
    }
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
    const buffered = c.ws.bufferedAmount;
    if (buffered > this.options.softLimitBytes && !c.behind) {
      // The stall clock starts when the client falls behind; later writes do not restart it.
      c.behind = true;
      c.behindSince = Date.now();
      this.counters.feedBehindEvents++;
    }
    if (buffered > this.options.hardLimitBytes) this.drop(c, 'backlog over the hard limit');
  }

  /** One message for one client: sent now, or held while it is behind. */
  private deliver(c: FeedClient, msg: FeedMessage): void {
    if (c.closing) return;
    if (c.behind) this.hold(c, msg);
    else this.write(c, Buffer.from(JSON.stringify(msg)));
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
      if (c.closing) continue;
      if (!c.behind) {
        if (c.snapshotsDue.size > 0) this.sendDueSnapshots(c);
        continue;
      }
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
    this.sendDueSnapshots(c);
  }

  private drop(c: FeedClient, why: string): void {
    if (c.closing) return;
    c.closing = true;
    this.counters.feedDisconnects++;
    c.coalesced.clear();
    c.waiting.length = 0;
    c.snapshotsDue.clear();
    // A stalled client never reads the close frame: its socket is destroyed after a grace period.
    closeWithoutReading(c.ws, CLOSE_CODES.slowConsumer, `feed client too slow: ${why}`);
    this.forget(c);
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.ws.terminate();
        this.forget(c);
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  /** Mark the snapshots of `ids` due (those the client has not had since it subscribed), and send what it can take. */
  private requestSnapshots(c: FeedClient, ids: string[]): void {
    for (const id of ids) if (!c.snapshotted.has(id)) c.snapshotsDue.add(id);
    this.sendDueSnapshots(c);
  }

  /**
   * History of each due session, while the client is not behind and within its budget; spectrogram
   * columns only for sessions asked for by name (dashboards). The rest waits for checkBehind.
   */
  private sendDueSnapshots(c: FeedClient): void {
    for (const id of c.snapshotsDue) {
      if (c.closing || c.behind || c.bucket.inDebt()) return;
      c.snapshotsDue.delete(id);
      const state = this.directory.get(id);
      if (!state || !c.wants(id)) continue;
      c.snapshotted.add(id);
      const data = Buffer.from(JSON.stringify(state.historyMessage(c.subscription !== '*')));
      c.bucket.take(data.length);
      this.write(c, data);
      if (state.summary) this.deliver(c, state.summary);
    }
  }

  private onClientMessage(c: FeedClient, data: Buffer, isBinary: boolean): void {
    if (c.closing) return;
    c.bucket.take(data.length + CLIENT_MESSAGE_COST_BYTES);
    let msg: { type?: unknown; sessions?: unknown };
    try {
      if (isBinary) throw new Error('binary');
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      this.refuse(c, 'feed messages must be JSON text');
      return;
    }
    if (msg !== null && typeof msg === 'object' && msg.type === 'subscribe') {
      const s = msg.sessions;
      const ok = s === '*' || (Array.isArray(s) && s.length <= MAX_SUBSCRIBED_IDS && s.every((x) => typeof x === 'string' && x.length <= 256));
      if (!ok) {
        this.refuse(c, 'subscribe: "sessions" must be "*" or a list of session ids');
        return;
      }
      c.subscription = s === '*' ? '*' : new Set(s as string[]);
      // Unsubscribed sessions may get a snapshot again when subscribed again (charged to the budget).
      for (const id of [...c.snapshotted, ...c.snapshotsDue]) {
        if (!c.wants(id)) {
          c.snapshotted.delete(id);
          c.snapshotsDue.delete(id);
        }
      }
      this.requestSnapshots(c, c.subscription === '*' ? this.directory.list().map((x) => x.id) : [...c.subscription]);
      return;
    }
    this.refuse(c, `unknown message type ${JSON.stringify((msg as { type?: unknown } | null)?.type)?.slice(0, 40)}; expected "subscribe"`);
  }

  /** A malformed client message: close 4400, read nothing more from it. */
  private refuse(c: FeedClient, why: string): void {
    c.closing = true;
    this.counters.refuse('bad-feed-message');
    closeWithoutReading(c.ws, CLOSE_CODES.badFrame, why);
    this.forget(c);
  }
}

/** `?session=` absent or `*`: everything; empty: nothing yet (session and alert messages only). */
function parseSubscription(param: string | null): Subscription {
  if (param === null || param === '*') return '*';
  return new Set(param.split(',', MAX_SUBSCRIBED_IDS).filter(Boolean));
}
