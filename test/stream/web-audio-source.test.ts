/**
 * The Web Audio source with node-web-audio-api: known signals through a real graph and the real
 * capture worklet. Offline renders usually take well under a second here but have been seen to
 * stall for many seconds on a loaded machine (each quantum is a hand-off between the render thread
 * and the worklet's Worker), so the timeouts are generous and the assertions are on content.
 * Each context that runs a JS worklet keeps a core busy: realtime contexts are closed in afterEach,
 * offline ones release their worklet thread when rendering ends.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  installPromiseWithResolvers,
  loadNodeWebAudio,
  type NodeWebAudio,
  type OfflineAudioContextInstance,
  type RealtimeAudioContext,
} from '../../src/stream/node-web-audio.js';
import type { StreamBlock } from '../../src/stream/types.js';
import { createWebAudioSource, type WebAudioSourceOptions } from '../../src/stream/web-audio-source.js';
import { seededRandom } from '../helpers/corpus.js';

const RENDER_TIMEOUT_MS = 120_000;

let wa: NodeWebAudio;
beforeAll(async () => {
  wa = await loadNodeWebAudio();
});

const realtime: RealtimeAudioContext[] = [];
afterEach(async () => {
  for (const ctx of realtime.splice(0)) await ctx.close();
});

/** Seeded noise plus a sine, float32, in [-0.9, 0.9]. */
function signal(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = 0.5 * Math.sin(i * 0.031 + seed) + 0.4 * (2 * rnd() - 1);
  return x;
}

function bufferSource(ctx: OfflineAudioContextInstance, x: Float32Array) {
  const buffer = new wa.AudioBuffer({ length: x.length, sampleRate: ctx.sampleRate, numberOfChannels: 1 });
  buffer.copyToChannel(x, 0);
  const node = new wa.AudioBufferSourceNode(ctx, { buffer });
  node.start();
  return node;
}

/** Concatenate blocks, checking t0 continuity, equal channel lengths and the block sizes. */
function joined(blocks: StreamBlock[], sampleRate: number, hop: number) {
  let t = 0;
  for (const [k, b] of blocks.entries()) {
    expect(b.t0).toBe(t);
    expect(b.sampleRate).toBe(sampleRate);
    expect(b.deg.length).toBe(b.ref.length);
    if (b.noisy !== undefined) expect(b.noisy.length).toBe(b.ref.length);
    if (k < blocks.length - 1) expect(b.ref.length).toBe(hop); // only the last one may be short
    t += b.ref.length;
  }
  const cat = (pick: (b: StreamBlock) => Float64Array | undefined) => {
    const out = new Float64Array(t);
    let o = 0;
    for (const b of blocks) {
      const a = pick(b);
      if (a !== undefined) out.set(a, o);
      o += b.ref.length;
    }
    return out;
  };
  return { frames: t, ref: cat((b) => b.ref), deg: cat((b) => b.deg), noisy: cat((b) => b.noisy) };
}

/** Resolve once `condition()` holds, polling every 10 ms; false after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

function firstMismatch(got: Float64Array, want: (i: number) => number): number {
  for (let i = 0; i < got.length; i++) if (got[i] !== want(i)) return i;
  return -1;
}

describe('node-web-audio loader', () => {
  it('defines Promise.withResolvers where it is missing (Node 20) and loads the package once', async () => {
    const P = Promise as unknown as { withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T) => void } };
    const saved = Object.getOwnPropertyDescriptor(Promise, 'withResolvers');
    try {
      delete P.withResolvers;
      installPromiseWithResolvers();
      const { promise, resolve } = P.withResolvers!<number>();
      resolve(42);
      expect(await promise).toBe(42);
    } finally {
      if (saved !== undefined) Object.defineProperty(Promise, 'withResolvers', saved);
    }
    expect(loadNodeWebAudio()).toBe(loadNodeWebAudio());
    expect(typeof wa.OfflineAudioContext).toBe('function');
  });
});

describe('offline rendering', () => {
  for (const sampleRate of [16000, 48000]) {
    for (const transport of ['sab', 'port'] as const) {
      it(`${sampleRate} Hz, ${transport}: blocks reproduce ref, deg = ref·0.5 and noisy exactly, t0 continuous`, async () => {
        const length = Math.round(sampleRate * 0.5) + 77; // not a multiple of the hop or of 128
        const ctx = new wa.OfflineAudioContext({ numberOfChannels: 1, length, sampleRate });
        const x = signal(length, 1);
        const v = signal(length, 2);
        const ref = bufferSource(ctx, x);
        const deg = new wa.GainNode(ctx, { gain: 0.5 });
        ref.connect(deg);
        const noisy = bufferSource(ctx, v);
        const hop = 1000;
        const source = await createWebAudioSource(ctx, {
          ref, deg, noisy, hop, transport, AudioWorkletNode: wa.AudioWorkletNode,
        });
        const got = joined(await lastValueFrom(source.blocks.pipe(toArray())), sampleRate, hop);
        expect(got.frames).toBe(length);
        // Float32 in, Float32 through the ring, Float64 out: exact; ×0.5 is exact in Float32.
        expect(firstMismatch(got.ref, (i) => x[i])).toBe(-1);
        expect(firstMismatch(got.deg, (i) => x[i] * 0.5)).toBe(-1);
        expect(firstMismatch(got.noisy, (i) => v[i])).toBe(-1);
        expect(source.stats()).toMatchObject({
          transport, framesDelivered: length, droppedFrames: 0, overruns: 0, zeroQuanta: { ref: 0, deg: 0, noisy: 0 },
        });
      }, RENDER_TIMEOUT_MS);
    }
  }

  it('deg through a DelayNode of 37 samples: deg[n] = ref[n − 37] to Float32 rounding, nothing lost', async () => {
    const sampleRate = 16000;
    const delay = 37;
    const length = 9000;
    const ctx = new wa.OfflineAudioContext({ numberOfChannels: 1, length, sampleRate });
    const x = signal(length, 3);
    const ref = bufferSource(ctx, x);
    const deg = new wa.DelayNode(ctx, { delayTime: delay / sampleRate, maxDelayTime: 0.01 });
    ref.connect(deg);
    const source = await createWebAudioSource(ctx, { ref, deg, AudioWorkletNode: wa.AudioWorkletNode });
    const got = joined(await lastValueFrom(source.blocks.pipe(toArray())), sampleRate, 1024);
    expect(got.frames).toBe(length);
    expect(firstMismatch(got.ref, (i) => x[i])).toBe(-1);
    // delayTime is a Float32 AudioParam: 37/16000 s rounds to 37 − w samples, so the delay line
    // interpolates between x[n−37] and its neighbour with weight w. Error bound: w·|Δx| plus three
    // Float32 roundings (2^-24 each, |x| < 1). A delay off by one sample would err by up to ~1 here.
    const w = Math.abs(Math.fround(delay / sampleRate) * sampleRate - delay);
    let maxStep = 0;
    for (let i = 1; i < length; i++) maxStep = Math.max(maxStep, Math.abs(x[i] - x[i - 1]));
    const bound = w * maxStep + 3 * 2 ** -24;
    let worst = 0;
    for (let i = 0; i < length; i++) worst = Math.max(worst, Math.abs(got.deg[i] - (i < delay ? 0 : x[i - delay])));
    expect(worst).toBeLessThanOrEqual(bound);
  }, RENDER_TIMEOUT_MS);

  it('a slow subscriber makes the worklet wait on a small ring: still every sample once', async () => {
    const sampleRate = 16000;
    const length = 12_000;
    const ctx = new wa.OfflineAudioContext({ numberOfChannels: 1, length, sampleRate });
    const x = signal(length, 4);
    const ref = bufferSource(ctx, x);
    const deg = new wa.GainNode(ctx, { gain: -1 });
    ref.connect(deg);
    const hop = 256;
    // ringSeconds tiny: the ring is its floor, 2 hops but at least 8 quanta = 1024 frames.
    const source = await createWebAudioSource(ctx, { ref, deg, hop, ringSeconds: 1e-3, AudioWorkletNode: wa.AudioWorkletNode });
    const blocks: StreamBlock[] = [];
    await new Promise<void>((resolve, reject) => {
      source.blocks.subscribe({
        next: (b) => {
          blocks.push(b);
          // The first block is held until the worklet has found the ring full and waited (its
          // counters live in shared memory, so they can be read meanwhile); 10 s at most. A fixed
          // delay per block was not slower than a render slowed down by a loaded machine.
          if (blocks.length > 1) return;
          const giveUp = performance.now() + 10_000;
          while (source.stats().offlineWaits === 0 && performance.now() < giveUp);
        },
        error: reject,
        complete: resolve,
      });
    });
    const got = joined(blocks, sampleRate, hop);
    expect(got.frames).toBe(length);
    expect(firstMismatch(got.ref, (i) => x[i])).toBe(-1);
    expect(firstMismatch(got.deg, (i) => -x[i])).toBe(-1);
    expect(source.stats()).toMatchObject({ droppedFrames: 0, overruns: 0 });
    expect(source.stats().offlineWaits).toBeGreaterThan(0);
  }, RENDER_TIMEOUT_MS);

  it('an input left unconnected is delivered as zeros', async () => {
    const sampleRate = 16000;
    const length = 3000;
    const ctx = new wa.OfflineAudioContext({ numberOfChannels: 1, length, sampleRate });
    const x = signal(length, 5);
    const ref = bufferSource(ctx, x);
    const deg = new wa.GainNode(ctx, { gain: 1 }); // nothing connected to it
    const source = await createWebAudioSource(ctx, { ref, deg, AudioWorkletNode: wa.AudioWorkletNode });
    const got = joined(await lastValueFrom(source.blocks.pipe(toArray())), sampleRate, 1024);
    expect(got.frames).toBe(length);
    expect(firstMismatch(got.ref, (i) => x[i])).toBe(-1);
    expect(got.deg.every((s) => s === 0)).toBe(true);
  }, RENDER_TIMEOUT_MS);

  it('a second subscription errors with ERR_INVALID_ARGUMENT; bad options throw when configuring', async () => {
    const ctx = new wa.OfflineAudioContext({ numberOfChannels: 1, length: 1000, sampleRate: 16000 });
    const ref = bufferSource(ctx, signal(1000, 6));
    const options: WebAudioSourceOptions = { ref, deg: ref, AudioWorkletNode: wa.AudioWorkletNode };
    await expect(createWebAudioSource(ctx, { ...options, hop: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(createWebAudioSource(ctx, { ...options, transport: 'port', batchQuanta: 4 })).rejects.toThrow(
      /batchQuanta: expected an integer ≥ 8, got 4/,
    );
    await expect(createWebAudioSource(ctx, { ref, deg: ref })).rejects.toThrow(/AudioWorkletNode/);
    const source = await createWebAudioSource(ctx, options);
    const all = lastValueFrom(source.blocks.pipe(toArray()));
    await expect(lastValueFrom(source.blocks)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect((await all).reduce((n, b) => n + b.ref.length, 0)).toBe(1000);
  }, RENDER_TIMEOUT_MS);
});

// A realtime context with a JS worklet usually runs at real time here, but on a loaded machine it
// has been seen to crawl at a few % of it for seconds: these tests wait for audio, not for time.
describe('realtime AudioContext (sinkId none)', () => {
  it('captures live audio: deg = 0.5·ref sample for sample, t0 continuous, no overrun', async () => {
    const ctx = new wa.AudioContext({ sinkId: { type: 'none' }, sampleRate: 48000 });
    realtime.push(ctx);
    const osc = new wa.OscillatorNode(ctx, { type: 'sine', frequency: 440 });
    const deg = new wa.GainNode(ctx, { gain: 0.5 });
    osc.connect(deg);
    osc.start();
    const source = await createWebAudioSource(ctx, { ref: osc, deg, AudioWorkletNode: wa.AudioWorkletNode });
    const blocks: StreamBlock[] = [];
    const done = new Promise<void>((resolve, reject) => {
      source.blocks.subscribe({ next: (b) => blocks.push(b), error: reject, complete: resolve });
    });
    const frames = () => blocks.reduce((n, b) => n + b.ref.length, 0);
    await waitFor(() => frames() >= 0.25 * 48000, 30_000); // normally 0.25 s
    source.stop();
    await done;
    const got = joined(blocks, 48000, 1024);
    expect(got.frames).toBeGreaterThanOrEqual(0.25 * 48000);
    expect(got.ref.some((s) => Math.abs(s) > 0.5)).toBe(true); // the sine really came through
    expect(firstMismatch(got.deg, (i) => got.ref[i] * 0.5)).toBe(-1);
    expect(source.stats()).toMatchObject({ overruns: 0, droppedFrames: 0, framesDelivered: got.frames });
  }, 60_000);

  it('a main thread blocked longer than the ring: overruns are counted and t0 stays exact across the gap', async () => {
    const sampleRate = 48000;
    const ctx = new wa.AudioContext({ sinkId: { type: 'none' }, sampleRate });
    realtime.push(ctx);
    const x = signal(4 * sampleRate, 7); // longer than the test: ref[t] = x[t + offset] throughout
    const buffer = new wa.AudioBuffer({ length: x.length, sampleRate, numberOfChannels: 1 });
    buffer.copyToChannel(x, 0);
    const ref = new wa.AudioBufferSourceNode(ctx, { buffer });
    ref.start();
    const hop = 512;
    // Ring = its floor, max(2 hops, 8 quanta) = 1024 frames ≈ 21 ms of audio.
    const source = await createWebAudioSource(ctx, { ref, deg: ref, hop, ringSeconds: 1e-3, AudioWorkletNode: wa.AudioWorkletNode });
    const blocks: StreamBlock[] = [];
    const done = new Promise<void>((resolve, reject) => {
      source.blocks.subscribe({ next: (b) => blocks.push(b), error: reject, complete: resolve });
    });
    expect(await waitFor(() => blocks.length >= 4, 30_000)).toBe(true);
    // Block the consumer's thread until the worklet has had to drop (the counters live in shared
    // memory, so they can be read meanwhile); 10 s at most.
    const giveUp = performance.now() + 10_000;
    while (source.stats().overruns < 3 && performance.now() < giveUp);
    const before = blocks.length;
    expect(await waitFor(() => blocks.length >= before + 8, 30_000)).toBe(true); // audio after the gap
    source.stop();
    await done;

    const stats = source.stats();
    expect(stats.overruns).toBeGreaterThan(0);
    expect(stats.droppedFrames).toBe(stats.overruns * 128); // whole quanta
    // Where capture started in x: match the first block against x.
    const first = blocks[0].ref;
    let offset = -1;
    for (let k = 0; k + first.length <= x.length && offset < 0; k++) {
      let ok = true;
      for (let i = 0; i < first.length && ok; i++) ok = first[i] === x[k + i];
      if (ok) offset = k;
    }
    expect(offset).toBeGreaterThanOrEqual(0);
    // Every sample of every block sits at x[t0 + i + offset]: t0 counts the dropped frames exactly.
    let jumps = 0;
    let expectedT0 = 0;
    for (const b of blocks) {
      jumps += b.t0 - expectedT0;
      expectedT0 = b.t0 + b.ref.length;
      for (let i = 0; i < b.ref.length; i++) {
        if (b.ref[i] !== x[b.t0 + i + offset] || b.deg[i] !== b.ref[i]) throw new Error(`sample ${b.t0 + i} misplaced`);
      }
    }
    expect(jumps).toBe(stats.droppedFrames);
  }, 60_000);
});
