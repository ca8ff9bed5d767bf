/**
 * Refusing WebSockets without ever parsing what the peer sends.
 *
 * A socket that `ws` has taken over keeps reading frames until it is gone, and `ws` reports a bad
 * frame (over maxPayload, unmasked, bad opcode, RSV bits, invalid UTF-8) as an `'error'` event, which
 * stops the process when nobody listens. So:
 * - `refuseUpgrade` answers a refused upgrade itself: it writes the 101 handshake and a close frame
 *   with the code (browsers see close codes, never the HTTP status of a failed upgrade), half-closes,
 *   and discards whatever the peer sends unparsed until it closes, for at most REFUSE_GRACE_MS
 *   (reading stops after REFUSED_MAX_BYTES). `ws` never sees the socket.
 * - `closeWithoutReading` ends an accepted WebSocket: close frame, no more reading, socket destroyed
 *   after the grace period if the peer has not closed by then.
 * Both leave an `'error'` listener on the socket: a reset peer is not an error of the server's.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** How long a refused peer gets to read the close frame before its socket is destroyed (ms). */
export const REFUSE_GRACE_MS = 1000;
/** Bytes a refused peer may still send (discarded unread) before its socket is destroyed. */
export const REFUSED_MAX_BYTES = 64 * 1024;
/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A Sec-WebSocket-Key is the base64 of 16 bytes. */
const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;
/** Close reasons are limited to 123 bytes of UTF-8 (a control frame carries at most 125). */
const MAX_REASON_BYTES = 123;

const noop = () => {};

/** Truncate to at most `bytes` bytes of UTF-8, ending in "..." when cut. */
export function truncateUtf8(s: string, bytes: number): string {
  const b = Buffer.from(s);
  return b.length <= bytes ? s : `${b.subarray(0, bytes - 3).toString('utf8').replace(/\uFFFD$/, '')}...`;
}

/** A close frame (server to client: unmasked) with a code and a reason. */
export function closeFrame(code: number, reason: string): Buffer {
  const text = Buffer.from(truncateUtf8(reason, MAX_REASON_BYTES));
  const frame = Buffer.alloc(4 + text.length);
  frame[0] = 0x88; // FIN, opcode 8 (close)
  frame[1] = 2 + text.length;
  frame.writeUInt16BE(code, 2);
  text.copy(frame, 4);
  return frame;
}

/**
 * Destroy the socket once the peer has closed, or after the grace period; past REFUSED_MAX_BYTES stop
 * reading instead (TCP flow control then holds the peer back at no cost to us). Destroying at once
 * would reset a connection whose peer has not yet read the close frame: a browser that sends in
 * `onopen` would see 1006 instead of the refusal's code.
 */
function discardUntilGone(socket: Duplex): void {
  let seen = 0;
  const timer = setTimeout(() => socket.destroy(), REFUSE_GRACE_MS);
  timer.unref();
  socket.on('close', () => clearTimeout(timer));
  socket.on('end', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > REFUSED_MAX_BYTES) socket.pause();
  });
}

/**
 * Refuse an upgrade with a WebSocket close code: 101, then a close frame, then nothing is read.
 * A request that is not a valid WebSocket upgrade gets HTTP 400 instead.
 */
export function refuseUpgrade(req: IncomingMessage, socket: Duplex, code: number, reason: string): void {
  socket.on('error', noop);
  const key = req.headers['sec-websocket-key'];
  const valid = req.method === 'GET' && req.headers['sec-websocket-version'] === '13' && typeof key === 'string' && KEY_PATTERN.test(key.trim());
  if (!valid) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  } else {
    const accept = createHash('sha1').update(`${key.trim()}${WS_GUID}`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.end(closeFrame(code, reason));
  }
  discardUntilGone(socket);
}

/**
 * Close an accepted WebSocket with a code and stop reading it: frames the peer sends afterwards are
 * never parsed. Its socket is destroyed after REFUSE_GRACE_MS unless the peer has closed by then.
 */
export function closeWithoutReading(ws: WebSocket, code: number, reason: string): void {
  ws.on('error', noop);
  if (ws.readyState === ws.CLOSED) return;
  if (ws.readyState === ws.OPEN) ws.close(code, truncateUtf8(reason, MAX_REASON_BYTES));
  ws.pause();
  setTimeout(() => ws.terminate(), REFUSE_GRACE_MS).unref();
}
