/**
 * What the server keeps per session for sinks that join late: the latest value of every series (for
 * /metrics and for clients that fall behind), a short decimated history (so a dashboard that opens
 * or reconnects mid-session starts with filled charts), the last delay, active alerts and the summary.
 * Memory per session is constant: HISTORY_POINTS points per series in typed arrays.
 */
import type { DelayEvent, MetricSample, SummaryRecord } from '../live/types.js';
import { SessionAlerts } from './alerts.js';
import type { AlertMessage, AlertRule, HistoryMessage, SampleEntry, SessionInfo, SpectrumMessage } from './feed-types.js';

/** History kept per series: HISTORY_SEC seconds of stream time at HISTORY_RATE_HZ points per second. */
export const HISTORY_SEC = 120;
export const HISTORY_RATE_HZ = 2;
const HISTORY_POINTS = HISTORY_SEC * HISTORY_RATE_HZ;
/** Spectrogram columns kept for late joiners (10 per second: 60 s, about 200 kB per session). */
export const HISTORY_SPECTRA = 600;
/** Significant digits of history values on the wire (charts need no more; halves the message). */
const HISTORY_DIGITS = 6;

/** Ring of (t, value, uncertainty); NaN marks null inside the ring and never leaves it. */
class SeriesHistory {
  readonly metric: string;
  readonly window: SampleEntry['window'];
  private readonly t = new Float64Array(HISTORY_POINTS);
  private readonly v = new Float64Array(HISTORY_POINTS);
  private readonly u = new Float64Array(HISTORY_POINTS);
  private next = 0;
  private count = 0;
  private lastSlot = -Infinity;

  constructor(metric: string, window: SampleEntry['window']) {
    this.metric = metric;
    this.window = window;
  }

  add(s: SampleEntry): void {
    // The first sample in each 1/HISTORY_RATE_HZ slot: every series of a report tick shares its t, so
    // all series keep the same times and a chart's columns line up without spurious gaps.
    const slot = Math.floor(s.t * HISTORY_RATE_HZ + 1e-9);
    if (slot === this.lastSlot) return;
    this.lastSlot = slot;
    this.t[this.next] = s.t;
    this.v[this.next] = s.value ?? NaN;
    this.u[this.next] = s.uncertainty ?? NaN;
    this.next = (this.next + 1) % HISTORY_POINTS;
    if (this.count < HISTORY_POINTS) this.count++;
  }

  toJson(): HistoryMessage['series'][number] {
    const t: number[] = [];
    const value: (number | null)[] = [];
    const uncertainty: (number | null)[] = [];
    const round = (x: number) => (Number.isNaN(x) ? null : Number(x.toPrecision(HISTORY_DIGITS)));
    for (let k = 0; k < this.count; k++) {
      const i = (this.next - this.count + k + HISTORY_POINTS) % HISTORY_POINTS;
      t.push(Number(this.t[i].toFixed(3)));
      value.push(round(this.v[i]));
      uncertainty.push(round(this.u[i]));
    }
    return { metric: this.metric, window: this.window, t, value, uncertainty };
  }
}

export class SessionState {
  info: SessionInfo;
  readonly alerts: SessionAlerts;
  /** Latest sample per series, key `${metric}\0${window}`. */
  readonly latest = new Map<string, SampleEntry>();
  private readonly history = new Map<string, SeriesHistory>();
  delay: DelayEvent | undefined;
  summary: SummaryRecord | undefined;
  private readonly spectra: SpectrumMessage[] = [];
  /** Latest stream time seen (s). */
  t = 0;

  constructor(info: SessionInfo, rules: AlertRule[]) {
    this.info = info;
    this.alerts = new SessionAlerts(info.id, rules);
  }

  /** Store a sample; returns the alerts it raises or clears. */
  addSample(s: MetricSample | SampleEntry): AlertMessage[] {
    const key = `${s.metric}\u0000${s.window}`;
    const entry: SampleEntry = { t: s.t, metric: s.metric, window: s.window, value: s.value, uncertainty: s.uncertainty };
    if (s.reason !== undefined) entry.reason = s.reason;
    this.latest.set(key, entry);
    let h = this.history.get(key);
    if (!h) this.history.set(key, (h = new SeriesHistory(s.metric, s.window)));
    h.add(entry);
    if (s.t > this.t) this.t = s.t;
    return this.alerts.check(entry);
  }

  addSpectrum(m: SpectrumMessage): void {
    this.spectra.push(m);
    if (this.spectra.length > HISTORY_SPECTRA) this.spectra.shift();
  }

  /** Snapshot for a late subscriber; spectra only on request (they are most of its size). */
  historyMessage(withSpectra = true): HistoryMessage {
    const msg: HistoryMessage = {
      type: 'history',
      session: this.info.id,
      series: [...this.history.values()].map((h) => h.toJson()),
      activeAlerts: this.alerts.activeAlerts(),
    };
    if (this.delay) msg.delay = this.delay;
    const last = this.spectra.at(-1);
    if (last && withSpectra) {
      // Columns of one session share their layout; keep only those matching the latest.
      const same = this.spectra.filter((c) => c.bands.n === last.bands.n && c.dt === last.dt);
      msg.spectra = {
        dt: last.dt,
        bands: last.bands,
        dbMin: last.dbMin,
        dbStep: last.dbStep,
        t: same.map((c) => c.t),
        ref: same.map((c) => c.ref),
        deg: same.map((c) => c.deg),
      };
    }
    return msg;
  }
}
