/**
 * Earshot dashboard: session list, live metric charts, ref/deg spectrograms, delay, alerts and the
 * connection state. Data comes from the server's `/feed` (see docs/protocol.md); redraws happen in
 * requestAnimationFrame, at most once per frame and only for what changed.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { WindowName } from '../../src/live/types.js';
import type { AlertMessage } from '../../src/server/feed-types.js';
import { mountBrowserMode } from './browser-mode.js';
import { MetricCard } from './charts.js';
import { FeedConnection, type ConnectionState } from './feed.js';
import { describeMetric, formatValue, metricOrder } from './format.js';
import { Spectrogram } from './spectrogram.js';
import { Store, type SessionData } from './store.js';

const WINDOW_CHOICES: { w: WindowName; label: string }[] = [
  { w: '1s', label: '1 s' },
  { w: '3s', label: '3 s' },
  { w: '10s', label: '10 s' },
  { w: 'total', label: 'Total' },
];

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// The token arrives in the URL fragment (never sent to servers or logs); keep it for this tab only.
const hash = new URLSearchParams(location.hash.slice(1));
const tokenFromHash = hash.get('token');
if (tokenFromHash) sessionStorage.setItem('earshot-token', tokenFromHash);
const token = tokenFromHash ?? sessionStorage.getItem('earshot-token') ?? undefined;
if (tokenFromHash) {
  hash.delete('token');
  history.replaceState(null, '', `${location.pathname}${location.search}${hash.size ? `#${hash}` : ''}`);
}

const store = new Store();
let selected: string | undefined = hash.get('session') ?? undefined;
/** The user picked a session: stop following the newest one. */
let pinned = selected !== undefined;
let windowChoice: WindowName = (localStorage.getItem('earshot-window') as WindowName | null) ?? '3s';
const cards = new Map<string, MetricCard>();
const specRef = new Spectrogram($('spec-ref'), 'ref');
const specDeg = new Spectrogram($('spec-deg'), 'deg');
let drawnListVersion = -1;
let drawnSession: string | undefined;
let drawnSessionVersion = -1;
let drawnWindow: WindowName | undefined;

const feed = new FeedConnection({
  token,
  subscription: () => (selected ? [selected] : []),
  onState: showConnection,
  onMessage: (m) => {
    store.apply(m);
    if (ownSession !== undefined && store.sessions.has(ownSession)) {
      select(ownSession, true);
      ownSession = undefined;
    } else if (m.type === 'hello' || (m.type === 'session' && m.event !== 'ended')) autoSelect();
  },
});
/** A session this page opened in browser mode: selected as soon as the feed lists it. */
let ownSession: string | undefined;
mountBrowserMode({
  root: $('browser-mode'),
  token,
  onSession: (id) => {
    if (store.sessions.has(id)) select(id, true);
    else ownSession = id;
  },
});


function autoSelect(): void {
  const sessions = [...store.sessions.values()];
  if (selected && store.sessions.has(selected) && (pinned || store.sessions.get(selected)!.info.state === 'live')) return;
  // Follow the newest live session, else the newest one.
  const newest = sessions.filter((s) => s.info.state === 'live').at(-1) ?? sessions.at(-1);
  if (newest && newest.info.id !== selected) select(newest.info.id, false);
}

function select(id: string, byUser: boolean): void {
  if (byUser) pinned = true;
  selected = id;
  feed.subscribe([id]);
  for (const c of cards.values()) c.destroy();
  cards.clear();
  drawnSessionVersion = -1;
  drawnListVersion = -1;
  const h = new URLSearchParams(location.hash.slice(1));
  h.set('session', id);
  history.replaceState(null, '', `#${h}`);
}

function showConnection(s: ConnectionState): void {
  const el = $('conn');
  el.dataset.state = s.kind;
  $('conn-text').textContent =
    s.kind === 'live' ? 'live' : s.kind === 'connecting' ? 'connecting…' : s.kind === 'reconnecting' ? `${s.why}: retry in ${s.inSec} s` : s.why;
  el.title = s.kind === 'live' ? 'Connected to the live feed' : $('conn-text').textContent ?? '';
}

function buildWindowPicker(): void {
  const picker = $('window-picker');
  for (const { w, label } of WINDOW_CHOICES) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.setAttribute('role', 'radio');
    b.dataset.window = w;
    b.onclick = () => {
      windowChoice = w;
      localStorage.setItem('earshot-window', w);
      renderWindowPicker();
    };
    picker.append(b);
  }
  renderWindowPicker();
}

function renderWindowPicker(): void {
  for (const b of $('window-picker').querySelectorAll('button')) {
    const on = b.dataset.window === windowChoice;
    b.setAttribute('aria-checked', String(on));
    b.classList.toggle('on', on);
  }
}

function elapsed(s: number): string {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${Math.floor(s % 60)} s` : `${s.toFixed(1)} s`;
}

function renderSessionList(): void {
  const list = $('session-list');
  list.replaceChildren();
  const sessions = [...store.sessions.values()].reverse();
  $('no-sessions').hidden = sessions.length > 0;
  for (const s of sessions) {
    const li = document.createElement('li');
    li.className = 'session-item';
    li.dataset.state = s.info.state;
    li.dataset.session = s.info.id;
    if (s.info.id === selected) li.classList.add('selected');
    const alerts = [...s.activeAlerts.values()];
    if (alerts.length) li.dataset.alert = alerts.some((a) => a.rule.severity === 'critical') ? 'critical' : 'warning';
    const name = document.createElement('div');
    name.className = 'session-name';
    name.textContent = s.info.id;
    const meta = document.createElement('div');
    meta.className = 'session-meta';
    const state = s.info.state === 'live' ? (s.info.source === 'replay' ? 'replay' : 'live') : 'ended';
    meta.textContent = `${state} · ${(s.info.sampleRate / 1000).toFixed(s.info.sampleRate % 1000 ? 1 : 0)} kHz · ${s.info.streams.join('/')}`;
    li.append(name, meta);
    if (alerts.length) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = String(alerts.length);
      badge.title = alerts.map((a) => a.rule.message).join('\n');
      li.append(badge);
    }
    li.onclick = () => select(s.info.id, true);
    list.append(li);
  }
}

function renderHeader(s: SessionData | undefined): void {
  $('session-title').textContent = s ? `${s.info.id} · ${elapsed(s.lastT)}${s.info.state === 'ended' ? ' · ended' : ''}` : 'no session';
  const d = s?.delay;
  const delayEl = $('delay');
  delayEl.dataset.kind = d?.kind ?? 'none';
  // The delay to a hundredth of a ms (it is estimated to a fraction of a sample), and the clock drift it follows.
  $('delay-value').textContent = d ? (d.kind === 'lost' ? 'lost' : `${d.delayMs.toFixed(2)} ms`) : '–';
  const conf = d ? Math.max(0, Math.min(1, d.confidence)) : 0;
  $('delay-conf-fill').style.width = `${(conf * 100).toFixed(0)}%`;
  const drift = d && typeof d.driftPpm === 'number' && d.driftPpm !== 0 ? ` · drift ${d.driftPpm.toFixed(1)} ppm` : '';
  $('delay-conf').textContent = d ? `confidence ${(conf * 100).toFixed(0)} %${drift}` : '';
}

function renderAlerts(s: SessionData | undefined): void {
  const box = $('alerts');
  box.replaceChildren();
  const active = s ? [...s.activeAlerts.values()] : [];
  box.hidden = active.length === 0;
  for (const a of active.sort((x, y) => (x.rule.severity === y.rule.severity ? x.since - y.since : x.rule.severity === 'critical' ? -1 : 1))) {
    box.append(alertRow(a, s!.lastT));
  }
}

function alertRow(a: AlertMessage, now: number): HTMLElement {
  const row = document.createElement('div');
  row.className = 'alert';
  row.dataset.severity = a.rule.severity;
  const sev = document.createElement('span');
  sev.className = 'alert-sev';
  sev.textContent = a.rule.severity === 'critical' ? 'Critical' : 'Warning';
  const msg = document.createElement('span');
  msg.className = 'alert-msg';
  msg.textContent = a.rule.message;
  const info = describeMetric(a.rule.metric);
  const detail = document.createElement('span');
  detail.className = 'alert-detail';
  const value = a.value === null ? '' : `${formatValue(a.rule.metric, a.value)}${info.unit ? ` ${info.unit}` : ''} · `;
  detail.textContent = `${value}for ${Math.max(0, now - a.since).toFixed(0)} s`;
  row.append(sev, msg, detail);
  return row;
}

function renderIngestHealth(s: SessionData | undefined): void {
  const el = $('ingest-health');
  const parts: string[] = [];
  for (const [event, n] of s?.ingest ?? []) parts.push(`${n} ${event}${n === 1 ? '' : 's'}`);
  el.textContent = parts.length ? `ingest: ${parts.join(' · ')}` : '';
  el.title = 'Irregularities the server noticed in this session’s audio frames (lost, reordered, late…)';
}

function renderCards(s: SessionData): void {
  const grid = $('charts');
  // `input` samples carry only reasons (repaired bad input); they have no chart.
  const metrics = [...s.metrics.keys()].filter((m) => m !== 'input').sort(metricOrder);
  let order = false;
  for (const m of metrics) {
    if (!cards.has(m)) {
      cards.set(m, new MetricCard(m));
      order = true;
    }
  }
  if (order) grid.replaceChildren(...metrics.map((m) => cards.get(m)!.el));
  const alertBy = new Map<string, 'warning' | 'critical'>();
  for (const a of s.activeAlerts.values()) {
    if (alertBy.get(a.rule.metric) !== 'critical') alertBy.set(a.rule.metric, a.rule.severity);
  }
  for (const m of metrics) cards.get(m)!.update(s.metrics.get(m)!, windowChoice, s.lastT, alertBy.get(m));
}

function frame(): void {
  const s = selected ? store.sessions.get(selected) : undefined;
  $('empty-main').hidden = s !== undefined;
  if (store.listVersion !== drawnListVersion) {
    drawnListVersion = store.listVersion;
    renderSessionList();
  }
  if (s && (s.info.id !== drawnSession || s.version !== drawnSessionVersion || windowChoice !== drawnWindow)) {
    drawnSession = s.info.id;
    drawnSessionVersion = s.version;
    drawnWindow = windowChoice;
    renderHeader(s);
    renderAlerts(s);
    renderIngestHealth(s);
    renderCards(s);
    document.body.dataset.session = s.info.state;
  } else if (!s && drawnSession !== undefined) {
    drawnSession = undefined;
    renderHeader(undefined);
    renderAlerts(undefined);
  }
  specRef.show(s?.spectra ?? [], s?.lastT ?? 0);
  specDeg.show(s?.spectra ?? [], s?.lastT ?? 0);
  specRef.draw();
  specDeg.draw();
  requestAnimationFrame(frame);
}

buildWindowPicker();
renderHeader(undefined);
renderAlerts(undefined);
requestAnimationFrame(frame);
// For tests and the curious: the live state of the page.
(window as unknown as { earshot: unknown }).earshot = { store, feed, cards, selected: () => selected };
