import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import * as batch from '../../src/stream/batch-reader.js';
import * as ring from '../../src/stream/ring-buffer.js';
import {
  CTL_INTS,
  CTL_STATE,
  CTL_ZERO_QUANTA,
  GAP_LOG_BYTE_OFFSET,
  RingReader,
  STATE_CLOSED,
  STATE_RUNNING,
  createRingLayout,
  type RingLayout,
} from '../../src/stream/ring-buffer.js';
import { defaultCaptureWorkletUrl } from '../../src/stream/web-audio-source.js';
import { createHostedCapture } from '../../src/stream/worklet-host.js';
import { seededRandom } from '../helpers/corpus.js';
import { RingWriter } from '../helpers/ring-writer.js';
import { sampleValue } from './sample-value.js';

const CANARY = -12345.5; // exact in Float32; no sampleValue is negative
const INT_CANARY = 0x5a5a5a5a;

/** A layout whose data buffer has `tail` canary cells after the ring's cells. */
function layoutWithCanaries(capacity: number, channels: number, tail = 16, gapCapacity = 8): RingLayout {
  const base = createRingLayout(capacity, channels, gapCapacity);
  const data = new SharedArrayBuffer((capacity * channels + tail) * 4);
  new Float32Array(data).fill(CANARY);
  const ctl = new Int32Array(base.control, 0, CTL_INTS);
  for (let s = CTL_ZERO_QUANTA + channels; s < CTL_INTS; s++) ctl[s] = INT_CANARY; // slots nobody may touch
  return { ...base, data };
}

function expectCanariesIntact(layout: RingLayout, tail = 16): void {
  const all = new Float32Array(layout.data);
  const used = layout.capacity * layout.channels;
  for (let i = used; i < used + tail; i++) expect(all[i]).toBe(CANARY);
  const ctl = new Int32Array(layout.control, 0, CTL_INTS);
  for (let s = CTL_ZERO_QUANTA + layout.channels; s < CTL_INTS; s++) expect(ctl[s]).toBe(INT_CANARY);
}

/** Planar chunk of `n` frames starting at stream index `start`. */
function chunkAt(channels: number, start: number, n: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let c = 0; c < channels; c++) {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = sampleValue(c, start + i);
    out.push(a);
  }
  return out;
}

describe('layout constants', () => {
  // The worklet cannot import, so it repeats the layout; every constant it names must agree.
  it('capture.worklet.js uses the same slots and header as ring-buffer.ts and batch-reader.ts', () => {
    const src = readFileSync(defaultCaptureWorkletUrl(), 'utf8');
    const consts = new Map<string, number>();
    for (const m of src.matchAll(/^const ([A-Z0-9_]+) = (\d+)(?: \* (\d+))?;/gm)) {
      consts.set(m[1], Number(m[2]) * (m[3] === undefined ? 1 : Number(m[3])));
    }
    const expected: Record<string, number> = {};
    for (const [k, v] of Object.entries(ring)) if (typeof v === 'number' && /^(CTL_|STATE_|GAP_LOG|MAX_CH)/.test(k)) expected[k] = v;
    for (const [k, v] of Object.entries(batch)) if (typeof v === 'number' && /^(H_|HEADER_)/.test(k)) expected[k] = v;
    let compared = 0;
    for (const [k, v] of consts) {
      if (k in expected) {
        expect([k, v]).toEqual([k, expected[k]]);
        compared++;
      }
    }
    // Every ring/batch constant the worklet needs is there (STATE_IDLE/CLOSED are only written by the consumer).
    for (const k of Object.keys(expected)) if (!['STATE_IDLE', 'STATE_CLOSED', 'MIN_BATCH_QUANTA'].includes(k)) expect(consts.has(k), k).toBe(true);
    expect(compared).toBeGreaterThanOrEqual(20);
  });
});

describe('capture worklet producer / RingReader (one thread, seeded random)', () => {
  /**
   * The shipped producer (worklets/capture.worklet.js, evaluated by worklet-host) writes quanta of
   * random length, some channels unconnected, while the reader takes random amounts at random
   * offsets. A model of what the ring must hold (which quanta fit, in order) checks every frame read,
   * the stream index the reader gives it, and the drop counters.
   */
  function trial(rnd: () => number, t: number): void {
    const capacity = 1 + Math.floor(rnd() * 300);
    const channels = 1 + Math.floor(rnd() * 3);
    // A gap log of `capacity` entries cannot overflow (unread gaps sit at distinct unread frames), so
    // every gap is where the frames were dropped; a shorter one may merge gaps and publish them late.
    const exactGaps = rnd() < 0.5;
    const gapCapacity = exactGaps ? capacity : 1 + Math.floor(rnd() * 4);
    const layout = layoutWithCanaries(capacity, channels, 16, gapCapacity);
    Atomics.store(new Int32Array(layout.control, 0, CTL_INTS), CTL_STATE, STATE_RUNNING);
    const hosted = createHostedCapture({ transport: 'sab', channels, ring: layout, wait: false });
    onTestFinished(() => hosted.close());
    const reader = new RingReader(layout);
    const maxChunk = 1 + Math.floor(rnd() * 2 * capacity);
    const total = 1 + Math.floor(rnd() * 10 * capacity);
    const out: Float64Array[] = [];
    for (let c = 0; c < channels; c++) out.push(new Float64Array(maxChunk + 10)); // canaries around the data
    /** Per channel and stream index: 1 where the quantum had no connection (captured as zeros). */
    const unconnected: Uint8Array[] = [];
    for (let c = 0; c < channels; c++) unconnected.push(new Uint8Array(total + 1));
    /** Stream indices of the frames in the ring, oldest first: the model. */
    const queued: number[] = [];
    let produced = 0;
    let dropped = 0;
    let overruns = 0;
    const zeroQuanta = new Array<number>(channels).fill(0);
    const expected = (c: number, k: number) => (unconnected[c][k] ? 0 : sampleValue(c, k));

    const produce = (n: number) => {
      const fits = n <= capacity - queued.length; // a realtime producer drops whole quanta
      const inputs: Float32Array[][] = [];
      for (let c = 0; c < channels; c++) {
        if (rnd() < 0.1) {
          inputs.push([]); // no connection: zeros, counted
          unconnected[c].fill(1, produced, produced + n);
          if (fits) zeroQuanta[c]++;
          continue;
        }
        const a = new Float32Array(n);
        for (let i = 0; i < n; i++) a[i] = sampleValue(c, produced + i);
        inputs.push([a]);
      }
      // The output tells the quantum's length when no input is connected.
      expect(hosted.processor.process(inputs, [[new Float32Array(n)]], {})).toBe(true);
      if (fits) for (let i = 0; i < n; i++) queued.push(produced + i);
      else {
        dropped += n;
        overruns++;
      }
      produced += n;
    };

    const consume = () => {
      const want = Math.floor(rnd() * maxChunk) + 1;
      const offset = 1 + Math.floor(rnd() * 8);
      for (const o of out) o.fill(CANARY);
      const t0 = reader.nextFrame;
      const n = reader.read(out, offset, want);
      expect(n).toBeLessThanOrEqual(Math.min(want, queued.length));
      const first = queued[0];
      // Exact gaps: the reader's stream index is the frame's own. Merged gaps are published late, so
      // until then the index lags behind (total stream time is still exact, checked at the end).
      if (n > 0 && exactGaps) expect(t0).toBe(first);
      if (n > 0 && !exactGaps) expect(t0).toBeLessThanOrEqual(first);
      for (let c = 0; c < channels; c++) {
        expect(out[c][offset - 1]).toBe(CANARY);
        for (let i = 0; i < n; i++) {
          const k = queued[i];
          if (out[c][offset + i] !== expected(c, k)) {
            throw new Error(`trial ${t} cap ${capacity}: channel ${c} frame ${k} = ${out[c][offset + i]}`);
          }
          if (exactGaps && k !== t0 + i) throw new Error(`trial ${t}: frame ${k} read at stream index ${t0 + i}`);
        }
        expect(out[c][offset + n]).toBe(CANARY);
      }
      queued.splice(0, n);
    };

    while (produced < total || queued.length > 0) {
      if (produced < total && rnd() < 0.5) produce(Math.min(total - produced, Math.floor(rnd() * maxChunk) + 1));
      else consume();
    }
    // The ring is empty; one more frame publishes any gap still pending (the last quanta may all have
    // been dropped), so the stream index lands exactly on it.
    expect(reader.available()).toBe(0);
    produce(1);
    consume();
    expect(queued.length).toBe(0);
    expect(reader.nextFrame).toBe(total + 1);
    expect(reader.counters()).toEqual({ droppedFrames: dropped, overruns, waits: 0, zeroQuanta });
    expectCanariesIntact(layout);
  }

  it('every frame once, in order, at its stream index; drops counted; nothing written outside', () => {
    const rnd = seededRandom(20240601);
    for (let t = 0; t < 400; t++) trial(rnd, t);
  });
});

describe('RingWriter (test producer) / RingReader (one thread)', () => {
  it('holds exactly `capacity` frames, refuses more, and frees space as it is read', () => {
    const layout = layoutWithCanaries(10, 2);
    const w = new RingWriter(layout);
    const r = new RingReader(layout);
    expect(w.space()).toBe(10);
    expect(w.push(chunkAt(2, 0, 7), 0, 7)).toBe(7);
    expect(w.push(chunkAt(2, 7, 7), 0, 7)).toBe(3); // partial: only what fits
    expect(w.space()).toBe(0);
    expect(r.available()).toBe(10);
    expect(w.push(chunkAt(2, 10, 1), 0, 1)).toBe(0); // full ring: nothing written, nothing thrown
    const out = [new Float64Array(4), new Float64Array(4)];
    expect(r.read(out, 0, 4)).toBe(4);
    expect(Array.from(out[1])).toEqual([0, 1, 2, 3].map((i) => sampleValue(1, i)));
    expect(w.space()).toBe(4);
    expectCanariesIntact(layout);
  });

  it('wraps around: a read or write that crosses the end of the storage is split correctly', () => {
    const layout = layoutWithCanaries(5, 1);
    const w = new RingWriter(layout);
    const r = new RingReader(layout);
    const out = [new Float64Array(5)];
    let next = 0;
    let got = 0;
    for (let round = 0; round < 7; round++) {
      next += w.push(chunkAt(1, next, 4), 0, 4);
      const n = r.read(out, 0, 5);
      for (let i = 0; i < n; i++) expect(out[0][i]).toBe(sampleValue(0, got + i));
      got += n;
      expect(r.nextFrame).toBe(got);
    }
    expect(got).toBe(28);
    expectCanariesIntact(layout);
  });

  it('missing input channels are written as zeros', () => {
    const layout = layoutWithCanaries(8, 3);
    const w = new RingWriter(layout);
    const r = new RingReader(layout);
    const src = chunkAt(3, 100, 6);
    expect(w.push([src[0], undefined, src[2]], 0, 6)).toBe(6);
    const out = [new Float64Array(6), new Float64Array(6).fill(7), new Float64Array(6)];
    expect(r.read(out, 0, 6)).toBe(6);
    expect(Array.from(out[1])).toEqual([0, 0, 0, 0, 0, 0]);
    expect(out[2][5]).toBe(sampleValue(2, 105));
  });

  it('gaps: dropped frames advance nextFrame exactly where they were dropped; a read never spans a gap', () => {
    const layout = layoutWithCanaries(16, 2);
    const w = new RingWriter(layout);
    const r = new RingReader(layout);
    const out = [new Float64Array(64), new Float64Array(64)];
    expect(w.push(chunkAt(2, 0, 16), 0, 16)).toBe(16); // stream [0, 16)
    w.dropFrames(8); // [16, 24) lost: ring full
    w.dropFrames(8); // [24, 32) lost too: one gap of 16
    expect(r.read(out, 0, 10)).toBe(10);
    expect(w.push(chunkAt(2, 32, 10), 0, 10)).toBe(10); // stream [32, 42) lands after the gap
    expect(r.nextFrame).toBe(10);
    expect(r.read(out, 0, 64)).toBe(6); // stops at the gap
    expect(out[0][5]).toBe(sampleValue(0, 15));
    expect(r.nextFrame).toBe(32); // passes the gap
    expect(r.read(out, 0, 64)).toBe(10);
    expect(out[1][0]).toBe(sampleValue(1, 32));
    expect(out[1][9]).toBe(sampleValue(1, 41));
    expect(r.nextFrame).toBe(42);
    expect(r.counters()).toMatchObject({ droppedFrames: 16, overruns: 2 });
    expectCanariesIntact(layout);
  });

  it('gap log full: later drops merge into a pending gap and total stream time stays exact', () => {
    const layout = createRingLayout(4, 1, 2); // 2 gap-log entries
    const w = new RingWriter(layout);
    const r = new RingReader(layout);
    const out = [new Float64Array(16)];
    let stream = w.push(chunkAt(1, 0, 4), 0, 4); // ring full
    for (let k = 0; k < 5; k++) {
      w.dropFrames(3);
      stream += 3;
      expect(r.read(out, 0, 1)).toBe(1); // free one frame: the next push publishes the gap, or keeps it pending
      stream += w.push(chunkAt(1, stream, 1), 0, 1);
    }
    let read = 5;
    for (let n = r.read(out, 0, 16); n > 0; n = r.read(out, 0, 16)) read += n;
    // Gaps 1 and 2 fill the log; drops 3–5 merge into one 9-frame gap published once the reader
    // passed gap 1. Every frame is read once and the stream index at the end is exact.
    expect(read).toBe(9);
    expect(stream).toBe(24);
    expect(r.nextFrame).toBe(24);
    expect(r.counters()).toMatchObject({ droppedFrames: 15, overruns: 5 });
  });

  it('close() makes the producer state CLOSED; start() only moves IDLE to RUNNING', () => {
    const layout = createRingLayout(4, 1);
    const ctl = new Int32Array(layout.control);
    const r = new RingReader(layout);
    r.start();
    expect(ctl[CTL_STATE]).toBe(STATE_RUNNING);
    r.close();
    r.start();
    expect(ctl[CTL_STATE]).toBe(STATE_CLOSED);
  });

  it('rejects impossible layouts with ERR_INVALID_ARGUMENT', () => {
    expect(() => createRingLayout(0, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => createRingLayout(16, 9)).toThrow(/channels: expected an integer in \[1, 8\], got 9/);
    expect(() => createRingLayout(2.5, 1)).toThrow(/capacity/);
  });

  it('keeps the gap log after the Int32 slots', () => {
    const layout = createRingLayout(4, 1, 3);
    expect(layout.control.byteLength).toBe(GAP_LOG_BYTE_OFFSET + 3 * 16);
  });
});

describe('worker_threads producer, main-thread consumer', () => {
  let workers: Worker[] = [];
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.terminate()));
    workers = [];
  });

  /** Start ring-producer.worker.ts in a real Worker; tsx compiles it there. */
  function startProducer(job: Record<string, unknown>): Promise<{ pushed: number }> {
    const url = new URL('./ring-producer.worker.ts', import.meta.url).href;
    const code = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
    const worker = new Worker(code, { eval: true, workerData: job });
    workers.push(worker);
    return new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  }

  /** Read until `until()` says stop and the ring is empty; check every frame against its stream index. */
  async function consume(layout: RingLayout, until: () => boolean, rnd: () => number, maxRead: number) {
    const reader = new RingReader(layout);
    const out: Float64Array[] = [];
    for (let c = 0; c < layout.channels; c++) out.push(new Float64Array(maxRead));
    let frames = 0;
    let gapFrames = 0;
    for (;;) {
      const t0 = reader.nextFrame;
      gapFrames = t0 - frames;
      const n = reader.read(out, 0, 1 + Math.floor(rnd() * maxRead));
      for (let c = 0; c < layout.channels; c++) {
        for (let i = 0; i < n; i++) {
          if (out[c][i] !== sampleValue(c, t0 + i)) throw new Error(`channel ${c} frame ${t0 + i}: got ${out[c][i]}`);
        }
      }
      frames += n;
      if (n === 0) {
        if (until() && reader.available() === 0) break;
        await new Promise((resolve) => setTimeout(resolve, rnd() < 0.5 ? 0 : 2));
      }
    }
    return { frames, gapFrames, counters: reader.counters() };
  }

  it('RingWriter in a worker, waiting on a full ring: every frame arrives once, in order', async () => {
    const layout = createRingLayout(777, 2);
    const total = 300_000;
    let done = false;
    const producer = startProducer({ mode: 'writer', ring: layout, frames: total, seed: 7, maxChunk: 500, wait: true }).then((m) => {
      done = true;
      return m;
    });
    const got = await consume(layout, () => done, seededRandom(8), 700);
    expect((await producer).pushed).toBe(total);
    expect(got.frames).toBe(total);
    expect(got.gapFrames).toBe(0);
  }, 60_000);

  it('the capture worklet in a worker, offline (waits): no frame lost', async () => {
    const layout = createRingLayout(1000, 3); // not a multiple of 128: quanta wrap mid-way
    new Int32Array(layout.control)[CTL_STATE] = STATE_RUNNING;
    const total = 128 * 2000;
    let done = false;
    const producer = startProducer({ mode: 'worklet', ring: layout, frames: total, seed: 0, maxChunk: 0, wait: true }).then((m) => {
      done = true;
      return m;
    });
    const got = await consume(layout, () => done, seededRandom(9), 1500);
    await producer;
    expect(got.frames).toBe(total);
    expect(got.counters.droppedFrames).toBe(0);
    expect(got.counters.waits).toBeGreaterThan(0); // the consumer is slower than the worker: it did wait
  }, 60_000);

  it('the capture worklet in a worker, realtime (drops): t0 stays exact across every gap', async () => {
    const layout = createRingLayout(640, 2);
    new Int32Array(layout.control)[CTL_STATE] = STATE_RUNNING;
    const total = 128 * 4000;
    let done = false;
    const producer = startProducer({ mode: 'worklet', ring: layout, frames: total, seed: 0, maxChunk: 0, wait: false }).then((m) => {
      done = true;
      return m;
    });
    // consume() checks each frame's value against the stream index the reader reports for it.
    const got = await consume(layout, () => done, seededRandom(10), 300);
    await producer;
    expect(got.counters.overruns).toBeGreaterThan(0); // a consumer polling every few ms cannot keep up
    expect(got.frames + got.counters.droppedFrames).toBe(total);
    expect(got.counters.droppedFrames % 128).toBe(0); // whole quanta only
  }, 60_000);
});
