/**
 * One validator for what travels as feed JSON: the messages of `/feed` (feed-types.ts) and the lines
 * of a recording (recorder.ts). `earshot replay` runs every line through it and the dashboard every
 * message, so nothing in a file or on the wire can reach code that assumes the documented shape: a
 * `spectrum` without `bands`, a string `delayMs`, a header without `streams`, a line nested 20 000
 * deep are each refused with a reason, never thrown on later.
 *
 * Pure (no Node or DOM imports): the dashboard bundles it.
 *
 * @example
 *   const r = validateFeedMessage(JSON.parse(text));
 *   if (r.ok) store.apply(r.value); else console.warn(r.reason);
 */
import { WINDOWS } from '../live/types.js';
import type { FeedMessage, RecordedLine, RecordingHeader, SessionInfo } from './feed-types.js';

export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Deepest nesting accepted inside a summary (its values are numbers, lists and small objects). */
export const MAX_SUMMARY_DEPTH = 6;
/** Most values in one summary, one history or one samples batch. */
export const MAX_ITEMS = 200_000;
/** Longest string field (session ids, metric names, messages, reasons). */
const MAX_STRING = 4096;
/** Largest spectrum band count. */
const MAX_BANDS = 1024;

/** A check returns undefined when `v` fits, else what is wrong (the caller adds where). */
type Check = (v: unknown) => string | undefined;

const show = (v: unknown) => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'a list' : 'an object';
};

const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : `expected a finite number, got ${show(v)}`);
const numOrNull: Check = (v) => (v === null ? undefined : num(v));
const nonNegative: Check = (v) => num(v) ?? ((v as number) >= 0 ? undefined : `expected a number ≥ 0, got ${show(v)}`);
const positive: Check = (v) => num(v) ?? ((v as number) > 0 ? undefined : `expected a number > 0, got ${show(v)}`);
const str: Check = (v) => (typeof v === 'string' && v.length <= MAX_STRING ? undefined : `expected a string (at most ${MAX_STRING} characters), got ${show(v)}`);
const oneOf = (...options: readonly unknown[]): Check => (v) => (options.includes(v) ? undefined : `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}, got ${show(v)}`);
const exactly = (x: unknown): Check => (v) => (v === x ? undefined : `expected ${JSON.stringify(x)}, got ${show(v)}`);
const optional = (c: Check): Check => (v) => (v === undefined ? undefined : c(v));
const base64: Check = (v) => str(v) ?? (/^[A-Za-z0-9+/]*={0,2}$/.test(v as string) ? undefined : 'expected base64');
const listOf =
  (c: Check, max = MAX_ITEMS): Check =>
  (v) => {
    if (!Array.isArray(v)) return `expected a list, got ${show(v)}`;
    if (v.length > max) return `expected at most ${max} items, got ${v.length}`;
    for (let i = 0; i < v.length; i++) {
      const why = c(v[i]);
      if (why) return `[${i}]: ${why}`;
    }
    return undefined;
  };
const object =
  (fields: Record<string, Check>): Check =>
  (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `expected an object, got ${show(v)}`;
    const o = v as Record<string, unknown>;
    for (const [k, c] of Object.entries(fields)) {
      const why = c(o[k]);
      if (why) return `"${k}": ${why}`;
    }
    return undefined;
  };

/** Any JSON value no deeper than `depth` and with at most MAX_ITEMS values (iterative: no recursion to overflow). */
function plainJson(v: unknown, depth: number): string | undefined {
  const stack: [unknown, number][] = [[v, 0]];
  let items = 0;
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (++items > MAX_ITEMS) return `more than ${MAX_ITEMS} values`;
    if (x === null || typeof x === 'boolean') continue;
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) return 'a non-finite number';
      continue;
    }
    if (typeof x === 'string') {
      if (x.length > MAX_STRING) return `a string longer than ${MAX_STRING}`;
      continue;
    }
    if (typeof x !== 'object') return `a ${typeof x}`;
    if (d >= depth) return `nested deeper than ${depth}`;
    for (const y of Array.isArray(x) ? x : Object.values(x)) stack.push([y, d + 1]);
  }
  return undefined;
}

const sessionId: Check = (v) => str(v) ?? ((v as string).length > 0 && (v as string).length <= 128 ? undefined : `expected a session id, got ${show(v)}`);
const metricName: Check = (v) => (typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(v) ? undefined : `expected a metric key, got ${show(v)}`);
const windowName = oneOf(...WINDOWS);

const sessionInfo = object({
  id: sessionId,
  state: oneOf('live', 'ended'),
  source: oneOf('ingest', 'replay'),
  sampleRate: positive,
  streams: listOf((v) => (typeof v === 'string' && /^(ref|deg|noisy)[0-7]?$/.test(v) ? undefined : `expected a stream name, got ${show(v)}`), 17),
  startedAt: str,
  endedAt: optional(str),
  endReason: optional(str),
  group: optional(sessionId),
});

const sampleFields = {
  t: num,
  metric: metricName,
  window: windowName,
  value: numOrNull,
  uncertainty: numOrNull,
  reason: optional(str),
};
const sampleEntry = object(sampleFields);

const alertRule = object({
  id: str,
  metric: metricName,
  window: windowName,
  op: oneOf('<', '<=', '>', '>='),
  threshold: num,
  holdSec: nonNegative,
  clearSec: nonNegative,
  severity: oneOf('warning', 'critical'),
  message: str,
});

const delayFields = {
  session: sessionId,
  t: num,
  delayMs: num,
  delaySamples: num,
  confidence: num,
  kind: oneOf('initial', 'drift', 'jump', 'lost'),
};

const alertFields = {
  state: oneOf('raised', 'cleared'),
  session: sessionId,
  t: num,
  since: num,
  rule: alertRule,
  value: numOrNull,
};

const bands = object({ n: (v) => num(v) ?? (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_BANDS ? undefined : `expected an integer 1..${MAX_BANDS}`), fminHz: nonNegative, fmaxHz: positive, scale: exactly('mel') });

/** Columns of `bands.n` bytes each, as base64. */
function columnsFit(n: number, columns: string[]): string | undefined {
  const len = 4 * Math.ceil(n / 3);
  for (let i = 0; i < columns.length; i++) if (columns[i].length !== len) return `column ${i}: expected ${len} base64 characters for ${n} bands, got ${columns[i].length}`;
  return undefined;
}

const spectrum: Check = (v) => {
  const why = object({ session: sessionId, t: num, dt: positive, bands, dbMin: num, dbStep: positive, ref: base64, deg: base64 })(v);
  if (why) return why;
  const m = v as { bands: { n: number }; ref: string; deg: string };
  return columnsFit(m.bands.n, [m.ref, m.deg]);
};

const ingestEvent = object({
  session: sessionId,
  t: num,
  event: oneOf('gap', 'reordered', 'duplicate', 'late', 'overlap', 'dropout', 'overflow', 'trimmed'),
  stream: str,
  frames: optional(num),
  samples: optional(num),
  expectedSeq: optional(num),
  seq: optional(num),
});

const summary: Check = (v) => object({ session: sessionId })(v) ?? plainJson(v, MAX_SUMMARY_DEPTH);

const historySeries: Check = (v) => {
  const why = object({ metric: metricName, window: windowName, t: listOf(num), value: listOf(numOrNull), uncertainty: listOf(numOrNull) })(v);
  if (why) return why;
  const s = v as { t: unknown[]; value: unknown[]; uncertainty: unknown[] };
  return s.value.length === s.t.length && s.uncertainty.length === s.t.length ? undefined : 't, value and uncertainty must have the same length';
};

const historySpectra: Check = (v) => {
  const why = object({ dt: positive, bands, dbMin: num, dbStep: positive, t: listOf(num), ref: listOf(base64), deg: listOf(base64) })(v);
  if (why) return why;
  const s = v as { bands: { n: number }; t: unknown[]; ref: string[]; deg: string[] };
  if (s.ref.length !== s.t.length || s.deg.length !== s.t.length) return 't, ref and deg must have the same length';
  return columnsFit(s.bands.n, s.ref) ?? columnsFit(s.bands.n, s.deg);
};

/** Per message type: its check (the `type` field is checked by the dispatcher). */
const FEED: Record<FeedMessage['type'], Check> = {
  hello: object({ protocol: num, server: exactly('earshot'), sessions: listOf(sessionInfo, 10_000), subscribed: (v) => (v === '*' ? undefined : listOf(sessionId, 10_000)(v)), alertRules: listOf(alertRule, 10_000) }),
  session: object({ event: oneOf('opened', 'ended', 'removed'), session: sessionInfo }),
  samples: object({ session: sessionId, samples: listOf(sampleEntry), coalesced: optional(exactly(true)) }),
  history: object({ session: sessionId, series: listOf(historySeries, 10_000), activeAlerts: listOf(object(alertFields), 10_000), delay: optional(object(delayFields)), spectra: optional(historySpectra) }),
  delay: object(delayFields),
  alert: object(alertFields),
  ingest: ingestEvent,
  spectrum,
  summary,
  error: object({ code: num, message: str }),
};

/** Lines of a recording after the header: samples one per line, the other messages as the feed sends them. */
const RECORDED: Record<RecordedLine['type'], Check> = {
  sample: object({ session: sessionId, ...sampleFields }),
  session: FEED.session,
  delay: FEED.delay,
  alert: FEED.alert,
  ingest: FEED.ingest,
  spectrum: FEED.spectrum,
  summary: FEED.summary,
};

function dispatch<T>(v: unknown, table: Record<string, Check>, what: string): Validated<T> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: `${what}: expected an object, got ${show(v)}` };
  const type = (v as { type?: unknown }).type;
  const check = typeof type === 'string' && Object.prototype.hasOwnProperty.call(table, type) ? table[type] : undefined;
  if (!check) return { ok: false, reason: `${what}: unknown type ${show(type)}` };
  const why = check(v);
  return why ? { ok: false, reason: `${type}: ${why}` } : { ok: true, value: v as T };
}

/** A message of the live feed (server to client), as the dashboard receives it. */
export function validateFeedMessage(v: unknown): Validated<FeedMessage> {
  return dispatch<FeedMessage>(v, FEED, 'feed message');
}

/** A recording line after the header. */
export function validateRecordedLine(v: unknown): Validated<RecordedLine> {
  return dispatch<RecordedLine>(v, RECORDED, 'recording line');
}

/** The first line of a recording (`version` is checked by the reader, which names what it supports). */
export function validateRecordingHeader(v: unknown): Validated<RecordingHeader> {
  const why = object({ type: exactly('recording'), version: num, session: sessionInfo, recordedAt: str, part: optional(positive) })(v);
  return why ? { ok: false, reason: `recording header: ${why}` } : { ok: true, value: v as RecordingHeader };
}

/** Session info as the feed and recordings carry it. */
export function validateSessionInfo(v: unknown): Validated<SessionInfo> {
  const why = sessionInfo(v);
  return why ? { ok: false, reason: why } : { ok: true, value: v as SessionInfo };
}
