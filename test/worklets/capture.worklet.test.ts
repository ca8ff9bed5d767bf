/**
 * The capture processor of worklets/capture.worklet.js, called directly (worklet-host evaluates the
 * file with stand-in globals): the cases an audio context makes hard to provoke. The same file in a
 * real context is tested by test/stream/web-audio-source.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HEADER_BYTES, HEADER_FLOATS, H_DROPPED, H_FINAL, H_FRAMES, H_OVERRUNS, H_T0, H_ZERO_QUANTA } from '../../src/stream/batch-reader.js';
import { CTL_STATE, RingReader, STATE_RUNNING, createRingLayout, type RingLayout } from '../../src/stream/ring-buffer.js';
import { createHostedCapture, type HostedCapture } from '../../src/stream/worklet-host.js';
import { sampleValue } from '../stream/sample-value.js';

const Q = 128;

let hosted: HostedCapture[] = [];
afterEach(() => {
  for (const h of hosted) h.close();
  hosted = [];
});

function host(options: Record<string, unknown>): HostedCapture {
  const h = createHostedCapture(options);
  hosted.push(h);
  return h;
}

/** Inputs for quantum `q` (one mono input per channel), values = stream index. */
function quantum(channels: number, q: number): Float32Array[][] {
  const inputs: Float32Array[][] = [];
  for (let c = 0; c < channels; c++) {
    const a = new Float32Array(Q);
    for (let i = 0; i < Q; i++) a[i] = sampleValue(c, q * Q + i);
    inputs.push([a]);
  }
  return inputs;
}

const outputs = (): Float32Array[][] => [[new Float32Array(Q)]];

function running(layout: RingLayout): RingLayout {
  Atomics.store(new Int32Array(layout.control), CTL_STATE, STATE_RUNNING);
  return layout;
}

describe('sab transport', () => {
  it('captures nothing until started, then every quantum; returns true', () => {
    const layout = createRingLayout(1024, 2);
    const { processor } = host({ transport: 'sab', channels: 2, ring: layout, wait: false });
    const reader = new RingReader(layout);
    expect(processor.process(quantum(2, 0), outputs(), {})).toBe(true);
    expect(reader.available()).toBe(0);
    reader.start();
    for (let q = 0; q < 3; q++) expect(processor.process(quantum(2, q), outputs(), {})).toBe(true);
    const out = [new Float64Array(400), new Float64Array(400)];
    expect(reader.read(out, 0, 400)).toBe(384);
    expect(out[1][383]).toBe(sampleValue(1, 383));
  });

  it('realtime, ring full: drops whole quanta, counts them, and keeps stream time exact', () => {
    const layout = running(createRingLayout(300, 2)); // room for 2 quanta, not 3
    const { processor } = host({ transport: 'sab', channels: 2, ring: layout, wait: false });
    const reader = new RingReader(layout);
    for (let q = 0; q < 5; q++) expect(processor.process(quantum(2, q), outputs(), {})).toBe(true);
    expect(reader.counters()).toMatchObject({ droppedFrames: 3 * Q, overruns: 3 });
    const out = [new Float64Array(300), new Float64Array(300)];
    expect(reader.read(out, 0, 300)).toBe(2 * Q);
    processor.process(quantum(2, 5), outputs(), {}); // lands after a 3-quantum gap
    expect(reader.nextFrame).toBe(5 * Q);
    expect(reader.read(out, 0, 300)).toBe(Q);
    expect(out[0][0]).toBe(sampleValue(0, 5 * Q));
  });

  it('an input with no connection is captured as zeros and counted, not treated as missing', () => {
    const layout = running(createRingLayout(1024, 3));
    const { processor } = host({ transport: 'sab', channels: 3, ring: layout, wait: false });
    const reader = new RingReader(layout);
    const inputs = quantum(3, 0);
    inputs[2] = []; // browsers give an input without connections zero channels
    processor.process(inputs, outputs(), {});
    processor.process(quantum(3, 1), outputs(), {});
    const out = [new Float64Array(256), new Float64Array(256), new Float64Array(256).fill(9)];
    expect(reader.read(out, 0, 256)).toBe(256);
    expect(out[2].subarray(0, Q).every((v) => v === 0)).toBe(true);
    expect(out[2][Q]).toBe(sampleValue(2, Q));
    expect(reader.counters().zeroQuanta).toEqual([0, 0, 1]);
  });

  it('never throws from process(), whatever it is given', () => {
    const layout = running(createRingLayout(512, 2));
    const { processor } = host({ transport: 'sab', channels: 2, ring: layout, wait: false });
    expect(processor.process([], [], {})).toBe(true); // no inputs at all: zeros, default quantum
    expect(processor.process([[new Float32Array(Q)]], [[new Float32Array(Q)]], {})).toBe(true);
    expect(processor.process(null as unknown as Float32Array[][], [], {})).toBe(true);
    expect(new RingReader(layout).counters().zeroQuanta).toEqual([1, 2]);
  });

  it('the constructor rejects options it cannot use', () => {
    expect(() => createHostedCapture({ transport: 'sab', channels: 0 })).toThrow(/channels: expected 1..8, got 0/);
    expect(() => createHostedCapture({ transport: 'pigeon', channels: 2 })).toThrow(/transport/);
  });

  // Whether process() allocates (GC events per 1 000 000 quanta) is measured by `npm run bench`
  // (bench/capture-gc.ts): a count of collections depends on the machine and the runner's own work.
  it('a long run, 100 000 quanta through a ring read every 16 quanta: nothing dropped, stream time exact', () => {
    const layout = running(createRingLayout(4096, 3));
    const { processor } = host({ transport: 'sab', channels: 3, ring: layout, wait: false });
    const reader = new RingReader(layout);
    const inputs = quantum(3, 0);
    const outs = outputs();
    const sink = [new Float64Array(4096), new Float64Array(4096), new Float64Array(4096)];
    const quanta = 100_000;
    let frames = 0;
    for (let q = 0; q < quanta; q++) {
      expect(processor.process(inputs, outs, {})).toBe(true);
      if (q % 16 === 15) frames += reader.read(sink, 0, 4096);
    }
    expect(reader.counters().droppedFrames).toBe(0);
    expect(frames).toBe(quanta * Q);
    expect(sink[2][16 * Q - 1]).toBe(sampleValue(2, Q - 1)); // the same quantum's values every time
  });
});

describe('port transport', () => {
  /** Collect what the processor posts (transferred ArrayBuffers and plain objects). */
  function collect(h: HostedCapture): unknown[] {
    const got: unknown[] = [];
    h.port.on('message', (m: unknown) => got.push(m));
    return got;
  }
  const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

  it('posts one transferred batch per 8 quanta, contiguous, with exact content', async () => {
    const batchFrames = 8 * Q;
    const h = host({ transport: 'port', channels: 2, batchFrames, poolSize: 4, startRunning: true, totalFrames: 0 });
    const got = collect(h);
    for (let q = 0; q < 24; q++) h.processor.process(quantum(2, q), outputs(), {});
    await tick();
    expect(got.length).toBe(3); // 24 quanta, 3 messages: never one per quantum
    got.forEach((m, k) => {
      expect(m).toBeInstanceOf(ArrayBuffer);
      const buf = m as ArrayBuffer;
      const header = new Float64Array(buf, 0, HEADER_FLOATS);
      expect([header[H_T0], header[H_FRAMES], header[H_FINAL]]).toEqual([k * batchFrames, batchFrames, 0]);
      const data = new Float32Array(buf, HEADER_BYTES);
      expect(data[0]).toBe(sampleValue(0, k * batchFrames));
      expect(data[batchFrames + batchFrames - 1]).toBe(sampleValue(1, (k + 1) * batchFrames - 1));
    });
  });

  it('with no free buffer it drops and counts; the next batch shows the gap in t0', async () => {
    const batchFrames = 8 * Q;
    const h = host({ transport: 'port', channels: 1, batchFrames, poolSize: 2, startRunning: true, totalFrames: 0 });
    const got = collect(h);
    for (let q = 0; q < 20; q++) h.processor.process(quantum(1, q), outputs(), {}); // 16 fit, 4 dropped
    await tick();
    expect(got.length).toBe(2);
    h.port.postMessage(got[0], [got[0] as ArrayBuffer]); // give one back
    await tick();
    for (let q = 20; q < 28; q++) h.processor.process(quantum(1, q), outputs(), {});
    await tick();
    expect(got.length).toBe(3);
    const header = new Float64Array(got[2] as ArrayBuffer, 0, HEADER_FLOATS);
    expect([header[H_T0], header[H_DROPPED], header[H_OVERRUNS]]).toEqual([20 * Q, 4 * Q, 4]);
    expect(new Float32Array(got[2] as ArrayBuffer, HEADER_BYTES)[0]).toBe(sampleValue(0, 20 * Q));
  });

  it("'stop' posts the partial batch and the final counters; offline ends itself at totalFrames", async () => {
    const h = host({ transport: 'port', channels: 2, batchFrames: 8 * Q, poolSize: 4, startRunning: false, totalFrames: 0 });
    const got = collect(h);
    h.processor.process(quantum(2, 0), outputs(), {}); // not started: ignored
    h.port.postMessage('start');
    await tick();
    const inputs = quantum(2, 0);
    inputs[0] = [];
    h.processor.process(inputs, outputs(), {});
    h.processor.process(quantum(2, 1), outputs(), {});
    h.port.postMessage('stop');
    await tick();
    expect(got.length).toBe(2);
    expect(new Float64Array(got[0] as ArrayBuffer, 0, HEADER_FLOATS)[H_FRAMES]).toBe(2 * Q);
    expect(got[1]).toEqual({ type: 'final', endFrame: 2 * Q, droppedFrames: 0, overruns: 0, zeroQuanta: [1, 0] });

    const off = host({ transport: 'port', channels: 1, batchFrames: 8 * Q, poolSize: 3, startRunning: true, totalFrames: 10 * Q + 5 });
    const offGot = collect(off);
    for (let q = 0; q < 15; q++) off.processor.process(quantum(1, q), outputs(), {});
    await tick();
    expect(offGot.length).toBe(2);
    const last = new Float64Array(offGot[1] as ArrayBuffer, 0, HEADER_FLOATS);
    expect([last[H_T0], last[H_FRAMES], last[H_FINAL], last[H_ZERO_QUANTA]]).toEqual([8 * Q, 3 * Q, 1, 0]);
  });
});
