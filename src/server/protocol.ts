/**
 * Ingest wire format, version 1: small binary frames over a WebSocket (one frame per WebSocket
 * message), all integers little-endian. `docs/protocol.md` has the prose and a worked byte-level
 * example; this file is the one implementation of encode and decode used by the server and by
 * `earshot push`.
 *
 * Header (24 bytes):
 *
 * | offset | size | field                                                                     |
 * |-------:|-----:|---------------------------------------------------------------------------|
 * | 0      | 2    | magic: the bytes 0x45 0x53 ("ES")                                          |
 * | 2      | 1    | protocol version (1)                                                      |
 * | 3      | 1    | message type: 1 OPEN, 2 AUDIO, 3 CLOSE                                    |
 * | 4      | 2    | session handle (u16, chosen by the client, unique within its connection) |
 * | 6      | 1    | stream id: kind << 4 | speaker (kind 0 ref, 1 deg, 2 noisy); 0 otherwise  |
 * | 7      | 1    | sample encoding: 1 int16, 2 float32; 0 in OPEN and CLOSE                  |
 * | 8      | 4    | sample rate in Hz (u32)                                                   |
 * | 12     | 4    | sequence number (u32, per stream, +1 per AUDIO frame, from 0)             |
 * | 16     | 8    | t0: index of the payload's first sample in its stream (u64, < 2^53)       |
 * | 24     | …    | payload                                                                   |
 *
 * OPEN payload: u8 name length L (0..64), L bytes of UTF-8 session name (empty: the server picks
 * one), u8 stream count S (1..17), S stream ids. CLOSE has no payload. AUDIO payload: samples of the
 * header's encoding (int16 on the 1/32768 scale, or float32 in [-1, 1)).
 *
 * Hot path rule: `decodeFrame` never throws on bad input; it returns `{ ok: false, code, message }`
 * with the close code the server answers with.
 */

/** The bytes "ES". */
export const MAGIC_0 = 0x45;
export const MAGIC_1 = 0x53;
export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 24;

export const MSG_OPEN = 1;
export const MSG_AUDIO = 2;
export const MSG_CLOSE = 3;

export const ENC_INT16 = 1;
export const ENC_FLOAT32 = 2;
export type SampleEncoding = 'int16' | 'float32';

export const STREAM_KIND_REF = 0;
export const STREAM_KIND_DEG = 1;
export const STREAM_KIND_NOISY = 2;
/** Speakers 0..MAX_SPEAKERS-1 (the low nibble of a stream id). */
export const MAX_SPEAKERS = 8;
/** ref0..7, deg0..7 and one noisy. */
export const MAX_STREAMS = 2 * MAX_SPEAKERS + 1;
export const MAX_SESSION_NAME_BYTES = 64;
/** Sample rates the metrics support (same limits as WAV input). */
export const MIN_RATE_HZ = 8000;
export const MAX_RATE_HZ = 48000;
/** Session names: safe in URLs, file names and Prometheus labels. */
export const SESSION_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Close codes (the server closes the connection with these; docs/server.md lists them all). */
export const CLOSE_CODES = {
  /** Server shutting down (standard). */
  goingAway: 1001,
  /** Message larger than the limit (standard; ws enforces it). */
  tooLarge: 1009,
  /** Malformed frame or message: bad magic, short header, unknown type/stream/encoding, ... */
  badFrame: 4400,
  /** Token missing or wrong. */
  unauthorized: 4401,
  /** Origin header not allowed, or a non-loopback Host header on a loopback server (DNS rebinding). */
  forbiddenOrigin: 4403,
  /** Client too slow: a feed client's backlog passed the hard limit, or an ingest client left its replies unread. */
  slowConsumer: 4408,
  /** Session name already in use by a live session. */
  sessionExists: 4409,
  /** Protocol version not supported. */
  badVersion: 4426,
  /** Too many sessions, connections or feed clients, or a client over a budget the server cannot pause it under. */
  tooMany: 4429,
  /** The session's engine failed. */
  internal: 4500,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

export interface StreamId {
  kind: 'ref' | 'deg' | 'noisy';
  speaker: number;
}

export interface OpenFrame {
  type: 'open';
  handle: number;
  sampleRate: number;
  /** Empty: the server picks a name. */
  name: string;
  streams: StreamId[];
}

export interface AudioFrame {
  type: 'audio';
  handle: number;
  stream: StreamId;
  encoding: SampleEncoding;
  sampleRate: number;
  seq: number;
  t0: number;
  /** Samples converted to float64 on the [-1, 1) scale. */
  samples: Float64Array;
}

export interface CloseFrame {
  type: 'close';
  handle: number;
}

export type Frame = OpenFrame | AudioFrame | CloseFrame;
export type DecodeResult = { ok: true; frame: Frame } | { ok: false; code: CloseCode; message: string };

const KINDS = ['ref', 'deg', 'noisy'] as const;

/** "ref", "deg", "noisy" for speaker 0, "ref1", "deg1", ... for the others. */
export function streamName(s: StreamId): string {
  return s.speaker === 0 ? s.kind : `${s.kind}${s.speaker}`;
}

/** Parse "ref", "ref0", "deg1", "noisy"; undefined when the name is not a stream. */
export function parseStreamName(name: string): StreamId | undefined {
  const m = /^(ref|deg|noisy)([0-7])?$/.exec(name);
  if (!m) return undefined;
  const speaker = m[2] === undefined ? 0 : Number(m[2]);
  if (m[1] === 'noisy' && speaker !== 0) return undefined;
  return { kind: m[1] as StreamId['kind'], speaker };
}

export function streamIdByte(s: StreamId): number {
  return (KINDS.indexOf(s.kind) << 4) | s.speaker;
}

function streamFromByte(b: number): StreamId | undefined {
  const kind = KINDS[b >> 4];
  const speaker = b & 0x0f;
  if (kind === undefined || speaker >= MAX_SPEAKERS || (kind === 'noisy' && speaker !== 0)) return undefined;
  return { kind, speaker };
}

function fail(code: CloseCode, message: string): DecodeResult {
  return { ok: false, code, message };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Decode one WebSocket message. Never throws: bad input gives `{ ok: false }` and a close code. */
export function decodeFrame(bytes: Uint8Array): DecodeResult {
  if (bytes.length < HEADER_BYTES) return fail(CLOSE_CODES.badFrame, `frame too short: expected at least ${HEADER_BYTES} header bytes, got ${bytes.length}`);
  if (bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) {
    return fail(CLOSE_CODES.badFrame, `bad magic: expected 45 53 ("ES"), got ${hex(bytes[0])} ${hex(bytes[1])}`);
  }
  if (bytes[2] !== PROTOCOL_VERSION) return fail(CLOSE_CODES.badVersion, `unsupported protocol version ${bytes[2]}; this server speaks version ${PROTOCOL_VERSION}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = bytes[3];
  const handle = view.getUint16(4, true);
  const sampleRate = view.getUint32(8, true);
  const seq = view.getUint32(12, true);
  const t0 = view.getBigUint64(16, true);
  const payload = bytes.subarray(HEADER_BYTES);

  if (type === MSG_CLOSE) {
    if (payload.length !== 0) return fail(CLOSE_CODES.badFrame, `CLOSE carries no payload, got ${payload.length} bytes`);
    return { ok: true, frame: { type: 'close', handle } };
  }
  if (type === MSG_OPEN) {
    if (!(sampleRate >= MIN_RATE_HZ && sampleRate <= MAX_RATE_HZ)) {
      return fail(CLOSE_CODES.badFrame, `sample rate must be ${MIN_RATE_HZ}..${MAX_RATE_HZ} Hz, got ${sampleRate}`);
    }
    if (payload.length < 2) return fail(CLOSE_CODES.badFrame, 'OPEN payload too short');
    const nameLength = payload[0];
    if (nameLength > MAX_SESSION_NAME_BYTES) return fail(CLOSE_CODES.badFrame, `session name too long: at most ${MAX_SESSION_NAME_BYTES} bytes, got ${nameLength}`);
    if (payload.length < 2 + nameLength) return fail(CLOSE_CODES.badFrame, 'OPEN payload truncated in the session name');
    let name: string;
    try {
      name = utf8.decode(payload.subarray(1, 1 + nameLength));
    } catch {
      return fail(CLOSE_CODES.badFrame, 'session name is not valid UTF-8');
    }
    if (name !== '' && !SESSION_NAME_PATTERN.test(name)) {
      return fail(CLOSE_CODES.badFrame, `session name must match ${SESSION_NAME_PATTERN.source}, got "${name}"`);
    }
    const count = payload[1 + nameLength];
    if (count < 1 || count > MAX_STREAMS) return fail(CLOSE_CODES.badFrame, `stream count must be 1..${MAX_STREAMS}, got ${count}`);
    if (payload.length !== 2 + nameLength + count) {
      return fail(CLOSE_CODES.badFrame, `OPEN payload length: expected ${2 + nameLength + count} bytes, got ${payload.length}`);
    }
    const streams: StreamId[] = [];
    const seen = new Set<number>();
    for (let i = 0; i < count; i++) {
      const b = payload[2 + nameLength + i];
      const s = streamFromByte(b);
      if (!s) return fail(CLOSE_CODES.badFrame, `unknown stream id 0x${hex(b)}`);
      if (seen.has(b)) return fail(CLOSE_CODES.badFrame, `stream ${streamName(s)} declared twice`);
      seen.add(b);
      streams.push(s);
    }
    return { ok: true, frame: { type: 'open', handle, sampleRate, name, streams } };
  }
  if (type === MSG_AUDIO) {
    const stream = streamFromByte(bytes[6]);
    if (!stream) return fail(CLOSE_CODES.badFrame, `unknown stream id 0x${hex(bytes[6])}`);
    const enc = bytes[7];
    if (enc !== ENC_INT16 && enc !== ENC_FLOAT32) return fail(CLOSE_CODES.badFrame, `unknown sample encoding ${enc}; expected 1 (int16) or 2 (float32)`);
    const width = enc === ENC_INT16 ? 2 : 4;
    if (payload.length % width !== 0) {
      return fail(CLOSE_CODES.badFrame, `AUDIO payload of ${payload.length} bytes is not a whole number of ${width}-byte samples`);
    }
    if (t0 > BigInt(Number.MAX_SAFE_INTEGER)) return fail(CLOSE_CODES.badFrame, `t0 ${t0} exceeds 2^53 - 1`);
    const n = payload.length / width;
    const samples = new Float64Array(n);
    if (enc === ENC_INT16) {
      for (let i = 0, o = HEADER_BYTES; i < n; i++, o += 2) samples[i] = view.getInt16(o, true) / 32768;
    } else {
      for (let i = 0, o = HEADER_BYTES; i < n; i++, o += 4) {
        const x = view.getFloat32(o, true);
        // Non-finite samples would poison every running sum downstream.
        if (!Number.isFinite(x)) return fail(CLOSE_CODES.badFrame, `non-finite sample at index ${i} of stream ${streamName(stream)}, seq ${seq}`);
        samples[i] = x;
      }
    }
    return {
      ok: true,
      frame: { type: 'audio', handle, stream, encoding: enc === ENC_INT16 ? 'int16' : 'float32', sampleRate, seq, t0: Number(t0), samples },
    };
  }
  return fail(CLOSE_CODES.badFrame, `unknown message type ${type}; expected 1 (OPEN), 2 (AUDIO) or 3 (CLOSE)`);
}

function writeHeader(view: DataView, type: number, handle: number, streamByte: number, enc: number, sampleRate: number, seq: number, t0: number): void {
  view.setUint8(0, MAGIC_0);
  view.setUint8(1, MAGIC_1);
  view.setUint8(2, PROTOCOL_VERSION);
  view.setUint8(3, type);
  view.setUint16(4, handle, true);
  view.setUint8(6, streamByte);
  view.setUint8(7, enc);
  view.setUint32(8, sampleRate, true);
  view.setUint32(12, seq >>> 0, true);
  view.setBigUint64(16, BigInt(t0), true);
}

/** OPEN frame. Throws on a name or stream list the server would refuse (this runs when configuring). */
export function encodeOpen(o: { handle: number; sampleRate: number; name: string; streams: StreamId[] }): Uint8Array {
  const name = utf8Encoder.encode(o.name);
  if (name.length > MAX_SESSION_NAME_BYTES || (o.name !== '' && !SESSION_NAME_PATTERN.test(o.name))) {
    throw new RangeError(`session name must match ${SESSION_NAME_PATTERN.source}, got "${o.name}"`);
  }
  if (o.streams.length < 1 || o.streams.length > MAX_STREAMS) throw new RangeError(`expected 1..${MAX_STREAMS} streams, got ${o.streams.length}`);
  const bytes = new Uint8Array(HEADER_BYTES + 2 + name.length + o.streams.length);
  const view = new DataView(bytes.buffer);
  writeHeader(view, MSG_OPEN, o.handle, 0, 0, o.sampleRate, 0, 0);
  bytes[HEADER_BYTES] = name.length;
  bytes.set(name, HEADER_BYTES + 1);
  bytes[HEADER_BYTES + 1 + name.length] = o.streams.length;
  o.streams.forEach((s, i) => (bytes[HEADER_BYTES + 2 + name.length + i] = streamIdByte(s)));
  return bytes;
}

/**
 * AUDIO frame from float samples on the [-1, 1) scale. int16 rounds x·32768 to the nearest integer
 * and clips to [-32768, 32767]: lossless for audio that came from 16-bit PCM.
 */
export function encodeAudio(o: {
  handle: number;
  stream: StreamId;
  sampleRate: number;
  seq: number;
  t0: number;
  samples: ArrayLike<number>;
  encoding: SampleEncoding;
}): Uint8Array {
  const n = o.samples.length;
  const width = o.encoding === 'int16' ? 2 : 4;
  const bytes = new Uint8Array(HEADER_BYTES + n * width);
  const view = new DataView(bytes.buffer);
  writeHeader(view, MSG_AUDIO, o.handle, streamIdByte(o.stream), o.encoding === 'int16' ? ENC_INT16 : ENC_FLOAT32, o.sampleRate, o.seq, o.t0);
  if (o.encoding === 'int16') {
    for (let i = 0, p = HEADER_BYTES; i < n; i++, p += 2) {
      const v = Math.round(o.samples[i] * 32768);
      view.setInt16(p, v > 32767 ? 32767 : v < -32768 ? -32768 : v, true);
    }
  } else {
    for (let i = 0, p = HEADER_BYTES; i < n; i++, p += 4) view.setFloat32(p, o.samples[i], true);
  }
  return bytes;
}

export function encodeClose(handle: number): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES);
  writeHeader(new DataView(bytes.buffer), MSG_CLOSE, handle, 0, 0, 0, 0, 0);
  return bytes;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** The server's JSON reply to an OPEN frame. */
export interface OpenedReply {
  type: 'opened';
  handle: number;
  session: string;
  sessions: string[];
  sampleRate: number;
  streams: string[];
}

/** The server's JSON reply to a CLOSE frame, with each engine session's final summary. */
export interface ClosedReply<Summary = unknown> {
  type: 'closed';
  handle: number;
  session: string;
  sessions: string[];
  summaries: Summary[];
}
