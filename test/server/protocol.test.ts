import { describe, expect, it } from 'vitest';
import {
  CLOSE_CODES,
  decodeFrame,
  encodeAudio,
  encodeClose,
  encodeOpen,
  HEADER_BYTES,
  parseStreamName,
  streamName,
  type AudioFrame,
  type OpenFrame,
} from '../../src/server/protocol.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').replace(/(..)/g, '$1 ').trim();

describe('worked example of docs/protocol.md', () => {
  it('OPEN "call-42" at 16 kHz with ref and deg', () => {
    const bytes = encodeOpen({ handle: 1, sampleRate: 16000, name: 'call-42', streams: [parseStreamName('ref')!, parseStreamName('deg')!] });
    expect(hex(bytes)).toBe(
      '45 53 01 01 01 00 00 00 80 3e 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ' + '07 63 61 6c 6c 2d 34 32 02 00 10',
    );
  });

  it('AUDIO: deg, int16, seq 5, t0 1600, four samples', () => {
    const bytes = encodeAudio({ handle: 1, stream: { kind: 'deg', speaker: 0 }, sampleRate: 16000, seq: 5, t0: 1600, samples: [0, 0.5, -0.25, -1], encoding: 'int16' });
    expect(hex(bytes)).toBe('45 53 01 02 01 00 10 01 80 3e 00 00 05 00 00 00 40 06 00 00 00 00 00 00 ' + '00 00 00 40 00 e0 00 80');
  });

  it('CLOSE', () => {
    expect(hex(encodeClose(1))).toBe('45 53 01 03 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00');
  });
});

describe('encode/decode round trip', () => {
  it('OPEN keeps handle, rate, name and streams (several speakers)', () => {
    const streams = ['ref0', 'ref1', 'deg0', 'deg1'].map((n) => parseStreamName(n)!);
    const r = decodeFrame(encodeOpen({ handle: 65535, sampleRate: 48000, name: 'sep.a_b-1', streams }));
    expect(r.ok).toBe(true);
    const f = (r as { frame: OpenFrame }).frame;
    expect(f).toEqual({ type: 'open', handle: 65535, sampleRate: 48000, name: 'sep.a_b-1', streams });
    expect(f.streams.map(streamName)).toEqual(['ref', 'ref1', 'deg', 'deg1']);
  });

  it('int16 is exact for 16-bit values and clips out-of-range ones', () => {
    const x = [0, 1 / 32768, -1, 32767 / 32768, 1.5, -2, 0.3];
    const r = decodeFrame(encodeAudio({ handle: 2, stream: { kind: 'noisy', speaker: 0 }, sampleRate: 8000, seq: 7, t0: 2 ** 40, samples: x, encoding: 'int16' }));
    const f = (r as { frame: AudioFrame }).frame;
    expect(f.t0).toBe(2 ** 40);
    expect(f.seq).toBe(7);
    expect(f.encoding).toBe('int16');
    expect([...f.samples]).toEqual([0, 1 / 32768, -1, 32767 / 32768, 32767 / 32768, -1, Math.round(0.3 * 32768) / 32768]);
  });

  it('float32 keeps float32 values exactly', () => {
    const x = Float32Array.from([0.1, -0.7, 1e-8, 0.999]);
    const r = decodeFrame(encodeAudio({ handle: 1, stream: { kind: 'ref', speaker: 3 }, sampleRate: 44100, seq: 0, t0: 0, samples: x, encoding: 'float32' }));
    const f = (r as { frame: AudioFrame }).frame;
    expect(f.stream).toEqual({ kind: 'ref', speaker: 3 });
    expect([...f.samples]).toEqual([...x]);
  });

  it('decodes from a Buffer at an odd offset inside a larger allocation', () => {
    const frame = encodeAudio({ handle: 1, stream: { kind: 'deg', speaker: 0 }, sampleRate: 16000, seq: 1, t0: 3, samples: [0.25, -0.5], encoding: 'float32' });
    const pool = new Uint8Array(frame.length + 3);
    pool.set(frame, 1);
    const r = decodeFrame(pool.subarray(1, 1 + frame.length));
    expect([...(r as { frame: AudioFrame }).frame.samples]).toEqual([0.25, -0.5]);
  });

  it('stream names parse and print', () => {
    expect(parseStreamName('ref0')).toEqual({ kind: 'ref', speaker: 0 });
    expect(parseStreamName('deg7')).toEqual({ kind: 'deg', speaker: 7 });
    expect(parseStreamName('noisy1')).toBeUndefined();
    expect(parseStreamName('deg8')).toBeUndefined();
    expect(parseStreamName('mic')).toBeUndefined();
  });
});

describe('malformed frames are refused with a close code, never thrown', () => {
  const good = encodeAudio({ handle: 1, stream: { kind: 'deg', speaker: 0 }, sampleRate: 16000, seq: 0, t0: 0, samples: [0.1, 0.2], encoding: 'int16' });
  const patched = (i: number, v: number, from = good) => {
    const b = Uint8Array.from(from);
    b[i] = v;
    return b;
  };
  const cases: [string, Uint8Array, number, RegExp][] = [
    ['short header', good.subarray(0, HEADER_BYTES - 1), CLOSE_CODES.badFrame, /too short/],
    ['bad magic', patched(0, 0x46), CLOSE_CODES.badFrame, /bad magic/],
    ['version 2', patched(2, 2), CLOSE_CODES.badVersion, /version 2/],
    ['unknown type', patched(3, 9), CLOSE_CODES.badFrame, /unknown message type 9/],
    ['unknown stream kind', patched(6, 0x30), CLOSE_CODES.badFrame, /unknown stream id 0x30/],
    ['speaker 8', patched(6, 0x18), CLOSE_CODES.badFrame, /unknown stream id/],
    ['unknown encoding', patched(7, 3), CLOSE_CODES.badFrame, /unknown sample encoding 3/],
    ['half a sample', good.subarray(0, good.length - 1), CLOSE_CODES.badFrame, /not a whole number/],
    ['t0 beyond 2^53', patched(23, 0x01), CLOSE_CODES.badFrame, /exceeds 2\^53/],
    ['CLOSE with payload', Uint8Array.from([...encodeClose(1), 0]), CLOSE_CODES.badFrame, /no payload/],
  ];
  for (const [name, bytes, code, message] of cases) {
    it(name, () => {
      const r = decodeFrame(bytes);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.code).toBe(code);
        expect(r.message).toMatch(message);
      }
    });
  }

  it('NaN in a float32 payload', () => {
    const r = decodeFrame(encodeAudio({ handle: 1, stream: { kind: 'ref', speaker: 0 }, sampleRate: 16000, seq: 4, t0: 0, samples: [0, NaN], encoding: 'float32' }));
    expect(r).toMatchObject({ ok: false, code: CLOSE_CODES.badFrame, message: expect.stringMatching(/non-finite sample at index 1/) });
  });

  const open = encodeOpen({ handle: 1, sampleRate: 16000, name: 'ab', streams: [{ kind: 'ref', speaker: 0 }, { kind: 'deg', speaker: 0 }] });
  it('OPEN at 4 kHz', () => {
    const b = Uint8Array.from(open);
    new DataView(b.buffer).setUint32(8, 4000, true);
    expect(decodeFrame(b)).toMatchObject({ ok: false, message: expect.stringMatching(/sample rate must be 8000..48000 Hz, got 4000/) });
  });
  it('OPEN with a name that is not allowed', () => {
    const b = Uint8Array.from(open);
    b[HEADER_BYTES + 1] = '/'.charCodeAt(0);
    expect(decodeFrame(b)).toMatchObject({ ok: false, message: expect.stringMatching(/session name must match/) });
  });
  it('OPEN with a stream declared twice', () => {
    const b = patched(open.length - 1, 0x00, open);
    expect(decodeFrame(b)).toMatchObject({ ok: false, message: expect.stringMatching(/declared twice/) });
  });
  it('OPEN with a truncated stream list', () => {
    expect(decodeFrame(open.subarray(0, open.length - 1))).toMatchObject({ ok: false, message: expect.stringMatching(/OPEN payload length/) });
  });
  it('OPEN with zero streams', () => {
    const b = Uint8Array.from([...open.subarray(0, HEADER_BYTES + 3), 0]);
    expect(decodeFrame(b)).toMatchObject({ ok: false, message: expect.stringMatching(/stream count must be 1..17, got 0/) });
  });
  it('random bytes never throw', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let k = 0; k < 2000; k++) {
      const b = Uint8Array.from({ length: 20 + (k % 40) }, rnd);
      if (k % 2 === 0) b.set([0x45, 0x53, 1], 0);
      expect(() => decodeFrame(b)).not.toThrow();
    }
  });
});
