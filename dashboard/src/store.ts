/**
 * What the dashboard keeps per session: a columnar table per metric (one row per report time, one
 * value/uncertainty column per window, null for gaps, as uPlot wants it), the recent spectrogram
 * columns, the delay, alerts and ingest irregularities. Bounded: SPAN_KEEP_SEC of rows, SPEC_KEEP
 * columns.
 */
import type { DelayEvent, SummaryRecord, WindowName } from '../../src/live/types.js';
import type { AlertMessage, FeedMessage, IngestEventMessage, SessionInfo, SpectrumMessage } from '../../src/server/feed-types.js';

/** Seconds of chart history kept per session. */
export const SPAN_KEEP_SEC = 180;
/** Spectrogram columns kept per session (at 10 per second: 60 s). */
export const SPEC_KEEP = 600;
/** Two report times closer than this (s) are the same row. */
const SAME_T = 1e-6;

export interface Column {
  v: (number | null)[];
  u: (number | null)[];
}

export class MetricTable {
  readonly metric: string;
  readonly t: number[] = [];
  readonly windows = new Map<WindowName, Column>();
  /** Latest reason per window, when its value is null. */
  readonly reasons = new Map<WindowName, string>();
  /** What qualifies the latest value per window (e.g. "over the last 5.9 s"), when it has a value. */
  readonly notes = new Map<WindowName, string>();
  version = 0;

  constructor(metric: string) {
    this.metric = metric;
  }

  insert(t: number, window: WindowName, v: number | null, u: number | null, reason?: string): void {
    let col = this.windows.get(window);
    if (!col) {
      col = { v: new Array(this.t.length).fill(null), u: new Array(this.t.length).fill(null) };
      this.windows.set(window, col);
    }
    const n = this.t.length;
    let i: number;
    if (n === 0 || t > this.t[n - 1] + SAME_T) {
      this.t.push(t);
      for (const c of this.windows.values()) {
        c.v.push(null);
        c.u.push(null);
      }
      i = n;
    } else if (Math.abs(t - this.t[n - 1]) <= SAME_T) {
      i = n - 1;
    } else {
      // Older than the newest row (history after live data, or a late batch): find or insert.
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.t[mid] < t - SAME_T) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
      if (i >= n || Math.abs(this.t[i] - t) > SAME_T) {
        this.t.splice(i, 0, t);
        for (const c of this.windows.values()) {
          c.v.splice(i, 0, null);
          c.u.splice(i, 0, null);
        }
      }
    }
    col.v[i] = v;
    col.u[i] = u;
    if (v === null && reason) this.reasons.set(window, reason);
    else if (v !== null) this.reasons.delete(window);
    if (v !== null && reason) this.notes.set(window, reason);
    else if (v !== null) this.notes.delete(window);
    this.version++;
  }

  /** Drop rows older than `before` (s). */
  trim(before: number): void {
    let k = 0;
    while (k < this.t.length && this.t[k] < before) k++;
    if (k === 0) return;
    this.t.splice(0, k);
    for (const c of this.windows.values()) {
      c.v.splice(0, k);
      c.u.splice(0, k);
    }
    this.version++;
  }

  /** Latest non-null value of a window and its uncertainty. */
  latest(window: WindowName): { t: number; v: number; u: number | null } | undefined {
    const c = this.windows.get(window);
    if (!c) return undefined;
    for (let i = c.v.length - 1; i >= 0; i--) if (c.v[i] !== null) return { t: this.t[i], v: c.v[i]!, u: c.u[i] };
    return undefined;
  }
}

export interface SpecColumn {
  t: number;
  dt: number;
  ref: Uint8Array;
  deg: Uint8Array;
  dbMin: number;
  dbStep: number;
  bands: SpectrumMessage['bands'];
}

export class SessionData {
  info: SessionInfo;
  readonly metrics = new Map<string, MetricTable>();
  readonly spectra: SpecColumn[] = [];
  delay: DelayEvent | undefined;
  readonly activeAlerts = new Map<string, AlertMessage>();
  readonly alertLog: AlertMessage[] = [];
  readonly ingest = new Map<IngestEventMessage['event'], number>();
  summary: SummaryRecord | undefined;
  lastT = 0;
  /** Bumped on every change the page shows. */
  version = 0;

  constructor(info: SessionInfo) {
    this.info = info;
  }

  table(metric: string): MetricTable {
    let t = this.metrics.get(metric);
    if (!t) this.metrics.set(metric, (t = new MetricTable(metric)));
    return t;
  }
}

const decode64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** All sessions the page knows, updated from feed messages. */
export class Store {
  readonly sessions = new Map<string, SessionData>();
  /** Bumped when the session list changes. */
  listVersion = 0;

  private session(info: SessionInfo): SessionData {
    let s = this.sessions.get(info.id);
    if (!s) {
      this.sessions.set(info.id, (s = new SessionData(info)));
      this.listVersion++;
    } else if (s.info.state !== info.state || s.info.endedAt !== info.endedAt) {
      s.info = info;
      this.listVersion++;
    }
    return s;
  }

  apply(m: FeedMessage): void {
    switch (m.type) {
      case 'hello':
        for (const info of m.sessions) this.session(info);
        // Sessions the server no longer has are gone.
        for (const id of [...this.sessions.keys()]) {
          if (!m.sessions.some((i) => i.id === id)) {
            this.sessions.delete(id);
            this.listVersion++;
          }
        }
        return;
      case 'session':
        if (m.event === 'removed') {
          this.sessions.delete(m.session.id);
          this.listVersion++;
        } else this.session(m.session).version++;
        return;
      case 'samples': {
        const s = this.sessions.get(m.session);
        if (!s) return;
        for (const e of m.samples) {
          s.table(e.metric).insert(e.t, e.window, e.value, e.uncertainty, e.reason);
          if (e.t > s.lastT) s.lastT = e.t;
        }
        this.trim(s);
        s.version++;
        return;
      }
      case 'history': {
        const s = this.sessions.get(m.session);
        if (!s) return;
        for (const series of m.series) {
          const table = s.table(series.metric);
          series.t.forEach((t, i) => table.insert(t, series.window, series.value[i], series.uncertainty[i]));
          const last = series.t.at(-1);
          if (last !== undefined && last > s.lastT) s.lastT = last;
        }
        s.activeAlerts.clear();
        for (const a of m.activeAlerts) s.activeAlerts.set(a.rule.id, a);
        if (m.spectra) {
          const sp = m.spectra;
          const newest = s.spectra.at(0)?.t ?? Infinity;
          // Older columns than those already received live go in front.
          const older: SpecColumn[] = [];
          sp.t.forEach((t, i) => {
            if (t < newest - 1e-6) older.push({ t, dt: sp.dt, ref: decode64(sp.ref[i]), deg: decode64(sp.deg[i]), dbMin: sp.dbMin, dbStep: sp.dbStep, bands: sp.bands });
          });
          s.spectra.unshift(...older);
          if (s.spectra.length > SPEC_KEEP) s.spectra.splice(0, s.spectra.length - SPEC_KEEP);
          const last = sp.t.at(-1);
          if (last !== undefined && last > s.lastT) s.lastT = last;
        }
        if (m.delay) s.delay = m.delay;
        this.trim(s);
        s.version++;
        this.listVersion++;
        return;
      }
      case 'delay': {
        const s = this.sessions.get(m.session);
        if (!s) return;
        s.delay = m;
        s.version++;
        return;
      }
      case 'alert': {
        const s = this.sessions.get(m.session);
        if (!s) return;
        if (m.state === 'raised') s.activeAlerts.set(m.rule.id, m);
        else s.activeAlerts.delete(m.rule.id);
        s.alertLog.push(m);
        if (s.alertLog.length > 50) s.alertLog.shift();
        s.version++;
        this.listVersion++;
        return;
      }
      case 'ingest': {
        const s = this.sessions.get(m.session);
        if (!s) return;
        s.ingest.set(m.event, (s.ingest.get(m.event) ?? 0) + 1);
        s.version++;
        return;
      }
      case 'spectrum': {
        const s = this.sessions.get(m.session);
        if (!s) return;
        const c: SpecColumn = { t: m.t, dt: m.dt, ref: decode64(m.ref), deg: decode64(m.deg), dbMin: m.dbMin, dbStep: m.dbStep, bands: m.bands };
        s.spectra.push(c);
        if (s.spectra.length > SPEC_KEEP) s.spectra.shift();
        if (m.t > s.lastT) s.lastT = m.t;
        return;
      }
      case 'summary': {
        const s = this.sessions.get(m.session);
        if (s) {
          s.summary = m;
          s.version++;
        }
        return;
      }
      default:
        return;
    }
  }

  private trim(s: SessionData): void {
    const before = s.lastT - SPAN_KEEP_SEC;
    if (before <= 0) return;
    for (const t of s.metrics.values()) if (t.t.length > 0 && t.t[0] < before - 5) t.trim(before);
  }
}
