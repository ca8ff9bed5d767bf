/**
 * All reference-free metrics of one deg stream (and its noisy input, when given) from one framing:
 * one hop splitter drives every family, the VAD is shared by the levels and the dropout detector, and
 * a combined per-frame record is offered to a live engine.
 *
 * @example
 * const set = new ReferenceFreeSet({ sampleRate: 16000, withNoisy: true });
 * for (const block of blocks) set.update({ deg: block.deg, noisy: block.noisy });
 * const m = set.compute(); // m.noiseAttenuationDb.value, m.wadaSnrDb.value, …
 */
import type { MetricAccumulator } from '../types.js';
import { ClippingAccumulator } from './clipping.js';
import { DcOffsetAccumulator } from './dc-offset.js';
import { type DropoutEvent, DropoutAccumulator } from './dropouts.js';
import { type LevelFrame, LevelAccumulator } from './levels.js';
import { SpeechLevelAccumulator } from './speech-level.js';
import { type DegBlock, HopSplitter, type ReferenceFreeMetrics, hopSamples, rateProblem } from './types.js';
import { VAD_DELAY } from './vad.js';
import { WadaSnrAccumulator } from './wada-snr.js';

/**
 * One frame for a live window, emitted once the VAD's decision on it is final (VAD_DELAY frames,
 * 70 ms, after the frame ends). Level fields describe the 20 ms frame k = samples [k·hop, k·hop + 2·hop);
 * the sample sums describe its first hop [k·hop, (k+1)·hop) only, so that summing them over
 * consecutive frames counts every sample once. The object is reused: copy what you keep.
 *
 * Windowed values from these fields (sums over the frames of a window):
 * - speech activity = speech frames / frames; noise floor = mean degPower over pause frames;
 *   attenuation = mean noisyPower / mean degPower over pause frames; speech level change as in
 *   LevelAccumulator; a windowed speech level = mean degPower over speech frames (P.56's ladder is not
 *   windowed);
 * - clipping ratio = Σ clippedSamples / Σ samples (at the extreme known when the frame was seen);
 * - DC offset = Σ dcSum / Σ samples;
 * - WADA: G = ln(Σ wadaAbsSum / Σ wadaCount) − Σ wadaLogSum / Σ wadaCount, then `wadaSnrFromG(G)`.
 */
export interface ReferenceFreeFrame {
  index: number;
  /** Start of the frame, s since reset. */
  time: number;
  degPower: number;
  noisyPower: number | null;
  speech: boolean;
  samples: number;
  dcSum: number;
  clippedSamples: number;
  wadaCount: number;
  wadaAbsSum: number;
  wadaLogSum: number;
}

export interface ReferenceFreeSetOptions {
  sampleRate: number;
  /** Whether blocks carry the noisy input (noise attenuation and speech level change need it). */
  withNoisy: boolean;
  onFrame?: (frame: ReferenceFreeFrame) => void;
  /** Each dropout and repeated frame as soon as it is detected. */
  onEvent?: (event: DropoutEvent) => void;
}

/** Ring of per-hop sums waiting for their frame's VAD decision. */
const HOP_RING = VAD_DELAY + 4;

export class ReferenceFreeSet implements MetricAccumulator<DegBlock, ReferenceFreeMetrics> {
  readonly sampleRate: number;
  readonly withNoisy: boolean;
  private readonly problem: string | null;
  private readonly splitter: HopSplitter;
  private readonly levels: LevelAccumulator;
  private readonly speechLevel: SpeechLevelAccumulator;
  private readonly clipping: ClippingAccumulator;
  private readonly dc: DcOffsetAccumulator;
  private readonly dropouts: DropoutAccumulator;
  private readonly wada: WadaSnrAccumulator;
  private readonly onFrame?: (frame: ReferenceFreeFrame) => void;
  private readonly frame: ReferenceFreeFrame = {
    index: 0,
    time: 0,
    degPower: 0,
    noisyPower: null,
    speech: false,
    samples: 0,
    dcSum: 0,
    clippedSamples: 0,
    wadaCount: 0,
    wadaAbsSum: 0,
    wadaLogSum: 0,
  };
  private readonly hopSamplesRing = new Float64Array(HOP_RING);
  private readonly hopDc = new Float64Array(HOP_RING);
  private readonly hopClipped = new Float64Array(HOP_RING);
  private readonly hopWadaCount = new Float64Array(HOP_RING);
  private readonly hopWadaAbs = new Float64Array(HOP_RING);
  private readonly hopWadaLog = new Float64Array(HOP_RING);

  constructor({ sampleRate, withNoisy, onFrame, onEvent }: ReferenceFreeSetOptions) {
    this.sampleRate = sampleRate;
    this.withNoisy = withNoisy;
    this.problem = rateProblem(sampleRate);
    this.onFrame = onFrame;
    const live = !!onFrame;
    this.levels = new LevelAccumulator({ sampleRate, withNoisy, onFrame: live ? (f) => this.emitFrame(f) : undefined });
    this.speechLevel = new SpeechLevelAccumulator({ sampleRate });
    this.clipping = new ClippingAccumulator({
      sampleRate,
      onHop: live
        ? (h) => {
            const s = h.index % HOP_RING;
            this.hopSamplesRing[s] = h.samples;
            this.hopClipped[s] = h.clipped;
          }
        : undefined,
    });
    this.dc = new DcOffsetAccumulator({ sampleRate, onHop: live ? (h) => (this.hopDc[h.index % HOP_RING] = h.sum) : undefined });
    this.wada = new WadaSnrAccumulator({
      sampleRate,
      onHop: live
        ? (h) => {
            const s = h.index % HOP_RING;
            this.hopWadaCount[s] = h.count;
            this.hopWadaAbs[s] = h.absSum;
            this.hopWadaLog[s] = h.logSum;
          }
        : undefined,
    });
    this.dropouts = new DropoutAccumulator({ sampleRate, withNoisy, vad: this.levels.vad, onEvent });
    const hop = this.problem ? 1 : hopSamples(sampleRate);
    // Levels first: its hop end feeds the VAD that the dropout detector reads in the next hop.
    this.splitter = new HopSplitter(hop, [this.levels, this.speechLevel, this.clipping, this.dc, this.dropouts, this.wada]);
  }

  update(block: DegBlock): void {
    if (this.problem) return;
    this.splitter.push(block, this.withNoisy);
  }

  private emitFrame(f: LevelFrame): void {
    const out = this.frame;
    const s = f.index % HOP_RING;
    out.index = f.index;
    out.time = f.time;
    out.degPower = f.degPower;
    out.noisyPower = f.noisyPower;
    out.speech = f.speech;
    out.samples = this.hopSamplesRing[s];
    out.dcSum = this.hopDc[s];
    out.clippedSamples = this.hopClipped[s];
    out.wadaCount = this.hopWadaCount[s];
    out.wadaAbsSum = this.hopWadaAbs[s];
    out.wadaLogSum = this.hopWadaLog[s];
    this.onFrame!(out);
  }

  compute(): ReferenceFreeMetrics {
    const levels = this.levels.compute();
    const drop = this.dropouts.compute();
    return {
      speechActivity: levels.speechActivity,
      speechLevelDb: this.speechLevel.compute(),
      noiseFloorDb: levels.noiseFloorDb,
      noiseAttenuationDb: levels.noiseAttenuationDb,
      speechLevelChangeDb: levels.speechLevelChangeDb,
      clippingRatio: this.clipping.compute(),
      dcOffset: this.dc.compute(),
      dropouts: drop.dropouts,
      dropoutTimes: drop.dropoutTimes,
      repeatedFrames: drop.repeatedFrames,
      repeatedFrameTimes: drop.repeatedFrameTimes,
      wadaSnrDb: this.wada.compute(),
    };
  }

  reset(): void {
    this.splitter.reset();
    for (const acc of [this.levels, this.speechLevel, this.clipping, this.dc, this.dropouts, this.wada]) acc.reset();
    for (const r of [this.hopSamplesRing, this.hopDc, this.hopClipped, this.hopWadaCount, this.hopWadaAbs, this.hopWadaLog]) r.fill(0);
  }
}
