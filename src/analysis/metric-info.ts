/**
 * What each reported metric is: its key in `earshot analyze --json`, label, unit and direction.
 * The table printer, the live feed and the dashboard all read this one list.
 */
export const METRIC_KEYS = ['snr', 'segsnr', 'sisdr', 'cisdr', 'wsdr', 'sasdr', 'stoi', 'estoi', 'lsd', 'cosine', 'mse'] as const;
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
};
