/**
 * A ring producer for tests of the reader (`src/stream/ring-buffer.ts`): the capture worklet's ring
 * algorithm with what the worklet cannot do on demand — writes of any length from any offset, partial
 * writes when the ring is nearly full, and drops at a chosen point. The shipped producer is
 * `worklets/capture.worklet.js`; tests of it run the worklet itself (`src/stream/worklet-host.ts`).
 */
import {
  CTL_DROPPED_FRAMES,
  CTL_GAP_READ,
  CTL_GAP_WRITE,
  CTL_OVERRUNS,
  CTL_READ,
  CTL_WRITE,
  ringViews,
  usedSlots,
  type RingLayout,
  type RingViews,
} from '../../src/stream/ring-buffer.js';

export class RingWriter {
  private readonly layout: RingLayout;
  private readonly views: RingViews;
  /** Frames written so far (positions of gaps are in these units). */
  private written = 0;
  /** Frames dropped since the last published gap. */
  private pendingGap = 0;

  constructor(layout: RingLayout) {
    this.layout = layout;
    this.views = ringViews(layout);
  }

  /** Free frames. */
  space(): number {
    const { ctl } = this.views;
    const cap = this.layout.capacity;
    return cap - usedSlots(Atomics.load(ctl, CTL_WRITE), Atomics.load(ctl, CTL_READ), cap);
  }

  /**
   * Write `length` frames from `input[c][offset…]` for every channel (a missing channel writes
   * zeros), or as many as fit; returns the frames written. Publishes a pending gap first.
   */
  push(input: ArrayLike<ArrayLike<number> | undefined>, offset: number, length: number): number {
    const { ctl, data } = this.views;
    const cap = this.layout.capacity;
    const write = Atomics.load(ctl, CTL_WRITE);
    const n = Math.min(length, cap - usedSlots(write, Atomics.load(ctl, CTL_READ), cap));
    if (n <= 0) return 0;
    if (this.pendingGap > 0) this.publishGap();
    const pos = write >= cap ? write - cap : write;
    const first = Math.min(n, cap - pos);
    for (let c = 0; c < this.layout.channels; c++) {
      const src = c < input.length ? input[c] : undefined;
      const base = c * cap;
      if (src === undefined) {
        data.fill(0, base + pos, base + pos + first);
        data.fill(0, base, base + n - first);
        continue;
      }
      for (let i = 0; i < first; i++) data[base + pos + i] = src[offset + i];
      for (let i = first; i < n; i++) data[base + i - first] = src[offset + i];
    }
    let next = write + n;
    if (next >= 2 * cap) next -= 2 * cap;
    Atomics.store(ctl, CTL_WRITE, next);
    this.written += n;
    return n;
  }

  /** Record `frames` dropped at the current position (one overrun), as a realtime producer does. */
  dropFrames(frames: number): void {
    this.pendingGap += frames;
    Atomics.add(this.views.ctl, CTL_DROPPED_FRAMES, frames);
    Atomics.add(this.views.ctl, CTL_OVERRUNS, 1);
  }

  private publishGap(): void {
    const { ctl, gaps } = this.views;
    const g = this.layout.gapCapacity;
    const gw = Atomics.load(ctl, CTL_GAP_WRITE);
    // Gap log full: keep the gap pending; later drops merge into it (see ring-buffer.ts).
    if (usedSlots(gw, Atomics.load(ctl, CTL_GAP_READ), g) >= g) return;
    const slot = gw >= g ? gw - g : gw;
    gaps[2 * slot] = this.written;
    gaps[2 * slot + 1] = this.pendingGap;
    let next = gw + 1;
    if (next >= 2 * g) next -= 2 * g;
    Atomics.store(ctl, CTL_GAP_WRITE, next);
    this.pendingGap = 0;
  }
}
