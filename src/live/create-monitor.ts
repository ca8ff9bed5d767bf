/**
 * `createMonitor(options)`: a live quality session, the public face of the live engine
 * (`createLiveEngineSession` in ./engine.ts) with defaults for what a caller rarely sets.
 *
 * Push captured blocks (`{ t0, sampleRate, ref, deg, noisy? }`, float64 on [-1, 1), t0 in samples and
 * continuous) with `push`, call `end()` when the stream ends. `samples$` emits running values for the
 * windows frame, 1s, 3s, 10s and total at `reportRateHz` per second of stream time (the metric
 * `delay`, in ms, among them); `summary$` emits once at the end with the keys of
 * `earshot analyze --json`. Bad input (NaN, gaps, unequal lengths) is repaired and reported as
 * `input` samples, not thrown. Runs in Node and in the browser (no Node built-ins).
 *
 * Errors: `ERR_SAMPLE_RATE` for a rate outside 8000..48000 Hz, `ERR_INVALID_ARGUMENT` for a report
 * rate outside (0, 100] Hz.
 *
 * @example
 * const monitor = createMonitor({ sampleRate: 16000 });
 * monitor.samples$.subscribe((s) => { if (s.window === '3s') console.log(s.metric, s.value); });
 * monitor.summary$.subscribe((summary) => console.log(summary.stoi));
 * monitor.push({ t0: 0, sampleRate: 16000, ref, deg });
 * monitor.end();
 */
import { createLiveEngineSession } from './engine.js';
import type { LiveEngineSession } from './types.js';

/** Session id when none is given (it names the session in samples and summaries). */
const DEFAULT_ID = 'monitor';

export interface MonitorOptions {
  /** Hz, 8000..48000: the rate of every pushed block. */
  sampleRate: number;
  /** Names the session in its samples (default "monitor"). */
  id?: string;
  /** Blocks carry `noisy`, the input the device under test saw (enables wSDR, noise attenuation). Default false. */
  withNoisy?: boolean;
  /** Metric samples per second of stream time, (0, 100] (default 10). */
  reportRateHz?: number;
  /** Metric keys to compute (e.g. `['stoi', 'sisdr']` or `'stoi,sisdr'`); default all (`metricRegistry` lists them). */
  metrics?: string | readonly string[];
}

/** A running session: `push`, `end`, and the `samples$`, `delays$`, `summary$` observables. */
export type Monitor = LiveEngineSession;

export function createMonitor(options: MonitorOptions): Monitor {
  return createLiveEngineSession({
    id: options.id ?? DEFAULT_ID,
    sampleRate: options.sampleRate,
    withNoisy: options.withNoisy ?? false,
    reportRateHz: options.reportRateHz,
    metrics: options.metrics,
  });
}
