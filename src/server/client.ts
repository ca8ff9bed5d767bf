/**
 * Node clients for the two WebSocket endpoints: `IngestClient` pushes PCM (used by `earshot push`,
 * the tests and any Node program), `FeedSubscriber` reads the live feed. Both reject with a
 * `ConnectionClosedError` carrying the server's close code when the server refuses them.
 */
import WebSocket from 'ws';
import type { FeedMessage } from './feed-types.js';
import { encodeAudio, encodeClose, encodeOpen, streamIdByte, type ClosedReply, type OpenedReply, type SampleEncoding, type StreamId } from './protocol.js';

/** Bytes queued in the socket above which `IngestClient.drain` waits. */
export const DRAIN_HIGH_WATER_BYTES = 1 << 20;

export class ConnectionClosedError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason: string, what: string) {
    super(`${what}: server closed the connection with ${code}${reason ? ` (${reason})` : ''}`);
    this.name = 'ConnectionClosedError';
    this.code = code;
    this.reason = reason;
  }
}

export interface ConnectOptions {
  token?: string;
  /** Sent as the Origin header (browsers always send one; scripts usually do not). */
  origin?: string;
  /** ms; default 10 000. */
  timeoutMs?: number;
}

/** ws://host:port or ws://host:port/ → ws://host:port/<path>; an explicit path other than / is kept. */
export function endpointUrl(base: string, path: '/ingest' | '/feed', query: Record<string, string> = {}): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new TypeError(`expected a URL like ws://127.0.0.1:8080, got "${base}"`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`expected a ws:// or wss:// URL, got "${base}"`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = path;
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * Connect, and hand every message to `onMessage` from the very first: the server may send right
 * after the upgrade, in the same TCP segment, before an 'open' listener's continuation could attach.
 */
function openSocket(url: string, o: ConnectOptions, what: string, onMessage: (data: Buffer, isBinary: boolean) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (o.token !== undefined) headers.Authorization = `Bearer ${o.token}`;
    const ws = new WebSocket(url, { headers, origin: o.origin, perMessageDeflate: false, handshakeTimeout: o.timeoutMs ?? 10_000 });
    ws.on('message', (data, isBinary) => onMessage(data as Buffer, isBinary));
    const onError = (e: Error) => reject(new Error(`${what}: cannot connect to ${url.replace(/token=[^&]*/, 'token=…')}: ${e.message}`));
    ws.once('error', onError);
    ws.once('open', () => {
      ws.off('error', onError);
      resolve(ws);
    });
  });
}

export type { ClosedReply, OpenedReply } from './protocol.js';

type Reply = { type: string; handle?: number; [k: string]: unknown };

export class IngestClient {
  readonly ws: WebSocket;
  /** Irregularities the server reported (type 'ingest'), in order. */
  readonly events: Reply[] = [];
  private readonly waiters: { match: (r: Reply) => boolean; resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private readonly seqs = new Map<string, number>();
  private closeError: ConnectionClosedError | undefined;
  /** The message of the server's last `error` reply (it comes just before the close). */
  private serverError: string | undefined;
  private nextHandle = 1;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('close', (code, reason) => {
      this.closeError = new ConnectionClosedError(code, this.serverError ?? reason.toString(), 'ingest');
      for (const w of this.waiters.splice(0)) w.reject(this.closeError);
    });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) return;
    let r: Reply;
    try {
      r = JSON.parse(data.toString());
    } catch {
      return;
    }
    if (r.type === 'ingest') this.events.push(r);
    if (r.type === 'error') this.serverError = String(r.message);
    const i = this.waiters.findIndex((w) => w.match(r));
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(r);
  }

  /** `o.metrics`: the metric keys the server computes for this connection's sessions (`--metrics`). */
  static async connect(baseUrl: string, o: ConnectOptions & { metrics?: string } = {}): Promise<IngestClient> {
    const early: [Buffer, boolean][] = [];
    let client: IngestClient | undefined;
    const ws = await openSocket(endpointUrl(baseUrl, '/ingest', o.metrics ? { metrics: o.metrics } : {}), o, 'ingest', (d, b) => (client ? client.onMessage(d, b) : early.push([d, b])));
    client = new IngestClient(ws);
    for (const [d, b] of early) client.onMessage(d, b);
    return client;
  }

  /** Close code and reason once the server closed the connection. */
  get closed(): ConnectionClosedError | undefined {
    return this.closeError;
  }

  private wait(match: (r: Reply) => boolean, timeoutMs: number): Promise<Reply> {
    if (this.closeError) return Promise.reject(this.closeError);
    return new Promise((resolve, reject) => {
      const w = {
        match,
        resolve: (r: Reply) => {
          clearTimeout(t);
          resolve(r);
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      this.waiters.push(w);
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`ingest: no reply from the server within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  /** Open a session and wait for the server's `opened` reply. */
  async open(o: { name?: string; sampleRate: number; streams: StreamId[]; handle?: number }, timeoutMs = 10_000): Promise<OpenedReply> {
    const handle = o.handle ?? this.nextHandle++;
    this.ws.send(encodeOpen({ handle, sampleRate: o.sampleRate, name: o.name ?? '', streams: o.streams }));
    return (await this.wait((r) => r.type === 'opened' && r.handle === handle, timeoutMs)) as unknown as OpenedReply;
  }

  /** Send one AUDIO frame; the sequence number of (handle, stream) advances by one. */
  sendAudio(handle: number, stream: StreamId, sampleRate: number, t0: number, samples: ArrayLike<number>, encoding: SampleEncoding, seq?: number): void {
    const key = `${handle}:${streamIdByte(stream)}`;
    const s = seq ?? this.seqs.get(key) ?? 0;
    this.seqs.set(key, s + 1);
    this.ws.send(encodeAudio({ handle, stream, sampleRate, seq: s, t0, samples, encoding }));
  }

  /** Send raw bytes (tests of malformed frames). */
  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** Resolve once the socket's send buffer is below the high-water mark. */
  async drain(highWater = DRAIN_HIGH_WATER_BYTES): Promise<void> {
    while (this.ws.bufferedAmount > highWater && this.ws.readyState === WebSocket.OPEN) await new Promise((r) => setTimeout(r, 2));
  }

  /** Close a session and wait for `closed` (sent after the engine's summary). */
  async close(handle: number, timeoutMs = 60_000): Promise<ClosedReply> {
    this.ws.send(encodeClose(handle));
    return (await this.wait((r) => r.type === 'closed' && r.handle === handle, timeoutMs)) as unknown as ClosedReply;
  }

  /** Wait until the server closes the connection; resolves with its code and reason. */
  whenClosed(timeoutMs = 10_000): Promise<ConnectionClosedError> {
    if (this.closeError) return Promise.resolve(this.closeError);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`ingest: still open after ${timeoutMs} ms`)), timeoutMs);
      this.ws.once('close', () => {
        clearTimeout(t);
        resolve(this.closeError!);
      });
    });
  }

  end(): void {
    this.ws.close(1000);
  }
}

export class FeedSubscriber {
  readonly ws: WebSocket;
  readonly messages: FeedMessage[] = [];
  private listeners: ((m: FeedMessage) => void)[] = [];
  private closeError: ConnectionClosedError | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('close', (code, reason) => (this.closeError = new ConnectionClosedError(code, reason.toString(), 'feed')));
  }

  private receive(data: Buffer): void {
    const m = JSON.parse(data.toString()) as FeedMessage;
    this.messages.push(m);
    for (const l of [...this.listeners]) l(m);
  }

  /** Connect and wait for the `hello`. `session`: one id, several joined by commas, or "*" (default). */
  static async connect(baseUrl: string, o: ConnectOptions & { session?: string } = {}): Promise<FeedSubscriber> {
    const query: Record<string, string> = {};
    if (o.session) query.session = o.session;
    const early: Buffer[] = [];
    let sub: FeedSubscriber | undefined;
    const ws = await openSocket(endpointUrl(baseUrl, '/feed', query), o, 'feed', (d) => (sub ? sub.receive(d) : early.push(d)));
    sub = new FeedSubscriber(ws);
    for (const d of early) sub.receive(d);
    await sub.next((m) => m.type === 'hello', o.timeoutMs ?? 10_000);
    return sub;
  }

  get closed(): ConnectionClosedError | undefined {
    return this.closeError;
  }

  /** Call `f` for every message from now on; returns a function that stops it. */
  onMessage(f: (m: FeedMessage) => void): () => void {
    this.listeners.push(f);
    return () => (this.listeners = this.listeners.filter((l) => l !== f));
  }

  /** The first message (already received or future) that matches; rejects if the connection closes first. */
  next<T extends FeedMessage = FeedMessage>(match: (m: FeedMessage) => boolean, timeoutMs = 10_000): Promise<T> {
    const have = this.messages.find(match);
    if (have) return Promise.resolve(have as T);
    if (this.closeError) return Promise.reject(this.closeError);
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(t);
        stop();
        this.ws.off('close', onClose);
      };
      const onClose = () => {
        finish();
        reject(this.closeError);
      };
      const t = setTimeout(() => {
        finish();
        reject(new Error(`feed: no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = this.onMessage((m) => {
        if (!match(m)) return;
        finish();
        resolve(m as T);
      });
      this.ws.on('close', onClose);
    });
  }

  subscribe(sessions: '*' | string[]): void {
    this.ws.send(JSON.stringify({ type: 'subscribe', sessions }));
  }

  end(): void {
    this.ws.close(1000);
  }
}

