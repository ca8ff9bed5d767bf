/**
 * Aligns deg to ref in a live stream: pairs deg[m] with ref (and noisy) at m − D(m), D(m) being the
 * DelayTracker's model (its latest estimate, extrapolated along the clock drift), interpolated with
 * the windowed-sinc fractional delay of the offline analysis (src/dsp/fractional-delay.ts); a
 * whole-sample D gives ref's samples exactly, as offline. Output waits for the first delay lock (at
 * most `lockTimeoutSec`, after which D = 0 is assumed and said so), and follows every later change
 * of D (drift, jumps) from the next output sample on.
 * History is kept in fixed rings (Float32: captured audio is float32 anyway and 16-bit PCM is exact
 * in it), so memory does not grow with the stream; the delay tracker reads its full-rate frames from
 * them too.
 */
import type { StreamBlock } from '../stream/types.js';
import { FD_HALF, interpolateAt } from '../dsp/fractional-delay.js';
import { DelayTracker, type DelayLost, type DelayUpdate, type SampleHistory } from './delay-tracker.js';

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
  onDelay(update: DelayUpdate | DelayLost): void;
}

class History implements SampleHistory {
  readonly data: Float32Array;
  written = 0;
  constructor(size: number) {
    this.data = new Float32Array(size);
  }
  append(x: Float64Array): void {
    // Block copies up to the wrap point (float64 → float32 rounds as an element store does).
    const n = this.data.length;
    let at = this.written % n;
    for (let i = 0; i < x.length; ) {
      const take = Math.min(x.length - i, n - at);
      this.data.set(x.subarray(i, i + take), at);
      i += take;
      at = 0;
    }
    this.written += x.length;
  }
  has(index: number): boolean {
    return index >= 0 && index < this.written && index >= this.written - this.data.length;
  }
  read(index: number): number {
    return this.data[index % this.data.length];
  }
  /** Oldest index still held. */
  get oldest(): number {
    return Math.max(0, this.written - this.data.length);
  }
  /** Samples [from, from + out.length) into out if all are held (two block copies, float32 → float64 exact). */
  copyRange(from: number, out: Float64Array): boolean {
    const n = out.length;
    const size = this.data.length;
    if (from < 0 || from + n > this.written || this.written - from > size) return false;
    const at = from % size;
    const first = Math.min(n, size - at);
    out.set(this.data.subarray(at, at + first), 0);
    if (first < n) out.set(this.data.subarray(0, n - first), first);
    return true;
  }
  /** Samples [from, from + out.length) into out, zero where not held. */
  copy(from: number, out: Float64Array): void {
    for (let j = 0; j < out.length; j++) out[j] = this.has(from + j) ? this.read(from + j) : 0;
  }
}

/**
 * A float64 copy of a stretch of one history (ref or noisy) that the interpolator reads: refilled
 * when an output needs samples outside it, never holding samples not yet written.
 */
class Span {
  private readonly buf = new Float64Array(4096);
  private start = 0;
  private end = 0;
  constructor(private readonly h: History) {}

  /** The stream at i + f: its sample (f = 0), or the fractional-delay interpolation. */
  at(i: number, f: number): number {
    const h = this.h;
    if (f === 0) return h.has(i) ? h.read(i) : 0;
    const lo = i - FD_HALF + 1;
    const hi = i + FD_HALF;
    if (lo < this.start || Math.min(hi, h.written - 1) >= this.end) {
      this.start = lo;
      this.end = Math.min(lo + this.buf.length, h.written);
      h.copy(lo, this.buf.subarray(0, Math.max(0, this.end - lo)));
    }
    return interpolateAt(this.buf, this.start, 0, Math.min(h.written, this.end), i, f);
  }
}

export class Aligner {
  readonly tracker: DelayTracker;
  private readonly ref: History;
  private readonly deg: History;
  private readonly noisy: History | null;
  private readonly lockTimeout: number;
  private readonly chunk: number;
  /** D(m) = intercept + slope · m, or null before the lock. */
  private model: { intercept: number; slope: number } | null = null;
  /** Next output: deg sample m. */
  private next = 0;
  private readonly outRef: Float64Array;
  private readonly outDeg: Float64Array;
  private readonly outNoisy: Float64Array;
  private readonly refSpan: Span;
  private readonly noisySpan: Span | null;

  constructor(
    private readonly options: AlignerOptions,
    private readonly events: AlignerEvents,
  ) {
    const fs = options.sampleRate;
    const maxDelay = Math.round((options.maxDelaySec ?? 1) * fs);
    this.lockTimeout = Math.round((options.lockTimeoutSec ?? 3) * fs);
    // What an output can still need: before the lock, everything since the start (up to the lock
    // timeout; the first output pairs deg[D] with ref[0], or deg[0] with ref[−D]); after it, a delay
    // change from −maxDelay to +maxDelay reaches 2·maxDelay back in ref while deg waits maxDelay for
    // ref; the tracker's refinement frames (DelayTracker.historyNeeded). Plus one tracker refresh
    // piece (≤ 0.5 s) appended before the drain, within the second.
    const size = Math.max(this.lockTimeout, 2 * maxDelay, DelayTracker.historyNeeded(fs, options.maxDelaySec ?? 1)) + fs;
    this.ref = new History(size);
    this.deg = new History(size);
    this.noisy = options.withNoisy ? new History(size) : null;
    // The tracker reads its refinement frames from these rings (appended before each tracker push).
    this.tracker = new DelayTracker({ sampleRate: fs, maxDelaySec: options.maxDelaySec ?? 1, history: { ref: this.ref, deg: this.deg } });
    this.refSpan = new Span(this.ref);
    this.noisySpan = this.noisy && new Span(this.noisy);
    this.chunk = options.chunk ?? 1024;
    this.outRef = new Float64Array(this.chunk);
    this.outDeg = new Float64Array(this.chunk);
    this.outNoisy = new Float64Array(this.chunk);
  }

  /** The delay (fractional samples) applied to the next output sample, or null before the lock. */
  get currentDelay(): number | null {
    return this.model === null ? null : this.model.intercept + this.model.slope * this.next;
  }

  /** The deg sample the next output pairs. */
  get position(): number {
    return this.next;
  }

  /** Clock drift (ppm) the alignment follows, or null before the lock. */
  get driftPpm(): number | null {
    return this.model === null ? null : this.model.slope * 1e6;
  }

  push(block: StreamBlock): void {
    // In pieces that end where the tracker estimates, so that each estimate applies from the same
    // sample on whatever the block size (the output does not depend on how the input was cut).
    const n = block.ref.length;
    for (let at = 0; at < n; ) {
      const take = Math.min(n - at, this.tracker.untilRefresh);
      const piece = (x: Float64Array) => x.subarray(at, at + take);
      this.pushPiece(piece(block.ref), piece(block.deg), block.noisy && piece(block.noisy));
      at += take;
    }
  }

  private pushPiece(ref: Float64Array, deg: Float64Array, noisy: Float64Array | undefined): void {
    this.ref.append(ref);
    this.deg.append(deg);
    if (this.noisy && noisy) this.noisy.append(noisy);
    const update = this.tracker.push(ref, deg);
    if (update) this.accept(update);
    else if (this.model !== null && this.tracker.model) this.model = this.tracker.model; // fractional refinements between updates
    const lost = this.tracker.takeLost();
    if (lost) this.events.onDelay(lost);
    if (this.model === null && this.deg.written >= this.lockTimeout) this.unlocked();
    this.drain();
  }

  /** End of input: lock now if never locked (short streams), then hand on everything pairable. */
  end(): void {
    if (this.model === null) {
      const update = this.tracker.estimateNow();
      if (update) this.accept(update);
      else this.unlocked();
    }
    this.drain();
  }

  /** No lock in time: D = 0, and said so. */
  private unlocked(): void {
    this.model = { intercept: 0, slope: 0 };
    this.next = 0;
    this.events.onDelay({ delaySamples: 0, delayExact: 0, driftPpm: 0, confidence: 0, kind: 'lost', at: this.deg.written });
  }

  private accept(update: DelayUpdate): void {
    const model = this.tracker.model;
    if (model) {
      if (this.model === null) this.next = Math.max(0, Math.ceil(model.intercept / (1 - model.slope))); // as offline: the first pairable sample
      this.model = model;
    }
    this.events.onDelay(update);
  }

  private drain(): void {
    if (this.model === null) return;
    const K = FD_HALF;
    for (;;) {
      const { intercept, slope } = this.model;
      if (slope === 0 && Number.isInteger(intercept) && this.copyWhole(intercept)) continue;
      let n = 0;
      while (n < this.chunk) {
        const m = this.next + n;
        const p = m - (intercept + slope * m);
        const i = Math.floor(p);
        const f = p - i;
        // deg[m] and ref (and noisy) around p must all be here.
        const need = f === 0 ? i : i + K;
        if (!this.deg.has(m) || need >= this.ref.written || (this.noisy && need >= this.noisy.written)) break;
        if (i + K < this.ref.oldest) break; // fell out of the history: skipped below
        this.outDeg[n] = this.deg.read(m);
        this.outRef[n] = this.refSpan.at(i, f);
        if (this.noisySpan) this.outNoisy[n] = this.noisySpan.at(i, f);
        n++;
      }
      if (n === 0) {
        // Samples that fell out of the history (a delay change beyond it) are skipped, not waited for.
        const m = this.next;
        const p = m - (intercept + slope * m);
        if (m < this.deg.oldest || (p + K < this.ref.oldest && this.ref.written > 0)) {
          this.next = Math.max(this.deg.oldest, Math.ceil((this.ref.oldest + K + intercept) / (1 - slope)), m + 1);
          continue;
        }
        return;
      }
      this.handOn(n);
    }
  }

  /**
   * A whole-sample delay D: the next outputs are stored samples (deg[m], ref[m − D]), copied as blocks
   * while all of them are held (what the per-sample loop would produce, without its per-sample checks).
   * False when nothing can be copied that way.
   */
  private copyWhole(d: number): boolean {
    const m0 = this.next;
    const i0 = m0 - d;
    const noisy = this.noisy;
    const n = Math.min(this.chunk, this.deg.written - m0, this.ref.written - i0, noisy ? noisy.written - i0 : Infinity);
    if (!(n > 0) || m0 < this.deg.oldest || i0 < 0 || i0 < this.ref.oldest || (noisy && i0 < noisy.oldest)) return false;
    this.deg.copyRange(m0, this.outDeg.subarray(0, n));
    this.ref.copyRange(i0, this.outRef.subarray(0, n));
    if (noisy) noisy.copyRange(i0, this.outNoisy.subarray(0, n));
    this.handOn(n);
    return true;
  }

  /** The next n outputs (in the out buffers) to the consumer. */
  private handOn(n: number): void {
    this.next += n;
    this.events.onChunk({
      ref: this.outRef.subarray(0, n),
      deg: this.outDeg.subarray(0, n),
      noisy: this.noisy ? this.outNoisy.subarray(0, n) : undefined,
      degEnd: this.next,
    });
  }
}
