/**
 * Hand-made WebSocket traffic for the hostile suite: raw upgrades (with or without a token, any
 * Origin or Host) on a plain TCP socket, and frames `ws` would never send (unmasked, bad opcodes,
 * RSV bits, invalid UTF-8, lengths over the limit). Plus a sender that pushes ingest frames as fast
 * as the socket takes them until a deadline.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { IngestClient } from '../../src/server/client.js';
import type { StreamId } from '../../src/server/protocol.js';

export const REF: StreamId = { kind: 'ref', speaker: 0 };
export const DEG: StreamId = { kind: 'deg', speaker: 0 };

export interface RawUpgrade {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Close code of the first close frame received, once there is one. */
  closeCode(): number | undefined;
  /** The close code once a close frame arrived, or undefined if the socket ended or `ms` passed first. */
  closeCodeWithin(ms: number): Promise<number | undefined>;
}

/** Upgrade `path` on a raw socket; resolves once the response head arrived (or the socket ended). */
export function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<RawUpgrade> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let done = false;
    let ended = false;
    const closeCode = (): number | undefined => {
      const head = data.indexOf('\r\n\r\n');
      if (head < 0) return undefined;
      const f = data.subarray(head + 4);
      return f.length >= 4 && f[0] === 0x88 ? f.readUInt16BE(2) : undefined;
    };
    const result: RawUpgrade = {
      socket,
      received: () => data,
      closeCode,
      // The close frame may follow the response head by more than a moment on a loaded machine.
      closeCodeWithin: (ms) =>
        new Promise((ok) => {
          const t0 = Date.now();
          const poll = () => {
            const c = closeCode();
            if (c !== undefined || ended || Date.now() - t0 >= ms) ok(c);
            else setTimeout(poll, 5);
          };
          poll();
        }),
    };
    socket.on('close', () => (ended = true));
    const finish = () => {
      if (!done) {
        done = true;
        resolve(result);
      }
    };
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('data', (d) => {
      data = Buffer.concat([data, d]);
      if (data.includes('\r\n\r\n')) setTimeout(finish, 20);
    });
    const h = { Host: `127.0.0.1:${port}`, ...headers };
    socket.write(
      `GET ${path} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}` +
        `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

/** A frame header (client to server) announcing `length` bytes; masked unless told otherwise. */
export function frameHeader(opcode: number, length: number, o: { mask?: boolean; rsv?: number; fin?: boolean } = {}): Buffer {
  const mask = o.mask ?? true;
  const ext = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const h = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  h[0] = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode;
  h[1] = (mask ? 0x80 : 0) | (ext === 0 ? length : ext === 2 ? 126 : 127);
  if (ext === 2) h.writeUInt16BE(length, 2);
  if (ext === 8) h.writeBigUInt64BE(BigInt(length), 2);
  if (mask) randomBytes(4).copy(h, 2 + ext);
  return h;
}

/** A whole masked frame (mask of zeros, so the payload goes as it is). */
export function frame(opcode: number, payload: Buffer, o: { mask?: boolean; rsv?: number } = {}): Buffer {
  const h = frameHeader(opcode, payload.length, o);
  if (o.mask ?? true) h.fill(0, h.length - 4);
  return Buffer.concat([h, payload]);
}

/** Every kind of frame `ws` refuses with an error: what crashed the server when nobody listened. */
export function badFrames(): Buffer[] {
  return [
    Buffer.concat([frameHeader(0x2, 2 * 1024 * 1024), randomBytes(1024)]), // over maxPayload
    frame(0x2, randomBytes(64), { mask: false }), // unmasked
    frame(0x3, randomBytes(8)), // reserved opcode
    frame(0x1, Buffer.from('hello'), { rsv: 0x4 }), // RSV1 without an extension
    frame(0x1, Buffer.from([0xff, 0xfe, 0xc3])), // invalid UTF-8 text
    frame(0x9, randomBytes(200)), // control frame over 125 bytes
  ];
}

/** Send `frames` as fast as the socket takes them (waiting while more than 1 MiB is queued) until `untilMs`. */
export async function flood(ws: WebSocket, frames: Iterable<Uint8Array>, untilMs: number): Promise<number> {
  let n = 0;
  for (const f of frames) {
    if (ws.readyState !== WebSocket.OPEN || performance.now() > untilMs) break;
    ws.send(f);
    n++;
    while (ws.bufferedAmount > 1 << 20 && ws.readyState === WebSocket.OPEN && performance.now() < untilMs) await new Promise((r) => setTimeout(r, 2));
  }
  return n;
}

/** An ingest connection with one open session of ref and deg. */
export async function ingestSession(wsUrl: string, token: string | undefined, name: string, sampleRate = 16000, streams: StreamId[] = [REF, DEG]): Promise<{ client: IngestClient; handle: number }> {
  const client = await IngestClient.connect(wsUrl, { token });
  const { handle } = await client.open({ name, sampleRate, streams });
  return { client, handle };
}

/** A session pushed and closed normally on its own connection gets its summary. */
export async function sessionStillWorks(s: { wsUrl: string; token: string | undefined }, name: string): Promise<void> {
  const fs = 16000;
  const { client, handle } = await ingestSession(s.wsUrl, s.token, name, fs);
  const x = Float64Array.from({ length: fs }, (_, i) => 0.3 * Math.sin(0.05 * i) * Math.sin(0.001 * i));
  for (let t0 = 0; t0 < fs; t0 += 320) {
    client.sendAudio(handle, REF, fs, t0, x.subarray(t0, t0 + 320), 'int16');
    client.sendAudio(handle, DEG, fs, t0, x.subarray(t0, t0 + 320), 'int16');
  }
  const closed = await client.close(handle);
  expect(closed.summaries).toHaveLength(1);
  expect(closed.summaries[0]).toMatchObject({ type: 'summary', session: name });
  client.end();
}
