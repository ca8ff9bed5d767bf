/**
 * Consumer side of the capture worklet's `port` transport, used where SharedArrayBuffer is
 * unavailable (browsers without cross-origin isolation). The worklet fills preallocated ArrayBuffers
 * with `batchFrames` frames (at least 8 render quanta, so at most one message per 8 quanta), transfers
 * each through its port, and the reader transfers it back once read, so the worklet never allocates.
 *
 * Buffer layout (must match `worklets/capture.worklet.js`; a test checks): `HEADER_FLOATS` Float64
 * (t0, frames, cumulative dropped frames, cumulative overruns, final flag, zero-quanta per channel),
 * then planar Float32 data, channel c at `[c·batchFrames, (c+1)·batchFrames)`.
 *
 * It offers the same reading interface as `RingReader` (`nextFrame`, `read`, `counters`).
 */
import type { RingCounters } from './ring-buffer.js';

export const H_T0 = 0;
export const H_FRAMES = 1;
export const H_DROPPED = 2;
export const H_OVERRUNS = 3;
export const H_FINAL = 4;
export const H_ZERO_QUANTA = 8;
export const HEADER_FLOATS = 16;
export const HEADER_BYTES = HEADER_FLOATS * Float64Array.BYTES_PER_ELEMENT;
/** The worklet batches at least this many render quanta per message. */
export const MIN_BATCH_QUANTA = 8;

/** The part of a MessagePort (browser or Node) the reader uses. Methods only, so that the DOM's
 * MessagePort (whose listener takes a full MessageEvent) is assignable to it. */
export interface MessagePortLike {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  start(): void;
}

/** What the worklet posts when told 'stop': where the stream ended and the final counters. */
interface FinalMessage {
  type: 'final';
  endFrame: number;
  droppedFrames: number;
  overruns: number;
  zeroQuanta: number[];
}

interface Batch {
  buffer: ArrayBuffer;
  t0: number;
  frames: number;
  data: Float32Array;
}

export class BatchReader {
  readonly channels: number;
  readonly batchFrames: number;
  private readonly port: MessagePortLike;
  private readonly queue: Batch[] = [];
  /** Frames of `queue[0]` already read. */
  private consumed = 0;
  /** Stream index just past the last frame received. */
  private endOfReceived = 0;
  private finalSeen = false;
  private readonly last: RingCounters;
  private readonly listener = (event: { data: unknown }): void => this.receive(event.data);

  constructor(port: MessagePortLike, channels: number, batchFrames: number) {
    this.port = port;
    this.channels = channels;
    this.batchFrames = batchFrames;
    this.last = { droppedFrames: 0, overruns: 0, waits: 0, zeroQuanta: new Array<number>(channels).fill(0) };
    port.addEventListener('message', this.listener);
    port.start(); // addEventListener, unlike onmessage, does not start a port by itself
  }

  /** True once the worklet has posted its last batch (offline end) or its final message ('stop'). */
  get ended(): boolean {
    return this.finalSeen;
  }

  /** Stream index of the next frame read (after the received data if nothing is pending). */
  get nextFrame(): number {
    const head = this.queue[0];
    return head === undefined ? this.endOfReceived : head.t0 + this.consumed;
  }

  available(): number {
    let n = -this.consumed;
    for (const b of this.queue) n += b.frames;
    return n;
  }

  /** Copy up to `maxFrames` contiguous frames (within one batch) into `out[c][offset…]`. */
  read(out: ArrayLike<Float64Array | Float32Array>, offset: number, maxFrames: number): number {
    const head = this.queue[0];
    if (head === undefined) return 0;
    const n = Math.min(maxFrames, head.frames - this.consumed);
    const channels = Math.min(this.channels, out.length);
    for (let c = 0; c < channels; c++) {
      const dst = out[c];
      const base = c * this.batchFrames + this.consumed;
      for (let i = 0; i < n; i++) dst[offset + i] = head.data[base + i];
    }
    this.consumed += n;
    if (this.consumed >= head.frames) {
      this.queue.shift();
      this.consumed = 0;
      this.port.postMessage(head.buffer, [head.buffer]); // back to the worklet's pool
    }
    return n;
  }

  /** Ask the worklet to start capturing (realtime). */
  start(): void {
    this.port.postMessage('start', []);
  }

  /** Ask the worklet to stop, post what it holds and its final counters. */
  stop(): void {
    this.port.postMessage('stop', []);
  }

  /** Stop listening (the worklet's last messages, if any, are ignored). */
  close(): void {
    this.port.removeEventListener('message', this.listener);
  }

  counters(): RingCounters {
    return { ...this.last, zeroQuanta: this.last.zeroQuanta.slice() };
  }

  private receive(msg: unknown): void {
    if (msg instanceof ArrayBuffer) {
      const header = new Float64Array(msg, 0, HEADER_FLOATS);
      const batch: Batch = {
        buffer: msg,
        t0: header[H_T0],
        frames: header[H_FRAMES],
        data: new Float32Array(msg, HEADER_BYTES),
      };
      this.last.droppedFrames = header[H_DROPPED];
      this.last.overruns = header[H_OVERRUNS];
      for (let c = 0; c < this.channels; c++) this.last.zeroQuanta[c] = header[H_ZERO_QUANTA + c];
      this.endOfReceived = batch.t0 + batch.frames;
      if (header[H_FINAL] === 1) this.finalSeen = true;
      if (batch.frames > 0) this.queue.push(batch);
      else this.port.postMessage(msg, [msg]);
      return;
    }
    if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'final') {
      const f = msg as FinalMessage;
      this.last.droppedFrames = f.droppedFrames;
      this.last.overruns = f.overruns;
      for (let c = 0; c < this.channels; c++) this.last.zeroQuanta[c] = f.zeroQuanta[c] ?? 0;
      this.endOfReceived = Math.max(this.endOfReceived, f.endFrame);
      this.finalSeen = true;
    }
  }
}
