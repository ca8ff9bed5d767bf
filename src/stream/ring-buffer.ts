/**
 * The SharedArrayBuffer ring between the capture worklet (producer, audio thread) and the engine
 * (consumer, main thread): its memory layout, a consumer-side reader, and a producer-side writer
 * with the same logic as `worklets/capture.worklet.js` (which cannot import anything, so it repeats
 * the layout constants; `test/stream/ring-buffer.test.ts` checks that the two agree).
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
 * Real-time safety (audio thread): `RingWriter.push`, `RingWriter.dropFrames` and every getter never
 * allocate or throw. `RingReader` methods run on the consumer thread; `read` does not allocate.
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

/** Frames stored between mirror indices `read` and `write` of a ring of `capacity`. */
function used(write: number, read: number, capacity: number): number {
  const d = write - read;
  return d < 0 ? d + 2 * capacity : d;
}

function readCounters(ctl: Int32Array, channels: number): RingCounters {
  const zeroQuanta: number[] = [];
  for (let c = 0; c < channels; c++) zeroQuanta.push(Atomics.load(ctl, CTL_ZERO_QUANTA + c));
  return {
    droppedFrames: Atomics.load(ctl, CTL_DROPPED_FRAMES),
    overruns: Atomics.load(ctl, CTL_OVERRUNS),
    waits: Atomics.load(ctl, CTL_WAITS),
    zeroQuanta,
  };
}

/** The views both ends of a ring keep on its shared memory. */
abstract class RingEnd {
  readonly capacity: number;
  readonly channels: number;
  protected readonly ctl: Int32Array;
  protected readonly data: Float32Array;
  protected readonly gaps: Float64Array;
  protected readonly gapCapacity: number;

  constructor(layout: RingLayout) {
    this.capacity = layout.capacity;
    this.channels = layout.channels;
    this.gapCapacity = layout.gapCapacity;
    this.ctl = new Int32Array(layout.control, 0, CTL_INTS);
    this.gaps = new Float64Array(layout.control, GAP_LOG_BYTE_OFFSET, 2 * layout.gapCapacity);
    this.data = new Float32Array(layout.data);
  }
}

/**
 * Consumer side. Reads converted to Float64 into caller buffers; never reads across a gap.
 *
 * @example
 *   const reader = new RingReader(layout);
 *   const t0 = reader.nextFrame;                 // stream index of the next frame
 *   const n = reader.read([ref, deg], 0, 1024);  // frames copied, all contiguous from t0
 */
export class RingReader extends RingEnd {
  /** Frames taken out of the ring so far (excludes gaps). */
  private framesRead = 0;
  /** Frames dropped in gaps already passed. */
  private gapFrames = 0;


  /** Stream index (frames since capture start, including dropped frames) of the next frame read. */
  get nextFrame(): number {
    this.passGapsAtHead();
    return this.framesRead + this.gapFrames;
  }

  /** Frames readable now (before and after gaps alike). */
  available(): number {
    return used(Atomics.load(this.ctl, CTL_WRITE), Atomics.load(this.ctl, CTL_READ), this.capacity);
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
    let n = Math.min(maxFrames, used(write, read, cap));
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

  counters(): RingCounters {
    return readCounters(this.ctl, this.channels);
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

/**
 * Producer side, the same algorithm as the capture worklet: for tests, benchmarks and producers
 * that run in a worker thread. `push` is real-time safe (no allocation, no throw).
 */
export class RingWriter extends RingEnd {
  /** Frames written so far (positions of gaps are in these units). */
  private written = 0;
  /** Frames dropped since the last published gap. */
  private pendingGap = 0;


  /** Free frames. */
  space(): number {
    return this.capacity - used(Atomics.load(this.ctl, CTL_WRITE), Atomics.load(this.ctl, CTL_READ), this.capacity);
  }

  state(): number {
    return Atomics.load(this.ctl, CTL_STATE);
  }

  /**
   * Write `length` frames from `input[c][offset…]` for every channel (a missing channel writes
   * zeros), or as many as fit; returns the frames written. Publishes a pending gap first.
   */
  push(input: ArrayLike<ArrayLike<number> | undefined>, offset: number, length: number): number {
    const cap = this.capacity;
    const write = Atomics.load(this.ctl, CTL_WRITE);
    const n = Math.min(length, cap - used(write, Atomics.load(this.ctl, CTL_READ), cap));
    if (n <= 0) return 0;
    if (this.pendingGap > 0) this.publishGap();
    const pos = write >= cap ? write - cap : write;
    const first = Math.min(n, cap - pos);
    for (let c = 0; c < this.channels; c++) {
      const src = c < input.length ? input[c] : undefined;
      const base = c * cap;
      if (src === undefined) {
        this.data.fill(0, base + pos, base + pos + first);
        this.data.fill(0, base, base + n - first);
        continue;
      }
      for (let i = 0; i < first; i++) this.data[base + pos + i] = src[offset + i];
      for (let i = first; i < n; i++) this.data[base + i - first] = src[offset + i];
    }
    let next = write + n;
    if (next >= 2 * cap) next -= 2 * cap;
    Atomics.store(this.ctl, CTL_WRITE, next);
    this.written += n;
    return n;
  }

  /** Record `frames` dropped at the current position (one overrun), as a realtime producer does. */
  dropFrames(frames: number): void {
    this.pendingGap += frames;
    Atomics.add(this.ctl, CTL_DROPPED_FRAMES, frames);
    Atomics.add(this.ctl, CTL_OVERRUNS, 1);
  }

  /** Count one quantum of channel `c` as having had no connected input. */
  countZeroQuantum(c: number): void {
    Atomics.add(this.ctl, CTL_ZERO_QUANTA + c, 1);
  }

  counters(): RingCounters {
    return readCounters(this.ctl, this.channels);
  }

  private publishGap(): void {
    const gw = Atomics.load(this.ctl, CTL_GAP_WRITE);
    // Gap log full: keep the gap pending; later drops merge into it (see the module comment).
    if (used(gw, Atomics.load(this.ctl, CTL_GAP_READ), this.gapCapacity) >= this.gapCapacity) return;
    const slot = gw >= this.gapCapacity ? gw - this.gapCapacity : gw;
    this.gaps[2 * slot] = this.written;
    this.gaps[2 * slot + 1] = this.pendingGap;
    let next = gw + 1;
    if (next >= 2 * this.gapCapacity) next -= 2 * this.gapCapacity;
    Atomics.store(this.ctl, CTL_GAP_WRITE, next);
    this.pendingGap = 0;
  }
}
