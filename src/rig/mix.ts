/**
 * Test inputs for the rig: clean speech plus noise at a requested SNR, and the per-quantum cost
 * statistics of the processor under test.
 */
import { earshotError } from '../errors.js';

/**
 * noisy = clean + g·noise, with the noise looped (or trimmed) to the clean length and g chosen so
 * that 10·log10(‖clean‖² / ‖g·noise‖²) = snrDb over the whole file (a global energy ratio, no
 * voice-activity weighting). No clipping is applied: Web Audio carries samples beyond ±1.
 * Throws ERR_INVALID_ARGUMENT for a silent clean signal or a silent noise.
 */
export function mixAtSnr(clean: Float64Array, noise: Float64Array, snrDb: number): { noisy: Float64Array; gain: number; looped: boolean } {
  if (!Number.isFinite(snrDb)) throw earshotError('ERR_INVALID_ARGUMENT', `SNR must be a finite number of dB, got ${snrDb}`);
  if (noise.length === 0) throw earshotError('ERR_INVALID_ARGUMENT', 'noise has no samples');
  const n = clean.length;
  let ec = 0;
  let en = 0;
  for (let i = 0; i < n; i++) {
    ec += clean[i] * clean[i];
    const v = noise[i % noise.length];
    en += v * v;
  }
  if (ec === 0) throw earshotError('ERR_INVALID_ARGUMENT', 'clean signal is silent (all zeros): no SNR can be set');
  if (en === 0) throw earshotError('ERR_INVALID_ARGUMENT', 'noise is silent (all zeros) over the clean signal’s length');
  const gain = Math.sqrt(ec / (en * 10 ** (snrDb / 10)));
  const noisy = new Float64Array(n);
  for (let i = 0; i < n; i++) noisy[i] = clean[i] + gain * noise[i % noise.length];
  return { noisy, gain, looped: noise.length < n };
}

/** Per-quantum cost of the processor, as shares of the quantum's duration (128 / sampleRate). */
export interface QuantumStats {
  /** Calls of process() that were timed. */
  quanta: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
  /** Quanta whose cost exceeded `budget`. */
  overruns: number;
  /** The --quantum-budget, share of the quantum. */
  budget: number;
  /** Duration of one quantum, ms. */
  quantumMs: number;
}

/**
 * p50, p99 (nearest rank: the smallest value with at least p·n values at or below it), max, mean and
 * overruns of per-call durations (ms), expressed as shares of `quantumMs`.
 */
export function quantumStats(durationsMs: Float64Array, quantumMs: number, budget: number): QuantumStats {
  const n = durationsMs.length;
  if (n === 0) return { quanta: 0, p50: null, p99: null, max: null, mean: null, overruns: 0, budget, quantumMs };
  const sorted = Float64Array.from(durationsMs).sort();
  const rank = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] / quantumMs;
  let sum = 0;
  let overruns = 0;
  for (let i = 0; i < n; i++) {
    sum += durationsMs[i];
    if (durationsMs[i] / quantumMs > budget) overruns++;
  }
  return { quanta: n, p50: rank(0.5), p99: rank(0.99), max: sorted[n - 1] / quantumMs, mean: sum / n / quantumMs, overruns, budget, quantumMs };
}

/** Concatenate typed arrays. */
export function concatFloat64(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
