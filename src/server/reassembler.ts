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
 *
 * Cost: O(1) amortised per frame plus O(samples), whatever the client sends. Per stream, the samples
 * from the emitted position up to the first hole live in one growable buffer (a "run"; zero-fills
 * are written into it and marked), frames beyond a hole wait in a short sorted list (at most
 * MAX_PENDING_CHUNKS; past it the oldest hole is zero-filled at once), and sequence numbers still
 * missing are kept as at most MAX_MISSING_RANGES ranges within the last MAX_MISSING_SEQS numbers.
 * `cost()` says, before a frame is accepted, how many samples it will make the engine process
 * (its own plus the zero-fills it causes), so the connection can charge them first (ingest.ts).
 */

/** Default: how long (stream time) a hole waits for a reordered frame before it is zero-filled. */
export const DEFAULT_REORDER_WINDOW_SEC = 0.2;
/** Default: how far one stream may run ahead of another before the laggard is zero-filled. */
export const DEFAULT_MAX_SKEW_SEC = 3;
/** Default: largest forward jump of t0 accepted (beyond it the frame is refused as malformed). */
export const DEFAULT_MAX_JUMP_SEC = 10;
/** Largest block handed to the engine at once (s). */
export const MAX_BLOCK_SEC = 0.5;
/** Sequence numbers remembered as missing: those within this distance of the newest (older ones count as duplicates). */
export const MAX_MISSING_SEQS = 4096;
/** At most this many ranges of missing sequence numbers per stream (the oldest are forgotten first). */
export const MAX_MISSING_RANGES = 64;
/** Frames waiting beyond a hole, per stream; one more zero-fills the oldest hole at once (dropout). */
export const MAX_PENDING_CHUNKS = 64;
/** Smallest run buffer (samples). */
const MIN_RUN_CAPACITY = 1024;

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

/** A frame waiting beyond a hole. */
interface Chunk {
  start: number;
  end: number;
  data: Float64Array;
}

interface StreamState {
  /** Samples [pos, contigEnd): data[head .. head + length); filled[i] = 1 where zero-filled. */
  data: Float64Array;
  filled: Uint8Array;
  head: number;
  length: number;
  /** End of the samples present without a hole from the emitted position on (absolute). */
  contigEnd: number;
  /** Frames beyond contigEnd, sorted by start, not overlapping. */
  pending: Chunk[];
  /** Furthest sample end received or zero-filled (absolute position). */
  maxEnd: number;
  /** Next expected sequence number; -1 before the first frame. */
  nextSeq: number;
  /** Missing sequence numbers as ranges: [lo0, hi0, lo1, hi1, ...], sorted, hi exclusive. */
  missing: number[];
}

const OK: AcceptStatus = { ok: true };

export class Reassembler {
  private readonly streams: StreamState[];
  private readonly reorderWindow: number;
  private readonly maxSkew: number;
  private readonly maxJump: number;
  private readonly maxBlock: number;
  /** Run capacity kept however empty a run gets (a block plus the reorder window), so steady streams never reallocate. */
  private readonly keepCapacity: number;
  private readonly onBlock: ReassemblerOptions['onBlock'];
  private readonly onEvent: ReassemblerOptions['onEvent'];
  /** Absolute t0 of the first frame; undefined until then. */
  private base: number | undefined;
  /** Absolute position up to which blocks were emitted. */
  private pos = 0;
  private finished = false;

  constructor(o: ReassemblerOptions) {
    this.streams = Array.from({ length: o.streamCount }, () => ({
      data: new Float64Array(0),
      filled: new Uint8Array(0),
      head: 0,
      length: 0,
      contigEnd: 0,
      pending: [],
      maxEnd: 0,
      nextSeq: -1,
      missing: [],
    }));
    this.reorderWindow = Math.round((o.reorderWindowSec ?? DEFAULT_REORDER_WINDOW_SEC) * o.sampleRate);
    this.maxSkew = Math.round((o.maxSkewSec ?? DEFAULT_MAX_SKEW_SEC) * o.sampleRate);
    this.maxJump = Math.round((o.maxJumpSec ?? DEFAULT_MAX_JUMP_SEC) * o.sampleRate);
    this.maxBlock = Math.max(1, Math.round(MAX_BLOCK_SEC * o.sampleRate));
    this.keepCapacity = Math.max(MIN_RUN_CAPACITY, 2 ** Math.ceil(Math.log2(2 * this.maxBlock + this.reorderWindow)));
    this.onBlock = o.onBlock;
    this.onEvent = o.onEvent;
  }

  /** Samples passed to the engine so far (per stream). */
  get emittedSamples(): number {
    return this.base === undefined ? 0 : this.pos - this.base;
  }

  /** Samples held waiting for other streams or for missing frames, over all streams (zero-fills not counted). */
  get bufferedSamples(): number {
    let n = 0;
    for (const st of this.streams) n += heldData(st);
    return n;
  }

  /**
   * Samples the engine will have to process because of this frame, before it is accepted: its own
   * (past the emitted position) plus the zero-fill of the hole it opens in its stream and of the
   * other streams it pushes past the skew bound. An upper bound (a hole later filled by a reordered
   * frame is counted twice); the sequence number plays no part. O(streams).
   */
  cost(streamIndex: number, t0: number, n: number): number {
    if (this.finished || n === 0) return 0;
    const started = this.base !== undefined;
    const pos = started ? this.pos : t0;
    const end = t0 + n;
    if (end <= pos) return 0;
    const start = Math.max(t0, pos);
    const maxEndOf = (st: StreamState) => (started ? Math.max(st.maxEnd, pos) : t0);
    let lead = 0;
    for (const st of this.streams) lead = Math.max(lead, maxEndOf(st));
    const floor = Math.max(lead, end) - this.maxSkew;
    let cost = end - start + Math.max(0, start - maxEndOf(this.streams[streamIndex]));
    this.streams.forEach((st, k) => {
      if (k !== streamIndex) cost += Math.max(0, floor - maxEndOf(st));
    });
    return cost;
  }

  /** One AUDIO frame. Returns a refusal only for frames that cannot be placed at all. */
  accept(streamIndex: number, seq: number, t0: number, samples: Float64Array): AcceptStatus {
    if (this.finished) return { ok: false, message: 'session already closed' };
    const st = this.streams[streamIndex];
    if (this.base === undefined) {
      this.base = t0;
      this.pos = t0;
      for (const s of this.streams) {
        s.maxEnd = t0;
        s.contigEnd = t0;
      }
    }
    const position = Math.max(0, t0 - this.base);
    if (!this.checkSeq(st, streamIndex, seq, position, samples.length)) return OK;

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

    // Overlaps: with the run (data, or zero-filled: then the frame is late), or with a waiting frame.
    if (start < st.contigEnd) {
      this.onEvent({ event: anyFilled(st, this.pos, start, Math.min(end, st.contigEnd)) ? 'late' : 'overlap', stream: streamIndex, position, frames: 1, samples: end - start, seq });
      return OK;
    }
    const pending = st.pending;
    const i = lowerBound(pending, start);
    if ((i > 0 && pending[i - 1].end > start) || (i < pending.length && pending[i].start < end)) {
      this.onEvent({ event: 'overlap', stream: streamIndex, position, frames: 1, samples: end - start, seq });
      return OK;
    }
    if (end > st.maxEnd) st.maxEnd = end;
    if (start === st.contigEnd) {
      this.append(st, data, 0);
      this.absorb(st);
    } else {
      pending.splice(i, 0, { start, end, data });
      // Too many frames waiting beyond holes: the oldest hole will not be filled in time.
      while (pending.length > MAX_PENDING_CHUNKS) this.fillHole(st, streamIndex, 'dropout');
    }
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
    let common = Infinity;
    for (const st of this.streams) common = Math.min(common, st.maxEnd);
    this.streams.forEach((st, k) => {
      const at = st.contigEnd;
      const filled = this.fillTo(st, common);
      if (filled > 0) this.onEvent({ event: 'dropout', stream: k, position: at - this.base!, samples: filled });
    });
    this.emit();
    this.streams.forEach((st, k) => {
      const extra = heldData(st);
      if (extra > 0) this.onEvent({ event: 'trimmed', stream: k, position: this.pos - this.base!, samples: extra });
      st.pending.length = 0;
      st.data = new Float64Array(0);
      st.filled = new Uint8Array(0);
      st.head = 0;
      st.length = 0;
    });
  }

  /**
   * Sequence numbers: detect loss, reordering and duplicates; false when the frame is a duplicate
   * (dropped). Missing numbers are ranges, so a jump of any size costs O(1).
   */
  private checkSeq(st: StreamState, k: number, seq: number, position: number, n: number): boolean {
    const m = st.missing;
    if (st.nextSeq < 0 || seq === st.nextSeq) {
      st.nextSeq = seq + 1;
    } else if (seq > st.nextSeq) {
      const lost = seq - st.nextSeq;
      const oldest = seq - MAX_MISSING_SEQS;
      m.push(Math.max(st.nextSeq, oldest), seq);
      // Forget what fell out of the window, and the oldest ranges past the count.
      while (m.length > 0 && m[1] <= oldest) m.splice(0, 2);
      if (m.length > 0 && m[0] < oldest) m[0] = oldest;
      if (m.length > 2 * MAX_MISSING_RANGES) m.splice(0, m.length - 2 * MAX_MISSING_RANGES);
      this.onEvent({ event: 'gap', stream: k, position, frames: lost, expectedSeq: st.nextSeq, seq });
      st.nextSeq = seq + 1;
    } else if (removeMissing(m, seq)) {
      this.onEvent({ event: 'reordered', stream: k, position, frames: 1, seq });
    } else {
      this.onEvent({ event: 'duplicate', stream: k, position, frames: 1, samples: n, seq });
      return false;
    }
    return true;
  }

  private settle(): void {
    const base = this.base!;
    // Holes older than the reorder window are lost: zero-fill them.
    this.streams.forEach((st, k) => {
      while (st.pending.length > 0 && st.maxEnd - st.contigEnd > this.reorderWindow) this.fillHole(st, k, 'dropout');
    });
    // Bounded buffering: a stream lagging the leader by more than maxSkew is zero-filled up to it.
    let lead = 0;
    for (const st of this.streams) if (st.maxEnd > lead) lead = st.maxEnd;
    const floor = lead - this.maxSkew;
    if (floor > this.pos) {
      // One block at a time, emitted as it is filled: the runs never hold more than the skew bound
      // and a block, however far the leader jumped.
      const at = this.streams.map((st) => st.contigEnd);
      const filled = this.streams.map(() => 0);
      while (this.pos < floor) {
        const step = Math.min(floor, this.pos + this.maxBlock);
        this.streams.forEach((st, k) => (filled[k] += this.fillTo(st, step)));
        this.emit();
      }
      filled.forEach((n, k) => {
        if (n > 0) this.onEvent({ event: 'overflow', stream: k, position: at[k] - base, samples: n });
      });
    }
    this.emit();
  }

  /** Zero-fill the first hole of `st` (up to its first waiting frame) and report it. */
  private fillHole(st: StreamState, k: number, event: 'dropout'): void {
    const at = st.contigEnd;
    const to = st.pending[0].start;
    this.appendZeros(st, to - at);
    this.absorb(st);
    this.onEvent({ event, stream: k, position: at - this.base!, samples: to - at });
  }

  /** Zero-fill every hole of `st` below `limit`; returns the samples filled. */
  private fillTo(st: StreamState, limit: number): number {
    let filled = 0;
    while (st.contigEnd < limit) {
      const to = st.pending.length > 0 ? Math.min(limit, st.pending[0].start) : limit;
      filled += to - st.contigEnd;
      this.appendZeros(st, to - st.contigEnd);
      if (to > st.maxEnd) st.maxEnd = to;
      this.absorb(st);
    }
    return filled;
  }

  /** Move waiting frames that now continue the run into it. */
  private absorb(st: StreamState): void {
    while (st.pending.length > 0 && st.pending[0].start === st.contigEnd) this.append(st, st.pending.shift()!.data, 0);
  }

  private append(st: StreamState, samples: Float64Array, fill: 0 | 1): void {
    const n = samples.length;
    this.reserve(st, n);
    const at = st.head + st.length;
    st.data.set(samples, at);
    st.filled.fill(fill, at, at + n);
    st.length += n;
    st.contigEnd += n;
  }

  private appendZeros(st: StreamState, n: number): void {
    this.reserve(st, n);
    const at = st.head + st.length;
    st.data.fill(0, at, at + n);
    st.filled.fill(1, at, at + n);
    st.length += n;
    st.contigEnd += n;
  }

  /** Room for `n` more samples at the end of the run: compact, or grow to a power of two. */
  private reserve(st: StreamState, n: number): void {
    const need = st.length + n;
    if (st.head + need <= st.data.length) return;
    if (need <= st.data.length >> 1) {
      st.data.copyWithin(0, st.head, st.head + st.length);
      st.filled.copyWithin(0, st.head, st.head + st.length);
      st.head = 0;
    } else resize(st, need);
  }

  private emit(): void {
    let end = Infinity;
    for (const st of this.streams) end = Math.min(end, st.contigEnd);
    while (this.pos < end) {
      const n = Math.min(end - this.pos, this.maxBlock);
      const channels = this.streams.map((st) => take(st, n, this.keepCapacity));
      const t0 = this.pos - this.base!;
      this.pos += n;
      this.onBlock(t0, channels);
    }
  }
}

/**
 * Copy the first `n` samples of the run out (a fresh array) and drop them; shrink a mostly empty
 * buffer (never below `keepCapacity`). A range that is all zero-fill comes out as a new, untouched array (zero pages the OS has
 * not committed: a jump's zero-fill costs no memory while it waits for the engine).
 */
function take(st: StreamState, n: number, keepCapacity: number): Float64Array {
  let allFilled = true;
  for (let i = st.head, e = st.head + n; i < e && allFilled; i++) allFilled = st.filled[i] === 1;
  const out = allFilled ? new Float64Array(n) : st.data.slice(st.head, st.head + n);
  st.head += n;
  st.length -= n;
  if (st.length === 0) st.head = 0;
  // Shrink a buffer that grew for a burst (a long frame, the skew bound) once it is mostly empty.
  if (st.data.length > 4 * keepCapacity && st.length * 8 < st.data.length) resize(st, Math.max(keepCapacity, 2 * st.length + 1));
  return out;
}

/** Move the run into new buffers of the smallest power of two ≥ `need` (at least MIN_RUN_CAPACITY). */
function resize(st: StreamState, need: number): void {
  const cap = Math.max(MIN_RUN_CAPACITY, 2 ** Math.ceil(Math.log2(need)));
  const data = new Float64Array(cap);
  const filled = new Uint8Array(cap);
  data.set(st.data.subarray(st.head, st.head + st.length));
  filled.set(st.filled.subarray(st.head, st.head + st.length));
  st.data = data;
  st.filled = filled;
  st.head = 0;
}

/** Data samples held for a stream (the run minus its zero-fills, plus the waiting frames). */
function heldData(st: StreamState): number {
  let n = 0;
  for (let i = st.head, e = st.head + st.length; i < e; i++) n += 1 - st.filled[i];
  for (const c of st.pending) n += c.end - c.start;
  return n;
}

/** Whether any sample of [from, to) (absolute, inside the run starting at `pos`) was zero-filled. */
function anyFilled(st: StreamState, pos: number, from: number, to: number): boolean {
  for (let i = st.head + (from - pos), e = st.head + (to - pos); i < e; i++) if (st.filled[i]) return true;
  return false;
}

/** Index of the first chunk starting at or after `start`. */
function lowerBound(chunks: Chunk[], start: number): number {
  let lo = 0;
  let hi = chunks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (chunks[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Remove `seq` from the missing ranges; false when it was not missing. */
function removeMissing(m: number[], seq: number): boolean {
  let lo = 0;
  let hi = m.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (m[2 * mid + 1] <= seq) lo = mid + 1;
    else hi = mid;
  }
  const r = 2 * lo;
  if (r >= m.length || m[r] > seq) return false;
  const a = m[r];
  const b = m[r + 1];
  if (a === seq && b === seq + 1) m.splice(r, 2);
  else if (a === seq) m[r] = seq + 1;
  else if (b === seq + 1) m[r + 1] = seq;
  else m.splice(r, 2, a, seq, seq + 1, b);
  return true;
}
