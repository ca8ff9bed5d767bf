/**
 * A seeded fuzzer of the ingest protocol against a real server (its own process): a few thousand
 * frames, most of them plausible (OPEN, AUDIO of the open sessions, CLOSE, with realistic fields) and
 * some mutated (bytes flipped, fields set to edge values, truncated, extended, NaN samples, random
 * bytes, text instead of binary), plus some WebSocket frames `ws` itself refuses. A connection the
 * server closes is replaced by a new one. Afterwards the server must be alive, have answered /healthz
 * within 1 s throughout, never have hit an internal error, have used only documented close codes, and
 * still serve a well-behaved session.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { encodeAudio, encodeClose, encodeOpen, HEADER_BYTES, type StreamId } from '../../src/server/protocol.js';
import { seededRandom } from '../helpers/corpus.js';
import { expectSurvived, startHostileServer, TOKEN, underAttack } from './harness.js';
import { badFrames, rawUpgrade, sessionStillWorks } from './wire.js';

const SEED = 12;
const FRAMES = 3000;
/** Share of frames that are mutated after being built plausibly. */
const MUTATE = 0.15;
/** Close codes of docs/server.md (and 1005/1006: closed without a code, or the socket cut). */
const DOCUMENTED = new Set([1000, 1001, 1005, 1006, 1009, 4400, 4401, 4403, 4408, 4409, 4426, 4429, 4500]);
const RATES = [8000, 16000, 44100, 48000];

describe('ingest protocol fuzzer (issue 12)', () => {
  it(`fuzz: ${FRAMES} seeded mutated frames (seed ${SEED}) never stop or wedge the server`, async () => {
    const server = await startHostileServer();
    const s = server;
    const rnd = seededRandom(SEED);
    const int = (n: number) => Math.floor(rnd() * n);
    const pick = <T>(xs: readonly T[]) => xs[int(xs.length)];
    try {
      const r = await underAttack(s, async () => {
        const codes = new Map<number, number>();
        const pending: Promise<void>[] = [];
        let sent = 0;
        let connections = 0;
        while (sent < FRAMES) {
          if (rnd() < 0.03) {
            // A WebSocket frame ws refuses, on an accepted connection.
            const u = await rawUpgrade(s.port, `/ingest?token=${TOKEN}`);
            u.socket.write(pick(badFrames()));
            await new Promise((ok) => setTimeout(ok, 5));
            u.socket.destroy();
            sent++;
            continue;
          }
          connections++;
          const ws = new WebSocket(`${s.wsUrl}/ingest?token=${TOKEN}`, { perMessageDeflate: false });
          ws.on('error', () => {});
          const closed = new Promise<number>((ok) => ws.once('close', (code) => ok(code)));
          await new Promise((ok) => {
            ws.once('open', ok);
            ws.once('close', ok);
          });
          // Sessions this connection opened (handle → rate, streams, next seq/t0 per stream).
          const open = new Map<number, { rate: number; streams: StreamId[]; seq: number[]; t0: number[] }>();
          for (let k = 0; k < 40 && sent < FRAMES && ws.readyState === WebSocket.OPEN; k++, sent++) {
            let bytes = plausible();
            if (rnd() < MUTATE) bytes = mutate(bytes);
            if (rnd() < 0.01) ws.send(Buffer.from(bytes).toString('latin1'));
            else ws.send(bytes);
            if (k % 8 === 7) await new Promise((ok) => setTimeout(ok, 1));
          }
          // Still open after its frames (the server may be holding it back at its rate budget): cut it.
          // A refused one closes once the server drops the socket (up to 1 s later): collected at the end.
          if (ws.readyState === WebSocket.OPEN) ws.terminate();
          else pending.push(closed.then((code) => void codes.set(code, (codes.get(code) ?? 0) + 1)));

          function plausible(): Uint8Array {
            const x = rnd();
            if (open.size === 0 || x < 0.08) {
              const handle = open.size < 3 ? int(4) : pick([...open.keys()]);
              const speakers = rnd() < 0.8 ? 1 : 2;
              const streams: StreamId[] = [];
              for (let sp = 0; sp < speakers; sp++) streams.push({ kind: 'ref', speaker: sp }, { kind: 'deg', speaker: sp });
              if (speakers === 1 && rnd() < 0.3) streams.push({ kind: 'noisy', speaker: 0 });
              const rate = pick(RATES);
              open.set(handle, { rate, streams, seq: streams.map(() => 0), t0: streams.map(() => 0) });
              return encodeOpen({ handle, sampleRate: rate, name: rnd() < 0.5 ? '' : `fz-${int(50)}`, streams });
            }
            const handle = pick([...open.keys()]);
            if (x > 0.97) {
              open.delete(handle);
              return encodeClose(handle);
            }
            const o = open.get(handle)!;
            const i = int(o.streams.length);
            const n = pick([0, 1, 7, 160, 320, 441, 960]);
            const samples = Float64Array.from({ length: n }, () => rnd() * 2 - 1);
            // Mostly in order; sometimes a jump, a repeat, or a step back.
            const seq = rnd() < 0.9 ? o.seq[i]++ : int(1 << 20);
            const t0 = rnd() < 0.9 ? o.t0[i] : Math.max(0, o.t0[i] + int(4 * o.rate) - 2 * o.rate);
            o.t0[i] = t0 + n;
            return encodeAudio({ handle, stream: o.streams[i], sampleRate: o.rate, seq, t0, samples, encoding: rnd() < 0.5 ? 'int16' : 'float32' });
          }
        }
        await Promise.all(pending);
        return { sent, connections, codes: Object.fromEntries(codes) };

        function mutate(b: Uint8Array): Uint8Array {
          const out = Uint8Array.from(b);
          const view = new DataView(out.buffer);
          switch (int(9)) {
            case 0: // flip a few bytes
              for (let k = 0; k < 1 + int(4); k++) out[int(out.length)] ^= 1 << int(8);
              return out;
            case 1: // one header field to an edge value
              if (out.length < HEADER_BYTES) return out;
              switch (int(7)) {
                case 0:
                  out[3] = pick([0, 4, 255]);
                  break;
                case 1:
                  out[2] = pick([0, 2, 255]);
                  break;
                case 2:
                  out[6] = pick([0x08, 0x18, 0x21, 0x30, 0xff]);
                  break;
                case 3:
                  out[7] = pick([0, 3, 255]);
                  break;
                case 4:
                  view.setUint32(8, pick([0, 7999, 48001, 0xffffffff]), true);
                  break;
                case 5:
                  view.setUint32(12, pick([0, 0xffffffff, int(2 ** 32)]), true);
                  break;
                default:
                  view.setBigUint64(16, pick([2n ** 53n, 2n ** 64n - 1n, BigInt(int(2 ** 40))]), true);
              }
              return out;
            case 2: // truncated
              return out.subarray(0, int(out.length));
            case 3: // extended
              return Uint8Array.from([...out, ...Array.from({ length: 1 + int(5) }, () => int(256))]);
            case 4: // NaN and Inf samples
              if (out.length >= HEADER_BYTES + 8) {
                out[7] = 2;
                view.setFloat32(HEADER_BYTES, pick([NaN, Infinity, -Infinity]), true);
              }
              return out;
            case 5: // random bytes
              return Uint8Array.from({ length: int(200) }, () => int(256));
            case 6: // empty message
              return new Uint8Array(0);
            case 7: // a huge announced OPEN name / stream count
              if (out.length > HEADER_BYTES + 1) out[HEADER_BYTES] = 255;
              return out;
            default: // another handle
              if (out.length >= HEADER_BYTES) view.setUint16(4, int(65536), true);
              return out;
          }
        }
      });
      expectSurvived(s, r);
      expect(r.result.sent).toBeGreaterThanOrEqual(FRAMES);
      for (const code of Object.keys(r.result.codes)) expect(DOCUMENTED, `close code ${code}`).toContain(Number(code));
      const text = await (await fetch(`${s.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
      expect(text).not.toMatch(/earshot_refused_total\{reason="internal-error"\}/);
      if (process.env.HOSTILE_REPORT) console.log(`[hostile] fuzz: ${JSON.stringify(r.result)}`);
      await sessionStillWorks(s, 'after-fuzz');
    } finally {
      await server.stop();
    }
  });
});
