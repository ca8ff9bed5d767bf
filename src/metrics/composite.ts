/**
 * Composite measures of Hu & Loizou (IEEE TASLP 16(1), 2008), as pysepm's `composite` computes them
 * (golden.json meta.pysepm.metric_keys "csig / cbak / covl"): linear combinations of a PESQ score P,
 * the LLR without its per-frame clamp (LLRc), WSS and segmental SNR, each clipped to [1, 5].
 * Here P is our PESQ-like estimate (src/metrics/pesq), so the composites inherit its error:
 * ∂Csig/∂P = 0.603, ∂Cbak/∂P = 0.478, ∂Covl/∂P = 0.805.
 */
import { type MetricValue, nullValue, value } from './types.js';

export interface CompositeInputs {
  /** PESQ as pysepm uses it: wide-band MOS-LQO at 16 kHz, raw P.862 score at 8 kHz. */
  pesq: number | null;
  llrForComposite: number | null;
  wss: number | null;
  segsnr: number | null;
}

/**
 * pysepm's clip to [1, 5]. The number stays pysepm's, but a clipped value is not a real score of 1
 * (or 5): it comes back with a reason giving the unclipped value, which the table and `reasons` show.
 * An unclamped LLR (the composites' variant) drives CSIG below 1 on strongly degraded speech.
 */
function clip(v: number): MetricValue {
  if (v >= 1 && v <= 5) return value(v);
  const bound = v < 1 ? 1 : 5;
  return { value: bound, reason: `clamped at ${bound} as pysepm does (its range is [1, 5]); unclamped ${v.toFixed(2)}` };
}

export function compositeMeasures(x: CompositeInputs): { csig: MetricValue; cbak: MetricValue; covl: MetricValue } {
  // Each composite needs only its own inputs (Cbak has no LLR term, Csig and Covl no segSNR term).
  const measure = (keys: (keyof CompositeInputs)[], f: (v: Record<keyof CompositeInputs, number>) => number): MetricValue => {
    const missing = keys.filter((k) => x[k] === null);
    return missing.length ? nullValue(`needs ${missing.join(', ')}`) : clip(f(x as Record<keyof CompositeInputs, number>));
  };
  return {
    csig: measure(['pesq', 'llrForComposite', 'wss'], ({ pesq: p, llrForComposite: llr, wss }) => 3.093 - 1.029 * llr + 0.603 * p - 0.009 * wss),
    cbak: measure(['pesq', 'wss', 'segsnr'], ({ pesq: p, wss, segsnr }) => 1.634 + 0.478 * p - 0.007 * wss + 0.063 * segsnr),
    covl: measure(['pesq', 'llrForComposite', 'wss'], ({ pesq: p, llrForComposite: llr, wss }) => 1.594 + 0.805 * p - 0.512 * llr - 0.007 * wss),
  };
}

/** Raw P.862 score from a narrow-band MOS-LQO (inverse of P.862.1), as pysepm uses at 8 kHz. */
export function rawPesqFromNarrowbandMos(q: number): number {
  return 46607 / 14945 - (2000 * Math.log(1 / (q / 4 - 999 / 4000) - 1)) / 2989;
}
