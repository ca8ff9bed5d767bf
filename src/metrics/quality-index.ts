/**
 * A single 0–100 quality index from several metrics, weighted by their precision (inverse variance),
 * the uncertainty weighting of Kendall, Gal & Cipolla (CVPR 2018): each metric i is mapped to a
 * 0–100 quality score qᵢ, its standard error σᵢ is mapped the same way, and
 *
 *   qindex = Σ wᵢ·qᵢ / Σ wᵢ,  wᵢ = 1 / max(σᵢ, σ_min)²,  uncertainty = sqrt(1 / Σ wᵢ).
 *
 * σ_min = 1 point keeps a metric with a tiny standard error (long, steady files) from silencing the
 * others. One definition offline and live: the inputs are the metrics below, the ones whose standard
 * error both `earshot analyze` and the live engine compute the same way — the standard error of a mean
 * of per-frame (per-segment) values, corrected for the frames' overlap (RunningStats.standardError's
 * span: STOI/ESTOI 30, segSNR 4, LSD/cosine/PMSQE 2). SI-SDR and PESQ-like are left out: they are
 * whole-signal scores with no standard error offline (live SI-SDR's ± is the spread of 100 ms values,
 * a different quantity). Live, the 3 s index has no PMSQE (PMSQE is refreshed over 10 s only).
 * The mappings (linear, clipped) are:
 */
import { type MetricValue, nullValue, value } from './types.js';

export const QINDEX_MIN_SIGMA = 1;

export const QINDEX_MAPPINGS: Record<string, { lo: number; hi: number; note: string }> = {
  stoi: { lo: 0, hi: 1, note: 'STOI 0 → 0, 1 → 100' },
  estoi: { lo: 0, hi: 1, note: 'ESTOI 0 → 0, 1 → 100' },
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
