/**
 * Aligns deg to ref in a live stream: pairs ref[i] (and noisy[i]) with deg[i + D], D being the delay
 * the DelayTracker accepted, exactly like the offline analysis does for a constant D. Output waits
 * for the first delay lock (at most `lockTimeoutSec`, after which D = 0 is assumed and said so),
 * and follows every later change of D (drift, jumps) from the next output sample on.
 * History is kept in fixed rings (Float32: captured audio is float32 anyway and 16-bit PCM is exact
 * in it), so memory does not grow with the stream.
 */
import type { StreamBlock } from '../stream/types.js';
import { DelayTracker, type DelayUpdate } from './delay-tracker.js';

export interface AlignedChunk {
  ref: Float64Array;
  deg: Float64Array;
  noisy?: Float64Array;
  /** deg's sample index just after this chunk (stream time of its end × rate). */
  degEnd: number;
}

export interface AlignerOptions {
  sampleRate: number;
  withNoisy: boolean;
  maxDelaySec?: number;
  lockTimeoutSec?: number;
  /** Largest chunk handed on at once. */
  chunk?: number;
}

export interface AlignerEvents {
  onChunk(chunk: AlignedChunk): void;
  onDelay(update: DelayUpdate | { delaySamples: 0; confidence: 0; kind: 'lost'; at: number }): void;
}

class History {
  readonly data: Float32Array;
  written = 0;
  constructor(size: number) {
    this.data = new Float32Array(size);
  }
  append(x: Float64Array): void {
    const n = this.data.length;
    for (let i = 0; i < x.length; i++) this.data[(this.written + i) % n] = x[i];
    this.written += x.length;
  }
  has(index: number): boolean {
    return index >= 0 && index < this.written && index >= this.written - this.data.length;
  }
  read(index: number): number {
    return this.data[index % this.data.length];
  }
}

export class Aligner {
  readonly tracker: DelayTracker;
  private readonly ref: History;
  private readonly deg: History;
  private readonly noisy: History | null;
  private readonly lockTimeout: number;
  private readonly chunk: number;
  private delay: number | null = null;
  /** Next output index i (ref time): pairs ref[i] with deg[i + delay]. */
  private next = 0;
  private readonly outRef: Float64Array;
  private readonly outDeg: Float64Array;
  private readonly outNoisy: Float64Array;

  constructor(
    private readonly options: AlignerOptions,
    private readonly events: AlignerEvents,
  ) {
    const fs = options.sampleRate;
    const maxDelay = Math.round((options.maxDelaySec ?? 1) * fs);
    this.lockTimeout = Math.round((options.lockTimeoutSec ?? 3) * fs);
    this.tracker = new DelayTracker({ sampleRate: fs, maxDelaySec: options.maxDelaySec ?? 1 });
    const size = this.lockTimeout + 2 * maxDelay + fs; // held before lock + the delay either way + a block
    this.ref = new History(size);
    this.deg = new History(size);
    this.noisy = options.withNoisy ? new History(size) : null;
    this.chunk = options.chunk ?? 1024;
    this.outRef = new Float64Array(this.chunk);
    this.outDeg = new Float64Array(this.chunk);
    this.outNoisy = new Float64Array(this.chunk);
  }

  get currentDelay(): number | null {
    return this.delay;
  }

  push(block: StreamBlock): void {
    this.ref.append(block.ref);
    this.deg.append(block.deg);
    if (this.noisy && block.noisy) this.noisy.append(block.noisy);
    const update = this.tracker.push(block.ref, block.deg);
    if (update) this.accept(update);
    if (this.delay === null && this.deg.written >= this.lockTimeout) {
      this.delay = 0;
      this.next = 0;
      this.events.onDelay({ delaySamples: 0, confidence: 0, kind: 'lost', at: this.deg.written });
    }
    this.drain();
  }

  /** End of input: lock now if never locked (short streams), then hand on everything pairable. */
  end(): void {
    if (this.delay === null) {
      const update = this.tracker.estimateNow();
      if (update) this.accept(update);
      else {
        this.delay = 0;
        this.events.onDelay({ delaySamples: 0, confidence: 0, kind: 'lost', at: this.deg.written });
      }
    }
    this.drain();
  }

  private accept(update: DelayUpdate): void {
    if (this.delay === null) this.next = Math.max(0, -update.delaySamples); // as offline: start at the first pairable sample
    this.delay = update.delaySamples;
    this.events.onDelay(update);
  }

  private drain(): void {
    if (this.delay === null) return;
    for (;;) {
      const d = this.delay;
      // ref[i] and deg[i + d] (and noisy[i]) must all be here.
      let n = 0;
      while (n < this.chunk) {
        const i = this.next + n;
        if (!this.ref.has(i) || !this.deg.has(i + d) || (this.noisy && !this.noisy.has(i))) break;
        this.outRef[n] = this.ref.read(i);
        this.outDeg[n] = this.deg.read(i + d);
        if (this.noisy) this.outNoisy[n] = this.noisy.read(i);
        n++;
      }
      if (n === 0) {
        // Samples that fell out of the history (a delay change beyond it) are skipped, not waited for.
        const i = this.next;
        if (i < this.ref.written - this.ref.data.length || i + d < this.deg.written - this.deg.data.length) {
          this.next = Math.max(this.ref.written - this.ref.data.length, this.deg.written - this.deg.data.length - d);
          continue;
        }
        return;
      }
      this.next += n;
      this.events.onChunk({
        ref: this.outRef.subarray(0, n),
        deg: this.outDeg.subarray(0, n),
        noisy: this.noisy ? this.outNoisy.subarray(0, n) : undefined,
        degEnd: this.next + d,
      });
    }
  }
}
