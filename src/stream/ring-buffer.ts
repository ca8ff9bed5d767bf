/**
 * The SharedArrayBuffer ring between the capture worklet (producer, audio thread) and the engine
 * (consumer, main thread): its memory layout and the consumer-side reader. The producer is
 * `worklets/capture.worklet.js`, which cannot import anything, so it repeats the layout constants;
 * `test/stream/ring-buffer.test.ts` checks that the two agree and drives the worklet's own producer
 * code against the reader.
 *
 * Layout (single producer, single consumer):
 * - `data`: one SharedArrayBuffer of Float32, planar: channel c occupies `[c·capacity, (c+1)·capacity)`.
 *   All channels advance together (one write and one read index), so a read always returns the
 *   same frames of every channel.
 * - `control`: one SharedArrayBuffer: `CTL_INTS` Int32 slots (indices, state, counters), then the gap
 *   log (`gapCapacity` entries of two Float64: position, length).
 *
 * Indices are "mirror" indices in `[0, 2·capacity)`: empty when `write == read`, full when
 * `write − read ≡ capacity (mod 2·capacity)`. Unlike the one-empty-slot scheme (ringbuf.js) every
 * frame is usable and any capacity works. The producer publishes data by storing the write index
 * with `Atomics.store` after copying the samples (Atomics are sequentially consistent, so the samples
 * are visible to a consumer that `Atomics.load`s that index); the consumer releases space likewise.
 * There is no `Atomics.notify` per render quantum: the consumer polls once per hop. The consumer
 * does notify after freeing space (once per read, not per quantum), which wakes a producer that
 * waits in an offline render.
 *
 * Gaps: a realtime producer that finds the ring full drops the frames (and counts them). So that
 * stream time stays exact, it logs each gap as `(position, length)`: `position` is the number of
 * frames written before the gap, `length` the frames dropped. The reader never reads across a gap
 * and adds its length to `nextFrame`. If the gap log itself is full the producer keeps merging drops
 * into one pending gap, published once the log has room (total stream time stays exact; only the
 * merged gap sits later than where the frames were really dropped).
 *
 * Real-time safety: the producer's rules are the worklet's (no allocation, no throwing in
 * `process()`). `RingReader` methods run on the consumer thread; `read` does not allocate.
 */

import { earshotError } from '../errors.js';

/** Int32 control slots (byte offset = 4·slot). Must match `worklets/capture.worklet.js`. */
export const CTL_WRITE = 0; // mirror write index, producer-owned
export const CTL_READ = 1; // mirror read index, consumer-owned
export const CTL_STATE = 2; // STATE_* below, consumer-owned
export const CTL_DROPPED_FRAMES = 3; // frames dropped because the ring was full (cumulative, wraps at 2^31)
export const CTL_OVERRUNS = 4; // render quanta (pushes) dropped because the ring was full
export const CTL_GAP_WRITE = 5; // mirror index into the gap log, producer-owned
export const CTL_GAP_READ = 6; // mirror index into the gap log, consumer-owned
export const CTL_WAITS = 7; // times a waiting producer had to block on a full ring (offline)
export const CTL_ZERO_QUANTA = 8; // 8 slots: per channel, quanta whose input had no connection
export const CTL_INTS = 16;
/** Byte offset of the gap log (Float64 pairs) inside the control SharedArrayBuffer. */
export const GAP_LOG_BYTE_OFFSET = CTL_INTS * 4;
/** At most this many channels (streams) per ring: the zero-quanta counters have 8 slots. */
export const MAX_CHANNELS = 8;

/** Producer does nothing (not started yet): realtime capture starts when a consumer subscribes. */
export const STATE_IDLE = 0;
/** Producer captures. */
export const STATE_RUNNING = 1;
/** Consumer has gone: producer captures nothing more and never waits. */
export const STATE_CLOSED = 2;

/** Default gap-log entries: plenty, since a gap needs the ring to be full and then drained again. */
export const DEFAULT_GAP_CAPACITY = 64;

/** The shared memory of one ring; structured-clones through `processorOptions` and `postMessage`. */
export interface RingLayout {
  /** Frames per channel. */
  capacity: number;
  channels: number;
  gapCapacity: number;
  data: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

export interface RingCounters {
  /** Frames dropped by the producer because the ring was full (all channels alike). */
  droppedFrames: number;
  /** Pushes (render quanta for the worklet) dropped because the ring was full. */
  overruns: number;
  /** Times a waiting (offline) producer blocked on a full ring before it could write. */
  waits: number;
  /** Per channel: quanta whose input had no connection (written as zeros, not as missing). */
  zeroQuanta: number[];
}

/** True where SharedArrayBuffer can be used (Node; browsers only when cross-origin isolated). */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  const g = globalThis as { crossOriginIsolated?: boolean };
  return g.crossOriginIsolated !== false;
}

/**
 * Allocate the shared memory of a ring.
 * @param capacity frames per channel, 1 ≤ capacity < 2^30
 * @param channels 1..MAX_CHANNELS
 */
export function createRingLayout(capacity: number, channels: number, gapCapacity = DEFAULT_GAP_CAPACITY): RingLayout {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity >= 2 ** 30) {
    throw earshotError('ERR_INVALID_ARGUMENT', `ring capacity: expected an integer in [1, 2^30), got ${capacity}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
    throw earshotError('ERR_INVALID_ARGUMENT', `ring channels: expected an integer in [1, ${MAX_CHANNELS}], got ${channels}`);
  }
  if (!Number.isInteger(gapCapacity) || gapCapacity < 1 || gapCapacity >= 2 ** 20) {
    throw earshotError('ERR_INVALID_ARGUMENT', `ring gap capacity: expected an integer in [1, 2^20), got ${gapCapacity}`);
  }
  return {
    capacity,
    channels,
    gapCapacity,
    data: new SharedArrayBuffer(capacity * channels * Float32Array.BYTES_PER_ELEMENT),
    control: new SharedArrayBuffer(GAP_LOG_BYTE_OFFSET + gapCapacity * 2 * Float64Array.BYTES_PER_ELEMENT),
  };
}

/** Entries stored between mirror indices `read` and `write` of a ring (or gap log) of `capacity`. */
export function usedSlots(write: number, read: number, capacity: number): number {
  const d = write - read;
  return d < 0 ? d + 2 * capacity : d;
}

/** Views of a ring's shared memory, as both ends keep them. */
export interface RingViews {
  /** The Int32 control slots (CTL_*). */
  readonly ctl: Int32Array;
  /** The gap log: (position, length) per entry. */
  readonly gaps: Float64Array;
  /** Planar samples: channel c at [c·capacity, (c+1)·capacity). */
  readonly data: Float32Array;
}

export function ringViews(layout: RingLayout): RingViews {
  return {
    ctl: new Int32Array(layout.control, 0, CTL_INTS),
    gaps: new Float64Array(layout.control, GAP_LOG_BYTE_OFFSET, 2 * layout.gapCapacity),
    data: new Float32Array(layout.data),
  };
}

/**
 * Consumer side. Reads converted to Float64 into caller buffers; never reads across a gap.
 *
 * @example
 *   const reader = new RingReader(layout);
 *   const t0 = reader.nextFrame;                 // stream index of the next frame
 *   const n = reader.read([ref, deg], 0, 1024);  // frames copied, all contiguous from t0
 */
export class RingReader {
  readonly capacity: number;
  readonly channels: number;
  private readonly ctl: Int32Array;
  private readonly data: Float32Array;
  private readonly gaps: Float64Array;
  private readonly gapCapacity: number;
  /** Frames taken out of the ring so far (excludes gaps). */
  private framesRead = 0;
  /** Frames dropped in gaps already passed. */
  private gapFrames = 0;

  constructor(layout: RingLayout) {
    this.capacity = layout.capacity;
    this.channels = layout.channels;
    this.gapCapacity = layout.gapCapacity;
    ({ ctl: this.ctl, gaps: this.gaps, data: this.data } = ringViews(layout));
  }

  /** Stream index (frames since capture start, including dropped frames) of the next frame read. */
  get nextFrame(): number {
    this.passGapsAtHead();
    return this.framesRead + this.gapFrames;
  }

  /** Frames readable now (before and after gaps alike). */
  available(): number {
    return usedSlots(Atomics.load(this.ctl, CTL_WRITE), Atomics.load(this.ctl, CTL_READ), this.capacity);
  }

  /**
   * Copy up to `maxFrames` contiguous frames into `out[c][offset…]` (Float64, one array per channel;
   * channels beyond `out.length` are skipped). Stops before the next gap. Returns the frames read.
   */
  read(out: ArrayLike<Float64Array | Float32Array>, offset: number, maxFrames: number): number {
    this.passGapsAtHead();
    const cap = this.capacity;
    const write = Atomics.load(this.ctl, CTL_WRITE);
    const read = Atomics.load(this.ctl, CTL_READ);
    let n = Math.min(maxFrames, usedSlots(write, read, cap));
    const gapAt = this.nextGapPosition();
    if (gapAt >= 0) n = Math.min(n, gapAt - this.framesRead);
    if (n <= 0) return 0;
    const pos = read >= cap ? read - cap : read;
    const first = Math.min(n, cap - pos);
    const channels = Math.min(this.channels, out.length);
    for (let c = 0; c < channels; c++) {
      const dst = out[c];
      const base = c * cap;
      for (let i = 0; i < first; i++) dst[offset + i] = this.data[base + pos + i];
      for (let i = first; i < n; i++) dst[offset + i] = this.data[base + i - first];
    }
    let next = read + n;
    if (next >= 2 * cap) next -= 2 * cap;
    Atomics.store(this.ctl, CTL_READ, next);
    // Wake a producer blocked on a full ring (offline rendering); once per read, not per quantum.
    Atomics.notify(this.ctl, CTL_READ);
    this.framesRead += n;
    return n;
  }

  /** Tell the producer to capture nothing more and never wait again (idempotent). */
  close(): void {
    Atomics.store(this.ctl, CTL_STATE, STATE_CLOSED);
    Atomics.notify(this.ctl, CTL_READ);
  }

  /** Let the producer start capturing (realtime capture starts when someone consumes). */
  start(): void {
    Atomics.compareExchange(this.ctl, CTL_STATE, STATE_IDLE, STATE_RUNNING);
  }

  /** The producer's counters (drops, overruns, waits, unconnected quanta). */
  counters(): RingCounters {
    const ctl = this.ctl;
    const zeroQuanta: number[] = [];
    for (let c = 0; c < this.channels; c++) zeroQuanta.push(Atomics.load(ctl, CTL_ZERO_QUANTA + c));
    return {
      droppedFrames: Atomics.load(ctl, CTL_DROPPED_FRAMES),
      overruns: Atomics.load(ctl, CTL_OVERRUNS),
      waits: Atomics.load(ctl, CTL_WAITS),
      zeroQuanta,
    };
  }

  /** Position (in frames written) of the oldest unread gap, or −1. */
  private nextGapPosition(): number {
    const gr = Atomics.load(this.ctl, CTL_GAP_READ);
    if (gr === Atomics.load(this.ctl, CTL_GAP_WRITE)) return -1;
    const slot = gr >= this.gapCapacity ? gr - this.gapCapacity : gr;
    return this.gaps[2 * slot];
  }

  private passGapsAtHead(): void {
    for (;;) {
      const gr = Atomics.load(this.ctl, CTL_GAP_READ);
      if (gr === Atomics.load(this.ctl, CTL_GAP_WRITE)) return;
      const slot = gr >= this.gapCapacity ? gr - this.gapCapacity : gr;
      if (this.gaps[2 * slot] > this.framesRead) return;
      this.gapFrames += this.gaps[2 * slot + 1];
      let next = gr + 1;
      if (next >= 2 * this.gapCapacity) next -= 2 * this.gapCapacity;
      Atomics.store(this.ctl, CTL_GAP_READ, next);
    }
  }
}
