/**
 * Messages of the live feed (`/feed`), server to client, one JSON object per WebSocket text message.
 * The dashboard imports these types; `docs/protocol.md` describes each. Type-only module.
 */
import type { DelayEvent, MetricSample, SummaryRecord, WindowName } from '../live/types.js';

export const FEED_PROTOCOL_VERSION = 1;

export interface SessionInfo {
  /** Session id as it appears in every sample (the engine session). */
  id: string;
  state: 'live' | 'ended';
  source: 'ingest' | 'replay';
  sampleRate: number;
  /** Stream names this session's engine sees, e.g. ["ref", "deg", "noisy"]. */
  streams: string[];
  /** ISO time the session opened on this server. */
  startedAt: string;
  endedAt?: string;
  /** Why it ended: "closed", "disconnected", "engine failed: ...", "replay finished". */
  endReason?: string;
  /** The ingest session name when it carries several speakers (one engine session per speaker). */
  group?: string;
}

/** A metric sample inside a batch: the session is given once by the batch. */
export type SampleEntry = Omit<MetricSample, 'session'>;

export interface AlertRule {
  /** Stable id, e.g. "stoi-3s-low". */
  id: string;
  metric: string;
  window: WindowName;
  op: '<' | '<=' | '>' | '>=';
  threshold: number;
  /** The condition must hold this long (stream seconds) before the alert is raised. */
  holdSec: number;
  /** The condition must be false this long before the alert clears (default holdSec). */
  clearSec: number;
  severity: 'warning' | 'critical';
  /** Human text shown with the alert. */
  message: string;
}

export type FeedMessage =
  | HelloMessage
  | SessionMessage
  | SamplesMessage
  | HistoryMessage
  | DelayMessage
  | AlertMessage
  | IngestEventMessage
  | SpectrumMessage
  | SummaryRecord
  | ErrorMessage;

export interface HelloMessage {
  type: 'hello';
  protocol: number;
  server: 'earshot';
  sessions: SessionInfo[];
  /** "*" or the session ids this client receives samples for. */
  subscribed: '*' | string[];
  alertRules: AlertRule[];
}

/** Sent to every client whatever its subscription, so session lists stay current. */
export interface SessionMessage {
  type: 'session';
  event: 'opened' | 'ended' | 'removed';
  session: SessionInfo;
}

export interface SamplesMessage {
  type: 'samples';
  session: string;
  samples: SampleEntry[];
  /** Set when these are the latest values kept for a client that fell behind (others were skipped). */
  coalesced?: true;
}

/** Recent values of every series (decimated), sent on subscribe so charts start filled. */
export interface HistoryMessage {
  type: 'history';
  session: string;
  series: { metric: string; window: WindowName; t: number[]; value: (number | null)[]; uncertainty: (number | null)[] }[];
  /** Alerts active now. */
  activeAlerts: AlertMessage[];
  delay?: DelayEvent;
  /** The recent spectrogram columns (up to 60 s), in columnar form: t[i], ref[i], deg[i]. */
  spectra?: Omit<SpectrumMessage, 'type' | 'session' | 't' | 'ref' | 'deg'> & { t: number[]; ref: string[]; deg: string[] };
}

export interface DelayMessage extends DelayEvent {
  type: 'delay';
}

export interface AlertMessage {
  type: 'alert';
  state: 'raised' | 'cleared';
  session: string;
  /** Stream time (s) of the sample that raised or cleared it. */
  t: number;
  /** Stream time the condition started holding (raised) or stopped holding (cleared). */
  since: number;
  rule: AlertRule;
  /** The metric's value at t (null when cleared because the session ended). */
  value: number | null;
}

/** What the ingest side noticed: lost, reordered, duplicate or late frames, zero-filled samples. */
export interface IngestEventMessage {
  type: 'ingest';
  session: string;
  /** Stream time (s) where it happened. */
  t: number;
  event: 'gap' | 'reordered' | 'duplicate' | 'late' | 'overlap' | 'dropout' | 'overflow' | 'trimmed';
  stream: string;
  /** gap: frames missing by sequence number; reordered/duplicate/late/overlap: 1. */
  frames?: number;
  /** Samples affected (dropout/overflow: zero-filled; late/overlap/trimmed: discarded). */
  samples?: number;
  /** gap: the sequence number expected and the one received. */
  expectedSeq?: number;
  seq?: number;
}

/**
 * Coarse log spectra of ref and deg over the last 1/rate seconds, for the scrolling spectrograms.
 * Each of `ref`/`deg` is base64 of `bands.n` bytes; byte q means q·dbStep + dbMin dB relative to a
 * full-scale sine.
 */
export interface SpectrumMessage {
  type: 'spectrum';
  session: string;
  t: number;
  /** Seconds this column covers. */
  dt: number;
  bands: { n: number; fminHz: number; fmaxHz: number; scale: 'mel' };
  dbMin: number;
  dbStep: number;
  ref: string;
  deg: string;
}

export interface ErrorMessage {
  type: 'error';
  code: number;
  message: string;
}

/** The first line of a recording (recorder.ts); `part` counts the files of a rotated recording (1 first). */
export interface RecordingHeader {
  type: 'recording';
  version: number;
  session: SessionInfo;
  recordedAt: string;
  part?: number;
}

/** One line of a recording after the header: each metric sample on its own line, the rest as the feed sends it. */
export type RecordedLine = ({ type: 'sample' } & MetricSample) | Exclude<FeedMessage, { type: 'samples' | 'hello' | 'history' | 'error' }>;
