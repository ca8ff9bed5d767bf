/**
 * Feature-space distance between ref and deg (the "deep feature loss" idea without training):
 * frames are mapped to a feature vector by a `FeatureExtractor` and the distance between the two
 * streams' vectors is averaged over frames. Two extractors ship:
 * - log-mel: 40 mel bands (0..fs/2) of 32 ms Hann frames, hop 16 ms, in dB floored at −80 dBFS;
 *   distance = RMS difference over bands (dB). Reported as `featdist`.
 * - MFCC: c1..c12 of the same log-mel energies (orthonormal DCT-II, c0 = level left out so a pure gain
 *   change does not count); distance = Euclidean (dB-scaled cepstral units). Reported as `mfccdist`.
 * An embedding model plugs in by implementing `FeatureExtractor` (see docs/metrics.md): it receives
 * the frame's power spectrum and writes its vector; `FeatureDistanceAccumulator` does the rest.
 */
import { applyMel, dctMatrix, melFilterbank, type MelFilterbank } from '../dsp/mel.js';
import { earshotError } from '../errors.js';
import { FrontEnd, STFT32_SE_SPAN, type SpectrumConsumer } from '../features/front-end.js';
import { RunningStats } from './running-stats.js';
import { spectralFftSize } from './spectral.js';
import { type MetricAccumulator, type MetricValue, type SignalBlock, nullValue, value } from './types.js';

export const MEL_BANDS = 40;
export const MFCC_COEFFS = 12;
export const FEATURE_FLOOR_DB = -80;

/** Maps one frame's power spectrum (bins 0..N/2, |X|² of the Hann-windowed frame) to a vector. */
export interface FeatureExtractor {
  readonly name: string;
  readonly dimension: number;
  extract(power: Float64Array, out: Float64Array): void;
  /** Distance between two vectors (default: RMS difference). */
  distance?(a: Float64Array, b: Float64Array): number;
}

/** Log-mel energies in dB re a full-scale sine, floored at FEATURE_FLOOR_DB. */
export class LogMelExtractor implements FeatureExtractor {
  readonly name = 'log-mel';
  readonly dimension: number;
  private readonly fb: MelFilterbank;
  private readonly fullScale: number;
  private readonly floor: number;

  constructor(sampleRate: number, fftSize: number, window: Float64Array, bands = MEL_BANDS) {
    this.dimension = bands;
    this.fb = melFilterbank(sampleRate, fftSize, bands);
    let sumW = 0;
    for (const w of window) sumW += w;
    this.fullScale = (sumW / 2) ** 2;
    this.floor = FEATURE_FLOOR_DB;
  }

  extract(power: Float64Array, out: Float64Array): void {
    applyMel(this.fb, power, out);
    for (let b = 0; b < out.length; b++) out[b] = Math.max(this.floor, 10 * Math.log10(out[b] / this.fullScale + 1e-30));
  }
}

/**
 * MFCC c1..cK from log-mel dB energies. Pass the `LogMelExtractor` of the same sample rate, FFT size
 * and window as `mel` to share it: `FeatureDistanceAccumulator` then computes each frame's log-mel
 * once for both (`fromLogMel`), instead of a second filterbank pass and 40 more log10 per spectrum.
 */
export class MfccExtractor implements FeatureExtractor {
  readonly name = 'mfcc';
  readonly dimension: number;
  /** The log-mel extractor this one reads (its own unless one was passed in). */
  readonly mel: LogMelExtractor;
  private readonly melOut: Float64Array;
  private readonly dct: Float64Array[];

  constructor(sampleRate: number, fftSize: number, window: Float64Array, coeffs = MFCC_COEFFS, mel?: LogMelExtractor) {
    this.mel = mel ?? new LogMelExtractor(sampleRate, fftSize, window);
    this.melOut = new Float64Array(this.mel.dimension);
    this.dimension = coeffs;
    this.dct = dctMatrix(this.mel.dimension, coeffs + 1).slice(1);
  }

  extract(power: Float64Array, out: Float64Array): void {
    this.mel.extract(power, this.melOut);
    this.fromLogMel(this.melOut, out);
  }

  /** c1..cK from log-mel energies `melDb` as `this.mel` computes them (length `mel.dimension`). */
  fromLogMel(melDb: Float64Array, out: Float64Array): void {
    for (let k = 0; k < this.dct.length; k++) {
      const row = this.dct[k];
      let acc = 0;
      for (let i = 0; i < row.length; i++) acc += row[i] * melDb[i];
      out[k] = acc;
    }
  }

  distance(a: Float64Array, b: Float64Array): number {
    let acc = 0;
    for (let i = 0; i < a.length; i++) acc += (a[i] - b[i]) ** 2;
    return Math.sqrt(acc);
  }
}

function rmsDifference(a: Float64Array, b: Float64Array): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += (a[i] - b[i]) ** 2;
  return Math.sqrt(acc / a.length);
}

export interface FeatureDistanceResult {
  [extractor: string]: MetricValue & { uncertainty: number | null };
}

/**
 * Mean per-frame distance for each extractor, on one shared STFT (32 ms periodic Hann, hop 16 ms).
 * Extractors default to log-mel and MFCC; pass others (e.g. an embedding model) to compare in their space.
 */
export class FeatureDistanceAccumulator implements MetricAccumulator<SignalBlock, FeatureDistanceResult>, SpectrumConsumer {
  readonly extractors: FeatureExtractor[];
  private readonly vRef: Float64Array[];
  private readonly vDeg: Float64Array[];
  private readonly stats: RunningStats[];
  private readonly own: FrontEnd | null;
  /** Per extractor: for an MFCC whose log-mel extractor comes earlier in the list, that one's index; else −1. */
  private readonly melFrom: Int32Array;

  /** `source`: the session's FrontEnd (which drives it), or a sample rate for standalone use. */
  constructor(source: number | FrontEnd, extractors?: FeatureExtractor[]) {
    const fe = typeof source === 'number' ? new FrontEnd(source) : source;
    this.own = typeof source === 'number' ? fe : null;
    const { fftSize: n, window } = fe.onStft32(this);
    if (extractors) this.extractors = extractors;
    else {
      const logMel = new LogMelExtractor(fe.sampleRate, n, window);
      this.extractors = [logMel, new MfccExtractor(fe.sampleRate, n, window, MFCC_COEFFS, logMel)];
    }
    this.melFrom = Int32Array.from(this.extractors, (e, i) => {
      const j = e instanceof MfccExtractor ? this.extractors.indexOf(e.mel) : -1;
      return j < i ? j : -1;
    });
    this.vRef = this.extractors.map((e) => new Float64Array(e.dimension));
    this.vDeg = this.extractors.map((e) => new Float64Array(e.dimension));
    this.stats = this.extractors.map(() => new RunningStats());
  }

  /** @internal One frame's power spectra, from the front end. */
  spectra(pRef: Float64Array, pDeg: Float64Array): void {
    for (let i = 0; i < this.extractors.length; i++) {
      const e = this.extractors[i];
      const j = this.melFrom[i];
      if (j >= 0) {
        // The log-mel vectors of this frame are already there: the same values extract() would compute.
        const mfcc = e as MfccExtractor;
        mfcc.fromLogMel(this.vRef[j], this.vRef[i]);
        mfcc.fromLogMel(this.vDeg[j], this.vDeg[i]);
      } else {
        e.extract(pRef, this.vRef[i]);
        e.extract(pDeg, this.vDeg[i]);
      }
      const d = e.distance ? e.distance(this.vRef[i], this.vDeg[i]) : rmsDifference(this.vRef[i], this.vDeg[i]);
      if (Number.isFinite(d)) this.stats[i].add(d);
    }
  }

  /** Standalone use only: a shared front end is fed by its owner. */
  update(block: SignalBlock): void {
    if (!this.own) throw earshotError('ERR_INVALID_ARGUMENT', 'this accumulator reads a shared front end: push blocks to the FrontEnd');
    this.own.push({ ref: block.ref, deg: block.deg });
  }

  compute(): FeatureDistanceResult {
    const out: FeatureDistanceResult = {};
    this.extractors.forEach((e, i) => {
      const s = this.stats[i];
      out[e.name] = s.count === 0 ? { ...nullValue('signal shorter than one frame'), uncertainty: null } : { ...value(s.mean), uncertainty: s.standardError(STFT32_SE_SPAN) };
    });
    return out;
  }

  reset(): void {
    this.own?.reset();
    for (const s of this.stats) s.reset();
  }
}
