/**
 * The Earshot live server: one HTTP server with
 * - `/` the dashboard (static files), `/metrics` Prometheus text, `/healthz`;
 * - `/ingest` WebSocket: PCM in (protocol.ts), one live engine per ref/deg pair;
 * - `/feed` WebSocket: metric samples, delays, alerts, spectra and summaries out, as JSON.
 *
 * Security: bound to 127.0.0.1 unless told otherwise; a token guards ingest, feed and /metrics when
 * set, and must be set to listen beyond loopback; Origin checked on every upgrade; message size,
 * sessions per connection, live sessions, feed clients and ingest rate are limited. Every refusal
 * closes the WebSocket with its own code (protocol.ts CLOSE_CODES, docs/server.md).
 *
 * Example:
 *   const server = await startServer({ port: 0, token: 's3cret' });
 *   console.log(server.url); // http://127.0.0.1:40123
 *   await server.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { earshotError } from '../errors.js';
import type { LiveEngineFactory } from '../live/types.js';
import { selectMetrics } from '../metrics/registry.js';
import { DEFAULT_ALERT_RULES } from './alerts.js';
import type { AlertRule } from './feed-types.js';
import { FEED_MAX_CLIENT_MESSAGE_BYTES, FeedHub, type FeedHubOptions } from './feed-hub.js';
import { EngineLoad } from './engine-queue.js';
import { DEFAULT_INGEST_LIMITS, IngestConnection, type IngestLimits } from './ingest.js';
import { MetricsExporter, ServerCounters } from './metrics-exporter.js';
import { CLOSE_CODES } from './protocol.js';
import { Recorder } from './recorder.js';
import { hostAllowed, isLoopbackHost, originAllowed, requestToken, tokenMatches } from './security.js';
import { refuseUpgrade } from './ws-guard.js';
import { SessionRegistry } from './sessions.js';
import { SPECTRUM_RATE_HZ } from '../features/spectrogram.js';
import { defaultDashboardDir, serveStatic } from './static-files.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
/** Largest ingest message (bytes): 1 MiB ≈ 10 s of 48 kHz float32 in one frame. Larger: close 1009. */
export const DEFAULT_MAX_INGEST_MESSAGE_BYTES = 1024 * 1024;
/** Ping interval for ingest connections; one that missed the previous pong is dropped (ms). */
const INGEST_HEARTBEAT_MS = 30_000;
/** On close, how long clients get to read their last messages and answer the close frame (ms). */
const CLOSE_GRACE_MS = 1000;

export interface ServerLimits extends IngestLimits {
  maxIngestMessageBytes: number;
  maxFeedClients: number;
}

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Required for ingest, feed and /metrics when set; must be set on a non-loopback host. */
  token?: string;
  /** Extra page origins allowed to open WebSockets (same-origin pages always may; "*" allows any). */
  allowedOrigins?: string[];
  /** Builds one live engine per ref/deg pair; default: the real engine (src/live/engine.ts). */
  engineFactory?: LiveEngineFactory;
  /**
   * Run the default engines in this many worker threads (sessions spread round-robin), so the event
   * loop that serves ingest and the feed never waits for metric work. 0 (default): in this thread.
   */
  engineWorkers?: number;
  /** Dashboard directory; default dist/dashboard of this package; null serves none. */
  dashboardDir?: string | null;
  alertRules?: AlertRule[];
  /** Write every session's feed as JSON lines into this directory. */
  recordDir?: string;
  /** Rotate a recording to a new part before it passes this size (bytes; `--record-max-mb`). Default 512 MiB. */
  recordMaxBytes?: number;
  /** Accept ingest connections (false for `earshot replay`). Default true. */
  ingest?: boolean;
  limits?: Partial<ServerLimits>;
  feed?: Partial<FeedHubOptions>;
  reassembly?: { reorderWindowSec?: number; maxSkewSec?: number; maxJumpSec?: number };
  /** Spectrogram columns per second per session (0 disables). Default 10. */
  spectrumRateHz?: number;
  /** Metric samples per second of stream time, passed to the engine. */
  reportRateHz?: number;
  /**
   * Metric keys the engines compute (`--metrics`), default all; an ingest connection may narrow it
   * with `/ingest?metrics=LIST` (an unknown key is refused with HTTP 400).
   */
  metrics?: string;
  /** How long ended sessions stay listed (s). */
  endedRetentionSec?: number;
  log?: (line: string) => void;
}

export interface EarshotServer {
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  /** ws://host:port */
  readonly wsUrl: string;
  readonly token: string | undefined;
  readonly registry: SessionRegistry;
  readonly hub: FeedHub;
  readonly counters: ServerCounters;
  readonly exporter: MetricsExporter;
  readonly recorder: Recorder | undefined;
  readonly http: Server;
  /** Stop accepting, close every connection (1001), end live sessions, finish recordings. */
  close(): Promise<void>;
}

async function defaultEngineFactory(): Promise<LiveEngineFactory> {
  const mod = await import('../live/engine.js');
  return mod.createLiveEngineSession;
}

export async function startServer(options: ServerOptions = {}): Promise<EarshotServer> {
  // "[::1]" as in URLs is "::1" to listen(): getaddrinfo knows no brackets.
  const host = (options.host ?? DEFAULT_HOST).replace(/^\[(.*)\]$/, '$1');
  const token = options.token === '' ? undefined : options.token;
  if (!isLoopbackHost(host) && token === undefined) {
    throw earshotError('ERR_USAGE', `refusing to listen on ${host} without a token: anyone who can reach it could push audio and read the feed; give --token (or EARSHOT_TOKEN)`);
  }
  const log = options.log ?? (() => {});
  const limits: ServerLimits = { ...DEFAULT_INGEST_LIMITS, maxIngestMessageBytes: DEFAULT_MAX_INGEST_MESSAGE_BYTES, maxFeedClients: 256, ...options.limits };
  const allowedOrigins = options.allowedOrigins ?? [];
  const ingestEnabled = options.ingest ?? true;
  const workerPool =
    !options.engineFactory && ingestEnabled && (options.engineWorkers ?? 0) > 0
      ? (await import('../live/worker-engine.js')).createWorkerEngineFactory(options.engineWorkers!)
      : undefined;
  const engineFactory = options.engineFactory ?? workerPool?.factory ?? (ingestEnabled ? await defaultEngineFactory() : undefined);
  const dashboardDir = options.dashboardDir === undefined ? defaultDashboardDir() : options.dashboardDir;

  const counters = new ServerCounters();
  const recorder = options.recordDir ? new Recorder(options.recordDir, log, { maxFileBytes: options.recordMaxBytes }) : undefined;
  const registry = new SessionRegistry({ alertRules: options.alertRules ?? DEFAULT_ALERT_RULES, counters, recorder, endedRetentionSec: options.endedRetentionSec });
  const hub = new FeedHub(registry, counters, { maxClients: limits.maxFeedClients, ...options.feed });
  registry.hub = hub;
  const ingestConnections = new Set<IngestConnection>();
  const engineLoad = new EngineLoad();
  const exporter = new MetricsExporter({
    counters,
    sessions: () => registry.states(),
    feedClients: () => hub.clientCount,
    feedClientsBehind: () => hub.behindCount,
    ingestConnections: () => ingestConnections.size,
    engineBacklogBytes: () => engineLoad.backlogBytes,
  });

  const wsOptions = { noServer: true, perMessageDeflate: false, clientTracking: true } as const;
  const ingestWss = new WebSocketServer({ ...wsOptions, maxPayload: limits.maxIngestMessageBytes });
  const feedWss = new WebSocketServer({ ...wsOptions, maxPayload: FEED_MAX_CLIENT_MESSAGE_BYTES });

  const authorised = (req: IncomingMessage) => token === undefined || tokenMatches(token, requestToken(req));

  /**
   * Why an upgrade is refused (undefined: admitted). Refusals still complete the upgrade, so that
   * browsers, which never see the HTTP status of a failed one, get the close code (ws-guard.ts).
   */
  const refusal = (req: IncomingMessage, path: string): { code: number; reason: string; counter: string } | undefined => {
    if (!hostAllowed(req, host)) return { code: CLOSE_CODES.forbiddenOrigin, reason: `host ${String(req.headers.host).slice(0, 80)} not allowed on a loopback server`, counter: 'forbidden-host' };
    if (!originAllowed(req, allowedOrigins)) return { code: CLOSE_CODES.forbiddenOrigin, reason: `origin ${String(req.headers.origin).slice(0, 80)} not allowed`, counter: 'forbidden-origin' };
    if (!authorised(req)) return { code: CLOSE_CODES.unauthorized, reason: requestToken(req) === undefined ? 'token required' : 'wrong token', counter: 'unauthorized' };
    if (path === '/feed' && hub.clientCount >= limits.maxFeedClients) return { code: CLOSE_CODES.tooMany, reason: `at most ${limits.maxFeedClients} feed clients`, counter: 'too-many-feed-clients' };
    if (path === '/ingest' && ingestConnections.size >= limits.maxIngestConnections) {
      return { code: CLOSE_CODES.tooMany, reason: `at most ${limits.maxIngestConnections} ingest connections`, counter: 'too-many-ingest-connections' };
    }
    return undefined;
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!hostAllowed(req, host)) {
      counters.refuse('forbidden-host');
      res.writeHead(403).end('host not allowed');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end('method not allowed');
      return;
    }
    if (path === '/metrics') {
      if (!authorised(req)) {
        counters.refuse('unauthorized');
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="earshot"' }).end('token required');
        return;
      }
      exporter.text().then(
        (text) => res.writeHead(200, { 'Content-Type': exporter.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(`metrics failed: ${e.message}`),
      );
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/ingest' || path === '/feed') {
      res.writeHead(426, { Upgrade: 'websocket' }).end('WebSocket endpoint');
      return;
    }
    serveStatic(req, res, dashboardDir);
  };

  // Ingest clients that vanish without a TCP close (network loss) are found by ping/pong, so their
  // sessions end instead of staying live forever. (The feed hub does the same for its clients.)
  const alive = new WeakSet<WebSocket>();
  const heartbeat = setInterval(() => {
    for (const ws of ingestWss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, INGEST_HEARTBEAT_MS);
  heartbeat.unref();

  const http = createServer(onRequest);
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // From the moment the socket is ours: a peer that resets it is not an error of the server's.
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const isIngest = path === '/ingest' && ingestEnabled && engineFactory !== undefined;
    if (!isIngest && path !== '/feed') {
      counters.refuse('unknown-path');
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const refused = refusal(req, path);
    if (refused) {
      counters.refuse(refused.counter);
      refuseUpgrade(req, socket, refused.code, refused.reason);
      return;
    }
    if (isIngest) {
      const metrics = connectionMetrics(req.url, options.metrics);
      if (metrics instanceof Error) {
        counters.refuse('bad-metrics');
        socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(metrics.message)}\r\n\r\n${metrics.message}`);
        return;
      }
      ingestWss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => {});
        alive.add(ws);
        ws.on('pong', () => alive.add(ws));
        const conn = new IngestConnection(ws, {
          registry,
          counters,
          engineFactory: engineFactory!,
          engineLoad,
          limits,
          reassembly: options.reassembly ?? {},
          spectrumRateHz: options.spectrumRateHz ?? SPECTRUM_RATE_HZ,
          reportRateHz: options.reportRateHz,
          metrics,
          log,
        });
        ingestConnections.add(conn);
        ws.on('close', () => ingestConnections.delete(conn));
      });
    } else {
      feedWss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => {});
        hub.attach(ws, req);
      });
    }
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? DEFAULT_PORT, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    host,
    port: address.port,
    url: `http://${urlHost}:${address.port}`,
    wsUrl: `ws://${urlHost}:${address.port}`,
    token,
    registry,
    hub,
    counters,
    exporter,
    recorder,
    http,
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        // End the live sessions first, so their summaries still reach feed clients and recordings.
        await Promise.all([...ingestConnections].map((c) => c.shutdown()));
        hub.close();
        // Give clients a moment to read what is queued and answer the close; then cut the rest.
        const deadline = Date.now() + CLOSE_GRACE_MS;
        while (ingestWss.clients.size + feedWss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        for (const ws of [...ingestWss.clients, ...feedWss.clients]) ws.terminate();
        http.closeAllConnections();
        exporter.close();
        registry.close();
        await recorder?.closeAll();
        await workerPool?.close();
        await httpClosed;
      })();
      return closing;
    },
  };
}

/**
 * The metric selection of one ingest connection: `?metrics=LIST` in its URL, else the server's
 * default; an Error (for an HTTP 400) when a key is unknown or the list is too long to be one.
 */
function connectionMetrics(url: string | undefined, serverDefault: string | undefined): string | undefined | Error {
  const asked = new URL(url ?? '/', 'http://x').searchParams.get('metrics');
  if (asked === null) return serverDefault;
  if (asked.length > 1024) return new Error('metrics list longer than 1024 characters');
  try {
    selectMetrics(asked);
  } catch (e) {
    return e as Error;
  }
  return asked;
}
