/**
 * What each reported metric is: its key in `earshot analyze --json`, label, unit and direction.
 * The table printer, the live feed and the dashboard all read this one list.
 */
/** The energy, intelligibility and spectral metrics (issue 2's `--json` keys, in this order). */
export const CORE_METRIC_KEYS = ['snr', 'segsnr', 'sisdr', 'cisdr', 'wsdr', 'sasdr', 'stoi', 'estoi', 'lsd', 'cosine', 'mse'] as const;
/** Perceptual and composite metrics, feature distances and the quality index. */
export const PERCEPTUAL_METRIC_KEYS = ['pmsqe', 'pesq', 'csig', 'cbak', 'covl', 'llr', 'wss', 'fwsegsnr', 'featdist', 'mfccdist', 'qindex'] as const;
export const METRIC_KEYS = [...CORE_METRIC_KEYS, ...PERCEPTUAL_METRIC_KEYS] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface MetricInfo {
  key: MetricKey;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  /** Decimal places worth printing. */
  digits: number;
  description: string;
}

export const METRIC_INFO: Record<MetricKey, MetricInfo> = {
  snr: { key: 'snr', label: 'SNR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'signal-to-noise ratio, 10·log10(‖s‖²/‖s−ŝ‖²)' },
  segsnr: { key: 'segsnr', label: 'Segmental SNR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'mean of 30 ms frame SNRs clamped to [−10, 35] dB (pysepm SNRseg)' },
  sisdr: { key: 'sisdr', label: 'SI-SDR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'scale-invariant signal-to-distortion ratio' },
  cisdr: { key: 'cisdr', label: 'CI-SDR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'convolutive-invariant SDR, 512-tap filter (= bss_eval SDR)' },
  wsdr: { key: 'wsdr', label: 'wSDR loss', unit: '', higherIsBetter: false, digits: 4, description: 'weighted SDR loss of DCUnet, −1 is perfect (needs the noisy input)' },
  sasdr: { key: 'sasdr', label: 'SA-SDR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'source-aggregated SDR over all speakers, best permutation' },
  stoi: { key: 'stoi', label: 'STOI', unit: '', higherIsBetter: true, digits: 4, description: 'short-time objective intelligibility (pystoi)' },
  estoi: { key: 'estoi', label: 'ESTOI', unit: '', higherIsBetter: true, digits: 4, description: 'extended STOI (pystoi, extended=True)' },
  lsd: { key: 'lsd', label: 'Log-spectral distance', unit: 'dB', higherIsBetter: false, digits: 2, description: 'RMS difference of 32 ms log power spectra, mean over frames' },
  cosine: { key: 'cosine', label: 'Spectral cosine', unit: '', higherIsBetter: true, digits: 4, description: 'cosine similarity of 32 ms magnitude spectra, mean over frames' },
  mse: { key: 'mse', label: 'MSE', unit: '', higherIsBetter: false, digits: 6, description: 'mean squared error on the [−1, 1) sample scale' },
  pmsqe: { key: 'pmsqe', label: 'PMSQE', unit: '', higherIsBetter: false, digits: 4, description: 'perceptual metric for speech quality evaluation (asteroid SingleSrcPMSQE)' },
  pesq: { key: 'pesq', label: 'PESQ-like MOS (estimate)', unit: 'MOS', higherIsBetter: true, digits: 2, description: 'our own estimate after the published PESQ model; not ITU-T P.862' },
  csig: { key: 'csig', label: 'Csig (composite)', unit: 'MOS', higherIsBetter: true, digits: 2, description: 'Hu & Loizou signal distortion, with the PESQ-like estimate' },
  cbak: { key: 'cbak', label: 'Cbak (composite)', unit: 'MOS', higherIsBetter: true, digits: 2, description: 'Hu & Loizou background intrusiveness, with the PESQ-like estimate' },
  covl: { key: 'covl', label: 'Covl (composite)', unit: 'MOS', higherIsBetter: true, digits: 2, description: 'Hu & Loizou overall quality, with the PESQ-like estimate' },
  llr: { key: 'llr', label: 'LLR', unit: '', higherIsBetter: false, digits: 4, description: 'log-likelihood ratio of LPC models (pysepm llr)' },
  wss: { key: 'wss', label: 'WSS', unit: '', higherIsBetter: false, digits: 2, description: 'weighted spectral slope (pysepm wss)' },
  fwsegsnr: { key: 'fwsegsnr', label: 'fwSegSNR', unit: 'dB', higherIsBetter: true, digits: 2, description: 'frequency-weighted segmental SNR (pysepm fwSNRseg)' },
  featdist: { key: 'featdist', label: 'Log-mel distance', unit: 'dB', higherIsBetter: false, digits: 2, description: 'RMS difference of 40-band log-mel energies, mean over frames' },
  mfccdist: { key: 'mfccdist', label: 'MFCC distance', unit: '', higherIsBetter: false, digits: 2, description: 'Euclidean distance of MFCC c1..c12, mean over frames' },
  qindex: { key: 'qindex', label: 'Quality index', unit: '/100', higherIsBetter: true, digits: 1, description: 'precision-weighted combination of the metrics with a standard error' },
};

/** Why SA-SDR is empty with one speaker (offline and live give the same reason). */
export const SASDR_ONE_SPEAKER_REASON = 'needs several speakers (--ref R0 --ref R1 --deg D0 --deg D1)';

/** Reference-free keys (docs/reference-free.md): numbers, plus the two event-time lists. */
export const REFERENCE_FREE_VALUE_KEYS = [
  'speechActivity',
  'speechLevelDb',
  'noiseFloorDb',
  'noiseAttenuationDb',
  'speechLevelChangeDb',
  'clippingRatio',
  'dcOffset',
  'dropouts',
  'repeatedFrames',
  'wadaSnrDb',
] as const;
export const REFERENCE_FREE_LIST_KEYS = ['dropoutTimes', 'repeatedFrameTimes'] as const;
export type ReferenceFreeValueKey = (typeof REFERENCE_FREE_VALUE_KEYS)[number];

export const REFERENCE_FREE_INFO: Record<ReferenceFreeValueKey, { label: string; unit: string; higherIsBetter: boolean | null; digits: number }> = {
  speechActivity: { label: 'Speech activity', unit: 'share', higherIsBetter: null, digits: 3 },
  speechLevelDb: { label: 'Speech level (P.56)', unit: 'dBFS', higherIsBetter: null, digits: 1 },
  noiseFloorDb: { label: 'Noise floor in pauses', unit: 'dBFS', higherIsBetter: false, digits: 1 },
  noiseAttenuationDb: { label: 'Noise attenuation', unit: 'dB', higherIsBetter: true, digits: 1 },
  speechLevelChangeDb: { label: 'Speech level change', unit: 'dB', higherIsBetter: null, digits: 1 },
  clippingRatio: { label: 'Clipping ratio', unit: 'share', higherIsBetter: false, digits: 5 },
  dcOffset: { label: 'DC offset', unit: 'FS', higherIsBetter: null, digits: 5 },
  dropouts: { label: 'Dropouts', unit: 'count', higherIsBetter: false, digits: 0 },
  repeatedFrames: { label: 'Repeated frames', unit: 'count', higherIsBetter: false, digits: 0 },
  wadaSnrDb: { label: 'Blind SNR (WADA)', unit: 'dB', higherIsBetter: true, digits: 1 },
};
