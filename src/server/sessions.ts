/**
 * The sessions a server knows (live ones and recently ended ones) and the one path every message of a
 * session takes to the sinks: session state and alerts, the live feed, the recorder. Ingest and
 * replay both publish through here, so the dashboard cannot tell them apart.
 */
import type { DelayEvent, MetricSample, SummaryRecord } from '../live/types.js';
import type { AlertRule, FeedMessage, SessionInfo } from './feed-types.js';
import type { FeedHub, SessionDirectory } from './feed-hub.js';
import type { ServerCounters } from './metrics-exporter.js';
import type { Recorder } from './recorder.js';
import { SessionState } from './session-state.js';

/** Ended sessions stay listed (and in /metrics) this long, so a last scrape and late viewers see them. */
export const DEFAULT_ENDED_RETENTION_SEC = 600;
/** At most this many ended sessions are kept; the oldest go first. */
export const MAX_ENDED_SESSIONS = 100;

export interface SessionRegistryOptions {
  alertRules: AlertRule[];
  counters: ServerCounters;
  recorder?: Recorder;
  endedRetentionSec?: number;
}

export class SessionRegistry implements SessionDirectory {
  private readonly sessions = new Map<string, SessionState>();
  private readonly rules: AlertRule[];
  private readonly counters: ServerCounters;
  private readonly recorder: Recorder | undefined;
  private readonly retentionMs: number;
  private readonly removalTimers = new Map<string, NodeJS.Timeout>();
  /** Set once by the server (the hub needs the registry first). */
  hub: FeedHub | undefined;

  constructor(o: SessionRegistryOptions) {
    this.rules = o.alertRules;
    this.counters = o.counters;
    this.recorder = o.recorder;
    this.retentionMs = (o.endedRetentionSec ?? DEFAULT_ENDED_RETENTION_SEC) * 1000;
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map((s) => s.info);
  }

  get(id: string): SessionState | undefined {
    return this.sessions.get(id);
  }

  states(): Iterable<SessionState> {
    return this.sessions.values();
  }

  alertRules(): AlertRule[] {
    return this.rules;
  }

  isLive(id: string): boolean {
    return this.sessions.get(id)?.info.state === 'live';
  }

  liveCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.info.state === 'live') n++;
    return n;
  }

  /** Start a session (an ended one of the same id is replaced). The caller checked `isLive(id)`. */
  open(info: Omit<SessionInfo, 'state' | 'startedAt'> & { startedAt?: string }): SessionState {
    const old = this.sessions.get(info.id);
    if (old) this.remove(old.info.id, false);
    const full: SessionInfo = { ...info, state: 'live', startedAt: info.startedAt ?? new Date().toISOString() };
    const state = new SessionState(full, this.rules);
    this.sessions.set(full.id, state);
    this.counters.sessionsOpened++;
    this.recorder?.open(full);
    this.emit(state, { type: 'session', event: 'opened', session: full });
    return state;
  }

  /**
   * One metric sample. A repeat of a series' latest sample (same t, value, uncertainty and reason:
   * what an engine's final report at `end()` gives for a stream that ended on a report boundary) is
   * dropped, so no series ends with a duplicate; a different value at the same t supersedes the
   * earlier one (consumers keep the last sample per t).
   */
  sample(state: SessionState, s: MetricSample): void {
    const prev = state.latest.get(`${s.metric}\u0000${s.window}`);
    if (prev && prev.t === s.t && prev.value === s.value && prev.uncertainty === s.uncertainty && prev.reason === s.reason) return;
    const alerts = state.addSample(s);
    this.recorder?.sample(s);
    const entry = state.latest.get(`${s.metric}\u0000${s.window}`)!;
    this.hub?.sample(state.info.id, entry);
    for (const a of alerts) {
      if (a.state === 'raised') this.counters.alertsRaised++;
      this.emit(state, a);
    }
  }

  delay(state: SessionState, e: DelayEvent): void {
    state.delay = e;
    this.emit(state, { type: 'delay', ...e });
  }

  summary(state: SessionState, rec: SummaryRecord): void {
    state.summary = rec;
    this.emit(state, rec);
  }

  /** Ingest events, spectra and other per-session messages. */
  publish(state: SessionState, msg: FeedMessage): void {
    if (msg.type === 'spectrum') state.addSpectrum(msg);
    this.emit(state, msg);
  }

  /** The session ended: clear its alerts, tell everyone, close its recording. */
  async end(state: SessionState, reason: string): Promise<void> {
    if (state.info.state === 'ended') return;
    for (const a of state.alerts.end(state.t)) this.emit(state, a);
    state.info = { ...state.info, state: 'ended', endedAt: new Date().toISOString(), endReason: reason };
    this.emit(state, { type: 'session', event: 'ended', session: state.info });
    const timer = setTimeout(() => this.remove(state.info.id, true), this.retentionMs);
    timer.unref();
    this.removalTimers.set(state.info.id, timer);
    this.pruneEnded();
    await this.recorder?.close(state.info.id);
  }

  /** Forget a session (ended ones only are removed by the retention timer). */
  remove(id: string, announce: boolean): void {
    const state = this.sessions.get(id);
    if (!state) return;
    clearTimeout(this.removalTimers.get(id));
    this.removalTimers.delete(id);
    this.sessions.delete(id);
    if (announce) this.hub?.publish({ type: 'session', event: 'removed', session: state.info });
  }

  close(): void {
    for (const t of this.removalTimers.values()) clearTimeout(t);
    this.removalTimers.clear();
  }

  private pruneEnded(): void {
    const ended = [...this.sessions.values()].filter((s) => s.info.state === 'ended');
    for (let i = 0; i < ended.length - MAX_ENDED_SESSIONS; i++) this.remove(ended[i].info.id, true);
  }

  private emit(state: SessionState, msg: FeedMessage): void {
    this.recorder?.message(state.info.id, msg);
    this.hub?.publish(msg);
  }
}
