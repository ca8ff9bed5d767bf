/**
 * The one table of metrics. Every key Earshot reports is defined here once: what it is, its unit and
 * direction, which reference implementation it matches, which inputs and front-end stages it needs,
 * which consumer family computes it, how the live engine windows it, and its Prometheus label.
 *
 * `earshot analyze` (table and `--json`), the live engine and its summary, `earshot metrics`, the
 * dashboard's labels and `/metrics` all read this table; nothing else lists metric keys.
 *
 * Families: several keys come from one consumer that shares its work (STOI and ESTOI share the 10 kHz
 * envelopes, LSD and spectral cosine one pair of power spectra, WSS and fwSegSNR one pysepm spectrum).
 * `--metrics LIST` resolves to the families of the requested keys plus their dependencies, and the
 * front end builds only the stages those families declare.
 */
import { earshotError } from '../errors.js';

/** Stages of the shared front end (src/features/) a family reads. */
export type FrontEndStage =
  /** The aligned samples themselves at the input rate (running sums, correlations). */
  | 'samples'
  /** pysepm's 30 ms MATLAB-Hann frames, hop a quarter frame, at the input rate. */
  | 'sepm-frames'
  /** 32 ms periodic-Hann power spectra, hop half a frame (512/256 at 16 kHz), at the input rate. */
  | 'stft32'
  /** The 10 kHz resampled signals STOI/ESTOI frame as pystoi does (256/128). */
  | 'stoi-10k'
  /** The signals at 16 kHz (8 kHz below 16 kHz), resampled when the input is at another rate. */
  | 'perceptual-rate';

/**
 * How the live engine reports a key:
 * - `sums`: a ratio of running sums; sliding windows merge per-hop sums, `total` equals offline;
 * - `frames`: a mean of per-frame (or per-segment) values; windows average their frames;
 * - `refresh`: recomputed every `everySec` seconds of stream over `window` (costly metrics);
 * - `offline`: whole-stream only (the summary and `earshot analyze`), not live.
 */
export type LivePolicy =
  | { kind: 'sums' }
  | { kind: 'frames' }
  | { kind: 'refresh'; everySec: number; window: '10s' | 'total' }
  | { kind: 'offline' };

export type MetricFamily =
  | 'energy'
  | 'sisdr'
  | 'wsdr'
  | 'sasdr'
  | 'cisdr'
  | 'segsnr'
  | 'stoi'
  | 'spectral'
  | 'pmsqe'
  | 'pesq'
  | 'composite'
  | 'llr'
  | 'sepm-spectral'
  | 'features'
  | 'qindex'
  | 'reference-free';

export interface MetricDefinition {
  /** Key in `earshot analyze --json`, the live feed and `--metrics`. */
  readonly key: string;
  readonly label: string;
  /** '' for unitless. */
  readonly unit: string;
  /** null: neither direction is better (a level, a share of speech). */
  readonly higherIsBetter: boolean | null;
  /** Decimal places worth printing. */
  readonly digits: number;
  readonly description: string;
  /** The implementation our value agrees with, or how it is defined where there is none. */
  readonly reference: string;
  readonly family: MetricFamily;
  /** Streams it needs besides deg. */
  readonly needs: readonly ('ref' | 'noisy' | 'several-speakers')[];
  readonly stages: readonly FrontEndStage[];
  /** Keys whose values it is computed from (composites, quality index). */
  readonly dependsOn?: readonly string[];
  readonly live: LivePolicy;
  /** Value of the `metric` label on `earshot_metric_value` / `earshot_metric_uncertainty`. */
  readonly prometheus: string;
  /** Reference-based metrics, or measures of deg alone (docs/reference-free.md). */
  readonly kind: 'reference' | 'reference-free';
}

type Def = Omit<MetricDefinition, 'prometheus' | 'kind'> & { prometheus?: string; kind?: MetricDefinition['kind'] };

const REF = ['ref'] as const;
const SUMS: LivePolicy = { kind: 'sums' };
const FRAMES: LivePolicy = { kind: 'frames' };
const OFFLINE: LivePolicy = { kind: 'offline' };

const refFree = <K extends string>(d: Omit<Def, 'key' | 'family' | 'needs' | 'stages' | 'live' | 'reference'> & { key: K; needs?: Def['needs']; reference?: string }): Def & { key: K; kind: 'reference-free' } => ({
  family: 'reference-free',
  needs: d.needs ?? [],
  stages: ['samples'],
  live: { kind: 'refresh', everySec: 1, window: 'total' },
  reference: d.reference ?? 'our definition (docs/reference-free.md)',
  ...d,
  kind: 'reference-free',
});

const DEFINITIONS = [
  { key: 'snr', label: 'SNR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'signal-to-noise ratio, 10·log10(‖s‖²/‖s−ŝ‖²)', reference: 'golden snr formula (no mean removal)', family: 'energy', needs: REF, stages: ['samples'], live: SUMS },
  { key: 'segsnr', label: 'Segmental SNR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'mean of 30 ms frame SNRs clamped to [−10, 35] dB (pysepm SNRseg)', reference: 'pysepm SNRseg', family: 'segsnr', needs: REF, stages: ['sepm-frames'], live: FRAMES },
  { key: 'sisdr', label: 'SI-SDR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'scale-invariant signal-to-distortion ratio', reference: 'golden si_sdr formula (zero-mean)', family: 'sisdr', needs: REF, stages: ['samples'], live: SUMS },
  { key: 'cisdr', label: 'CI-SDR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'convolutive-invariant SDR, 512-tap filter (= bss_eval SDR)', reference: 'fgnt/ci_sdr, mir_eval bss_eval SDR', family: 'cisdr', needs: REF, stages: ['samples'], live: { kind: 'refresh', everySec: 5, window: 'total' } },
  { key: 'wsdr', label: 'wSDR loss', unit: '', higherIsBetter: false, digits: 4, description: 'weighted SDR loss of DCUnet, −1 is perfect (needs the noisy input)', reference: 'DCUnet.pytorch wSDRLoss', family: 'wsdr', needs: ['ref', 'noisy'], stages: ['samples'], live: SUMS },
  { key: 'sasdr', label: 'SA-SDR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'source-aggregated SDR over all speakers, best permutation', reference: 'golden sa_sdr formula (von Neumann et al.)', family: 'sasdr', needs: ['ref', 'several-speakers'], stages: ['samples'], live: OFFLINE },
  { key: 'stoi', label: 'STOI', unit: '', higherIsBetter: true, digits: 4, description: 'short-time objective intelligibility (pystoi)', reference: 'pystoi 0.4.1', family: 'stoi', needs: REF, stages: ['stoi-10k'], live: FRAMES },
  { key: 'estoi', label: 'ESTOI', unit: '', higherIsBetter: true, digits: 4, description: 'extended STOI (pystoi, extended=True)', reference: 'pystoi 0.4.1, extended=True', family: 'stoi', needs: REF, stages: ['stoi-10k'], live: FRAMES },
  { key: 'lsd', label: 'Log-spectral distance', unit: 'dB', higherIsBetter: false, digits: 2, description: 'RMS difference of 32 ms log power spectra, mean over frames', reference: 'our definition (docs/metrics.md)', family: 'spectral', needs: REF, stages: ['stft32'], live: FRAMES },
  { key: 'cosine', label: 'Spectral cosine', unit: '', higherIsBetter: true, digits: 4, description: 'cosine similarity of 32 ms magnitude spectra, mean over frames', reference: 'our definition (docs/metrics.md)', family: 'spectral', needs: REF, stages: ['stft32'], live: FRAMES },
  { key: 'mse', label: 'MSE', unit: '', higherIsBetter: false, digits: 6, description: 'mean squared error on the [−1, 1) sample scale', reference: 'mean (s − ŝ)²', family: 'energy', needs: REF, stages: ['samples'], live: SUMS },
  { key: 'pmsqe', label: 'PMSQE', unit: '', higherIsBetter: false, digits: 4, description: 'perceptual metric for speech quality evaluation (asteroid SingleSrcPMSQE)', reference: 'asteroid SingleSrcPMSQE', family: 'pmsqe', needs: REF, stages: ['perceptual-rate'], live: { kind: 'refresh', everySec: 10, window: '10s' } },
  { key: 'pesq', label: 'PESQ-like MOS (estimate)', unit: 'MOS', higherIsBetter: true, digits: 2, description: 'our own estimate after the published PESQ model; not ITU-T P.862', reference: 'our model after Rix et al. 2001 / P.862 (docs/pesq-like.md); not P.862 itself', family: 'pesq', needs: REF, stages: ['perceptual-rate'], live: { kind: 'refresh', everySec: 10, window: '10s' } },
  { key: 'pesqRaw', label: 'PESQ-like raw score (estimate)', unit: '', higherIsBetter: true, digits: 3, description: 'the PESQ-like estimate before its MOS-LQO mapping: the P.862-style raw score, −0.5…4.5', reference: 'our model after P.862 §10.2.11 (docs/pesq-like.md); not P.862 itself', family: 'pesq', needs: REF, stages: ['perceptual-rate'], live: { kind: 'refresh', everySec: 10, window: '10s' } },
  { key: 'csig', label: 'Csig (composite)', unit: 'MOS', higherIsBetter: true, digits: 2, description: 'Hu & Loizou signal distortion, with the PESQ-like estimate', reference: 'pysepm composite (formula), with our PESQ-like', family: 'composite', needs: REF, stages: [], dependsOn: ['pesq', 'llr', 'wss'], live: OFFLINE },
  { key: 'cbak', label: 'Cbak (composite)', unit: 'MOS', higherIsBetter: true, digits: 2, description: 'Hu & Loizou background intrusiveness, with the PESQ-like estimate', reference: 'pysepm composite (formula), with our PESQ-like', family: 'composite', needs: REF, stages: [], dependsOn: ['pesq', 'segsnr', 'wss'], live: OFFLINE },
  { key: 'covl', label: 'Covl (composite)', unit: 'MOS', higherIsBetter: true, digits: 2, description: 'Hu & Loizou overall quality, with the PESQ-like estimate', reference: 'pysepm composite (formula), with our PESQ-like', family: 'composite', needs: REF, stages: [], dependsOn: ['pesq', 'llr', 'wss'], live: OFFLINE },
  { key: 'llr', label: 'LLR', unit: '', higherIsBetter: false, digits: 4, description: 'log-likelihood ratio of LPC models (pysepm llr)', reference: 'pysepm llr', family: 'llr', needs: REF, stages: ['sepm-frames'], live: OFFLINE },
  { key: 'wss', label: 'WSS', unit: '', higherIsBetter: false, digits: 2, description: 'weighted spectral slope (pysepm wss)', reference: 'pysepm wss', family: 'sepm-spectral', needs: REF, stages: ['sepm-frames'], live: OFFLINE },
  { key: 'fwsegsnr', label: 'fwSegSNR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'frequency-weighted segmental SNR (pysepm fwSNRseg)', reference: 'pysepm fwSNRseg', family: 'sepm-spectral', needs: REF, stages: ['sepm-frames'], live: OFFLINE },
  { key: 'featdist', label: 'Log-mel distance', unit: 'dB', higherIsBetter: false, digits: 2, description: 'RMS difference of 40-band log-mel energies, mean over frames', reference: 'our definition (docs/metrics.md)', family: 'features', needs: REF, stages: ['stft32'], live: OFFLINE },
  { key: 'mfccdist', label: 'MFCC distance', unit: '', higherIsBetter: false, digits: 2, description: 'Euclidean distance of MFCC c1..c12, mean over frames', reference: 'our definition (docs/metrics.md)', family: 'features', needs: REF, stages: ['stft32'], live: OFFLINE },
  { key: 'qindex', label: 'Quality index', unit: '/100', higherIsBetter: true, digits: 1, description: 'precision-weighted combination of the metrics with a standard error', reference: 'our definition (docs/metrics.md)', family: 'qindex', needs: REF, stages: [], dependsOn: ['segsnr', 'stoi', 'estoi', 'lsd', 'cosine', 'pmsqe'], live: { kind: 'refresh', everySec: 0, window: '10s' } },
  refFree({ key: 'speechActivity', label: 'Speech activity', unit: 'share', higherIsBetter: null, digits: 3, description: 'share of 20 ms frames the VAD marks as speech' }),
  refFree({ key: 'speechLevelDb', label: 'Speech level (P.56)', unit: 'dBFS', higherIsBetter: null, digits: 1, description: 'active speech level of deg, ITU-T P.56 method B', reference: 'ITU-T P.56 method B (docs/reference-free.md)' }),
  refFree({ key: 'noiseFloorDb', label: 'Noise floor in pauses', unit: 'dBFS', higherIsBetter: false, digits: 1, description: 'mean power of deg in speech pauses' }),
  refFree({ key: 'noiseAttenuationDb', label: 'Noise attenuation', unit: 'dB', higherIsBetter: true, digits: 1, description: 'noise level of noisy minus that of deg, in the same pauses (needs the noisy input)', needs: ['noisy'] }),
  refFree({ key: 'speechLevelChangeDb', label: 'Speech level change', unit: 'dB', higherIsBetter: null, digits: 1, description: 'speech power of deg over that of noisy in speech frames, noise removed (needs the noisy input)', needs: ['noisy'] }),
  refFree({ key: 'clippingRatio', label: 'Clipping ratio', unit: 'share', higherIsBetter: false, digits: 5, description: "share of deg's samples in flat runs at its extreme value" }),
  refFree({ key: 'dcOffset', label: 'DC offset', unit: 'FS', higherIsBetter: null, digits: 5, description: 'mean of deg' }),
  refFree({ key: 'dropouts', label: 'Dropouts', unit: 'count', higherIsBetter: false, digits: 0, description: 'digital-silence gaps inside speech' }),
  refFree({ key: 'repeatedFrames', label: 'Repeated frames', unit: 'count', higherIsBetter: false, digits: 0, description: 'stretches where deg exactly repeats an earlier 10–60 ms' }),
  refFree({ key: 'wadaSnrDb', label: 'Blind SNR (WADA)', unit: 'dB', higherIsBetter: true, digits: 1, description: 'blind SNR estimate of deg (WADA, Kim & Stern 2008)', reference: 'Kim & Stern 2008 WADA-SNR (docs/reference-free.md)' }),
] as const satisfies readonly Def[];

/** Every key of the table. */
export type AnyMetricKey = (typeof DEFINITIONS)[number]['key'];
type DefOf<K> = Extract<(typeof DEFINITIONS)[number], { key: K }>;
/** Keys of the reference-based metrics (`earshot analyze --json`'s metric keys). */
export type MetricKey = { [K in AnyMetricKey]: DefOf<K> extends { kind: 'reference-free' } ? never : K }[AnyMetricKey];
/** Keys of the reference-free measures of deg. */
export type ReferenceFreeKey = Exclude<AnyMetricKey, MetricKey>;

/** Every metric, in report order (reference-based first, then the reference-free measures). */
export const metricRegistry: readonly MetricDefinition[] = (DEFINITIONS as readonly Def[]).map((d) => Object.freeze({ prometheus: d.key, kind: 'reference' as const, ...d }));

const BY_KEY = new Map(metricRegistry.map((d) => [d.key, d]));

/** The definition of `key`, or undefined. */
export function metricDefinition(key: string): MetricDefinition | undefined {
  return BY_KEY.get(key);
}

/** Reference-based keys in report order. */
export const REFERENCE_METRIC_KEYS = metricRegistry.filter((d) => d.kind === 'reference').map((d) => d.key) as readonly MetricKey[];
/** Reference-free keys in report order. */
export const REFERENCE_FREE_METRIC_KEYS = metricRegistry.filter((d) => d.kind === 'reference-free').map((d) => d.key) as readonly ReferenceFreeKey[];

/** A `--metrics` selection resolved: what was asked, and everything that must run to compute it. */
export interface MetricSelection {
  /** Keys the user asked for (reported). */
  readonly requested: ReadonlySet<string>;
  /** Keys computed: the requested ones and what they depend on. */
  readonly computed: ReadonlySet<string>;
  readonly families: ReadonlySet<MetricFamily>;
  readonly stages: ReadonlySet<FrontEndStage>;
}

/**
 * Resolve a `--metrics` list ("stoi,estoi,sisdr", or an array; undefined or "all" for every metric).
 * Throws ERR_USAGE naming an unknown key and listing the known ones.
 */
export function selectMetrics(list?: string | readonly string[]): MetricSelection {
  const keys = list === undefined ? ['all'] : typeof list === 'string' ? list.split(',') : [...list];
  const requested = new Set<string>();
  for (const raw of keys) {
    const k = raw.trim();
    if (k === '') continue;
    if (k === 'all') {
      for (const d of metricRegistry) requested.add(d.key);
      continue;
    }
    if (!BY_KEY.has(k)) {
      throw earshotError('ERR_USAGE', `unknown metric "${k}"; expected a comma-separated list of: all, ${metricRegistry.map((d) => d.key).join(', ')}`);
    }
    requested.add(k);
  }
  if (requested.size === 0) throw earshotError('ERR_USAGE', 'expected at least one metric key in --metrics');
  const computed = new Set<string>();
  const visit = (k: string) => {
    if (computed.has(k)) return;
    computed.add(k);
    for (const dep of BY_KEY.get(k)!.dependsOn ?? []) visit(dep);
  };
  for (const k of requested) visit(k);
  const families = new Set<MetricFamily>();
  const stages = new Set<FrontEndStage>();
  for (const k of computed) {
    const d = BY_KEY.get(k)!;
    families.add(d.family);
    for (const s of d.stages) stages.add(s);
  }
  return { requested, computed, families, stages };
}
