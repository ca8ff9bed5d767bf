/**
 * Types the live engine publishes. Every sink (terminal view, JSONL, WebSocket feed, Prometheus,
 * alerts, dashboard) consumes these and nothing else.
 */
import type { Observable } from 'rxjs';

/** Windows a running value is computed over. `frame` is the metric's own frame where it has one. */
export type WindowName = 'frame' | '1s' | '3s' | '10s' | 'total';
export const WINDOWS: readonly WindowName[] = ['frame', '1s', '3s', '10s', 'total'];
/** Window lengths in seconds (`frame` and `total` have none). */
export const WINDOW_SECONDS: Partial<Record<WindowName, number>> = { '1s': 1, '3s': 3, '10s': 10 };

/** One running value of one metric over one window, at stream time t. */
export interface MetricSample {
  session: string;
  /** Stream time in seconds (of the deg stream) at the end of the data this value covers. */
  t: number;
  /** A key of `earshot analyze --json` (snr, stoi, ...) or `delay` (value in ms). */
  metric: string;
  window: WindowName;
  value: number | null;
  /** Standard error over the window's frames or segments; null where it is not defined. */
  uncertainty: number | null;
  reason?: string;
}

/** The delay tracker's view of deg against ref. */
export interface DelayEvent {
  session: string;
  t: number;
  /** The delay (fractional, along the drift) at `t`; delaySamples is it in whole samples. */
  delayMs: number;
  delaySamples: number;
  /** Clock drift of deg against ref the alignment follows (ppm). */
  driftPpm?: number;
  /** 0..1: height of the whitened correlation peak. */
  confidence: number;
  kind: 'initial' | 'drift' | 'jump' | 'lost';
}

/** The final line of a monitored stream: same keys and meanings as `earshot analyze --json`. */
export interface SummaryRecord {
  type: 'summary';
  session: string;
  [key: string]: unknown;
}

/** What a live session exposes to sinks (server, CLI, dashboard). */
export interface LiveSession {
  readonly id: string;
  readonly sampleRate: number;
  /** Metric samples at the report rate; completes when the stream ends. */
  readonly samples$: Observable<MetricSample>;
  readonly delays$: Observable<DelayEvent>;
  /** Emits once, when the stream ends. */
  readonly summary$: Observable<SummaryRecord>;
  /**
   * Spectrogram columns of the aligned ref and deg (when `spectrumRateHz` > 0), computed in the
   * engine from the front end's spectra (src/features/spectrogram.ts).
   */
  readonly spectra$?: Observable<SpectrumColumn>;
}

export type { SpectrumColumn } from '../features/spectrogram.js';
import type { SpectrumColumn } from '../features/spectrogram.js';

/** A live session fed by a source (file player, ingest connection, Web Audio capture). */
export interface LiveEngineSession extends LiveSession {
  /** Feed captured blocks (not yet delay-compensated) in stream order; t0 must be continuous. */
  push(block: import('../stream/types.js').StreamBlock): void;
  /** No more input: flush, emit the summary, complete the observables. */
  end(): void;
}

export interface LiveEngineOptions {
  id: string;
  sampleRate: number;
  /** A noisy stream accompanies ref and deg (wSDR, noise attenuation). */
  withNoisy: boolean;
  /** Metric samples per second of stream time (default 10). */
  reportRateHz?: number;
  /** Metric keys to compute (`--metrics`), as a comma-separated string or a list; default all. */
  metrics?: string | readonly string[];
  /** Spectrogram columns per second on `spectra$` (default 0: none). */
  spectrumRateHz?: number;
}

export type LiveEngineFactory = (options: LiveEngineOptions) => LiveEngineSession;
