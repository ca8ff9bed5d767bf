/**
 * The dashboard's connection to `/feed`: connects, reconnects with backoff (0.5 s doubling to 10 s),
 * and reports its state. A refusal that retrying cannot fix (wrong token, forbidden origin) stops it.
 * Every message goes through the feed schema (src/server/feed-validate.ts, the validator `earshot
 * replay` uses on recordings): one that does not fit is dropped and counted, never rendered.
 */
import type { FeedMessage } from '../../src/server/feed-types.js';
import { validateFeedMessage } from '../../src/server/feed-validate.js';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; inSec: number; why: string }
  | { kind: 'refused'; why: string };

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
/** Close codes (src/server/protocol.ts CLOSE_CODES) after which retrying cannot help. */
const FATAL: Record<number, string> = {
  4401: 'unauthorized: open the dashboard with its #token=… link',
  4403: 'this page’s origin is not allowed by the server',
};

export interface FeedOptions {
  token: string | undefined;
  onMessage: (m: FeedMessage) => void;
  onState: (s: ConnectionState) => void;
  /** Sessions to receive samples for once connected ('*' or ids). */
  subscription: () => '*' | string[];
}

export class FeedConnection {
  private ws: WebSocket | undefined;
  private backoff = BACKOFF_MIN_MS;
  private timer: number | undefined;
  private stopped = false;
  private readonly o: FeedOptions;
  /** Messages dropped because they did not fit the feed schema. */
  invalidMessages = 0;

  constructor(o: FeedOptions) {
    this.o = o;
    this.connect();
  }

  subscribe(sessions: '*' | string[]): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'subscribe', sessions }));
  }

  private connect(): void {
    const url = new URL('feed', location.href.replace(/#.*$/, ''));
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = '';
    const sub = this.o.subscription();
    url.searchParams.set('session', sub === '*' ? '*' : sub.join(','));
    if (this.o.token) url.searchParams.set('token', this.o.token);
    this.o.onState({ kind: 'connecting' });
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = BACKOFF_MIN_MS;
      this.o.onState({ kind: 'live' });
    };
    ws.onmessage = (ev) => {
      try {
        const r = validateFeedMessage(JSON.parse(ev.data as string));
        if (r.ok) this.o.onMessage(r.value);
        else if (this.invalidMessages++ < 5) console.warn(`earshot: feed message dropped: ${r.reason}`);
      } catch (e) {
        if (this.invalidMessages++ < 5) console.error('earshot: bad feed message', e);
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws || this.stopped) return;
      const fatal = FATAL[ev.code];
      if (fatal) {
        this.o.onState({ kind: 'refused', why: fatal });
        return;
      }
      const why = ev.code === 1001 ? 'server stopped' : ev.code === 4408 ? 'fell behind' : ev.code === 1006 ? 'connection lost' : `closed (${ev.code})`;
      this.retry(why);
    };
  }

  private retry(why: string): void {
    const delay = this.backoff;
    this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
    const until = performance.now() + delay;
    const tick = () => {
      const left = until - performance.now();
      if (left <= 0) {
        this.connect();
        return;
      }
      this.o.onState({ kind: 'reconnecting', inSec: Math.ceil(left / 1000), why });
      this.timer = window.setTimeout(tick, Math.min(250, left));
    };
    tick();
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
  }
}
