/**
 * A single 0–100 quality index from several metrics, weighted by their precision (inverse variance),
 * the uncertainty weighting of Kendall, Gal & Cipolla (CVPR 2018): each metric i is mapped to a
 * 0–100 quality score qᵢ, its standard error σᵢ is mapped the same way, and
 *
 *   qindex = Σ wᵢ·qᵢ / Σ wᵢ,  wᵢ = 1 / max(σᵢ, σ_min)²,  uncertainty = sqrt(1 / Σ wᵢ).
 *
 * σ_min = 1 point keeps a metric with a tiny standard error (long, steady files) from silencing the
 * others. Only metrics that carry a standard error take part. The mappings (linear, clipped) are:
 */
import { type MetricValue, nullValue, value } from './types.js';

export const QINDEX_MIN_SIGMA = 1;

export const QINDEX_MAPPINGS: Record<string, { lo: number; hi: number; note: string }> = {
  stoi: { lo: 0, hi: 1, note: 'STOI 0 → 0, 1 → 100' },
  estoi: { lo: 0, hi: 1, note: 'ESTOI 0 → 0, 1 → 100' },
  pesq: { lo: 1, hi: 4.5, note: 'PESQ-like MOS 1 → 0, 4.5 → 100' },
  sisdr: { lo: -5, hi: 25, note: 'SI-SDR −5 dB → 0, 25 dB → 100' },
  segsnr: { lo: -10, hi: 35, note: 'segmental SNR −10 dB → 0, 35 dB → 100' },
  cosine: { lo: 0, hi: 1, note: 'spectral cosine 0 → 0, 1 → 100' },
  lsd: { lo: 20, hi: 0, note: 'log-spectral distance 20 dB → 0, 0 dB → 100' },
  pmsqe: { lo: 3, hi: 0, note: 'PMSQE 3 → 0, 0 → 100' },
};

export interface QualityInput {
  value: number | null;
  uncertainty?: number | null;
}

export interface QualityIndex extends MetricValue {
  uncertainty: number | null;
  /** Each input's mapped score and its share of the weight (for display next to the index). */
  inputs: Record<string, { score: number; weight: number }>;
}

export function qualityIndex(metrics: Record<string, QualityInput>): QualityIndex {
  let sw = 0;
  let swq = 0;
  const used: { key: string; score: number; w: number }[] = [];
  for (const [key, map] of Object.entries(QINDEX_MAPPINGS)) {
    const m = metrics[key];
    if (!m || m.value === null || m.uncertainty == null || !Number.isFinite(m.uncertainty)) continue;
    const span = map.hi - map.lo;
    const score = Math.min(100, Math.max(0, (100 * (m.value - map.lo)) / span));
    const sigma = Math.max(QINDEX_MIN_SIGMA, Math.abs((100 * m.uncertainty) / span));
    const w = 1 / (sigma * sigma);
    sw += w;
    swq += w * score;
    used.push({ key, score, w });
  }
  if (used.length === 0) return { ...nullValue('no input metric with a standard error'), uncertainty: null, inputs: {} };
  const inputs: QualityIndex['inputs'] = {};
  for (const u of used) inputs[u.key] = { score: u.score, weight: u.w / sw };
  return { ...value(swq / sw), uncertainty: Math.sqrt(1 / sw), inputs };
}
