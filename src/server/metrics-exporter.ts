/**
 * `/metrics` in the Prometheus text format (prom-client, own registry). Values are read from the
 * session states and the server's counters at scrape time, so publishing a sample costs nothing extra.
 *
 * Per session: `earshot_metric_value{session,metric,window}` and `earshot_metric_uncertainty{...}`
 * (series whose value is null are absent, never NaN), `earshot_delay_ms`, `earshot_delay_confidence`,
 * `earshot_alert_active{session,rule,severity}`. Server health: sessions, ingest frames/samples/bytes
 * and rate, ingest irregularities (gaps, reordered, late, ... and zero-filled or discarded samples),
 * refused connections by reason, feed clients and their backpressure, plus prom-client's process
 * metrics (CPU, memory, event-loop lag) under the `earshot_` prefix.
 */
import { metricDefinition } from '../metrics/registry.js';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReassemblyEventKind } from './reassembler.js';
import type { SessionState } from './session-state.js';

/** Seconds over which the ingest rate gauge averages. */
export const RATE_WINDOW_SEC = 10;

/** The `metric` label of a sample's key: the registry's Prometheus name (`delay`, `input` as they are). */
function promLabel(key: string): string {
  return metricDefinition(key)?.prometheus ?? key;
}

/** Only finite numbers become Prometheus values (prom-client throws on anything else). */
function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Plain counters the server increments on its hot paths (no labels lookups there). */
export class ServerCounters {
  sessionsOpened = 0;
  ingestFrames = 0;
  ingestSamples = 0;
  ingestBytes = 0;
  /** Per irregularity: events, frames and samples affected. */
  readonly ingestIrregular = new Map<ReassemblyEventKind, { events: number; frames: number; samples: number }>();
  readonly refused = new Map<string, number>();
  feedMessages = 0;
  feedBytes = 0;
  feedBehindEvents = 0;
  feedCoalescedSamples = 0;
  feedSkippedSpectra = 0;
  feedDisconnects = 0;
  alertsRaised = 0;
  /** Milliseconds ingest connections spent paused by the rate limit. */
  ingestThrottledMs = 0;

  irregular(kind: ReassemblyEventKind, frames = 0, samples = 0): void {
    let c = this.ingestIrregular.get(kind);
    if (!c) this.ingestIrregular.set(kind, (c = { events: 0, frames: 0, samples: 0 }));
    c.events++;
    c.frames += frames;
    c.samples += samples;
  }

  refuse(reason: string): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
  }
}

export interface ExporterSources {
  counters: ServerCounters;
  sessions: () => Iterable<SessionState>;
  feedClients: () => number;
  feedClientsBehind: () => number;
  ingestConnections: () => number;
  /** Bytes of audio waiting for engines (engine-queue.ts), when the server has ingest. */
  engineBacklogBytes?: () => number;
}

export class MetricsExporter {
  readonly registry = new Registry();
  private readonly sources: ExporterSources;
  private readonly rateTimer: NodeJS.Timeout;
  private readonly rateRing: number[] = [];
  private ingestRate = 0;

  constructor(sources: ExporterSources) {
    this.sources = sources;
    const { counters } = sources;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'earshot_' });
    const self = this;

    new Gauge({
      name: 'earshot_metric_value',
      help: 'Latest running value of a speech-quality metric (dB for SNR-like metrics, unitless for STOI-like ones, ms for delay)',
      labelNames: ['session', 'metric', 'window'],
      registers,
      collect() {
        this.reset();
        for (const s of sources.sessions()) {
          for (const e of s.latest.values()) if (finite(e.value)) this.set({ session: s.info.id, metric: promLabel(e.metric), window: e.window }, e.value);
        }
      },
    });
    new Gauge({
      name: 'earshot_metric_uncertainty',
      help: 'Standard error of the running value over its window (same unit as the value)',
      labelNames: ['session', 'metric', 'window'],
      registers,
      collect() {
        this.reset();
        for (const s of sources.sessions()) {
          for (const e of s.latest.values()) if (finite(e.uncertainty)) this.set({ session: s.info.id, metric: promLabel(e.metric), window: e.window }, e.uncertainty);
        }
      },
    });
    new Gauge({
      name: 'earshot_metric_time_seconds',
      help: 'Stream time of the latest sample of the session (s)',
      labelNames: ['session'],
      registers,
      collect() {
        this.reset();
        for (const s of sources.sessions()) if (finite(s.t)) this.set({ session: s.info.id }, s.t);
      },
    });
    new Gauge({
      name: 'earshot_delay_ms',
      help: 'Estimated delay of deg behind ref (ms)',
      labelNames: ['session'],
      registers,
      collect() {
        this.reset();
        for (const s of sources.sessions()) if (finite(s.delay?.delayMs)) this.set({ session: s.info.id }, s.delay!.delayMs);
      },
    });
    new Gauge({
      name: 'earshot_delay_confidence',
      help: 'Confidence of the delay estimate (0..1, height of the whitened correlation peak)',
      labelNames: ['session'],
      registers,
      collect() {
        this.reset();
        for (const s of sources.sessions()) if (finite(s.delay?.confidence)) this.set({ session: s.info.id }, s.delay!.confidence);
      },
    });
    new Gauge({
      name: 'earshot_alert_active',
      help: 'An alert rule holds for the session (1), listed only while active',
      labelNames: ['session', 'rule', 'severity'],
      registers,
      collect() {
        this.reset();
        for (const s of sources.sessions()) {
          for (const a of s.alerts.activeAlerts()) this.set({ session: s.info.id, rule: a.rule.id, severity: a.rule.severity }, 1);
        }
      },
    });
    new Gauge({
      name: 'earshot_sessions',
      help: 'Sessions known to the server by state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        let live = 0;
        let ended = 0;
        for (const s of sources.sessions()) s.info.state === 'live' ? live++ : ended++;
        this.set({ state: 'live' }, live);
        this.set({ state: 'ended' }, ended);
      },
    });
    counter('earshot_sessions_opened_total', 'Sessions opened since start', () => counters.sessionsOpened);
    new Gauge({
      name: 'earshot_ingest_connections',
      help: 'Open ingest connections',
      registers,
      collect() {
        this.set(sources.ingestConnections());
      },
    });
    new Gauge({
      name: 'earshot_ingest_engine_backlog_bytes',
      help: 'Bytes of audio waiting for the live engines (in the server and in its worker threads); past the budgets, ingest sockets are paused',
      registers,
      collect() {
        this.set(sources.engineBacklogBytes?.() ?? 0);
      },
    });
    counter('earshot_ingest_frames_total', 'AUDIO frames received', () => counters.ingestFrames);
    counter('earshot_ingest_samples_total', 'Samples received over all streams', () => counters.ingestSamples);
    counter('earshot_ingest_bytes_total', 'Bytes of ingest messages received', () => counters.ingestBytes);
    counter('earshot_ingest_throttled_seconds_total', 'Time ingest connections spent paused by the rate limit or the engine backlog budget (s)', () => counters.ingestThrottledMs / 1000);
    new Gauge({
      name: 'earshot_ingest_rate_samples_per_second',
      help: `Samples received per second over all streams, averaged over ${RATE_WINDOW_SEC} s`,
      registers,
      collect() {
        this.set(self.ingestRate);
      },
    });
    new Counter({
      name: 'earshot_ingest_irregular_events_total',
      help: 'Ingest irregularities: gap (frames lost by sequence number), reordered, duplicate, late, overlap, dropout (hole zero-filled), overflow (stream lagging past the buffer bound, zero-filled), trimmed',
      labelNames: ['event'],
      registers,
      collect() {
        this.reset();
        for (const [event, c] of counters.ingestIrregular) this.inc({ event }, c.events);
      },
    });
    new Counter({
      name: 'earshot_ingest_irregular_frames_total',
      help: 'Frames involved in ingest irregularities (gap: frames lost)',
      labelNames: ['event'],
      registers,
      collect() {
        this.reset();
        for (const [event, c] of counters.ingestIrregular) if (c.frames > 0) this.inc({ event }, c.frames);
      },
    });
    new Counter({
      name: 'earshot_ingest_irregular_samples_total',
      help: 'Samples zero-filled (dropout, overflow) or discarded (duplicate, late, overlap, trimmed)',
      labelNames: ['event'],
      registers,
      collect() {
        this.reset();
        for (const [event, c] of counters.ingestIrregular) if (c.samples > 0) this.inc({ event }, c.samples);
      },
    });
    new Counter({
      name: 'earshot_refused_total',
      help: 'Connections or sessions refused, by reason',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of counters.refused) this.inc({ reason }, n);
      },
    });
    new Gauge({
      name: 'earshot_feed_clients',
      help: 'Connected live-feed clients',
      registers,
      collect() {
        this.set(sources.feedClients());
      },
    });
    new Gauge({
      name: 'earshot_feed_clients_behind',
      help: 'Feed clients currently behind (receiving coalesced values)',
      registers,
      collect() {
        this.set(sources.feedClientsBehind());
      },
    });
    counter('earshot_feed_messages_total', 'Messages sent to feed clients (one per client)', () => counters.feedMessages);
    counter('earshot_feed_bytes_total', 'Bytes sent to feed clients', () => counters.feedBytes);
    counter('earshot_feed_behind_total', 'Times a feed client fell behind its soft limit', () => counters.feedBehindEvents);
    counter('earshot_feed_coalesced_samples_total', 'Samples replaced by a later value for clients that were behind', () => counters.feedCoalescedSamples);
    counter('earshot_feed_skipped_spectra_total', 'Spectrum columns skipped for clients that were behind', () => counters.feedSkippedSpectra);
    counter('earshot_feed_disconnects_total', 'Feed clients disconnected for being too slow (close code 4408)', () => counters.feedDisconnects);
    counter('earshot_alerts_raised_total', 'Alerts raised since start', () => counters.alertsRaised);

    function counter(name: string, help: string, read: () => number): void {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    }

    this.rateTimer = setInterval(() => {
      this.rateRing.push(counters.ingestSamples);
      if (this.rateRing.length > RATE_WINDOW_SEC + 1) this.rateRing.shift();
      const n = this.rateRing.length - 1;
      this.ingestRate = n > 0 ? (this.rateRing[n] - this.rateRing[0]) / n : 0;
    }, 1000);
    this.rateTimer.unref();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    clearInterval(this.rateTimer);
  }
}
