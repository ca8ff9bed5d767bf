/**
 * STOI and ESTOI for live streams, in constant memory. The pipeline is pystoi's (same resampler,
 * frames, one-third octave envelopes and segment kernels as the offline `StoiAccumulator`, from
 * `src/dsp/stoi-kernels.ts`); only the silent-frame removal differs, because pystoi compares each
 * frame with the loudest clean frame of the *whole* file, which a stream does not know yet:
 *
 *   a frame is speech iff its energy is within 40 dB of the loudest clean frame from
 *   `LOUDEST_HORIZON_SEC` seconds before it to `LOOKAHEAD_SEC` seconds after it.
 *
 * So a frame is judged `LOOKAHEAD_SEC` after it arrived (the price of not keeping a silent lead-in
 * before the first loud syllable). On a file no longer than the horizon whose loudest frame comes
 * within the lookahead of every frame, this equals the offline value; otherwise frames may be kept
 * that pystoi would drop, or the reverse (measured on the corpus: see docs/live.md).
 * Every 384 ms segment (30 envelope frames, sliding by one frame as in pystoi) yields one value per
 * variant, handed to `onSegment` for the live windows; the total is the running mean of all segments.
 */
import { createResamplerPair, octaveResamplerDesign, type PairResampler } from '../dsp/resample.js';
import { EPS, STOI_FRAME, STOI_HOP, STOI_SAMPLE_RATE, isSpeechFrame, windowedFrameNorm } from '../dsp/stoi-kernels.js';
import { RunningStats } from './running-stats.js';
import { STOI_SE_SPAN, StoiSegmentScorer } from './stoi.js';
import { type MetricAccumulator, type MetricValue, type SignalBlock, nullValue, value } from './types.js';

/** How far back the running loudest-frame estimate looks, seconds. */
export const LOUDEST_HORIZON_SEC = 10;
/** How long a frame waits for louder frames after it before it is judged, seconds. */
export const LOOKAHEAD_SEC = 1;
const FRAMES_PER_SEC = STOI_SAMPLE_RATE / STOI_HOP;
const LOOKAHEAD_FRAMES = Math.round(LOOKAHEAD_SEC * FRAMES_PER_SEC);
// 10 kHz samples held: the frames waiting for their verdict plus a block (compacted as frames go).
const BUFFER = (LOOKAHEAD_FRAMES + 4) * STOI_HOP + STOI_FRAME + 4096;

export interface LiveStoiResult {
  stoi: MetricValue & { uncertainty: number | null };
  estoi: MetricValue & { uncertainty: number | null };
}

export class LiveStoiAccumulator implements MetricAccumulator<SignalBlock, LiveStoiResult> {
  private readonly resampler: PairResampler | null;
  private readonly x = new Float64Array(BUFFER);
  private readonly y = new Float64Array(BUFFER);
  private fill = 0; // valid samples in x, y
  private pos = 0; // start of the next frame to judge in x, y
  private measured = 0; // frames whose energy entered the running maximum (ahead of `pos` by the lookahead)
  private readonly norms = new Float64Array(LOOKAHEAD_FRAMES + 2); // ring of energies awaiting a verdict
  /** Kept frames → envelopes → segments (the offline accumulator's pipeline). */
  private readonly scorer = new StoiSegmentScorer();
  /** Monotonic deque of (frame index, norm) for the sliding maximum of clean-frame energy. */
  private readonly dequeIndex: Int32Array;
  private readonly dequeNorm: Float64Array;
  private dequeHead = 0;
  private dequeTail = 0;
  private frameIndex = 0;
  private readonly horizonFrames: number;
  private readonly stoiStats = new RunningStats();
  private readonly estoiStats = new RunningStats();
  private refHasSignal = false;

  constructor(
    readonly sampleRate: number,
    private readonly onSegment?: (stoi: number, estoi: number) => void,
  ) {
    this.resampler = sampleRate === STOI_SAMPLE_RATE ? null : createResamplerPair(octaveResamplerDesign(STOI_SAMPLE_RATE, sampleRate));
    this.horizonFrames = Math.round(LOUDEST_HORIZON_SEC * FRAMES_PER_SEC) + LOOKAHEAD_FRAMES;
    this.dequeIndex = new Int32Array(this.horizonFrames + 2);
    this.dequeNorm = new Float64Array(this.horizonFrames + 2);
  }

  update({ ref, deg }: SignalBlock): void {
    const r = this.resampler;
    let start = 0;
    while (start < ref.length) {
      // Feed in pieces small enough that the 10 kHz output always fits the buffer.
      const end = Math.min(ref.length, start + 2048);
      if (this.fill + (r ? r.maxOutput(end - start) : end - start) > BUFFER) this.compact();
      if (r) {
        this.fill += r.push(ref, deg, this.x, this.y, this.fill, start, end);
      } else {
        this.x.set(ref.subarray(start, end), this.fill);
        this.y.set(deg.subarray(start, end), this.fill);
        this.fill += end - start;
      }
      this.consumeFrames();
      start = end;
    }
  }

  private compact(): void {
    // Only samples of frames not yet judged (from `pos` on) are still needed.
    this.x.copyWithin(0, this.pos, this.fill);
    this.y.copyWithin(0, this.pos, this.fill);
    this.fill -= this.pos;
    this.pos = 0;
  }

  private consumeFrames(): void {
    // pystoi's frames end strictly before the last sample (range(0, len − 256, 128)), so a frame is
    // measured once a sample after it is here (then it is in whether or not the stream ends), and
    // judged once LOOKAHEAD_FRAMES more have been measured.
    const ring = this.norms.length;
    for (;;) {
      const start = this.pos + (this.measured - this.frameIndex) * STOI_HOP;
      if (start + STOI_FRAME >= this.fill) break;
      const norm = windowedFrameNorm(this.x, start);
      this.norms[this.measured % ring] = norm;
      this.pushLoudest(norm, this.measured);
      if (norm > 0) this.refHasSignal = true;
      this.measured++;
      if (this.measured - this.frameIndex > LOOKAHEAD_FRAMES) this.judgeNext();
    }
  }

  /** Decide the oldest waiting frame: speech (on to the envelopes) or silence (dropped). */
  private judgeNext(): void {
    const idx = this.dequeIndex;
    const cap = idx.length;
    // The maximum may only look back LOUDEST_HORIZON_SEC from the frame being judged.
    while (this.dequeHead !== this.dequeTail && idx[this.dequeHead] < this.frameIndex - (this.horizonFrames - LOOKAHEAD_FRAMES)) {
      this.dequeHead = (this.dequeHead + 1) % cap;
    }
    const loudestDb = 20 * Math.log10(this.dequeNorm[this.dequeHead] + EPS);
    const energyDb = 20 * Math.log10(this.norms[this.frameIndex % this.norms.length] + EPS);
    if (isSpeechFrame(energyDb, loudestDb) && this.scorer.push(this.x, this.pos, this.y, this.pos)) {
      const { lastStoi, lastEstoi } = this.scorer;
      this.stoiStats.add(lastStoi);
      this.estoiStats.add(lastEstoi);
      this.onSegment?.(lastStoi, lastEstoi);
    }
    this.pos += STOI_HOP;
    this.frameIndex++;
  }

  /**
   * End of stream: the resampler's zero-padded tail (as scipy pads) and the frames still waiting for
   * their verdict are processed now.
   */
  flush(): void {
    const r = this.resampler;
    if (r) {
      if (this.fill + r.pendingTail() > BUFFER) this.compact();
      this.fill += r.flush(this.x, this.y, this.fill);
    }
    this.consumeFrames();
    while (this.frameIndex < this.measured) this.judgeNext();
  }

  private pushLoudest(norm: number, index: number): void {
    const idx = this.dequeIndex;
    const val = this.dequeNorm;
    const cap = idx.length;
    // Drop entries that fell out of the horizon, then those a newer, louder frame dominates.
    while (this.dequeHead !== this.dequeTail && idx[this.dequeHead] <= index - this.horizonFrames) {
      this.dequeHead = (this.dequeHead + 1) % cap;
    }
    while (this.dequeHead !== this.dequeTail) {
      const last = (this.dequeTail - 1 + cap) % cap;
      if (val[last] > norm) break;
      this.dequeTail = last;
    }
    idx[this.dequeTail] = index;
    val[this.dequeTail] = norm;
    this.dequeTail = (this.dequeTail + 1) % cap;
  }

  compute(): LiveStoiResult {
    if (!this.refHasSignal && this.frameIndex > 0) {
      const r = { ...nullValue('reference is silent (all zeros)'), uncertainty: null };
      return { stoi: r, estoi: r };
    }
    if (this.stoiStats.count === 0) {
      const r = { ...nullValue('fewer than 30 STFT frames (384 ms) of speech so far'), uncertainty: null };
      return { stoi: r, estoi: r };
    }
    return {
      stoi: { ...value(this.stoiStats.mean), uncertainty: this.stoiStats.standardError(STOI_SE_SPAN) },
      estoi: this.scorer.yEnvMax > 0
        ? { ...value(this.estoiStats.mean), uncertainty: this.estoiStats.standardError(STOI_SE_SPAN) }
        : { ...nullValue('degraded signal is all zeros during speech: ESTOI is undefined'), uncertainty: null },
    };
  }

  reset(): void {
    this.resampler?.reset();
    this.scorer.reset();
    this.fill = this.pos = this.frameIndex = this.measured = 0;
    this.dequeHead = this.dequeTail = 0;
    this.stoiStats.reset();
    this.estoiStats.reset();
    this.refHasSignal = false;
  }
}
