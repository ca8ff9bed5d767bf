/**
 * `earshot call` output: the text tables, the `--json` object and the `--report` HTML page.
 */
import { formatNumber, table } from '../rig/format.js';
import { esc, lineChart } from '../rig/svg.js';
import type { CallCondition, CallResult } from './run.js';
import type { MetricJson } from './score.js';

/** The metrics the tables show, with digits. */
const TABLE_METRICS: { key: string; label: string; digits: number }[] = [
  { key: 'pesq', label: 'PESQ-like', digits: 2 },
  { key: 'stoi', label: 'STOI', digits: 3 },
  { key: 'estoi', label: 'ESTOI', digits: 3 },
  { key: 'sisdr', label: 'SI-SDR dB', digits: 1 },
  { key: 'lsd', label: 'LSD dB', digits: 2 },
];

function onOff(b: boolean): string {
  return b ? 'on' : 'off';
}

export function conditionLabel(c: Pick<CallCondition, 'bitrate' | 'ns' | 'aec' | 'agc'>): string {
  return `${formatNumber(c.bitrate / 1000, c.bitrate % 1000 === 0 ? 0 : 1)} kbit/s NS ${onOff(c.ns)} AEC ${onOff(c.aec)} AGC ${onOff(c.agc)}`;
}

function kbit(v: number | null): string {
  return v === null ? '—' : `${(v / 1000).toFixed(1)}`;
}

function pct(v: number | null): string {
  return v === null ? '—' : `${(100 * v).toFixed(2)} %`;
}

function delayText(c: CallCondition): string {
  const t = c.delayTrack;
  if (t.firstMs === null) return '—';
  const lo = (t.minMs as number).toFixed(1);
  const hi = (t.maxMs as number).toFixed(1);
  return lo === hi ? lo : `${lo}–${hi}`;
}

const STAGES: { key: 'processing' | 'network' | 'endToEnd'; label: string }[] = [
  { key: 'processing', label: 'processing (clean vs sent)' },
  { key: 'network', label: 'network + codec (sent vs received)' },
  { key: 'endToEnd', label: 'end to end (clean vs received)' },
];

function metricCells(m: MetricJson | null): string[] {
  return TABLE_METRICS.map((k) => formatNumber(m?.[k.key], k.digits));
}

/** The text report: inputs, one transport table and one quality table. */
export function formatCall(r: CallResult): string {
  const lines: string[] = [];
  const input = r.noise ? `${r.clean} + ${r.noise} at ${r.snr} dB SNR` : r.noisy ? `${r.clean}, noisy ${r.noisy}` : `${r.clean} (no noise)`;
  lines.push(`earshot call: ${input}`);
  lines.push(`  ${r.conditions.length} condition(s), ${r.seconds} s recorded each after ${r.settleSec} s settling; jitter-buffer target ${r.jitterBufferTargetMs} ms; scored at ${r.sampleRate} Hz`);
  lines.push('');
  lines.push('Call (getStats over the recording; delay: received behind sent, by the delay tracker)');
  const transport = [['condition', 'payload kbit/s', 'target', 'lost', 'concealed', 'jitter buffer ms', 'delay ms', 'steps', 'live session']];
  for (const c of r.conditions) {
    transport.push([
      conditionLabel(c),
      kbit(c.stats.payloadBitrate),
      kbit(c.stats.targetBitrate),
      c.stats.packetsLost === null ? '—' : `${c.stats.packetsLost} (${pct(c.stats.lossRate)})`,
      pct(c.stats.concealedRatio),
      formatNumber(c.stats.jitterBufferDelayMs, 1),
      delayText(c),
      String(c.delayTrack.steps),
      c.live?.session ?? '—',
    ]);
  }
  lines.push(...table(transport, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'], '  '));
  lines.push('');
  lines.push('Quality');
  const quality = [['condition', 'stage', ...TABLE_METRICS.map((k) => k.label), 'noise att. dB', 'speech change dB']];
  for (const c of r.conditions) {
    for (const [i, s] of STAGES.entries()) {
      const m = c[s.key];
      const withNoisy = s.key !== 'network';
      quality.push([
        i === 0 ? conditionLabel(c) : '',
        s.label,
        ...metricCells(m),
        withNoisy ? formatNumber(m?.noiseAttenuationDb, 1, true) : '',
        withNoisy ? formatNumber(m?.speechLevelChangeDb, 1, true) : '',
      ]);
    }
  }
  lines.push(...table(quality, ['l', 'l', ...TABLE_METRICS.map(() => 'r' as const), 'r', 'r'], '  '));
  const reasons = r.conditions.flatMap((c) => Object.entries(c.reasons).map(([k, v]) => `${conditionLabel(c)}: ${k}: ${v}`));
  const dropped = r.conditions.filter((c) => c.capture.droppedFrames > 0).map((c) => `${conditionLabel(c)}: the capture dropped ${c.capture.droppedFrames} frames (zero-filled)`);
  for (const n of [...r.notes, ...reasons, ...dropped, ...glitchNotes(r)]) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Conditions whose recording had concealment or a delay step: a loaded machine (the page's audio
 * thread late) shows as these, as a lossy network does; the scores include them.
 */
export function glitchNotes(r: CallResult): string[] {
  const out: string[] = [];
  for (const c of r.conditions) {
    const events = c.stats.concealmentEvents ?? 0;
    if (events === 0 && c.delayTrack.steps === 0) continue;
    const what = [events > 0 ? `${events} concealment event(s) (${pct(c.stats.concealedRatio)} of the samples)` : '', c.delayTrack.steps > 0 ? `${c.delayTrack.steps} delay step(s)` : ''].filter(Boolean).join(' and ');
    out.push(`${conditionLabel(c)}: ${what} during the recording; the scores include them (a loaded machine shows this way too: run it again to tell)`);
  }
  return out;
}

/** The `--json` object (docs/call.md). */
export function callJson(r: CallResult): Record<string, unknown> {
  return {
    clean: r.clean,
    noise: r.noise,
    snr: r.snr,
    noisy: r.noisy,
    sampleRate: r.sampleRate,
    callSampleRate: r.callSampleRate,
    seconds: r.seconds,
    settleSec: r.settleSec,
    jitterBufferTargetMs: r.jitterBufferTargetMs,
    chromium: r.chromium,
    conditions: r.conditions.map((c) => ({
      bitrate: c.bitrate,
      ns: c.ns,
      aec: c.aec,
      agc: c.agc,
      processing: c.processing,
      network: c.network,
      endToEnd: c.endToEnd,
      delayTrack: c.delayTrack,
      stats: c.stats,
      alignment: c.alignment,
      capture: c.capture,
      live: c.live,
      reasons: c.reasons,
    })),
    notes: [...r.notes, ...glitchNotes(r)],
  };
}

const CSS = `body{margin:0;font:14px/1.45 system-ui,sans-serif;color:#1f2937;background:#f8fafc}main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:21px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.sub{color:#6b7280;margin:2px 0}
table{border-collapse:collapse;background:#fff;margin:6px 0}td,th{border:1px solid #e5e7eb;padding:4px 9px;text-align:right}
th{background:#f1f5f9}td.l,th.l{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:16px}.charts figure{margin:0;background:#fff;border:1px solid #e5e7eb;padding:8px}
figcaption{font-size:12px;color:#6b7280}
.plot-bg{fill:#fbfcfe}.grid{stroke:#e8ebf1;stroke-width:1}.tick{font-size:11px;fill:#6b7280}.axis-label{font-size:11.5px;fill:#4b5363}
.legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12px;color:#5b6475;margin:0 0 4px}.legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:5px;border-radius:2px}`;

/** Smallest span of a delay chart's y axis, ms: sub-sample wobble is not drawn as a swing. */
const MIN_DELAY_SPAN_MS = 10;

function legend(items: { name: string; color: string }[]): string {
  return `<div class="legend">${items.map((i) => `<span><i style="background:${i.color}"></i>${esc(i.name)}</span>`).join('')}</div>`;
}

function htmlTable(rows: string[][], leftColumns: number): string {
  const [head, ...body] = rows;
  const cell = (tag: string, v: string, i: number) => `<${tag}${i < leftColumns ? ' class="l"' : ''}>${esc(v)}</${tag}>`;
  return `<table><thead><tr>${head.map((v, i) => cell('th', v, i)).join('')}</tr></thead><tbody>${body
    .map((r) => `<tr>${r.map((v, i) => cell('td', v, i)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2'];

/** A self-contained HTML page: the tables, end-to-end quality against bitrate, and each delay track. */
export function renderCallReport(r: CallResult): string {
  const transport = [['condition', 'payload kbit/s', 'lost', 'concealed', 'jitter buffer ms', 'delay ms', 'steps']];
  for (const c of r.conditions) {
    transport.push([conditionLabel(c), kbit(c.stats.payloadBitrate), String(c.stats.packetsLost ?? '—'), pct(c.stats.concealedRatio), formatNumber(c.stats.jitterBufferDelayMs, 1), delayText(c), String(c.delayTrack.steps)]);
  }
  const quality = [['condition', 'stage', ...TABLE_METRICS.map((k) => k.label), 'noise att. dB']];
  for (const c of r.conditions) {
    for (const s of STAGES) {
      const m = c[s.key];
      quality.push([conditionLabel(c), s.label, ...metricCells(m), s.key === 'network' ? '' : formatNumber(m?.noiseAttenuationDb, 1, true)]);
    }
  }
  // End-to-end quality against bitrate, one line per processing setting.
  const groups = new Map<string, CallCondition[]>();
  for (const c of r.conditions) {
    const k = `NS ${onOff(c.ns)} AEC ${onOff(c.aec)} AGC ${onOff(c.agc)}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const bitrates = [...new Set(r.conditions.map((c) => c.bitrate))].sort((a, b) => a - b);
  const series = (key: string) =>
    [...groups.entries()].map(([name, cs], i) => ({
      name,
      color: COLORS[i % COLORS.length],
      values: bitrates.map((b) => {
        const v = cs.find((c) => c.bitrate === b)?.endToEnd?.[key];
        return typeof v === 'number' ? v : null;
      }),
    }));
  const charts: string[] = [];
  if (bitrates.length > 1) {
    for (const [key, label] of [
      ['pesq', 'PESQ-like'],
      ['stoi', 'STOI'],
    ]) {
      charts.push(`<figure>${legend(series(key))}${lineChart({ x: bitrates.map((b) => b / 1000), series: series(key), xLabel: 'bitrate, kbit/s', yLabel: label, ariaLabel: `end-to-end ${label} against bitrate` })}<figcaption>end to end ${esc(label)} against bitrate</figcaption></figure>`);
    }
  }
  for (const c of r.conditions) {
    const pts = c.delayTrack.points;
    if (pts.length === 0) continue;
    // A step function: each accepted delay holds until the next one.
    const x: number[] = [];
    const values: number[] = [];
    for (const [i, p] of pts.entries()) {
      if (i > 0) {
        x.push(p.tSec);
        values.push(pts[i - 1].delayMs);
      }
      x.push(p.tSec);
      values.push(p.delayMs);
    }
    x.push(r.seconds);
    values.push(pts[pts.length - 1].delayMs);
    const mid = (Math.min(...values) + Math.max(...values)) / 2;
    const span = Math.max(MIN_DELAY_SPAN_MS, Math.max(...values) - Math.min(...values));
    // Invisible rules widen the axis to at least MIN_DELAY_SPAN_MS.
    const rules = [mid - span / 2, mid + span / 2].map((y) => ({ y, label: '', color: 'transparent' }));
    charts.push(`<figure>${lineChart({ x, series: [{ name: 'delay', color: COLORS[0], values }], rules, xLabel: 'time in the recording, s', yLabel: 'delay, ms', width: 360, height: 180, ariaLabel: `delay track, ${conditionLabel(c)}` })}<figcaption>delay track, ${esc(conditionLabel(c))}</figcaption></figure>`);
  }
  const input = r.noise ? `${r.clean} + ${r.noise} at ${r.snr} dB SNR` : r.noisy ? `${r.clean}, noisy ${r.noisy}` : `${r.clean} (no noise)`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>earshot call: ${esc(input)}</title><style>${CSS}</style></head>
<body><main>
<h1>earshot call</h1>
<p class="sub">${esc(input)}</p>
<p class="sub">${r.conditions.length} condition(s), ${r.seconds} s recorded each after ${r.settleSec} s settling; jitter-buffer target ${r.jitterBufferTargetMs} ms; scored at ${r.sampleRate} Hz; ${esc(r.chromium)}</p>
<h2>Call</h2>${htmlTable(transport, 1)}
<h2>Quality</h2>${htmlTable(quality, 2)}
<h2>Charts</h2><div class="charts">${charts.join('')}</div>
${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</main></body></html>
`;
}
