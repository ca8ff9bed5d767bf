/**
 * The browser's ingest client (the dashboard's browser mode, `monitorCall` in `earshot/browser`): a
 * WebSocket to `/ingest` that opens sessions, sends each captured block as AUDIO frames and closes
 * the sessions. Frames come from
 * `src/server/protocol.ts`, the one encoder the server and `earshot push` use (it has no imports,
 * so it bundles for the browser as is). Browsers cannot set WebSocket headers: the token goes in
 * `?token=` (docs/server.md, Security).
 */
import type { SummaryRecord } from '../live/types.js';
import {
  encodeAudio,
  encodeClose,
  encodeOpen,
  streamIdByte,
  type ClosedReply as ProtocolClosedReply,
  type OpenedReply as ProtocolOpenedReply,
  type SampleEncoding,
  type StreamId,
} from './protocol.js';

/** Wait this long for the server's `opened` reply, ms. */
const OPEN_TIMEOUT_MS = 10_000;
/** Wait this long for `closed` (the server computes the final summary first), ms. */
const CLOSE_TIMEOUT_MS = 30_000;

export type OpenedReply = ProtocolOpenedReply;
export type ClosedReply = ProtocolClosedReply<SummaryRecord>;

type Reply = { type: string; handle?: number; message?: string; code?: number; [k: string]: unknown };

/**
 * `/ingest` of the server at `base` (http:, https:, ws: or wss:; a path other than / is kept), with
 * the token as a query parameter.
 */
export function ingestEndpoint(base: string, token: string | undefined): string {
  const url = new URL(base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`expected an http(s):// or ws(s):// URL, got "${base}"`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ingest';
  url.hash = '';
  if (token) url.searchParams.set('token', token);
  return url.toString();
}

/** `/ingest` next to the page (same host, ws: or wss:), with the token as a query parameter. */
export function ingestUrl(pageHref: string, token: string | undefined): string {
  const url = new URL('ingest', pageHref.replace(/#.*$/, ''));
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  if (token) url.searchParams.set('token', token);
  return url.toString();
}

export class BrowserIngest {
  private readonly ws: WebSocket;
  private readonly waiters: { match: (r: Reply) => boolean; resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  /** Next sequence number per (handle, stream id byte). */
  private readonly seq = new Map<number, number>();
  private nextHandle = 1;
  /** The server's last `error` message (sent just before it closes the connection). */
  private serverError: string | undefined;
  private closedWith: Error | undefined;
  /** Irregularities the server reported for our frames (`{"type":"ingest",…}`). */
  onIngestEvent: ((e: Reply) => void) | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let r: Reply;
      try {
        r = JSON.parse(ev.data) as Reply;
      } catch {
        return;
      }
      if (r.type === 'error') this.serverError = String(r.message);
      if (r.type === 'ingest') this.onIngestEvent?.(r);
      for (let i = 0; i < this.waiters.length; i++) {
        if (this.waiters[i].match(r)) {
          this.waiters.splice(i, 1)[0].resolve(r);
          break;
        }
      }
    };
    ws.onclose = (ev) => {
      const why = this.serverError ?? ev.reason ?? '';
      this.closedWith = new Error(`ingest closed (${ev.code})${why ? `: ${why}` : ''}`);
      for (const w of this.waiters.splice(0)) w.reject(this.closedWith);
    };
  }

  /** Connect to `/ingest`; rejects when the connection cannot be made. */
  static connect(url: string): Promise<BrowserIngest> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new BrowserIngest(ws);
      ws.addEventListener('open', () => resolve(client), { once: true });
      ws.addEventListener('close', (ev) => reject(new Error(`cannot connect to /ingest (${ev.code})`)), { once: true });
    });
  }

  /** Bytes the socket still has to send (the page has no other backpressure signal). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Open a session (an empty name lets the server pick one) and wait for `opened`. */
  async open(o: { name: string; sampleRate: number; streams: StreamId[] }): Promise<OpenedReply> {
    const handle = this.nextHandle++;
    this.send(encodeOpen({ handle, sampleRate: o.sampleRate, name: o.name, streams: o.streams }));
    return (await this.wait((r) => r.type === 'opened' && r.handle === handle, OPEN_TIMEOUT_MS)) as unknown as OpenedReply;
  }

  /** One AUDIO frame of `samples` (on the [-1, 1) scale) at stream index `t0`. */
  sendAudio(handle: number, stream: StreamId, sampleRate: number, t0: number, samples: ArrayLike<number>, encoding: SampleEncoding = 'float32'): void {
    const key = (handle << 8) | streamIdByte(stream);
    const seq = this.seq.get(key) ?? 0;
    this.seq.set(key, seq + 1);
    this.send(encodeAudio({ handle, stream, sampleRate, seq, t0, samples, encoding }));
  }

  /** Close the session and wait for `closed`, which carries the final summary. */
  async close(handle: number): Promise<ClosedReply> {
    this.send(encodeClose(handle));
    return (await this.wait((r) => r.type === 'closed' && r.handle === handle, CLOSE_TIMEOUT_MS)) as unknown as ClosedReply;
  }

  /** Drop the connection (the server ends any session still open with reason `disconnected`). */
  disconnect(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }

  private send(bytes: Uint8Array): void {
    if (this.closedWith) throw this.closedWith;
    this.ws.send(bytes);
  }

  private wait(match: (r: Reply) => boolean, timeoutMs: number): Promise<Reply> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no reply from /ingest within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (r: Reply) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
    });
  }
}
