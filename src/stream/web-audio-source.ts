/**
 * Web Audio source: any AudioNodes for ref, deg (and noisy) → the `earshot-capture` worklet →
 * hop-sized `StreamBlock`s as an RxJS Observable.
 *
 * Works with a realtime `AudioContext` (in Node: `sinkId: { type: 'none' }`) or an
 * `OfflineAudioContext`; in the browser and in Node (node-web-audio-api, loaded through
 * `./node-web-audio.js`). The worklet moves samples out of the audio thread through a
 * SharedArrayBuffer ring (`./ring-buffer.js`) or, without SharedArrayBuffer, through batched
 * transferred buffers (`./batch-reader.js`); this side polls once per hop.
 *
 * - Realtime: capture starts at subscription (t0 = 0 then) and the reader polls every `pollMs`
 *   (default half a hop). A full ring drops whole quanta: counted (`stats().overruns`,
 *   `droppedFrames`) and visible as a jump in t0 (the block before the gap ends early), so t0 is
 *   always stream time. `stop()` ends the stream: what was captured is delivered, then complete.
 * - Offline: subscribing starts `startRendering()` (so subscribe once, after building the graph).
 *   The worklet waits when the ring is full, so every rendered sample arrives exactly once; blocks
 *   cover exactly `[0, context.length)` with t0 continuous, then the Observable completes.
 *
 * Never calls `getUserMedia`: feed it nodes you made (buffers, oscillators, a `MediaStream` you own).
 *
 * @example
 *   const wa = await loadNodeWebAudio();
 *   const ctx = new wa.OfflineAudioContext({ numberOfChannels: 1, length: 16000, sampleRate: 16000 });
 *   const ref = new wa.AudioBufferSourceNode(ctx, { buffer }); ref.start();
 *   const deg = new wa.GainNode(ctx, { gain: 0.5 }); ref.connect(deg);
 *   const source = await createWebAudioSource(ctx, { ref, deg, AudioWorkletNode: wa.AudioWorkletNode });
 *   source.blocks.subscribe((b) => console.log(b.t0, b.ref.length));
 */
import { Observable } from 'rxjs';
import { earshotError } from '../errors.js';
import { BatchReader, MIN_BATCH_QUANTA, type MessagePortLike } from './batch-reader.js';
import {
  CTL_STATE,
  STATE_RUNNING,
  createRingLayout,
  RingReader,
  sharedMemoryAvailable,
  type RingCounters,
} from './ring-buffer.js';
import type { StreamBlock } from './types.js';

/** Name under which `worklets/capture.worklet.js` registers its processor. */
export const CAPTURE_PROCESSOR_NAME = 'earshot-capture';
/** Frames per block, default. */
export const DEFAULT_HOP = 1024;
/** Ring (or batch pool) capacity, seconds of audio: slack for a main thread that is late. */
export const DEFAULT_RING_SECONDS = 1;
/** Web Audio 1.0 render quantum, frames. */
const RENDER_QUANTUM = 128;
/** After stop: let a quantum already being processed land before the last drain, ms. */
const STOP_SETTLE_MS = 20;
/** Port transport: how long to wait for the worklet's last batch or final message, ms. */
const FINAL_MESSAGE_TIMEOUT_MS = 5000;
/** Offline: poll again after this long when a poll found nothing, ms (setImmediate when it did). */
const OFFLINE_IDLE_POLL_MS = 1;

/** The parts of an AudioNode the source uses (browser AudioNode and node-web-audio-api alike). */
export interface AudioNodeLike {
  connect(destination: AudioNodeLike, output?: number, input?: number): unknown;
  disconnect(destination?: AudioNodeLike): void;
}

export interface AudioContextLike {
  readonly sampleRate: number;
  readonly state: string;
  readonly destination: AudioNodeLike;
  readonly audioWorklet: { addModule(moduleUrl: string): Promise<void> };
}

export interface OfflineAudioContextLike extends AudioContextLike {
  /** Frames to render. */
  readonly length: number;
  startRendering(): Promise<unknown>;
}

export interface CaptureNodeOptions {
  numberOfInputs: number;
  numberOfOutputs: number;
  outputChannelCount: number[];
  channelCount: number;
  channelCountMode: 'explicit';
  channelInterpretation: 'speakers';
  processorOptions: Record<string, unknown>;
}

export interface CaptureNodeLike extends AudioNodeLike {
  readonly port: MessagePortLike;
}

/** `AudioWorkletNode` of the browser or of node-web-audio-api. */
export type AudioWorkletNodeConstructor = new (
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the DOM class wants its own BaseAudioContext
  context: any,
  name: string,
  options: CaptureNodeOptions,
) => CaptureNodeLike;

export interface WebAudioSourceOptions {
  ref: AudioNodeLike;
  deg: AudioNodeLike;
  noisy?: AudioNodeLike;
  /** Default `globalThis.AudioWorkletNode` (browsers); in Node pass node-web-audio-api's. */
  AudioWorkletNode?: AudioWorkletNodeConstructor;
  /** Frames per block (the last block of a stream, or one before a gap, may be shorter). */
  hop?: number;
  /** Ring capacity (or realtime batch pool), seconds. */
  ringSeconds?: number;
  /** 'auto': SharedArrayBuffer ring where available, else transferred batches through the port. */
  transport?: 'auto' | 'sab' | 'port';
  /** Port transport: render quanta per message, ≥ 8. */
  batchQuanta?: number;
  /** Where `capture.worklet.js` is served from; default: next to this package's sources. */
  workletUrl?: string | URL;
  /** Realtime polling period, ms; default half a hop. */
  pollMs?: number;
  /** Offline: the worklet stops waiting for a stalled consumer after this long (then drops, counts). */
  waitLimitMs?: number;
}

export interface CaptureStats {
  transport: 'sab' | 'port';
  /** Frames delivered in blocks so far (per stream). */
  framesDelivered: number;
  /** Frames the worklet dropped because the ring (or pool) was full. */
  droppedFrames: number;
  /** Render quanta dropped because the ring (or pool) was full. */
  overruns: number;
  /** Offline: quanta for which the worklet had to wait for the consumer. */
  offlineWaits: number;
  /** Quanta captured as zeros because that input had no connection. */
  zeroQuanta: { ref: number; deg: number; noisy?: number };
}

export interface WebAudioSource {
  /** Hop-sized blocks; single subscription (the second subscriber gets an error). */
  readonly blocks: Observable<StreamBlock>;
  /** The capture AudioWorkletNode (already connected to the inputs and to the destination). */
  readonly node: CaptureNodeLike;
  readonly sampleRate: number;
  readonly offline: boolean;
  readonly transport: 'sab' | 'port';
  stats(): CaptureStats;
  /** End the stream: deliver what was captured, then complete. */
  stop(): void;
}

interface CaptureReader {
  readonly nextFrame: number;
  read(out: ArrayLike<Float64Array>, offset: number, maxFrames: number): number;
  counters(): RingCounters;
}

const modulesAdded = new WeakSet<object>();

/** URL of `worklets/capture.worklet.js` relative to this module, from `src/` or from `dist/src/`. */
export function defaultCaptureWorkletUrl(): URL {
  const here = import.meta.url;
  const up = /\/dist\/src\/stream\/[^/]+$/.test(here) ? '../../../' : '../../';
  return new URL(`${up}worklets/capture.worklet.js`, here);
}

/** node-web-audio-api's `addModule` takes a filesystem path; browsers take the URL. */
function moduleSpecifier(url: string | URL): string {
  const href = typeof url === 'string' ? url : url.href;
  if (!href.startsWith('file:')) return href;
  const path = decodeURIComponent(new URL(href).pathname);
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path; // file:///C:/x → C:/x
}

function isOffline(context: AudioContextLike): context is OfflineAudioContextLike {
  return typeof (context as Partial<OfflineAudioContextLike>).startRendering === 'function';
}

function positiveInteger(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) {
    throw earshotError('ERR_INVALID_ARGUMENT', `${name}: expected an integer ≥ ${min}, got ${v}`);
  }
  return v;
}

/** Collects frames into hop-sized blocks; flushes early at a gap and at the end. */
class BlockAssembler {
  private bufs: Float64Array[];
  private fill = 0;
  private t0 = 0;

  constructor(
    private readonly hop: number,
    private readonly channels: number,
    private readonly sampleRate: number,
    private readonly emit: (block: StreamBlock) => void,
  ) {
    this.bufs = this.fresh();
  }

  /** Read everything available before stream index `endFrame`; returns the frames read. */
  drain(reader: CaptureReader, endFrame: number): number {
    let total = 0;
    for (;;) {
      const t = reader.nextFrame;
      if (this.fill > 0 && t !== this.t0 + this.fill) this.flush(); // a gap: t0 must stay exact
      if (t >= endFrame) break;
      if (this.fill === 0) this.t0 = t;
      const n = reader.read(this.bufs, this.fill, Math.min(this.hop - this.fill, endFrame - t));
      if (n === 0) break;
      this.fill += n;
      total += n;
      if (this.fill === this.hop) this.flush();
    }
    return total;
  }

  flush(): void {
    if (this.fill === 0) return;
    let out: Float64Array[];
    if (this.fill === this.hop) {
      out = this.bufs; // hand the full buffers over, start new ones
      this.bufs = this.fresh();
    } else {
      out = this.bufs.map((b) => b.slice(0, this.fill));
    }
    const block: StreamBlock = { t0: this.t0, sampleRate: this.sampleRate, ref: out[0], deg: out[1] };
    if (this.channels > 2) block.noisy = out[2];
    this.t0 += this.fill;
    this.fill = 0;
    this.emit(block);
  }

  private fresh(): Float64Array[] {
    const bufs: Float64Array[] = [];
    for (let c = 0; c < this.channels; c++) bufs.push(new Float64Array(this.hop));
    return bufs;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(2);
  }
  return true;
}

const schedule: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);

/**
 * Build the capture node for `context`, connect `ref`, `deg` (and `noisy`) to it, and return the
 * source. Throws `ERR_INVALID_ARGUMENT` for bad options or when no AudioWorkletNode class is known.
 */
export async function createWebAudioSource(
  context: AudioContextLike | OfflineAudioContextLike,
  options: WebAudioSourceOptions,
): Promise<WebAudioSource> {
  const offline = isOffline(context);
  const sampleRate = context.sampleRate;
  const channels = options.noisy === undefined ? 2 : 3;
  const hop = positiveInteger('hop', options.hop ?? DEFAULT_HOP);
  const ringSeconds = options.ringSeconds ?? DEFAULT_RING_SECONDS;
  if (!(ringSeconds > 0)) throw earshotError('ERR_INVALID_ARGUMENT', `ringSeconds: expected > 0, got ${ringSeconds}`);
  const requested = options.transport ?? 'auto';
  const transport: 'sab' | 'port' = requested === 'auto' ? (sharedMemoryAvailable() ? 'sab' : 'port') : requested;
  if (transport === 'sab' && !sharedMemoryAvailable()) {
    throw earshotError('ERR_INVALID_ARGUMENT', "transport: 'sab' needs SharedArrayBuffer (cross-origin isolation)");
  }
  const Ctor =
    options.AudioWorkletNode ??
    (globalThis as { AudioWorkletNode?: AudioWorkletNodeConstructor }).AudioWorkletNode;
  if (Ctor === undefined) {
    throw earshotError('ERR_INVALID_ARGUMENT', 'AudioWorkletNode: none in this environment; pass options.AudioWorkletNode');
  }
  const endFrame = offline ? context.length : Infinity;

  if (!modulesAdded.has(context)) {
    await context.audioWorklet.addModule(moduleSpecifier(options.workletUrl ?? defaultCaptureWorkletUrl()));
    modulesAdded.add(context);
  }

  let processorOptions: Record<string, unknown>;
  let makeReader: (node: CaptureNodeLike) => RingReader | BatchReader;
  if (transport === 'sab') {
    const capacity = Math.max(Math.ceil(ringSeconds * sampleRate), 2 * hop, 8 * RENDER_QUANTUM);
    const ring = createRingLayout(capacity, channels);
    // Offline rendering starts at subscription, so the producer runs from its first quantum.
    if (offline) Atomics.store(new Int32Array(ring.control), CTL_STATE, STATE_RUNNING);
    processorOptions = { transport, channels, ring, wait: offline, waitLimitMs: options.waitLimitMs };
    makeReader = () => new RingReader(ring);
  } else {
    const batchQuanta = positiveInteger('batchQuanta', options.batchQuanta ?? MIN_BATCH_QUANTA, MIN_BATCH_QUANTA);
    const batchFrames = batchQuanta * RENDER_QUANTUM;
    // Offline: the worklet cannot wait for returned buffers (its port is served between quanta
    // only), so it gets enough for the whole render: nothing is dropped. Realtime: ringSeconds' worth.
    const poolSize = offline
      ? Math.ceil(endFrame / batchFrames) + 1
      : Math.max(4, Math.ceil((ringSeconds * sampleRate) / batchFrames));
    processorOptions = {
      transport,
      channels,
      batchFrames,
      poolSize,
      startRunning: offline,
      totalFrames: offline ? endFrame : 0,
    };
    makeReader = (node) => new BatchReader(node.port, channels, batchFrames);
  }

  const node = new Ctor(context, CAPTURE_PROCESSOR_NAME, {
    numberOfInputs: channels,
    numberOfOutputs: 1, // one silent output, connected to the destination so every engine pulls the node
    outputChannelCount: [1],
    channelCount: 1,
    channelCountMode: 'explicit',
    channelInterpretation: 'speakers', // a stereo input is down-mixed to mono
    processorOptions,
  });
  const reader = makeReader(node);
  const inputs = [options.ref, options.deg, options.noisy];
  for (let c = 0; c < channels; c++) inputs[c]?.connect(node, 0, c);
  node.connect(context.destination);

  let framesDelivered = 0;
  let subscribed = false;
  let stopHook: (() => void) | null = null;
  let stopEarly = false;

  const teardown = (): void => {
    if (reader instanceof RingReader) reader.close();
    else {
      reader.stop();
      reader.close();
    }
    for (let c = 0; c < channels; c++) {
      try {
        inputs[c]?.disconnect(node);
      } catch {
        // already disconnected
      }
    }
    try {
      node.disconnect();
    } catch {
      // already disconnected
    }
  };

  const blocks = new Observable<StreamBlock>((subscriber) => {
    if (subscribed) {
      subscriber.error(earshotError('ERR_INVALID_ARGUMENT', 'a Web Audio source can be subscribed once'));
      return undefined;
    }
    subscribed = true;
    let done = false;
    let interval: ReturnType<typeof setInterval> | undefined;
    const assembler = new BlockAssembler(hop, channels, sampleRate, (block) => {
      framesDelivered += block.ref.length;
      subscriber.next(block);
    });

    const finish = (): void => {
      if (done) return;
      done = true;
      if (interval !== undefined) clearInterval(interval);
      assembler.drain(reader, endFrame);
      assembler.flush();
      teardown();
      subscriber.complete();
    };
    const fail = (err: unknown): void => {
      if (done) return;
      done = true;
      if (interval !== undefined) clearInterval(interval);
      teardown();
      subscriber.error(err);
    };
    const endGracefully = (): void => {
      if (done) return;
      if (interval !== undefined) clearInterval(interval);
      if (reader instanceof RingReader) {
        reader.close();
        void sleep(STOP_SETTLE_MS).then(finish);
      } else {
        reader.stop();
        void until(() => reader.ended, FINAL_MESSAGE_TIMEOUT_MS).then(finish);
      }
    };
    stopHook = endGracefully;

    if (offline) {
      const poll = (): void => {
        if (done) return;
        try {
          const got = assembler.drain(reader, endFrame);
          if (got > 0) schedule(poll);
          else setTimeout(poll, OFFLINE_IDLE_POLL_MS);
        } catch (err) {
          fail(err);
        }
      };
      (context as OfflineAudioContextLike).startRendering().then(
        async () => {
          // Every process() call has returned: the ring holds the rest. The port transport's last
          // batch may still be in flight.
          if (reader instanceof BatchReader) await until(() => reader.ended, FINAL_MESSAGE_TIMEOUT_MS);
          finish();
        },
        (err: unknown) => fail(err),
      );
      poll();
    } else {
      reader.start();
      const pollMs = options.pollMs ?? ((hop / sampleRate) * 1000) / 2;
      interval = setInterval(() => {
        try {
          assembler.drain(reader, endFrame);
        } catch (err) {
          fail(err);
        }
      }, pollMs);
    }
    if (stopEarly) endGracefully();

    return () => {
      if (done) return;
      done = true;
      if (interval !== undefined) clearInterval(interval);
      teardown();
    };
  });

  const stats = (): CaptureStats => {
    const k = reader.counters();
    const zeroQuanta: CaptureStats['zeroQuanta'] = { ref: k.zeroQuanta[0] ?? 0, deg: k.zeroQuanta[1] ?? 0 };
    if (channels > 2) zeroQuanta.noisy = k.zeroQuanta[2] ?? 0;
    return {
      transport,
      framesDelivered,
      droppedFrames: k.droppedFrames,
      overruns: k.overruns,
      offlineWaits: k.waits,
      zeroQuanta,
    };
  };

  return {
    blocks,
    node,
    sampleRate,
    offline,
    transport,
    stats,
    stop: () => {
      if (stopHook !== null) stopHook();
      else stopEarly = true;
    },
  };
}
