/**
 * Speech activity and the levels that need a speech/pause split: noise floor, noise attenuation and
 * speech level change. Ratios of running sums over the VAD's frames (global, not a mean of per-frame dB).
 *
 * The VAD runs on noisy when it is given, else on deg: pauses are where the DUT's *input* had no
 * speech, so a denoiser's residual bursts cannot hide pauses and a DUT that suppresses speech still
 * has its speech frames judged. A DUT latency up to the VAD hangover (200 ms) keeps deg's speech tail
 * inside the speech frames.
 *
 * - speechActivity = speech frames / frames.
 * - noiseFloorDb = 10·log10(mean deg power over pause frames), floored at −120 dBFS (digital silence).
 * - noiseAttenuationDb = 10·log10(N_noisy / N_deg), N = mean power over the same pause frames.
 * - speechLevelChangeDb = 10·log10(S_deg / S_noisy) with S = mean power over speech frames minus the
 *   stream's own N: the speech power without the noise underneath (power subtraction, noise assumed
 *   uncorrelated with speech). About 0 dB for a DUT that leaves speech alone, negative when it
 *   suppresses speech.
 * Memory: the sums, plus powers of the VAD_DELAY frames waiting for their decision.
 */
import { type MetricAccumulator, type MetricValue, nullValue, value } from '../types.js';
import {
  type DegBlock,
  HopSplitter,
  type HopConsumer,
  NEEDS_NOISY_REASON,
  SHORT_REASON,
  SILENT_REASON,
  finite,
  hopSamples,
  rateProblem,
} from './types.js';
import { FrameVad, POWER_FLOOR, VAD_DELAY } from './vad.js';

/** One frame as the live engine sees it, once the VAD's decision is final (valid during the callback). */
export interface LevelFrame {
  /** Frame number since reset; frame k covers samples [k·hop, k·hop + 2·hop). */
  index: number;
  /** Start of the frame, s since reset. */
  time: number;
  /** Mean square of deg over the frame. */
  degPower: number;
  /** Mean square of noisy over the frame, or null without noisy. */
  noisyPower: number | null;
  /** VAD decision. */
  speech: boolean;
}

export interface LevelResults {
  speechActivity: MetricValue;
  noiseFloorDb: MetricValue;
  noiseAttenuationDb: MetricValue;
  speechLevelChangeDb: MetricValue;
}

export interface LevelOptions {
  sampleRate: number;
  /** Whether blocks carry the noisy input (the VAD then runs on it). */
  withNoisy: boolean;
  onFrame?: (frame: LevelFrame) => void;
}

/** Running sums over decided frames. */
class LevelSums {
  frames = 0;
  speechFrames = 0;
  degSpeech = 0;
  noisySpeech = 0;
  degPause = 0;
  noisyPause = 0;

  add(speech: boolean, deg: number, noisy: number): void {
    this.frames++;
    if (speech) {
      this.speechFrames++;
      this.degSpeech += deg;
      this.noisySpeech += noisy;
    } else {
      this.degPause += deg;
      this.noisyPause += noisy;
    }
  }

  copyFrom(o: LevelSums): void {
    this.frames = o.frames;
    this.speechFrames = o.speechFrames;
    this.degSpeech = o.degSpeech;
    this.noisySpeech = o.noisySpeech;
    this.degPause = o.degPause;
    this.noisyPause = o.noisyPause;
  }

  reset(): void {
    this.copyFrom(new LevelSums());
  }
}

export class LevelAccumulator implements MetricAccumulator<DegBlock, LevelResults>, HopConsumer {
  readonly sampleRate: number;
  readonly withNoisy: boolean;
  readonly hop: number;
  /** The VAD; the dropout detector of a ReferenceFreeSet reads its trigger state. */
  readonly vad: FrameVad;
  private readonly problem: string | null;
  private readonly splitter: HopSplitter;
  private readonly onFrame?: (frame: LevelFrame) => void;
  private readonly frame: LevelFrame = { index: 0, time: 0, degPower: 0, noisyPower: null, speech: false };
  // Sums of squares of the current and the previous hop.
  private hopDeg = 0;
  private hopNoisy = 0;
  private prevDeg = 0;
  private prevNoisy = 0;
  private hops = 0;
  private degNonZero = false;
  /** Frame powers waiting for the VAD's decision, ring indexed by frame % length. */
  private readonly pendingDeg = new Float64Array(VAD_DELAY + 1);
  private readonly pendingNoisy = new Float64Array(VAD_DELAY + 1);
  private readonly sums = new LevelSums();
  private readonly scratch = new LevelSums();

  constructor({ sampleRate, withNoisy, onFrame }: LevelOptions) {
    this.sampleRate = sampleRate;
    this.withNoisy = withNoisy;
    this.problem = rateProblem(sampleRate);
    this.hop = this.problem ? 1 : hopSamples(sampleRate);
    this.onFrame = onFrame;
    this.vad = new FrameVad(this.hop, (k, speech) => this.decided(k, speech));
    this.splitter = new HopSplitter(this.hop, [this]);
  }

  update(block: DegBlock): void {
    if (this.problem) return;
    this.splitter.push(block, this.withNoisy);
  }

  /** @internal Per-sample work of one hop piece (driven by a HopSplitter). */
  segment(deg: Float64Array, noisy: Float64Array | undefined, start: number, end: number): void {
    let sd = this.hopDeg;
    if (noisy) {
      // One loop for both: the two independent add chains overlap.
      let sn = this.hopNoisy;
      for (let i = start; i < end; i++) {
        sd += deg[i] * deg[i];
        sn += noisy[i] * noisy[i];
      }
      this.hopNoisy = sn;
    } else {
      for (let i = start; i < end; i++) sd += deg[i] * deg[i];
    }
    this.hopDeg = sd;
  }

  /** @internal */
  hopEnd(): void {
    if (this.hopDeg > 0) this.degNonZero = true;
    if (this.hops > 0) {
      const k = this.hops - 1;
      const len = 2 * this.hop;
      const pd = (this.prevDeg + this.hopDeg) / len;
      const pn = (this.prevNoisy + this.hopNoisy) / len;
      const slot = k % this.pendingDeg.length;
      this.pendingDeg[slot] = pd;
      this.pendingNoisy[slot] = pn;
      this.vad.pushFrame(this.withNoisy ? pn : pd);
    }
    this.hops++;
    this.prevDeg = this.hopDeg;
    this.prevNoisy = this.hopNoisy;
    this.hopDeg = 0;
    this.hopNoisy = 0;
  }

  private decided(k: number, speech: boolean): void {
    const slot = k % this.pendingDeg.length;
    const pd = this.pendingDeg[slot];
    const pn = this.pendingNoisy[slot];
    this.sums.add(speech, pd, pn);
    if (this.onFrame) {
      const f = this.frame;
      f.index = k;
      f.time = (k * this.hop) / this.sampleRate;
      f.degPower = pd;
      f.noisyPower = this.withNoisy ? pn : null;
      f.speech = speech;
      this.onFrame(f);
    }
  }

  /** Why no value can be given yet (bad rate, too short, silent deg), or null. */
  commonProblem(): string | null {
    if (this.problem) return this.problem;
    if (this.vad.frames === 0) return SHORT_REASON;
    if (!this.degNonZero && this.hopDeg === 0) return SILENT_REASON;
    return null;
  }

  compute(): LevelResults {
    const problem = this.commonProblem();
    if (problem) {
      const v = nullValue(problem);
      return { speechActivity: v, noiseFloorDb: v, noiseAttenuationDb: v, speechLevelChangeDb: v };
    }
    // Fold in the frames still waiting for look-ahead without touching the running state.
    const s = this.scratch;
    s.copyFrom(this.sums);
    this.vad.forEachPending((k, speech) => {
      const slot = k % this.pendingDeg.length;
      s.add(speech, this.pendingDeg[slot], this.pendingNoisy[slot]);
    });
    const pauses = s.frames - s.speechFrames;
    const noPause = nullValue('no speech pause detected');
    const nDeg = pauses > 0 ? s.degPause / pauses : 0;
    const nNoisy = pauses > 0 ? s.noisyPause / pauses : 0;

    let attenuation: MetricValue;
    let change: MetricValue;
    if (!this.withNoisy) {
      attenuation = change = nullValue(NEEDS_NOISY_REASON);
    } else {
      if (pauses === 0) attenuation = noPause;
      else if (!(nNoisy > POWER_FLOOR)) attenuation = nullValue('noisy is digitally silent in the pauses: nothing to attenuate');
      else attenuation = value(10 * Math.log10(nNoisy / Math.max(nDeg, POWER_FLOOR)));

      if (s.speechFrames === 0) change = nullValue('no speech detected');
      else if (pauses === 0) change = nullValue('no speech pause to estimate the noise under the speech');
      else {
        const speechNoisy = s.noisySpeech / s.speechFrames - nNoisy;
        const speechDeg = s.degSpeech / s.speechFrames - nDeg;
        if (!(speechNoisy > POWER_FLOOR)) change = nullValue('speech in noisy is not above its noise floor');
        else if (!(speechDeg > POWER_FLOOR)) change = nullValue('speech in deg is not above its noise floor (suppressed)');
        else change = value(10 * Math.log10(speechDeg / speechNoisy));
      }
    }
    return {
      speechActivity: value(s.speechFrames / s.frames),
      noiseFloorDb: finite(pauses > 0 ? value(10 * Math.log10(Math.max(nDeg, POWER_FLOOR))) : noPause),
      noiseAttenuationDb: finite(attenuation),
      speechLevelChangeDb: finite(change),
    };
  }

  reset(): void {
    this.splitter.reset();
    this.vad.reset();
    this.hopDeg = this.hopNoisy = this.prevDeg = this.prevNoisy = 0;
    this.hops = 0;
    this.degNonZero = false;
    this.pendingDeg.fill(0);
    this.pendingNoisy.fill(0);
    this.sums.reset();
  }
}
