/**
 * Turns AUDIO frames of several streams (ref, deg, noisy, ...), arriving separately, possibly late,
 * out of order or lost, into time-aligned blocks for the live engine, with bounded buffering.
 *
 * Frames are placed by t0 (sample index in the stream); sequence numbers only detect loss, reordering
 * and duplicates. Nothing is hidden: every irregularity becomes an event, and every sample that is
 * zero-filled or discarded is counted.
 * - gap: a frame's sequence number skips ahead (frames lost in transit, reported at once);
 * - reordered: a frame that was missing by sequence number arrives after later ones;
 * - duplicate: a sequence number seen before (the frame is dropped);
 * - late: samples for a range already passed to the engine (dropped);
 * - overlap: samples for a range another frame already covers (dropped);
 * - dropout: a hole in a stream still empty when the stream has data REORDER_WINDOW past it:
 *   zero-filled, so the engine sees continuous time;
 * - overflow: a stream lagging the most advanced one by more than MAX_SKEW: zero-filled up to it,
 *   which bounds the memory held for the streams that are ahead;
 * - trimmed: at close, samples beyond the shortest stream (the engine scores the common length).
 *
 * Times: the first AUDIO frame of the session fixes position 0 (its t0); blocks handed to the engine
 * start at t0 = 0 and are continuous. Real-time paths here never throw: `accept` returns a status.
 */

/** Default: how long (stream time) a hole waits for a reordered frame before it is zero-filled. */
export const DEFAULT_REORDER_WINDOW_SEC = 0.2;
/** Default: how far one stream may run ahead of another before the laggard is zero-filled. */
export const DEFAULT_MAX_SKEW_SEC = 3;
/** Default: largest forward jump of t0 accepted (beyond it the frame is refused as malformed). */
export const DEFAULT_MAX_JUMP_SEC = 10;
/** Largest block handed to the engine at once (s). */
export const MAX_BLOCK_SEC = 0.5;
/** Sequence numbers remembered as missing, per stream (older ones count as duplicates if they come). */
const MAX_MISSING_SEQS = 4096;

export type ReassemblyEventKind = 'gap' | 'reordered' | 'duplicate' | 'late' | 'overlap' | 'dropout' | 'overflow' | 'trimmed';

export interface ReassemblyEvent {
  event: ReassemblyEventKind;
  /** Index of the stream in the order given to the constructor. */
  stream: number;
  /** Session position (samples from the first frame) where it happened. */
  position: number;
  frames?: number;
  samples?: number;
  expectedSeq?: number;
  seq?: number;
}

export interface ReassemblerOptions {
  streamCount: number;
  sampleRate: number;
  reorderWindowSec?: number;
  maxSkewSec?: number;
  maxJumpSec?: number;
  /** Aligned samples, one array per stream, starting at session position t0. */
  onBlock: (t0: number, channels: Float64Array[]) => void;
  onEvent: (e: ReassemblyEvent) => void;
}

export type AcceptStatus = { ok: true } | { ok: false; message: string };

interface Chunk {
  start: number;
  end: number;
  /** null: zero-filled. */
  data: Float64Array | null;
}

interface StreamState {
  chunks: Chunk[];
  /** Furthest sample end received (absolute position). */
  maxEnd: number;
  /** Next expected sequence number; -1 before the first frame. */
  nextSeq: number;
  missing: Set<number>;
}

const OK: AcceptStatus = { ok: true };

export class Reassembler {
  private readonly streams: StreamState[];
  private readonly reorderWindow: number;
  private readonly maxSkew: number;
  private readonly maxJump: number;
  private readonly maxBlock: number;
  private readonly onBlock: ReassemblerOptions['onBlock'];
  private readonly onEvent: ReassemblerOptions['onEvent'];
  /** Absolute t0 of the first frame; undefined until then. */
  private base: number | undefined;
  /** Absolute position up to which blocks were emitted. */
  private pos = 0;
  private finished = false;

  constructor(o: ReassemblerOptions) {
    this.streams = Array.from({ length: o.streamCount }, () => ({ chunks: [], maxEnd: 0, nextSeq: -1, missing: new Set<number>() }));
    this.reorderWindow = Math.round((o.reorderWindowSec ?? DEFAULT_REORDER_WINDOW_SEC) * o.sampleRate);
    this.maxSkew = Math.round((o.maxSkewSec ?? DEFAULT_MAX_SKEW_SEC) * o.sampleRate);
    this.maxJump = Math.round((o.maxJumpSec ?? DEFAULT_MAX_JUMP_SEC) * o.sampleRate);
    this.maxBlock = Math.max(1, Math.round(MAX_BLOCK_SEC * o.sampleRate));
    this.onBlock = o.onBlock;
    this.onEvent = o.onEvent;
  }

  /** Samples passed to the engine so far (per stream). */
  get emittedSamples(): number {
    return this.base === undefined ? 0 : this.pos - this.base;
  }

  /** Samples held waiting for other streams or for missing frames, over all streams. */
  get bufferedSamples(): number {
    let n = 0;
    for (const st of this.streams) for (const c of st.chunks) if (c.data) n += c.end - Math.max(c.start, this.pos);
    return n;
  }

  /** One AUDIO frame. Returns a refusal only for frames that cannot be placed at all. */
  accept(streamIndex: number, seq: number, t0: number, samples: Float64Array): AcceptStatus {
    if (this.finished) return { ok: false, message: 'session already closed' };
    const st = this.streams[streamIndex];
    if (this.base === undefined) {
      this.base = t0;
      this.pos = t0;
      for (const s of this.streams) s.maxEnd = t0;
    }
    const position = Math.max(0, t0 - this.base);

    // Sequence numbers: detect loss, reordering and duplicates.
    if (st.nextSeq < 0 || seq === st.nextSeq) st.nextSeq = seq + 1;
    else if (seq > st.nextSeq) {
      const lost = seq - st.nextSeq;
      for (let s = Math.max(st.nextSeq, seq - MAX_MISSING_SEQS); s < seq; s++) st.missing.add(s);
      while (st.missing.size > MAX_MISSING_SEQS) st.missing.delete(st.missing.values().next().value as number);
      this.onEvent({ event: 'gap', stream: streamIndex, position, frames: lost, expectedSeq: st.nextSeq, seq });
      st.nextSeq = seq + 1;
    } else if (st.missing.delete(seq)) {
      this.onEvent({ event: 'reordered', stream: streamIndex, position, frames: 1, seq });
    } else {
      this.onEvent({ event: 'duplicate', stream: streamIndex, position, frames: 1, samples: samples.length, seq });
      return OK;
    }

    if (samples.length === 0) return OK;
    let start = t0;
    let data = samples;
    const end = t0 + samples.length;
    if (end <= this.pos) {
      this.onEvent({ event: 'late', stream: streamIndex, position, frames: 1, samples: samples.length, seq });
      return OK;
    }
    if (start < this.pos) {
      const k = this.pos - start;
      this.onEvent({ event: 'late', stream: streamIndex, position, frames: 1, samples: k, seq });
      data = data.subarray(k);
      start = this.pos;
    }
    if (start > Math.max(st.maxEnd, this.pos) + this.maxJump) {
      return { ok: false, message: `t0 ${t0} jumps ${start - st.maxEnd} samples past the stream's end; at most ${this.maxJump} allowed` };
    }

    // Insert in order; overlapping data was already covered by another frame (or zero-filled).
    const chunks = st.chunks;
    let i = chunks.length;
    while (i > 0 && chunks[i - 1].start > start) i--;
    const prev = chunks[i - 1];
    const next = chunks[i];
    const overlapPrev = prev !== undefined && prev.end > start;
    const overlapNext = next !== undefined && next.start < end;
    if (overlapPrev || overlapNext) {
      const filled = (overlapPrev && prev.data === null) || (overlapNext && next.data === null);
      this.onEvent({ event: filled ? 'late' : 'overlap', stream: streamIndex, position, frames: 1, samples: end - start, seq });
      return OK;
    }
    chunks.splice(i, 0, { start, end, data });
    if (end > st.maxEnd) st.maxEnd = end;
    this.settle();
    return OK;
  }

  /** The session closes: fill remaining holes, emit up to the shortest stream, report the rest. */
  finish(): void {
    if (this.finished || this.base === undefined) {
      this.finished = true;
      return;
    }
    this.finished = true;
    const common = Math.min(...this.streams.map((s) => s.maxEnd));
    this.streams.forEach((st, k) => {
      const at = this.contiguousEnd(st);
      const filled = this.fillHoles(st, common);
      if (filled > 0) this.onEvent({ event: 'dropout', stream: k, position: at - this.base!, samples: filled });
    });
    this.emit();
    this.streams.forEach((st, k) => {
      let extra = 0;
      for (const c of st.chunks) if (c.data) extra += c.end - Math.max(c.start, this.pos);
      if (extra > 0) this.onEvent({ event: 'trimmed', stream: k, position: this.pos - this.base!, samples: extra });
      st.chunks.length = 0;
    });
  }

  private settle(): void {
    const base = this.base!;
    // Holes older than the reorder window are lost: zero-fill them.
    this.streams.forEach((st, k) => {
      for (;;) {
        const h = this.contiguousEnd(st);
        const next = st.chunks.find((c) => c.start > h);
        if (!next || st.maxEnd - h <= this.reorderWindow) break;
        this.insertZeros(st, h, next.start);
        this.onEvent({ event: 'dropout', stream: k, position: h - base, samples: next.start - h });
      }
    });
    // Bounded buffering: a stream lagging the leader by more than maxSkew is zero-filled up to it.
    let lead = 0;
    for (const st of this.streams) if (st.maxEnd > lead) lead = st.maxEnd;
    const floor = lead - this.maxSkew;
    if (floor > this.pos) {
      this.streams.forEach((st, k) => {
        const at = this.contiguousEnd(st);
        const filled = this.fillHoles(st, floor);
        if (filled > 0) this.onEvent({ event: 'overflow', stream: k, position: at - base, samples: filled });
      });
    }
    this.emit();
  }

  /** Zero-fill every hole of `st` below `limit`; returns the samples filled. */
  private fillHoles(st: StreamState, limit: number): number {
    let filled = 0;
    for (;;) {
      const h = this.contiguousEnd(st);
      if (h >= limit) return filled;
      const next = st.chunks.find((c) => c.start > h);
      const to = Math.min(limit, next ? next.start : limit);
      this.insertZeros(st, h, to);
      if (to > st.maxEnd) st.maxEnd = to;
      filled += to - h;
    }
  }

  private insertZeros(st: StreamState, start: number, end: number): void {
    let i = st.chunks.length;
    while (i > 0 && st.chunks[i - 1].start > start) i--;
    st.chunks.splice(i, 0, { start, end, data: null });
  }

  /** End of the data present without a hole from the emitted position on. */
  private contiguousEnd(st: StreamState): number {
    let p = this.pos;
    for (const c of st.chunks) {
      if (c.start > p) break;
      if (c.end > p) p = c.end;
    }
    return p;
  }

  private emit(): void {
    let end = Infinity;
    for (const st of this.streams) end = Math.min(end, this.contiguousEnd(st));
    while (this.pos < end) {
      const n = Math.min(end - this.pos, this.maxBlock);
      const channels = this.streams.map((st) => this.take(st, n));
      const t0 = this.pos - this.base!;
      this.pos += n;
      this.onBlock(t0, channels);
    }
  }

  /** Copy [pos, pos + n) out of a stream whose data covers it, dropping chunks fully consumed. */
  private take(st: StreamState, n: number): Float64Array {
    const out = new Float64Array(n);
    const from = this.pos;
    const to = from + n;
    let drop = 0;
    for (const c of st.chunks) {
      if (c.start >= to) break;
      const a = Math.max(c.start, from);
      const b = Math.min(c.end, to);
      if (c.data && b > a) out.set(c.data.subarray(a - c.start, b - c.start), a - from);
      if (c.end <= to) drop++;
    }
    if (drop > 0) st.chunks.splice(0, drop);
    return out;
  }
}
