/**
 * Dropouts of deg: gaps of exact digital silence inside speech, and exact repeats of earlier frames.
 *
 * Digital-silence dropout: a run of ≥ DROPOUT_MIN_SEC of samples exactly 0 that
 * - is not at the start of the stream and has ended (a stream that ends silent is not a gap),
 * - starts inside speech activity: the VAD triggered within its 200 ms hangover before the run,
 * - is abrupt on at least one side: the sample next to the run is ≥ DROPOUT_EDGE_RATIO × the RMS of
 *   the DROPOUT_EDGE_SEC beside it, and that RMS is above DROPOUT_EDGE_MIN_DBFS. A lost packet cuts the
 *   waveform mid-cycle; a signal that fades into digital silence (a gate's release, the closures of
 *   formant-synthesised speech such as the corpus's espeak voices, whose edge samples are 1–13 LSB,
 *   ≤ 0.02 × the local RMS) is not a dropout.
 * Repeated frame: a stretch of ≥ REPEAT_MIN_SEC where deg equals, sample for sample, the stretch P
 * earlier, P one of REPEAT_LAGS_SEC (the codec frame sizes 10–60 ms; 40 ms also catches a 20 ms frame
 * replayed from two frames back), with an RMS above REPEAT_MIN_DBFS (identical silence is not a
 * repeat). Compared in whole REPEAT_BLOCK_SEC blocks: every exact repeat of ≥ 10 ms contains 9 whole
 * 1 ms blocks (so is found; a well-aligned one of 9–10 ms may be too), and its start is then refined to
 * the exact sample. Packet-loss concealment that replays the last
 * frame produces exactly this; concealment that fades or re-synthesises is not detected, and a signal
 * that is digitally periodic with such a period (a synthetic test tone) is reported as repeating.
 * Overlapping runs at several lags count as one event. Times are the start of the gap or of the
 * repeated copy, s since reset.
 *
 * Memory: a ring of the last ~80 ms of deg (a power of two), per-lag block counts, and the first
 * MAX_EVENT_TIMES event times.
 */
import { type MetricAccumulator, type MetricValue, nullValue, value } from '../types.js';
import { type DegBlock, type HopConsumer, HopSplitter, SHORT_REASON, SILENT_REASON, hopSamples, rateProblem } from './types.js';
import { FrameVad, VAD_HANGOVER_SEC } from './vad.js';

/** Shortest digital-silence gap counted, s. */
export const DROPOUT_MIN_SEC = 0.005;
/** Signal beside a gap used to judge abruptness, s (equal to DROPOUT_MIN_SEC, which keeps at most one ended gap waiting). */
export const DROPOUT_EDGE_SEC = DROPOUT_MIN_SEC;
/** An edge is abrupt when |edge sample| ≥ this × RMS beside it. */
export const DROPOUT_EDGE_RATIO = 0.1;
/** ... and that RMS is at least this, dBFS. */
export const DROPOUT_EDGE_MIN_DBFS = -60;
/** Lags at which exact repeats are looked for, s. */
export const REPEAT_LAGS_SEC = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06] as const;
/** Shortest exact repeat counted, s. */
export const REPEAT_MIN_SEC = 0.01;
/** Repeats are compared in whole blocks of this length, s (runs start exactly, see blockEnd). */
export const REPEAT_BLOCK_SEC = 0.001;
/** A repeat must have at least this RMS, dBFS. */
export const REPEAT_MIN_DBFS = -60;
/** Event times kept (counts go on). */
export const MAX_EVENT_TIMES = 1000;

export interface DropoutEvent {
  kind: 'dropout' | 'repeat';
  /** Start, s since reset. */
  time: number;
  /** Length of the gap, s; null for a repeat (known only when it ends). */
  duration: number | null;
}

export interface DropoutResults {
  dropouts: MetricValue;
  dropoutTimes: number[];
  repeatedFrames: MetricValue;
  repeatedFrameTimes: number[];
}

export interface DropoutOptions {
  sampleRate: number;
  /** Whether blocks carry noisy (the VAD of speech activity then runs on it, as in LevelAccumulator). */
  withNoisy: boolean;
  /** A VAD fed by someone else (ReferenceFreeSet shares LevelAccumulator's); else one of our own. */
  vad?: FrameVad;
  onEvent?: (event: DropoutEvent) => void;
}

/** Whether the sample next to a gap is an abrupt cut, given the energy of the samples beside it. */
function abrupt(edge: number, sumSquares: number, count: number, minPower: number): boolean {
  if (count === 0) return false;
  const power = sumSquares / count;
  return power >= minPower && edge * edge >= DROPOUT_EDGE_RATIO * DROPOUT_EDGE_RATIO * power;
}

export class DropoutAccumulator implements MetricAccumulator<DegBlock, DropoutResults>, HopConsumer {
  readonly sampleRate: number;
  readonly withNoisy: boolean;
  readonly hop: number;
  private readonly problem: string | null;
  private readonly splitter: HopSplitter;
  private readonly vad: FrameVad;
  private readonly ownVad: boolean;
  private readonly onEvent?: (event: DropoutEvent) => void;
  private readonly minGap: number;
  private readonly edge: number;
  private readonly edgeMinPower = 10 ** (DROPOUT_EDGE_MIN_DBFS / 10);
  private readonly hangover: number;
  private readonly lags: Int32Array;
  /** Consecutive whole blocks matching at each lag. */
  private readonly runs: Int32Array;
  private readonly block: number;
  private readonly repeatBlocks: number;
  private readonly repeatMinPower = 10 ** (REPEAT_MIN_DBFS / 10);
  private readonly ring: Float64Array;
  private readonly mask: number;
  /** Absolute index of the next sample. */
  private n = 0;
  private nonZero = false;
  // Zero run in progress.
  private zeroStart = 0;
  private zeroLength = 0;
  private zeroCandidate = false;
  private zeroActive = false;
  private zeroPreAbrupt = false;
  // Ended gap waiting for the samples after it.
  private pending = false;
  private pendingStart = 0;
  private pendingEnd = 0;
  private pendingActive = false;
  private pendingPreAbrupt = false;
  private pendingEdge = 0;
  private pendingSum = 0;
  private pendingCount = 0;
  // Repeats.
  private lastRepeatEnd = -1;
  // Results.
  private dropoutCount = 0;
  private repeatCount = 0;
  private readonly dropoutTimes: number[] = [];
  private readonly repeatTimes: number[] = [];
  private readonly event: DropoutEvent = { kind: 'dropout', time: 0, duration: null };
  // Own VAD feed.
  private hopEnergy = 0;
  private prevHopEnergy = 0;
  private hops = 0;

  constructor({ sampleRate, withNoisy, vad, onEvent }: DropoutOptions) {
    this.sampleRate = sampleRate;
    this.withNoisy = withNoisy;
    this.problem = rateProblem(sampleRate);
    const fs = this.problem ? 8000 : sampleRate;
    this.hop = this.problem ? 1 : hopSamples(sampleRate);
    this.ownVad = !vad;
    this.vad = vad ?? new FrameVad(this.hop, () => {});
    this.onEvent = onEvent;
    this.minGap = Math.max(1, Math.round(DROPOUT_MIN_SEC * fs));
    this.edge = this.minGap; // = DROPOUT_EDGE_SEC; equal lengths keep at most one gap pending
    this.hangover = Math.round(VAD_HANGOVER_SEC * fs);
    this.lags = Int32Array.from(REPEAT_LAGS_SEC, (s) => Math.round(s * fs));
    this.runs = new Int32Array(this.lags.length);
    this.block = Math.max(1, Math.round(REPEAT_BLOCK_SEC * fs));
    const minRepeat = Math.round(REPEAT_MIN_SEC * fs);
    // Whole blocks that any run of minRepeat samples contains, however it is aligned.
    this.repeatBlocks = Math.max(1, Math.floor((minRepeat - this.block + 1) / this.block));
    // A hop is written before it is scanned, so the ring holds one hop more than the look-backs need.
    const need =
      this.hop + this.lags[this.lags.length - 1] + Math.max(this.edge + this.minGap, (this.repeatBlocks + 1) * this.block) + 1;
    let size = 1;
    while (size < need) size *= 2;
    this.ring = new Float64Array(size);
    this.mask = size - 1;
    this.splitter = new HopSplitter(this.hop, [this]);
  }

  update(block: DegBlock): void {
    if (this.problem) return;
    this.splitter.push(block, this.withNoisy);
  }

  /** @internal */
  segment(deg: Float64Array, noisy: Float64Array | undefined, start: number, end: number): void {
    if (this.ownVad) {
      const v = this.withNoisy && noisy ? noisy : deg;
      let e = this.hopEnergy;
      for (let i = start; i < end; i++) e += v[i] * v[i];
      this.hopEnergy = e;
    }
    const ring = this.ring;
    const mask = this.mask;
    const size = ring.length;
    const n0 = this.n;
    // 1. Keep the samples (the ring of the last ~80 ms).
    for (let pos = start; pos < end; ) {
      const at = (n0 + pos - start) & mask;
      const take = Math.min(end - pos, size - at);
      ring.set(deg.subarray(pos, pos + take), at);
      pos += take;
    }
    // 2. Zero runs and the samples after an ended gap.
    const minGap = this.minGap;
    let zeroLength = this.zeroLength;
    for (let i = start; i < end; i++) {
      if (!this.pending && zeroLength === 0) {
        // Fast path: nothing in progress, skip to the next zero.
        const from = i;
        while (i < end && deg[i] !== 0) i++;
        if (i > from) this.nonZero = true;
        if (i === end) break;
      }
      const x = deg[i];
      if (this.pending) {
        this.pendingSum += x * x;
        if (++this.pendingCount === this.edge) this.decideGap(true);
      }
      if (x === 0) {
        if (zeroLength++ === 0) this.zeroStart = n0 + i - start;
        if (zeroLength === minGap && this.zeroStart > 0) this.gapQualified();
      } else {
        this.nonZero = true;
        if (zeroLength !== 0) {
          if (this.zeroCandidate) {
            this.gapEnded(n0 + i - start, x);
            this.pendingSum = x * x;
            this.pendingCount = 1;
          }
          zeroLength = 0;
        }
      }
    }
    this.zeroLength = zeroLength;
    // 3. Whole 1 ms blocks completed in this piece.
    const block = this.block;
    const n1 = n0 + end - start;
    for (let last = n0 + ((block - 1 - (n0 % block)) % block); last < n1; last += block) this.blockEnd(last);
    this.n = n1;
  }

  /** A zero run long enough to be a gap ended at sample n (the first non-zero one, value x). */
  private gapEnded(n: number, x: number): void {
    this.pending = true;
    this.pendingStart = this.zeroStart;
    this.pendingEnd = n;
    this.pendingActive = this.zeroActive;
    this.pendingPreAbrupt = this.zeroPreAbrupt;
    this.pendingEdge = Math.abs(x);
    this.pendingSum = 0;
    this.pendingCount = 0;
    this.zeroCandidate = false;
  }

  /**
   * The 1 ms block ending at sample `last` is complete: does it equal the block one lag earlier?
   * Comparing whole blocks (most fail on the first sample) costs ~lags/block compares per sample
   * instead of one per lag; a run of ≥ REPEAT_MIN_SEC always contains `repeatBlocks` whole blocks.
   */
  private blockEnd(last: number): void {
    const ring = this.ring;
    const mask = this.mask;
    const block = this.block;
    const first = last - block + 1;
    for (let l = 0; l < this.lags.length; l++) {
      const lag = this.lags[l];
      let same = first >= lag;
      for (let k = last; same && k >= first; k--) same = ring[k & mask] === ring[(k - lag) & mask];
      if (!same) {
        this.runs[l] = 0;
        continue;
      }
      const r = ++this.runs[l];
      if (r > this.repeatBlocks) this.lastRepeatEnd = last;
      else if (r === this.repeatBlocks) this.repeatQualified(l, last);
    }
  }

  /** Lag l has matched for `repeatBlocks` blocks ending at `last`: count it if loud enough and new. */
  private repeatQualified(l: number, last: number): void {
    const ring = this.ring;
    const mask = this.mask;
    const lag = this.lags[l];
    let start = last - this.repeatBlocks * this.block + 1;
    let e = 0;
    for (let k = start; k <= last; k++) e += ring[k & mask] * ring[k & mask];
    if (e < this.repeatMinPower * (last - start + 1)) {
      this.runs[l] = 0; // identical silence: look again from here
      return;
    }
    // The run may begin up to one block earlier, inside the block that did not match as a whole.
    for (let k = 1; k < this.block && start - 1 >= lag && ring[(start - 1) & mask] === ring[(start - 1 - lag) & mask]; k++) start--;
    if (start > this.lastRepeatEnd) {
      this.repeatCount++;
      const time = start / this.sampleRate;
      if (this.repeatTimes.length < MAX_EVENT_TIMES) this.repeatTimes.push(time);
      this.emit('repeat', time, null);
    }
    this.lastRepeatEnd = last;
  }

  /** The zero run reached DROPOUT_MIN_SEC: judge its leading edge and the activity before it. */
  private gapQualified(): void {
    const s = this.zeroStart;
    const ring = this.ring;
    let e = 0;
    const from = Math.max(0, s - this.edge);
    for (let k = from; k < s; k++) e += ring[k & this.mask] * ring[k & this.mask];
    this.zeroPreAbrupt = abrupt(Math.abs(ring[(s - 1) & this.mask]), e, s - from, this.edgeMinPower);
    const lastSpeech = this.vad.lastTriggerEndSample;
    this.zeroActive = lastSpeech > 0 && s - lastSpeech <= this.hangover;
    this.zeroCandidate = true;
  }

  /** Decide the pending gap with the samples seen after it; `commit` records it. */
  private decideGap(commit: boolean): boolean {
    const postAbrupt = abrupt(this.pendingEdge, this.pendingSum, this.pendingCount, this.edgeMinPower);
    const isDropout = this.pendingActive && (this.pendingPreAbrupt || postAbrupt);
    if (commit) {
      this.pending = false;
      if (isDropout) {
        this.dropoutCount++;
        const time = this.pendingStart / this.sampleRate;
        if (this.dropoutTimes.length < MAX_EVENT_TIMES) this.dropoutTimes.push(time);
        this.emit('dropout', time, (this.pendingEnd - this.pendingStart) / this.sampleRate);
      }
    }
    return isDropout;
  }

  private emit(kind: DropoutEvent['kind'], time: number, duration: number | null): void {
    if (!this.onEvent) return;
    const ev = this.event;
    ev.kind = kind;
    ev.time = time;
    ev.duration = duration;
    this.onEvent(ev);
  }

  /** @internal */
  hopEnd(): void {
    if (!this.ownVad) return;
    if (this.hops > 0) this.vad.pushFrame((this.prevHopEnergy + this.hopEnergy) / (2 * this.hop));
    this.hops++;
    this.prevHopEnergy = this.hopEnergy;
    this.hopEnergy = 0;
  }

  compute(): DropoutResults {
    const fail = (reason: string): DropoutResults => ({
      dropouts: nullValue(reason),
      dropoutTimes: [],
      repeatedFrames: nullValue(reason),
      repeatedFrameTimes: [],
    });
    if (this.problem) return fail(this.problem);
    if (this.n < 2 * this.hop) return fail(SHORT_REASON);
    if (!this.nonZero) return fail(SILENT_REASON);
    const times = this.dropoutTimes.slice();
    let count = this.dropoutCount;
    // A gap whose trailing samples are still coming is judged on what has been seen.
    if (this.pending && this.decideGap(false)) {
      count++;
      if (times.length < MAX_EVENT_TIMES) times.push(this.pendingStart / this.sampleRate);
    }
    return {
      dropouts: value(count),
      dropoutTimes: times,
      repeatedFrames: value(this.repeatCount),
      repeatedFrameTimes: this.repeatTimes.slice(),
    };
  }

  reset(): void {
    this.splitter.reset();
    if (this.ownVad) this.vad.reset();
    this.ring.fill(0);
    this.runs.fill(0);
    this.n = 0;
    this.nonZero = false;
    this.zeroStart = this.zeroLength = 0;
    this.zeroCandidate = this.zeroActive = this.zeroPreAbrupt = false;
    this.pending = this.pendingActive = this.pendingPreAbrupt = false;
    this.pendingStart = this.pendingEnd = this.pendingEdge = this.pendingSum = this.pendingCount = 0;
    this.lastRepeatEnd = -1;
    this.dropoutCount = this.repeatCount = 0;
    this.dropoutTimes.length = 0;
    this.repeatTimes.length = 0;
    this.hopEnergy = this.prevHopEnergy = 0;
    this.hops = 0;
  }
}
