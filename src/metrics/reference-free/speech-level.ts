/**
 * Active speech level of deg in the manner of ITU-T P.56 (12/2011) method B, streaming:
 * - envelope: two cascaded first-order smoothers of |x| with time constant 0.03 s
 *   (p(n) = g·p(n−1) + (1−g)|x(n)|, q(n) = g·q(n−1) + (1−g)·p(n), g = exp(−1/(0.03·fs)));
 * - a ladder of thresholds c_j; a sample counts as active for c_j while q ≥ c_j or within the 0.2 s
 *   hangover after q last reached c_j; a_j = active samples;
 * - A_j = 10·log10(Σx² / a_j) (the whole signal's energy over the active time, as P.56 does),
 *   C_j = 20·log10(c_j); the active level is A where A − C falls to the margin M = 15.9 dB,
 *   interpolated linearly between the two ladder steps that straddle it.
 * Our differences from the recommendation, both for streaming at constant cost: the ladder is in 1 dB
 * steps from −100 to 0 dBFS (P.56 uses 6 dB steps of a 16-bit range: finer steps need less
 * interpolation), and activity is decided per 10 ms hop (a hop is active for c_j when q reached c_j in
 * it; the hangover is 20 hops), which moves each activity boundary by less than one hop.
 * Level unit: dBFS as 10·log10(mean square) on the [-1, 1) scale, i.e. dBov of ITU-T P.191 (a
 * full-scale square wave is 0, a full-scale sine −3.01).
 * Memory: the ladder's counters (101 + 101 numbers), whatever the stream length.
 */
import { type MetricAccumulator, type MetricValue, nullValue, value } from '../types.js';
import { type DegBlock, DegHopFamily, SHORT_REASON, SILENT_REASON, finite, } from './types.js';

/** Envelope time constant, s (P.56 §B.2). */
export const P56_TIME_CONSTANT_SEC = 0.03;
/** Hangover, s (P.56). */
export const P56_HANGOVER_SEC = 0.2;
/** Margin between active level and threshold, dB (P.56). */
export const P56_MARGIN_DB = 15.9;
/** Threshold ladder: from, to and step, dBFS (envelope amplitude re full scale). */
export const P56_LADDER_MIN_DB = -100;
export const P56_LADDER_MAX_DB = 0;
export const P56_LADDER_STEP_DB = 1;

const LADDER_SIZE = Math.round((P56_LADDER_MAX_DB - P56_LADDER_MIN_DB) / P56_LADDER_STEP_DB) + 1;
const THRESHOLDS = Float64Array.from({ length: LADDER_SIZE }, (_, j) => 10 ** ((P56_LADDER_MIN_DB + j * P56_LADDER_STEP_DB) / 20));
const HANGOVER_HOPS = Math.round(P56_HANGOVER_SEC / 0.01);

/** Number of ladder thresholds c_j ≤ level (the thresholds the envelope reached). */
function thresholdsReached(level: number): number {
  if (!(level >= THRESHOLDS[0])) return 0;
  let j = Math.min(LADDER_SIZE, Math.max(0, Math.floor((20 * Math.log10(level) - P56_LADDER_MIN_DB) / P56_LADDER_STEP_DB) + 1));
  // Settle float rounding of the log against the exact comparison.
  while (j < LADDER_SIZE && THRESHOLDS[j] <= level) j++;
  while (j > 0 && THRESHOLDS[j - 1] > level) j--;
  return j;
}

/**
 * The P.56 level from the ladder's counts (pure kernel): energy Σx², active samples per threshold.
 * Returns the level in dBFS, or a reason.
 */
export function p56Level(energy: number, active: Float64Array): MetricValue {
  let prevDelta = NaN;
  let prevA = NaN;
  const floorReason = `speech level below the ${P56_LADDER_MIN_DB + P56_MARGIN_DB} dBFS measurement floor`;
  if (!(active[0] > 0)) return nullValue(floorReason); // the envelope never reached the lowest threshold
  for (let j = 0; j < LADDER_SIZE; j++) {
    if (!(active[j] > 0)) break;
    const a = 10 * Math.log10(energy / active[j]);
    const delta = a - (P56_LADDER_MIN_DB + j * P56_LADDER_STEP_DB);
    if (delta <= P56_MARGIN_DB) {
      if (j === 0) return nullValue(floorReason);
      const f = (prevDelta - P56_MARGIN_DB) / (prevDelta - delta);
      return value(prevA + f * (a - prevA));
    }
    prevDelta = delta;
    prevA = a;
  }
  return nullValue('no stable active level (impulsive signal: the envelope never nears the RMS)');
}

/** Per-hop values for a live window (valid during the callback). */
export interface SpeechLevelHop {
  /** Hop number since reset; hop k covers samples [k·hop, (k+1)·hop). */
  index: number;
  /** Σx² over the hop. */
  energy: number;
  /** Peak of the P.56 envelope q in the hop (full-scale units). */
  envelopePeak: number;
}

export interface SpeechLevelOptions {
  sampleRate: number;
  onHop?: (hop: SpeechLevelHop) => void;
}

export class SpeechLevelAccumulator extends DegHopFamily implements MetricAccumulator<DegBlock, MetricValue> {
  private readonly g: number;
  private readonly onHop?: (hop: SpeechLevelHop) => void;
  private readonly hopRecord: SpeechLevelHop = { index: 0, energy: 0, envelopePeak: 0 };
  private p = 0;
  private q = 0;
  private hopPeak = 0;
  private hopEnergy = 0;
  private hopFill = 0;
  private hops = 0;
  private energy = 0;
  private samples = 0;
  /** Active samples per threshold. */
  private readonly active = new Float64Array(LADDER_SIZE);
  /** Hops since the envelope last reached each threshold (HANGOVER_HOPS and more = inactive). */
  private readonly since = new Int32Array(LADDER_SIZE).fill(HANGOVER_HOPS);
  private readonly scratch = new Float64Array(LADDER_SIZE);

  constructor({ sampleRate, onHop }: SpeechLevelOptions) {
    super(sampleRate);
    this.g = Math.exp(-1 / (P56_TIME_CONSTANT_SEC * sampleRate));
    this.onHop = onHop;
  }

  /** @internal */
  segment(deg: Float64Array, _noisy: Float64Array | undefined, start: number, end: number): void {
    const g = this.g;
    const h = 1 - g;
    let p = this.p;
    let q = this.q;
    let peak = this.hopPeak;
    let e = this.hopEnergy;
    for (let i = start; i < end; i++) {
      const x = deg[i];
      e += x * x;
      p = g * p + h * Math.abs(x);
      q = g * q + h * p;
      if (q > peak) peak = q;
    }
    this.p = p;
    this.q = q;
    this.hopPeak = peak;
    this.hopEnergy = e;
    this.hopFill += end - start;
  }

  /** @internal */
  hopEnd(): void {
    this.countHop(this.hopPeak, this.hopFill, this.active, true);
    this.energy += this.hopEnergy;
    this.samples += this.hopFill;
    if (this.onHop) {
      const r = this.hopRecord;
      r.index = this.hops;
      r.energy = this.hopEnergy;
      r.envelopePeak = this.hopPeak;
      this.onHop(r);
    }
    this.hops++;
    this.hopPeak = 0;
    this.hopEnergy = 0;
    this.hopFill = 0;
  }

  /** Add one hop's activity to `active`; `commit` also advances the hangover counters. */
  private countHop(peak: number, length: number, active: Float64Array, commit: boolean): void {
    const reached = thresholdsReached(peak);
    const since = this.since;
    for (let j = 0; j < LADDER_SIZE; j++) {
      if (j < reached) {
        active[j] += length;
        if (commit) since[j] = 0;
      } else if (since[j] < HANGOVER_HOPS) {
        active[j] += length;
        if (commit) since[j]++;
      } else break; // since[] never decreases with j: no higher threshold is active either
    }
  }

  compute(): MetricValue {
    if (this.problem) return nullValue(this.problem);
    const samples = this.samples + this.hopFill;
    if (samples < 2 * this.hop) return nullValue(SHORT_REASON);
    const energy = this.energy + this.hopEnergy;
    if (Number.isNaN(energy)) return nullValue('non-finite input samples');
    if (!(energy > 0)) return nullValue(SILENT_REASON);
    const active = this.scratch;
    active.set(this.active);
    if (this.hopFill > 0) this.countHop(this.hopPeak, this.hopFill, active, false);
    return finite(p56Level(energy, active));
  }

  reset(): void {
    this.splitter.reset();
    this.p = this.q = this.hopPeak = this.hopEnergy = 0;
    this.hopFill = this.hops = this.samples = 0;
    this.energy = 0;
    this.active.fill(0);
    this.since.fill(HANGOVER_HOPS);
  }
}
