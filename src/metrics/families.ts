/**
 * The metric families' factories: how each family of the registry attaches its accumulators to a
 * session's front end, and how its keys' whole-stream values are read. `analyze`, `analyzeFiles`
 * and the live engine's summary all build their metrics here, for exactly the families a
 * `--metrics` selection needs.
 *
 * Derived keys (the composites and the quality index) are computed from the other families' values
 * by `derivedMetrics`; SA-SDR spans several pairs and is computed by the caller.
 */
import type { FrontEnd, PairBlock } from '../features/front-end.js';
import { STOI_RATE_HZ, perceptualRate } from '../features/front-end.js';
import { CiSdrAccumulator } from './ci-sdr.js';
import { compositeMeasures } from './composite.js';
import { FeatureDistanceAccumulator } from './feature-distance.js';
import { LlrAccumulator } from './llr.js';
import { pesqLike, type PesqLikeResult, type PesqMode } from './pesq/index.js';
import { PMSQE_SE_SPAN, PmsqeAccumulator } from './pmsqe.js';
import { standardErrorOf } from './running-stats.js';
import { qualityIndex } from './quality-index.js';
import type { MetricFamily, MetricKey, MetricSelection } from './registry.js';
import { SegSnrAccumulator } from './segsnr.js';
import { SepmSpectralAccumulator } from './sepm-spectral.js';
import { SiSdrAccumulator } from './si-sdr.js';
import { SnrAccumulator } from './snr.js';
import { SpectralAccumulator } from './spectral.js';
import { STOI_SE_SPAN, StoiAccumulator } from './stoi.js';
import type { MetricValue } from './types.js';
import { WsdrAccumulator } from './wsdr.js';

/** A value with its standard error where it has one. */
export type MetricResult = MetricValue & { uncertainty?: number | null };
/** Values of one pair by key (what a family produces), plus LLR's composite variant. */
export type PairResults = Partial<Record<MetricKey, MetricResult>> & { llrForComposite?: MetricResult };

export interface FamilyOptions {
  sampleRate: number;
  /** A noisy input accompanies the blocks (wSDR needs it). */
  withNoisy: boolean;
  /** PESQ-like mode: wideband at 16 kHz and above, narrowband at 8 kHz by default. */
  pesqMode?: PesqMode;
  /** Samples expected in all at the input rate (offline: the file length), so stores are sized once. */
  expectedLength?: number;
}

/** One family's accumulators on a front end: read its keys' values once the stream has ended. */
export interface OfflineFamily {
  results(): PairResults;
  /**
   * After a pass has ended: attach to `fe` and return true when the family needs the aligned signals
   * once more (a statistic over the whole signal came first); the driver then feeds them again.
   */
  nextPass?(fe: FrontEnd): boolean;
}

type Factory = (fe: FrontEnd, o: FamilyOptions) => OfflineFamily;

/**
 * Longest stretch the PESQ-like model scores at once, seconds. P.862 is specified for utterances of
 * seconds to tens of seconds and holds the whole signal; a longer file is scored in consecutive
 * pieces of this length, and its value is their length-weighted mean (docs/metrics.md). Memory: two
 * float64 signals of this length at 16 kHz (31 MB).
 */
export const PESQ_MAX_SEGMENT_SEC = 120;

/**
 * The perceptual-rate signals in pieces of at most PESQ_MAX_SEGMENT_SEC, each scored by `score` as
 * soon as it is full (bounded memory); `finish` scores the last piece.
 */
class PesqSegments {
  private ref: Float64Array;
  private deg: Float64Array;
  private length = 0;
  private readonly capacity: number;
  readonly scored: { samples: number; result: PesqLikeResult; composite?: PesqLikeResult }[] = [];

  constructor(
    rate: number,
    expected: number,
    private readonly score: (ref: Float64Array, deg: Float64Array) => { result: PesqLikeResult; composite?: PesqLikeResult },
  ) {
    this.capacity = Math.round(PESQ_MAX_SEGMENT_SEC * rate);
    this.ref = new Float64Array(Math.min(this.capacity, Math.max(1024, expected)));
    this.deg = new Float64Array(this.ref.length);
  }

  update({ ref, deg }: PairBlock): void {
    let pos = 0;
    while (pos < ref.length) {
      const take = Math.min(ref.length - pos, this.capacity - this.length);
      this.ensure(this.length + take);
      this.ref.set(ref.subarray(pos, pos + take), this.length);
      this.deg.set(deg.subarray(pos, pos + take), this.length);
      this.length += take;
      pos += take;
      if (this.length === this.capacity) this.flush();
    }
  }

  /** Room for `n` samples (grows by doubling up to the capacity, so short files stay small). */
  private ensure(n: number): void {
    if (n <= this.ref.length) return;
    const cap = Math.min(this.capacity, Math.max(n, 2 * this.ref.length));
    const a = new Float64Array(cap);
    const b = new Float64Array(cap);
    a.set(this.ref.subarray(0, this.length));
    b.set(this.deg.subarray(0, this.length));
    this.ref = a;
    this.deg = b;
  }

  private flush(): void {
    if (this.length === 0) return;
    this.scored.push({ samples: this.length, ...this.score(this.ref.subarray(0, this.length), this.deg.subarray(0, this.length)) });
    this.length = 0;
  }

  /** Score the last piece. */
  finish(): void {
    this.flush();
  }
}

/**
 * Length-weighted mean of the pieces' values (pieces without one, e.g. a too short last piece, are
 * left out unless none has a value: then the first reason).
 */
function combinePieces(pieces: { samples: number; value: number | null; reason?: string }[]): { value: number | null; reason?: string; pieces: number } {
  let w = 0;
  let sum = 0;
  let used = 0;
  for (const p of pieces) {
    if (p.value === null) continue;
    w += p.samples;
    sum += p.samples * p.value;
    used++;
  }
  if (used === 0) return { value: null, reason: pieces[0]?.reason ?? 'no signal', pieces: 0 };
  return { value: sum / w, pieces: used };
}

/**
 * 10 kHz sample pairs STOI holds to score in one pass (2 minutes: 19 MB); longer signals are read a
 * second time instead (constant memory).
 */
export const STOI_MAX_REPLAY = 120 * STOI_RATE_HZ;

/**
 * PMSQE frames (62.5 per second) held to score in one pass: 2 minutes (6 MB at 16 kHz); longer
 * signals are read twice more instead (constant memory).
 */
export const PMSQE_MAX_REPLAY_FRAMES = 120 * 62.5;

/** Composite measures are defined where pysepm defines them (its PESQ accepts only 8 and 16 kHz). */
const COMPOSITE_RATES = [8000, 16000];

/** `nextPass` of an accumulator that asks for the signals again: start its next pass and attach it to the new front end. */
const passAgain =
  (needs: () => boolean, begin: () => void, attach: (fe: FrontEnd) => void) =>
  (next: FrontEnd): boolean => {
    if (!needs()) return false;
    begin();
    attach(next);
    return true;
  };

const withSe = (v: MetricValue, se: number | null | undefined): MetricResult => ({ ...v, uncertainty: v.value === null ? null : (se ?? null) });

const FACTORIES: Partial<Record<MetricFamily, Factory>> = {
  energy: (fe) => {
    const acc = new SnrAccumulator();
    fe.onSamples(acc);
    return { results: () => ({ snr: acc.compute(), mse: acc.computeMse() }) };
  },
  sisdr: (fe) => {
    const acc = new SiSdrAccumulator();
    fe.onSamples(acc);
    return { results: () => ({ sisdr: acc.compute() }) };
  },
  wsdr: (fe, o) => {
    if (!o.withNoisy) return { results: () => ({ wsdr: { value: null, reason: 'needs the noisy input (--noisy)' } }) };
    const acc = new WsdrAccumulator();
    fe.onSamples(acc);
    return { results: () => ({ wsdr: acc.compute() }) };
  },
  cisdr: (fe) => {
    const acc = new CiSdrAccumulator();
    fe.onSamples(acc);
    return { results: () => ({ cisdr: acc.compute() }) };
  },
  segsnr: (fe) => {
    const acc = new SegSnrAccumulator(fe.sampleRate, undefined, { framer: false });
    fe.onSepmFrames(acc);
    return { results: () => ({ segsnr: acc.compute(fe.samples) }) };
  },
  stoi: (fe, o) => {
    // STOI and ESTOI share the 10 kHz signals and envelopes: one accumulator gives both.
    const expected = o.expectedLength === undefined ? undefined : Math.min(STOI_MAX_REPLAY, Math.ceil((o.expectedLength * STOI_RATE_HZ) / fe.sampleRate) + 4096);
    const acc = new StoiAccumulator({ sampleRate: STOI_RATE_HZ, extended: false, expectedLength: expected, maxReplaySamples: STOI_MAX_REPLAY });
    fe.onStoiRate(acc);
    return {
      nextPass: passAgain(() => acc.needsSecondPass, () => acc.beginSecondPass(), (next) => next.onStoiRate(acc)),
      results: () => {
        const v = acc.computeBoth();
        const st = acc.segmentStatsBoth();
        const se = (s: { count: number; variance: number } | null) => (s && s.count > 1 ? standardErrorOf(s.variance, s.count, STOI_SE_SPAN) : null);
        return { stoi: withSe(v.stoi, se(st.stoi)), estoi: withSe(v.estoi, se(st.estoi)) };
      },
    };
  },
  spectral: (fe) => {
    const acc = new SpectralAccumulator(fe);
    return { results: () => acc.compute() };
  },
  features: (fe) => {
    const acc = new FeatureDistanceAccumulator(fe);
    return {
      results: () => {
        const r = acc.compute();
        return { featdist: r['log-mel'], mfccdist: r.mfcc };
      },
    };
  },
  llr: (fe) => {
    const acc = new LlrAccumulator({ sampleRate: fe.sampleRate, framer: false });
    fe.onSepmFrames(acc);
    return {
      results: () => {
        const r = acc.computeBoth(fe.samples);
        return { llr: r.llr, llrForComposite: r.llrForComposite };
      },
    };
  },
  'sepm-spectral': (fe) => {
    // WSS and fwSegSNR share one pair of pysepm power spectra per frame.
    const acc = new SepmSpectralAccumulator({ sampleRate: fe.sampleRate, framer: false });
    fe.onSepmFrames(acc);
    return {
      results: () => {
        const r = acc.compute(fe.samples);
        return { wss: r.wss, fwsegsnr: r.fwSegSnr };
      },
    };
  },
  pmsqe: (fe) => {
    const rate = perceptualRate(fe.sampleRate);
    const pmsqe = new PmsqeAccumulator({ sampleRate: rate, maxReplayFrames: PMSQE_MAX_REPLAY_FRAMES });
    fe.onPerceptualRate(pmsqe);
    return {
      nextPass: passAgain(() => pmsqe.needsAnotherPass, () => pmsqe.beginNextPass(), (next) => next.onPerceptualRate(pmsqe)),
      results: () => {
        const v = pmsqe.compute();
        const stats = pmsqe.frameStats();
        const se = stats && stats.variance !== null ? standardErrorOf(stats.variance, stats.count, PMSQE_SE_SPAN) : null;
        const r: MetricResult = { ...v, uncertainty: v.value === null ? null : se };
        if (rate !== fe.sampleRate && v.value !== null) r.reason = `computed at ${rate} Hz (resampled from ${fe.sampleRate} Hz)`;
        return { pmsqe: r };
      },
    };
  },
  pesq: (fe, o) => {
    const rate = perceptualRate(fe.sampleRate);
    const mode: PesqMode = o.pesqMode ?? (fe.sampleRate >= 16000 ? 'wb' : 'nb');
    // pysepm's P for the composites: the wide-band MOS-LQO at 16 kHz, the raw narrow-band P.862 score at 8 kHz.
    const compositeMode: PesqMode | null = COMPOSITE_RATES.includes(fe.sampleRate) ? (fe.sampleRate === 16000 ? 'wb' : 'nb') : null;
    const segments = new PesqSegments(rate, o.expectedLength === undefined ? 0 : Math.ceil((o.expectedLength * rate) / fe.sampleRate) + 4096, (ref, deg) => {
      const result = pesqLike(ref, deg, rate, mode);
      return { result, composite: compositeMode === null ? undefined : compositeMode === mode ? result : pesqLike(ref, deg, rate, compositeMode) };
    });
    fe.onPerceptualRate(segments);
    return {
      results: () => {
        segments.finish();
        const pieces = segments.scored;
        const p = combinePieces(pieces.map((x) => ({ samples: x.samples, value: x.result.value, reason: x.result.reason })));
        const pesq: MetricResult = p.value === null ? { value: null, reason: p.reason } : { value: p.value };
        if (p.value !== null && pieces.length > 1) pesq.reason = `mean of ${p.pieces} pieces of up to ${PESQ_MAX_SEGMENT_SEC} s, weighted by length`;
        const r = combinePieces(pieces.map((x) => ({ samples: x.samples, value: x.result.raw ?? null, reason: x.result.reason })));
        const pesqRaw: MetricResult = r.value === null ? { value: null, reason: r.reason } : { value: r.value };
        if (r.value !== null && pieces.length > 1) pesqRaw.reason = pesq.reason;
        const out: PairResults & { pesqForComposite?: number | null } = { pesq, pesqRaw };
        if (compositeMode !== null) {
          const c = combinePieces(
            pieces.map((x) => ({ samples: x.samples, value: fe.sampleRate === 16000 ? (x.composite?.value ?? null) : (x.composite?.raw ?? null) })),
          );
          out.pesqForComposite = c.value;
        }
        return out;
      },
    };
  },
};

/** Families whose accumulators read the front end (the rest are derived or span several pairs). */
export function isStreamingFamily(f: MetricFamily): boolean {
  return f in FACTORIES;
}

/** Attach the accumulators of every streaming family in `selection` to `fe`. */
export function attachFamilies(fe: FrontEnd, selection: MetricSelection, options: FamilyOptions): OfflineFamily[] {
  const out: OfflineFamily[] = [];
  for (const f of selection.families) {
    const make = FACTORIES[f];
    if (make) out.push(make(fe, options));
  }
  return out;
}

/** The composites and the quality index from the values of one pair. */
export function derivedMetrics(r: PairResults & { pesqForComposite?: number | null }, selection: MetricSelection, sampleRate: number): PairResults {
  const out: PairResults = {};
  if (selection.families.has('composite')) {
    if (!COMPOSITE_RATES.includes(sampleRate)) {
      const why = { value: null, reason: 'composite measures are defined at 8 and 16 kHz (as pysepm)' };
      Object.assign(out, { csig: why, cbak: why, covl: why });
    } else {
      Object.assign(
        out,
        compositeMeasures({
          pesq: r.pesqForComposite ?? null,
          llrForComposite: r.llrForComposite?.value ?? null,
          wss: r.wss?.value ?? null,
          segsnr: r.segsnr?.value ?? null,
        }),
      );
    }
  }
  if (selection.families.has('qindex')) {
    const q = qualityIndex(r as Record<string, MetricResult>);
    out.qindex = { value: q.value, reason: q.reason, uncertainty: q.uncertainty };
  }
  return out;
}
