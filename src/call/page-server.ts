/**
 * The HTTP server `earshot call` runs on 127.0.0.1 for its page: the page (call-page/), the capture
 * worklet (worklets/capture.worklet.js), the noisy signal as raw float32 (`/noisy.f32`) and a
 * WebSocket (`/audio`) on which the page sends what it records. Binds loopback only, port 0.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';

/** Largest WebSocket message the page may send (one capture batch is ~33 kB), bytes. */
const MAX_MESSAGE_BYTES = 4 << 20;

/** The package root, from src/call/ or dist/src/call/. */
export function packageRoot(): URL {
  const here = import.meta.url;
  return new URL(/\/dist\/src\/call\/[^/]+$/.test(here) ? '../../../' : '../../', here);
}

export interface PageMessage {
  /** A capture batch (binary) or a parsed JSON text message. */
  binary: Buffer | null;
  json: Record<string, unknown> | null;
}

export interface PageServer {
  /** http://127.0.0.1:PORT/ */
  readonly origin: string;
  readonly pageUrl: string;
  readonly workletUrl: string;
  readonly noisyUrl: string;
  readonly wsUrl: string;
  /** Replace the signal served at /noisy.f32. */
  setNoisy(samples: Float32Array): void;
  /** Every message of the page's socket, in order. */
  onMessage: ((m: PageMessage) => void) | undefined;
  close(): Promise<void>;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/call.html': { file: 'call-page/call.html', type: 'text/html; charset=utf-8' },
  '/call-page.js': { file: 'call-page/call-page.js', type: 'text/javascript; charset=utf-8' },
  '/sdp.js': { file: 'call-page/sdp.js', type: 'text/javascript; charset=utf-8' },
  '/capture.worklet.js': { file: 'worklets/capture.worklet.js', type: 'text/javascript; charset=utf-8' },
};

export async function startPageServer(): Promise<PageServer> {
  const root = packageRoot();
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const [path, s] of Object.entries(STATIC)) files.set(path, { body: readFileSync(fileURLToPath(new URL(s.file, root))), type: s.type });
  let noisy: Buffer = Buffer.alloc(0);
  const http: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/noisy.f32') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(noisy);
      return;
    }
    const f = files.get(path === '/' ? '/call.html' : path);
    if (!f || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f.type, 'cache-control': 'no-store' });
    res.end(f.body);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
  const server: PageServer = {
    origin: '',
    pageUrl: '',
    workletUrl: '',
    noisyUrl: '',
    wsUrl: '',
    onMessage: undefined,
    setNoisy(samples) {
      noisy = Buffer.from(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
    },
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  http.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/audio') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('message', (data, isBinary) => {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        if (isBinary) server.onMessage?.({ binary: buf, json: null });
        else {
          try {
            server.onMessage?.({ binary: null, json: JSON.parse(buf.toString()) as Record<string, unknown> });
          } catch {
            // not JSON: ignored
          }
        }
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  Object.assign(server, {
    origin,
    pageUrl: `${origin}/call.html`,
    workletUrl: `${origin}/capture.worklet.js`,
    noisyUrl: `${origin}/noisy.f32`,
    wsUrl: `ws://127.0.0.1:${port}/audio`,
  });
  return server;
}
